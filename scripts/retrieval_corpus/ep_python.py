"""Hand-written episodes of the Python projects: ledger-core, notify-worker, ml-features, devtools-cli."""

from __future__ import annotations

from retrieval_corpus.steps import A, Also, Bash, Edit, Ep, Grep, Meta, Q, Read, Snap, Sys, U, Write, ep, numbered

EPISODES: list[Ep] = []
add = EPISODES.append

# =============================================================================================
# ledger-core
# =============================================================================================

add(ep("lc_statement_rounding", "ledger-core",
       "Monthly statements for EUR accounts are sometimes one cent off against the sum of the lines. Customer support has three tickets. Test that reproduces it:\n\n```\nFAILED tests/statements/test_rollup.py::test_rollup_matches_lines[EUR-2026-05] - AssertionError: assert Decimal('1043.57') == Decimal('1043.58')\n```",
       "Found it. `sum_entries` in ledger/statements/rollup.py converts every line to `float` before adding (`total += float(line.amount)`), and only at the end does `Decimal(total).quantize(Decimal('0.01'))`. Binary floats can't represent most cent values exactly, so 1043.575 as a float sum is really 1043.57499999..., which rounds down, while the lines themselves were rounded half-even one by one.\n\nFix: never leave Decimal. Sum `line.amount` as Decimal with `sum(..., Decimal('0'))` and quantize once with `ROUND_HALF_EVEN`, which is what the posting code already uses, so statements and postings agree on the rounding rule.",
       tools=[Read("/home/dev/work/ledger-core/ledger/statements/rollup.py", numbered("from decimal import Decimal\n\ndef sum_entries(lines):\n    total = 0.0\n    for line in lines:\n        total += float(line.amount)\n    return Decimal(total).quantize(Decimal('0.01'))")),
              Grep("float\\(", "ledger/statements/rollup.py:6:        total += float(line.amount)\nledger/fx/rates.py:41:    return float(rate)", path="ledger")],
       ack="Let me look at how the rollup adds the lines.",
       fix=[Edit("/home/dev/work/ledger-core/ledger/statements/rollup.py",
                 "    total = 0.0\n    for line in lines:\n        total += float(line.amount)\n    return Decimal(total).quantize(Decimal('0.01'))",
                 "    total = sum((line.amount for line in lines), Decimal('0'))\n    return total.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN)")],
       verify=[Bash("pytest tests/statements -q -k rollup", "........                                                                 [100%]\n8 passed in 0.74s")],
       done="All rollup tests pass, including the May EUR case. `ledger/fx/rates.py:41` also returns a float rate; that one is harmless for display but I'd convert it too before anyone multiplies money with it.",
       evidence=("total += float(line.amount)",),
       date="2026-05-21", branch="fix/statement-rounding",
       also=(Also("reflection", "ledger-core: statement totals a cent off came from sum_entries adding float(line.amount); keep money in Decimal end to end and quantize once with ROUND_HALF_EVEN (same rule as posting).", tags=("ledger-core", "decimal", "bug")),),
       queries=(Q("paraphrase", "why were the monthly statement totals off by a penny", project=True),
                Q("mixed", "sum_entries result differs from the lines by one cent"))))

add(ep("lc_alembic_heads", "ledger-core",
       "alembic upgrade head fails on staging after merging two feature branches:\n\n```\nERROR [alembic.util.messaging] Multiple head revisions are present for given argument 'head'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads\nFAILED: Multiple head revisions are present for given argument 'head'\n```",
       "Both branches added a migration on top of the same parent `7c1e2f9a0b44`, so the revision graph forked: `a3d91c2e5f10` (period_close table) and `e08b6f4d7a21` (fx_rates.source column). Alembic refuses `head` when there are two.\n\nThe fix is a merge revision that has both as parents. It contains no schema change of its own; it just joins the graph:\n\n```\nalembic merge -m \"merge period_close and fx source\" a3d91c2e5f10 e08b6f4d7a21\n```\n\nThe two migrations touch different tables, so their order doesn't matter. To catch this in CI before it hits staging, add a check that `alembic heads` prints exactly one line.",
       tools=[Bash("alembic heads", "a3d91c2e5f10 (head)\ne08b6f4d7a21 (head)"),
              Bash("alembic history -r 7c1e2f9a0b44:heads", "7c1e2f9a0b44 -> a3d91c2e5f10 (head), add period_close table\n7c1e2f9a0b44 -> e08b6f4d7a21 (head), add fx_rates.source")],
       fix=[Bash("alembic merge -m \"merge period_close and fx source\" a3d91c2e5f10 e08b6f4d7a21",
                 "Generating /home/dev/work/ledger-core/migrations/versions/5f2a77c0de91_merge_period_close_and_fx_source.py ...  done")],
       verify=[Bash("alembic upgrade head && alembic heads", "INFO  [alembic.runtime.migration] Running upgrade a3d91c2e5f10, e08b6f4d7a21 -> 5f2a77c0de91, merge period_close and fx source\n5f2a77c0de91 (head)")],
       follow=[("add the CI check you mentioned", A("Added a step to .github/workflows/ci.yml:\n\n```yaml\n- name: single alembic head\n  run: test \"$(alembic heads | wc -l)\" -eq 1 || (alembic heads; exit 1)\n```"))],
       evidence=("a3d91c2e5f10 e08b6f4d7a21",), date="2026-06-09",
       queries=(Q("command", "alembic command to join two migration branches into one", project=True),
                Q("identifier", "Multiple head revisions are present for given argument 'head'"))))

