"""Background conversations made from templates over the project vocabularies.

They answer no query. They exist so that a query's words (a function name, a library, an error
code, `pytest`, `E501`) occur in many conversations, as in a real history: everyday work of the
same projects (tests, lint, renames, dependency bumps, reviews, rebases, config, docs).
Every choice comes from the `random.Random` passed in, so the output is fixed by the seed.
"""

from __future__ import annotations

import random

from retrieval_corpus.projects import PROJECTS
from retrieval_corpus.steps import A, Bash, Edit, Grep, Read, U, Write, numbered

LANG = {
    "python": dict(ext="py", test_dir="tests", comment="#", lint_codes=[
        ("E501", "Line too long ({n} > 100)"), ("F401", "`{mod}` imported but unused"), ("B008", "Do not perform function call `Depends` in argument defaults"),
        ("UP007", "Use `X | Y` for type annotations"), ("SIM108", "Use ternary operator instead of `if`-`else`-block"), ("F841", "Local variable `{var}` is assigned to but never used")],
        fail="FAILED {test} - AssertionError: assert {a} == {b}", passed="{n} passed in {t}s", mods=["json", "os", "typing.Any", "datetime.timezone"],
        typecheck="mypy {pkg}", type_err="{file}:{line}: error: Argument 1 to \"{func}\" has incompatible type \"str | None\"; expected \"str\"  [arg-type]",
        profile="py-spy record -o /tmp/profile.svg -- python -m {pkg}", logger="logging.getLogger(__name__)"),
    "ts": dict(ext="ts", test_dir="test", comment="//", lint_codes=[
        ("@typescript-eslint/no-unused-vars", "'{var}' is defined but never used"), ("@typescript-eslint/no-explicit-any", "Unexpected any. Specify a different type"),
        ("react-hooks/exhaustive-deps", "React Hook useEffect has a missing dependency: '{var}'"), ("prefer-const", "'{var}' is never reassigned. Use 'const' instead"),
        ("@typescript-eslint/no-floating-promises", "Promises must be awaited, end with a call to .catch, or end with a call to .then with a rejection handler")],
        fail="FAIL {test}\n  AssertionError: expected {a} to deeply equal {b}", passed="Tests  {n} passed ({n})\nDuration  {t}s", mods=["lodash", "zod", "dayjs"],
        typecheck="npx tsc --noEmit", type_err="{file}({line},14): error TS2345: Argument of type 'string | undefined' is not assignable to parameter of type 'string'.",
        profile="node --cpu-prof dist/server.js", logger="pino()"),
    "rust": dict(ext="rs", test_dir="tests", comment="//", lint_codes=[
        ("clippy::needless_borrow", "this expression creates a reference which is immediately dereferenced by the compiler"),
        ("clippy::redundant_clone", "redundant clone"), ("clippy::too_many_arguments", "this function has too many arguments (8/7)"),
        ("unused_variables", "unused variable: `{var}`"), ("clippy::manual_let_else", "this could be rewritten as `let...else`")],
        fail="---- {test} stdout ----\nthread '{test}' panicked at src/batch.rs:88:9:\nassertion `left == right` failed\n  left: {a}\n right: {b}", passed="test result: ok. {n} passed; 0 failed; 0 ignored; finished in {t}s",
        mods=["std::collections::HashMap", "anyhow::Context"], typecheck="cargo check --all-targets",
        type_err="error[E0308]: mismatched types\n  --> {file}:{line}:18\n   |\n   = note: expected `&str`, found `String`",
        profile="cargo flamegraph --bin logtail -- --config bench.toml", logger="tracing::info!"),
    "go": dict(ext="go", test_dir="internal", comment="//", lint_codes=[
        ("errcheck", "Error return value of `resp.Body.Close` is not checked"), ("ineffassign", "ineffectual assignment to {var}"),
        ("govet", "printf: fmt.Sprintf format %d has arg {var} of wrong type string"), ("staticcheck SA1019", "\"io/ioutil\" has been deprecated since Go 1.19"),
        ("revive", "exported function {func} should have comment or be unexported")],
        fail="--- FAIL: {test} (0.00s)\n    query_test.go:57: got {a}, want {b}", passed="ok  \tgithub.com/acme/search-svc/internal/search\t{t}s", mods=["io/ioutil", "golang.org/x/exp/slices"],
        typecheck="go vet ./...", type_err="{file}:{line}:21: cannot use cfg.Timeout (variable of type int) as time.Duration value in argument to {func}",
        profile="go tool pprof -http=:8081 http://localhost:6060/debug/pprof/profile?seconds=30", logger="slog.Default()"),
    "java": dict(ext="java", test_dir="src/test/java", comment="//", lint_codes=[
        ("spotless", "The following files had format violations: {file}"), ("checkstyle LineLength", "Line is longer than 120 characters (found 143)"),
        ("PMD UnusedPrivateField", "Avoid unused private fields such as '{var}'"), ("ErrorProne MissingOverride", "missing @Override annotation")],
        fail="TokenServiceTest > {test} FAILED\n    org.opentest4j.AssertionFailedError: expected: <{b}> but was: <{a}>", passed="BUILD SUCCESSFUL in {t}s\n{n} actionable tasks: 4 executed, 3 up-to-date",
        mods=["java.util.Optional", "org.slf4j.Logger"], typecheck="./gradlew compileJava",
        type_err="{file}:{line}: error: incompatible types: Optional<String> cannot be converted to String", profile="async-profiler -d 30 -f /tmp/flame.html $(pgrep -f bootRun)",
        logger="LoggerFactory.getLogger"),
    "sql": dict(ext="sql", test_dir="tests", comment="--", lint_codes=[
        ("LT01", "Expected only single space before 'AS' keyword"), ("AL03", "Column expression without alias. Use explicit `AS` clause"),
        ("CP02", "Unquoted identifiers must be consistently lower case"), ("ST06", "Select wildcards then simple targets before calculations and aggregates"),
        ("RF04", "Keywords should not be used as identifiers: 'date'")],
        fail="Failure in test not_null_{test}_order_id (models/marts/_marts.yml)\n  Got {a} results, configured to fail if != 0", passed="Done. PASS={n} WARN=0 ERROR=0 SKIP=0 TOTAL={n}",
        mods=["dbt_utils", "dbt_expectations"], typecheck="dbt parse", type_err="Compilation Error in model {func} ({file})\n  'ref' is undefined. This can happen when calling a macro that does not exist.",
        profile="dbt run --select {func} --debug", logger="{{ log('rows: ' ~ n, info=True) }}"),
    "hcl": dict(ext="tf", test_dir="tests", comment="#", lint_codes=[
        ("terraform_unused_declarations", "variable \"{var}\" is declared but not used"), ("terraform_naming_convention", "resource name `{var}-x` must match the following format: snake_case"),
        ("terraform_deprecated_interpolation", "Interpolation-only expressions are deprecated in Terraform v0.12.14"), ("aws_instance_invalid_type", "\"t2.mega\" is an invalid value as instance_type")],
        fail="Error: Invalid reference\n  on {file} line {a}:\n  A reference to a resource type must be followed by at least one attribute access", passed="Success! The configuration is valid.",
        mods=["hashicorp/random", "hashicorp/null"], typecheck="terraform validate",
        type_err="Error: Unsupported argument\n  on {file} line {line}, in module \"{func}\":\n  An argument named \"instance_type\" is not expected here.", profile="terraform plan -parallelism=30", logger="TF_LOG=DEBUG"),
}

