"""Short items with answers: inbox notes (TIL, Slack threads, ADR digests, chat exports) and Session
Buddy rows (V1/E3 conversations and reflections). Plus EXTRA_QUERIES: more queries on episodes
defined in the other modules (mostly `path`, `identifier`, `command` and `mixed` ones)."""

from __future__ import annotations

from retrieval_corpus.steps import A, Also, Bash, Edit, Ep, Grep, Q, U, ep

EPISODES: list[Ep] = []


def note(key: str, project: str, where: str, text: str, evidence: tuple, queries: tuple, date: str | None = None) -> None:
    EPISODES.append(Ep(key=key, project=project, steps=[U(text)], evidence=evidence, queries=queries, where=where, date=date))


note("n_celery_maxtasks", "ml-features", "inbox:slack-threads.jsonl",
     "#ml-platform thread, ml-features scoring service: the celery workers that run `score_accounts` grow to 3-4 GB after a few hours because every task unpickles the sklearn model again and the prefork children never give the memory back to the OS. Fix we went with: `worker_max_tasks_per_child=200` plus `--max-memory-per-child=1500000` (KiB) on the celery command, and load the model once per child in `worker_process_init`. Memory now saws between 600 MB and 1.4 GB.",
     ("worker_max_tasks_per_child=200",),
     (Q("near_miss", "scoring celery workers grow to several GB", project=True,
        note="notify-worker's Celery story is about duplicates and dropping Celery; this one keeps Celery"),
      Q("identifier", "worker_max_tasks_per_child max-memory-per-child")), date="2026-05-22")

note("n_git_bisect", "devtools-cli", "inbox:til.jsonl",
     "TIL (dt): `git bisect start v1.8.0 HEAD` then `git bisect run uv run pytest tests/test_release.py -x -q` found the commit that broke bump_version for pre-releases in 6 steps without me touching anything. Exit code 125 from the script means 'skip this commit' (useful when a commit doesn't build).",
     ("git bisect run uv run pytest tests/test_release.py -x -q",),
     (Q("command", "let git find the commit that broke a test automatically"),
      Q("identifier", "bisect exit code 125 skip")), date="2026-10-14")

note("n_docker_prune", "infra-live", "inbox:til.jsonl",
     "TIL infra-live: the self-hosted runners' disks filled up with BuildKit cache (180 GB). `docker builder prune --force --filter until=72h` in a nightly cron keeps the last three days of cache, which is what makes our builds fast, and frees the rest. `docker system prune -a` would also drop base images and make Monday's first builds slow.",
     ("docker builder prune --force --filter until=72h",),
     (Q("command", "clean old buildkit cache on the runners but keep recent layers"),), date="2026-07-29")

note("n_psql_copy", "ledger-core", "inbox:slack-threads.jsonl",
     "ledger-core, export for the auditors: `COPY ... TO '/tmp/x.csv'` fails on RDS with `ERROR:  must be superuser or have privileges of the pg_write_server_files role to COPY to a file`. Use psql's client-side variant instead, which writes on your machine: `\\copy (select * from journal_lines where booked_at >= '2026-01-01') to 'journal_2026.csv' csv header`.",
     ("pg_write_server_files",),
     (Q("identifier", "must be superuser or have privileges of the pg_write_server_files role to COPY to a file"),
      Q("command", "export a query to csv from the managed postgres without superuser", project=True)), date="2026-09-21")

note("n_ruff_ignore_e501", "ledger-core", "reflection",
     "ledger-core lint policy: E501 is ignored in [tool.ruff.lint] because `ruff format` owns line wrapping; a long string literal is not worth a manual break. Everything else in select = [\"E\", \"F\", \"I\", \"B\", \"UP\", \"SIM\"] is enforced in CI.",
     ("owns line wrapping",),
     (Q("near_miss", "why is E501 not enforced in the ledger service's lint config", project=True,
        note="E501 also in devtools-cli (generated file) and ml-features (notebooks)"),))

note("n_dbt_duckdb_local", "dbt-warehouse", "inbox:adr-digest.jsonl",
     "ADR 0003 (dbt-warehouse): developers run dbt against DuckDB locally (dbt-duckdb, a 2% sample of raw tables exported to parquet nightly), prod and CI-on-merge run on Snowflake. Why: no Snowflake credits burned on laptops, 10x faster iteration. Cost: SQL that differs between engines goes through adapter.dispatch macros (date functions, timezone conversion, qualify). Status: accepted.",
     ("a 2% sample of raw tables",),
     (Q("paraphrase", "why do we not use snowflake on laptops"),))

