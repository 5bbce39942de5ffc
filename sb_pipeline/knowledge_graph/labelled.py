"""The labelled graphs the relationship model is fitted and judged on, read into one shape.

Why one shape: the model must hold on graphs it never saw, so it is fitted on all graphs but one and tested
on the one left out, for every graph; that needs every graph as discovery sees a user's graph (entities
with the pipeline's text recipe, the relationships Session Buddy already holds, the user's conversations if
any) plus its truth. Each graph's provenance is in its folder's PROVENANCE.md:

- `umls`: the UMLS semantic network (135 concepts, names only). Its files have no source split, so 30 % of
  the true pairs (the lowest sha256 of `umls\\x1f<a>\\x1f<b>`, the rule the other graphs' generators use)
  stand for the relationships already held; the rest are to be discovered.
- `debian`: 500 Debian packages installed on one machine (descriptions; truth from Depends and Source).
- `devgraph`: a synthetic developer graph with 618 conversations naming its entities.
- `samples`: the shipped sample graph (data/samples/knowledge_graph.duckdb) through the real reader and
  normalisation, truth from KG_MANIFEST.json's `true_relationships`, source = its stored relationships. Only
  from a source checkout (the samples are not package data); see `samples_graph`.

`positives` are the true pairs NOT already held in the source graph: what discovery is scored on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sb_pipeline.knowledge_graph.entities import entity_id, entity_text, normalise_entities

LABELLED = Path(__file__).resolve().parent / "labelled"
FOLDERS = {"umls": LABELLED, "debian": LABELLED / "debian", "devgraph": LABELLED / "devgraph"}
UMLS_SOURCE_SHARE = 0.3


@dataclass(frozen=True)
class LabelledGraph:
    name: str
    entities: pl.DataFrame  # entity_id, name, entity_type, observations, text, text_hash
    source_pairs: list[tuple[str, str]]  # the relationships already held (entity ids)
    positives: set[frozenset[str]]  # true pairs to discover (not in the source)
    conversations: pl.DataFrame | None  # conversation_id, project, content (None: the graph has none)

    @property
    def pairs(self) -> int:
        n = self.entities.height
        return n * (n - 1) // 2 - len({frozenset(p) for p in self.source_pairs})


def _tsv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", quote_char=None, infer_schema_length=0)


def _frame(ids: list[str], names: list[str], types: list[str], observations: list[list[str]]) -> pl.DataFrame:
    texts = [entity_text(n, t, o) for n, t, o in zip(names, types, observations)]
    return pl.DataFrame({"entity_id": ids, "name": names, "entity_type": types, "observations": observations, "text": texts,
                         "text_hash": [hashlib.sha256(t.encode()).hexdigest() for t in texts]},
                        schema={"entity_id": pl.Utf8, "name": pl.Utf8, "entity_type": pl.Utf8, "observations": pl.List(pl.Utf8),
                                "text": pl.Utf8, "text_hash": pl.Utf8})


def _held_by_hash(graph: str, pairs: list[tuple[str, str]], share: float) -> set[frozenset[str]]:
    ranked = sorted(pairs, key=lambda p: hashlib.sha256(f"{graph}\x1f{p[0]}\x1f{p[1]}".encode()).hexdigest())
    return {frozenset(p) for p in ranked[: round(share * len(ranked))]}


def tsv_graph(name: str) -> LabelledGraph:
    """umls, debian or devgraph from the committed files."""
    folder = FOLDERS[name]
    entities = _tsv(folder / "entities.tsv")
    observations = ([json.loads(o) if o else [] for o in entities["observations"].to_list()] if "observations" in entities.columns
                    else [[] for _ in range(entities.height)])
    frame = _frame(entities["entity_id"].to_list(), entities["name"].to_list(), entities["entity_type"].to_list(), observations)
    pairs = _tsv(folder / "pairs.tsv").filter(pl.col("label") == "1")
    true = [(a, b) for a, b in pairs.select("entity_a", "entity_b").iter_rows()]
    if (folder / "source_relationships.tsv").exists():
        source = [(a, b) for a, b in _tsv(folder / "source_relationships.tsv").select("source_entity_id", "target_entity_id").iter_rows()]
    else:
        source = [tuple(sorted(p)) for p in _held_by_hash(name, true, UMLS_SOURCE_SHARE)]
    held = {frozenset(p) for p in source}
    conversations = None
    inbox = folder / "conversations" / "inbox.jsonl"
    if inbox.exists():
        rows = [json.loads(line) for line in inbox.read_text(encoding="utf-8").splitlines() if line.strip()]
        conversations = pl.DataFrame({"conversation_id": [r["id"] for r in rows], "project": [r.get("project") for r in rows],
                                      "content": [r["content"] for r in rows]})
    return LabelledGraph(name, frame, source, {frozenset(p) for p in true} - held, conversations)


def samples_graph(graph_db: Path, manifest: Path, snapshot_dir: Path) -> LabelledGraph:
    """The shipped sample graph as the pipeline reads it, with the manifest's truth."""
    from sb_pipeline.sources.knowledge_graph_db import read_knowledge_graph
    from datetime import timezone

    read = read_knowledge_graph(graph_db, snapshot_dir, timezone.utc)
    entities, relations, _ = normalise_entities(read.entities, read.relations)
    truth = json.loads(manifest.read_text())
    kept = set(entities["entity_id"].to_list())
    merged = {entity_id(t["id"]): entity_id(t["duplicate_of"]) for t in truth["traps"].get("duplicate_name", [])}
    true = set()
    for t in truth["true_relationships"]:
        a, b = (merged.get(entity_id(x), entity_id(x)) for x in (t["from"], t["to"]))
        if a in kept and b in kept and a != b:
            true.add(frozenset((a, b)))
    source = [(a, b) for a, b in relations.select("source_entity_id", "target_entity_id").iter_rows()]
    frame = _frame(entities["entity_id"].to_list(), entities["name"].to_list(), entities["entity_type"].to_list(),
                   entities["observations"].to_list())
    return LabelledGraph("samples", frame, source, true - {frozenset(p) for p in source}, None)


def all_graphs(samples_db: Path | None = None, samples_manifest: Path | None = None, snapshot_dir: Path | None = None) -> list[LabelledGraph]:
    """umls, debian, devgraph, and the samples when their files are given (a source checkout)."""
    graphs = [tsv_graph(name) for name in FOLDERS]
    if samples_db is not None and samples_manifest is not None and samples_db.exists() and samples_manifest.exists():
        graphs.append(samples_graph(samples_db, samples_manifest, snapshot_dir or samples_db.parent))
    return graphs
