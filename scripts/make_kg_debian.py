"""Build sb_pipeline/knowledge_graph/labelled/debian/: a real labelled graph from this machine's Debian packages.

    .venv/bin/python scripts/make_kg_debian.py             # capture dpkg-query now, then build
    .venv/bin/python scripts/make_kg_debian.py --from-dump # rebuild from the committed capture (CI)

Offline and dpkg only: one `dpkg-query -W -f=...` call (see FIELDS) is the whole input. No Python
distribution metadata (importlib.metadata, site-packages, dist-info, pip) is read: the project is judged
on a held-out graph built from those, so this graph must not see them.

The raw output is kept as `dpkg_query.txt` with `capture.json` (sha256 of the output, date, dpkg and OS
version); `--from-dump` checks the digest and rebuilds the same bytes anywhere.

Entities: SAMPLE_SIZE installed packages, a proportional stratified sample by Section (largest-remainder
quotas; within a Section the packages with the lowest sha256(name)), so the graph keeps the machine's
mix of libraries, tools, Python modules, ... and does not depend on dpkg's order. Entity text as Session
Buddy would hold it: name, a type (from Section and name pattern, mapped to the pipeline's vocabulary,
see entity_type()), observations = the short description plus the long description cut into short
sentences and list items. Dependency fields are never put into the text.

Truth: a pair is related (label 1) when one declares the other in Depends, Pre-Depends or Recommends
(virtual names resolved through the installed packages' Provides; every installed alternative of
`a | b` counts), or when both are built from the same Source package (a family). `source_relationships.tsv`
holds a deterministic ~30 % of the true pairs (lowest sha256 of the pair) as the relationships Session
Buddy already holds; pairs.tsv marks them `in_source`.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import platform
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "sb_pipeline" / "knowledge_graph" / "labelled" / "debian"
SAMPLE_SIZE = 500
SOURCE_SHARE = 0.30
MAX_OBSERVATIONS = 8
MAX_OBSERVATION_CHARS = 220
FIELDS = ["Package", "Source", "Version", "Architecture", "Section", "Priority", "Essential", "Multi-Arch",
          "db:Status-Abbrev", "Depends", "Pre-Depends", "Recommends", "Provides", "Description"]
FIELD_SEP, RECORD_SEP = "\x1f", "\x1e"
QUERY = ["dpkg-query", "-W", "-f=" + FIELD_SEP.join("${%s}" % f for f in FIELDS) + RECORD_SEP + "\n"]
# Truth relations, the order a pair's relation list and its source-graph type follow.
DEP_FIELDS = (("Pre-Depends", "pre_depends"), ("Depends", "depends"), ("Recommends", "recommends"))
SOURCE_TYPE = {"pre_depends": "requires", "depends": "depends_on", "recommends": "uses", "same_source": "related_to"}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------- capture


def capture() -> tuple[bytes, dict]:
    raw = subprocess.run(QUERY, capture_output=True, check=True).stdout
    dpkg_version = subprocess.run(["dpkg-query", "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    os_release = dict(
        line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    meta = {
        "command": "dpkg-query -W -f='" + QUERY[2][3:].replace(FIELD_SEP, "\\x1f").replace(RECORD_SEP, "\\x1e").replace("\n", "\\n") + "'",
        "sha256": hashlib.sha256(raw).hexdigest(),
        "bytes": len(raw),
        "captured_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "dpkg": dpkg_version,
        "os": os_release.get("PRETTY_NAME", "").strip('"'),
        "machine": platform.machine(),
    }
    return raw, meta


def parse(raw: bytes) -> dict[str, dict[str, str]]:
    packages = {}
    for record in raw.decode("utf-8").split(RECORD_SEP):
        record = record.lstrip("\n")
        if not record:
            continue
        row = dict(zip(FIELDS, record.split(FIELD_SEP)))
        if row["db:Status-Abbrev"].strip() != "ii":  # installed, not just configured files left behind
            continue
        packages[row["Package"]] = row
    return packages


# ---------------------------------------------------------------- truth


def clauses(field: str) -> list[list[str]]:
    """'a (>= 1) | b:any [amd64], c' -> [['a', 'b'], ['c']]."""
    out = []
    for clause in field.split(","):
        alts = []
        for alt in clause.split("|"):
            alt = re.sub(r"\([^)]*\)|\[[^\]]*\]|<[^>]*>", "", alt).strip()
            if alt:
                alts.append(alt.split(":")[0].strip())
        if alts:
            out.append(alts)
    return out


def source_of(row: dict) -> str:
    return row["Source"].split(" ")[0] or row["Package"]


def truth(packages: dict[str, dict]) -> dict[frozenset, list[str]]:
    """Unordered pair -> relations ('depends(->)' means the alphabetically first depends on the second)."""
    providers: dict[str, set[str]] = defaultdict(set)
    for name, row in packages.items():
        for clause in clauses(row["Provides"]):
            for virtual in clause:
                providers[virtual].add(name)
    rel: dict[frozenset, set[str]] = defaultdict(set)
    for name, row in packages.items():
        for field, kind in DEP_FIELDS:
            for clause in clauses(row[field]):
                targets = set()
                for alt in clause:
                    targets |= {alt} if alt in packages else providers.get(alt, set())
                for target in targets - {name}:
                    arrow = "->" if name < target else "<-"
                    rel[frozenset((name, target))].add(f"{kind}({arrow})")
    families: dict[str, list[str]] = defaultdict(list)
    for name, row in packages.items():
        families[source_of(row)].append(name)
    for source, members in families.items():
        for a, b in itertools.combinations(sorted(members), 2):
            rel[frozenset((a, b))].add(f"same_source:{source}")
    order = {k: i for i, (_, k) in enumerate(DEP_FIELDS)}
    return {pair: sorted(r, key=lambda s: (order.get(s.split("(")[0], 9), s)) for pair, r in rel.items()}


# ---------------------------------------------------------------- entities

LANGUAGES = {"python3", "python3-minimal", "perl", "perl-base", "tcl", "tk", "mawk", "nodejs"}


def entity_type(name: str, row: dict) -> str:
    """Section and name pattern -> the pipeline's type vocabulary (entities.py KNOWN_TYPES)."""
    section = row["Section"].split("/")[-1]
    summary = row["Description"].split("\n", 1)[0].lower()
    if re.search(r"-(doc|man)$", name) or name.startswith("manpages"):
        return "file"  # documentation and manual pages
    if name in LANGUAGES or re.fullmatch(r"(python|perl|tcl|tk)[0-9.]+(-minimal)?", name) or re.match(r"(openjdk|default-j(re|dk))", name):
        return "language"
    if re.search(r"-(common|data|conf|l10n|locales)$", name) or section in ("fonts", "localization") or name.endswith("-theme") or "keyring" in name:
        return "component"  # data, configuration and shared files of a larger piece of software
    if section == "python" or name.startswith("python3-") or (section == "perl" and name.endswith("-perl")):
        return "library" if name.startswith("lib") else "module"
    if section == "database":
        return "tool" if "client" in name else "database"
    if re.search(r"-(server|daemon|service)$", name):
        return "service"
    if name.startswith(("lib", "gir1.2-")) or section == "javascript" or (section in ("libs", "libdevel") and name.endswith("-dev")):
        return "library"
    if re.search(r"\b(daemon|message bus)\b", summary):
        return "service"
    if row["Essential"] == "yes" and section == "admin":
        return "system"
    return "tool"