add(ep("lc_pgbouncer_prepared", "ledger-core",
       "We put pgbouncer in front of Postgres in transaction pooling mode to fix the 'too many clients' errors. Now under load we get random 500s:\n\n```\nasyncpg.exceptions.DuplicatePreparedStatementError: prepared statement \"__asyncpg_stmt_1a__\" already exists\nHINT:  NOTE: pgbouncer with pool_mode set to \"transaction\" or \"statement\" does not support prepared statements properly.\n```",
       "The hint says it: asyncpg prepares every query as a named server-side statement and caches it per connection. With pgbouncer in transaction mode, your next transaction may land on a different server connection, where `__asyncpg_stmt_1a__` either doesn't exist or already exists from another client.\n\nThree ways out:\n1. Turn off asyncpg's statement cache: `create_async_engine(url, connect_args={\"statement_cache_size\": 0, \"prepared_statement_cache_size\": 0})`. Works with transaction pooling, costs a parse per query.\n2. Use pgbouncer >= 1.21 with `max_prepared_statements = 200`, which tracks protocol-level prepared statements across server connections.\n3. Go back to session pooling and make the app pools smaller.\n\nFor now I'd do (1) to stop the 500s today; it's a one-line change.",
       fix=[Edit("/home/dev/work/ledger-core/ledger/db/session.py",
                 "engine = create_async_engine(settings.db_url, pool_size=settings.pool_size)",
                 "engine = create_async_engine(\n    settings.db_url,\n    pool_size=settings.pool_size,\n    # pgbouncer transaction mode: no named prepared statements\n    connect_args={\"statement_cache_size\": 0, \"prepared_statement_cache_size\": 0},\n)")],
       verify=[Bash("k6 run load/entries.js --vus 80 --duration 2m", "http_req_failed................: 0.00%  ✓ 0  ✗ 41877\nhttp_req_duration..............: avg=38.1ms p(95)=91.4ms")],
       done="80 virtual users for two minutes, zero failures. p95 went from 74 ms to 91 ms because every query is parsed again; that is the price of option 1.",
       evidence=("statement_cache_size\": 0",), date="2026-07-02", branch="perf/balances",
       queries=(Q("identifier", "DuplicatePreparedStatementError __asyncpg_stmt_"),
                Q("near_miss", "prepared statement already exists errors with pgbouncer", project=True,
                  note="the later session (lc_pgbouncer_final) reverts to session pooling; this one is the first attempt"))))

add(ep("lc_pgbouncer_final", "ledger-core",
       "Follow-up on pgbouncer. With the statement cache disabled p95 is 25% worse and the DBA doesn't want transaction mode anyway because of our SET LOCAL lock_timeout usage. What's the plan?",
       "Then transaction pooling is the wrong tool for this service: `SET LOCAL` is fine inside a transaction, but the session-level `SET lock_timeout` in `close_period` leaks to whoever gets the server connection next. Decision:\n\n- pgbouncer goes back to `pool_mode = session` (it still helps: it caps server connections at `default_pool_size = 40` and queues the rest instead of Postgres rejecting them);\n- the app pool shrinks from `pool_size=20, max_overflow=10` per pod to `pool_size=5, max_overflow=5`: 6 pods x 10 = 60 client connections worst case, well under `max_client_conn`;\n- asyncpg's prepared statement cache comes back on (statement_cache_size default 100), so the p95 regression disappears.\n\nThe root cause of 'too many clients' was never the database: it was 6 pods x 30 connections = 180 against `max_connections = 100`.",
       fix=[Edit("/home/dev/work/ledger-core/deploy/pgbouncer.ini", "pool_mode = transaction", "pool_mode = session"),
            Edit("/home/dev/work/ledger-core/ledger/settings.py", "pool_size: int = 20\n    max_overflow: int = 10", "pool_size: int = 5\n    max_overflow: int = 5")],
       verify=[Bash("k6 run load/entries.js --vus 80 --duration 2m", "http_req_failed................: 0.00%  ✓ 0  ✗ 43102\nhttp_req_duration..............: avg=29.7ms p(95)=70.2ms")],
       evidence=("pool_size=5, max_overflow=5",), date="2026-07-09", branch="perf/balances",
       also=(Also("reflection", "ledger-core decision: pgbouncer stays in session mode (SET lock_timeout in close_period is session state); app pools cut to pool_size=5, max_overflow=5 per pod; the 'too many clients' came from 6 pods x 30 connections vs max_connections=100.", tags=("ledger-core", "postgres", "decision")),),
       queries=(Q("paraphrase", "what pooling setup did we settle on for postgres in the ledger service", project=True,
                  note="final decision; lc_pgbouncer_prepared is the abandoned transaction-mode attempt"),
                Q("near_miss", "pgbouncer pool mode decision"))))