EDGES = ["an empty input", "a None value", "a zero amount", "the last day of the month", "unicode in names", "a very large batch",
         "a duplicate key", "a negative number", "a missing optional field", "two calls with the same arguments", "a timeout from the dependency",
         "an expired token", "an unknown enum value", "leap years", "a trailing slash"]
VARS = ["result", "ctx", "payload", "tmp", "cfg", "batch", "rows", "resp", "idx", "handler", "opts", "cursor"]
REVIEWERS = ["maria", "tobias", "jun", "priya", "lars", "sofia", "dmitri", "amara"]
OPENERS = ["", "quick one: ", "hey, ", "ok next: ", "can you ", "pls ", "one more thing, ", "before lunch: "]


def _p(name: str) -> dict:
    return PROJECTS[name]


def _path(P: dict, rel: str) -> str:
    return f"{P['cwd']}/{rel}"


def _short(func: str) -> str:
    return func.split("::")[-1].split(".")[-1].rstrip("()")


def _src_files(P: dict) -> list[str]:
    return [f for f in P["files"] if not f.startswith(("test", "src/test")) and "/test" not in f
            and not f.endswith(("toml", "json", "yml", "yaml", "mjs", "ipynb", "lock", "Dockerfile", "Makefile", "Podfile", "gradle", ".md"))] or P["files"]


