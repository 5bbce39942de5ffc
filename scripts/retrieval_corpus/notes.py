"""Short items with answers: inbox notes (TIL, Slack threads, ADR digests, chat exports) and Session
Buddy rows (V1/E3 conversations and reflections). Plus EXTRA_QUERIES: more queries on episodes
defined in the other modules (mostly `path`, `identifier`, `command` and `mixed` ones)."""

from __future__ import annotations

from retrieval_corpus.steps import A, Also, Bash, Ep, Q, U, ep

EPISODES: list[Ep] = []


def note(key: str, project: str, where: str, text: str, evidence: tuple, queries: tuple, date: str | None = None) -> None:
    EPISODES.append(Ep(key=key, project=project, steps=[U(text)], evidence=evidence, queries=queries, where=where, date=date))


note("n_celery_maxtasks", "ml-features", "inbox:slack-threads.jsonl",
     "#ml-platform thread, ml-features scoring service: the celery workers that run `score_accounts` grow to 3-4 GB after a few hours because every task unpickles the sklearn model again and the prefork children never give the memory back to the OS. Fix we went with: `worker_max_tasks_per_child=200` plus `--max-memory-per-child=1500000` (KiB) on the celery command, and load the model once per child in `worker_process_init`. Memory now saws between 600 MB and 1.4 GB.",
     ("worker_max_tasks_per_child=200",),
     (Q("near_miss", "celery scoring workers growing to several GB, recycle children after N tasks", project=True,
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
     (Q("paraphrase", "why do developers run the warehouse models on a local engine instead of snowflake"),))

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
     (Q("paraphrase", "stop the text from jumping when the custom font finishes loading"),))

note("n_testcontainers_reuse", "auth-server", "reflection",
     "auth-server: integration tests start Postgres and Redis with Testcontainers; locally set testcontainers.reuse.enable=true in ~/.testcontainers.properties and .withReuse(true) on the containers: startup 40 s -> 4 s. Never in CI (containers must be fresh there).",
     ("testcontainers.reuse.enable=true",),
     (Q("identifier", "testcontainers.reuse.enable withReuse"),
      Q("paraphrase", "integration tests of the auth service take forever to start locally")))

note("n_feature_flags", "mobile-app", "inbox:chat-exports.jsonl",
     "### User\nhow should useFeatureFlag get its values in the app?\n\n### Assistant\nFetch all flags for the user from `GET /flags` once at startup and on app resume, keep them in the zustand store with `persist` (AsyncStorage), and treat them as stale-while-revalidate: render with the persisted values immediately, refresh in the background, and only re-render components whose flag changed. A 10-minute minimum interval between fetches keeps resume storms cheap. Default every flag to off in code, so a failed fetch on a fresh install is safe.",
     ("A 10-minute minimum interval between fetches",),
     (Q("mixed", "how does useFeatureFlag refresh flag values on resume", project=True),), date="2026-09-10")

note("n_cross_aarch64", "logtail-rs", "e3_conversation",
     "User: need logtail for the arm64 graviton hosts, static binary\n\nAssistant: Use `cross build --release --target aarch64-unknown-linux-musl`. cross runs the build in a container with the right linker. The one snag is OpenSSL: musl targets can't link the system one easily, so switch reqwest to rustls: `reqwest = { version = \"0.12\", default-features = false, features = [\"rustls-tls\", \"json\"] }`. The binary is 7.8 MB and runs on Amazon Linux 2023 and Alpine alike.",
     ("aarch64-unknown-linux-musl",),
     (Q("command", "cross compile the rust shipper as a static arm64 binary"),
      Q("mixed", "reqwest rustls instead of openssl for musl builds", project=True)), date="2026-05-30")

note("n_dkim_spam", "notify-worker", "v1_conversation",
     "User: since we moved sending to notify.acme-mail.com, Gmail puts the reminders in spam\n\nAssistant: The new subdomain has no DKIM and no DMARC yet, and SPF alone doesn't align with the From domain when SES sends from its own MAIL FROM. Enable Easy DKIM for the domain in SES (it gives three CNAME records to publish), set a custom MAIL FROM domain `bounce.notify.acme-mail.com` with its MX and SPF TXT, and publish DMARC `v=DMARC1; p=none; rua=mailto:dmarc@acme-mail.com` first, tightening to quarantine after two weeks of clean reports.",
     ("bounce.notify.acme-mail.com",),
     (Q("paraphrase", "why the reminder emails started landing in spam after changing the sending domain"),), date="2026-08-30")

note("n_go_race", "search-svc", "inbox:slack-threads.jsonl",
     "search-svc: `go test -race ./internal/search/...` reports `WARNING: DATA RACE` in the synonym cache: two request goroutines write the plain map in synonymsFor at the same time. Replaced it with a map guarded by sync.RWMutex (reads dominate). Added -race to the CI test step; it costs ~2x test time, fine for us.",
     ("go test -race ./internal/search/...",),
     (Q("command", "run the search package tests with the race detector"),
      Q("identifier", "WARNING: DATA RACE synonym cache map", project=True)), date="2026-09-16")

note("n_setting_with_copy", "ml-features", "inbox:til.jsonl",
     "TIL ml-features: the SettingWithCopyWarning in dedupe_events was real, not noise. `events[events.kind == 'click']['weight'] = 0.5` writes into a temporary copy and the original frame is unchanged, so clicks were never down-weighted. Use `events.loc[events.kind == 'click', 'weight'] = 0.5`.",
     ("events.loc[events.kind == 'click', 'weight'] = 0.5",),
     (Q("identifier", "SettingWithCopyWarning dedupe_events"),
      Q("paraphrase", "the click down-weighting silently did nothing in the feature code")), date="2026-06-05")

note("n_external_secrets", "infra-live", "inbox:adr-digest.jsonl",
     "ADR 0011 (infra-live): application secrets come from AWS Secrets Manager through External Secrets Operator (ExternalSecret per app, refreshInterval 1h, ClusterSecretStore with IRSA). Rejected: sealed-secrets (re-encrypting on every cluster rebuild, secrets in git even if encrypted) and SOPS in Helm values (decryption keys on CI runners). Status: accepted.",
     ("ClusterSecretStore with IRSA",),
     (Q("paraphrase", "how do application secrets get into kubernetes and why not sealed secrets"),))

note("n_vitest_fake_timers", "chat-gateway", "reflection",
     "chat-gateway tests (test/heartbeat.test.ts): with vi.useFakeTimers() the heartbeat tests hang because ws schedules with process.nextTick, which is faked by default too. Use vi.useFakeTimers({ toFake: ['setInterval', 'setTimeout'] }) and advance with vi.advanceTimersByTimeAsync(30_000).",
     ("toFake: ['setInterval', 'setTimeout']",),
     (Q("identifier", "vi.useFakeTimers toFake setInterval heartbeat test hangs"),
      Q("path", "test/heartbeat.test.ts fake timers hang", project=True)))

note("n_decimal_from_float", "ledger-core", "e3_reflection",
     "ledger-core gotcha: never build a Decimal from a float. Decimal(0.1) is Decimal('0.1000000000000000055511151231257827021181583404541015625'); use Decimal('0.1') or Decimal(str(x)) at the boundary where floats come in (the FX feed).",
     ("0.1000000000000000055511151231257827021181583404541015625",),
     (Q("near_miss", "Decimal built from a float gives a long tail of digits",
        note="lc_statement_rounding is the statement bug; this is the general gotcha"),))

note("n_dbt_freshness", "dbt-warehouse", "inbox:standup.jsonl",
     "standup dbt-warehouse: added source freshness on raw.orders (loaded_at_field: _loaded_at, warn_after 6 hours, error_after 24 hours) so the importer stalling over a weekend shows up Monday 06:00 instead of in the finance meeting.",
     ("warn_after 6 hours, error_after 24 hours",),
     (Q("mixed", "source freshness thresholds on raw orders loaded_at_field", project=True),), date="2026-10-19")

note("n_pod_hermes", "mobile-app", "inbox:slack-threads.jsonl",
     "mobile-app iOS: `pod install` fails with `[!] CocoaPods could not find compatible versions for pod \"hermes-engine\"` after the RN bump. The local specs repo was stale: `npx pod-install --repo-update` (or `pod repo update` then `pod install` in ios/) fixed it.",
     ("could not find compatible versions for pod \"hermes-engine\"",),
     (Q("identifier", "CocoaPods could not find compatible versions for pod hermes-engine"),
      Q("command", "pod install with an updated specs repo for the ios build", project=True)), date="2026-07-03")

note("n_ledger_vacuum", "ledger-core", "v1_conversation",
     "User: journal_lines is 140 GB and autovacuum never finishes on it\n\nAssistant: With 900M rows the default `autovacuum_vacuum_scale_factor = 0.2` means vacuum starts only after 180M dead rows, then runs for hours at the default cost limit. Set per-table storage parameters: `ALTER TABLE journal_lines SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_cost_limit = 2000)`, so it vacuums every ~9M dead rows and faster. Since journal lines are insert-only, the real work is freezing; `autovacuum_vacuum_insert_scale_factor` (PG13+) covers that.",
     ("autovacuum_vacuum_scale_factor = 0.01",),
     (Q("mixed", "autovacuum never finishing on the big journal table, per table scale factor", project=True),
      Q("paraphrase", "vacuum can't keep up with our largest ledger table")), date="2026-09-24")

note("n_search_explain", "search-svc", "e3_conversation",
     "User: why does the query 'red shoes' rank the red socks first?\n\nAssistant: Ran it with `\"explain\": true`: the socks win on `description` because their description repeats 'red' 6 times and BM25's term-frequency saturation (k1 = 1.2) still rewards that, while `title` has no boost over `description`. Boost title (`title^3`) in the multi_match and use `type: cross_fields` with `operator: and` so both words must match somewhere.",
     ("type: cross_fields",),
     (Q("mixed", "red socks ranked above red shoes, title boost in multi_match", project=True),), date="2026-10-22")

# ---------------------------------------------------------------------------------------------
# more queries on episodes of the other modules
# ---------------------------------------------------------------------------------------------

_EXTRA: list[tuple[str, tuple]] = [
    # path
    ("lc_statement_rounding", (Q("path", "rollup.py Decimal quantize half even fix", project=True),)),
    ("lc_pgbouncer_prepared", (Q("path", "ledger/db/session.py connect_args statement cache off"),
                              Q("command", "k6 load test of the entries endpoint with 80 virtual users", extra=("lc_pgbouncer_final",)))),
    ("lc_pgbouncer_final", (Q("path", "deploy/pgbouncer.ini pool_mode change"),)),
    ("lc_period_close_tz", (Q("path", "ledger/domain/posting.py month window boundaries"),)),
    ("lc_ruff_mypy_plugin", (Q("path", "ledger/db/models.py Mapped mapped_column conversion"),)),
    ("nw_visibility_attempt", (Q("path", "notify/celeryconfig.py broker_transport_options"),)),
    ("nw_module_not_found", (Q("path", "deploy/worker.Dockerfile WORKDIR import error"),)),
    ("nw_render_autoescape", (Q("path", "notify/templates/render.py select_autoescape", project=True),)),
    ("mf_spark_attempt", (Q("path", "features/spark/build_daily_spark.py"),)),
    ("dt_tomllib", (Q("path", "src/dt/config.py python 3.10 fallback"),
                   Q("paraphrase", "cli crashes on a colleague's older ubuntu python at import"))),
    ("dt_env_doctor", (Q("path", "src/dt/commands/env.py env_doctor checks"),
                      Q("command", "check that the aws sso session is still valid for the dt profile"))),
    ("cg_alb_econnreset", (Q("path", "src/server.ts keep alive timeout change"),
                          Q("command", "read the ALB idle timeout attribute with the aws cli"))),
    ("cg_maxlisteners", (Q("path", "src/pubsub/redis.ts message listener per socket"),
                        Q("paraphrase", "gateway pods slowly eat memory until they get killed"))),
    ("cg_subscriber_mode", (Q("path", "src/rooms/presence.ts pub client for hset"),)),
    ("sf_lcp_hero", (Q("path", "next.config.mjs avif webp image formats"),)),
    ("sf_react_query", (Q("path", "lib/api/queryClient.ts staleTime gcTime defaults"),)),
    ("sf_playwright_flaky", (Q("path", "tests/e2e/checkout.spec.ts pay button timeout"),)),
    ("ma_gradle_oom", (Q("path", "android/gradle.properties jvmargs heap"),
                      Q("command", "regenerate the native android project with expo from scratch"))),
    ("ma_eas_update", (Q("path", "app.config.ts runtimeVersion fingerprint policy"),)),
    ("il_rds_max_connections", (Q("path", "modules/rds/variables.tf max_connections prod"),)),
    ("lt_rotation_inode", (Q("path", "src/tail.rs Tailer::poll rotated file"),)),
    ("lt_borrow_retain", (Q("path", "src/batch.rs:74 pending remove while iterating"),
                         Q("paraphrase", "deleting entries from a hashmap while looping over it in rust"))),
    ("ss_bulk_429", (Q("path", "Indexer.BulkIndex workers and flush size"),)),
    ("ss_context_deadline", (Q("path", "SearchHandler synonymsFor withTimeout 2s budget"),)),
    ("as_hikari_leak", (Q("path", "JwksController.keys streamAll transaction"),)),
    ("as_clock_skew", (Q("path", "ClockSkewValidator Duration.ZERO"),)),
    ("ss_goroutine_leak", (Q("path", "probeCluster in NewClient leaves the body open"),)),
    ("as_refresh_rotation", (Q("path", "TokenService.rotateRefreshToken family revoke"),)),
    ("cg_floating_promises", (Q("path", "publishMessage fire and forget logPublishError"),)),
    ("mf_oom_merge", (Q("path", "load_accounts_snapshot filter out test accounts"),)),
    ("nw_drop_celery", (Q("path", "docs/adr dramatiq decision record"),)),
    ("il_eks_upgrade", (Q("path", "module.eks cluster_version bump order add-ons"),)),
    ("dw_revenue_tz", (Q("path", "fct_revenue_daily date_trunc ordered_at utc days"),)),
    ("dw_sqlfluff_jinja", (Q("path", ".sqlfluff templater dbt project_dir"),
                          Q("command", "install the dbt templater plugin for sqlfluff"))),
    ("il_helm_annotations", (Q("paraphrase", "websockets cut after one minute since the ingress controller chart upgrade"),)),
    # identifier
    ("lc_idempotency", (Q("identifier", "INSERT ON CONFLICT (key) DO NOTHING idempotency_keys request_hash"),)),
    ("nw_ses_throttle", (Q("identifier", "ThrottlingException Maximum sending rate exceeded SendEmail"),
                        Q("mixed", "token bucket in front of SesClient.send across threads"))),
    ("mf_pyarrow_missing", (Q("identifier", "Unable to find a usable engine; tried using: 'pyarrow', 'fastparquet'"),
                           Q("mixed", "run the build in our own image with KubernetesPodOperator instead of the airflow worker"))),
    ("mf_polars_final", (Q("identifier", "pl.scan_parquet storage_options collect engine streaming"),)),
    ("dt_ruff_e501_generated", (Q("identifier", "E501 Line too long (212 > 100)"),)),
    ("cg_ws_decision", (Q("identifier", "chat.v2 protocol ack msgId"),)),
    ("sf_hydration_price", (Q("identifier", "Text content did not match. Server: \"1.299,00 €\" Client: \"€1,299.00\""),)),
    ("il_eks_upgrade", (Q("identifier", "/etc/eks/bootstrap.sh AL2023 nodeadm NodeConfig"),
                       Q("mixed", "upgrade node groups one at a time max_unavailable_percentage"))),
    ("as_flyway_checksum", (Q("identifier", "Migration checksum mismatch for migration version 12"),)),
    ("dw_scd2_decision", (Q("identifier", "dbt snapshot strategy check check_cols plan status country"),)),
    ("dw_generate_schema", (Q("identifier", "ANALYTICS_marts dbt_ana_marts schema names"),
                           Q("paraphrase", "models end up in a schema with a prefix in production"))),
    ("cg_floating_promises", (Q("identifier", "unhandledRejection crash after redis failover publish"),)),
    # paraphrase
    ("lc_queuepool_timeout", (Q("paraphrase", "the nightly statement run starves the api of database connections"),)),
    ("lc_alembic_heads", (Q("paraphrase", "staging deploy broke because two branches both added a db migration"),)),
    ("lc_fx_cache", (Q("mixed", "cache ECB exchange rates load_fx_rates TTL"),)),
    ("mf_oom_merge", (Q("paraphrase", "a load test account with thousands of devices blew up the join"),)),
    ("dt_release_tag", (Q("paraphrase", "release tag ended up on the commit before the version bump"),)),
    ("sf_stripe_webhook_sig", (Q("paraphrase", "payment provider callbacks fail verification after moving to the new router"),)),
    ("il_state_lock_prod", (Q("mixed", "cancel-in-progress false for the terraform apply job"),)),
    ("il_karpenter_trial", (Q("paraphrase", "is the faster node autoscaler ready for prod after the staging trial"),)),
    ("ss_goroutine_leak", (Q("paraphrase", "search service gets slower over the day until it is restarted"),)),
    ("il_state_lock_staging", (Q("command", "preview a plan locally without taking the state lock"),)),
    ("ss_reindex_alias", (Q("command", "swap the products alias to the new index in one request"),)),
    ("lcd_lock_timeout", (Q("command", "psql query to see which sessions wait on locks", project=True),)),
    ("dt_release_tag", (Q("command", "move a release tag that was already pushed to another commit"),)),
    ("ma_eas_update", (Q("command", "roll back the last over the air update"),)),
    ("lcd_reverse_entry", (Q("mixed", "reverse_entry for an entry in a closed period", project=True),)),
    ("nwd_fcm_batch", (Q("mixed", "send_push_batch with more than 500 device tokens"),)),
    ("ssd_synonyms", (Q("mixed", "synonym_graph at query time so sofa finds couch"),)),
    ("asd_pkce", (Q("mixed", "public client with requireProofKey for the mobile login"),)),
    ("ltd_gzip_level", (Q("mixed", "flate2 compression level burning cpu in the shipper"),)),
    ("cgd_presence_ttl", (Q("mixed", "presence keys with EXPIRE per pod so crashed pods drop out"),)),
    # near_miss
    ("as_refresh_rotation", (Q("near_miss", "server side reuse detection that revokes the whole token family",
                               note="mobile-app's refresh race is the client side of the same error"),)),
    ("lc_statement_rounding", (Q("near_miss", "cent difference in statements caused by adding amounts as floats",
                                 note="n_decimal_from_float is the general Decimal-from-float gotcha"),)),
    ("nw_drop_celery", (Q("near_miss", "celery beat running twice after a kubernetes rollout",
                          note="ml-features scoring still runs Celery (memory recycling)"),
                        Q("near_miss", "advisory lock so only one scheduler replica enqueues due reminders",
                          note="ledger-core's period close uses a transaction-level advisory lock"))),
    ("sf_react_query", (Q("near_miss", "the fetching library we settled on for the storefront after the cart flicker", project=True),)),
    ("ma_eas_update", (Q("near_miss", "what we use now for over the air updates in the app", project=True),)),
    ("mf_polars_final", (Q("near_miss", "the single machine approach that replaced the EMR cluster"),)),
    # mixed
    ("cg_jwt_audience", (Q("mixed", "add the chat-gateway audience to mobile tokens with the resource parameter"),)),
    ("sf_next_public_env", (Q("mixed", "read NEXT_PUBLIC_API_URL at runtime instead of baking it at build"),)),
    ("ma_metro_econnreset", (Q("mixed", "expo start --lan instead of the usb connection"),)),
    ("lt_tokio_decision", (Q("mixed", "thread per file to tokio tasks, how much memory it saved", project=True),)),
    ("as_refresh_rotation", (Q("mixed", "revokeFamily when a used refresh token comes back"),)),
    ("as_jvm_heap_container", (Q("mixed", "Xmx equal to the container limit, use MaxRAMPercentage instead"),)),
    ("dw_incremental_late", (Q("mixed", "is_incremental filter on load time instead of the order timestamp"),)),
    ("mf_psi_nan", (Q("mixed", "compute_psi NaN when a bin is empty", project=True),)),

]

EXTRA_QUERIES: dict[str, tuple] = {}
for _key, _qs in _EXTRA:
    EXTRA_QUERIES[_key] = EXTRA_QUERIES.get(_key, ()) + _qs
