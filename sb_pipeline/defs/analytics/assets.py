"""Conversation analytics: what the work was about week by week, and what kind of sessions it was.

    raw_conversations ──▶ session_types ─────────────────────────────┐
    conversation_embeddings ──▶ conversation_topics ──▶ topic_trends ──▶ conversation_report

Wiring only: the work is in sb_pipeline.conversations (session_types, topics, topic_groups, topic_labels,
topic_trends, topic_summary, dashboard) and the SQL in sb_pipeline.warehouse.topics. Every asset follows its
parents by automation (the weekly schedule refreshes the sources, the embeddings follow, then these).
"""

import json
import time
from datetime import datetime, timezone

import dagster as dg
import polars as pl

from sb_pipeline.conversations import session_types as types
from sb_pipeline.conversations.chunking import conversation_batches
from sb_pipeline.conversations.topic_groups import GroupingParameters
from sb_pipeline.conversations.topic_labels import counts_of, ctfidf, label, npmi
from sb_pipeline.conversations.topics import Previous, conversation_vectors, full_grouping, join_nearest, needs_full_grouping
from sb_pipeline.defs.automation import DOWNSTREAM_POLICY
from sb_pipeline.defs.resources import EmbedderResource, WarehouseResource
from sb_pipeline.text.tokens import tokens
from sb_pipeline.warehouse import topics as store

GROUP = "analytics"
WRITE_POOL = "duckdb_write"
LABEL_CHUNKS_PER_TOPIC = 100  # a topic's terms from at most this many of its chunks (a fixed sample)
TYPE_BATCH_CHARS = 4_000_000


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, deps=["raw_conversations"], **DOWNSTREAM_POLICY)
def session_types(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The kind of each session (debugging, feature, refactoring, review, operations, question; `note` for inbox
    items, `reflection` for Session Buddy reflections) by documented rules over its tool calls, failures, files and
    prompts (sb_pipeline.conversations.session_types). Incremental: only new or changed conversations."""
    now = datetime.now(timezone.utc)
    with warehouse.get_connection() as conn:
        todo = store.conversations_to_type(conn, types.CLASSIFIER_VERSION)
    for ids in conversation_batches(todo, TYPE_BATCH_CHARS):
        with warehouse.get_connection(read_only=True) as conn:
            rows = store.conversations_for_typing(conn, ids)
        judged = [types.classify(r["source"], r["kind"], r["content"], r["metadata"]) for r in rows.iter_rows(named=True)]
        frame = rows.select("conversation_id", "content_hash").with_columns(
            session_type=pl.Series([j.session_type for j in judged], dtype=pl.Utf8),
            evidence=pl.Series([j.evidence() for j in judged], dtype=pl.Utf8), classifier_version=pl.lit(types.CLASSIFIER_VERSION))
        with warehouse.get_connection() as conn:
            store.upsert_session_types(conn, frame, now)
    with warehouse.get_connection() as conn:
        counts = store.session_type_counts(conn)
        if not todo.height:  # nothing new: still forget the types of conversations that are gone
            store.upsert_session_types(conn, pl.DataFrame(schema={c: pl.Utf8 for c in ("conversation_id", "session_type", "evidence",
                                                                                        "content_hash", "classifier_version")}), now)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(sum(counts.values())), "classified": dg.MetadataValue.int(todo.height),
        "classifier": dg.MetadataValue.text(types.CLASSIFIER_VERSION),
        **{f"type_{k}": dg.MetadataValue.int(v) for k, v in counts.items()},
    })


class TopicConfig(dg.Config):
    full_regroup: bool = False  # regroup everything even when few conversations are new
    neighbors: int = GroupingParameters.neighbors
    resolution: float = GroupingParameters.resolution
    min_topic_size: int = GroupingParameters.min_topic_size


@dg.asset(group_name=GROUP, kinds={"duckdb", "python"}, pool=WRITE_POOL, deps=["conversation_embeddings"], **DOWNSTREAM_POLICY)
def conversation_topics(context: dg.AssetExecutionContext, config: TopicConfig, embedder: EmbedderResource,
                        warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Topics (table `topics`) and each conversation's topic (`conversation_topics`): Leiden communities on the
    k-nearest-neighbour graph of length-weighted conversation vectors, labelled by class-based TF-IDF over their
    chunks with the search tokeniser; ids kept across runs by an optimal centroid assignment; between full
    groupings new conversations join the nearest topic when close enough (sb_pipeline.conversations.topics)."""
    started = time.perf_counter()
    model_id = embedder.get().model_id
    with warehouse.get_connection() as conn:  # a writer's connection: it brings an older warehouse's schema up to date
        current = conversation_vectors(store.chunk_vector_batches(conn, model_id))
        old_topics, old_assignments = store.previous_topics(conn)
        grouped_at_last, last_model = store.last_full_grouping(conn)
    previous = Previous(old_topics, old_assignments)
    same_model = last_model == model_id and (not old_topics.height or set(old_topics["model_id"].to_list()) == {model_id})
    params = GroupingParameters(config.neighbors, config.resolution, config.min_topic_size)
    if config.full_regroup or needs_full_grouping(previous, current, grouped_at_last, same_model):
        grouping = full_grouping(current, previous if same_model else Previous(old_topics.clear(), old_assignments.clear()), params)
    else:
        grouping = join_nearest(current, previous)
    seconds_grouping = time.perf_counter() - started
    topics, coherence = _labelled(warehouse, grouping, old_topics, model_id)
    run = {"run_at": datetime.now(timezone.utc), "mode": grouping.mode, "conversations": len(current.ids), "topics": topics.height,
           "kept_topics": grouping.kept_topics, "new_topics": grouping.new_topics, "unplaced": grouping.unplaced, "model_id": model_id,
           "parameters": json.dumps({**params.__dict__, "label_chunks_per_topic": LABEL_CHUNKS_PER_TOPIC})}
    with warehouse.get_connection() as conn:
        store.replace_topics(conn, topics, grouping.assignments, run)
    sizes = grouping.assignments.group_by("topic_id").len()
    largest = sizes["len"].max() / grouping.assignments.height if grouping.assignments.height else 0.0
    context.log.info(f"{grouping.mode} grouping: {topics.height} topics over {len(current.ids)} conversations")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(topics.height), "mode": dg.MetadataValue.text(grouping.mode),
        "topics": dg.MetadataValue.int(topics.height), "conversations": dg.MetadataValue.int(len(current.ids)),
        "largest_share": dg.MetadataValue.float(round(float(largest), 4)), "kept_topics": dg.MetadataValue.int(grouping.kept_topics),
        "new_topics": dg.MetadataValue.int(grouping.new_topics), "unplaced": dg.MetadataValue.int(grouping.unplaced),
        "npmi": dg.MetadataValue.float(round(coherence, 4)),
        "seconds_grouping": dg.MetadataValue.float(round(seconds_grouping, 2)),
        "seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 2)),
        "labels": dg.MetadataValue.md("\n".join(f"- {r['label']} ({r['topic_id']})" for r in topics.head(20).iter_rows(named=True))),
    })


