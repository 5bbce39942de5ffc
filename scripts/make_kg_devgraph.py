"""Build sb_pipeline/knowledge_graph/labelled/devgraph/: a synthetic developer knowledge graph with its conversations.

    .venv/bin/python scripts/make_kg_devgraph.py

Deterministic (fixed seed, no clock, no network): every output file is byte-identical on every run.
Texts and the true relations live in scripts/kg_devgraph_corpus.py; this script decides, per true
relation, how (and whether) an observation shows it, which relations the source graph already holds,
and which conversations name which entities. The generative process and its parameters are written
into PROVENANCE.md together with the rates they produced.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kg_devgraph_corpus as C  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "sb_pipeline" / "knowledge_graph" / "labelled" / "devgraph"
SEED = 20261204

# Observations: how a true relation shows in the source entity's observations.
P_EVIDENCE = {"stated": 0.25, "named": 0.12, "hint": 0.18}  # the rest: nothing; "hint" needs a hint text, else nothing
P_ALIAS_IN_OBSERVATION = 0.2
GENERIC_PER_ENTITY = (0, 0, 1, 1, 1, 2)  # drawn uniformly
SOURCE_SHARE = 0.30

# Conversations.
P_DISCUSSED = 0.6  # a true pair is discussed at all
DISCUSSION_COUNTS = {1: 0.36, 2: 0.24, 3: 0.16, 4: 0.11, 5: 0.08, 6: 0.05}  # how often, when discussed
P_MORE_EDGES = 0.25  # a topic conversation takes another pending relation of its anchor (at most 2 more)
P_ASIDE = 0.15  # a topic conversation names one more entity in passing (popularity-weighted)
P_CROSS_PROJECT = 0.12  # "same thing with <library> in <other project>"
N_STATUS = 30  # stand-up notes naming 3-5 entities (popularity-weighted)
N_CHATTER = 45  # conversations naming at most one entity, full of everyday words
P_CANONICAL = 0.7  # a mention uses the entity's name rather than an alias
P_OTHER_PROJECT_FIELD = 0.15  # the inbox `project` is not the anchor's project
START, END = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc), datetime(2026, 11, 27, 19, 0, tzinfo=timezone.utc)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class World:
    def __init__(self) -> None:
        self.names = list(C.E)
        self.ids = {n: slug(n) for n in self.names}
        assert len(set(self.ids.values())) == len(self.names), "entity ids collide"
        self.type = {n: C.E[n][0] for n in self.names}
        self.pop = {n: C.E[n][4] for n in self.names}
        self.relations = C.R  # (source, relation, target)
        self.pair_rel: dict[frozenset, list[tuple[str, str, str]]] = defaultdict(list)
        for r in self.relations:
            self.pair_rel[frozenset((r[0], r[2]))].append(r)
        self.neighbours: dict[str, set[str]] = defaultdict(set)
        for a, _, b in self.relations:
            self.neighbours[a].add(b)
            self.neighbours[b].add(a)

    def surface(self, rng: random.Random, name: str, p_canonical: float = P_CANONICAL) -> str:
        aliases = C.E[name][3]
        return rng.choice(aliases) if aliases and rng.random() >= p_canonical else name

    def home_project(self, rng: random.Random, name: str) -> str:
        if self.type[name] == "project":
            return name
        projects = sorted(n for n in self.neighbours[name] if self.type[n] == "project")
        return rng.choice(projects) if projects else "misc"


# ---------------------------------------------------------------- observations


def build_observations(w: World, rng: random.Random) -> tuple[dict[str, list[str]], list[dict]]:
    obs = {n: list(C.E[n][1]) for n in w.names}
    evidence = []
    for src, relation, tgt in w.relations:
        u = rng.random()
        kind = "none"
        if u < P_EVIDENCE["stated"]:
            kind = "stated"
        elif u < P_EVIDENCE["stated"] + P_EVIDENCE["named"]:
            kind = "named"
        elif u < sum(P_EVIDENCE.values()) and C.E[tgt][2]:
            kind = "hint"
        text = ""
        if kind in ("stated", "named"):
            target = w.surface(rng, tgt, 1 - P_ALIAS_IN_OBSERVATION)
            text = rng.choice((C.STATED if kind == "stated" else C.NAMED)[relation]).format(t=target)
        elif kind == "hint":
            text = C.E[tgt][2]
        if text and text not in obs[src]:
            obs[src].append(text)
        evidence.append({"source": src, "relation": relation, "target": tgt, "evidence": kind, "observation": text})
    for n in w.names:
        for g in rng.sample(C.GENERIC_OBSERVATIONS, rng.choice(GENERIC_PER_ENTITY)):
            obs[n].append(g)
    for n, text in C.PROSE_NOT_RELATED:
        obs[n].append(text)
    for n in w.names:
        own = obs[n][: len(C.E[n][1])]
        rest = obs[n][len(C.E[n][1]):]
        rng.shuffle(rest)
        obs[n] = own + rest  # the entity's own description first, as a user would start a note
    return obs, evidence


# ---------------------------------------------------------------- conversations


def build_conversations(w: World, rng: random.Random) -> tuple[list[dict], list[tuple[str, str, str, str]], dict]:
    pairs = sorted(w.pair_rel, key=lambda p: sorted(p))
    pending: list[tuple[str, str, str]] = []  # one entry per planned discussion of a pair
    planned = {}
    counts, weights = zip(*DISCUSSION_COUNTS.items())
    for pair in pairs:
        if rng.random() < P_DISCUSSED:
            k = rng.choices(counts, weights)[0]
            planned[pair] = k
            pending += [w.pair_rel[pair][0]] * k
    rng.shuffle(pending)
    by_entity: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(pending):
        by_entity[r[0]].append(i)
        by_entity[r[2]].append(i)
    used = [False] * len(pending)
    popular = [n for n in w.names]
    pop_weights = [w.pop[n] for n in popular]
    projects = sorted(n for n in w.names if w.type[n] == "project")

    convs = []
    for i, first in enumerate(pending):
        if used[i]:
            continue
        used[i] = True
        anchor = first[0] if w.type[first[0]] == "project" or w.type[first[2]] != "project" else first[2]
        edges = [first]
        seen_pairs = {frozenset((first[0], first[2]))}
        for _ in range(2):
            if rng.random() >= P_MORE_EDGES:
                break
            options = [j for j in by_entity[anchor] if not used[j] and frozenset((pending[j][0], pending[j][2])) not in seen_pairs]
            if not options:
                break
            j = rng.choice(options)
            used[j] = True
            edges.append(pending[j])
            seen_pairs.add(frozenset((pending[j][0], pending[j][2])))
        convs.append(topic_conversation(w, rng, anchor, edges, popular, pop_weights, projects))
    for _ in range(N_STATUS):
        convs.append(status_conversation(w, rng, popular, pop_weights, projects))
    for _ in range(N_CHATTER):
        convs.append(chatter_conversation(w, rng, popular, pop_weights, projects))

    # Timestamps: uniform over the period, ids in time order.
    span = (END - START).total_seconds()
    stamps = sorted(START + timedelta(seconds=int(rng.random() * span) // 60 * 60) for _ in convs)
    rng.shuffle(convs)
    records, mentions = [], []
    for k, (conv, ts) in enumerate(zip(convs, stamps), start=1):
        cid = f"devgraph-{k:04d}"
        records.append({"id": cid, "project": conv["project"], "timestamp": ts.isoformat().replace("+00:00", "Z"), "content": conv["content"]})
        for name, surface, role in conv["mentions"]:
            mentions.append((cid, w.ids[name], surface, role))
    return records, mentions, planned


def _mention(w, rng, name, role, out):
    s = w.surface(rng, name)
    out.append((name, s, role))
    return s


def _project_field(w, rng, anchor, projects):
    home = w.home_project(rng, anchor)
    if rng.random() < P_OTHER_PROJECT_FIELD:
        return rng.choice(projects + ["scratch", "notes"])
    return home


def topic_conversation(w, rng, anchor, edges, popular, pop_weights, projects) -> dict:
    mentions: list[tuple[str, str, str]] = []
    user = []
    if rng.random() < 0.5:
        user.append(rng.choice(C.FILLER))
    for src, relation, tgt in edges:
        a = _mention(w, rng, src, "relation", mentions)
        b = _mention(w, rng, tgt, "relation", mentions)
        templates = C.CONV_USES_OTHER if relation == "uses" and w.type[src] != "project" else C.CONV_RELATION[relation]
        template = rng.choice(templates)
        sentence = template.format(a=a, b=b)
        if not template.startswith("{"):
            sentence = sentence[0].upper() + sentence[1:]  # never re-case a name
        user.append(sentence + ("" if sentence.endswith("?") else "."))
    if rng.random() < P_CROSS_PROJECT:
        for src, relation, tgt in edges:
            if relation == "uses" and w.type[src] == "project":
                others = sorted(p for p in w.neighbours[tgt] if w.type[p] == "project" and p != src)
                if others:
                    other = rng.choice(others)
                    user.append(f"We had the same thing with {_mention(w, rng, tgt, 'cross', mentions)} in "
                                f"{_mention(w, rng, other, 'cross', mentions)} last month.")
                    break
    if rng.random() < P_ASIDE:
        aside = rng.choices(popular, pop_weights)[0]
        if aside not in {e[0] for e in edges} | {e[2] for e in edges}:
            user.append(rng.choice(["Unrelated, but {x} also needs a look.", "Side note: {x} was down this morning too.",
                                    "(I'm also in the middle of {x}.)", "Not sure if {x} matters here."])
                        .format(x=_mention(w, rng, aside, "aside", mentions)))
    assistant = rng.sample(C.ASSISTANT, rng.choice((1, 2, 2, 3)))
    if rng.random() < 0.5:
        src, relation, tgt = rng.choice(edges)
        assistant.insert(rng.randint(0, len(assistant)), rng.choice(C.ASSISTANT_ABOUT).format(x=_mention(w, rng, tgt, "relation", mentions)))
    if rng.random() < 0.4:
        assistant.append(rng.choice(C.FILLER))
    content = "User: " + " ".join(user) + "\n\nAssistant: " + " ".join(assistant)
    return {"project": _project_field(w, rng, anchor, projects), "content": content, "mentions": mentions}


def status_conversation(w, rng, popular, pop_weights, projects) -> dict:
    mentions: list[tuple[str, str, str]] = []
    chosen: list[str] = []
    k = rng.randint(3, 5)
    while len(chosen) < k:
        x = rng.choices(popular, pop_weights)[0]
        if x not in chosen:
            chosen.append(x)
    lines = [f"- {rng.choice(C.STATUS).format(x=_mention(w, rng, x, 'status', mentions))}" for x in chosen]
    day = rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
    content = (f"User: Stand-up notes for {day}, turn them into a short update for the channel:\n" + "\n".join(lines)
               + "\n\nAssistant: Here is a short update: " + "; ".join(l[2:] for l in lines) + ". " + rng.choice(C.FILLER))
    return {"project": rng.choice(["notes", "standup"]), "content": content, "mentions": mentions}


def chatter_conversation(w, rng, popular, pop_weights, projects) -> dict:
    mentions: list[tuple[str, str, str]] = []
    user = rng.sample(C.FILLER, 2)
    if rng.random() < 0.5:
        x = rng.choices(popular, pop_weights)[0]
        user.append(rng.choice(C.CONV_SINGLE).format(x=_mention(w, rng, x, "single", mentions)) + ".")
    content = "User: " + " ".join(user) + "\n\nAssistant: " + rng.choice(C.ASSISTANT) + " " + rng.choice(C.FILLER)
    return {"project": rng.choice(projects + ["scratch"]), "content": content, "mentions": mentions}


# ---------------------------------------------------------------- measures


def co_mentions(records: list[dict], mentions, w: World) -> Counter:
    per_conv: dict[str, set[str]] = defaultdict(set)
    for cid, eid, _, _ in mentions:
        per_conv[cid].add(eid)
    out = Counter()
    for ents in per_conv.values():
        for a, b in itertools.combinations(sorted(ents), 2):
            out[(a, b)] += 1
    return out


def name_matches(records: list[dict], w: World) -> Counter:
    """Co-mentions as a naive matcher sees them: entity names (not aliases), case-insensitive, whole words."""
    patterns = {w.ids[n]: re.compile(r"(?<![\w./-])" + re.escape(n.lower()) + r"(?![\w/-]|\.\w)") for n in w.names}
    out = Counter()
    for r in records:
        text = r["content"].lower()
        found = sorted(e for e, p in patterns.items() if p.search(text))
        for a, b in itertools.combinations(found, 2):
            out[(a, b)] += 1
    return out


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
    rng_obs, rng_conv = random.Random(SEED), random.Random(SEED + 1)
    w = World()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "conversations").mkdir(exist_ok=True)
    obs, evidence = build_observations(w, rng_obs)
    order = sorted(w.names, key=lambda n: w.ids[n])
    tsv(OUT / "entities.tsv", ["entity_id", "name", "entity_type", "observations"],
        ((w.ids[n], n, w.type[n], json.dumps(obs[n], ensure_ascii=False)) for n in order))

    relation_of: dict[tuple[str, str], list[str]] = {}
    for pair, rels in w.pair_rel.items():
        a, b = sorted(w.ids[x] for x in pair)
        relation_of[(a, b)] = sorted(f"{r}({'->' if w.ids[s] == a else '<-'})" for s, r, _ in rels)
    positives = sorted(relation_of)
    ranked = sorted(positives, key=lambda ab: sha(f"devgraph\x1f{ab[0]}\x1f{ab[1]}"))
    in_source = set(ranked[: round(SOURCE_SHARE * len(positives))])
    source_rows = []
    for a, b in sorted(in_source):
        s, r, t = w.pair_rel[frozenset(n for n in w.names if w.ids[n] in (a, b))][0]
        source_rows.append((w.ids[s], w.ids[t], r))
    tsv(OUT / "source_relationships.tsv", ["source_entity_id", "target_entity_id", "relation_type"], source_rows)
    ids = [w.ids[n] for n in order]
    n_pairs = tsv(OUT / "pairs.tsv", ["entity_a", "entity_b", "label", "relation", "in_source"],
                  ((a, b, int((a, b) in relation_of), ";".join(relation_of.get((a, b), [])), int((a, b) in in_source))
                   for a, b in itertools.combinations(sorted(ids), 2)))
    tsv(OUT / "true_relationships.tsv", ["source_entity_id", "relation_type", "target_entity_id", "observation_evidence", "observation"],
        ((w.ids[e["source"]], e["relation"], w.ids[e["target"]], e["evidence"], e["observation"]) for e in evidence))

    records, mentions, planned = build_conversations(w, rng_conv)
    with (OUT / "conversations" / "inbox.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    tsv(OUT / "conversations" / "mentions.tsv", ["conversation_id", "entity_id", "surface", "role"], mentions)

    write_provenance(w, obs, evidence, relation_of, in_source, n_pairs, records, mentions, planned)
    print(f"{len(w.names)} entities, {n_pairs} pairs, {len(positives)} positives ({len(in_source)} in source), "
          f"{len(records)} conversations -> {OUT}")


def rates(co: Counter, positives: set, all_pairs: int, w: World) -> dict:
    pos_hit = sum(1 for p in positives if co.get(p, 0) > 0)
    neg_hit = sum(1 for p, c in co.items() if c > 0 and p not in positives)
    negatives = all_pairs - len(positives)
    dist = Counter(min(co.get(p, 0), 7) for p in positives)
    return {"pos": pos_hit / len(positives), "neg": neg_hit / negatives, "neg_n": neg_hit, "pos_n": pos_hit, "dist": dist,
            "neg_max": max((c for p, c in co.items() if p not in positives), default=0)}


def write_provenance(w, obs, evidence, relation_of, in_source, n_pairs, records, mentions, planned) -> None:
    positives = set(relation_of)
    intended = co_mentions(records, mentions, w)
    matched = name_matches(records, w)
    ri, rm = rates(intended, positives, n_pairs, w), rates(matched, positives, n_pairs, w)
    hubs = {w.ids[n] for n in w.names if w.pop[n] >= 2.5}
    hub_neg = [p for p in itertools.combinations(sorted(w.ids.values()), 2) if p not in positives and (p[0] in hubs or p[1] in hubs)]
    hub_neg_rate = sum(1 for p in hub_neg if intended.get(p, 0) > 0) / len(hub_neg)
    other_neg = n_pairs - len(positives) - len(hub_neg)
    other_neg_rate = (ri["neg_n"] - sum(1 for p in hub_neg if intended.get(p, 0) > 0)) / other_neg
    types = Counter(w.type.values())
    ev = Counter(e["evidence"] for e in evidence)
    rels = Counter(e["relation"] for e in evidence)
    roles = Counter(m[3] for m in mentions)
    lengths = sorted(len(r["content"]) for r in records)
    kinds = Counter("status" if r["project"] in ("notes", "standup") and r["content"].startswith("User: Stand-up") else "other" for r in records)
    n_obs = [len(o) for o in obs.values()]
    dist_i = ", ".join(f"{k if k < 7 else '7+'}: {ri['dist'][k]}" for k in sorted(ri["dist"]))
    dist_m = ", ".join(f"{k if k < 7 else '7+'}: {rm['dist'][k]}" for k in sorted(rm["dist"]))
    text = f"""# devgraph: a synthetic developer knowledge graph with the user's conversations

