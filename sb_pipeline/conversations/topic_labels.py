"""Words that say what a topic is: class-based TF-IDF over its chunks, and how coherent those words are (NPMI).

Labels use the search tokeniser (sb_pipeline.text.tokens), so identifiers stay whole: a topic about flaky
parallel tests is labelled `pytest-xdist`, not `pytest` and `xdist`. A term scores by how often it occurs in the
topic's chunks against how common it is in all topics (BERTopic's c-TF-IDF: tf(t, topic) * log(1 + A / f(t)),
A the average number of words per topic, f(t) the term's count over all topics), so words every conversation
uses (`tool`, `bash`, `file`) sink. Numbers, hashes and long paths are never labels. A label is the three best
terms, a term skipped when it is a part of a better one already taken (`xdist` after `pytest-xdist`).

NPMI coherence (Bouma 2009) of a topic's top terms over a set of documents: the mean over term pairs of
log(P(a, b) / (P(a) P(b))) / -log P(a, b), -1 for pairs never seen together, 1 for pairs always together.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from sb_pipeline.text.tokens import tokens

TOP_TERMS = 10
LABEL_TERMS = 3
_PARTS = re.compile(r"[^\W_]+")
# The transcript's own markup (`User:`, `Assistant:`, `[tool Bash: ...]`): in every session, never a topic.
MARKUP = frozenset({"user", "assistant", "tool", "bash", "read", "edit", "write", "grep", "glob", "multiedit", "todowrite", "task"})


def is_label_term(term: str) -> bool:
    """Not a number, a hash, a date or a long path: a word a person would read as a topic."""
    digits = sum(ch.isdigit() for ch in term)
    return term not in MARKUP and 3 <= len(term) <= 40 and digits * 3 < len(term) and term.count("/") <= 1 and term.count("\\") == 0


def term_counts(texts: Iterable[str]) -> Counter:
    return counts_of(tokens(text) for text in texts)


def counts_of(token_lists: Iterable[list[str]]) -> Counter:
    """The label terms' counts over texts already tokenised (tokenise once, count and judge coherence on the same)."""
    counts: Counter = Counter()
    for words in token_lists:
        counts.update(t for t in words if is_label_term(t))
    return counts


def ctfidf(counts: dict[str, Counter], top: int = TOP_TERMS) -> dict[str, list[tuple[str, float]]]:
    """Each topic's `top` terms by class-based TF-IDF, best first (ties by term)."""
    overall: Counter = Counter()
    for c in counts.values():
        overall.update(c)
    average = sum(overall.values()) / max(len(counts), 1)
    out = {}
    for topic, c in counts.items():
        total = sum(c.values()) or 1
        scored = [(term, (n / total) * math.log(1.0 + average / overall[term])) for term, n in c.items()]
        scored.sort(key=lambda item: (-item[1], item[0]))
        out[topic] = [(term, round(score, 6)) for term, score in scored[:top]]
    return out


def label(terms: Sequence[str], size: int = LABEL_TERMS) -> str:
    """The first `size` terms that are not a part of (or made of) a term already taken, joined by ' / '."""
    taken: list[str] = []
    for term in terms:
        parts = set(_PARTS.findall(term))
        if any(parts & set(_PARTS.findall(t)) for t in taken):
            continue
        taken.append(term)
        if len(taken) == size:
            break
    return " / ".join(taken) if taken else "(no words)"


def npmi(topic_terms: Sequence[Sequence[str]], documents: Sequence[set[str]]) -> list[float]:
    """NPMI coherence of each topic's terms over `documents` (each the set of its tokens)."""
    n = len(documents)
    if n == 0:
        return [0.0 for _ in topic_terms]
    vocabulary = {t for terms in topic_terms for t in terms}
    where: dict[str, set[int]] = {t: set() for t in vocabulary}
    for i, doc in enumerate(documents):
        for t in vocabulary & doc:
            where[t].add(i)
    scores = []
    for terms in topic_terms:
        pairs = [(a, b) for i, a in enumerate(terms) for b in terms[i + 1:]]
        values = [_npmi_pair(len(where[a]), len(where[b]), len(where[a] & where[b]), n) for a, b in pairs]
        scores.append(sum(values) / len(values) if values else 0.0)
    return scores


def _npmi_pair(na: int, nb: int, nab: int, n: int) -> float:
    if nab == 0 or na == 0 or nb == 0:
        return -1.0
    pab = nab / n
    if pab >= 1.0:
        return 1.0
    return math.log(pab / ((na / n) * (nb / n))) / -math.log(pab)
