"""Co-mention: how often the user's own conversations name two entities together, against chance.

Why: a developer's conversations are where relationships are lived ("after bumping pydantic, billing's build
fails"); two entities named in the same conversations far more often than their own frequencies predict are
likely related. The warehouse holds both flows, so this costs no model: count conversations (and chunks)
naming both, `n_ab`, against each one's count `n_a`, `n_b` out of `N` conversations, and score the lift as
pointwise mutual information, `log(n_ab * N / (n_a * n_b))`. Everyday-word names (`make`, `core`) are named
in many conversations, so their co-mentions score near zero on their own.

A conversation naming more than `max_entities` entities (a long session touching everything) says little
about any one pair and would cost O(k^2) pairs: it still counts for `n_a`, not for pairs. The `best`
conversations kept per pair as provenance are those naming the fewest entities (the most focused), then by id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sb_pipeline.knowledge_graph.names import find_names, name_parts

MAX_ENTITIES_PER_CONVERSATION = 40
BEST_CONVERSATIONS = 3
PAIR_SCHEMA = {"i": pl.Int64, "j": pl.Int64, "conversations": pl.UInt32, "chunks": pl.UInt32, "best": pl.List(pl.Utf8)}


@dataclass(frozen=True)
class CoMentions:
    """Per-entity and per-pair conversation counts over a corpus of `conversations` conversations."""

    conversations: int  # N: conversations scanned (0: no corpus, co-mention is unknown, not absent)
    per_entity: np.ndarray  # n_a per entity row
    pairs: pl.DataFrame  # PAIR_SCHEMA: i < j entity rows co-mentioned at least once

    @classmethod
    def none(cls, n_entities: int) -> "CoMentions":
        return cls(0, np.zeros(n_entities, np.int64), pl.DataFrame(schema=PAIR_SCHEMA))


def co_mentions(mentions: pl.DataFrame, conversations: int, n_entities: int,
                max_entities: int = MAX_ENTITIES_PER_CONVERSATION, best: int = BEST_CONVERSATIONS) -> CoMentions:
    """`mentions`: one row per (conversation_id, chunk_id, e) where entity row `e` is named in that chunk."""
    if conversations <= 0 or mentions.height == 0:
        return CoMentions(max(conversations, 0), np.zeros(n_entities, np.int64), pl.DataFrame(schema=PAIR_SCHEMA))
    by_conv = mentions.select("conversation_id", "e").unique()
    per_entity = np.bincount(by_conv["e"].to_numpy(), minlength=n_entities).astype(np.int64)
    width = by_conv.group_by("conversation_id").agg(pl.len().alias("width"))
    focused = by_conv.join(width.filter(pl.col("width") <= max_entities), on="conversation_id")
    conv_pairs = _self_pairs(focused, "conversation_id", extra="width")
    if conv_pairs.height == 0:
        return CoMentions(conversations, per_entity, pl.DataFrame(schema=PAIR_SCHEMA))
    counted = (conv_pairs.sort("width", "conversation_id")
               .group_by("i", "j").agg(pl.len().alias("conversations"), pl.col("conversation_id").head(best).alias("best")))
    in_chunks = mentions.select("chunk_id", "e").unique().join(
        mentions.select("chunk_id", "conversation_id").unique().join(width.filter(pl.col("width") <= max_entities),
                                                                     on="conversation_id").select("chunk_id"), on="chunk_id")
    chunk_counts = _self_pairs(in_chunks, "chunk_id").group_by("i", "j").agg(pl.len().alias("chunks"))
    pairs = counted.join(chunk_counts, on=["i", "j"], how="left").with_columns(pl.col("chunks").fill_null(0))
    return CoMentions(conversations, per_entity, pairs.select(list(PAIR_SCHEMA)).cast(PAIR_SCHEMA))


def _self_pairs(frame: pl.DataFrame, group: str, extra: str | None = None) -> pl.DataFrame:
    """Every unordered pair of distinct entities sharing a `group` value: (group, [extra], i, j)."""
    keep = [group] + ([extra] if extra else [])
    left = frame.select(*keep, pl.col("e").alias("i"))
    right = frame.select(group, pl.col("e").alias("j"))
    return left.join(right, on=group).filter(pl.col("i") < pl.col("j"))


def chunk_mentions(chunks: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """(chunk_id, conversation_id, name_key, mentions) for every key found whole in `chunks`
    (chunk_id, conversation_id, text)."""
    found = find_names(chunks.select(pl.col("chunk_id").alias("doc"), "text"), keys)
    return (found.rename({"doc": "chunk_id", "key": "name_key", "count": "mentions"})
            .join(chunks.select("chunk_id", "conversation_id"), on="chunk_id")
            .select("chunk_id", "conversation_id", "name_key", pl.col("mentions").cast(pl.Int32)))


def prefilter_words(keys: list[str]) -> list[str]:
    """A substring every text naming one of `keys` contains, whatever its `-`/`_`/`.` spelling: its first part."""
    return sorted({name_parts(k)[0] for k in keys if k and name_parts(k)})


def entity_mentions(mentions: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """(conversation_id, chunk_id, e) from (conversation_id, chunk_id, name_key) mentions, entity row e having
    key keys[e]; a key shared by several entities names each."""
    rows = pl.DataFrame({"name_key": keys, "e": list(range(len(keys)))}, schema={"name_key": pl.Utf8, "e": pl.Int64})
    return (mentions.join(rows.filter(pl.col("name_key") != ""), on="name_key")
            .select("conversation_id", "chunk_id", "e").unique())
