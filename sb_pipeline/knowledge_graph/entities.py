"""Entities as the pipeline keeps them: clean names, one type vocabulary, one text recipe.

Session Buddy embedded entities with three different text recipes, so its vectors were not
comparable; here every entity's text is `name (type): observation; observation; ...`, redacted,
and its hash decides when it must be re-embedded. Names are unique only by convention in the
source: entities whose names differ only by case or spacing are merged into the earliest one
(observations united, relationships re-pointed) and the others are recorded as `duplicate_name`.
Two rows with the same source id (possible only in a table without a primary key) would share one
`entity_id`: the first (in created_at, id order) is kept, the others are rejected as `duplicate_id`.
"""

from __future__ import annotations

import difflib
import hashlib
import re

import polars as pl

from sb_pipeline.records import redact
from sb_pipeline.records import excerpt

SOURCE = "knowledge_graph"
# The seed's typed vocabulary plus the kinds Session Buddy users commonly record.
KNOWN_TYPES = (
    "project", "library", "service", "test", "concept", "class", "component", "system",
    "person", "tool", "technology", "framework", "language", "file", "module", "function", "database", "organization",
)
ALIASES = {
    "proj": "project", "repo": "project", "repository": "project", "lib": "library", "package": "library",
    "dependency": "library", "svc": "service", "testcase": "test", "test case": "test", "idea": "concept",
    "org": "organization", "db": "database", "fn": "function", "people": "person",
}
ENTITY_COLUMNS = {
    "entity_id": pl.Utf8, "source_id": pl.Utf8, "name": pl.Utf8, "entity_type": pl.Utf8,
    "observations": pl.List(pl.Utf8), "text": pl.Utf8, "text_hash": pl.Utf8, "secrets_redacted": pl.Int64,
}
RELATION_COLUMNS = {"relationship_id": pl.Utf8, "source_entity_id": pl.Utf8, "target_entity_id": pl.Utf8, "relation_type": pl.Utf8}


def entity_id(source_id: str) -> str:
    return hashlib.sha256(f"{SOURCE}\x1f{source_id}".encode()).hexdigest()[:32]


def normalise_name(name: str | None) -> str:
    """Whitespace collapsed, NUL bytes dropped (as in conversation text)."""
    return " ".join((name or "").replace("\x00", "").split())


def normalise_type(raw: str | None) -> str | None:
    """`Library`, `libary`, `LIBRARIES ` -> library; None when no known type is close enough."""
    text = re.sub(r"[\s_-]+", " ", (raw or "").strip().lower())
    if not text:
        return None
    singular = re.sub(r"ies$", "y", text) if text.endswith("ies") else re.sub(r"(?<=[^s])s$", "", text)
    for candidate in (text, singular):
        if candidate in KNOWN_TYPES:
            return candidate
        if candidate in ALIASES:
            return ALIASES[candidate]
    close = difflib.get_close_matches(singular, KNOWN_TYPES, n=1, cutoff=0.8)
    return close[0] if close else None


def entity_text(name: str, entity_type: str, observations: list[str]) -> str:
    """The one recipe: name, type and every observation, so vectors of all entities compare."""
    return f"{name} ({entity_type})" + (": " + "; ".join(observations) if observations else "")


def normalise_entities(entities: pl.DataFrame, relations: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, list[dict]]:
    """(entities, relationships re-pointed to kept entity ids, rejects)."""
    rejects: list[dict] = []
    kept: dict[str, dict] = {}  # casefolded name -> entity row
    alias_of: dict[str, str] = {}  # source id -> kept entity id
    ordered = entities.sort(["created_at", "source_id"], nulls_last=True)
    seen_ids: set[str] = set()
    for row in ordered.iter_rows(named=True):
        ref = f"kg_entities:{row['source_id']}"
        if row["source_id"] in seen_ids:
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="duplicate_id", excerpt=excerpt(f"{row['name']!r}")))
            continue
        seen_ids.add(row["source_id"])
        name = normalise_name(row["name"])
        if not name:
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="missing_name", excerpt=excerpt(repr(row["name"]))))
            continue
        etype = normalise_type(row["entity_type"])
        if etype is None:
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="unknown_type", excerpt=excerpt(f"{name}: {row['entity_type']!r}")))
            continue
        observations = [normalise_name(o) for o in row["observations"] or [] if o and normalise_name(o)]
        key = name.casefold()
        if key in kept:
            target = kept[key]
            target["observations"] += [o for o in observations if o not in target["observations"]]
            alias_of[row["source_id"]] = target["entity_id"]
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="duplicate_name",
                                excerpt=excerpt(f"{name!r} merged into {target['name']!r} ({target['source_id']})")))
            continue
        kept[key] = {"entity_id": entity_id(row["source_id"]), "source_id": row["source_id"], "name": name,
                     "entity_type": etype, "observations": observations}
        alias_of[row["source_id"]] = kept[key]["entity_id"]
    rows = []
    for entity in kept.values():
        red = [redact(o) for o in entity["observations"]]
        observations = [r.text for r in red]
        text = entity_text(entity["name"], entity["entity_type"], observations)
        rows.append({**entity, "observations": observations, "text": text,
                     "text_hash": hashlib.sha256(text.encode()).hexdigest(), "secrets_redacted": sum(r.count for r in red)})
    frame = pl.DataFrame(rows, schema=ENTITY_COLUMNS, orient="row") if rows else pl.DataFrame(schema=ENTITY_COLUMNS)
    return frame, _relations(relations, alias_of, rejects), rejects


def _relations(relations: pl.DataFrame, alias_of: dict[str, str], rejects: list[dict]) -> pl.DataFrame:
    out, seen = [], set()
    for rid, src, dst, rtype in relations.select("source_id", "from_entity", "to_entity", "relation_type").iter_rows():
        ref = f"kg_relationships:{rid}"
        a, b = alias_of.get(src), alias_of.get(dst)
        if a is None or b is None:
            rejects.append(dict(source=SOURCE, source_ref=ref, reason="dangling_relationship", excerpt=excerpt(f"{src} -> {dst} ({rtype})")))
            continue
        if a == b:
            continue  # both ends merged into one entity: nothing left to relate
        pair = (frozenset((a, b)), rtype)
        if pair in seen:
            continue  # the same relationship stored in both directions
        seen.add(pair)
        out.append({"relationship_id": hashlib.sha256(f"{min(a, b)}\x1f{max(a, b)}\x1f{rtype}".encode()).hexdigest()[:32],
                    "source_entity_id": a, "target_entity_id": b, "relation_type": rtype})
    return pl.DataFrame(out, schema=RELATION_COLUMNS, orient="row") if out else pl.DataFrame(schema=RELATION_COLUMNS)