def observations(row: dict) -> list[str]:
    """Short description, then the long one as short sentences and list items (Session Buddy-sized)."""
    summary, _, body = row["Description"].partition("\n")
    items: list[str] = []
    for paragraph in re.split(r"\n \.\n", "\n" + body):
        current: list[str] = []
        for line in paragraph.split("\n"):
            text = line[1:] if line.startswith(" ") else line
            if not text.strip() or text.strip() == ".":
                continue
            if re.match(r"\s*[*+o-]\s+", text):  # a list item starts
                if current:
                    items.append(" ".join(current))
                current = [re.sub(r"^\s*[*+o-]\s+", "", text)]
            else:
                current.append(text.strip())
        if current:
            items.append(" ".join(current))
    out = [summary.strip()]
    for item in items:
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", " ".join(item.split())):
            sentence = sentence.strip()
            if len(sentence) < 3:
                continue
            if len(sentence) > MAX_OBSERVATION_CHARS:
                sentence = sentence[:MAX_OBSERVATION_CHARS].rsplit(" ", 1)[0] + " ..."
            out.append(sentence)
    seen, unique = set(), []
    for o in out:
        if o and o not in seen:
            seen.add(o)
            unique.append(o)
    return unique[:MAX_OBSERVATIONS]


def sample(packages: dict[str, dict], size: int) -> tuple[list[str], dict[str, tuple[int, int]]]:
    """Proportional stratified sample by Section (largest remainder), lowest sha256(name) first."""
    by_section: dict[str, list[str]] = defaultdict(list)
    for name, row in packages.items():
        by_section[row["Section"] or "(none)"].append(name)
    if size >= len(packages):
        return sorted(packages), {s: (len(m), len(m)) for s, m in by_section.items()}
    exact = {s: size * len(m) / len(packages) for s, m in by_section.items()}
    quota = {s: int(q) for s, q in exact.items()}
    for s in sorted(exact, key=lambda s: (quota[s] - exact[s], s))[: size - sum(quota.values())]:
        quota[s] += 1
    chosen = []
    for s, members in by_section.items():
        chosen += sorted(members, key=sha)[: quota[s]]
    return sorted(chosen), {s: (len(by_section[s]), quota[s]) for s in by_section}


