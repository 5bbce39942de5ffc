"""Build the labelled session-type set under bench/labelled/session_types/.

    .venv/bin/python scripts/make_session_types_set.py

240 Claude Code sessions (40 per type: debugging, feature, refactoring, review, operations, question) in
Claude Code's own JSONL (user prompts, assistant text and tool_use lines, one tool_result user line per tool
with `is_error`, like scripts/make_samples.py writes), over four invented projects (Python, TypeScript, Go,
Rust). The label is the work the session was started for. Realistic mixtures: a quarter of the sessions do
two pieces of the same kind, and 45 % carry the start of another kind of work (its prompt and first answer, after the main work or, 30 %
of the time and never for a question, before it: a feature that meets a failing
test, a debugging session that ends with a question, a review that fixes a typo). Half of each type is the
development split (rules are adjusted on it), half the test split (reported). All text comes from
scripts/session_corpus/segments.py; every random choice from a seeded `random.Random`, so the output is
byte-identical on every run.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from session_corpus.segments import FAMILIES, PROJECTS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "labelled" / "session_types"
PER_TYPE = 40
MIX_SHARE = 0.45
DOUBLE_SHARE = 0.25


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def session_steps(kind: str, project: dict, rng: random.Random) -> tuple[list, str | None]:
    """The steps of one session of `kind` and the other kind mixed in (None: pure)."""
    steps = FAMILIES[kind](project, rng)
    if rng.random() < DOUBLE_SHARE:
        steps += FAMILIES[kind](project, rng)
    other = None
    if rng.random() < MIX_SHARE:
        other = rng.choice([k for k in FAMILIES if k != kind])
        piece = FAMILIES[other](project, rng)[:2]  # its prompt and the first answer: a side trip, not the main work
        # a quick thing first, then the main work; never before a question, whose own exchange is as short
        steps = piece + steps if kind != "question" and rng.random() < 0.3 else steps + piece
    return steps, other


def transcript_lines(steps: list, session_id: str, cwd: str, start: datetime, rng: random.Random) -> list[str]:
    """Claude Code's JSONL for the steps: user lines, one assistant line per content block, tool results."""
    lines, parent, now = [], None, start

    def emit(kind: str, content, extra: dict | None = None) -> None:
        nonlocal parent, now
        now += timedelta(seconds=rng.randint(2, 90))
        uid = _uuid(rng)
        event = {"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": cwd, "sessionId": session_id,
                 "version": "2.1.3", "gitBranch": "main", "type": kind, "uuid": uid,
                 "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "message": {"role": kind, "content": content}, **(extra or {})}
        lines.append(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
        parent = uid

    for step in steps:
        if step[0] == "user":
            emit("user", step[1])
            continue
        _, text, tools = step
        if text:
            emit("assistant", [{"type": "text", "text": text}])
        ids = []
        for name, payload, _, _ in tools:
            ids.append("toolu_01" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(20)))
            emit("assistant", [{"type": "tool_use", "id": ids[-1], "name": name, "input": payload}])
        for tid, (name, _, output, is_error) in zip(ids, tools):
            emit("user", [{"type": "tool_result", "tool_use_id": tid, "content": output, "is_error": is_error}])
    return lines


def build() -> list[dict]:
    if OUT.exists():
        shutil.rmtree(OUT)
    labels = []
    names = sorted(PROJECTS)
    for kind in FAMILIES:
        rng = random.Random(f"session-types:{kind}")
        splits = ["dev", "test"] * (PER_TYPE // 2)
        rng.shuffle(splits)
        for i in range(PER_TYPE):
            name = rng.choice(names)
            steps, other = session_steps(kind, PROJECTS[name], rng)
            sid = _uuid(rng)
            start = datetime(2026, 9, 1, 8, tzinfo=timezone.utc) + timedelta(days=rng.randint(0, 80), hours=rng.randint(0, 10))
            path = OUT / "transcripts" / f"-home-dev-{name}" / f"{sid}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(transcript_lines(steps, sid, f"/home/dev/{name}", start, rng)) + "\n", encoding="utf-8")
            labels.append({"session_id": sid, "project": name, "session_type": kind, "mixed_with": other, "split": splits[i]})
    labels.sort(key=lambda r: r["session_id"])
    (OUT / "labels.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in labels), encoding="utf-8")
    return labels


def provenance(labels: list[dict]) -> str:
    mixed = sum(r["mixed_with"] is not None for r in labels)
    return f"""# Labelled session types: provenance

Generated by `scripts/make_session_types_set.py` from `scripts/session_corpus/segments.py`. **Every text here was
written for this repository**; no real conversation or external data set was read, copied or imitated.

- `transcripts/-home-dev-<project>/<session-uuid>.jsonl`: {len(labels)} Claude Code sessions in Claude Code's JSONL
  (user prompts, assistant text and `tool_use` lines, one `tool_result` user line per tool with `is_error`).
- `labels.jsonl`: `session_id`, `project`, `session_type` (what the session was started for), `mixed_with` (the kind of
  work whose start it also carries, or null), `split` (`dev`: rules adjusted on it; `test`: reported).

{PER_TYPE} sessions per type (debugging, feature, refactoring, review, operations, question), half of each in each split;
{mixed} of {len(labels)} carry the start of another kind of work, a quarter repeat their own kind twice. Prompts are
drawn from pools in which some name the work ("... fails in CI") and some do not ("the numbers look wrong since
Tuesday"), so the words alone do not decide. Regenerate (byte-identical):

    .venv/bin/python scripts/make_session_types_set.py

Measured by `.venv/bin/python bench/session_type_quality.py` (accuracy and the confusion matrix on the test split).
"""


if __name__ == "__main__":
    rows = build()
    (OUT / "PROVENANCE.md").write_text(provenance(rows), encoding="utf-8")
    print(f"{len(rows)} sessions written to {OUT}")