TEST_SNIPPET = {
    "python": "```python\n@pytest.mark.parametrize(\"case\", CASES, ids=str)\ndef {name}(case, {fixture}):\n    result = {func}(case.input)\n    assert result == case.expected\n```",
    "ts": "```ts\ndescribe('{func}', () => {{\n  it('{edge}', async () => {{\n    const result = await {func}(fixture.{fixture});\n    expect(result).toEqual(expected);\n  }});\n}});\n```",
    "rust": "```rust\n#[test]\nfn {name}() {{\n    let input = fixtures::{fixture}();\n    let out = {func}(&input);\n    assert_eq!(out, expected());\n}}\n```",
    "go": "```go\nfunc Test{Name}(t *testing.T) {{\n\tgot := {func}(fixture{Fixture})\n\tif diff := cmp.Diff(want, got); diff != \"\" {{\n\t\tt.Errorf(\"{func} mismatch (-want +got):\\n%s\", diff)\n\t}}\n}}\n```",
    "java": "```java\n@Test\nvoid {name}() {{\n    var result = {func}({fixture});\n    assertThat(result).isEqualTo(expected);\n}}\n```",
    "sql": "```yaml\n  - name: {func}\n    tests:\n      - dbt_utils.expression_is_true:\n          expression: \"amount >= 0\"  # {edge}\n```",
    "hcl": "```hcl\nrun \"{name}\" {{\n  command = plan\n  assert {{\n    condition     = {func} != null\n    error_message = \"{edge}\"\n  }}\n}}\n```",
}
FIXTURES = ["sample_accounts", "empty_batch", "frozen_clock", "tmp_config", "fake_client", "big_payload", "utc_now", "seeded_db"]


def t_add_test(P: dict, rng: random.Random) -> list:
    lang = LANG[P["lang"]]
    func = rng.choice(P["funcs"])
    f = rng.choice(_src_files(P))
    edge = rng.choice(EDGES)
    n = rng.randint(3, 9)
    short = _short(func)
    test_name = f"test_{short.lower()}_{'_'.join(edge.split()[-2:]).lower()}"
    fixture = rng.choice(FIXTURES)
    snippet = TEST_SNIPPET[P["lang"]].format(name=test_name, Name=short[:1].upper() + short[1:], func=short, edge=edge,
                                             fixture=fixture, Fixture=fixture.title().replace("_", ""))
    return [
        U(f"{rng.choice(OPENERS)}add a test for `{func}` with {edge}. it's in {f}"),
        A(f"Let me read `{func}` first to see what it should do with {edge}.", tools=[Read(_path(P, f), numbered(f"{lang['comment']} {f}\n{lang['comment']} ... {func} ...\n"))]),
        A(f"`{func}` has no explicit branch for {edge}; it falls through to the general path, which happens to do the right thing today. "
          f"I'll pin the current behaviour with a test and a second one for the neighbouring case, so a later change is deliberate:\n\n{snippet}\n\n"
          f"The `{fixture}` fixture already exists in the shared fixtures, so no new setup code.",
          tools=[Bash(P["test_one"], lang["passed"].format(n=n, t=round(rng.uniform(0.2, 4.0), 2)))]),
        A(f"Added `{test_name}` and a parametrised variant. {n} tests pass. While reading I noticed `{rng.choice(P['funcs'])}` has the same gap; I left a TODO rather than widening this change."),
    ]