note("n_kubectl_debug", "infra-live", "inbox:til.jsonl",
     "TIL: our images are distroless (no shell), so `kubectl exec` is useless for network debugging. `kubectl debug -it search-svc-7d9f-abcde --image=nicolaka/netshoot --target=search-svc` attaches an ephemeral container sharing the pod's process and network namespace; curl, dig and tcpdump work from there.",
     ("--image=nicolaka/netshoot",),
     (Q("command", "get a shell with network tools next to a distroless container"),), date="2026-06-26")

note("n_pino_jq", "chat-gateway", "inbox:til.jsonl",
     "chat-gateway logs are pino JSON; to see only errors with their message: `kubectl logs deploy/chat-gateway --since=1h | jq -c 'select(.level >= 50) | {time, msg, err: .err.message}'` (pino levels: 30 info, 40 warn, 50 error, 60 fatal).",
     ("select(.level >= 50)",),
     (Q("command", "filter error lines out of the gateway's json logs with jq", project=True),
      Q("identifier", "pino level 50 error 60 fatal")), date="2026-08-02")

note("n_next_font", "storefront-web", "reflection",
     "storefront-web: CLS from the web font swap fixed by self-hosting through next/font/google (Inter, display: 'swap', adjustFontFallback: true), which generates a size-adjusted fallback so text doesn't jump when the font arrives. CLS 0.18 -> 0.02.",
     ("adjustFontFallback: true",),
     (Q("paraphrase", "layout shift when the font loads on the shop"),))

note("n_testcontainers_reuse", "auth-server", "reflection",
     "auth-server: integration tests start Postgres and Redis with Testcontainers; locally set testcontainers.reuse.enable=true in ~/.testcontainers.properties and .withReuse(true) on the containers: startup 40 s -> 4 s. Never in CI (containers must be fresh there).",
     ("testcontainers.reuse.enable=true",),
     (Q("identifier", "testcontainers.reuse.enable withReuse"),
      Q("paraphrase", "integration tests of the auth service take forever to start locally")))

note("n_feature_flags", "mobile-app", "inbox:chat-exports.jsonl",
     "### User\nhow should useFeatureFlag get its values in the app?\n\n### Assistant\nFetch all flags for the user from `GET /flags` once at startup and on app resume, keep them in the zustand store with `persist` (AsyncStorage), and treat them as stale-while-revalidate: render with the persisted values immediately, refresh in the background, and only re-render components whose flag changed. A 10-minute minimum interval between fetches keeps resume storms cheap. Default every flag to off in code, so a failed fetch on a fresh install is safe.",
     ("A 10-minute minimum interval between fetches",),
     (Q("mixed", "useFeatureFlag values after the app comes back from background", project=True),), date="2026-09-10")

note("n_cross_aarch64", "logtail-rs", "e3_conversation",
     "User: need logtail for the arm64 graviton hosts, static binary\n\nAssistant: Use `cross build --release --target aarch64-unknown-linux-musl`. cross runs the build in a container with the right linker. The one snag is OpenSSL: musl targets can't link the system one easily, so switch reqwest to rustls: `reqwest = { version = \"0.12\", default-features = false, features = [\"rustls-tls\", \"json\"] }`. The binary is 7.8 MB and runs on Amazon Linux 2023 and Alpine alike.",
     ("aarch64-unknown-linux-musl",),
     (Q("command", "cross compile the rust shipper as a static arm64 binary"),
      Q("mixed", "openssl linking trouble for the musl target in reqwest", project=True)), date="2026-05-30")

note("n_dkim_spam", "notify-worker", "v1_conversation",
     "User: since we moved sending to notify.acme-mail.com, Gmail puts the reminders in spam\n\nAssistant: The new subdomain has no DKIM and no DMARC yet, and SPF alone doesn't align with the From domain when SES sends from its own MAIL FROM. Enable Easy DKIM for the domain in SES (it gives three CNAME records to publish), set a custom MAIL FROM domain `bounce.notify.acme-mail.com` with its MX and SPF TXT, and publish DMARC `v=DMARC1; p=none; rua=mailto:dmarc@acme-mail.com` first, tightening to quarantine after two weeks of clean reports.",
     ("bounce.notify.acme-mail.com",),
     (Q("paraphrase", "reminders go to the spam folder since the new domain"),), date="2026-08-30")

