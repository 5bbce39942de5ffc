"""Chunks fit the model whole, cover the whole text, and overlap."""

from __future__ import annotations

import random

from sb_pipeline.conversations.chunking import OVERLAP_TOKENS, WINDOW_TOKENS, chunk_text

WORDS = ["duckdb", "lock", "pytest", "fixture", "embedding", "überprüfung", "naïve", "🙂", "x=1;", "async", "await",
         "polars.DataFrame", "SELECT", "*", "FROM", "t", "WHERE", "id=42", "\n", "extraordinarily", "unbelievable"]


def long_text(n_words: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def test_short_text_is_one_chunk(tokenizer):
    chunks = chunk_text("How do I fix a DuckDB lock error?", tokenizer)
    assert [c.text for c in chunks] == ["How do I fix a DuckDB lock error?"]


def test_every_chunk_fits_the_model_without_truncation(tokenizer):
    text = long_text(3000)
    chunks = chunk_text(text, tokenizer)
    assert len(chunks) > 5
    for c in chunks:
        assert len(tokenizer.encode(c.text, add_special_tokens=False).ids) <= WINDOW_TOKENS


def test_chunks_cover_every_token_and_overlap(tokenizer):
    text = long_text(2000, seed=1)
    chunks = chunk_text(text, tokenizer)
    offsets = tokenizer.encode(text, add_special_tokens=False).offsets
    covered = [any(c.start <= s and e <= c.end for c in chunks) for s, e in offsets]
    assert all(covered), "no token of a long conversation is left out"
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end, "consecutive windows overlap"
        overlap_tokens = sum(1 for s, e in offsets if b.start <= s and e <= a.end)
        assert 1 <= overlap_tokens <= OVERLAP_TOKENS + 8
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_a_late_fact_lands_in_a_chunk(tokenizer):
    text = long_text(1500, seed=2) + " The staging database password rotation happens every Tuesday at 04:00."
    chunks = chunk_text(text, tokenizer)
    assert "rotation happens every Tuesday" in chunks[-1].text
