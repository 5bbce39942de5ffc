"""The MCP server (`sb-pipeline mcp`, stdio): Session Buddy's tool names over the pipeline's warehouse.

Read-mostly: every tool reads the warehouse read-only and briefly (answers.py); the two store tools append
one line to a pipeline-owned inbox (sources/inbox_writer.py) that the pipeline's sensor picks up, so the
one-writer rule holds. The embedding model is loaded once per process, on the first search. Nothing leaves
the machine: stdio only, no network, no telemetry (the SDK's OpenTelemetry hooks are the no-op API, with
no exporter installed, and OTEL_SDK_DISABLED is set).

Errors come back as tool errors whose text is JSON: `{"error": <code>, "message": ..., ...}` with codes
warehouse_missing, warehouse_busy (retry_after_seconds), not_built_yet, unknown_project, unknown_conversation,
unknown_chunk, unknown_entity, lexical_index_unavailable, invalid_input.
"""

from __future__ import annotations

import functools
import json
import os
from datetime import datetime, timezone
from typing import Literal

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, TextContent

from sb_pipeline import settings
from sb_pipeline.conversations.service import SearchSession
from sb_pipeline.mcp.answers import MAX_STORED_CHARS, MIN_STORED_CHARS, Answers, ToolFailure
from sb_pipeline.sources.inbox_writer import append_to_inbox

INSTRUCTIONS = """Memory of this developer's past AI-coding conversations (Claude Code sessions, notes, Session Buddy
reflections), their knowledge graph and their code-quality trends, built locally by sb-pipeline. Start with
search_conversations (cheap: ids and snippets), then get_conversation for the text you need. New data appears
after the pipeline's next run (minutes after store_conversation)."""


def _tool_result(fn):
    """A tool's dict as its result; a ToolFailure (or bad input) as a structured tool error, never a crash."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return _result(fn(*args, **kwargs))
        except ToolFailure as failure:
            return _result(failure.to_dict(), error=True)
        except ValueError as exc:
            return _result({"error": "invalid_input", "message": str(exc)}, error=True)

    return call


def _result(payload: dict, error: bool = False) -> CallToolResult:
    """Compact JSON text: a search costs a few hundred tokens, not a page of indentation."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=error)


def build_server() -> MCPServer:
    os.environ.setdefault("OTEL_SDK_DISABLED", "true")
    from sb_pipeline.embedding import load_embedder
    from sb_pipeline.embedding.model_store import cached_model_id

    profile = settings.embedding_profile()
    session = SearchSession(settings.warehouse_path(), settings.cache_dir(), settings.lexical_index_dir(),
                            load_model=lambda: load_embedder(profile=profile), model_id=cached_model_id(settings.model_dir(), profile))
    answers = Answers(settings.warehouse_path(), session)
    server = MCPServer("sb-pipeline", instructions=INSTRUCTIONS, log_level="WARNING")
    _conversation_tools(server, answers)
    _insight_tools(server, answers)
    _store_tools(server)
    return server


def _conversation_tools(server: MCPServer, answers: Answers) -> None:
    @server.tool(description=(
        "Search the developer's past conversations (Claude Code sessions, notes, reflections) for a problem, decision, "
        "error message, identifier, file or command. Returns the best conversations with a short snippet each; call "
        "get_conversation for the text. mode: hybrid (default: words and meaning), lexical (exact words, identifiers, "
        "error codes), semantic (meaning only). min_score applies to the mode's score (hybrid: 0-1)."))
    @_tool_result
    def search_conversations(query: str, project: str | None = None, kind: Literal["conversation", "reflection", "insight"] | None = None,
                             limit: int = 5, min_score: float | None = None,
                             mode: Literal["hybrid", "semantic", "lexical"] = "hybrid") -> dict:
        if not 1 <= limit <= 50:
            raise ToolFailure("invalid_input", "limit must be between 1 and 50")
        return answers.search_conversations(query, project, kind, limit, min_score, mode)

    @server.tool(description=(
        "The text of one conversation found by search_conversations: whole when it fits in max_chars, otherwise the part "
        "around around_chunk (the `chunk` of a search result), or its beginning."))
    @_tool_result
    def get_conversation(conversation_id: str, around_chunk: int | None = None, max_chars: int = 4000) -> dict:
        return answers.get_conversation(conversation_id, around_chunk, max_chars)

    @server.tool(description="How many conversations are stored and embedded, per kind and source, projects, recent ones.")
    @_tool_result
    def get_conversation_statistics() -> dict:
        return answers.statistics()


