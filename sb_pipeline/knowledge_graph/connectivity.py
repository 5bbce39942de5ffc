"""Connectivity of the knowledge graph, with Session Buddy's formulas so the numbers compare.

ratio = |E|/|V| and avg_degree = 2|E|/|V| (3 dp), isolated = entities with no edge either way,
embedding_coverage a fraction, health bands by ratio (>= 0.5 excellent, >= 0.2 good, >= 0.1
fair, else poor) and the seed's recommendations. Edges are undirected pairs: a relationship
stored in both directions counts once (Session Buddy counted it twice). Added: connected
components, the largest component's share and the degree distribution, which say more about a
graph's usefulness than an edge count.
"""

from __future__ import annotations

from collections import Counter

BANDS = ((0.5, "excellent"), (0.2, "good"), (0.1, "fair"))


def health(ratio: float) -> str:
    return next((name for floor, name in BANDS if ratio >= floor), "poor")


def recommendations(ratio: float, coverage: float, isolated_share: float, precision_note: str | None = None) -> list[str]:
    out = []
    if ratio < 0.2:
        out.append("Connectivity is low: make sure every entity has a vector (entity_embeddings), then re-run discovery; "
                   "the edges below the publication cut are in relationship_candidates (sb-pipeline related NAME --candidates), "
                   "and a lower publish_cut in the run config publishes them, less reliably.")
    elif coverage < 0.8:
        out.append("Embedding coverage is below 80%: materialize entity_embeddings.")
    if isolated_share > 0.5:
        out.append(f"{isolated_share:.0%} of entities have no relationship: add observations that name related entities "
                   "(\"uses X\", \"connects to Y\"); they are the strongest evidence discovery has.")
    if precision_note:
        out.append(precision_note)
    return out or ["Graph is healthy: keep recording observations that name related entities."]


def connectivity_report(entity_types: dict[str, str], source_edges: list[tuple[str, str, str]],
                        discovered_edges: list[tuple[str, str, str]], embedded: int, candidates: int = 0,
                        evidence_kinds: dict[str, int] | None = None) -> dict:
    """entity_types: id -> type; edges: (a, b, relation_type) in any direction, duplicates allowed.
    Edges touching unknown entities (dangling) and self-loops are not counted. `discovered_edges` are the
    published ones (the graph a user sees); `candidates` (below the publication cut) are counted beside them,
    never in the ratio or the health band; `evidence_kinds`: published edges carrying each kind of evidence."""
    import networkx as nx
    graph = nx.Graph()
    graph.add_nodes_from(entity_types)
    types_by_pair: dict[frozenset, str] = {}
    origin: dict[frozenset, str] = {}
    for label, edges in (("source", source_edges), ("discovered", discovered_edges)):
        for a, b, rtype in edges:
            if a != b and a in entity_types and b in entity_types:
                pair = frozenset((a, b))
                types_by_pair.setdefault(pair, rtype)
                origin.setdefault(pair, label)
                graph.add_edge(a, b)
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    ratio = round(m / n, 3) if n else 0.0
    isolated = sum(1 for _, d in graph.degree() if d == 0)
    components = sorted((len(c) for c in nx.connected_components(graph)), reverse=True)
    degrees = Counter(d for _, d in graph.degree())
    coverage = round(embedded / n, 3) if n else 0.0
    isolated_share = round(isolated / n, 3) if n else 0.0
    return {
        "entities": n,
        "edges": m,
        "source_edges": sum(1 for v in origin.values() if v == "source"),
        "discovered_edges": sum(1 for v in origin.values() if v == "discovered"),
        "candidates": candidates,
        "connectivity_ratio": ratio,
        "avg_degree": round(2 * m / n, 3) if n else 0.0,
        "isolated_entities": isolated,
        "isolated_share": isolated_share,
        "embedding_coverage": coverage,
        "components": len(components),
        "largest_component_share": round(components[0] / n, 3) if n else 0.0,
        "health": health(ratio),
        "entity_types": dict(sorted(Counter(entity_types.values()).items())),
        "relation_types": dict(sorted(Counter(types_by_pair.values()).items())),
        "degree_distribution": {str(k): v for k, v in sorted(degrees.items())},
        "evidence_kinds": dict(sorted((evidence_kinds or {}).items())),
        "recommendations": recommendations(ratio, coverage, isolated_share),
    }
