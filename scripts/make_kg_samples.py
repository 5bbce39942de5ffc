"""Rebuild the sample Session Buddy knowledge graph under data/samples/ from scratch.

    .venv/bin/python scripts/make_kg_samples.py

Writes knowledge_graph.duckdb (Session Buddy's schema, section 1.3 of the reference), the ground
truth KG_MANIFEST.json and KG_README.md. Texts live in scripts/kg_corpus.py. Everything comes from
fixed seeds and fixed timestamps: KG_MANIFEST.json and KG_README.md are byte-identical on every
run, the DuckDB file's table contents are identical (its bytes may differ).
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kg_corpus as C  # noqa: E402
from sample_corpus import fake_secrets  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
DB_NAME = "knowledge_graph.duckdb"
DB_BLOCK_SIZE = 16384
EMBEDDING_SHARE = 0.45
P_STATED = 0.6
START = datetime(2025, 9, 1, 9, 0, 0)

# Relation types of Session Buddy's type-pair table (reference section 4) and their reverse.
REVERSE = {"uses": "used_by", "connects_to": "serves", "tests": "tested_by", "implements": "applies_to",
           "extends": None, "part_of": "contains", "related_to": "related_to"}
TYPE_PAIRS = {
    ("project", "library"): "uses", ("library", "project"): "used_by",
    ("project", "service"): "connects_to", ("service", "project"): "serves",
    ("test", "project"): "tests", ("project", "test"): "tested_by",
    ("project", "concept"): "implements", ("concept", "project"): "applies_to",
    ("class", "class"): "extends",
    ("component", "system"): "part_of", ("system", "component"): "contains",
}
EXPECTED_TYPE = {"project": "project", "library": "library", "service": "service", "test": "test", "concept": "concept",
                 "class": "class", "component": "component", "system": "system",
                 "Library": "library", "libary": "library", "proj": "project", "Service ": "service", "TEST": "test"}
# Session Buddy's pattern regexes (reference section 4), to mark which stated evidence its extractor would catch.
SB_PATTERNS = {
    "uses": r"\buses\s+(\w+)", "extends": r"\bextends\s+(\w+)", "depends_on": r"\bdepends\s+on\s+(\w+)",
    "part_of": r"\bpart\s+of\s+(\w+)", "implements": r"\bimplements\s+(\w+)", "requires": r"\brequires\s+(\w+)",
    "connects_to": r"\bconnects?\s+to\s+(\w+)", "inherits_from": r"\binherits\s+from\s+(\w+)",
    "integrates_with": r"\bintegrates\s+with\s+(\w+)", "builds_on": r"\bbuilds?\s+on\s+(\w+)",
}
SECRET_OBSERVATION = f"connects to {fake_secrets.POSTGRES_URL} (old DATABASE_URL pasted from the incident channel)"

DDL = """
CREATE TABLE kg_entities (
    id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, entity_type VARCHAR NOT NULL, observations VARCHAR[],
    properties JSON, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    metadata JSON, embedding FLOAT[384]);
CREATE TABLE kg_relationships (
    id VARCHAR PRIMARY KEY, from_entity VARCHAR NOT NULL, to_entity VARCHAR NOT NULL, relation_type VARCHAR NOT NULL,
    properties JSON, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    metadata JSON);