add(ep("lc_queuepool_timeout", "ledger-core",
       "Different problem from the pgbouncer stuff. Locally with a single pod, after the nightly statement job has been running for a while, API requests fail with\n\n```\nsqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 5 reached, connection timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)\n```",
       "This one is a session leak, not a sizing problem. `StatementBuilder.run` opens `async with get_session() as s` per account, but the generator in `_iter_accounts` keeps a *second* session open for the streaming `SELECT` over accounts, and for every account it calls `account_balance(account.id)` which grabs a fresh session without closing the previous one when an exception is swallowed by `except FxRateMissing: continue`. Each skipped account strands a connection until GC.\n\nFix: pass the session down instead of opening new ones, and use `async with` around the whole loop body so a `continue` still closes it. I also set `pool_pre_ping=True`, which is unrelated but cheap.",
       tools=[Grep("get_session\\(", "ledger/statements/builder.py:33:        async with get_session() as stream:\nledger/statements/builder.py:47:            s = get_session()\nledger/domain/balances.py:12:    async with get_session() as s:", path="ledger")],
       fix=[Edit("/home/dev/work/ledger-core/ledger/statements/builder.py",
                 "            s = get_session()\n            try:\n                bal = await account_balance(account.id, session=s)\n            except FxRateMissing:\n                continue",
                 "            async with get_session() as s:\n                try:\n                    bal = await account_balance(account.id, session=s)\n                except FxRateMissing:\n                    continue")],
       verify=[Bash("pytest tests/statements -q -p no:randomly", "...........                                                              [100%]\n11 passed in 1.02s")],
       evidence=("except FxRateMissing: continue",), date="2026-07-15",
       queries=(Q("near_miss", "QueuePool limit reached during the statement job", project=True,
                  note="distractors: the pgbouncer sessions (too many clients) in the same project"),
                Q("path", "statements/builder.py connections"))))

add(ep("lc_period_close_tz", "ledger-core",
       "test_close_period_includes_last_day fails only when I run it after 22:00. CI is green. Traceback:\n\n```\ntests/domain/test_period_close.py:58: in test_close_period_includes_last_day\n    assert closed.entry_count == 31\nE   assert 30 == 31\n```",
       "`close_period` computes the end of the month as `datetime.now().replace(day=1, ...) - timedelta(microseconds=1)` in local time, but `LedgerEntry.booked_at` is stored in UTC. After 22:00 in Berlin (UTC+2 in summer) the local date is already the next day relative to UTC for entries booked between 22:00 and midnight UTC... the last day's late entries fall outside the window.\n\nThe period boundaries must be computed in the ledger's reporting zone and then converted to UTC for the query: `start = datetime(y, m, 1, tzinfo=REPORTING_TZ).astimezone(UTC)`, `end = first day of next month` the same way, and filter with `booked_at >= start AND booked_at < end` (half-open, no microsecond tricks).",
       fix=[Edit("/home/dev/work/ledger-core/ledger/domain/posting.py",
                 "    end = datetime.now().replace(day=1, hour=0, minute=0, second=0) - timedelta(microseconds=1)",
                 "    start = datetime(year, month, 1, tzinfo=REPORTING_TZ).astimezone(UTC)\n    end = (datetime(year, month, 1, tzinfo=REPORTING_TZ) + relativedelta(months=1)).astimezone(UTC)")],
       verify=[Bash("TZ=Europe/Berlin faketime '2026-07-31 23:30:00' pytest tests/domain/test_period_close.py -q", "....                                                                     [100%]\n4 passed in 0.31s")],
       evidence=("booked_at >= start AND booked_at < end", "faketime '2026-07-31 23:30:00'"), date="2026-08-01", branch="feat/period-close",
       queries=(Q("near_miss", "test fails only when run after 22:00", project=True,
                  note="auth-server and dbt-warehouse have other timezone bugs"),
                Q("command", "faketime command to run the period close test at 23:30 Berlin time"))))

add(ep("lc_idempotency", "ledger-core",
       "Mobile clients retry POST /entries on timeouts and we got double postings last week (two identical transfers, 2 seconds apart). How do we make posting idempotent?",
       "Make the client send an `Idempotency-Key` header (a UUID per logical operation, reused on retries) and store it with a unique constraint in the same transaction as the posting:\n\n```sql\nCREATE TABLE idempotency_keys (\n  key uuid PRIMARY KEY,\n  request_hash bytea NOT NULL,\n  response jsonb,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n```\n\n`idempotency_key_guard` does `INSERT ... ON CONFLICT (key) DO NOTHING RETURNING key`. If nothing is returned the key was seen: compare `request_hash` (sha256 of the canonical body) and either replay the stored response (same body) or answer 422 `idempotency_key_reused` (different body). Because the insert and `post_journal_entry` share one transaction, a crash between them can't leave a key without a posting. Keys older than 72 hours get deleted by a nightly job.",
       follow=[("what about two requests with the same key at the same time?", "The second `INSERT ... ON CONFLICT DO NOTHING` blocks on the first transaction's uncommitted row until it commits or rolls back, then sees the conflict and replays. So concurrent duplicates serialize on the primary key, no advisory lock needed. Return 409 instead of waiting if you'd rather not hold the request: set `lock_timeout = '2s'` with SET LOCAL and map `LockNotAvailable` to 409 `request_in_progress`.")],
       evidence=("idempotency_key_reused",), date="2026-06-18",
       queries=(Q("paraphrase", "how did we stop retried transfers from being booked twice"),
                Q("mixed", "idempotency_key_guard with two identical requests at the same moment", project=True))))

