"""How fast the MCP server answers search_conversations, warm, over stdio with the SDK's own client, beside a
whole `sb-pipeline search` command on the same warehouse (a process that loads the model for one query).

The samples go through the pipeline once into a temp folder (or --warehouse names a built one). Then one server
process answers --calls searches (distinct queries drawn from the samples' probes and their words, so no answer
is a repeat); the first call, which loads the model and the search matrix, is reported on its own. Milliseconds
are wall time at the client, JSON-RPC round trip included.

    .venv/bin/python bench/mcp_latency.py [--calls 50] [--cli-calls 5] [--warehouse PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def queries(n: int) -> list[str]:
    probes = [p["query"] for p in json.loads((REPO / "data" / "samples" / "MANIFEST.json").read_text())["probes"]]
    words = sorted({w for q in probes for w in q.split() if len(w) > 4})
    rng = np.random.default_rng(3)
    extra = [" ".join(rng.choice(words, size=4, replace=False)) for _ in range(n)]
    return (probes + extra)[:n]


async def serve_and_time(env: dict, texts: list[str]) -> tuple[float, list[float]]:
    params = StdioServerParameters(command=str(BIN / "sb-pipeline"), args=["mcp"], env=env, cwd=str(REPO))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as client:
            await client.initialize()
            started = time.perf_counter()
            await client.call_tool("search_conversations", {"query": "warm-up: load the model and the matrix"})
            first = time.perf_counter() - started
            times = []
            for text in texts:
                started = time.perf_counter()
                result = await client.call_tool("search_conversations", {"query": text})
                times.append(time.perf_counter() - started)
                assert not result.is_error, result.content[0].text
            return first, times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--cli-calls", type=int, default=5)
    parser.add_argument("--warehouse", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SB_", "DAGSTER_"))}
        env.update(SB_DATA_DIR=str(Path(tmp) / "data"), SB_CACHE_DIR=str(Path(tmp) / "cache"), SB_MODEL_DIR=str(REPO / "data" / "models"),
                   DAGSTER_HOME=str(Path(tmp) / "home"), SB_WAREHOUSE=str(args.warehouse or Path(tmp) / "warehouse.duckdb"))
        if args.warehouse is None:
            subprocess.run([str(BIN / "sb-pipeline"), "run"], cwd=tmp, env=env, check=True, capture_output=True)
        first, times = asyncio.run(serve_and_time(env, queries(args.calls)))
        cli = []
        for text in queries(args.cli_calls):
            started = time.perf_counter()
            subprocess.run([str(BIN / "sb-pipeline"), "search", text, "--json", "--limit", "5"], env=env, check=True, capture_output=True)
            cli.append(time.perf_counter() - started)
    ms = np.array(times) * 1000
    print(f"MCP search_conversations, warm, {len(ms)} calls: p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
          f"max {ms.max():.0f} ms; first call (loads the model and the matrix) {first * 1000:.0f} ms")
    cli_ms = statistics.median(cli) * 1000
    print(f"peer: a whole `sb-pipeline search` command, median of {len(cli)}: {cli_ms:.0f} ms "
          f"({cli_ms / np.percentile(ms, 50):.1f}x the server's warm p50)")


if __name__ == "__main__":
    main()