An invented developer's Session Buddy knowledge graph (one small company, Acme, seen through one
developer's notes) with the truth it was generated from, a partial source graph, and the user's own
conversations that mention the entities. Generated by `scripts/make_kg_devgraph.py` (texts and true
relations in `scripts/kg_devgraph_corpus.py`), seed {SEED}; do not edit by hand. Every file is
byte-identical on every run:

    .venv/bin/python scripts/make_kg_devgraph.py

Everything is invented; public library and service names (fastapi, postgres, ...) are used as names
only. No real person is meant.

## Files

- `entities.tsv`: `entity_id` (a slug of the name), `name`, `entity_type` (as the user stored it),
  `observations` (JSON list). Text recipe as in the pipeline: `name (type): obs; obs; ...`.
  Read the TSV files without quote handling (polars `quote_char=None`, csv `QUOTE_NONE`): fields are never quoted,
  the observations column is JSON (with `"` inside) and names contain `'` and `:`.
- `pairs.tsv`: ALL {n_pairs} unordered pairs (`entity_a` < `entity_b` by id), `label` 1 when a true relation links
  them, `relation` (every true relation, `uses(->)` when `entity_a` is the source), `in_source`.
- `source_relationships.tsv`: {len(in_source)} of the {len(positives)} true pairs ({SOURCE_SHARE:.0%}, lowest sha256 of
  `devgraph\\x1f<a>\\x1f<b>`): the relationships Session Buddy already holds (`source_entity_id`, `target_entity_id`,
  `relation_type`, in the true direction). Score discovery on `in_source` = 0.