add(ep("lc_fx_cache", "ledger-core",
       "load_fx_rates hits the ECB endpoint on every request to /accounts/{id}/balance?currency=USD. It's slow and we got rate-limited once. Cache it?",
       "Yes. The ECB reference rates change once per working day (around 16:00 CET), so a TTL cache is safe. I'd keep it in-process with a lock so only one request refreshes: `@cached(TTLCache(maxsize=1, ttl=settings.fx_rates_ttl_seconds), lock=threading.Lock())`, and `FX_RATES_TTL_SECONDS=3600` by default. Also store the rates' own date (`time` attribute of the Cube element) and return it in the balance response as `fx_as_of`, so a client can see the rate is yesterday's on weekends.",
       tools=[Read("/home/dev/work/ledger-core/ledger/fx/rates.py", numbered("import httpx\n\nECB_URL = \"https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml\"\n\ndef load_fx_rates():\n    r = httpx.get(ECB_URL, timeout=5)\n    return parse_cube(r.text)"))],
       fix=[Edit("/home/dev/work/ledger-core/ledger/fx/rates.py", "def load_fx_rates():", "@cached(TTLCache(maxsize=1, ttl=settings.fx_rates_ttl_seconds), lock=threading.Lock())\ndef load_fx_rates():")],
       evidence=("fx_as_of",), date="2026-04-28",
       queries=(Q("path", "fx/rates.py slow"),
                Q("identifier", "FX_RATES_TTL_SECONDS default"))))

add(ep("lc_ruff_mypy_plugin", "ledger-core",
       "mypy complains on every model after the SQLAlchemy 2 upgrade:\n\n```\nledger/db/models.py:41: error: Need type annotation for \"amount\"  [var-annotated]\nledger/db/models.py:58: error: \"Column[Decimal]\" has no attribute \"quantize\"  [attr-defined]\nFound 37 errors in 6 files (checked 48 source files)\n```",
       "Those come from the old declarative style (`amount = Column(Numeric(18, 2))`). SQLAlchemy 2 wants `Mapped[...]` annotations with `mapped_column`, and then mypy understands the types without the deprecated `sqlalchemy.ext.mypy.plugin`. So remove the plugin from `[tool.mypy] plugins` and convert: `amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))`. I converted the six files; the plugin entry is gone from pyproject.toml.",
       verify=[Bash("mypy ledger", "Success: no issues found in 48 source files")],
       evidence=("sqlalchemy.ext.mypy.plugin",), date="2026-03-30", branch="chore/deps-sqlalchemy",
       queries=(Q("mixed", "mypy var-annotated errors on every model after the sqlalchemy upgrade", project=True),)))

# =============================================================================================
# notify-worker: Celery -> dramatiq (abandoned attempt, then the decision)
# =============================================================================================

add(ep("nw_visibility_attempt", "notify-worker",
       "Invoice reminders scheduled with `send_invoice_reminder.apply_async(countdown=7200)` sometimes go out twice. Broker is Redis. Any idea?",
       "That's the Redis transport's `visibility_timeout` (default 3600 s). A task with a countdown/ETA is reserved by a worker immediately and held unacknowledged until its ETA; if it's not acknowledged within the visibility timeout, Redis assumes the worker died and redelivers it to another worker. With countdown=7200 every such task outlives the one-hour timeout and can run twice.\n\nQuick fix: raise it above the longest countdown we use, `broker_transport_options = {\"visibility_timeout\": 43200}` (12 h).",
       fix=[Edit("/home/dev/projects/notify-worker/notify/celeryconfig.py", "broker_transport_options = {}", "broker_transport_options = {\"visibility_timeout\": 43200}  # > longest countdown (2h)")],
       follow=[("deployed, duplicates gone. but a worker OOM yesterday meant its reminders only went out 12 hours later :(",
                "Right, that's the trade-off of a long visibility timeout: it's also how long an unacknowledged task waits after a real crash. With Redis as the broker there is no way to get both. Options are a broker with real acknowledgements (RabbitMQ), or not holding ETA tasks in the broker at all: store reminders in a table and have a scheduler enqueue them when they're due. Let's think about it before the next incident.")],
       evidence=("\"visibility_timeout\": 43200",), date="2026-06-02", branch="fix/duplicate-reminders",
       queries=(Q("near_miss", "first fix we tried for the duplicate reminders", project=True,
                  note="abandoned attempt; nw_drop_celery is the final decision"),)))