note("n_go_race", "search-svc", "inbox:slack-threads.jsonl",
     "search-svc: `go test -race ./internal/search/...` reports `WARNING: DATA RACE` in the synonym cache: two request goroutines write the plain map in synonymsFor at the same time. Replaced it with a map guarded by sync.RWMutex (reads dominate). Added -race to the CI test step; it costs ~2x test time, fine for us.",
     ("go test -race ./internal/search/...",),
     (Q("command", "run the search package tests with the race detector"),
      Q("identifier", "WARNING: DATA RACE synonym cache map", project=True)), date="2026-09-16")

note("n_setting_with_copy", "ml-features", "inbox:til.jsonl",
     "TIL ml-features: the SettingWithCopyWarning in dedupe_events was real, not noise. `events[events.kind == 'click']['weight'] = 0.5` writes into a temporary copy and the original frame is unchanged, so clicks were never down-weighted. Use `events.loc[events.kind == 'click', 'weight'] = 0.5`.",
     ("events.loc[events.kind == 'click', 'weight'] = 0.5",),
     (Q("identifier", "SettingWithCopyWarning dedupe_events"),
      Q("paraphrase", "click events were never given less weight")), date="2026-06-05")

note("n_external_secrets", "infra-live", "inbox:adr-digest.jsonl",
     "ADR 0011 (infra-live): application secrets come from AWS Secrets Manager through External Secrets Operator (ExternalSecret per app, refreshInterval 1h, ClusterSecretStore with IRSA). Rejected: sealed-secrets (re-encrypting on every cluster rebuild, secrets in git even if encrypted) and SOPS in Helm values (decryption keys on CI runners). Status: accepted.",
     ("ClusterSecretStore with IRSA",),
     (Q("paraphrase", "how do passwords for the apps reach the cluster"),))

note("n_vitest_fake_timers", "chat-gateway", "reflection",
     "chat-gateway tests (test/heartbeat.test.ts): with vi.useFakeTimers() the heartbeat tests hang because ws schedules with process.nextTick, which is faked by default too. Use vi.useFakeTimers({ toFake: ['setInterval', 'setTimeout'] }) and advance with vi.advanceTimersByTimeAsync(30_000).",
     ("toFake: ['setInterval', 'setTimeout']",),
     (Q("identifier", "vi.useFakeTimers toFake setInterval heartbeat test hangs"),
      Q("path", "heartbeat.test.ts hangs", project=True)))

note("n_decimal_from_float", "ledger-core", "e3_reflection",
     "ledger-core gotcha: never build a Decimal from a float. Decimal(0.1) is Decimal('0.1000000000000000055511151231257827021181583404541015625'); use Decimal('0.1') or Decimal(str(x)) at the boundary where floats come in (the FX feed).",
     ("0.1000000000000000055511151231257827021181583404541015625",),
     (Q("near_miss", "Decimal(0.1) has a long tail of digits",
        note="lc_statement_rounding is the statement bug; this is the general gotcha"),))

note("n_dbt_freshness", "dbt-warehouse", "inbox:standup.jsonl",
     "standup dbt-warehouse: added source freshness on raw.orders (loaded_at_field: _loaded_at, warn_after 6 hours, error_after 24 hours) so the importer stalling over a weekend shows up Monday 06:00 instead of in the finance meeting.",
     ("warn_after 6 hours, error_after 24 hours",),
     (Q("mixed", "how do we notice when raw.orders stops loading", project=True),), date="2026-10-19")

note("n_pod_hermes", "mobile-app", "inbox:slack-threads.jsonl",
     "mobile-app iOS: `pod install` fails with `[!] CocoaPods could not find compatible versions for pod \"hermes-engine\"` after the RN bump. The local specs repo was stale: `npx pod-install --repo-update` (or `pod repo update` then `pod install` in ios/) fixed it.",
     ("could not find compatible versions for pod \"hermes-engine\"",),
     (Q("identifier", "CocoaPods could not find compatible versions for pod hermes-engine"),
      Q("command", "pod install with an updated specs repo for the ios build", project=True)), date="2026-07-03")

note("n_ledger_vacuum", "ledger-core", "v1_conversation",
     "User: journal_lines is 140 GB and autovacuum never finishes on it\n\nAssistant: With 900M rows the default `autovacuum_vacuum_scale_factor = 0.2` means vacuum starts only after 180M dead rows, then runs for hours at the default cost limit. Set per-table storage parameters: `ALTER TABLE journal_lines SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_cost_limit = 2000)`, so it vacuums every ~9M dead rows and faster. Since journal lines are insert-only, the real work is freezing; `autovacuum_vacuum_insert_scale_factor` (PG13+) covers that.",
     ("autovacuum_vacuum_scale_factor = 0.01",),
     (Q("mixed", "autovacuum on journal_lines runs for hours", project=True),
      Q("paraphrase", "database cleanup can't keep up with our biggest table")), date="2026-09-24")

