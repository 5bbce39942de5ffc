"""Words for lexical search in developer text: identifiers kept whole and split into their parts.

A developer searches their history for `pytest-xdist`, `ECONNRESET`, `E501`, `get_user_by_id`,
`src/api/routes.py` or `--no-cache` as often as for plain words, and may type only a part (`xdist`,
`routes.py`, `user by id`). So every compound is indexed whole (case-folded, without sentence punctuation
around it) *and* as its parts: split at `_ . / \\ - :` and at camelCase and letter/digit boundaries.
English function words are dropped (never inside a whole compound), single letters too; nothing is
stemmed except, optionally, a plain word's plural `s`, since a stemmer would mangle identifiers
(`ks` -> `k`, `status` -> `statu`).

    >>> tokens("ModuleNotFoundError: No module named 'pytest_xdist' in src/api/routes.py")
    ['modulenotfounderror', 'module', 'found', 'error', 'module', 'named', 'pytest_xdist', 'pytest', 'xdist',
     'src/api/routes.py', 'routes.py', 'src', 'api', 'routes', 'py']

The same function tokenises documents and queries, so a query matches what the index holds.
"""

from __future__ import annotations

import re

# What separates spans: whitespace, quotes, brackets, commas and the like. Inside a span, `_ . / \ - :`
# join the parts of one compound (a path, a dotted name, a flag, a URL, `key:value`).
_SPAN = re.compile(r"[^\s\"'`()\[\]{}<>,;|=!?*&^%$#@~+]+")
_PART = re.compile(r"[^\W_]+")  # letters and digits (any script)
_PIECE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+|[^\W\d_]+")  # camelCase, ALLCaps, digits
_EDGE = ".:-/\\"  # stripped from a span's ends: sentence punctuation, `--flags`, `./paths`, `dir/`

# Function words of English (articles, pronouns, auxiliaries, prepositions, conjunctions, question words):
# frequent in prose and queries ("why did we ..."), useless to rank by. Content words stay.
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until very was we were what when
where which while who whom why will with would you your yours yourself yourselves also dont doesnt didnt isnt
wasnt cant wont
""".split())


SPAN_PATTERN = _SPAN.pattern  # for vectorised matchers (polars' regex engine reads the same class)
SPAN_EDGES = _EDGE


def spans(text: str) -> list[str]:
    """The case-folded spans of `text`, each compound whole (`acme-api`, `settings.py`, `src/app.py`) and
    never split, sentence punctuation stripped: what a name matcher compares whole names against."""
    return [s for s in (span.strip(_EDGE).lower() for span in _SPAN.findall(text)) if s]


def tokens(text: str, fold_plurals: bool = False) -> list[str]:
    """The search tokens of `text`, in order, repeats kept (BM25 counts them)."""
    out: list[str] = []
    for span in _SPAN.findall(text):
        span = span.strip(_EDGE)
        if not span:
            continue
        parts = _PART.findall(span)
        if len(parts) > 1:
            out.append(span.lower())  # the compound itself: `pytest-xdist`, `os.environ`, `src/app.py`
            out.extend(_path_segments(span))  # a path's file names: `routes.py` of `src/api/routes.py`
        for part in parts:
            _add_part(part, out, fold_plurals)
    return out


def _path_segments(span: str) -> list[str]:
    segments = re.split(r"[/\\]+", span)
    if len(segments) < 2:
        return []
    return [seg.lower() for seg in (s.strip(_EDGE) for s in segments) if len(_PART.findall(seg)) > 1]


def _add_part(part: str, out: list[str], fold_plurals: bool) -> None:
    pieces = _PIECE.findall(part)
    lowered = part.lower()
    if len(pieces) > 1:
        out.append(lowered)  # `getUserById`, `E501`, `HTTPServer` whole ...
        for piece in pieces:  # ... and `get`, `user`, `id`; `501`; `http`, `server`
            _add_word(piece.lower(), out, fold_plurals)
    else:
        _add_word(lowered, out, fold_plurals)


def _add_word(word: str, out: list[str], fold_plurals: bool) -> None:
    if word in STOPWORDS or (len(word) == 1 and not word.isdigit()):
        return
    out.append(_singular(word) if fold_plurals else word)


def _singular(word: str) -> str:
    """`migrations` -> `migration`, `queries` -> `query`; short words, `ss`/`us`/`is` endings and anything with
    a digit stay (`status`, `class`, `redis`, `k8s`)."""
    if len(word) <= 4 or not word.isalpha() or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word
