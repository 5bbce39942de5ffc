"""`sb-pipeline mcp`: the MCP server over stdio, for Claude Code and other MCP clients (see the README)."""

from __future__ import annotations

from sb_pipeline.cli._app import app


@app.command()
def mcp() -> None:
    """Serve the pipeline's results to an AI assistant over MCP (stdio): search_conversations, get_conversation,
    get_conversation_statistics, analyze_graph_connectivity, related_entities, quality_alerts, source_status,
    store_conversation, store_conversation_checkpoint. Read-only on the warehouse."""
    from sb_pipeline.mcp.server import serve

    serve()