note("n_search_explain", "search-svc", "e3_conversation",
     "User: why does the query 'red shoes' rank the red socks first?\n\nAssistant: Ran it with `\"explain\": true`: the socks win on `description` because their description repeats 'red' 6 times and BM25's term-frequency saturation (k1 = 1.2) still rewards that, while `title` has no boost over `description`. Boost title (`title^3`) in the multi_match and use `type: cross_fields` with `operator: and` so both words must match somewhere.",
     ("type: cross_fields",),
     (Q("mixed", "multi_match ranking looks wrong for two word queries", project=True),), date="2026-10-22")

# ---------------------------------------------------------------------------------------------
# more queries on episodes of the other modules
# ---------------------------------------------------------------------------------------------

_EXTRA: list[tuple[str, tuple]] = [
    # path
    ("lc_statement_rounding", (Q("path", "rollup.py totals", project=True),)),
    ("lc_pgbouncer_prepared", (Q("path", "db/session.py engine connect_args"),
                              Q("command", "k6 load test of the entries endpoint with 80 virtual users", extra=("lc_pgbouncer_final",)))),
    ("lc_pgbouncer_final", (Q("path", "pgbouncer.ini pool mode"),)),
    ("lc_period_close_tz", (Q("path", "posting.py close_period window"),)),
    ("lc_ruff_mypy_plugin", (Q("path", "db/models.py typing errors"),)),
    ("nw_visibility_attempt", (Q("path", "celeryconfig.py redis transport"),)),
    ("nw_module_not_found", (Q("path", "worker.Dockerfile import"),)),
    ("nw_render_autoescape", (Q("path", "templates/render.py escaping", project=True),)),
    ("mf_spark_attempt", (Q("path", "build_daily_spark.py cluster cost"),)),
    ("dt_tomllib", (Q("path", "dt/config.py toml import"),
                   Q("paraphrase", "cli crashes on a colleague's older ubuntu python at import"))),
    ("dt_env_doctor", (Q("path", "commands/env.py what it checks"),
                      Q("command", "check that the aws sso session is still valid for the dt profile"))),
    ("cg_alb_econnreset", (Q("path", "server.ts timeouts"),
                          Q("command", "read the ALB idle timeout attribute with the aws cli"))),
    ("cg_maxlisteners", (Q("path", "pubsub/redis.ts subscribeRoom leak"),
                        Q("paraphrase", "gateway pods slowly eat memory until they get killed"))),
    ("cg_subscriber_mode", (Q("path", "rooms/presence.ts redis client"),)),
    ("sf_lcp_hero", (Q("path", "next.config.mjs images"),)),
    ("sf_react_query", (Q("path", "queryClient.ts defaults"),)),
    ("sf_playwright_flaky", (Q("path", "checkout.spec.ts timeout"),)),
    ("ma_gradle_oom", (Q("path", "gradle.properties memory"),
                      Q("command", "regenerate the native android project with expo from scratch"))),
    ("ma_eas_update", (Q("path", "app.config.ts runtimeVersion policy"),)),
    ("il_rds_max_connections", (Q("path", "rds variables.tf connections"),)),
    ("lt_rotation_inode", (Q("path", "Tailer::poll logrotate"),)),
    ("lt_borrow_retain", (Q("path", "batch.rs pending map"),
                         Q("paraphrase", "compiler complains when I drop map items inside a loop"))),
    ("ss_bulk_429", (Q("path", "Indexer.BulkIndex rejected"),)),
    ("ss_context_deadline", (Q("path", "SearchHandler synonymsFor 504"),)),
    ("as_hikari_leak", (Q("path", "JwksController.keys connections"),)),
    ("as_clock_skew", (Q("path", "ClockSkewValidator allowed skew"),)),
    ("ss_goroutine_leak", (Q("path", "probeCluster NewClient goroutines"),)),
    ("as_refresh_rotation", (Q("path", "TokenService.rotateRefreshToken reuse"),)),
    ("cg_floating_promises", (Q("path", "publishMessage without await"),)),
    ("mf_oom_merge", (Q("path", "load_accounts_snapshot test accounts"),)),
    ("nw_drop_celery", (Q("path", "adr 0007-dramatiq.md"),)),
    ("il_eks_upgrade", (Q("path", "module.eks cluster_version upgrade plan"),)),
    ("dw_revenue_tz", (Q("path", "fct_revenue_daily date_trunc"),)),
    ("dw_sqlfluff_jinja", (Q("path", ".sqlfluff config for ci"),
                          Q("command", "install the dbt templater plugin for sqlfluff"))),
    ("il_helm_annotations", (Q("paraphrase", "live connections drop after exactly a minute since the ingress upgrade"),)),
    # identifier
    ("lc_idempotency", (Q("identifier", "INSERT ON CONFLICT (key) DO NOTHING idempotency_keys request_hash"),)),
    ("nw_ses_throttle", (Q("identifier", "ThrottlingException Maximum sending rate exceeded SendEmail"),
                        Q("mixed", "how do we keep SesClient under the sending limit"))),
    ("mf_pyarrow_missing", (Q("identifier", "Unable to find a usable engine; tried using: 'pyarrow', 'fastparquet'"),
                           Q("mixed", "stop the DAG from needing our python deps in the airflow worker"))),
    ("mf_polars_final", (Q("identifier", "pl.scan_parquet storage_options collect engine streaming"),)),
    ("dt_ruff_e501_generated", (Q("identifier", "E501 Line too long (212 > 100)"),)),
    ("cg_ws_decision", (Q("identifier", "chat.v2 protocol ack msgId"),)),
    ("sf_hydration_price", (Q("identifier", "Text content did not match. Server: \"1.299,00 €\" Client: \"€1,299.00\""),)),
    ("il_eks_upgrade", (Q("identifier", "/etc/eks/bootstrap.sh AL2023 nodeadm NodeConfig"),
                       Q("mixed", "order of steps for the node group upgrade, max_unavailable_percentage"))),
    ("as_flyway_checksum", (Q("identifier", "Migration checksum mismatch for migration version 12"),)),
    ("dw_scd2_decision", (Q("identifier", "dbt snapshot strategy check check_cols plan status country"),)),
    ("dw_generate_schema", (Q("identifier", "ANALYTICS_marts dbt_ana_marts schema names"),
                           Q("paraphrase", "tables land in the wrong schema in prod"))),
    ("cg_floating_promises", (Q("identifier", "unhandledRejection crash after redis failover publish"),)),
    # paraphrase
    ("lc_queuepool_timeout", (Q("paraphrase", "the nightly statement run starves the api of database connections"),)),
    ("lc_alembic_heads", (Q("paraphrase", "staging deploy broke because two branches both added a db migration"),)),
    ("lc_fx_cache", (Q("mixed", "load_fx_rates called on every balance request"),)),
    ("mf_oom_merge", (Q("paraphrase", "a load test account with thousands of devices blew up the join"),)),
    ("dt_release_tag", (Q("paraphrase", "release points at the wrong commit"),)),
    ("sf_stripe_webhook_sig", (Q("paraphrase", "payment provider callbacks fail verification after moving to the new router"),)),
    ("il_state_lock_prod", (Q("mixed", "should a new push cancel a running terraform apply"),)),
    ("il_karpenter_trial", (Q("paraphrase", "is the faster node autoscaler ready for prod after the staging trial"),)),
    ("ss_goroutine_leak", (Q("paraphrase", "search service gets slower over the day until it is restarted"),)),
    ("il_state_lock_staging", (Q("command", "preview a plan locally without taking the state lock"),)),
    ("ss_reindex_alias", (Q("command", "swap the products alias to the new index in one request"),)),
    ("lcd_lock_timeout", (Q("command", "psql query to see which sessions wait on locks", project=True),)),
    ("dt_release_tag", (Q("command", "move a release tag that was already pushed to another commit"),)),
    ("ma_eas_update", (Q("command", "roll back the last over the air update"),)),
    ("lcd_reverse_entry", (Q("mixed", "reverse_entry on an entry from a closed month", project=True),)),
    ("nwd_fcm_batch", (Q("mixed", "send_push_batch fails for big audience segments"),)),
    ("ssd_synonyms", (Q("mixed", "synonym_graph for furniture words in product search"),)),
    ("asd_pkce", (Q("mixed", "mobile login flow without a client_secret"),)),
    ("ltd_gzip_level", (Q("mixed", "flate2 is most of the shipper's cpu profile"),)),
    ("cgd_presence_ttl", (Q("mixed", "PresenceTracker shows ghosts after a pod dies"),)),
    # near_miss
    ("as_refresh_rotation", (Q("near_miss", "why does reusing a refresh token log out every device",
                               note="mobile-app's refresh race is the client side of the same error"),)),
    ("lc_statement_rounding", (Q("near_miss", "one cent off in monthly statements",
                                 note="n_decimal_from_float is the general Decimal-from-float gotcha"),)),
    ("nw_drop_celery", (Q("near_miss", "celery beat duplicates",
                          note="ml-features scoring still runs Celery (memory recycling)"),
                        Q("near_miss", "what stops two schedulers sending the same reminder",
                          note="ledger-core's period close uses a transaction-level advisory lock"))),
    ("sf_react_query", (Q("near_miss", "which data fetching library does the storefront use", project=True),)),
    ("ma_eas_update", (Q("near_miss", "over the air updates setup", project=True),)),
    ("mf_polars_final", (Q("near_miss", "how the feature build runs now without a cluster"),)),
    # mixed
    ("cg_jwt_audience", (Q("mixed", "how should mobile get tokens the gateway accepts, aud claim"),)),
    ("sf_next_public_env", (Q("mixed", "NEXT_PUBLIC_API_URL ignored in the staging deployment"),)),
    ("ma_metro_econnreset", (Q("mixed", "phone can't reach metro over usb, alternative"),)),
    ("lt_tokio_decision", (Q("mixed", "what did the tokio rewrite change for memory", project=True),)),
    ("as_refresh_rotation", (Q("mixed", "when does revokeFamily get called"),)),
    ("as_jvm_heap_container", (Q("mixed", "what should Xmx be in a 1Gi container"),)),
    ("dw_incremental_late", (Q("mixed", "is_incremental model misses rows that arrive late"),)),
    ("mf_psi_nan", (Q("mixed", "compute_psi returns NaN on mondays", project=True),)),

]