add(ep("nw_drop_celery", "notify-worker",
       "Ok, decision time on the worker. Summary of the pain: duplicate reminders (visibility timeout), 12h delays after crashes, prefork workers growing to 1.5 GB, and celery beat running twice after the k8s rollout. Options: stay with Celery + RabbitMQ, dramatiq + RabbitMQ, or RQ. We have ~40 task types.",
       "My recommendation is dramatiq on RabbitMQ, and scheduling moves out of the broker entirely.\n\n- Reminders become rows in `scheduled_notifications(due_at, payload, sent_at)`; a small scheduler (one replica, `pg_try_advisory_lock(4242)` so a second copy just idles) enqueues due rows every 30 s. No ETA tasks in the broker means no visibility-timeout trade-off at all.\n- dramatiq acks late by default, retries with exponential backoff via the `Retries` middleware, and its worker model (processes x threads) doesn't fork per task, so the memory growth we saw with prefork goes away.\n- RabbitMQ gives real acknowledgements: a crashed worker's messages are redelivered as soon as its connection drops, not after 12 hours.\n- RQ is simpler but Redis-only, so it inherits the same redelivery problem.\n\nThe port is mechanical: `@app.task(bind=True, max_retries=5)` becomes `@dramatiq.actor(max_retries=5, min_backoff=10_000)`, `.delay()` becomes `.send()`. celery beat goes away (the scheduler replaces it).",
       follow=[("go with dramatiq. keep the dedupe store?",
                "Keep it: `DedupeStore.mark_sent(notification_id)` with `SET key 1 NX EX 604800` makes sending idempotent, and at-least-once delivery means an actor can still run twice after a crash mid-send. The migration plan is in docs/adr/0007-dramatiq.md.")],
       evidence=("pg_try_advisory_lock(4242)", "0007-dramatiq.md"), date="2026-06-16", branch="chore/drop-celery",
       summary="Replace Celery with dramatiq + RabbitMQ",
       also=(Also("inbox:adr-digest.jsonl", "ADR 0007 (notify-worker): Celery is replaced by dramatiq on RabbitMQ. Reasons: duplicate reminders from the Redis visibility timeout, 12 h redelivery after crashes, prefork memory growth, celery beat running twice during rollouts. Reminders move to a scheduled_notifications table polled by a single scheduler holding pg_try_advisory_lock(4242). Status: accepted 2026-06-16."),),
       queries=(Q("paraphrase", "why did we get rid of celery", note="final decision; the inbox ADR digest restates it"),
                Q("paraphrase", "how do scheduled reminders work now that the broker no longer holds delayed tasks", project=True),
                Q("identifier", "pg_try_advisory_lock scheduler single replica"))))

add(ep("nw_ses_throttle", "notify-worker",
       "The digest run at 07:00 fails half the emails:\n\n```\nbotocore.errorfactory.ThrottlingException: An error occurred (Throttling) when calling the SendEmail operation (reached max retries: 4): Maximum sending rate exceeded.\n```",
       "SES enforces a per-second sending rate per account (ours is 14/s in eu-west-1, `aws sesv2 get-account` shows `MaxSendRate`). The digest fans out 30k emails through 16 threads with no pacing, so we burst far above 14/s and boto's own 4 retries aren't enough.\n\nFix: a token bucket in front of `SesClient.send` shared by all threads of the process (`limiter = RateLimiter(rate=12, per=1.0)`, a bit under the limit because there are 2 processes: 2 x 6/s), and treat `Throttling` as retryable in our own retry with jitter instead of failing the message. Longer term, request a quota increase.",
       tools=[Bash("aws sesv2 get-account --region eu-west-1 --query SendQuota", "{\n    \"Max24HourSend\": 50000.0,\n    \"MaxSendRate\": 14.0,\n    \"SentLast24Hours\": 31877.0\n}")],
       evidence=("MaxSendRate", "aws sesv2 get-account"), date="2026-08-11", branch="feat/digest-email",
       queries=(Q("near_miss", "half the digest emails fail at 7am", note="other 429/throttling issues in search-svc and storefront"),
                Q("command", "aws cli to see our SES sending quota"))))

add(ep("nw_module_not_found", "notify-worker",
       "New worker image crashes on start:\n\n```\n[2026-07-01 09:12:44,031] [PID 1] [MainThread] [dramatiq.WorkerProcess(0)] [ERROR] Failed to import module.\nTraceback (most recent call last):\n  File \"/usr/local/lib/python3.12/site-packages/dramatiq/cli.py\", line 330, in worker_process\n    module, broker = import_broker(args.broker)\nModuleNotFoundError: No module named 'notify'\n```",
       "The Dockerfile copies the code to `/srv/app` but the `WORKDIR` is `/srv` and the package isn't installed into site-packages (we only `pip install -r requirements.txt`). `dramatiq notify.tasks` imports relative to the working directory/sys.path, so `notify` isn't found. It worked in the old Celery image because `celery -A notify` was run from `/srv/app`.\n\nEither `WORKDIR /srv/app`, or better, install the project itself (`pip install --no-deps .`) so the import doesn't depend on the cwd. I did the latter.",
       tools=[Read("/home/dev/projects/notify-worker/deploy/worker.Dockerfile", numbered("FROM python:3.12-slim\nWORKDIR /srv\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . /srv/app\nCMD [\"dramatiq\", \"notify.tasks\", \"--processes\", \"2\", \"--threads\", \"8\"]"))],
       fix=[Edit("/home/dev/projects/notify-worker/deploy/worker.Dockerfile", "COPY . /srv/app", "COPY . /srv/app\nRUN pip install --no-deps /srv/app")],
       verify=[Bash("docker build -f deploy/worker.Dockerfile -t notify-worker . && docker run --rm notify-worker dramatiq notify.tasks --help | head -1", "usage: dramatiq [-h] [--processes PROCESSES] [--threads THREADS]")],
       evidence=("pip install --no-deps .",), date="2026-07-01", branch="chore/drop-celery",
       queries=(Q("near_miss", "No module named in the new worker image", project=True,
                  note="other ModuleNotFoundError cases: devtools-cli tomllib, ml-features pyarrow"),)))