- `true_relationships.tsv`: every true relation with how the observations show it (`observation_evidence`:
  stated / named / hint / none) and the observation text.
- `conversations/inbox.jsonl`: {len(records)} conversations in the pipeline's inbox format
  (`{{"id", "project", "timestamp", "content"}}`, see data/samples/README.md), {lengths[0]}-{lengths[-1]} characters
  (median {lengths[len(lengths) // 2]}), timestamps {records[0]['timestamp'][:10]}..{max(r['timestamp'] for r in records)[:10]} (ids in time order).
- `conversations/mentions.tsv`: which entity each conversation names on purpose (`surface` = the form used:
  the name or an alias such as `Postgres`, `Priya`, `settings.py`; `role`: relation, cross, aside, status,
  single). Everyday-word uses of names (`make sure`, `the core problem`, `config`, `Will this break`) are NOT
  listed: they are the noise a name matcher has to survive.

## Entities

{len(w.names)} entities: {", ".join(f"{t} {c}" for t, c in types.most_common())}. `error` is a type Session
Buddy users record but the pipeline's vocabulary (entities.py KNOWN_TYPES) does not know yet; teams are stored
as `organization`. Names include everyday words (`make`, `core`, `api`, `patch`, `config`, `docs`,
`gateway`, `scheduler`), families (`acme-api`, `acme-api-tests`, `acme-api-client`, `acme-api/app/settings.py`;
`libgeo`, `libgeo-dev`, `libgeo-py`; `billing`, `billing-worker`, `billing-tests`; `core`, `core-tests`,
`core-testing`), file paths and bare file names shared by several projects (`Makefile`, `pyproject.toml`),
people (`Mark Okafor`, `Will Chen`: first names that are also English words) and error strings.

Observations ({sum(n_obs)}, {min(n_obs)}-{max(n_obs)} per entity): each entity's own description (a few
name a related entity as part of saying what they are: `Python client for Redis`, `messaging library behind
celery`, `Python bindings for libgeo`), then in shuffled order: for every true relation (source side), with probability
{P_EVIDENCE['stated']} a *stated* observation with a relation verb (`uses fastapi`, `depends on auth`,
`deployed to prod-k8s`, `tests billing`), {P_EVIDENCE['named']} a *named* one without such a verb (`bumped httpx
last sprint`, `calls auth on every request`), {P_EVIDENCE['hint']} a *hint* (the target's paraphrase, no name:
`keeps its records in the relational database`; only where the target has one), otherwise nothing; the
target is named by an alias with probability {P_ALIAS_IN_OBSERVATION}. Result: {", ".join(f"{k} {ev[k]}" for k in ('stated', 'named', 'hint', 'none'))}.
Plus {sum(1 for n in w.names for g in obs[n] if g in C.GENERIC_OBSERVATIONS)} generic observations (`needs cleanup`,
`discussed in standup`; 0-2 per entity) and {len(C.PROSE_NOT_RELATED)} observations naming an UNRELATED entity
(`considered kafka for invoice events but dropped the idea`, `make sure migrations run before the pods roll`).

## Truth

{len(positives)} related pairs of {n_pairs} ({len(positives) / n_pairs:.2%}) from {len(evidence)} typed relations:
{", ".join(f"{r} {c}" for r, c in rels.most_common())}. Hubs: {", ".join(f"{n} ({len(w.neighbours[n])})" for n in sorted(w.names, key=lambda n: -len(w.neighbours[n]))[:6])}.

## Conversations: generative process

1. Each true pair is *discussed* with probability {P_DISCUSSED}; a discussed pair is discussed k times,
   k in 1..6 with probabilities {", ".join(f"{v}" for v in DISCUSSION_COUNTS.values())}. ({len(planned)} pairs discussed,
   {sum(planned.values())} discussions planned.)
2. Discussions are shuffled and packed into *topic* conversations: a conversation takes the next unused
   discussion, anchors on its project end (else its source), and with probability {P_MORE_EDGES} (twice at most)
   takes another pending discussion of the same anchor; so the other ends of one anchor meet in one
   conversation (siblings: two libraries of one project, co-mentioned but unrelated).
   Each relation is written as a sentence naming both ends (`after bumping pydantic, billing's build fails`);
   with probability {P_CROSS_PROJECT} the user adds `we had the same thing with <library> in <another project
   using it>`; with probability {P_ASIDE} one more entity is named in passing, drawn by popularity (hubs such
   as core, postgres, make, docker, prod-k8s, config are drawn far more often); the assistant may name the
   target again.
3. {N_STATUS} *stand-up notes* name 3-5 entities drawn by popularity, unrelated in general.
4. {N_CHATTER} *chatter* conversations name at most one entity.
5. Most conversations mix in filler sentences that use everyday-word names as plain words (`make sure`,
   `the core problem`, `check the config`, `apply a small patch`, `Will this break`, `Mark the old endpoint`).
   A mention uses the canonical name with probability {P_CANONICAL}, else an alias (`Postgres`, `the db`,
   `Priya`, `settings.py`, `CI`).
6. `project` is the anchor's project (the anchor itself, or a project related to it), with probability
   {P_OTHER_PROJECT_FIELD} another project or `scratch`/`notes`; stand-ups are `notes`/`standup`. The project field
   is a name too: counting it as a mention adds co-mention signal (and noise).
7. Timestamps uniform over the period, minute resolution; ids `devgraph-NNNN` in time order.

Mentions by role: {", ".join(f"{r} {c}" for r, c in roles.most_common())}.

## Co-mention: how informative it came out

Intended mentions (`mentions.tsv`), pairs of entities named in one conversation:
- true pairs co-mentioned at least once: {ri['pos']:.1%} ({ri['pos_n']} of {len(positives)}); number of conversations per
  true pair: {dist_i}.
- unrelated pairs co-mentioned at least once: {ri['neg']:.2%} ({ri['neg_n']} pairs; the most: {ri['neg_max']}
  conversations); pairs with a hub (popularity >= 2.5: {", ".join(sorted(n for n in w.names if w.pop[n] >= 2.5))}):
  {hub_neg_rate:.2%}, others {other_neg_rate:.2%}.

A naive matcher (entity names only, case-insensitive, whole words; no aliases; content only) sees:
- true pairs co-mentioned: {rm['pos']:.1%} ({rm['pos_n']}); per true pair: {dist_m}.
- unrelated pairs co-mentioned: {rm['neg']:.2%} ({rm['neg_n']} pairs; the most: {rm['neg_max']}), the difference
  coming from everyday-word names used as words (`make`, `core`, `config`, `api`, `patch`, `docs`) and aliases
  it misses.

## Caveats

- Synthetic: the co-mention rates above are what the parameters produced, not a measurement of real users.
  Conversations are short (a few templated sentences each, far shorter than real sessions), so one
  conversation names few entities; in long real sessions many more unrelated entities share a conversation.
- Conversation sentences and observations come from small template pools; a model can learn the templates
  (`X pulls in Y`) rather than the relation. Use the graph for features that do not read the wording
  (co-mention counts, PMI, structure, cosine), or hold it out when a feature reads text patterns.
- The entities' observations and the conversations were drawn independently (two random streams): an
  observation stating a relation says nothing about whether the pair is discussed.
"""
    (OUT / "PROVENANCE.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