EXTRA_QUERIES: dict[str, tuple] = {}
for _key, _qs in _EXTRA:
    EXTRA_QUERIES[_key] = EXTRA_QUERIES.get(_key, ()) + _qs

# ---------------------------------------------------------------------------------------------
# more standalone sessions
# ---------------------------------------------------------------------------------------------

EPISODES.append(ep("x_decimal_json", "ledger-core",
    "Frontend team asks why `amount` comes back as a string (\"12.50\") in the JSON since the pydantic 2 upgrade. It was a number before.",
    "Pydantic 2 serializes `Decimal` to a JSON string by default, to avoid losing precision in clients that parse numbers as binary floats; pydantic 1 emitted a float. For money that default is right, so I'd keep strings and document it. The OpenAPI schema already says `type: string, format: decimal` thanks to our `Amount = Annotated[Decimal, PlainSerializer(str, return_type=str, when_used=\"json\")]` alias, so the generated TS client types it as string. If some consumer really needs numbers, give it a separate `amount_minor` integer field (cents) rather than a float.",
    tools=[Grep("Annotated\\[Decimal", "ledger/api/schemas.py:9:Amount = Annotated[Decimal, PlainSerializer(str, return_type=str, when_used=\"json\")]")],
    evidence=("amount_minor",), date="2026-04-09",
    queries=(Q("paraphrase", "why do money amounts come back as text in the api responses now"),
             Q("identifier", "Annotated Decimal PlainSerializer when_used json", project=True))))