add(ep("nw_render_autoescape", "notify-worker",
       "A customer name with an ampersand shows up as `Smith &amp;amp; Sons` in the plain-text version of the invoice email but fine in HTML.",
       "`render_template` uses one jinja2 `Environment(autoescape=True)` for both the `.html` and the `.txt` templates, and the name is already escaped once by the caller (`markupsafe.escape(customer.name)` in `send_invoice_reminder`). So text gets `&amp;` from the caller and HTML gets `&amp;` which the browser shows as `&`... and in text it's escaped twice. Don't escape in the caller; use `select_autoescape(enabled_extensions=(\"html\",), default_for_string=False)` so `.txt` templates aren't escaped at all.",
       fix=[Edit("/home/dev/projects/notify-worker/notify/templates/render.py", "env = Environment(loader=loader, autoescape=True)", "env = Environment(loader=loader, autoescape=select_autoescape(enabled_extensions=(\"html\",), default_for_string=False))")],
       evidence=("default_for_string=False",), date="2026-05-06",
       queries=(Q("mixed", "&amp; showing up in the text version of emails"),)))

# =============================================================================================
# ml-features
# =============================================================================================

add(ep("mf_spark_attempt", "ml-features",
       "build_daily_features takes 3h on the biggest day now (events table ~900M rows/day after the tracking change). I'm thinking of moving the joins to Spark on EMR. Can you sketch it?",
       "Sure. The heavy part is `join_events_to_accounts` (events x accounts snapshot, then 7/28-day rolling windows). On Spark: read the day's parquet partition with `spark.read.parquet(f\"s3://{bucket}/events/dt={day}\")`, broadcast the accounts snapshot (~2M rows, fits), window with `Window.partitionBy(\"account_id\").orderBy(\"ts\").rangeBetween(-28*86400, 0)`. A 6 x m5.2xlarge EMR cluster should do a day in well under an hour. I put the job in `features/spark/build_daily_spark.py` and an `EmrCreateJobFlowOperator` in the DAG.",
       follow=[("ran it for a week. 40 minutes per day, but EMR costs $1,900/month and cold start is 12 minutes. finance is not happy.",
                "That's a fair concern for a single daily job. Before committing to EMR, it's worth checking whether a single machine can do it: 900M events is large, but the job only needs 5 columns, and polars' streaming engine processes parquet out of core. Let's benchmark that next week before we settle anything.")],
       evidence=("build_daily_spark.py",), date="2026-04-07", branch="feat/polars-joins",
       queries=(Q("near_miss", "spark on EMR for the daily features", project=True,
                  note="abandoned attempt; mf_polars_final is what we kept"),)))

add(ep("mf_polars_final", "ml-features",
       "Polars benchmark results are in: the daily build runs in 22 minutes on one r6i.4xlarge (128 GB) with streaming. Let's make it official. What changes in build_daily_features?",
       "Then we drop the Spark job and EMR. The polars version:\n\n```python\nevents = (\n    pl.scan_parquet(f\"s3://{bucket}/events/dt={day}/*.parquet\", storage_options=opts)\n    .select(\"account_id\", \"ts\", \"event_type\", \"amount\", \"session_id\")\n)\nfeatures = (\n    events.join(accounts.lazy(), on=\"account_id\", how=\"inner\")\n    .sort(\"account_id\", \"ts\")\n    .rolling(index_column=\"ts\", period=\"28d\", group_by=\"account_id\")\n    .agg(pl.len().alias(\"events_28d\"), pl.col(\"amount\").sum().alias(\"spend_28d\"))\n    .collect(engine=\"streaming\")\n)\n```\n\nKey points: select only the 5 columns right after the scan (projection pushdown means the other 40 are never read), and the `streaming` engine keeps peak memory at ~38 GB instead of materialising the join. The Airflow task runs in a KubernetesPodOperator on the r6i node pool with `resources={\"request_memory\": \"96Gi\"}`. Monthly cost is the node-hours of one 22-minute run a day, about $60.",
       evidence=("collect(engine=\"streaming\")",), date="2026-04-21", branch="feat/polars-joins",
       also=(Also("reflection", "ml-features: daily feature build moved from Spark on EMR ($1,900/month, 12 min cold start) to polars lazy scan + streaming engine on one r6i.4xlarge: 22 minutes, ~$60/month. Select the 5 needed columns right after scan_parquet.", tags=("ml-features", "polars", "decision")),),
       queries=(Q("paraphrase", "why aren't we using spark for the feature pipeline anymore"),
                Q("mixed", "how does build_daily_features compute the 28 day activity now", project=True))))