def t_lint(P: dict, rng: random.Random) -> list:
    lang = LANG[P["lang"]]
    f = rng.choice(_src_files(P))
    codes = rng.sample(lang["lint_codes"], k=min(len(lang["lint_codes"]), rng.randint(2, 3)))
    out_lines = []
    for code, msg in codes:
        out_lines.append(f"{f}:{rng.randint(10, 300)}:{rng.randint(1, 80)}: {code} " + msg.format(n=rng.randint(101, 180), mod=rng.choice(lang["mods"]), var=rng.choice(VARS), func=_short(rng.choice(P["funcs"])), file=f))
    first = codes[0][0]
    return [
        U(rng.choice([f"CI lint job is red on my branch, fix it?", f"{P['lint']} is failing", f"the lint step fails, can you clean up {f}"])),
        A(tools=[Bash(P["lint"], "\n".join(out_lines) + f"\nFound {len(out_lines)} errors.", is_error=True)]),
        A(f"{len(out_lines)} findings, all in {f}. " + " ".join(
            [f"`{c}`: fixed in place." if i else f"`{c}` is the real one: " + rng.choice(["the code does what the rule warns about, so I changed it rather than silencing the rule.", "a leftover from the last refactor.", "harmless, but the fix is one line."]) for i, (c, _) in enumerate(codes)]),
          tools=[Edit(_path(P, f), f"{rng.choice(VARS)} = ", f"{rng.choice(VARS)} = ")]),
        A(tools=[Bash(P["lint"], "All checks passed!" if P["lang"] == "python" else "✔ no problems")]),
        A(f"Lint is clean. I did not add any ignore for `{first}`."),
    ]


def t_rename(P: dict, rng: random.Random) -> list:
    func = rng.choice(P["funcs"])
    short = _short(func)
    new = rng.choice(["compute_", "load_", "build_", "fetch_", "resolve_"]) + short.lower().split("_")[-1] if "_" in short else short + "V2"
    files = rng.sample(P["files"], k=min(3, len(P["files"])))
    grep = "\n".join(f"{fl}:{rng.randint(5, 200)}:    {short}(" for fl in files)
    return [
        U(f"rename `{short}` to `{new}` everywhere, the old name is misleading"),
        A(tools=[Grep(short, grep)]),
        A(f"{len(files)} call sites plus the definition. I'll rename them and keep a deprecated alias for one release, because `{short}` is imported by another repo.",
          tools=[Edit(_path(P, files[0]), f"{short}(", f"{new}(")]),
        A(tools=[Bash(P["test"], LANG[P["lang"]]["passed"].format(n=rng.randint(40, 400), t=round(rng.uniform(2, 40), 1)))]),
        A(f"Done: `{new}` everywhere, `{short}` remains as an alias that warns. Tests pass."),
    ]


def t_bump(P: dict, rng: random.Random) -> list:
    lib, ver = rng.choice(P["libs"])
    parts = ver.lstrip("v").split(".")
    old = ".".join([parts[0], str(max(0, int(parts[1]) - rng.randint(1, 3)))] + parts[2:]) if len(parts) > 1 and parts[1].isdigit() else ver
    notes = rng.choice(["only bug fixes that don't touch our usage", "one deprecation we hit (a renamed keyword argument)", "a behaviour change in defaults that we need to pin explicitly", "a security fix, which is why dependabot flagged it"])
    return [
        U(f"dependabot wants {lib} {old} -> {ver}. safe?"),
        A(f"I read the changelog between {old} and {ver}: {notes}. Let me run the suite against it.", tools=[Bash(P["test"], LANG[P["lang"]]["passed"].format(n=rng.randint(40, 400), t=round(rng.uniform(2, 40), 1)))]),
        A(f"Green. I'd merge it. " + rng.choice(["Nothing to change on our side.", "I adjusted the one call that used the deprecated argument.", "I pinned the old default explicitly so behaviour stays the same."])),
    ]


def t_explain(P: dict, rng: random.Random) -> list:
    func = rng.choice(P["funcs"])
    f = rng.choice(_src_files(P))
    other = rng.choice([x for x in P["funcs"] if x != func])
    return [
        U(rng.choice([f"what does {func} actually do? I'm new on {P['name']}", f"explain `{func}` in {f} to me", f"walk me through {func}"])),
        A(tools=[Read(_path(P, f), numbered(f"{LANG[P['lang']]['comment']} {func}\n..."))]),
        A(f"`{func}` is part of {P['desc']}. In short: it takes its input from `{other}`, validates it, and hands the result on. "
          f"The non-obvious parts: it is called on every request, so it avoids I/O except for one cached lookup; errors are mapped to domain errors instead of leaking library exceptions; "
          f"and it is covered by the tests under {LANG[P['lang']]['test_dir']}/. If you change its signature, {rng.choice(P['funcs'])} and {other} need to follow.\n\n"
          f"Call flow, roughly:\n1. the entry point (`{P['run']}` locally) wires `{func}` up at startup;\n2. each call reads `{rng.choice(P['config'])}` once and keeps it;\n"
          f"3. the result goes to `{other}`, which is where most of the business rules live.\n\n"
          f"History: `git log -L` on it shows it was split out of {rng.choice(P['files'])} about a year ago; the old name still appears in a few comments."),
    ]


