"""`sb-pipeline mcp`: the pipeline's results as MCP tools for an AI assistant (stdio), read-mostly."""