add(ep("mf_oom_merge", "ml-features",
       "The churn training prep pod gets OOMKilled (exit code 137) at the merge step. Memory limit is 32Gi, the two frames are 3 GB and 1.2 GB in memory. How does a merge blow up to 32 GB?",
       "A many-to-many key. `pd.merge(sessions, devices, on=\"account_id\")`: both sides have several rows per account, so the result has sum over accounts of n_sessions x n_devices rows. One account in the data has 41k sessions and 2.3k devices (a load-test account, `acct_loadtest_7`), that alone is 94M rows.\n\nUse `validate=\"many_to_one\"` to make pandas raise `MergeError` instead of exploding, dedupe devices to the latest per account before merging, and filter the test accounts out in `load_accounts_snapshot`.",
       tools=[Bash("python -c \"import pandas as pd; d=pd.read_parquet('/tmp/devices.parquet'); print(d.account_id.value_counts().head(3))\"", "account_id\nacct_loadtest_7    2314\nacct_0091822         17\nacct_0043310         15\nName: count, dtype: int64")],
       evidence=("acct_loadtest_7",), date="2026-05-12",
       queries=(Q("near_miss", "training prep OOMKilled at the merge", project=True,
                  note="other exit 137 / OOM cases in search-svc and auth-server"),
                Q("identifier", "pd.merge validate=\"many_to_one\" MergeError"))))

add(ep("mf_pyarrow_missing", "ml-features",
       "The Airflow task build_daily fails right away:\n\n```\n  File \"/opt/airflow/dags/daily_features.py\", line 14, in build\n    df = pd.read_parquet(path)\nImportError: Unable to find a usable engine; tried using: 'pyarrow', 'fastparquet'.\nA suitable version of pyarrow or fastparquet is required for parquet support.\nTrying to import the above resulted in these errors:\n - Missing optional dependency 'pyarrow'. pyarrow is required for parquet support. Use pip or conda to install pyarrow.\n```",
       "The DAG runs in the Airflow worker image, not in our ml-features image, and the worker image is `apache/airflow:2.10.2-python3.11` slim, which doesn't ship pyarrow. The task imports pandas from the worker's environment.\n\nTwo options: add `pyarrow==17.0.0` to the worker image's requirements (quick), or run the build in our own image with `KubernetesPodOperator(image=\"ml-features:latest\")` so the DAG never imports our dependencies. The second is where we're going anyway with the polars job, so I switched this task to the pod operator.",
       evidence=("Missing optional dependency 'pyarrow'",), date="2026-04-02",
       queries=(Q("near_miss", "airflow task can't read parquet files"),)))

add(ep("mf_psi_nan", "ml-features",
       "compute_psi returns NaN for the `days_since_last_login` feature every Monday. Drift alerts don't fire because NaN > 0.2 is False.",
       "An empty bin. `compute_psi` bins both samples on the reference quantiles, then does `(a - e) * np.log(a / e)`; when a bin has zero share in the current sample (on Mondays nobody has `days_since_last_login` in the 0-1 bin after a weekend with the login service down... in general any empty bin), `log(0)` is `-inf` and `0 * -inf` is NaN. Standard fix is a floor: `a = np.clip(a, 1e-4, None)` and the same for `e`, then renormalise. And make the alert treat NaN as a failure, not as 'no drift': `if not np.isfinite(psi) or psi > DRIFT_PSI_THRESHOLD`.",
       fix=[Edit("/home/dev/projects/ml-features/features/monitoring/drift.py", "    return np.sum((a - e) * np.log(a / e))", "    a = np.clip(a, 1e-4, None); a = a / a.sum()\n    e = np.clip(e, 1e-4, None); e = e / e.sum()\n    return float(np.sum((a - e) * np.log(a / e)))")],
       evidence=("np.clip(a, 1e-4, None)",), date="2026-09-08", branch="fix/psi-nan",
       queries=(Q("paraphrase", "drift alert never fires at the start of the week"),
                Q("path", "drift.py psi"))))

add(ep("mf_ruff_notebooks", "ml-features",
       "Since ruff 0.6 the pre-commit hook lints our notebooks and fails with hundreds of E501 and F401 in notebooks/*.ipynb. We don't care about style in exploratory notebooks.",
       "Ruff 0.6 turned on Jupyter notebook linting by default (`extend-include` now contains `*.ipynb`). Exclude the folder instead of disabling rules globally:\n\n```toml\n[tool.ruff]\nextend-exclude = [\"notebooks\"]\n```\n\nKeep linting notebooks that live next to the code (`features/**/*.ipynb`), those get imported into docs. If you want just the long lines ignored there: `[tool.ruff.lint.per-file-ignores] \"*.ipynb\" = [\"E501\"]`.",
       evidence=("extend-exclude = [\"notebooks\"]",), date="2026-08-20",
       queries=(Q("near_miss", "E501 in notebooks after ruff upgrade", note="devtools-cli has an E501 on a generated file"),)))

# =============================================================================================
# devtools-cli
# =============================================================================================