CREATE INDEX idx_entities_name ON kg_entities(name);
CREATE INDEX idx_entities_type ON kg_entities(entity_type);
CREATE INDEX idx_relationships_from ON kg_relationships(from_entity);
CREATE INDEX idx_relationships_to ON kg_relationships(to_entity);
CREATE INDEX idx_relationships_type ON kg_relationships(relation_type);
CREATE TABLE __duckpgq_internal (id VARCHAR, label VARCHAR, property_graph VARCHAR, is_vertex_table BOOLEAN);
"""


def split_key(key: str, default_type: str) -> tuple[str, str]:
    """'Library:tenacity' -> ('tenacity', 'Library'); 'fastapi' -> ('fastapi', default_type)."""
    if ":" in key:
        stored_type, name = key.split(":", 1)
        return name, stored_type
    return key, default_type


def uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def unit_vector(rng: random.Random, dim: int = 384) -> list[float]:
    v = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = math.sqrt(sum(x * x for x in v))
    return [round(x / norm, 3) for x in v]


def mention_re(name: str) -> re.Pattern:
    return re.compile(r"(?<![\w-])" + re.escape(name.strip().lower()) + r"(?![\w-])")


class Graph:
    def __init__(self) -> None:
        self.ids = random.Random("kg-ids")
        self.rng = random.Random("kg-samples")
        self.entities: list[dict] = []
        self.by_key: dict[str, dict] = {}
        self.true: list[dict] = []
        self.clock = START

    def add(self, key: str, name: str, stored_type: str, observations: list[str] | None, expected: dict | None = None) -> dict:
        self.clock += timedelta(hours=self.rng.randint(2, 40), minutes=self.rng.randint(0, 59))
        assert key not in self.by_key, key
        entity = {"key": key, "id": uuid4(self.ids), "name": name, "entity_type": stored_type,
                  "observations": None if observations is None else list(observations), "created_at": self.clock}
        entity["expected"] = expected or {"fate": "kept", "entity_type": EXPECTED_TYPE[stored_type]}
        self.entities.append(entity)
        self.by_key[key] = entity
        return entity

    def relate(self, src: str, dst: str, rtype: str, stated: bool, holder: str, observation: str | None) -> None:
        """A true relation src -> dst; `observation` is the evidence (or hint) added to entity `holder`."""
        if observation is not None:
            obs = self.by_key[holder]["observations"]
            if obs is not None and observation not in obs:
                obs.append(observation)
        self.true.append({"from": src, "to": dst, "relation_type": rtype, "stated": stated,
                          "holder": holder, "observation": observation})

    def stated(self, p: float = P_STATED) -> bool:
        return self.rng.random() < p


def build_graph() -> Graph:
    g = Graph()
    rng = g.rng
    # The order of creation is the order of created_at: base things first, as a developer would record them.
    for key, (obs, _hint) in C.SERVICES.items():
        name, stype = split_key(key, "service")
        g.add(name, name, stype, obs)
    for key, (obs, _hint) in C.LIBRARIES.items():
        name, stype = split_key(key, "library")
        g.add(name, name, stype, obs)
    for name, (obs, _hint) in C.CONCEPTS.items():
        g.add(name, name, "concept", obs)
    for name, obs in C.SYSTEMS:
        g.add(name, name, "system", obs)
    for name, obs, _parent in C.CLASSES:
        g.add(name, name, "class", obs)
    for name, _system, obs in C.COMPONENTS:
        g.add(name, name, "component", obs)

    tests: list[tuple[str, str, str, str]] = []
    for pkey, stype, desc, libs, services, concepts, ptests, extra in C.PROJECTS:
        pname, stype = split_key(pkey, stype)
        g.add(pname, pname, stype, list(desc))
        pending_uses: list[str] = []
        for lkey in libs:
            lname, _ = split_key(lkey, "library")
            if g.stated():
                if rng.random() < 0.3:
                    pending_uses.append(lname)  # stated later in one "uses a, b and c" observation
                    continue
                verb = rng.choice(["uses", "uses", "depends on", "requires", "builds on"])
                g.relate(pname, lname, "uses", True, pname, f"{verb} {lname}")
            else:
                g.relate(pname, lname, "uses", False, pname, C.LIBRARIES[lkey][1])
        if pending_uses:
            listed = pending_uses[0] if len(pending_uses) == 1 else ", ".join(pending_uses[:-1]) + " and " + pending_uses[-1]
            for lname in pending_uses:
                g.relate(pname, lname, "uses", True, pname, f"uses {listed}")
        for skey in services:
            sname, _ = split_key(skey, "service")
            if g.stated():
                verb = rng.choice(["connects to", "connects to", "integrates with", "depends on", "talks to"])
                g.relate(pname, sname, "connects_to", True, pname, f"{verb} {sname}")
            else:
                g.relate(pname, sname, "connects_to", False, pname, C.SERVICES[skey][1])
        for cname in concepts:
            if g.stated():
                g.relate(pname, cname, "implements", True, pname, f"implements {cname}")
            else:
                g.relate(pname, cname, "implements", False, pname, C.CONCEPTS[cname][1])
        for line in extra:
            g.by_key[pname]["observations"].append(line)
        for tkey, sentence in (ptests | C.EXTRA_TESTS.get(pname, {})).items():
            tname, ttype = split_key(tkey, "test")
            tests.append((tname, ttype, sentence, pname))

    # Tests are recorded later, interleaved (as failures and fixes come up).
    rng.shuffle(tests)
    for tname, ttype, sentence, pname in tests:
        g.add(tname, tname, ttype, [sentence])
        if g.stated(0.55):
            phrase = rng.choice(["tests {}", "tests {}", "tests {}", "regression test for {}"]).format(pname)
            g.relate(tname, pname, "tests", True, tname, phrase)
        else:
            g.relate(tname, pname, "tests", False, tname, None)
        if rng.random() < 0.5:
            g.by_key[tname]["observations"].append(rng.choice(C.TEST_NOISE))
        if rng.random() < 0.3:
            g.by_key[tname]["observations"].append(f"located in tests/{rng.choice(['unit', 'integration', 'e2e'])}/{tname}.py")

    for src, dst, stated_obs, implicit_obs in C.RELATED:
        stated = g.stated() or stated_obs == implicit_obs
        g.relate(src, dst, "related_to", stated, src, stated_obs if stated else implicit_obs)
    for name, _obs, parent in C.CLASSES:
        if parent:
            stated = g.stated(0.7)
            g.relate(name, parent, "extends", stated, name, f"extends {parent}" if stated else "inherits the common methods of its base class")
        if name in C.CLASS_HOME:
            home = C.CLASS_HOME[name]
            stated = g.stated()
            g.relate(name, home, "related_to", stated, name, f"defined in {home}" if stated else None)
    system_hint = {"billing-system": "one piece of the invoicing and payments machinery",
                   "observability-stack": "one piece of the logging, metrics and tracing setup"}
    for name, system, _obs in C.COMPONENTS:
        stated = g.stated()
        g.relate(name, system, "part_of", stated, name, f"part of {system}" if stated else system_hint[system])
        if name in C.COMPONENT_HOME:
            home = C.COMPONENT_HOME[name]
            stated = g.stated()
            g.relate(name, home, "related_to", stated, name, f"implemented in {home}" if stated else None)

    # The secret: a pasted connection string. backup-runner does connect to postgres, and this line
    # states it ("connects to postgresql://..."), so it becomes that relation's evidence.
    obs = g.by_key["backup-runner"]["observations"]
    for t in g.true:
        if (t["from"], t["to"]) == ("backup-runner", "postgres"):
            if not t["stated"]:
                obs.remove(t["observation"])
                t.update(stated=True, observation=SECRET_OBSERVATION)
    obs.append(SECRET_OBSERVATION)

    # Trap-only entities; the duplicate name comes last, so the earlier "FastAPI" is the one kept.
    for key, name, stype, obs in C.TRAP_ENTITIES:
        if key in ("empty_name", "whitespace_name"):
            expected = {"fate": "rejected", "reason": "missing_name"}
        elif key == "unknown_type":
            expected = {"fate": "rejected", "reason": "unknown_type"}
        else:
            expected = {"fate": "rejected", "reason": "duplicate_name", "duplicate_of": g.by_key["FastAPI"]["id"]}
        g.add(key, name, stype, obs, expected)

    # Observations are shuffled a little (Session Buddy keeps them in the order they were added).
    for e in g.entities:
        if e["observations"] and len(e["observations"]) > 2 and e["entity_type"] not in ("test", "TEST"):
            head, tail = e["observations"][:1], e["observations"][1:]
            rng.shuffle(tail)
            e["observations"] = head + tail
        e["updated_at"] = e["created_at"] + timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
    return g


EXISTING = [  # (from key, to key, stored relation_type, note)
    ("acme-api", "duplicate_name", "uses", "points at the duplicate-name entity 'fastapi '"),
    ("storefront-web", "react", "uses", None),
    ("logtail-rs", "clap", "uses", None),
    ("data-platform", "dagster", "uses", None),
    ("dagster", "data-platform", "uses", "mirrored duplicate of data-platform -> dagster"),
    ("billing-api", "stripe-python", "uses", None),
    ("InvoiceRepository", "BaseRepository", "extends", None),
    ("UserRepository", "BaseRepository", "extends", None),
    ("OrderRepository", "BaseRepository", "extends", None),
    ("RetryingWorker", "BaseWorker", "extends", None),
    ("WebhookWorker", "RetryingWorker", "extends", None),
    ("billing-worker", "celery", "depends_on", None),
    ("chat-gateway", "tokio", "depends_on", None),
    ("catalog-api", "sqlalchemy", "depends_on", None),
    ("order-service", "celery", "depends_on", None),
    ("search-indexer", None, "depends_on", "dangling: to_entity is not an entity id"),
    ("embed-service", "sentence-transformers", "requires", None),
    ("ml-ranker", "torch", "requires", None),
    ("acme-api", "postgres", "connects_to", None),
    ("order-service", "rabbitmq", "connects_to", None),
]


def build_existing(g: Graph) -> list[dict]:
    rng = random.Random("kg-relationships")
    ids = random.Random("kg-relationship-ids")
    out = []
    clock = max(e["created_at"] for e in g.entities)
    resolve = {e["id"]: (g.by_key["FastAPI"]["id"] if e["key"] == "duplicate_name" else e["id"]) for e in g.entities}
    true_index = {(t["from_id"], t["to_id"]): i for i, t in enumerate(g.true)}
    for src, dst, rtype, note in EXISTING:
        clock += timedelta(hours=rng.randint(1, 30))
        rid = uuid4(ids)
        from_id = g.by_key[src]["id"]
        to_id = g.by_key[dst]["id"] if dst else uuid4(random.Random("kg-dangling"))
        evidence = [o for o in g.by_key[src]["observations"] or [] if dst and mention_re(g.by_key[dst]["name"]).search(o.lower())]
        props = None
        if evidence and rng.random() < 0.5:
            props = {"confidence": "medium", "discovery_method": "pattern", "evidence": evidence[:1]}
        a, b = resolve.get(from_id), resolve.get(to_id)
        match = true_index.get((a, b), true_index.get((b, a)))
        out.append({"id": rid, "from_entity": from_id, "to_entity": to_id, "relation_type": rtype, "properties": props,
                    "created_at": clock, "updated_at": clock, "metadata": {"source": "mcp:create_relation"} if rng.random() < 0.5 else None,
                    "note": note, "dangling": dst is None, "true_relationship": match})
    first = {(r["from_entity"], r["to_entity"], r["relation_type"]): r["id"] for r in out}
    for r in out:
        r["mirror_of"] = first.get((r["to_entity"], r["from_entity"], r["relation_type"])) if r["note"] and "mirrored" in r["note"] else None
    return out


def sb_pattern_hit(text: str, name: str) -> str | None:
    """The Session Buddy pattern type whose regex captures a target matching `name` in `text`, if any."""
    name = name.strip().lower()
    for ptype, pat in SB_PATTERNS.items():
        for m in re.finditer(pat, text):
            if m.group(1) in name or name in m.group(1):
                return ptype
    return None


def finish_true(g: Graph) -> None:
    """Resolve keys to ids, mark SB-pattern hits and name mentions."""
    for t in g.true:
        src, dst = g.by_key[t["from"]], g.by_key[t["to"]]
        t["from_id"], t["to_id"] = src["id"], dst["id"]
        t["from_type"], t["to_type"] = src["expected"]["entity_type"], dst["expected"]["entity_type"]
        table = TYPE_PAIRS.get((t["from_type"], t["to_type"]), "related_to")
        assert t["relation_type"] == table or t["relation_type"] == "related_to", t
        t["sb_pattern"] = sb_pattern_hit(t["observation"].lower(), dst["name"]) if t["stated"] else None
        text_a = " ".join(src["observations"] or []).lower()
        text_b = " ".join(dst["observations"] or []).lower()
        t["name_mentioned"] = bool(mention_re(dst["name"]).search(text_a) or mention_re(src["name"]).search(text_b))


def prose_mentions(g: Graph) -> list[dict]:
    """Observations naming another entity that is NOT a true relation of it (traps for name matching)."""
    related = {frozenset((t["from_id"], t["to_id"])) for t in g.true}
    named = [e for e in g.entities if e["expected"]["fate"] == "kept" and len(e["name"].strip()) >= 3]
    out = []
    for e in g.entities:
        if e["expected"]["fate"] != "kept":
            continue
        for obs in e["observations"] or []:
            low = obs.lower()
            for other in named:
                if other is e or not mention_re(other["name"]).search(low):
                    continue
                if frozenset((e["id"], other["id"])) in related:
                    continue
                pattern = sb_pattern_hit(low, other["name"]) is not None
                out.append({"entity_id": e["id"], "entity": e["name"], "mentions_id": other["id"], "mentions": other["name"],
                            "observation": obs, "sb_pattern_phrase": pattern})
    return out


def write_db(path: Path, g: Graph, existing: list[dict]) -> None:
    rng = random.Random("kg-embeddings")
    n = len(g.entities)
    with_vec = set(rng.sample(range(n), round(EMBEDDING_SHARE * n)))
    meta_rng = random.Random("kg-metadata")
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS kg (BLOCK_SIZE {DB_BLOCK_SIZE})")
    con.execute("USE kg")
    con.execute(DDL)
    for i, e in enumerate(g.entities):
        props = {"source": "session-buddy"} if meta_rng.random() < 0.6 else None
        meta = {"created_via": meta_rng.choice(["mcp:create_entity", "mcp:add_observation", "migration"])} if meta_rng.random() < 0.5 else None
        vec = unit_vector(rng) if i in with_vec else None
        con.execute("INSERT INTO kg_entities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [e["id"], e["name"], e["entity_type"], e["observations"], json.dumps(props) if props else None,
                     e["created_at"], e["updated_at"], json.dumps(meta) if meta else None, vec])
        e["has_embedding"] = vec is not None
    for r in existing:
        con.execute("INSERT INTO kg_relationships VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [r["id"], r["from_entity"], r["to_entity"], r["relation_type"],
                     json.dumps(r["properties"]) if r["properties"] else None, r["created_at"], r["updated_at"],
                     json.dumps(r["metadata"]) if r["metadata"] else None])
    con.execute("INSERT INTO __duckpgq_internal VALUES ('knowledge_graph', 'kg_entities', 'knowledge_graph', true), "
                "('knowledge_graph', 'kg_relationships', 'knowledge_graph', false)")
    con.execute("CHECKPOINT kg")
    con.execute("USE memory")
    con.execute("DETACH kg")
    con.close()
    assert not Path(str(path) + ".wal").exists()


def ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")


def manifest(g: Graph, existing: list[dict], mentions: list[dict]) -> dict:
    stored = Counter(e["entity_type"] for e in g.entities)
    expected = Counter(e["expected"]["entity_type"] if e["expected"]["fate"] == "kept" else "rejected:" + e["expected"]["reason"]
                       for e in g.entities)
    by_id = {e["id"]: e for e in g.entities}
    secret_entity = g.by_key["backup-runner"]
    traps = {
        "missing_name": [g.by_key["empty_name"]["id"], g.by_key["whitespace_name"]["id"]],
        "unknown_type": [g.by_key["unknown_type"]["id"]],
        "duplicate_name": [{"id": g.by_key["duplicate_name"]["id"], "name": g.by_key["duplicate_name"]["name"],
                            "duplicate_of": g.by_key["FastAPI"]["id"], "duplicate_of_name": "FastAPI"}],
        "type_spellings": [{"id": e["id"], "name": e["name"], "stored": e["entity_type"], "expected": e["expected"]["entity_type"]}
                           for e in g.entities if e["expected"]["fate"] == "kept" and e["entity_type"] != e["expected"]["entity_type"]],
        "null_observations": [g.by_key["hyper"]["id"]],
        "empty_observations": [g.by_key["minio"]["id"]],
        "secret_in_observation": [{"entity_id": secret_entity["id"], "entity": "backup-runner", "kind": "postgres_url_with_password",
                                   "value": fake_secrets.POSTGRES_URL, "must_not_survive": fake_secrets.POSTGRES_PASSWORD,
                                   "observation": SECRET_OBSERVATION}],
        "stored_embeddings_to_ignore": sorted(e["id"] for e in g.entities if e["has_embedding"]),
        "ignored_tables": ["__duckpgq_internal"],
        "relationship_to_duplicate_name": [r["id"] for r in existing if r["note"] and "duplicate-name" in r["note"]],
        "mirrored_relationship": [r["id"] for r in existing if r["mirror_of"]],
        "dangling_relationship": [r["id"] for r in existing if r["dangling"]],
    }
    true_rows = []
    for t in g.true:
        true_rows.append({"from": t["from_id"], "to": t["to_id"], "from_name": t["from"], "to_name": t["to"],
                          "from_type": t["from_type"], "to_type": t["to_type"], "relation_type": t["relation_type"],
                          "reverse_type": REVERSE[t["relation_type"]], "evidence": "stated" if t["stated"] else "implicit",
                          "observation": t["observation"], "observation_on": by_id[g.by_key[t["holder"]]["id"]]["id"] if t["observation"] else None,
                          "sb_pattern": t["sb_pattern"], "name_mentioned": t["name_mentioned"]})
    true_counts = Counter((t["relation_type"], "stated" if t["stated"] else "implicit") for t in g.true)
    kept_ids = {e["id"] for e in g.entities if e["expected"]["fate"] == "kept"}
    return {
        "generated_by": "scripts/make_kg_samples.py",
        "database": f"data/samples/{DB_NAME}",
        "rules": {
            "entity_text": "name (type): observation; observation; ... (the pipeline's recipe; stored embeddings are ignored)",
            "type_aliases": {k: v for k, v in EXPECTED_TYPE.items() if k != v},
            "rejection_reasons": ["missing_name", "unknown_type", "duplicate_name"],
            "duplicate_rule": "names equal after whitespace collapse and casefold; the earliest created_at is kept",
            "relation_types": {f"{a}->{b}": t for (a, b), t in TYPE_PAIRS.items()} | {"otherwise": "related_to"},
            "true_relationship_direction": "each true relationship is listed once, in the direction of the table "
                                           "(project->library uses ...); reverse_type names the same pair the other way; "
                                           "pairs are undirected for precision",
            "evidence": "stated = an observation of one endpoint names the other with a relation phrase "
                        "('uses fastapi', 'tests acme-api', 'calls catalog-api'); implicit = no observation names it "
                        "(a hint in other words, or nothing at all: observation null); sb_pattern = the Session Buddy "
                        "pattern regex that would catch the stated phrase, or null",
        },
        "counts": {
            "entities": len(g.entities),
            "by_stored_type": dict(sorted(stored.items())),
            "by_expected_type": dict(sorted(expected.items())),
            "kept_entities": len(kept_ids),
            "with_stored_embedding": sum(e["has_embedding"] for e in g.entities),
            "existing_relationships": len(existing),
            "existing_by_type": dict(sorted(Counter(r["relation_type"] for r in existing).items())),
            "true_relationships": len(g.true),
            "true_stated": sum(t["stated"] for t in g.true),
            "true_implicit": sum(not t["stated"] for t in g.true),
            "true_by_type": {f"{k[0]}:{k[1]}": v for k, v in sorted(true_counts.items())},
            "true_stated_caught_by_sb_patterns": sum(bool(t["sb_pattern"]) for t in g.true),
            "prose_mentions_not_related": len(mentions),
        },
        "traps": traps,
        "entities": [{"id": e["id"], "name": e["name"], "entity_type": e["entity_type"], "expected": e["expected"],
                      "observations": e["observations"], "created_at": ts(e["created_at"]), "has_stored_embedding": e["has_embedding"]}
                     for e in g.entities],
        "existing_relationships": [{"id": r["id"], "from_entity": r["from_entity"], "to_entity": r["to_entity"],
                                    "relation_type": r["relation_type"], "dangling": r["dangling"], "mirror_of": r["mirror_of"],
                                    "note": r["note"],
                                    "true_relationship": None if r["true_relationship"] is None else true_rows[r["true_relationship"]] | {"index": r["true_relationship"]}}
                                   for r in existing],
        "true_relationships": true_rows,
        "prose_mentions_not_related": mentions,
    }


README = """# Sample knowledge graph