def t_config(P: dict, rng: random.Random) -> list:
    key = rng.choice(P["config"])
    f = rng.choice(_src_files(P))
    default = rng.choice(["30", "true", "5", "1000", "\"info\"", "60s", "3"])
    return [
        U(f"make `{key}` configurable per environment instead of hardcoded, default {default}"),
        A(f"It's read once in {f}. I'll move it to the settings object with the default {default} and document it in the README's configuration table.",
          tools=[Edit(_path(P, f), f"{key} = {default}", f"{key} = settings.get(\"{key}\", {default})")]),
        A(f"Done. `{key}` now comes from the environment (staging overrides it in its values file), default {default}, and the startup log prints the effective value."),
    ]


def t_ci_cache(P: dict, rng: random.Random) -> list:
    before, after = rng.randint(6, 14), rng.randint(2, 5)
    return [
        U(f"CI for {P['name']} takes {before} minutes, mostly installing dependencies. speed it up?"),
        A(f"Most of the time is the dependency step on a cold runner. Cache it keyed on the lock file's hash, and restore the build cache too.",
          tools=[Edit(_path(P, ".github/workflows/ci.yml"), "    - run: " + P["test"], "    - uses: actions/cache@v4\n      with:\n        key: deps-${{ hashFiles('**/*.lock') }}\n    - run: " + P["test"])]),
        A(f"With the cache warm the job takes about {after} minutes. The first run after a lock change is still slow, which is expected."),
    ]


def t_git(P: dict, rng: random.Random) -> list:
    f = rng.choice(P["files"])
    branch = rng.choice(P["branches"][1:])
    return [
        U(f"rebasing {branch} onto main gives a conflict in {f}, help"),
        A(tools=[Bash("git status --short", f"UU {f}\nM  {rng.choice(P['files'])}"), Bash(f"git diff --diff-filter=U -- {f} | head -40", "<<<<<<< HEAD\n...\n=======\n...\n>>>>>>> " + branch)]),
        A(f"Both sides changed the same block: main reformatted it, your branch changed the logic. I kept your logic in main's formatting.",
          tools=[Bash(f"git add {f} && git rebase --continue", f"Successfully rebased and updated refs/heads/{branch}.")]),
        A(f"Rebase finished. Push with `git push --force-with-lease` since the branch history changed."),
    ]


def t_review(P: dict, rng: random.Random) -> list:
    pr = rng.randint(100, 990)
    who = rng.choice(REVIEWERS)
    funcs = rng.sample(P["funcs"], k=min(3, len(P["funcs"])))
    return [
        U(f"{who} left comments on PR #{pr}. can you go through them? mostly about {funcs[0]}"),
        A(f"Going through #{pr}:\n\n1. `{funcs[0]}`: {who} asks for an early return instead of the nested if. Agreed, done.\n2. `{funcs[1]}`: the question is whether it can be called concurrently. It can, and it only reads, so no lock needed; I replied with the reasoning.\n3. Naming nit on `{funcs[-1]}`: I'd leave it, it matches the module's other names. Replied.\n\nPushed the change for 1."),
    ]


def t_logging(P: dict, rng: random.Random) -> list:
    f = rng.choice(_src_files(P))
    n = rng.randint(20, 400)
    return [
        U(f"{f} logs every request at info level, that's {n}k lines a day. tone it down"),
        A(f"I moved the per-request lines to debug, kept one info line per batch with counts and duration, and made the logger structured ({LANG[P['lang']]['logger']} with fields instead of formatted strings), so the remaining lines are queryable.",
          tools=[Edit(_path(P, f), "info(", "debug(")]),
    ]