add(ep("dt_tomllib", "devtools-cli",
       "Someone on Ubuntu 22.04 can't run dt:\n\n```\nTraceback (most recent call last):\n  File \"/home/ana/.local/bin/dt\", line 5, in <module>\n    from dt.cli import app\n  File \"/home/ana/.local/share/uv/tools/dt/lib/python3.10/site-packages/dt/config.py\", line 3, in <module>\n    import tomllib\nModuleNotFoundError: No module named 'tomllib'\n```",
       "`tomllib` is stdlib only from Python 3.11; her uv tool env was created with the system 3.10. Our pyproject says `requires-python = \">=3.10\"`, so either raise it to 3.11 or fall back to the `tomli` backport:\n\n```python\nif sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli as tomllib\n```\n\nwith `\"tomli>=2; python_version < '3.11'\"` in the dependencies. I'd keep 3.10 support, we have three people on 22.04. Also add 3.10 to the nox matrix so this is caught.",
       fix=[Edit("/home/dev/projects/devtools-cli/src/dt/config.py", "import tomllib", "if sys.version_info >= (3, 11):\n    import tomllib\nelse:  # Ubuntu 22.04 ships 3.10\n    import tomli as tomllib")],
       verify=[Bash("uvx nox -s tests-3.10", "nox > Running session tests-3.10\nnox > uv pip install -e '.[test]'\nnox > pytest -q\n.......................                                                  [100%]\n23 passed in 1.84s\nnox > Session tests-3.10 was successful in 9 seconds.")],
       evidence=("import tomli as tomllib", "uvx nox -s tests-3.10"), date="2026-05-27", branch="fix/py310-compat",
       queries=(Q("identifier", "ModuleNotFoundError: No module named 'tomllib'"),
                Q("command", "run the test session for python 3.10 only with nox", project=True))))

add(ep("dt_uv_migration", "devtools-cli",
       "Poetry lock takes 4 minutes on CI and `poetry install` keeps breaking with the keyring prompt on the build agents. Should we move dt to uv?",
       "For a CLI with 6 runtime dependencies, yes. What changes:\n\n- `[tool.poetry]` metadata becomes standard `[project]` (PEP 621), build backend `hatchling`;\n- `poetry.lock` becomes `uv.lock` (`uv lock` takes ~1 s here);\n- CI: `uv sync --frozen` instead of `poetry install --no-root`, the keyring problem disappears because uv doesn't use keyring unless `--keyring-provider` is set;\n- users install with `uv tool install dt --index-url https://pypi.internal/simple` instead of pipx.\n\nI converted pyproject.toml; `uv lock` resolved 31 packages in 812 ms, `uv sync --frozen` on a cold CI cache takes 6 s.",
       verify=[Bash("uv lock && uv sync --frozen", "Resolved 31 packages in 812ms\nInstalled 29 packages in 41ms")],
       evidence=("--keyring-provider", "uv sync --frozen"), date="2026-03-18",
       also=(Also("reflection", "devtools-cli moved from poetry to uv (PEP 621 metadata, hatchling, uv.lock). CI uses uv sync --frozen; the keyring prompt on build agents is gone; locking went from ~4 minutes to under a second.", tags=("devtools-cli", "packaging", "decision")),),
       queries=(Q("paraphrase", "why did we switch the cli's packaging away from poetry"),
                Q("command", "uv sync frozen in CI instead of poetry install"))))

add(ep("dt_ruff_e501_generated", "devtools-cli",
       "pre-commit fails on src/dt/_version_table.py (generated) with `E501 Line too long (212 > 100)`. I don't want to wrap generated lines.",
       "Add a per-file ignore for the generated module rather than raising the global limit:\n\n```toml\n[tool.ruff.lint.per-file-ignores]\n\"src/dt/_version_table.py\" = [\"E501\"]\n```\n\nAnd mark it as generated in `.gitattributes` (`src/dt/_version_table.py linguist-generated=true`) so GitHub collapses it in diffs.",
       evidence=("_version_table.py",), date="2026-06-24", branch="chore/ruff-0.7",
       queries=(Q("near_miss", "E501 on a generated file", project=True,
                  note="ml-features has E501 in notebooks"),
                Q("path", "_version_table.py generated line length"))))

add(ep("dt_release_tag", "devtools-cli",
       "`dt release --minor` created the tag v1.9.0 but pushed it before the version bump commit, so the tag points at the old commit. Whoops.",
       "In `release()` the order is `run_git('tag', ...)`, then `run_git('push', '--tags')`, then `bump_version` writes and commits. The tag is created on HEAD before the bump commit exists. Reorder: bump, commit, tag the new commit, then `git push --atomic origin HEAD refs/tags/v1.9.0` so the branch and tag arrive together or not at all. To fix the bad tag: `git tag -f v1.9.0 <bump-commit>` and `git push --force origin refs/tags/v1.9.0` (tell people who fetched it).",
       evidence=("git push --atomic origin HEAD refs/tags/v1.9.0", "git push --force origin refs/tags/v1.9.0"), date="2026-09-15", branch="feat/release-notes",
       queries=(Q("command", "push branch and tag together so neither arrives alone"),
                Q("identifier", "release() run_git tag before bump_version", project=True))))

add(ep("dt_env_doctor", "devtools-cli",
       "Add a `dt env doctor` command that checks: docker running, aws sso session valid, kubectl context not pointing at prod, and node version >= 20.",
       "Added `env_doctor` in src/dt/commands/env.py. Each check is a small function returning `(ok, message, fix_hint)` and the command prints a rich table, exit code 1 if any fails. The checks: `docker info --format '{{.ServerVersion}}'`, `aws sts get-caller-identity --profile $DT_PROFILE` (an expired SSO session exits 255 with `Error when retrieving token from sso: Token has expired and refresh failed`), `kubectl config current-context` must not match `*prod*` unless `--allow-prod`, and `node --version` parsed with `packaging.version`.",
       evidence=("Token has expired and refresh failed", "aws sts get-caller-identity --profile $DT_PROFILE"), date="2026-10-06",
       queries=(Q("mixed", "dt env doctor checks", project=True),)))