EPISODES.append(ep("x_require_esm", "chat-gateway",
    "After bumping nanoid the gateway doesn't start:\n\n```\nError [ERR_REQUIRE_ESM]: require() of ES Module /app/node_modules/nanoid/index.js from /app/dist/ws/connection.js not supported.\nInstead change the require of index.js in /app/dist/ws/connection.js to a dynamic import() which is available in all CommonJS modules.\n```",
    "nanoid 4+ is ESM-only and our build emits CommonJS (`\"module\": \"commonjs\"` in tsconfig.json), so the compiled `require('nanoid')` fails. For an id generator the simplest fix is not to depend on it: Node 20 has `crypto.randomUUID()`, and for short ids `crypto.randomBytes(12).toString('base64url')`. Removing the dependency beats pinning nanoid@3 or moving the whole gateway to ESM today.",
    fix=[Edit("/home/dev/projects/chat-gateway/src/ws/connection.ts", "import { nanoid } from 'nanoid';", "import { randomBytes } from 'node:crypto';\nconst connectionId = () => randomBytes(12).toString('base64url');")],
    evidence=("randomBytes(12).toString('base64url')",), date="2026-08-21",
    queries=(Q("identifier", "ERR_REQUIRE_ESM require() of ES Module nanoid"),
             Q("paraphrase", "an id library broke the server start after upgrading because it became module-only"))))

