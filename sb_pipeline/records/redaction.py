"""Secret redaction for conversation text, applied before anything is stored or embedded.

Users paste keys, .env files, DB URLs and curl commands into AI-coding conversations. Once a
secret reaches DuckDB or an embedding it is hard to get rid of, so `redact` runs first.

Design:
- Rules run in order, most specific first: PEM keys, vendor-prefixed tokens (exact formats,
  almost no false positives), webhook URLs, Bearer/Basic credentials, JWTs, URL passwords and last
  the generic `NAME=value` rule. A later rule skips text an earlier one already replaced, so
  `OPENAI_API_KEY=sk-...` reports `openai_key`, not the generic `secret`.
- Only the secret part is replaced with `[REDACTED:<kind>]`; names, schemes, hosts stay, so the
  conversation remains searchable. Idempotent: no rule matches its own or another's marker.
- Nothing matches bare hex or UUIDs (git SHAs, digests): without a vendor prefix or a
  secret-ish name next to it, a random-looking string is left alone.
- Linear time: patterns anchor on literals, use possessive quantifiers (Python 3.11+) and bounded
  repeats, so there is no catastrophic backtracking; context checks look at most 256 chars back.

Kept on purpose (placeholders and references, not secrets): empty or < 3 chars, masks (`***`,
`xxx`, `...`), `${VAR}` `$VAR` `{{ x }}` `%(x)s` `<your-key>` `your_...`, `None`/`null`/type names,
public defaults (`changeme`, `changeit`, `password`), calls/subscripts/attributes in code
(`os.environ["X"]`, `self.token`), names (`API_KEY`), regex r-strings.

Known trade-offs: NAME=value only fires on names that say secret (PASSWORD, TOKEN, SECRET, API_KEY,
...); TOKEN/SECRET/KEY values must look machine-made (digit, symbol or long mixed case), so a
word like `JWT_SECRET=mysecret` stays, while passwords are redacted even when plain words. A
bare word on the right of a spaced `=` in code is taken as a variable (`password = credentials`),
so INI-style `password = letmein` stays (`password = letmein1` does not). `name: value` counts
only as a key at line start or quoted, ending the line. Tokens glued to a word (`xsk-...`) and
hex-only secrets without a telling name are not detected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional

from sb_pipeline.records.frames import valid_utf8

__all__ = ["Redaction", "redact", "redact_json"]

_MARK = "[REDACTED:"


@dataclass(frozen=True)
class Redaction:
    """Result of `redact`; `count` feeds the `secrets_redacted` column and run metadata."""

    text: str  # the redacted text
    count: int  # number of secrets replaced
    kinds: tuple[str, ...]  # sorted unique kinds found


# A vendor token must not continue an identifier on either side (`task-...` is not `sk-...`).
_L = r"(?<![A-Za-z0-9_\-])"
_R = r"(?![A-Za-z0-9])"
_PEM_LABEL = r"[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?"
_PEM_LINE = r"(?:[A-Za-z0-9+/=]++|(?:Proc-Type|DEK-Info|Version|Comment):[^\r\n\\]*+)[ \t]*+(?=[\r\n\"'`]|\\[rn]|\Z)"
_NL = r"[ \t]*+(?:\r?\n|\\r?\\n)"

# Vendor tokens: exact documented prefixes and lengths, so no context is needed. One alternation,
# one scan; the named group that matched is the kind (earlier alternatives win: anthropic > openai).
_VENDOR = _L + "(?:" + "|".join(f"(?P<{kind}>{p})" for kind, p in (
    ("anthropic_key", r"sk-ant-[A-Za-z0-9_\-]{20,}+"),
    # Requiring a digit keeps CSS classes like `sk-estimator-doc-link` (scikit-learn HTML) out.
    ("openai_key", r"sk-(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{20,}+"),
    ("aws_access_key_id", r"(?:AKIA|ASIA)[A-Z0-9]{16}" + _R),
    ("github_token", r"(?:gh[pousr]_[A-Za-z0-9]{36,}+|github_pat_[A-Za-z0-9_]{22,}+)" + _R),
    ("gitlab_token", r"gl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_\-]{20,}+"),
    ("slack_token", r"(?:xox[abposr]-[A-Za-z0-9\-]{10,}+|xapp-[0-9]-[A-Za-z0-9\-]{10,}+)"),
    ("google_api_key", r"AIza[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])"),
    ("stripe_key", r"(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}+|whsec_[A-Za-z0-9]{20,}+)" + _R),
    ("huggingface_token", r"hf_[A-Za-z0-9]{30,}+(?![A-Za-z0-9_])"),
    ("npm_token", r"npm_[A-Za-z0-9]{36}" + _R),
    ("pypi_token", r"pypi-AgE[A-Za-z0-9_\-]{50,}+"),
    ("sendgrid_key", r"SG\.[A-Za-z0-9_\-]{16,}+\.[A-Za-z0-9_\-]{16,}+"),
)) + ")"

# (kind, pattern with group `s` = the secret, required substring of the same line or None).
# These are recognised by what surrounds the secret, so placeholders (`$TOKEN`, `<pass>`) are kept.
_CONTEXT: tuple[tuple[str, str, Optional[str]], ...] = (
    # Complete PEM block: keep BEGIN/END lines, replace the body (which may use JSON "\n" escapes).
    ("private_key", rf"-----BEGIN {_PEM_LABEL}-----(?:\s|\\[rn])*+(?!\[REDACTED:)"
                    rf"(?P<s>(?:[^-]|-(?!----))*?[A-Za-z0-9+/=])(?:\s|\\[rn])*+-----END {_PEM_LABEL}-----", None),
    # Truncated PEM (no END): redact to the end of the base64 block (one blank line allowed).
    ("private_key", rf"-----BEGIN {_PEM_LABEL}-----(?:{_NL})?+[ \t]*+"
                    rf"(?P<s>{_PEM_LINE}(?:(?:{_NL}){{1,2}}[ \t]*+{_PEM_LINE})*+)", None),
    ("slack_webhook", r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/\-]{10,}+)", None),
    ("discord_webhook", r"discord(?:app)?\.com/api/webhooks/[0-9]+/(?P<s>[A-Za-z0-9_\-]{20,}+)", None),
    # Before `jwt`, so `Bearer eyJ...` reports bearer_token. A digit is required: prose says "bearer ...".
    ("bearer_token", r"(?i)(?:\bbearer|authorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:token|api-?key))[ \t]+"
                     r"(?P<s>(?=[A-Za-z0-9\-._~+/]*[0-9])[A-Za-z0-9\-._~+/]{16,}+=*+)", None),
    ("basic_auth", r"(?i)authorization[\"']?[ \t]*[:=][ \t]*[\"']?basic[ \t]+"
                   r"(?P<s>[A-Za-z0-9+/]{8,}+={0,2}+)(?![A-Za-z0-9+/=\[])", None),
    # `curl -u user:pass`; only on a line that mentions curl (`docker run -u 1000:1000` is not a secret).
    ("basic_auth", r"(?:-u|--user)(?<![A-Za-z0-9_\-]-u)(?<![A-Za-z0-9_\-]--user)(?:[ \t]+|=)[\"']?"
                   r"[^\s:\"']++:(?P<s>[^\s\"']++)", "curl"),
    # Literal first, boundary check after (`eyJ(?<!...)`) keeps the scan on the fast literal path.
    ("jwt", r"(?P<s>eyJ(?<![A-Za-z0-9_\-]eyJ)[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{2,}+\.[A-Za-z0-9_\-]*+)", None),
    # scheme://user:password@host -- anchored on the literal "://".
    ("url_password", r"://[^\s:/@?#\"'<>]*+:(?P<s>[^\s/@?#\"'<>]++)@", None),
)

# NAME=value / NAME: value, anchored on a keyword inside NAME; `_judge_assignment` reads the whole
# name (up to 64 chars back) and decides. The value sits in a lookahead so that a rejected match
# (`token_type: "x"`) ends at the separator and the value is still scanned; values are capped at
# 256 chars (longer ones are not passwords) so that rescanning stays linear.
_ASSIGN = (
    r"(?i)(?:pass|secret|token|key)(?P<rest>[A-Za-z0-9_.\-]{0,64}+)"
    r"(?:(?P<q>\\?[\"'])\]?)?"
    r"(?:[ \t]*:[ \t]*(?:optional\[\w++\]|\w++(?:[ \t]*+\|[ \t]*+none)?)(?=[ \t]*=(?!=)))?"  # py annotation
    r"[ \t]*(?P<sep>=>|:=|=(?!=)|:(?![:/\\]))[ \t]*"
    r"(?=(?P<pf>[bruf]{0,2})(?:\\\"(?P<v1>[^\"\\\n]{0,256}+)\\\""
    r"|\"(?P<v2>(?:[^\"\\\n]|\\.){0,256}+)\"|'(?P<v3>(?:[^'\\\n]|\\.){0,256}+)')"
    r"|(?P<v4>[^\s\"'`,;&)}\]]{1,256}+))"
)
_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

_SEGMENTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_PASSWORD_KW = re.compile(r"(?:password|passwd|passphrase)(?![a-z0-9])")
_SECRET_KW = re.compile(r"(?:secret|token|api_?key|access_?key|private_?key|auth_?key)(?![a-z0-9])")
_AWS_SECRET_KW = re.compile(r"secret_?access_?key")
# Names ending like this describe a secret rather than hold it (`token_type`, `AWS_ACCESS_KEY_ID`).
_NOT_SECRET_SUFFIX = frozenset(
    "type url uri endpoint file path dir name id ids count limit length len size ttl expiry expires "
    "expiration at in env var header field prefix kind format policy pattern regex label hint "
    "prompt required enabled min max offset index idx fn func callback handler class cls factory "
    "provider manager store service loader source mode method algorithm alg version scope start "
    "end mgr".split())
# Values that stand for "no secret here". `changeme` & co. are public defaults, not secrets.
_PLACEHOLDER_WORDS = frozenset(
    "none null nil true false undefined str string bytes int float bool number boolean any dict "
    "list object secretstr secretbytes optional "
    "changeme change_me change-me changeit replaceme replace_me replace-me todo tbd fixme "
    "placeholder example dummy redacted hidden n/a password passwd pass secret token "
    "await new this self function lambda not typeof async yield".split())
_MASK = re.compile(r"[xX*\u2022.#_\-]+")  # `***`, `xxxx`, `...`
_NOT_TOKEN = re.compile(r"-?[0-9]{1,9}|0[xX][0-9a-fA-F]+|#[0-9a-fA-F]{3,8}")  # 42, 0x08, #d0d0d0
_EOL = re.compile(r"[ \t]*+(?:$|[\r\n#\"'`]|\\[rn])", re.M)
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", re.ASCII)
_NAMEISH = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_VARIABLE = re.compile(r"[A-Za-z_]++|[a-z][a-z0-9]*+(?:_[a-z0-9]++)++")  # no digits, or snake_case


@lru_cache(maxsize=4096)
def _name_kind(name: str) -> Optional[str]:
    """Kind of secret NAME holds, else None (`max_tokens`, `token_type`, `tokenizer`...)."""
    segs = [s.lower() for s in _SEGMENTS.findall(name)]
    if not segs or segs[-1] in _NOT_SECRET_SUFFIX:
        return None
    joined = "_".join(segs)
    if _PASSWORD_KW.search(joined):
        return "password"
    if not _SECRET_KW.search(joined):
        return None
    return "aws_secret_key" if _AWS_SECRET_KW.search(joined) else "secret"


def _placeholder(value: str, code: bool = False) -> bool:
    """True when VALUE is empty, masked, a template/reference or already redacted.

    With `code` (unquoted values), expressions also count: calls and subscripts
    (`os.environ["X"]`, `getpass()`), attribute paths (`self.token`) and variables whose name
    says what they are (`password = password`, `api_key = API_KEY`).
    """
    v = value.strip()
    low = v.lower()
    if len(v) < 3 or _MARK in v or low in _PLACEHOLDER_WORDS or _MASK.fullmatch(v):
        return True
    if low.startswith(("your", "$", "{{", "%(", "%s", "<")) or ("{" in v and "}" in v):
        return True
    last = v.rsplit(".", 1)[-1]  # a name, not a value: API_KEY, "challengePassword", cfg.api_key
    if _NAMEISH.fullmatch(v) and not any(c.isdigit() for c in last) and _name_kind(last):
        return True
    return code and (v[0] in "%@:?{[(" or "(" in v or "[" in v or bool(_DOTTED.fullmatch(v)))


def _line_prefix(text: str, start: int) -> Optional[str]:
    """Text between the last newline and START, or None if that is more than 256 chars back."""
    lo = max(0, start - 256)
    nl = text.rfind("\n", lo, start)
    return None if nl < 0 and lo > 0 else text[nl + 1:start]


def _judge_assignment(m: re.Match) -> Optional[tuple[str, str]]:
    text, kw_at = m.string, m.start()
    back = text[max(0, kw_at - 64):kw_at]
    name_at = kw_at - (len(back) - len(back.rstrip(_NAME_CHARS)))
    kind = _name_kind(text[name_at:m.end("rest")].rsplit(".", 1)[-1])  # `Token.Name: ...` is not one
    if kind is None or text.endswith(_MARK, 0, name_at):  # `[REDACTED:secret]` is not a name
        return None
    group = next(g for g in ("v1", "v2", "v3", "v4") if m[g] is not None)
    quoted = group != "v4"
    before = text[name_at - 1] if name_at else ""
    if m["sep"] == ":" and not m["q"]:
        # `name: value` is prose unless it is a key: quoted value (`{password: "x"}`) not inside a
        # string, or an unquoted value at line start (YAML, .env, HTTP header) or in a quoted header.
        if quoted:
            if before and before in "\"'":  # `before` is "" at the start of the text, and "" is in every string
                return None
        else:
            prefix = _line_prefix(text, name_at)
            at_line_start = prefix is not None and prefix.strip(" \t-#/*>") == ""
            if not (at_line_start or (before and before in "\"'")):
                return None
        # ... and the value ends its line: `password: The password part of the URL.` is a docstring.
        if not quoted and (m.start(group) == m.end("sep") or not _EOL.match(text, m.end(group))):
            return None
    value = m[group]
    if _placeholder(value, code=not quoted) or (kind != "password" and not _token_like(value)):
        return None
    if quoted and "r" in m["pf"].lower():  # r"..." holds a regex, not a secret
        return None
    # In code (`x = y`, `"k": y`, `f(password=pw)`) a bare word or snake_case name is a variable:
    # `username, password = auth`. Unspaced `PASSWORD=letmein` (.env, shell) and YAML
    # `password: letmein` stay literals.
    code = (m["q"] or m["sep"] in ("=>", ":=") or text[m.start("sep") - 1] in " \t"
            or text[max(0, name_at - 2):name_at].rstrip().endswith(("(", ",")))
    return None if not quoted and code and _VARIABLE.fullmatch(value) else (kind, group)


def _token_like(value: str) -> bool:
    """Machine-made secrets have digits, symbols or long mixed-case runs; `"receive_message"`,
    `"[PAD]"`, `"X-Xet-Access-Token"`, `THE_AWS_SECRET_ACCESS_KEY`, `0x0008` or `"#d0d0d0"` under a
    TOKEN/KEY name are not secrets. Passwords are exempt: people do pick plain words and PINs."""
    if _NOT_TOKEN.fullmatch(value):
        return False
    upper = sum(c.isupper() for c in value)
    lower = sum(c.islower() for c in value)
    return (any(c.isdigit() for c in value) or any(c in "!@#$%^&*+=~?" for c in value)
            or (upper >= 2 and lower >= 2 and len(value) >= 24 and " " not in value))


def _judge_context(kind: str, near: Optional[str]) -> Callable[[re.Match], Optional[tuple[str, str]]]:
    def judge(m: re.Match) -> Optional[tuple[str, str]]:
        if near and near not in (_line_prefix(m.string, m.start()) or ""):
            return None
        if _MARK in m.string[m.start():m.start("s")]:  # `://[REDACTED:github_token]@` is no password
            return None
        return None if _placeholder(m["s"]) else (kind, "s")
    return judge


@lru_cache(maxsize=None)
def _rules() -> tuple[tuple[re.Pattern, Callable[[re.Match], Optional[tuple[str, str]]]], ...]:
    """Compiled once, on first use (importing the module stays cheap). Order matters, see top."""
    ctx = [(re.compile(p, re.ASCII), _judge_context(k, near)) for k, p, near in _CONTEXT]
    vendor = (re.compile(_VENDOR, re.ASCII), lambda m: (m.lastgroup, m.lastgroup))
    # PEM first (its base64 body must not be picked apart), then vendor tokens, then the rest.
    return (*ctx[:2], vendor, *ctx[2:], (re.compile(_ASSIGN, re.ASCII), _judge_assignment))


def redact(text: str) -> Redaction:
    """Replace secrets in TEXT with `[REDACTED:<kind>]`, keeping the non-secret context."""
    count = 0
    kinds: set[str] = set()
    for rx, judge in _rules():
        out: list[str] = []
        done = pos = 0  # text[:done] is copied to out; search resumes at pos
        while (m := rx.search(text, pos)) is not None:
            verdict = judge(m)
            if verdict is None:  # rejected: resume after the match (after the separator for NAME=)
                pos = max(m.end(), m.start() + 1)
                continue
            kind, group = verdict
            start, end = m.span(group)
            out += (text[done:start], f"[REDACTED:{kind}]")
            done = end
            pos = max(end, m.end())
            count += 1
            kinds.add(kind)
        if out:
            text = "".join(out) + text[done:]
    return Redaction(text=text, count=count, kinds=tuple(sorted(kinds)))


def redact_json(text: str | None) -> str | None:
    """A JSON document with every string value (and key) redacted; not JSON -> redacted as text.
    Used for metadata stored next to redacted content (a transcript's title, cwd, branch)."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return redact(text).text
    return valid_utf8(json.dumps(_redact_value(value), ensure_ascii=False))  # an escaped lone surrogate comes back raw


def _redact_value(value: object) -> object:
    if isinstance(value, str):
        return redact(value).text
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if isinstance(value, dict):
        return {redact(str(k)).text: _redact_value(v) for k, v in value.items()}
    return value
