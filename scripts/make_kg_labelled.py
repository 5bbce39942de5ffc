"""Build sb_pipeline/knowledge_graph/labelled/ from the UMLS triples shipped in the pykeen wheel.

    pip download --no-deps pykeen==1.11.1 -d /tmp/pk
    .venv/bin/python scripts/make_kg_labelled.py /tmp/pk/pykeen-1.11.1-py3-none-any.whl [--stats]

Reads pykeen/datasets/umls/{train,valid,test}.txt straight from the wheel (never installs it) and
writes entities.tsv, pairs.tsv and PROVENANCE.md. Deterministic: same wheel, same bytes. With
--stats it also embeds every entity with the project's embedder (all-MiniLM-L6-v2) and writes the
cosine distribution of positive and negative pairs into PROVENANCE.md.

Entities: the 135 UMLS semantic types. The source has no descriptions; the text is the name with
underscores as spaces. entity_type is derived from the source's own `isa` hierarchy: the ancestor
two levels below the roots `entity` / `event` (e.g. organism, substance, anatomical_structure,
finding, idea_or_concept, behavior); top_type is the level-1 ancestor (physical_object,
conceptual_entity, activity, phenomenon_or_process). Pairs: ALL unordered pairs of distinct
entities (no sampling); label 1 when any triple links them in either direction.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "sb_pipeline" / "knowledge_graph" / "labelled"
WHEEL_NAME = "pykeen-1.11.1-py3-none-any.whl"
WHEEL_SHA256 = "b6cc0ab012fc6ba4f37b58fb7081a409a5c1f04cbbb0e0e9c2256e911757d4ba"
SPLITS = ["train", "valid", "test"]
MEMBER = "pykeen/datasets/umls/{}.txt"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_wheel(wheel: Path) -> tuple[list[tuple[str, str, str]], dict[str, str], str]:
    data = wheel.read_bytes()
    digest = sha256(data)
    if digest != WHEEL_SHA256:
        sys.exit(f"{wheel}: sha256 {digest} is not the pinned {WHEEL_SHA256}")
    triples, hashes = [], {}
    with zipfile.ZipFile(wheel) as z:
        for split in SPLITS:
            raw = z.read(MEMBER.format(split))
            hashes[MEMBER.format(split)] = sha256(raw)
            for line in raw.decode("utf-8").splitlines():
                if line.strip():
                    h, r, t = line.split("\t")
                    triples.append((h, r, t))
        license_text = z.read("pykeen-1.11.1.dist-info/licenses/LICENSE").decode("utf-8").splitlines()[0]
    return triples, hashes, license_text


def types_from_isa(entities: list[str], triples) -> tuple[dict[str, str], dict[str, str]]:
    """(entity -> level-2 ancestor or itself, entity -> level-1 ancestor or itself). `isa` is transitively closed."""
    ancestors = defaultdict(set)
    for h, r, t in triples:
        if r == "isa":
            ancestors[h].add(t)
    depth = {e: len(ancestors[e]) for e in entities}

    def at_level(e: str, level: int) -> str:
        if depth[e] <= level:
            return e
        return next(a for a in sorted(ancestors[e]) if depth[a] == level)

    return {e: at_level(e, 2) for e in entities}, {e: at_level(e, 1) for e in entities}


def build(wheel: Path):
    triples, hashes, license_line = read_wheel(wheel)
    assert len(triples) == len(set(triples)) == 6529, len(triples)
    entities = sorted({h for h, _, _ in triples} | {t for _, _, t in triples})
    assert len(entities) == 135
    etype, top = types_from_isa(entities, triples)
    rels = defaultdict(set)
    for h, r, t in triples:
        if h == t:
            continue
        a, b = sorted((h, t))
        rels[(a, b)].add(f"{r}(->)" if h == a else f"{r}(<-)")
    entity_rows = [(e, e.replace("_", " "), etype[e], top[e]) for e in entities]
    pair_rows = []
    for a, b in itertools.combinations(entities, 2):
        found = rels.get((a, b))
        pair_rows.append((a, b, 1 if found else 0, ";".join(sorted(found)) if found else ""))
    return entity_rows, pair_rows, triples, hashes, license_line


def write_tsv(path: Path, header: list[str], rows) -> None:
    lines = ["\t".join(header)] + ["\t".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def entity_text(name: str, entity_type: str) -> str:
    """The pipeline's recipe `name (type): observations`; UMLS entities have no observations."""
    return f"{name} ({entity_type.replace('_', ' ')})"