def _insight_tools(server: MCPServer, answers: Answers) -> None:
    @server.tool(description=(
        "The knowledge graph's connectivity: entities, relationships (from the source and discovered), isolated entities, "
        "components, a health band and recommendations."))
    @_tool_result
    def analyze_graph_connectivity() -> dict:
        return answers.graph_connectivity()

    @server.tool(description="An entity's relationships in the knowledge graph (by name, case-insensitive), each with its evidence and confidence.")
    @_tool_result
    def related_entities(name: str, limit: int = 20) -> dict:
        return answers.related_entities(name, limit)

    @server.tool(description=(
        "What the developer's conversations were about over the last weeks: topics (label, top terms, conversations, share, "
        "rising/fading trend, example conversations) and session types (debugging, feature, refactoring, review, operations, "
        "question, note, reflection) per week, for all projects or one."))
    @_tool_result
    def conversation_topics(project: str | None = None, weeks: int = 8, limit: int = 10) -> dict:
        if not 1 <= weeks <= 104 or not 1 <= limit <= 50:
            raise ToolFailure("invalid_input", "weeks must be 1-104 and limit 1-50")
        return answers.conversation_topics(project, weeks, limit)

    @server.tool(description=(
        "Code-quality alerts from Crackerjack runs: which metric degraded in which project, how much, since when, and "
        "whether it is new, ongoing or resolved."))
    @_tool_result
    def quality_alerts(project: str | None = None, include_resolved: bool = False) -> dict:
        return answers.quality_alerts(project, include_resolved)

    @server.tool(description="Whether every data store (Session Buddy, Crackerjack, the warehouse, the embedding model) is healthy, and what to do if not.")
    @_tool_result
    def source_status() -> dict:
        from sb_pipeline.health import HealthConfig, check_all

        return check_all(HealthConfig.from_settings(lock_wait_seconds=1.0)).to_dict()


def _store_tools(server: MCPServer) -> None:
    @server.tool(description=(
        "Remember something for later searches: a decision, a fix, a summary of this session. Stored in the pipeline's "
        f"inbox ({MIN_STORED_CHARS}-{MAX_STORED_CHARS} characters; secrets are redacted) and searchable after the next pipeline run."))
    @_tool_result
    def store_conversation(content: str, project: str | None = None, title: str | None = None) -> dict:
        text = f"# {title.strip()}\n\n{content}" if title and title.strip() else content
        return _store(text, project)

    @server.tool(description=(
        "Store a checkpoint of the current session (Session Buddy's store_conversation_checkpoint): a summary with its "
        "type (checkpoint, session_end, manual) and an optional quality score 0-100."))
    @_tool_result
    def store_conversation_checkpoint(summary: str, project: str | None = None,
                                      checkpoint_type: Literal["checkpoint", "session_end", "manual"] = "checkpoint",
                                      quality_score: int | None = None) -> dict:
        if quality_score is not None and not 0 <= quality_score <= 100:
            raise ToolFailure("invalid_input", "quality_score must be between 0 and 100")
        now = datetime.now(timezone.utc)
        lines = [f"# Conversation Context: {checkpoint_type.upper()}", f"Project: {project or 'Unknown'}", f"Timestamp: {now.isoformat()}"]
        if quality_score is not None:
            lines.append(f"Quality Score: {quality_score}/100")
        return _store("\n".join(lines) + "\n\n" + summary, project)


def _store(text: str, project: str | None) -> dict:
    length = len(text.strip())
    if not MIN_STORED_CHARS <= length <= MAX_STORED_CHARS:
        raise ToolFailure("invalid_input", f"the text has {length} characters; the pipeline keeps {MIN_STORED_CHARS} to {MAX_STORED_CHARS}")
    stored = append_to_inbox(settings.own_inbox_dir(), text.strip(), project)
    return {"stored": True, "id": stored.id, "file": str(stored.file), "secrets_redacted": stored.secrets_redacted,
            "searchable": "after the pipeline's next run (its sensor watches the inbox)"}


def serve() -> None:
    build_server().run("stdio")