`knowledge_graph.duckdb` is an invented developer's Session Buddy knowledge graph, with the real
schema (`kg_entities`, `kg_relationships`, plus the `__duckpgq_internal` table DuckPGQ leaves
behind). Generated by `scripts/make_kg_samples.py` (texts in `scripts/kg_corpus.py`); do not edit
by hand, change the generator and run

    .venv/bin/python scripts/make_kg_samples.py

`KG_MANIFEST.json` and this file are byte-identical on every run; the DuckDB file's bytes may
differ but not its contents. 16 KiB blocks, checkpointed, no `.wal`.

## Contents

{counts_table}

The mix follows the seed's real graph (597 entities: test 52%, project 23%, library 15%,
service 10%, concept < 1%), here {n} entities. {n_vec} entities ({pct_vec}) carry a random
unit vector in `embedding`: stand-ins for vectors written by Session Buddy's other text recipes;
the pipeline must ignore them.

Existing relationships ({n_existing}, as in the seed: a handful of manual edges): {existing_types}.
One is stored in both directions (mirrored duplicate), one points at an entity id that does not
exist (dangling), one points at the duplicate-name entity `fastapi ` (must be re-pointed at `FastAPI`).

## Ground truth: `KG_MANIFEST.json`

- `entities`: every row with its stored type and its expected fate: `kept` with the normalised
  type, or `rejected` with `missing_name`, `unknown_type` or `duplicate_name` (+ `duplicate_of`).
