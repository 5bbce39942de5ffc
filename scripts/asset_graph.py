"""Print the asset graph as Mermaid, drawn from the definitions; `--write` updates README.md in place.

    .venv/bin/python scripts/asset_graph.py [--write]
"""

import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

from sb_pipeline.definitions import defs  # noqa: E402
from sb_pipeline.defs.diagram import END, START, readme_block  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"

if __name__ == "__main__":
    block = readme_block(defs())
    if "--write" not in sys.argv:
        print(block)
        sys.exit(0)
    text = README.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    if not rest:
        sys.exit(f"{README} has no {START} marker")
    README.write_text(head + block + tail)
    print(f"updated the asset graph in {README}")