EPISODES.append(ep("x_go_sum", "search-svc",
    "CI fails on `go build`:\n\n```\ninternal/opensearch/client.go:9:2: missing go.sum entry for module providing package github.com/opensearch-project/opensearch-go/v4/opensearchutil (imported by github.com/acme/search-svc/internal/opensearch); to add:\n\tgo get github.com/acme/search-svc/internal/opensearch\n```\nWorks on my machine.",
    "Locally your go command updated go.sum on the fly; CI runs with `GOFLAGS=-mod=readonly`, which refuses to. You imported the `opensearchutil` subpackage for the first time (the bulk indexer), and its checksums weren't committed. Run `go mod tidy` and commit go.sum. To catch it before CI, add a check step: `go mod tidy && git diff --exit-code go.mod go.sum`.",
    verify=[Bash("go mod tidy && git diff --exit-code go.mod go.sum", "", is_error=True)],
    evidence=("git diff --exit-code go.mod go.sum",), date="2026-08-12",
    queries=(Q("identifier", "missing go.sum entry for module providing package opensearchutil"),
             Q("command", "fail ci when go mod tidy would change go.mod or go.sum"))))

EPISODES.append(ep("x_cors_preflight", "auth-server",
    "The new admin SPA on admin.acme.dev can't call /oauth2/introspect: the browser shows `Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present`. Postman works.",
    "The preflight is an `OPTIONS` request without credentials; `SecurityConfig.filterChain` requires authentication for everything under /oauth2/** and answers the preflight with 401 before any CORS headers are added. Enable Spring Security's CORS support so preflights are handled first: `.cors(Customizer.withDefaults())` in the filter chain and a `CorsConfigurationSource` bean allowing `https://admin.acme.dev`, methods POST/OPTIONS, header Authorization, `allowCredentials(false)`. Don't `permitAll()` OPTIONS globally; the CORS filter does the right thing.",
    evidence=("cors(Customizer.withDefaults())",), date="2026-10-15",
    queries=(Q("paraphrase", "browser preflight requests rejected by the auth service while postman works"),
             Q("identifier", "CorsConfigurationSource Customizer.withDefaults preflight 401", project=True))))

EPISODES.append(ep("x_acm_pending", "infra-live",
    "`aws_acm_certificate_validation.api` has been creating for 45 minutes, certificate for api.acme.dev still 'Pending validation'.",
    "The validation CNAME was created by `aws_route53_record.cert_validation` in `data.aws_route53_zone.main`, and that data source matched the *private* hosted zone `acme.dev` (we have both, same name). ACM resolves the record over public DNS, so it never sees it. Select the public zone explicitly: `private_zone = false` on the data source, and the record lands in the right zone. Validation finished 3 minutes after the apply.",
    tools=[Bash("dig +short _3f1c2a9e8b7d.api.acme.dev CNAME @8.8.8.8", "")],
    evidence=("private_zone = false",), date="2026-05-07",
    queries=(Q("paraphrase", "tls certificate for the api never gets validated by amazon"),
             Q("mixed", "aws_acm_certificate_validation never completes"))))

EPISODES.append(ep("x_dbt_deps", "dbt-warehouse",
    "`dbt deps` fails after upgrading to dbt 1.8:\n\n```\nVersion error for package dbt-labs/dbt_utils: Could not find a satisfactory version from options: ['>=1.0.0', '<1.0.0']\n```",
    "packages.yml pins `dbt_utils` with `version: [\">=0.9.0\", \"<1.0.0\"]` and `dbt_expectations` requires dbt_utils >=1.0.0. The two ranges don't intersect. Bump ours to `[\">=1.1.0\", \"<2.0.0\"]`, then `dbt deps --upgrade` to refresh package-lock.yml (dbt 1.7+ writes a lock file; commit it).",
    verify=[Bash("dbt deps --upgrade", "Installing dbt-labs/dbt_utils\n  Installed from version 1.3.0\nInstalling calogica/dbt_expectations\n  Installed from version 0.10.4")],
    evidence=("dbt deps --upgrade",), date="2026-06-04", branch="chore/dbt-1.8",
    queries=(Q("identifier", "Version error for package dbt-labs/dbt_utils: Could not find a satisfactory version"),
             Q("command", "refresh the dbt package lock file after changing version ranges", project=True))))

