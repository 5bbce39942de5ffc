"""Split conversations into windows the model can read whole.

all-MiniLM-L6-v2 reads at most 256 tokens ([CLS] + 254 + [SEP]); Session Buddy embedded only the
first ~256 tokens of each conversation, so the rest was never searchable. Here every conversation
becomes overlapping windows of at most 254 word-piece tokens. Windows start and end on word
boundaries, so re-tokenising a window's text gives back exactly its tokens (BERT's pre-tokeniser
splits on whitespace and punctuation; word pieces never cross words) and nothing is truncated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
from tokenizers import Tokenizer

WINDOW_TOKENS = 254  # 256 minus [CLS] and [SEP]
OVERLAP_TOKENS = 32
DEFAULT_BATCH_CHARS = 4_000_000  # conversation text chunked between two short write transactions
CHUNK_SCHEMA = {"chunk_id": pl.Utf8, "conversation_id": pl.Utf8, "ordinal": pl.Int32, "text": pl.Utf8, "text_hash": pl.Utf8,
                "content_hash": pl.Utf8, "start_char": pl.Int32, "end_char": pl.Int32}


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    text: str
    start: int  # character offsets into the conversation text
    end: int


def chunk_text(text: str, tokenizer: Tokenizer, window: int = WINDOW_TOKENS, overlap: int = OVERLAP_TOKENS) -> list[Chunk]:
    if not text.strip():
        return []
    enc = tokenizer.encode(text, add_special_tokens=False)
    offsets = enc.offsets
    n = len(offsets)
    if n <= window:
        return [Chunk(0, text, 0, len(text))]
    starts = [not tok.startswith("##") for tok in enc.tokens]  # True where a new word begins
    chunks: list[Chunk] = []
    begin = 0
    while begin < n:
        end = min(begin + window, n)  # exclusive token index
        if end < n:
            cut = end
            while cut > begin + 1 and not starts[cut]:
                cut -= 1  # back off to a word start so no word is split
            end = cut if cut > begin + 1 else end
        char_start = offsets[begin][0]
        char_end = offsets[end - 1][1] if end == n else offsets[end][0]
        chunks.append(Chunk(len(chunks), text[char_start:char_end].strip(), char_start, char_end))
        if end >= n:
            break
        nxt = max(end - overlap, begin + 1)
        while nxt < end and not starts[nxt]:
            nxt += 1
        begin = nxt
    return [c for c in chunks if c.text]


def chunk_id(conversation_id: str, ordinal: int, text_hash: str) -> str:
    return hashlib.sha256(f"{conversation_id}\x1f{ordinal}\x1f{text_hash}".encode()).hexdigest()[:32]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_frame(conversations: pl.DataFrame, tokenizer: Tokenizer) -> pl.DataFrame:
    """The chunk rows (CHUNK_SCHEMA) of conversations given as (conversation_id, content, content_hash)."""
    rows = []
    for cid, content, chash in conversations.select("conversation_id", "content", "content_hash").iter_rows():
        for chunk in chunk_text(content, tokenizer):
            th = text_hash(chunk.text)
            rows.append((chunk_id(cid, chunk.ordinal, th), cid, chunk.ordinal, chunk.text, th, chash, chunk.start, chunk.end))
    return pl.DataFrame(rows, schema=CHUNK_SCHEMA, orient="row")


def conversation_batches(todo: pl.DataFrame, budget_chars: int = DEFAULT_BATCH_CHARS) -> Iterator[list[str]]:
    """The conversation ids of `todo` (conversation_id, char_count) in order, in consecutive runs of about
    `budget_chars` characters (at least one id each): what is read, chunked and written at once."""
    batch: list[str] = []
    total = 0
    for cid, size in todo.select("conversation_id", "char_count").iter_rows():
        batch.append(cid)
        total += size
        if total >= budget_chars:
            yield batch
            batch, total = [], 0
    if batch:
        yield batch
