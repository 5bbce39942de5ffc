"""What a Claude Code session's tool results tell without keeping their text: how many there were, how many
failed, and the first few error lines.

Tool output is not stored as conversation text (it is long, noisy and often secret-laden), but whether a test
run failed or a command crashed is what tells a debugging session from a feature session. So each session
tallies its results: `is_error` set by Claude Code, or a line that reports a failure (a traceback,
`SomeError: ...`, pytest's `FAILED` / `E   ...`, a panic, git's `fatal:`, a compiler's `error[E0308]:`,
`npm ERR!`, a non-zero exit), and keeps the first ERROR_LINES_KEPT such lines, redacted and cut short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sb_pipeline.records import redact

ERROR_LINES_KEPT = 5
ERROR_LINE_CHARS = 120
ERROR_LINE = re.compile(r"^\s*(?:Traceback \(most recent call last\)|[\w.]*(?:Error|Exception)\b|FAILED\b|E {2,}\S|panic:|fatal:"
                        r"|error(?:\[\w+\])?:|npm ERR!|ERROR\b|Exit code [1-9])")


@dataclass
class ToolResultTally:
    results: int = 0
    errors: int = 0
    error_lines: list[str] = field(default_factory=list)

    def add(self, content: object) -> None:
        """Count the tool_result blocks of one message's content (a string or a list of blocks)."""
        for block in content if isinstance(content, list) else []:
            if not isinstance(block, dict) or block.get("type") != "tool_result":
                continue
            self.results += 1
            errors = [line.strip() for line in result_text(block.get("content")).splitlines() if ERROR_LINE.match(line)]
            if block.get("is_error") is True or errors:
                self.errors += 1
            for line in errors[: max(ERROR_LINES_KEPT - len(self.error_lines), 0)]:
                # Redacted before it is cut: a token across the cut would survive in part, too short to be recognised.
                self.error_lines.append(redact(line[: ERROR_LINE_CHARS * 4]).text[:ERROR_LINE_CHARS])

    def metadata(self) -> dict:
        return {"tool_results": self.results, "tool_errors": self.errors, "error_lines": self.error_lines}


def result_text(content: object) -> str:
    """A tool result's output: a string, or the text of its text blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))
    return ""
