"""Session types measured on the labelled set: accuracy and the confusion matrix.

    .venv/bin/python bench/session_type_quality.py                # the held-out test split (what the README reports)
    .venv/bin/python bench/session_type_quality.py --split dev    # the split the rules were adjusted on

The sessions are read by the pipeline's own transcript reader (so the tool calls, files and error metadata are
what a real run stores) and classified by sb_pipeline.conversations.session_types. A baseline in the same run
judges by the user's words alone (the cue with the most hits), to show what the tools and failures add.
Figures go to bench/results/session_type_quality.json.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from sb_pipeline.conversations.session_types import CUES, TYPES, classify_session, session_features
from sb_pipeline.sources.transcripts import read_transcripts

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "labelled" / "session_types"


def words_only(content: str) -> str:
    """The baseline: the type whose cue words the prompts use most (question when none)."""
    features = session_features(content)
    counts = {t: features[f"cue_{t}"] for t in CUES}
    best = max(TYPES, key=lambda t: (counts[t], -TYPES.index(t)))
    return best if counts[best] else "question"


def confusion(pairs: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    table = {t: dict.fromkeys(TYPES, 0) for t in TYPES}
    for truth, guess in pairs:
        table[truth][guess] += 1
    return table


def render(table: dict[str, dict[str, int]]) -> str:
    head = "| true \\ predicted | " + " | ".join(TYPES) + " |"
    lines = [head, "|" + "---|" * (len(TYPES) + 1)]
    lines += ["| " + truth + " | " + " | ".join(str(row[t]) for t in TYPES) + " |" for truth, row in table.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="test", choices=["dev", "test", "all"])
    args = parser.parse_args()
    labels = {r["session_id"]: r for r in map(json.loads, (DATA / "labels.jsonl").read_text().splitlines())}
    records = read_transcripts(DATA / "transcripts").records
    rules, words, mixed = [], [], []
    for row in records.iter_rows(named=True):
        label = labels[row["natural_key"]]
        if args.split != "all" and label["split"] != args.split:
            continue
        guess = classify_session(row["content"], json.loads(row["metadata"])).session_type
        rules.append((label["session_type"], guess))
        words.append((label["session_type"], words_only(row["content"])))
        if label["mixed_with"]:
            mixed.append(label["session_type"] == guess)
    accuracy = sum(t == g for t, g in rules) / len(rules)
    baseline = sum(t == g for t, g in words) / len(words)
    table = confusion(rules)
    per_type = {t: round(table[t][t] / max(sum(table[t].values()), 1), 3) for t in TYPES}
    result = {"split": args.split, "sessions": len(rules), "accuracy": round(accuracy, 3), "words_only_accuracy": round(baseline, 3),
              "mixed_sessions": len(mixed), "mixed_accuracy": round(sum(mixed) / max(len(mixed), 1), 3),
              "recall_by_type": per_type, "confusion": table, "errors": dict(Counter(f"{t}->{g}" for t, g in rules if t != g))}
    print(f"split {args.split}: {len(rules)} sessions, accuracy {accuracy:.3f} (words alone {baseline:.3f}); "
          f"mixed sessions {result['mixed_accuracy']:.3f} of {len(mixed)}")
    print(render(table))
    out = ROOT / "bench" / "results" / f"session_type_quality{'' if args.split == 'test' else '_' + args.split}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
