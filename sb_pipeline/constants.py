"""Facts several layers share, kept at the bottom so no layer climbs to read one.

The embedding model's shape is fixed by the pinned model (all-MiniLM-L6-v2) and the warehouse's
vector columns are declared with it; DuckDB's offline configuration is used wherever a DuckDB file
is opened (the warehouse, a source's private snapshot, the health check's copy).
"""

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2's output size: the warehouse's FLOAT[384] columns
MAX_TOKENS = 256  # the model's window: [CLS] + 254 word pieces + [SEP]

# No DuckDB extension is ever installed or loaded on its own: handed a SQLite file (or any other format)
# DuckDB would otherwise download a scanner, and nothing here uses the network after install.
DUCKDB_OFFLINE = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
