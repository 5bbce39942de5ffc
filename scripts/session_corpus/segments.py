"""Pieces of Claude Code sessions, one family per kind of work, for the labelled session-type set.

A segment is a list of steps: ("user", text) or ("assistant", text | None, [tools]); a tool is
(name, input, output, is_error). Every text here was written for this repository. Each family mixes prompts
that name the work ("the export fails", "refactor ...") with prompts that do not ("customers see yesterday's
totals"), so the words alone do not give the answer away; the tools and failures carry the rest.
"""

from __future__ import annotations

import random

PROJECTS = {
    "invoicing-api": dict(lang="py", files=["app/billing/invoices.py", "app/billing/tax.py", "app/api/routes.py", "app/models/customer.py",
                                            "app/services/export.py", "app/settings.py", "app/db/session.py", "app/reports/aging.py"],
                          tests=["tests/billing/test_invoices.py", "tests/api/test_routes.py", "tests/test_export.py"],
                          test_cmd="pytest {t} -q", things=["invoice totals", "the CSV export", "tax rounding", "the aging report",
                                                            "customer search", "the due date"]),
    "storefront": dict(lang="ts", files=["src/cart/CartProvider.tsx", "src/checkout/useCheckout.ts", "src/api/client.ts", "src/pages/product/[id].tsx",
                                         "src/components/PriceTag.tsx", "src/lib/currency.ts", "next.config.js", "src/hooks/useSession.ts"],
                       tests=["src/cart/CartProvider.test.tsx", "src/lib/currency.test.ts"], test_cmd="npx vitest run {t}",
                       things=["the cart badge", "checkout", "currency formatting", "the product page", "session refresh", "search suggestions"]),
    "ingest-svc": dict(lang="go", files=["internal/queue/consumer.go", "internal/store/postgres.go", "cmd/ingest/main.go", "internal/api/handler.go",
                                         "internal/retry/backoff.go", "internal/config/config.go"],
                       tests=["internal/queue/consumer_test.go", "internal/store/postgres_test.go"], test_cmd="go test ./{d}/...",
                       things=["the consumer", "batch inserts", "the retry backoff", "health checks", "the config loader"]),
    "logship": dict(lang="rs", files=["src/tail.rs", "src/batch.rs", "src/http.rs", "src/config.rs", "src/main.rs"],
                    tests=["tests/batch.rs"], test_cmd="cargo test {n}", things=["file rotation", "batching", "the HTTP sender", "backpressure"]),
}
OPS_FILES = ["deploy/helm/values.yaml", "deploy/k8s/deployment.yaml", "infra/main.tf", "infra/rds.tf", ".github/workflows/ci.yml",
             "Dockerfile", "docker-compose.yml", "deploy/nginx.conf"]
ERRORS = {
    "py": ["Traceback (most recent call last):\n  File \"{f}\", line 42, in total\nTypeError: unsupported operand type(s) for +: 'Decimal' and 'float'",
           "E       AssertionError: assert Decimal('10.01') == Decimal('10.00')\nFAILED {t}::test_rounding - AssertionError",
           "Traceback (most recent call last):\nKeyError: 'customer_id'",
           "sqlalchemy.exc.IntegrityError: (psycopg.errors.UniqueViolation) duplicate key value violates unique constraint"],
    "ts": ["FAIL {t} > renders the total\nAssertionError: expected '€10.00' to be '10,00 €'",
           "TypeError: Cannot read properties of undefined (reading 'items')\n    at CartProvider ({f}:31:18)",
           "Error: Hydration failed because the initial UI does not match what was rendered on the server."],
    "go": ["--- FAIL: TestConsumerAck (0.02s)\n    consumer_test.go:57: expected 3 acks, got 2\nFAIL",
           "panic: runtime error: invalid memory address or nil pointer dereference",
           "error: pq: deadlock detected"],
    "rs": ["error[E0502]: cannot borrow `buf` as mutable because it is also borrowed as immutable",
           "thread 'batch::flushes_on_size' panicked at 'assertion failed: left == right', tests/batch.rs:22:5"],
}


