"""Write the oldest warehouse layout in git history as a SQL fixture for the migration test.

    .venv/bin/python scripts/oldest_warehouse_layout.py

It takes `sb_pipeline/warehouse/schema.py` from the first commit that had it, runs that module's own
`ensure_schema` on an empty DuckDB file, and dumps the resulting tables, indexes and `sb_meta` rows to
`sb_pipeline_tests/fixtures/warehouse_layout_oldest.sql`, headed by the commit it came from. The test
then needs no git history (CI may clone shallow) and still tests the real old layout.
"""

import subprocess
import sys
import tempfile
import types
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "sb_pipeline_tests" / "fixtures" / "warehouse_layout_oldest.sql"
SCHEMA = "sb_pipeline/warehouse/schema.py"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout


def main() -> None:
    commit = git("log", "--reverse", "--format=%H", "--", SCHEMA).split()[0]
    source = git("show", f"{commit}:{SCHEMA}")
    # The old module imported EMBEDDING_DIM from the package; that constant (384) never changed.
    module = types.ModuleType("oldest_schema")
    module.__dict__["__name__"] = "oldest_schema"
    exec(compile(source.replace("from sb_pipeline.embedding import EMBEDDING_DIM", "EMBEDDING_DIM = 384"), SCHEMA, "exec"),
         module.__dict__)
    with tempfile.TemporaryDirectory() as tmp:
        conn = duckdb.connect(str(Path(tmp) / "old.duckdb"))
        module.ensure_schema(conn)
        tables = [r[0] for r in conn.execute("SELECT sql FROM duckdb_tables() ORDER BY table_name").fetchall()]
        indexes = [r[0] for r in conn.execute("SELECT sql FROM duckdb_indexes() ORDER BY index_name").fetchall()]
        meta = conn.execute("SELECT key, value FROM sb_meta ORDER BY key").fetchall()
        conn.close()
    lines = [f"-- The warehouse layout of commit {commit} (schema version {module.SCHEMA_VERSION}),",
             "-- the oldest in git history; made by scripts/oldest_warehouse_layout.py. Do not edit.", ""]
    lines += [sql.rstrip(";") + ";" for sql in tables + indexes]
    lines += [f"INSERT INTO sb_meta VALUES ('{k}', '{v}');" for k, v in meta]
    TARGET.write_text("\n".join(lines) + "\n")
    print(f"wrote {TARGET} from {commit[:12]} (schema {module.SCHEMA_VERSION}, {len(tables)} tables)")


if __name__ == "__main__":
    sys.exit(main())