- `true_relationships` ({n_true}: {n_stated} stated, {n_implicit} implicit): the relations the graph
  was built from, one per pair in the direction of Session Buddy's type-pair table
  (project->library `uses`, service `connects_to`, concept `implements`, test->project `tests`,
  class->class `extends`, component->system `part_of`, otherwise `related_to`). *Stated* means an
  observation names the other end with a relation phrase (`uses fastapi`, `tests acme-api`,
  `calls catalog-api`); {n_sb} of them are caught by Session Buddy's own pattern regexes. *Implicit*
  means no observation names it: the source carries a paraphrase ("async HTTP endpoints with
  auto-generated OpenAPI docs") or nothing, so only similarity can find it. Any discovered edge
  between two kept entities that is not in this list (in either direction) is a false positive.
- `prose_mentions_not_related` ({n_mentions}): observations that name another entity without being
  related to it ("considered kafka for audit events but dropped the idea", "no longer uses
  sqlalchemy directly"), traps for name matching.
- `existing_relationships`: the stored edges with `mirror_of`, `dangling` and the true relation each one matches.
- `traps`: ids of every planted trap.

## Planted traps

- names: one empty, one whitespace-only (`missing_name`); `FastAPI` and, created later, `fastapi `
  (`duplicate_name`, merged into `FastAPI`).
- types: `Library`, `libary`, `proj`, `Service `, `TEST` (normalise to library, library, project,
  service, test) and `widget-thing` (`unknown_type`).
- observations: `hyper` has NULL observations, `minio` an empty list; `backup-runner` has an
  observation with a PostgreSQL URL containing a password (`{secret}`), which must not survive.
- stored `embedding` vectors (random) and the `__duckpgq_internal` table (2 junk rows) must be ignored.
"""


def readme(m: dict) -> str:
    c = m["counts"]
    rows = ["| stored type | entities |", "|---|---|"] + [f"| `{k}` | {v} |" for k, v in
                                                            sorted(c["by_stored_type"].items(), key=lambda kv: (-kv[1], kv[0]))]
    return README.format(
        counts_table="\n".join(rows), n=c["entities"], n_vec=c["with_stored_embedding"],
        pct_vec=f"{100 * c['with_stored_embedding'] / c['entities']:.0f}%", n_existing=c["existing_relationships"],
        existing_types=", ".join(f"{k} {v}" for k, v in c["existing_by_type"].items()), n_true=c["true_relationships"],
        n_stated=c["true_stated"], n_implicit=c["true_implicit"], n_sb=c["true_stated_caught_by_sb_patterns"],
        n_mentions=c["prose_mentions_not_related"], secret=fake_secrets.POSTGRES_URL,
    )


def main() -> None:
    g = build_graph()
    finish_true(g)
    existing = build_existing(g)
    mentions = prose_mentions(g)
    write_db(SAMPLES / DB_NAME, g, existing)
    m = manifest(g, existing, mentions)
    (SAMPLES / "KG_MANIFEST.json").write_text(json.dumps(m, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (SAMPLES / "KG_README.md").write_text(readme(m), encoding="utf-8")
    print(json.dumps(m["counts"], indent=1))


if __name__ == "__main__":
    main()