def _pick(rng: random.Random, items, n: int = 1):
    return rng.sample(items, min(n, len(items)))


def _test(p: dict, rng: random.Random, fail: bool) -> tuple:
    t = rng.choice(p["tests"])
    cmd = p["test_cmd"].format(t=t, d=t.rsplit("/", 1)[0], n=t.rsplit("/", 1)[-1].split(".")[0])
    if fail:
        return ("Bash", {"command": cmd}, rng.choice(ERRORS[p["lang"]]).format(f=rng.choice(p["files"]), t=t), True)
    return ("Bash", {"command": cmd}, f"{rng.randint(8, 140)} passed in {rng.uniform(0.3, 9):.2f}s", False)


def _read(p, rng, f=None):
    f = f or rng.choice(p["files"])
    return ("Read", {"file_path": f}, f"     1\t# {f}\n     2\t...", False)


def _edit(f):
    return ("Edit", {"file_path": f, "old_string": "...", "new_string": "..."}, f"The file {f} has been updated.", False)


def _write(f):
    return ("Write", {"file_path": f, "content": "..."}, f"File created successfully at: {f}", False)


def _grep(pattern):
    return ("Grep", {"pattern": pattern}, "app/x.py:12: ...\napp/y.py:40: ...", False)


def debugging(p: dict, rng: random.Random) -> list:
    thing = rng.choice(p["things"])
    prompt = rng.choice([f"{thing} fails in CI since this morning, can you find out why?",
                         f"Why does {thing} give a different number than yesterday?",
                         f"Getting an error from {thing} when the customer has no address. Stack trace below.",
                         f"Users report that {thing} is off by one for some accounts.",
                         f"{thing} hangs every few runs, I think it's flaky.",
                         f"Something changed in {thing}: the numbers on the dashboard look wrong since Tuesday."])
    f = rng.choice(p["files"])
    steps = [("user", prompt),
             ("assistant", "Let me reproduce it first.", [_read(p, rng, f), _test(p, rng, fail=True)]),
             ("assistant", f"Reproduced. The failure comes from {f}: the value is computed before the input is normalised.", [_edit(f)])]
    if rng.random() < 0.5:
        steps.append(("assistant", None, [_test(p, rng, fail=True)]))
        steps.append(("assistant", "Still one case left: the empty list. Handling it too.", [_edit(f)]))
    steps.append(("assistant", "Fixed; the test passes now and I added a regression test for the edge case.", [_test(p, rng, fail=False)]))
    if rng.random() < 0.4:
        steps.append(("user", "Great, thanks. Was that introduced by the last release?"))
        steps.append(("assistant", "Yes, the normalisation moved in the last release, which changed the order of the two steps.",
                      [("Bash", {"command": f"git log -L 40,60:{f} --oneline"}, "a1b2c3d move normalisation", False)]))
    return steps


def feature(p: dict, rng: random.Random) -> list:
    thing = rng.choice(p["things"])
    ext = {"py": "py", "ts": "ts", "go": "go", "rs": "rs"}[p["lang"]]
    new = rng.choice(["export", "webhooks", "limits", "audit", "preferences", "filters"])
    prompt = rng.choice([f"Add {new} support to {thing}: it should be configurable per customer.",
                         f"I want a new option for {thing} so that admins can switch {new} on.",
                         f"Implement {new} for {thing}, similar to what we have for invoices.",
                         f"Customers should be able to download {new} from {thing}.",
                         f"Next on the roadmap: {new} in {thing}. Let's build the first version today.",
                         f"Let's give {thing} a {new} page, behind a flag for now."])
    base = p["files"][0].rsplit("/", 1)[0]
    steps = [("user", prompt),
             ("assistant", "I'll look at how the existing one is wired and follow the same pattern.", [_read(p, rng)]),
             ("assistant", f"Creating the {new} module and wiring it in.",
              [_write(f"{base}/{new}.{ext}")] + [_edit(f) for f in _pick(rng, p["files"], rng.randint(1, 3))])]
    if rng.random() < 0.35:  # a feature often meets a failing test on the way
        steps.append(("assistant", None, [_test(p, rng, fail=True)]))
        steps.append(("assistant", "One test assumed the old default; updated it.", [_edit(rng.choice(p["tests"]))]))
    steps.append(("assistant", f"Added tests for {new}; all green.", [_write(f"{p['tests'][0].rsplit('/', 1)[0]}/test_{new}.{ext}"),
                                                                      _test(p, rng, fail=False)]))
    if rng.random() < 0.5:
        steps.append(("user", "Nice. Also document the new setting in the README."))
        steps.append(("assistant", "Documented under Configuration.", [_edit("README.md")]))
    return steps