def cosine_stats(entity_rows, pair_rows) -> list[str]:
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from sb_pipeline.embedding import load_embedder

    index = {e[0]: i for i, e in enumerate(entity_rows)}
    embedder = load_embedder()
    recipes = {
        "name (type)": [entity_text(name, t) for _, name, t, _ in entity_rows],
        "name only": [name for _, name, _, _ in entity_rows],
    }
    labels = np.array([p[2] for p in pair_rows])
    ia = np.array([index[p[0]] for p in pair_rows])
    ib = np.array([index[p[1]] for p in pair_rows])
    non_isa = np.array([p[2] == 1 and any(not r.startswith("isa(") for r in p[3].split(";")) for p in pair_rows])
    isa_only = np.array([p[2] == 1 and not non_isa[k] for k, p in enumerate(pair_rows)])
    out = ["| text recipe | pairs | n | mean | median | p90 | p99 | max |", "|---|---|---|---|---|---|---|---|"]
    aucs = []
    for recipe, texts in recipes.items():
        vecs = np.asarray(embedder.embed(texts), dtype=np.float32)
        cos = np.einsum("ij,ij->i", vecs[ia], vecs[ib])
        for label, mask in (("positive", labels == 1), ("  of which isa only", isa_only),
                            ("  of which non-isa", non_isa), ("negative", labels == 0)):
            c = cos[mask]
            q = np.percentile(c, [50, 90, 99])
            out.append(f"| {recipe} | {label} | {mask.sum()} | {c.mean():.3f} | {q[0]:.3f} | {q[1]:.3f} | {q[2]:.3f} | {c.max():.3f} |")
        pos, neg = cos[labels == 1], cos[labels == 0]
        # ROC AUC by ranks (probability that a random positive outscores a random negative).
        order = np.argsort(np.concatenate([pos, neg]), kind="stable")
        ranks = np.empty(len(order))
        ranks[order] = np.arange(1, len(order) + 1)
        auc = (ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
        prec = []
        for thr in (0.5, 0.6, 0.7, 0.75):
            sel = cos > thr
            prec.append(f"cos > {thr}: {sel.sum()} pairs, precision {labels[sel].mean() if sel.any() else float('nan'):.3f}, "
                        f"recall {(sel & (labels == 1)).sum() / (labels == 1).sum():.3f}")
        aucs.append(f"- `{recipe}`: ROC AUC {auc:.3f}; " + "; ".join(prec))
    return out + [""] + aucs


PROVENANCE = """# kg_labelled: labelled entity pairs from the UMLS semantic network

A small, real, typed graph for measuring the precision and recall of relationship discovery
(cosine similarity of all-MiniLM-L6-v2 embeddings of `name (type): observations`). Generated by
`scripts/make_kg_labelled.py`; do not edit by hand.

## Source

- Package: `pykeen` {version} from PyPI (wheel `{wheel}`), downloaded with
  `pip download --no-deps pykeen==1.11.1 -d /tmp/pk` (never installed).
- sha256 of the wheel: `{wheel_sha}`
- Files read inside the wheel (tab-separated `head  relation  tail` triples; pykeen's own split, merged here):
{files}
- Dataset: "Unified Medical Language System" (`pykeen.datasets.UMLS`, 135 entities, 46 relations,
  6529 triples). pykeen's docstring cites `github: ZhenfengLei/KGDatasets` (Zhenfeng Lei, 2017);
  the graph is the UMLS Semantic Network subset long used in link-prediction work (Kok & Domingos 2007).
- Licence as stated by the source: the wheel declares `License: MIT License` (`{license_line}`,
  `pykeen-1.11.1.dist-info/licenses/LICENSE`), which covers the distribution these files ship in. No
  separate licence for the data files is stated in the wheel; the content derives from the US NLM's
  UMLS Semantic Network, whose terms are the NLM's.

## Regenerate

    pip download --no-deps pykeen==1.11.1 -d /tmp/pk
    .venv/bin/python scripts/make_kg_labelled.py /tmp/pk/pykeen-1.11.1-py3-none-any.whl --stats

The script checks the wheel's sha256 and reads the files straight from the zip. Output is
deterministic (the statistics below depend on the embedding model, pinned by the project).

## Files

- `entities.tsv`: `entity_id` (the source's identifier), `name` (underscores as spaces; the
  source has no text descriptions), `entity_type`, `top_type`. Types come from the source's own
  `isa` hierarchy (transitively closed in the data): `entity_type` is the ancestor two levels below
  the roots `entity` / `event` (or the entity itself when it is that high), `top_type` the level-1
  ancestor. {n_types} entity types: {types}.
- `pairs.tsv`: `entity_a`, `entity_b` (a < b), `label` (1 = at least one triple links them, either
  direction), `relation` (for positives: every relation between them, `rel(->)` when a is the head,
  `rel(<-)` when b is). ALL {n_pairs} unordered pairs of distinct entities, no sampling:
  {n_pos} positives ({pct_pos}), {n_neg} negatives. {n_isa_only} positives are linked only by `isa`
  (hierarchy), {n_non_isa} by at least one other relation.

## Caveats

- The graph is dense (39% of all pairs are related) and abstract: entities are semantic *types*
  ("amino acid peptide or protein", "disease or syndrome"), linked by type-level relations
  ("affects", "location_of", "issue_in"). Some hubs relate to nearly everything
  ("biomedical occupation or discipline" is linked to 134 of 134 others through `issue_in`).
  The base rate of positives is therefore high (39%); use the set for relative comparisons
  (thresholds, text recipes), not as an absolute target for a developer's graph.
- Because `entity_type` is derived from `isa`, the `name (type)` recipe partly encodes the
  hierarchy: `isa` pairs share the type word. Compare with the `name only` rows below.
- Alternatives in the same wheel were rejected: Nations (14 countries, 55 relations, far too small)
  and Kinships (104 anonymous persons `person0`.. linked by relations `term0`.., no text at all).

## Cosine similarity of positive vs negative pairs (project embedder, all-MiniLM-L6-v2)

{stats}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheel", type=Path)
    ap.add_argument("--stats", action="store_true", help="embed the entities and add cosine statistics to PROVENANCE.md")
    args = ap.parse_args()
    entity_rows, pair_rows, triples, hashes, license_line = build(args.wheel)
    OUT.mkdir(parents=True, exist_ok=True)
    write_tsv(OUT / "entities.tsv", ["entity_id", "name", "entity_type", "top_type"], entity_rows)
    write_tsv(OUT / "pairs.tsv", ["entity_a", "entity_b", "label", "relation"], pair_rows)
    n_pos = sum(p[2] for p in pair_rows)
    isa_only = sum(1 for p in pair_rows if p[2] and all(r.startswith("isa(") for r in p[3].split(";")))
    types = Counter(e[2] for e in entity_rows)
    stats = "\n".join(cosine_stats(entity_rows, pair_rows)) if args.stats else "(not computed: run with --stats)"
    text = PROVENANCE.format(
        version="1.11.1", wheel=WHEEL_NAME, wheel_sha=WHEEL_SHA256,
        files="\n".join(f"  - `{name}` sha256 `{digest}`" for name, digest in hashes.items()),
        license_line=license_line, n_types=len(types),
        types=", ".join(f"{t} ({n})" for t, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))),
        n_pairs=len(pair_rows), n_pos=n_pos, pct_pos=f"{100 * n_pos / len(pair_rows):.1f}%", n_neg=len(pair_rows) - n_pos,
        n_isa_only=isa_only, n_non_isa=n_pos - isa_only, stats=stats,
    )
    (OUT / "PROVENANCE.md").write_text(text, encoding="utf-8")
    print(f"{len(entity_rows)} entities, {len(pair_rows)} pairs ({n_pos} positive); {OUT}")
    if args.stats:
        print(stats)


if __name__ == "__main__":
    main()
