"""The warehouse contract: the tables other flows and users rely on.

The schema version is recorded in `sb_meta`; every statement is idempotent, so ensuring the
schema on each write connection is cheap and a re-run never changes an existing table.
"""

from __future__ import annotations

import duckdb

from sb_pipeline.constants import EMBEDDING_DIM

SCHEMA_VERSION = 6  # 1: conversation flow; 2: knowledge-graph tables; 3: Crackerjack quality tables;
# 4: quality alerts carry their change point; 5: relationship probabilities, candidates and co-mentions;
# 6: conversation analytics (topics, their trends, session types)

DDL = [
    "CREATE TABLE IF NOT EXISTS sb_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS conversations (
        conversation_id VARCHAR PRIMARY KEY,   -- hash of source + the source's own key
        source VARCHAR NOT NULL,               -- reflection_db | transcript | inbox
        natural_key VARCHAR NOT NULL,
        source_ref VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,                 -- conversation | reflection | insight
        project VARCHAR,
        started_at TIMESTAMPTZ,
        content VARCHAR NOT NULL,              -- secrets already redacted
        content_hash VARCHAR NOT NULL,         -- sha256 of content; exact copies collapse on it
        char_count INTEGER NOT NULL,
        secrets_redacted INTEGER NOT NULL,
        metadata JSON,
        first_seen_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS rejected_records (
        reject_id VARCHAR PRIMARY KEY,         -- hash of source, ref, reason, excerpt: re-runs do not duplicate
        source VARCHAR NOT NULL,
        source_ref VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        excerpt VARCHAR,
        seen_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS conversation_chunks (
        chunk_id VARCHAR PRIMARY KEY,
        conversation_id VARCHAR NOT NULL,
        ordinal INTEGER NOT NULL,
        text VARCHAR NOT NULL,
        text_hash VARCHAR NOT NULL,            -- vectors are keyed by this: identical text is embedded once
        content_hash VARCHAR NOT NULL,         -- the conversation content this chunk was cut from
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS conversation_embeddings (
        text_hash VARCHAR NOT NULL,
        model_id VARCHAR NOT NULL,
        embedding FLOAT[{EMBEDDING_DIM}] NOT NULL,
        embedded_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (text_hash, model_id)
    )""",
    # --- knowledge graph (schema 2)
    """CREATE TABLE IF NOT EXISTS kg_entities (
        entity_id VARCHAR PRIMARY KEY,         -- hash of the source's entity id
        source_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        entity_type VARCHAR NOT NULL,          -- normalised: project, library, service, test, concept, ...
        observations VARCHAR[] NOT NULL,       -- redacted
        text VARCHAR NOT NULL,                 -- the one recipe: "name (type): obs; obs"
        text_hash VARCHAR NOT NULL,
        secrets_redacted INTEGER NOT NULL,
        first_seen_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS kg_source_relationships (
        relationship_id VARCHAR PRIMARY KEY,   -- hash of the unordered pair and the type
        source_entity_id VARCHAR NOT NULL,
        target_entity_id VARCHAR NOT NULL,
        relation_type VARCHAR NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS entity_embeddings (
        entity_id VARCHAR NOT NULL,
        text_hash VARCHAR NOT NULL,
        model_id VARCHAR NOT NULL,
        embedding FLOAT[{EMBEDDING_DIM}] NOT NULL,
        embedded_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (entity_id, model_id)
    )""",
    """CREATE TABLE IF NOT EXISTS entity_neighbors (  -- exact top-k lists, kept so a run recomputes only what changed
        entity_id VARCHAR NOT NULL,
        model_id VARCHAR NOT NULL,
        text_hash VARCHAR NOT NULL,            -- the entity's text when its list was computed
        rank INTEGER NOT NULL,
        neighbor_id VARCHAR NOT NULL,
        similarity FLOAT NOT NULL,
        PRIMARY KEY (entity_id, model_id, rank)
    )""",
    """CREATE TABLE IF NOT EXISTS discovered_relationships (
        edge_id VARCHAR PRIMARY KEY,
        source_entity_id VARCHAR NOT NULL,
        target_entity_id VARCHAR NOT NULL,
        source_name VARCHAR NOT NULL,
        target_name VARCHAR NOT NULL,
        source_type VARCHAR NOT NULL,
        target_type VARCHAR NOT NULL,
        relation_type VARCHAR NOT NULL,
        directed BOOLEAN NOT NULL,             -- false for symmetric types (related_to, very_similar_to)
        similarity DOUBLE NOT NULL,
        source_rank_in_target INTEGER,
        target_rank_in_source INTEGER,
        mutual_knn BOOLEAN NOT NULL,
        rule VARCHAR NOT NULL,                 -- how relation_type was chosen: observation:<verb> | type_pair+mutual | band:very_similar | untyped
        confidence VARCHAR NOT NULL,           -- high | medium | low: the band of p_related (>= 0.8, >= 0.5, below)
        evidence JSON,
        threshold DOUBLE,
        model_id VARCHAR NOT NULL,
        source_text_hash VARCHAR NOT NULL,
        target_text_hash VARCHAR NOT NULL,
        run_id VARCHAR NOT NULL,
        discovered_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS graph_metrics (
        run_id VARCHAR PRIMARY KEY,
        measured_at TIMESTAMPTZ NOT NULL,
        entities INTEGER NOT NULL,
        edges INTEGER NOT NULL,
        source_edges INTEGER NOT NULL,
        discovered_edges INTEGER NOT NULL,
        connectivity_ratio DOUBLE NOT NULL,
        avg_degree DOUBLE NOT NULL,
        isolated_entities INTEGER NOT NULL,
        isolated_share DOUBLE NOT NULL,
        embedding_coverage DOUBLE NOT NULL,    -- a fraction, as in Session Buddy's KG stats
        components INTEGER NOT NULL,
        largest_component_share DOUBLE NOT NULL,
        health VARCHAR NOT NULL,
        report JSON NOT NULL                   -- counts by type, degree distribution, recommendations
    )""",
    # --- Crackerjack quality (schema 3)
    """CREATE TABLE IF NOT EXISTS crackerjack_runs (
        run_id VARCHAR PRIMARY KEY,            -- Crackerjack's result id
        command VARCHAR NOT NULL,
        exit_code INTEGER,
        success BOOLEAN NOT NULL,
        execution_time DOUBLE,
        observed_at TIMESTAMPTZ NOT NULL,
        project VARCHAR NOT NULL,              -- normalised project key (see sb_pipeline/quality/normalise.py)
        source_ref VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS quality_metric_points (
        source_ref VARCHAR PRIMARY KEY,        -- quality_metrics_history:<id>
        project VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,               -- whitelisted; all higher-is-better
        value DOUBLE NOT NULL,
        observed_at TIMESTAMPTZ NOT NULL,
        run_id VARCHAR,
        formula_era VARCHAR NOT NULL           -- v1 before the 2026-07-27 formula change, v2 after
    )""",
    """CREATE TABLE IF NOT EXISTS quality_trends (  -- per project x metric x day / ISO week, for the window ending at as_of
        as_of TIMESTAMPTZ NOT NULL, window_days DOUBLE NOT NULL, project VARCHAR NOT NULL, metric VARCHAR NOT NULL,
        formula_era VARCHAR NOT NULL, period VARCHAR NOT NULL, period_start DATE NOT NULL, count INTEGER NOT NULL,
        mean DOUBLE, median DOUBLE, min DOUBLE, max DOUBLE, first DOUBLE, last DOUBLE
    )""",
    """CREATE TABLE IF NOT EXISTS quality_series_trends (  -- Theil-Sen slope per series over the window
        as_of TIMESTAMPTZ NOT NULL, window_days DOUBLE NOT NULL, project VARCHAR NOT NULL, metric VARCHAR NOT NULL,
        formula_era VARCHAR NOT NULL, points INTEGER NOT NULL, first DOUBLE, last DOUBLE, mean DOUBLE,
        slope_per_day DOUBLE, slope_low DOUBLE, slope_high DOUBLE, direction VARCHAR NOT NULL, era_break BOOLEAN NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS quality_alerts (
        project VARCHAR NOT NULL, metric VARCHAR NOT NULL, severity VARCHAR NOT NULL,
        status VARCHAR NOT NULL,               -- new | ongoing | resolved
        change_pct DOUBLE, baseline_value DOUBLE, current_value DOUBLE,
        first_seen TIMESTAMPTZ NOT NULL, last_seen TIMESTAMPTZ NOT NULL, evidence JSON,
        PRIMARY KEY (project, metric)
    )""",
    # --- quality alerts located by change point (schema 4, issue 13): when the level changed and how sure it is
    "ALTER TABLE quality_alerts ADD COLUMN IF NOT EXISTS change_at TIMESTAMPTZ",  # the first degraded run's time
    "ALTER TABLE quality_alerts ADD COLUMN IF NOT EXISTS change_run_id VARCHAR",  # and its Crackerjack result id
    "ALTER TABLE quality_alerts ADD COLUMN IF NOT EXISTS p_value DOUBLE",  # one-sided, search-adjusted
    "ALTER TABLE quality_alerts ADD COLUMN IF NOT EXISTS change_pct_low DOUBLE",  # 95 % interval of change_pct
    "ALTER TABLE quality_alerts ADD COLUMN IF NOT EXISTS change_pct_high DOUBLE",
    "ALTER TABLE quality_alerts ADD COLUMN IF NOT EXISTS runs_before INTEGER",
    "ALTER TABLE quality_alerts ADD COLUMN IF NOT EXISTS runs_after INTEGER",
    # --- relationships a user can trust (schema 5, issue 12): a probability on every edge, the candidates below
    # the publication cut (same columns), and the entity names found in each conversation chunk (co-mention)
    "ALTER TABLE discovered_relationships ADD COLUMN IF NOT EXISTS p_related DOUBLE",  # confidence = its band
    "ALTER TABLE discovered_relationships ADD COLUMN IF NOT EXISTS relationship_model_id VARCHAR",
    """CREATE TABLE IF NOT EXISTS relationship_candidates (  -- discovered_relationships' columns, p_related below the cut
        edge_id VARCHAR PRIMARY KEY, source_entity_id VARCHAR NOT NULL, target_entity_id VARCHAR NOT NULL,
        source_name VARCHAR NOT NULL, target_name VARCHAR NOT NULL, source_type VARCHAR NOT NULL, target_type VARCHAR NOT NULL,
        relation_type VARCHAR NOT NULL, directed BOOLEAN NOT NULL, similarity DOUBLE NOT NULL,
        source_rank_in_target INTEGER, target_rank_in_source INTEGER, mutual_knn BOOLEAN NOT NULL, rule VARCHAR NOT NULL,
        confidence VARCHAR NOT NULL, evidence JSON, threshold DOUBLE, model_id VARCHAR NOT NULL,
        source_text_hash VARCHAR NOT NULL, target_text_hash VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
        discovered_at TIMESTAMPTZ NOT NULL, p_related DOUBLE, relationship_model_id VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS chunk_name_mentions (  -- an entity name (names.name_key) found whole in a chunk
        chunk_id VARCHAR NOT NULL, conversation_id VARCHAR NOT NULL, name_key VARCHAR NOT NULL, mentions INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS chunk_mention_scans (  -- chunks already scanned for every key in mention_name_keys
        chunk_id VARCHAR NOT NULL, conversation_id VARCHAR NOT NULL, scanned_at TIMESTAMPTZ NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS mention_name_keys (name_key VARCHAR PRIMARY KEY, added_at TIMESTAMPTZ NOT NULL)",
    # --- conversation analytics (schema 6, issue 15): topics with stable ids, weekly trends, session types
    f"""CREATE TABLE IF NOT EXISTS topics (
        topic_id VARCHAR PRIMARY KEY,          -- kept across runs while the topic is matched; new: hash of its founding members
        label VARCHAR NOT NULL, top_terms VARCHAR[] NOT NULL, size INTEGER NOT NULL,
        first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ,  -- its conversations' earliest and latest start
        centroid FLOAT[{EMBEDDING_DIM}] NOT NULL, join_similarity DOUBLE,  -- a newcomer joins at this cosine or closer
        model_id VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS conversation_topics (
        conversation_id VARCHAR PRIMARY KEY, topic_id VARCHAR NOT NULL,
        weight DOUBLE NOT NULL,                -- cosine of the conversation's vector to its topic's centroid
        assigned_by VARCHAR NOT NULL, assigned_at TIMESTAMPTZ NOT NULL  -- grouping | nearest (joined between groupings)
    )""",
    """CREATE TABLE IF NOT EXISTS topic_trends (  -- per topic x project ('*': all) x ISO week, for the weeks ending at as_of
        as_of TIMESTAMPTZ NOT NULL, topic_id VARCHAR NOT NULL, project VARCHAR NOT NULL, week DATE NOT NULL,
        iso_week VARCHAR NOT NULL, conversations INTEGER NOT NULL, chunks INTEGER NOT NULL, share DOUBLE NOT NULL,
        trend VARCHAR, trend_tau DOUBLE, trend_p DOUBLE  -- rising | fading | steady over the last weeks (Mann-Kendall)
    )""",
    """CREATE TABLE IF NOT EXISTS topic_runs (
        run_at TIMESTAMPTZ NOT NULL, mode VARCHAR NOT NULL, conversations INTEGER NOT NULL, topics INTEGER NOT NULL,
        kept_topics INTEGER NOT NULL, new_topics INTEGER NOT NULL, unplaced INTEGER NOT NULL, model_id VARCHAR NOT NULL,
        parameters JSON
    )""",
    """CREATE TABLE IF NOT EXISTS session_types (
        conversation_id VARCHAR PRIMARY KEY, session_type VARCHAR NOT NULL, evidence JSON,
        content_hash VARCHAR NOT NULL, classifier_version VARCHAR NOT NULL, classified_at TIMESTAMPTZ NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS idx_chunks_conversation ON conversation_chunks(conversation_id)",
    "CREATE INDEX IF NOT EXISTS idx_chunks_text_hash ON conversation_chunks(text_hash)",
]


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    current = _version(conn)
    if current is not None and current > SCHEMA_VERSION:
        raise RuntimeError(
            f"this warehouse was written by a newer sb-pipeline (schema {current} > {SCHEMA_VERSION}); "
            "upgrade sb-pipeline or point SB_WAREHOUSE elsewhere. It was not modified."
        )
    if current == SCHEMA_VERSION:
        return
    conn.execute("BEGIN TRANSACTION")
    try:
        for statement in DDL:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO sb_meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [str(SCHEMA_VERSION)],
        )
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def _version(conn: duckdb.DuckDBPyConnection) -> int | None:
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'sb_meta'"
    ).fetchall()[0][0]
    if not exists:
        return None
    row = conn.execute("SELECT value FROM sb_meta WHERE key = 'schema_version'").fetchall()
    return int(row[0][0]) if row else None