def refactoring(p: dict, rng: random.Random) -> list:
    f = rng.choice(p["files"])
    name = rng.choice(["compute_total", "load_config", "send_batch", "format_price", "get_customer", "retry_after"])
    prompt = rng.choice([f"Refactor {f}: it has grown to 900 lines. Split it by responsibility.",
                         f"Rename {name} to something that says what it returns, everywhere.",
                         f"Extract the retry logic from {f} into its own module, no behaviour change.",
                         f"Clean up the duplicated parsing code in {f} and the two handlers that copy it.",
                         f"The three places that build the HTTP client should share one helper.",
                         f"Move {name} out of {f}; it belongs with the other helpers."])
    touched = _pick(rng, p["files"] + p["tests"], rng.randint(3, 8))
    steps = [("user", prompt),
             ("assistant", "Finding every use first.", [_grep(name), _read(p, rng, f)]),
             ("assistant", f"Changing {len(touched)} files; behaviour stays the same.", [_edit(x) for x in touched]),
             ("assistant", "Tests pass unchanged, which is the point of a refactoring.", [_test(p, rng, fail=False)])]
    if rng.random() < 0.3:
        steps.insert(3, ("assistant", "One import cycle appeared; moving the type into its own file.", [_test(p, rng, fail=True), _edit(touched[0])]))
    if rng.random() < 0.5:
        steps.append(("assistant", None, [("Bash", {"command": "git commit -am 'Refactor: no behaviour change'"}, "[main 3f2a1b0] Refactor", False)]))
    return steps


def review(p: dict, rng: random.Random) -> list:
    thing = rng.choice(p["things"])
    prompt = rng.choice([f"Can you review the PR for {thing} before I merge it?",
                         f"Walk me through how {thing} works, I'm new on this code.",
                         f"Explain what happens between the request and the database for {thing}.",
                         f"I need to understand {thing} before the planning meeting; give me an overview.",
                         f"Read through {rng.choice(p['files'])} and tell me what you'd change.",
                         f"Look over the changes on this branch and point out anything risky."])
    reads = [_read(p, rng, f) for f in _pick(rng, p["files"], rng.randint(3, 6))]
    steps = [("user", prompt),
             ("assistant", "Let me read the relevant code.", [("Bash", {"command": "git diff main...HEAD --stat"}, " 4 files changed", False)] + reads[:2]),
             ("assistant", None, reads[2:] + [_grep(rng.choice(["TODO", "except Exception", "retry", "cache"]))]),
             ("assistant", f"Here is how {thing} fits together: the handler validates, the service computes, the store persists. "
                           "Two things I'd question: the broad exception handler and the cache that is never invalidated.", [])]
    if rng.random() < 0.4:
        steps.append(("user", "Why is the cache never invalidated? Is that a problem in practice?"))
        steps.append(("assistant", "Only when prices change during the day; the TTL hides it most of the time.", [_read(p, rng)]))
    if rng.random() < 0.2:
        steps.append(("assistant", "Fixed the typo in the docstring while I was there.", [_edit(rng.choice(p["files"]))]))
    return steps