# ---------------------------------------------------------------- write


def tsv(path: Path, header: list[str], rows) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(str(v) for v in row) + "\n")
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from-dump", action="store_true", help="rebuild from the committed dpkg_query.txt and capture.json")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.from_dump:
        raw = (out / "dpkg_query.txt").read_bytes()
        meta = json.loads((out / "capture.json").read_text())
        if hashlib.sha256(raw).hexdigest() != meta["sha256"]:
            sys.exit("dpkg_query.txt does not match capture.json's sha256")
    else:
        raw, meta = capture()
        (out / "dpkg_query.txt").write_bytes(raw)
        (out / "capture.json").write_text(json.dumps(meta, indent=2) + "\n")
    packages = parse(raw)
    relations_all = truth(packages)
    chosen, quotas = sample(packages, SAMPLE_SIZE)
    keep = set(chosen)
    relations = {p: r for p, r in relations_all.items() if p <= keep}

    types = {n: entity_type(n, packages[n]) for n in chosen}
    obs = {n: observations(packages[n]) for n in chosen}
    tsv(out / "entities.tsv", ["entity_id", "name", "entity_type", "section", "priority", "multi_arch", "essential", "observations"],
        ((n, n, types[n], packages[n]["Section"], packages[n]["Priority"], packages[n]["Multi-Arch"] or "no",
          packages[n]["Essential"] or "no", json.dumps(obs[n], ensure_ascii=False)) for n in chosen))

    positives = sorted(tuple(sorted(p)) for p in relations)
    ranked = sorted(positives, key=lambda ab: sha(f"debian\x1f{ab[0]}\x1f{ab[1]}"))
    in_source = set(ranked[: round(SOURCE_SHARE * len(positives))])
    source_rows = []
    for a, b in sorted(in_source):
        first = relations[frozenset((a, b))][0]
        kind = first.split("(")[0].split(":")[0]
        src, dst = (b, a) if first.endswith("(<-)") else (a, b)
        source_rows.append((src, dst, SOURCE_TYPE[kind]))
    tsv(out / "source_relationships.tsv", ["source_entity_id", "target_entity_id", "relation_type"], source_rows)
    n_pairs = tsv(out / "pairs.tsv", ["entity_a", "entity_b", "label", "relation", "in_source"],
                  ((a, b, int(frozenset((a, b)) in relations), ";".join(relations.get(frozenset((a, b)), [])),
                    int((a, b) in in_source)) for a, b in itertools.combinations(chosen, 2)))

    write_provenance(out, meta, packages, relations_all, chosen, quotas, types, obs, relations, in_source, n_pairs)
    print(f"{len(chosen)} entities of {len(packages)} installed, {n_pairs} pairs, {len(relations)} positives "
          f"({len(in_source)} in the source graph) -> {out}")