def t_typing(P: dict, rng: random.Random) -> list:
    lang = LANG[P["lang"]]
    f = rng.choice(_src_files(P))
    func = _short(rng.choice(P["funcs"]))
    pkg = P["name"].replace("-", "_")
    err = lang["type_err"].format(file=f, line=rng.randint(10, 200), func=func)
    return [
        U(f"{lang['typecheck'].format(pkg=pkg)} fails after my change:\n\n```\n{err}\n```"),
        A(f"The value can be missing at that point, and the callee doesn't accept that. Rather than forcing it, handle the missing case one level up where we know what to do, then the type narrows.",
          tools=[Edit(_path(P, f), "value", "value")]),
        A(tools=[Bash(lang["typecheck"].format(pkg=pkg), "Success: no issues found" if P["lang"] == "python" else "(no output)")]),
    ]


def t_perf_small(P: dict, rng: random.Random) -> list:
    lang = LANG[P["lang"]]
    func = rng.choice(P["funcs"])
    pct = rng.randint(20, 70)
    pkg = P["name"].replace("-", "_")
    return [
        U(f"{func} shows up at the top of the profile, can it be faster?"),
        A(tools=[Bash(lang["profile"].format(pkg=pkg, func=_short(func)), f"{_short(func)}  {pct}.{rng.randint(0, 9)}%\n  (self) {rng.randint(5, 30)}%")]),
        A(f"{pct}% of the time is in `{func}`, mostly rebuilding the same lookup structure on every call. Building it once and reusing it gives a {rng.randint(2, 6)}x speedup on the benchmark; the output is identical (checked against the previous version on a day of data)."),
    ]


def t_docs(P: dict, rng: random.Random) -> list:
    f = rng.choice(P["files"])
    return [
        U(f"write a short section for the README about how {f} fits in"),
        A(f"Added a section 'How {f.split('/')[-1]} fits in' with the call flow, the configuration keys it reads ({', '.join(rng.sample(P['config'], k=2))}) and how to run it locally (`{P['run']}`).",
          tools=[Edit(_path(P, "README.md"), "## Development", "## How it fits together\n\n...\n\n## Development")]),
    ]


def t_flaky(P: dict, rng: random.Random) -> list:
    lang = LANG[P["lang"]]
    func = _short(rng.choice(P["funcs"]))
    f = rng.choice(P["files"])
    cause = rng.choice([
        ("shared state", "a module-level cache that one test fills and another test reads; in random order the second test runs first and sees an empty cache"),
        ("ordering", "a test that relies on the insertion order of a map/dict that is not guaranteed by the code under test"),
        ("real time", "a test that compares against the wall clock with a 100 ms tolerance; on a busy CI runner that is not enough"),
        ("port reuse", "two test files starting a server on the same fixed port; with parallel workers one of them fails to bind"),
    ])
    return [
        U(f"`{func}` tests fail maybe 1 in 15 CI runs, never locally. annoying. can you find out why?"),
        A(f"I'll run them repeatedly and in random order to reproduce it.",
          tools=[Bash(P["test"], lang["fail"].format(test=f"test_{func.lower()}", a=rng.randint(1, 9), b=rng.randint(10, 20), file=f), is_error=True)]),
        A(f"Reproduced on the 9th run. The cause is {cause[0]}: {cause[1]}. It only shows up when the tests happen to run in a particular order or under load, which is why it's rare locally.\n\n"
          f"Fix: the test now sets up its own state instead of depending on a neighbour, and nothing in {f} keeps state between calls that a test can observe. 50 consecutive runs passed afterwards."),
    ]


def t_endpoint(P: dict, rng: random.Random) -> list:
    func = rng.choice(P["funcs"])
    f = rng.choice(_src_files(P))
    thing = rng.choice(["an export of the last 30 days as CSV", "a dry-run flag", "a health detail view", "pagination with a cursor",
                        "a filter by status", "an admin-only override", "a bulk variant that takes up to 100 ids"])
    return [
        U(f"we need {thing} for {func}. keep it small"),
        A(f"Plan: extend `{func}` in {f} rather than adding a parallel code path, validate the new input at the edge, and cover it with two tests (happy path, invalid input).",
          tools=[Edit(_path(P, f), f"def {_short(func)}(", f"def {_short(func)}(")]),
        A(tools=[Bash(P["test"], LANG[P["lang"]]["passed"].format(n=rng.randint(40, 400), t=round(rng.uniform(2, 40), 1)))]),
        A(f"Done: {thing} is in, behind the same permission check as the rest of `{func}`. I noted it in the changelog under 'Added'. "
          f"One open question for you: should it be documented for external users, or stay internal for now?"),
    ]