def operations(p: dict, rng: random.Random) -> list:
    svc = rng.choice(["api", "worker", "ingest", "web"])
    prompt = rng.choice([f"Deploy the {svc} to staging and check it comes up.",
                         f"The {svc} pods keep restarting in production since the last rollout.",
                         f"Our CI pipeline takes 25 minutes; the docker build is the slow part.",
                         f"Bump the RDS instance and apply the terraform change.",
                         f"The certificate on the {svc} host expires next week, renew it.",
                         f"Disk is at 95% on the {svc} box, what's eating it?"])
    cmds = rng.sample([("kubectl get pods -n prod", f"{svc}-7d9f 0/1 CrashLoopBackOff 6", True),
                       (f"kubectl logs deploy/{svc} -n prod --tail 50", "Error: connect ECONNREFUSED 10.0.3.4:5432", True),
                       (f"helm upgrade {svc} deploy/helm -f deploy/helm/values.yaml", "Release upgraded. REVISION: 42", False),
                       ("terraform plan -out plan.tfplan", "Plan: 0 to add, 1 to change, 0 to destroy.", False),
                       ("terraform apply plan.tfplan", "Apply complete! Resources: 0 added, 1 changed, 0 destroyed.", False),
                       (f"docker build -t {svc}:dev .", "Step 7/12 : RUN pip install -r requirements.txt\n ---> Using cache", False),
                       ("gh run list --workflow ci.yml --limit 5", "completed failure ci main 24m11s", False),
                       (f"ssh deploy@{svc}-1 'df -h /var'", "/dev/nvme0n1p1 100G 95G 5G 95% /var", False),
                       (f"ssh deploy@{svc}-1 'sudo journalctl -u {svc} --since -1h | tail'", f"{svc}[812]: Out of memory: Killed process", True),
                       ("aws rds describe-db-instances --db-instance-identifier prod", '"DBInstanceClass": "db.t3.medium"', False)],
                      rng.randint(3, 5))
    steps = [("user", prompt), ("assistant", "Checking the current state.", [("Bash", {"command": c}, out, err) for c, out, err in cmds[:2]])]
    steps.append(("assistant", "Changing the configuration.", [_edit(rng.choice(OPS_FILES))] + [("Bash", {"command": c}, out, err) for c, out, err in cmds[2:]]))
    steps.append(("assistant", f"The {svc} is healthy again; I left a note in the runbook about the cause.", []))
    return steps


def question(p: dict, rng: random.Random) -> list:
    q = rng.choice([("How do I make a column NOT NULL in Postgres without locking a big table?",
                     "Add a CHECK constraint NOT VALID, validate it separately, then set NOT NULL: Postgres 12+ uses the validated check."),
                    ("What is the difference between a process pool and a thread pool for this kind of work?",
                     "Threads share memory and suit I/O-bound work; processes avoid the GIL for CPU-bound work but pay to pickle arguments."),
                    ("Should I use UUIDv7 or bigint ids for the new tables?",
                     "UUIDv7 sorts by time, so index locality is close to bigint; pick it if ids are generated outside the database."),
                    ("Is it possible to cancel a running query from the client when the request times out?",
                     "Yes: most drivers expose cancel(); set statement_timeout as a server-side backstop."),
                    ("What's the best way to version a public API we only have two clients for?",
                     "Additive changes without versions, and a date-based version header only for breaking changes."),
                    ("When should I reach for an event queue instead of a cron job?",
                     "When work is triggered by something that happened, needs retries, or must spread across workers."),
                    ("How does HTTP keep-alive interact with a load balancer's idle timeout?",
                     "The server's keep-alive must outlast the balancer's idle timeout, or the balancer reuses a closed socket."),
                    ("Which is better for a small team, a monorepo or one repo per service?",
                     "A monorepo, usually: one CI, atomic changes across services, shared tooling; split when ownership splits.")])
    steps = [("user", q[0]), ("assistant", q[1], [])]
    if rng.random() < 0.35:
        steps.append(("user", "And how would that look in our code?"))
        steps.append(("assistant", "In your code it's the session factory; only the default would change.", [_read(p, rng)]))
    if rng.random() < 0.3:
        steps.append(("user", "Thanks. One more: is there a downside?"))
        steps.append(("assistant", "Mostly operational: one more moving part to monitor.", []))
    return steps


FAMILIES = {"debugging": debugging, "feature": feature, "refactoring": refactoring, "review": review, "operations": operations,
            "question": question}
