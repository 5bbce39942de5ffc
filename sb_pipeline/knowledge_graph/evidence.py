"""Textual evidence for an edge: observations that name another entity, and shared name stems.

Why: in Session Buddy the observation patterns ("uses X", "depends on X", ...) were the only
evidence with a direction and a meaning, yet auto-discovery never passed observations to the type
inference, so that branch was dead; and where it did run, `\\w+` captured one word and accepted a hit
if the word was a substring of the name or vice versa ("fast" matched "fastapi"). Here:

- one compiled regex per verb finds the verb and the next few words; the words are resolved against
  a dict of entity name keys (`names.name_key`: case folded, `-`/`_`/`.` spellings one), longest phrase first, so multi-word names work, the match must
  be the whole phrase (never part of a longer word: "uses fastapi-based" does not name "fastapi"),
  and cost is O(total observation text), not names x observations;
- an optional article after the verb is skipped ("part of the acme platform"); a negated verb ("no longer
  uses sqlalchemy", "never calls auth") states nothing;
- a name shared by several entities resolves to all of them (names are unique only by convention
  in the source); an entity naming itself is ignored.

Shared stems: name tokens (split on non-alphanumerics and camelCase) of >= 3 characters, minus
GENERIC_STEMS, words that say what kind of thing an entity is rather than which thing
("acme-api" and "acme-web" share "acme"; "user-service" and "order-service" share nothing). No rule fires
on them (a shared stem is weak on its own); the relationship model weighs them by how rare the stem is
(features.py, `shared_stem_idf`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sb_pipeline.knowledge_graph.names import name_key

# (relation type, verb pattern): the seed's ten patterns, same verbs and optional plural forms, then the verbs
# developers commonly write in an observation about a test, a deployment, a team or a bug (issue 12).
VERBS: tuple[tuple[str, str], ...] = (
    ("uses", r"uses"),
    ("extends", r"extends"),
    ("depends_on", r"depends\s+on"),
    ("part_of", r"part\s+of"),
    ("implements", r"implements"),
    ("requires", r"requires"),
    ("connects_to", r"connects?\s+to"),
    ("inherits_from", r"inherits\s+from"),
    ("integrates_with", r"integrates\s+with"),
    ("builds_on", r"builds?\s+on"),
    ("tests", r"(?:tests|covers)"),
    ("calls", r"calls"),
    ("imports", r"imports"),
    ("deployed_to", r"(?:deployed\s+to|deploys\s+to|runs\s+on)"),
    ("configures", r"configures"),
    ("provisions", r"provisions"),
    ("owns", r"(?:owns|maintains)"),
    ("owned_by", r"owned\s+by"),
    ("member_of", r"member\s+of"),
    ("fixes", r"fixes"),
    ("caused_by", r"caused\s+by"),
    ("occurs_in", r"occurs\s+in"),
)

GENERIC_STEMS = frozenset(
    "test tests testing api apis app apps lib libs library libraries service services server client "
    "core common util utils tool tools helper helpers base main module modules project system component "
    "config data manager handler plugin package pkg src web cli sdk the and for with".split()
)

MAX_NAME_WORDS = 6
_NEGATED = re.compile(r"\b(?:no\s+longer|not|never|stopped|without)\s+$", re.IGNORECASE)
_WORD = r"[^\s,;:()\[\]{}\"'`]+"


@dataclass(frozen=True)
class Mention:
    """Entity `source` has an observation `text` saying `<verb> <name of target>`."""

    source: int  # row of the observing entity
    target: int  # row of the named entity
    relation: str  # relation type of the verb, e.g. "depends_on"
    text: str  # the whole observation


class NameIndex:
    """Entity name key -> rows, plus one regex of every verb sized to the longest name."""

    def __init__(self, names: list[str], keys: list[str] | None = None):
        self.rows: dict[str, list[int]] = {}
        for i, key in enumerate(keys if keys is not None else [name_key(n) for n in names]):
            if key:
                self.rows.setdefault(key, []).append(i)
        longest = max((len(k.split()) for k in self.rows), default=1)
        self.max_words = min(longest, MAX_NAME_WORDS)
        # One alternation of the verbs (group v<i> says which), so a text is scanned once; the words after
        # the verb are captured inside a lookahead, so a match consumes only the verb and "uses a and uses b"
        # finds both.
        tail = rf"{_WORD}(?:\s+{_WORD}){{0,{self.max_words - 1}}}"
        verbs = "|".join(f"(?P<v{k}>{verb})" for k, (_, verb) in enumerate(VERBS))
        self.pattern = re.compile(rf"\b(?:{verbs})\s+(?:(?:the|an?)\s+)?(?=(?P<tail>{tail}))", re.IGNORECASE)

    def resolve(self, words: str) -> list[int]:
        """Rows named by the longest leading phrase of `words` that is a whole entity name."""
        tokens = words.split()
        for n in range(min(len(tokens), self.max_words), 0, -1):
            phrase = name_key(" ".join(tokens[:n]))
            rows = self.rows.get(phrase)
            if rows:
                return rows
        return []

    def mentions(self, observations: list[list[str] | None]) -> list[Mention]:
        """Every (observer, named entity, verb) in scan order: entity, observation, verb (VERBS order), position."""
        out: list[Mention] = []
        for source, texts in enumerate(observations):
            for text in texts or ():
                found = []
                for match in self.pattern.finditer(text or ""):
                    if _NEGATED.search(text[max(0, match.start() - 24):match.start()]):
                        continue  # "no longer uses sqlalchemy" states the opposite
                    verb = next(k for k in range(len(VERBS)) if match.group(f"v{k}") is not None)
                    found.extend((verb, match.start(), target) for target in self.resolve(match.group("tail")) if target != source)
                out.extend(Mention(source, target, VERBS[verb][0], text) for verb, _, target in sorted(found))
        return out


def name_stems(name: str) -> frozenset[str]:
    """Distinctive tokens of a name (see module docstring)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    tokens = re.split(r"[^a-z0-9]+", spaced.lower())
    return frozenset(t for t in tokens if len(t) >= 3 and not t.isdigit() and t not in GENERIC_STEMS)
