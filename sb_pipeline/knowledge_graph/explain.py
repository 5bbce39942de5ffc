"""An edge's evidence in words, for people: why the pipeline thinks two entities are related.

Why: a probability alone asks for trust; the evidence behind it lets a user check it in a second ("named
together in 4 conversations (lift 6.2); `acme-api-tests` contains `acme-api`; cosine 0.71, mutual"). The
phrases come from the edge's `evidence` JSON (discovery.py), strongest kinds first.
"""

from __future__ import annotations

import json
import math

from sb_pipeline.knowledge_graph.names import contains_parts, name_key, name_parts


def explain(evidence: dict, source: str, target: str, names: dict[str, str] | None = None) -> str:
    """One line of evidence for the edge `source` - `target`; `names` maps entity ids to names (observers)."""
    names = names or {}
    f = evidence.get("features", {})
    parts = [_observation(evidence, names), _co_mention(evidence, f), _names(evidence, f, source, target),
             _structure(evidence), _similarity(f)]
    return "; ".join(p for p in parts if p)


def _observation(evidence: dict, names: dict[str, str]) -> str:
    if evidence.get("observation"):
        by = names.get(evidence.get("observed_by") or "", "an observation")
        return f"{by} says \"{evidence['observation']}\""
    if evidence.get("named_by"):
        who = ", ".join(names.get(i, "one") for i in evidence["named_by"])
        return f"named in the observations of {who}"
    return ""


def _co_mention(evidence: dict, f: dict) -> str:
    co = evidence.get("co_mention") or {}
    together = co.get("conversations") or 0
    if together:
        lift = math.exp(co.get("pmi") or 0.0)
        word = "conversation" if together == 1 else "conversations"
        return f"named together in {together} {word} (lift {lift:.1f})"
    if f.get("comention_known"):
        return "both named in your conversations, never together"
    return ""


def _names(evidence: dict, f: dict, source: str, target: str) -> str:
    if f.get("name_contains"):
        a, b = sorted((source, target), key=lambda s: len(name_parts(name_key(s))))
        if contains_parts(name_parts(name_key(a)), name_parts(name_key(b))):
            return f"`{b}` contains `{a}`"
    stems = evidence.get("shared_stems") or []
    return f"names share `{'`, `'.join(stems)}`" if stems else ""


def _structure(evidence: dict) -> str:
    common = evidence.get("common_neighbors") or 0
    return f"{common} shared neighbour{'s' if common != 1 else ''} among the relationships you keep" if common else ""


def _similarity(f: dict) -> str:
    if "cosine" not in f:
        return ""
    text = f"cosine {f['cosine']:.2f}"
    if f.get("mutual_knn"):
        return text + ", mutual"
    best = f.get("rank_best_inv") or 0.0
    return text + (f", rank {round(1 / best)}" if best else "")


def described(entity: dict, edges) -> list[dict]:
    """An entity's relationships (rows of `warehouse.knowledge_graph.relationships_of`) as dicts with the evidence
    parsed and the `why` line: what `sb-pipeline related` prints and the MCP server's related_entities returns."""
    rows = edges.to_dicts()
    for r in rows:
        evidence = json.loads(r["evidence"]) if isinstance(r.get("evidence"), str) and r["evidence"] else None
        names = {entity["entity_id"]: entity["name"], r["other_id"]: r["other"]}
        r["evidence"] = evidence
        r["why"] = explain(evidence, entity["name"], r["other"], names) if evidence else "stored in your knowledge graph"
    return rows