def t_design_question(P: dict, rng: random.Random) -> list:
    a, b = rng.sample(P["funcs"], 2)
    lib = rng.choice(P["libs"])[0]
    return [
        U(f"design question: should `{a}` call `{b}` directly or go through an interface so we can swap {lib} later?"),
        A(f"I'd call it directly for now. There is one implementation, and an interface with one implementation mostly adds indirection; "
          f"the place where swapping {lib} would matter is already isolated in {rng.choice(_src_files(P))}. "
          f"If a second implementation shows up (a fake for tests counts), extract the interface then, it's a mechanical change. "
          f"What I would do now is keep `{b}`'s signature free of {lib} types, so callers don't depend on them."),
        U("ok, and tests?"),
        A(f"Test `{a}` through its public behaviour with the real `{b}` where it's cheap, and fake only the network or disk boundary. "
          f"That's what the existing tests in {LANG[P['lang']]['test_dir']}/ do for {rng.choice(P['funcs'])} too."),
    ]


def t_incident_note(P: dict, rng: random.Random) -> list:
    mins = rng.randint(4, 55)
    cfg = rng.choice(P["config"])
    return [
        U(f"write a short incident summary: yesterday {P['name']} was degraded for {mins} minutes after a config change to `{cfg}`"),
        A(f"**Summary**: {P['name']} was degraded for {mins} minutes on deploy of a configuration change to `{cfg}`.\n\n"
          f"**Impact**: elevated error rate and latency for requests touching {rng.choice(P['funcs'])}; no data loss.\n\n"
          f"**Detection**: alert on error rate after {rng.randint(2, 6)} minutes.\n\n"
          f"**Resolution**: rollback of the change.\n\n**Follow-ups**: validate `{cfg}` at startup and refuse to start on nonsense values; "
          f"add the staging soak step to the deploy pipeline; document the allowed range in the README."),
    ]


TEMPLATES = [t_add_test, t_lint, t_rename, t_bump, t_explain, t_config, t_ci_cache, t_git, t_review, t_logging, t_typing, t_perf_small, t_docs,
             t_flaky, t_endpoint, t_design_question, t_incident_note]


def mini_episode(project: str, rng: random.Random) -> list:
    return rng.choice(TEMPLATES)(_p(project), rng)


def filler_session(project: str, rng: random.Random, n_min: int = 1, n_max: int = 4) -> list:
    steps: list = []
    for _ in range(rng.randint(n_min, n_max)):
        steps += mini_episode(project, rng)
    return steps


# ---- short texts for the inbox and the reflection DB ----------------------------------------

def standup_note(project: str, rng: random.Random) -> str:
    P = _p(project)
    a, b = rng.sample(P["funcs"], 2)
    return rng.choice([
        f"standup {P['name']}: yesterday reviewed PR #{rng.randint(100, 990)} and finished the tests for {a}; today {rng.choice(['pairing on', 'looking into', 'cleaning up'])} {b}; no blockers.",
        f"{P['name']} - done: {a} refactor merged. doing: {b} ({rng.choice(P['files'])}). blocked: waiting on {rng.choice(REVIEWERS)} for review.",
        f"Yesterday: {rng.choice(['dependency bumps', 'flaky test triage', 'on-call handover', 'docs for ' + a])} on {P['name']}. Today: {b}, then release prep. Blockers: none.",
    ])


def todo_note(project: str, rng: random.Random) -> str:
    P = _p(project)
    return rng.choice([
        f"TODO {P['name']}: look at why {rng.choice(P['funcs'])} is called twice per request, maybe cache.",
        f"reminder: bump {rng.choice(P['libs'])[0]} in {P['name']} after the release, changelog mentions a deprecation we use.",
        f"note to self ({P['name']}): {rng.choice(P['config'])} differs between staging and prod, check which one is right before the next deploy.",
        f"{P['name']}: ask {rng.choice(REVIEWERS)} whether {rng.choice(P['files'])} can be deleted, nothing imports it anymore?",
    ])