EPISODES.append(ep("x_npm_ci_lock", "storefront-web",
    "CI broke on the dependabot PR:\n\n```\nnpm ERR! `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.\nnpm ERR! Missing: @types/react@18.3.12 from lock file\n```",
    "Dependabot updated package.json and the lock file, but CI uses npm 9 (Node 18 image) while dependabot's lock file was written by npm 10, which records peer dependencies differently; npm 9 considers the `@types/react` peer missing. Pin the toolchain: `\"packageManager\": \"npm@10.8.2\"` in package.json plus `corepack enable` in the CI image, and move CI to Node 20. Then regenerate the lock with that npm version.",
    evidence=("\"packageManager\": \"npm@10.8.2\"",), date="2026-09-24",
    queries=(Q("identifier", "npm ci can only install packages when your package.json and package-lock.json are in sync"),
             Q("paraphrase", "dependabot PRs break the install step in CI"))))

EPISODES.append(ep("x_cargo_deny", "logtail-rs",
    "`cargo deny check licenses` fails on ring:\n\n```\nerror[rejected]: failed to satisfy license requirements\n  ┌─ ring 0.17.8 (registry+https://github.com/rust-lang/crates.io-index):4:12\n  │\n4 │ license = \"\"\n  │            ^ license expression was not specified\n```",
    "ring 0.17 has no SPDX `license` field in its Cargo.toml (its LICENSE file mixes ISC, MIT and OpenSSL terms), so cargo-deny can't evaluate it. Add a clarification in deny.toml with the file's hash: `[[licenses.clarify]] name = \"ring\" expression = \"MIT AND ISC AND OpenSSL\" license-files = [{ path = \"LICENSE\", hash = 0xbd0eed23 }]`, and allow `OpenSSL` in `[licenses] allow`. The hash makes the check fail again if ring ever changes its license file.",
    evidence=("[[licenses.clarify]]",), date="2026-10-02",
    queries=(Q("command", "check the licenses of all rust dependencies"),
             Q("mixed", "cargo deny rejects ring's license"))))

EPISODES.append(ep("x_router_replace", "mobile-app",
    "After logging in, pressing Android's back button brings users back to the login screen, and then they're 'logged in' on the login screen.",
    "`LoginScreen` navigates with `router.push('/(tabs)')`, which puts the tabs on top of the login screen in the stack, so back pops to it. After authentication use `router.replace('/(tabs)')` so login is removed from the history. Better still, guard at the layout: in `app/_layout.tsx` redirect to `/login` when there's no session and to `/(tabs)` when there is (`<Redirect href=... />`), so deep links can't land on the wrong side either.",
    evidence=("router.replace('/(tabs)')",), date="2026-07-17",
    queries=(Q("paraphrase", "back button takes people to the login screen again after signing in"),
             Q("mixed", "expo router navigation after login, back button"))))

EPISODES.append(ep("x_arrow_merge", "ml-features",
    "Reading a month of features fails:\n\n```\npyarrow.lib.ArrowInvalid: Unable to merge: Field amount has incompatible types: double vs decimal128(18, 2)\n```",
    "Partitions written before 2026-06-10 store `amount` as double, newer ones as decimal128(18, 2), since the events source switched types. A dataset scan needs one schema. Two parts: enforce the schema on write, `write_partition` casts to `FeatureSchema.arrow_schema()` so types can't drift again (features/schemas.py is now the single source of truth), and rewrite the old partitions once with `python -m features.tools.recast --from 2026-01-01 --to 2026-06-09`.",
    evidence=("FeatureSchema.arrow_schema()",), date="2026-06-12",
    queries=(Q("identifier", "ArrowInvalid Unable to merge: Field amount has incompatible types"),
             Q("path", "schemas.py FeatureSchema types differ between days", project=True))))

for _key, _q in [
    ("nwd_rabbit_prefetch", Q("deep", "one worker holds thousands of unacked messages", project=True)),
    ("mfd_s3_throttle", Q("deep", "too many S3 requests from the feature writer", project=True)),
    ("cgd_drain", Q("deep", "how do clients know to wait before reconnecting during a deploy")),
    ("ild_nat_costs", Q("deep", "where was the NAT gateway traffic going", project=True)),
    ("ltd_config_reload", Q("deep", "change logtail.toml without restarting the agent", project=True)),
    ("asd_jwks_rotation", Q("deep", "old signing key, when can it be removed from the key set", project=True)),
    ("dwd_warehouse_size", Q("deep", "why did the transforming warehouse run most of the day", project=True)),
    ("mad_hermes_intl", Q("deep", "Invalid Date only on android", project=True)),
]:
    EXTRA_QUERIES[_key] = EXTRA_QUERIES.get(_key, ()) + (_q,)