def write_provenance(out, meta, packages, relations_all, chosen, quotas, types, obs, relations, in_source, n_pairs) -> None:
    kinds = Counter()
    for r in relations.values():
        names = {x.split("(")[0].split(":")[0] for x in r}
        kinds["dependency (any field)" if names - {"same_source"} else "same source only"] += 1
        for k in sorted(names):
            kinds[k] += 1
    mentioned = 0  # positives where one package's name appears, as a whole word, in the other's observations
    for pair in relations:
        a, b = sorted(pair)
        for x, y in ((a, b), (b, a)):
            if re.search(r"(?<![\w.+-])" + re.escape(y) + r"(?![\w+-]|\.\w)", " ".join(obs[x])):
                mentioned += 1
                break
    degree = Counter(x for pair in relations for x in pair)
    full_degree = Counter(x for pair in relations_all for x in pair)
    keep = set(chosen)
    family_size = Counter(source_of(packages[n]) for n in chosen)
    fams = sorted(((c, s) for s, c in family_size.items()), key=lambda t: (-t[0], t[1]))
    isolated = sum(1 for n in chosen if degree[n] == 0)
    type_counts = Counter(types.values())
    sections = ", ".join(f"{s} {q}/{t}" for s, (t, q) in sorted(quotas.items(), key=lambda kv: (-kv[1][0], kv[0])))
    n_obs = [len(o) for o in obs.values()]
    positives = len(relations)
    lines = f"""# debian: labelled pairs from the Debian packages installed on one machine

A real, typed, sparse graph with text for measuring relationship discovery. Generated by
`scripts/make_kg_debian.py`; do not edit by hand.

## Source

- `dpkg-query` on the machine this was built on, nothing else (no network, no Python distribution
  metadata, no pip): {meta['os']}, {meta['machine']}, {meta['dpkg']}.
- Captured {meta['captured_at']}; the raw output ({meta['bytes']} bytes) is kept as `dpkg_query.txt`,
  sha256 `{meta['sha256']}` (also in `capture.json`).
- Command: `{meta['command']}` (fields separated by 0x1f, records by 0x1e and a newline).
- {len(packages)} packages installed (status `ii`). The descriptions are those in each package's control
  data, written by its Debian maintainers and upstream; no separate licence is stated for them (each
  package's own terms are in /usr/share/doc/<package>/copyright on the machine).

## Regenerate

    .venv/bin/python scripts/make_kg_debian.py --from-dump   # same bytes, on any machine
    .venv/bin/python scripts/make_kg_debian.py               # re-capture THIS machine's packages (new data)

## Entities (`entities.tsv`)

{len(chosen)} of {len(packages)} installed packages: a proportional stratified sample by Section (quotas by
largest remainder; within a Section, the packages with the lowest sha256 of their name). Section chosen/installed:
{sections}.

Columns: `entity_id` and `name` (the package name), `entity_type`, `section`, `priority`, `multi_arch`,
`essential`, `observations` (a JSON list of strings). The entity text is the pipeline's recipe,
`name (type): obs; obs; ...`. Observations are the short description, then the long description cut into
sentences and list items (at most {MAX_OBSERVATIONS}, each at most {MAX_OBSERVATION_CHARS} characters);
{sum(n_obs)} observations, {min(n_obs)}-{max(n_obs)} per entity, median {sorted(n_obs)[len(n_obs) // 2]}.
No dependency field is in the text; descriptions do sometimes name other packages in prose ("see the
fonts-dejavu-extra package", "a dependency package, which depends on Debian's default Python 3"): that is
real evidence, as in a Session Buddy observation.

`entity_type`, first rule that holds (see `entity_type()`): a `-doc`/`-man`/`manpages*` name -> file;
interpreters of a language (python3.11, perl, tcl, openjdk-*) -> language; `*-common`, `*-data`, `*-conf`,
`*-l10n`, fonts, localization, themes, keyrings -> component; Section `python` or `python3-*`, or `*-perl`
-> module (`lib*` -> library); Section `database` -> database (`*client*` -> tool); `*-server`/`*-daemon`/
`*-service` -> service; `lib*`, `gir1.2-*`, Section javascript, `*-dev` in libs/libdevel -> library; a
summary saying daemon/message bus -> service; Essential admin packages -> system; anything else -> tool.
Types: {", ".join(f"{t} {c}" for t, c in type_counts.most_common())}.

## Truth (`pairs.tsv`)

ALL {n_pairs} unordered pairs of distinct entities (`entity_a` < `entity_b`), `label` 1 when the two are
related on this machine: one declares the other in `Depends`, `Pre-Depends` or `Recommends` (virtual
names resolved through the installed packages' `Provides`; every installed alternative of `a | b`
counts; version constraints and architecture qualifiers ignored), or both come from the same `Source`
package. `relation` lists every reason: `depends(->)` when `entity_a` depends on `entity_b`, `(<-)` the
other way, `pre_depends`, `recommends`, `same_source:<source package>`. `in_source` is 1 for the positives
held in `source_relationships.tsv`.

- {positives} positives ({positives / n_pairs:.2%} of pairs): {kinds['dependency (any field)']} with a declared
  dependency, {kinds['same source only']} related only by a shared source package. By kind (a pair may have
  several): depends {kinds['depends']}, pre_depends {kinds['pre_depends']}, recommends {kinds['recommends']}, same_source {kinds['same_source']}.
- Before sampling, the {len(packages)} packages had {len(relations_all)} related pairs.
- {isolated} entities have no related entity in the sample; the largest hub is
  {", ".join(f"{n} ({d})" for n, d in degree.most_common(5))} related entities.
- {mentioned} positives ({mentioned / positives:.1%}) have one package's name as a whole word in the other's observations.

## Source graph (`source_relationships.tsv`)

{len(in_source)} of the {positives} true pairs ({SOURCE_SHARE:.0%}, the lowest sha256 of `debian\\x1f<a>\\x1f<b>`, so
deterministic and unrelated to structure) stand for the relationships Session Buddy already holds:
`source_entity_id`, `target_entity_id` (the depender first), `relation_type` (Depends -> depends_on,
Pre-Depends -> requires, Recommends -> uses, same source only -> related_to; the first reason in
`relation` decides). Structural features (common neighbours, Adamic-Adar) may use them; an evaluation
of discovery should score the other {positives - len(in_source)} positives (`in_source` = 0).

## Caveats

- One machine's package set (a development container: compilers, Java/Maven, PostgreSQL, Google
  Cloud CLI, X11/GTK libraries). Before sampling the biggest hubs were {", ".join(f"{n} ({d}{'' if n in keep else ', not sampled'})" for n, d in full_degree.most_common(4))};
  library families built from one source ({", ".join(f"{s} {n}" for n, s in fams[:4])} packages in the sample) are cliques of `same_source` pairs.
- A dependency is technical, not semantic: a runtime library is related to every program linked
  against it whatever they do, and look-alike packages of one family (`libxcb-*`, `libpam-*`) are related
  only through their shared source. The biggest hub, libc6, fell outside the hash sample; it stays out
  (forcing it in would add hundreds of positives carrying no signal other than degree).
- Descriptions are often shared inside families (the same boilerplate paragraph in every package built
  from one source), which makes family pairs easy for cosine and dependency pairs hard.
- Debian's `python3-*` packages are in the graph as modules with their Debian dependencies; no Python
  distribution metadata was read (their dependencies are Debian's, declared in dpkg's database).
"""
    (out / "PROVENANCE.md").write_text(lines, encoding="utf-8")


if __name__ == "__main__":
    main()
