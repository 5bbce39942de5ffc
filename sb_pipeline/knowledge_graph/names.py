"""Entity names as a matcher sees them: one key per name, found as whole tokens in any text, with a weight.

Why: a relationship is most often *said*: an observation or a conversation names the other entity. A name
counts only as a whole token: `fastapi-based` does not name `fastapi`, `make-release` does not name `make`,
`billing's` names `billing`. Spellings that differ only in `-`, `_` or `.` are one name (`acme_api`,
`acme.api`, `acme-api`), case is folded, and multi-word names (`Session Buddy`, `429 Too Many Requests`) match
as consecutive spans. Spans are `sb_pipeline.text.tokens.spans`, the lexical index's own notion of a
compound, so what a user searches for and what we count as a mention agree.

Matching is vectorised (polars, one pass per name length): spans of every text are exploded into rows,
n-grams built by shifting inside a text and joined with the keys of that length. Cost is linear in the text,
whatever the number of names, which is what lets it run over 555k conversation chunks.

A name that is also an everyday word (`make`, `core`, `patch`, `api`) is found everywhere; its weight is its
inverse document frequency, normalised to [0, 1], over the documents given (the entities' observations and,
where the warehouse has them, the user's conversations): `log((N + 1) / (df + 1)) / log(N + 1)`.
"""

from __future__ import annotations

import math
import re

import numpy as np
import polars as pl

from sb_pipeline.text.tokens import SPAN_EDGES, SPAN_PATTERN, spans

_FOLD = re.compile(r"[-_.]+")
MAX_NAME_SPANS = 6


def name_key(name: str) -> str:
    """`Acme_API` -> `acme-api`, `Session  Buddy` -> `session buddy`; "" for names of one character."""
    key = " ".join(_FOLD.sub("-", s).strip("-") for s in spans(name or ""))
    key = " ".join(key.split())
    return key if len(key) >= 2 else ""


def name_parts(key: str) -> list[str]:
    """A key's parts, split at `-`, `/` and spaces: `acme-api-tests` -> [acme, api, tests]."""
    return [p for p in re.split(r"[-/ ]+", key) if p]


def _spans_frame(docs: pl.DataFrame) -> pl.DataFrame:
    """One row per span: doc, span (folded like a key), in text order."""
    return (
        docs.lazy()
        .select("doc", pl.col("text").fill_null("").str.to_lowercase().str.extract_all(SPAN_PATTERN).alias("span"))
        .explode("span")
        .with_columns(pl.col("span").str.strip_chars(SPAN_EDGES).str.replace_all(r"[-_.]+", "-").str.strip_chars("-"))
        .filter(pl.col("span").str.len_chars() > 0)
        .collect()
    )


def find_names(docs: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """(doc, key, count) for every key named in a doc's text. `docs` has columns doc and text."""
    wanted = sorted({k for k in keys if k})
    out_schema = {"doc": docs.schema["doc"], "key": pl.Utf8, "count": pl.UInt32}
    if not wanted or docs.height == 0:
        return pl.DataFrame(schema=out_schema)
    by_len: dict[int, list[str]] = {}
    for key in wanted:
        by_len.setdefault(min(len(key.split(" ")), MAX_NAME_SPANS + 1), []).append(key)
    found = []
    frame = _spans_frame(docs)
    for length, group in sorted(by_len.items()):
        if length > MAX_NAME_SPANS:
            continue
        key_frame = pl.DataFrame({"key": group})
        if length == 1:
            grams = frame.select("doc", pl.col("span").alias("key"))
        else:
            firsts = {k.split(" ")[0] for k in group}
            grams = frame.with_columns(
                pl.concat_str([pl.col("span").shift(-i) for i in range(length)], separator=" ").alias("key"),
                (pl.col("doc").shift(-(length - 1)) == pl.col("doc")).alias("same_doc"),
            ).filter(pl.col("span").is_in(list(firsts)) & pl.col("same_doc")).select("doc", "key")
        found.append(grams.join(key_frame, on="key", how="inner"))
    if not found:
        return pl.DataFrame(schema=out_schema)
    return pl.concat(found).group_by("doc", "key").agg(pl.len().alias("count")).cast(out_schema)


def idf_weights(document_frequency: dict[str, int], documents: int, keys: list[str]) -> np.ndarray:
    """Normalised inverse document frequency of each key (1 = named in no document, 0 = named in all)."""
    denom = math.log(documents + 1) if documents > 0 else 1.0
    return np.array([math.log((documents + 1) / (document_frequency.get(k, 0) + 1)) / denom if k else 0.0
                     for k in keys], np.float64)


def contains_parts(short: list[str], long: list[str]) -> bool:
    """`short` occurs as consecutive parts of `long` (and is shorter): acme-api in acme-api-tests, libfoo in libfoo-dev."""
    if not short or len(short) >= len(long):
        return False
    n = len(short)
    return any(long[i:i + n] == short for i in range(len(long) - n + 1))