def reflection_note(project: str, rng: random.Random) -> str:
    P = _p(project)
    func = rng.choice(P["funcs"])
    return rng.choice([
        f"{P['name']}: tests for {func} are faster when the fixture builds data once per module; per-test setup was 80% of the runtime.",
        f"{P['name']}: keep PRs that bump {rng.choice(P['libs'])[0]} separate from feature work, easier to revert.",
        f"{P['name']}: when {func} changes, update the docs table in the README; people rely on it more than on docstrings.",
        f"{P['name']}: `{P['test_one']}` is the fastest way to iterate on {rng.choice(P['files'])}; the full `{P['test']}` takes minutes.",
        f"{P['name']}: reviewers prefer small commits with the reason in the message; squash only at merge.",
    ])


def chat_export(project: str, rng: random.Random) -> list:
    """A multi-turn exchange without tools (exported from a chat tool into the inbox)."""
    return filler_session(project, rng, 1, 2)


# ---- echoes: the names of an answer reused in other, everyday work -----------------------------

BENIGN = [
    "all {n} occurrences fall in the deploy window at {hh}:{mm}, while the old pods were draining; nothing after the rollout finished",
    "they come from the staging load test, whose runner pointed at the wrong environment for an hour; it is stopped",
    "every one of them is from a single client on an old version, which retries in a tight loop; nothing on our side changed",
    "they are the first attempt of the nightly job, which then succeeds on retry; the counts match the job's retries exactly",
    "they are from a developer's port-forward session to staging, not from production traffic",
]


def t_error_echo(P: dict, rng: random.Random, term: str) -> list:
    n = rng.randint(2, 40)
    why = rng.choice(BENIGN).format(n=n, hh=f"{rng.randint(6, 22):02d}", mm=f"{rng.choice([0, 15, 30, 45]):02d}")
    return [
        U(rng.choice([f"seeing `{term}` in the {P['name']} logs again ({n} since this morning). same thing as last time?",
                      f"alert mentions {term} on {P['name']}, do we need to do anything?",
                      f"is the {term} in today's {P['name']} logs something new?"])),
        A(tools=[Bash(f"kubectl logs -l app={P['name']} --since=12h | grep -c '{term}'", str(n))]),
        A(f"Not the same problem as before: {why}. I'd leave it and look again if `{term}` shows up outside that pattern. "
          f"I added a note to the runbook so the next person on call doesn't chase it."),
    ]


def term_kind(term: str) -> str:
    if "/" in term:
        return "path"
    bare = term.strip("`'\"")
    if bare.isupper() and "_" not in bare or bare.endswith(("Error", "Exception", "Warning")) or (bare[:1] == "E" and bare[1:].isdigit()):
        return "error"
    if (bare.isupper() and "_" in bare) or (bare.islower() and "." in bare and "(" not in bare):
        return "config"
    return "func"


def echo(project: str, rng: random.Random, term: str) -> list:
    """A mini-episode of everyday work that names `term` (a file, function, config key or error) without
    being about the problem an answer solved with it."""
    P = dict(_p(project))
    kind = term_kind(term)
    if kind == "error":
        return t_error_echo(P, rng, term)
    if kind == "path":
        P["files"] = [term]
        return rng.choice([t_lint, t_logging, t_docs, t_git])(P, rng)
    if kind == "config":
        return t_config_doc(P, rng, term)
    P["funcs"] = [term]
    # tests and typing only: a perf or flakiness story about the same name could answer another query
    return rng.choice([t_add_test, t_typing, t_add_test])(P, rng)


def t_config_doc(P: dict, rng: random.Random, key: str) -> list:
    """Documentation work on a config key; states no value, so it cannot contradict an answer about it."""
    return [
        U(rng.choice([f"the README's configuration table doesn't list `{key}`, add it", f"document `{key}` for the ops handbook",
                      f"where is `{key}` read? someone asked in #ops"])),
        A(tools=[Grep(key.split(".")[-1], f"{rng.choice(_src_files(P))}:{rng.randint(5, 120)}:    {key}")]),
        A(f"`{key}` is read once at startup in {rng.choice(_src_files(P))} and passed down; nothing re-reads it at runtime, so a change needs a restart. "
          f"I added it to the configuration table in the README with that note and a link to the module, and mentioned which environments override it."),
    ]