def _labelled(warehouse: WarehouseResource, grouping, old_topics: pl.DataFrame, model_id: str) -> tuple[pl.DataFrame, float]:
    """The grouping's topics with top terms (c-TF-IDF over a sample of each topic's chunks), a label (kept when the
    topic was matched), model id and created_at; and the mean NPMI of the top terms over the sampled chunks."""
    with warehouse.get_connection(read_only=True) as conn:
        chunks = store.label_chunks(conn, grouping.assignments, LABEL_CHUNKS_PER_TOPIC)
    words = {topic: [tokens(t) for t in group["text"].to_list()]  # tokenised once: for the terms and for their coherence
             for (topic,), group in chunks.partition_by("topic_id", as_dict=True).items()}
    terms = ctfidf({topic: counts_of(lists) for topic, lists in words.items()})
    ids = grouping.topics["topic_id"].to_list()
    top = [[term for term, _ in terms.get(t, [])] for t in ids]
    created = dict(zip(old_topics["topic_id"].to_list(), old_topics["created_at"].to_list())) if old_topics.height else {}
    now = datetime.now(timezone.utc)
    frame = grouping.topics.with_columns(
        top_terms=pl.Series(top, dtype=pl.List(pl.Utf8)),
        label=pl.Series([old or label(words) for old, words in zip(grouping.topics["label"].to_list(), top)], dtype=pl.Utf8),
        model_id=pl.lit(model_id), created_at=pl.Series([created.get(t, now) for t in ids], dtype=pl.Datetime("us", "UTC")))
    documents = [set(lists) for group in words.values() for lists in group]
    scores = npmi([t[:10] for t in top if len(t) > 1], documents)
    return frame, (sum(scores) / len(scores) if scores else 0.0)
