"""Hand-written episodes of infra-live, logtail-rs, search-svc, auth-server and dbt-warehouse."""

from __future__ import annotations

from retrieval_corpus.steps import A, Also, Bash, Edit, Ep, Grep, Q, Read, U, Write, ep, numbered

EPISODES: list[Ep] = []
add = EPISODES.append

# =============================================================================================
# infra-live
# =============================================================================================

add(ep("il_state_lock_prod", "infra-live",
       "terraform apply on prod from the Actions workflow fails:\n\n```\nError: Error acquiring the state lock\n\nError message: ConditionalCheckFailedException: The conditional request failed\nLock Info:\n  ID:        9f4c2d1e-7a55-4f0e-b2c8-3c1d0e6a9b17\n  Path:      acme-tfstate/envs/prod/terraform.tfstate\n  Operation: OperationTypeApply\n  Who:       runner@fv-az1214-771\n  Version:   1.9.8\n  Created:   2026-08-19 07:41:12.51 UTC\n```",
       "The lock is held by `runner@fv-az1214-771`, an earlier workflow run. Its `terraform apply` was cancelled (the job got cancelled when the second push arrived, `concurrency: cancel-in-progress: true`), the runner was killed, and the DynamoDB lock item was never deleted.\n\nCheck nobody is really applying (no other workflow run in progress), then release it with the ID from the message:\n\n```\nterraform force-unlock 9f4c2d1e-7a55-4f0e-b2c8-3c1d0e6a9b17\n```\n\nAnd fix the cause: for the apply job use `cancel-in-progress: false`, so a new push waits instead of killing an apply halfway (a half-applied prod is worse than a lock).",
       evidence=("terraform force-unlock 9f4c2d1e-7a55-4f0e-b2c8-3c1d0e6a9b17",), date="2026-08-19",
       queries=(Q("near_miss", "terraform state lock in prod from CI", project=True,
                  note="il_state_lock_staging: a lock in staging with another cause"),
                Q("command", "terraform command to release a stuck lock by its id"))))

add(ep("il_state_lock_staging", "infra-live",
       "staging plan says the state is locked by `lars@lars-mbp`. Lars is on holiday since Friday.",
       "That lock comes from a local run: Lars ran `terraform plan` against staging from his laptop on Friday and his session ended (lid closed, VPN dropped) before terraform could release it. Locks from `plan` are held for the whole run too.\n\nSince it's a plan lock and nothing is applying, force-unlock is safe. Then, to stop this recurring: remove the developers' IAM permission on the lock table for staging (`dynamodb:PutItem` on `acme-tf-locks`), so plans against shared envs only run in CI, and give people `terraform plan -lock=false` with read-only credentials for local previews.",
       evidence=("terraform plan -lock=false",), date="2026-09-02",
       queries=(Q("near_miss", "staging terraform state locked by a developer on holiday", project=True,
                  note="il_state_lock_prod: CI-cancelled apply in prod"),)))

add(ep("il_rds_max_connections", "infra-live",
       "ledger-core reports 'too many clients already' again. What's max_connections on the prod RDS?",
       "For RDS Postgres `max_connections` defaults to `LEAST({DBInstanceClassMemory/9531392}, 5000)`; on the db.t4g.large (8 GiB) that comes to ~ 860 in theory, but our parameter group `aws_db_parameter_group.main` overrides it to 100 (someone set it when the instance was a t3.small). Raising it is fine on this class: I set `max_connections = 400` in modules/rds/variables.tf for prod. It's a static parameter, so it needs a reboot; I scheduled it for the Sunday maintenance window with `apply_method = \"pending-reboot\"`.",
       tools=[Bash("aws rds describe-db-parameters --db-parameter-group-name prod-pg16 --query \"Parameters[?ParameterName=='max_connections']\"", "[\n    {\n        \"ParameterName\": \"max_connections\",\n        \"ParameterValue\": \"100\",\n        \"ApplyType\": \"static\"\n    }\n]")],
       evidence=("apply_method = \"pending-reboot\"", "aws rds describe-db-parameters"), date="2026-07-06", branch="fix/rds-params",
       queries=(Q("mixed", "max_connections too low on prod postgres", project=True),
                Q("command", "aws cli to read one parameter from an rds parameter group"))))

add(ep("il_eks_upgrade", "infra-live",
       "Plan the EKS upgrade from 1.29 to 1.30. Anything that'll bite us?",
       "Checked what 1.30 changes for us:\n\n- `pluto detect-helm -owide` finds no removed APIs in our releases; the last flowcontrol v1beta2 usage is in the old metrics-server chart, bump it to 3.12.x first;\n- EKS 1.30 defaults new managed node groups to Amazon Linux 2023; our launch template's user data uses AL2's `/etc/eks/bootstrap.sh`, which doesn't exist on AL2023 (it uses nodeadm with a `NodeConfig`). Pin `ami_type = \"AL2_x86_64\"` for now and migrate node groups separately;\n- upgrade order: control plane (`module.eks` cluster_version = \"1.30\"), then add-ons (vpc-cni, coredns, kube-proxy to the 1.30 versions), then node groups one at a time with `max_unavailable_percentage = 33`.",
       evidence=("pluto detect-helm -owide",), date="2026-10-20", branch="feat/eks-1.30",
       queries=(Q("command", "tool to find deprecated kubernetes apis in our helm releases before upgrading"),
                Q("paraphrase", "eks 1.30 node group user data", project=True))))

add(ep("il_karpenter_trial", "infra-live",
       "Karpenter trial on staging: nodes come up in 40s instead of 3 minutes, but it consolidated the node running search-svc's OpenSearch client pods at 3am twice, and the PodDisruptionBudget wasn't there. Keep it or not?",
       "Keep the trial going, but don't take it to prod yet. The consolidations were correct behaviour without a PDB. Before prod: PDBs for every stateful or latency-sensitive workload (`minAvailable: 1` on search-svc), `karpenter.sh/do-not-disrupt: \"true\"` on the indexer job pods, and a disruption budget on the NodePool (`budgets: [{nodes: \"10%\"}, {schedule: \"0 8 * * mon-fri\", duration: \"10h\", nodes: \"0\"}]`) so nothing is consolidated during office hours. Cluster-autoscaler stays in prod until the PDBs are merged.",
       evidence=("karpenter.sh/do-not-disrupt",), date="2026-09-23",
       queries=(Q("mixed", "karpenter evicting pods in the middle of the workday"),)))

add(ep("il_helm_annotations", "infra-live",
       "After the ingress-nginx chart bump, chat-gateway websockets drop after 60 s exactly.",
       "The new chart's default `proxy-read-timeout` is 60 s and our per-ingress annotation stopped applying: helm/values/chat-gateway.yaml sets `nginx.ingress.kubernetes.io/proxy-read-timeout: 3600` as a number, and chart 4.11 validates annotation values as strings, dropping it with a warning in the controller log (`annotation value must be a string`). Quote it: `\"3600\"`, same for `proxy-send-timeout`.",
       evidence=("annotation value must be a string",), date="2026-10-27",
       queries=(Q("path", "helm values chat-gateway.yaml timeouts"),)))

# =============================================================================================
# logtail-rs
# =============================================================================================

add(ep("lt_rotation_inode", "logtail-rs",
       "After logrotate runs at midnight, logtail keeps reading the old file (now app.log.1) and ships nothing new until restart.",
       "`Tailer::poll` reopens the path only when a read returns an error, but a rotated file is renamed, not deleted: the open fd still points at app.log.1 and reads return EOF forever. We need to detect rotation: on each poll compare the inode and device of the path (`std::fs::metadata(path)?.ino()`) with those of the open file (`file.metadata()?.ino()`); if they differ, drain the old file to EOF, then reopen the path from offset 0. Also handle copytruncate: if the path's size is smaller than our offset, seek to 0.",
       fix=[Edit("/home/dev/projects/logtail-rs/src/tail.rs", "        if let Err(e) = self.read_new() {", "        if self.rotated()? {\n            self.drain_and_reopen()?;\n        }\n        if let Err(e) = self.read_new() {")],
       verify=[Bash("cargo test --test tail_rotation", "running 4 tests\ntest rename_rotation_is_followed ... ok\ntest copytruncate_restarts_at_zero ... ok\ntest drain_old_file_before_switch ... ok\ntest missing_file_waits ... ok\n\ntest result: ok. 4 passed; 0 failed; 0 ignored; finished in 1.31s")],
       evidence=("copytruncate", "cargo test --test tail_rotation"), date="2026-04-16", branch="fix/rotation-inode",
       queries=(Q("paraphrase", "shipper stops sending after the nightly log rotation"),
                Q("command", "run only the rotation integration test in the rust project"))))

add(ep("lt_borrow_retain", "logtail-rs",
       "Can't compile:\n\n```\nerror[E0502]: cannot borrow `self.pending` as mutable because it is also borrowed as immutable\n  --> src/batch.rs:74:17\n   |\n70 |         for (key, batch) in self.pending.iter() {\n   |                             ------------------- immutable borrow occurs here\n74 |                 self.pending.remove(key);\n   |                 ^^^^^^^^^^^^^^^^^^^^^^^^ mutable borrow occurs here\n```",
       "You're removing entries from the HashMap while iterating over it. Rust forbids it because removal can invalidate the iterator. Use `retain`, which iterates and removes in one pass: `self.pending.retain(|_, batch| !batch.is_expired(now))`. If you need the removed batches (to ship them), use `extract_if` on nightly or collect the expired keys first and remove afterwards.",
       evidence=("self.pending.retain(|_, batch| !batch.is_expired(now))",), date="2026-05-05",
       queries=(Q("identifier", "E0502 cannot borrow self.pending as mutable"),)))

add(ep("lt_unbounded_channel", "logtail-rs",
       "When the ingest endpoint is down for a few minutes, logtail's RSS grows to 3 GB and the box starts swapping.",
       "The tail tasks send lines through `tokio::sync::mpsc::unbounded_channel()` to the shipper; when shipping fails nothing pushes back, so every line read is buffered in memory. Use a bounded channel (`mpsc::channel(10_000)`): when it's full, `send().await` waits, the tailer stops reading, and the unread data simply stays in the file, which is the best buffer we have. Add a metric for channel occupancy so we can see backpressure.",
       evidence=("mpsc::channel(10_000)",), date="2026-06-23",
       queries=(Q("near_miss", "logtail memory during an ingest outage", project=True,
                  note="other leaks: chat-gateway listeners, search-svc goroutines"),
                Q("mixed", "unbounded_channel memory while shipping fails"))))

add(ep("lt_tokio_decision", "logtail-rs",
       "The thread-per-file design with crossbeam channels uses 1 thread per tailed file; on the big hosts that's 400 threads. Worth moving to async?",
       "Yes. The work is almost entirely waiting on I/O (file polls, HTTP), which is what async is for. Plan: tokio multi-thread runtime with 2 worker threads, one task per file (`tokio::spawn(tail_file(path, tx))`), reqwest for shipping (already async). File reads stay blocking syscalls, but they're small and non-blocking in practice on local disks; if that changes, `tokio::fs` or `spawn_blocking`. We drop crossbeam for `tokio::sync::mpsc`.",
       follow=[("done. 400 files: 402 threads -> 9 threads, RSS 610 MB -> 74 MB. CPU the same.", "Great numbers. Most of the RSS was the 2 MiB default stack per thread (400 x 2 MiB reserved, much of it touched). I'll write it up in docs/design.md.")],
       evidence=("402 threads -> 9 threads",), date="2026-03-26",
       also=(Also("e3_reflection", "logtail-rs: moving from thread-per-file + crossbeam to tokio tasks took 400 tailed files from 402 threads to 9 and RSS from 610 MB to 74 MB at equal CPU.", insight_type="pattern"),),
       queries=(Q("paraphrase", "why is the log shipper async now, what did it save"),)))

add(ep("lt_serde_untagged", "logtail-rs",
       "parse_line got 6x slower after I added the logfmt fallback via `#[serde(untagged)]` enum. Profile shows most time in serde's Content buffering.",
       "`#[serde(untagged)]` deserializes the input into an intermediate `Content` tree first and then tries each variant against it, so every line is parsed twice or more and allocates. Don't route format detection through serde: peek at the first non-space byte (`{` means JSON) and call the JSON parser or the logfmt parser directly. The JSON path goes back to `serde_json::from_slice::<RawRecord>` with borrowed `&str` fields.",
       verify=[Bash("cargo bench --bench parse -- parse_line", "parse_line/json          time:   [412.08 ns 415.33 ns 418.91 ns]\n                        change: [-84.210% -83.977% -83.731%] (p = 0.00 < 0.05)\n                        Performance has improved.")],
       evidence=("Content` tree", "cargo bench --bench parse"), date="2026-07-14", branch="feat/logfmt",
       queries=(Q("mixed", "parse_line got much slower after adding logfmt support"),
                Q("command", "criterion benchmark for the line parser only", project=True))))

# =============================================================================================
# search-svc
# =============================================================================================

add(ep("ss_goroutine_leak", "search-svc",
       "search-svc goroutine count climbs from 200 to 80k over a day (Prometheus `go_goroutines`), then latency explodes.",
       "A goroutine dump shows 79k goroutines parked in `net/http.(*persistConn).readLoop`: connections kept alive for responses nobody finished reading. In `NewClient`'s health probe (`probeCluster`) we do `resp, err := c.http.Do(req)` and return on `resp.StatusCode != 200` without `resp.Body.Close()`. Each unclosed body pins a connection and its two goroutines.\n\nFix: `defer resp.Body.Close()` right after the error check, and drain with `io.Copy(io.Discard, resp.Body)` before closing so the connection can be reused. Also enable the `bodyclose` linter in golangci-lint so it can't come back.",
       tools=[Bash("curl -s localhost:6060/debug/pprof/goroutine?debug=1 | head -5", "goroutine profile: total 79412\n39688 @ 0x43e2ae 0x44f0e5 0x6a4d7c 0x6a6a65 0x473a61\n#\t0x6a4d7b\tnet/http.(*persistConn).readLoop+0x93b\t/usr/local/go/src/net/http/transport.go:2205")],
       evidence=("`bodyclose` linter", "debug/pprof/goroutine"), date="2026-05-28", branch="fix/goroutine-leak",
       queries=(Q("near_miss", "go_goroutines climbing all day", project=True,
                  note="other leaks in chat-gateway and logtail-rs"),
                Q("command", "dump goroutines from the pprof endpoint with curl"))))

add(ep("ss_bulk_429", "search-svc",
       "The nightly reindex fails halfway with\n\n```\nopensearch: bulk failed: 429 Too Many Requests: {\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected execution of coordinating operation [coordinating_and_primary_bytes=512MB, replica_bytes=0, all_bytes=512MB, coordinating_operation_bytes=48MB, max_coordinating_and_primary_bytes=512MB]\"}\n```",
       "That's OpenSearch's indexing pressure limit (10% of heap per node, 512 MB here) for in-flight bulk requests. `Indexer.BulkIndex` runs 16 workers with `bulk.flush_bytes = 50MB` each: up to 800 MB in flight against a 512 MB budget.\n\nFix: 4 workers with 10 MB flushes (40 MB in flight), and handle 429 by retrying with exponential backoff instead of failing the whole reindex (opensearchutil's BulkIndexer has `RetryOnStatus: []int{429}` and `RetryBackoff`). Throughput barely changes: the cluster was the bottleneck anyway.",
       evidence=("RetryOnStatus: []int{429}",), date="2026-08-13", branch="perf/bulk-indexing",
       queries=(Q("identifier", "es_rejected_execution_exception coordinating_and_primary_bytes"),
                Q("near_miss", "nightly reindex fails with 429", project=True,
                  note="other 429 / throttling: notify-worker SES"))))

add(ep("ss_reindex_alias", "search-svc",
       "How do we change the mapping of `products` without downtime?",
       "Index behind an alias: searches use `SEARCH_INDEX_ALIAS=products` which points at a concrete index `products_v7`. To change the mapping: create `products_v8` with the new mapping, run the reindex (from the database, our `reindexAlias` job, not `_reindex` since the source of truth is Postgres), then swap atomically:\n\n```json\nPOST _aliases\n{\"actions\": [\n  {\"remove\": {\"index\": \"products_v7\", \"alias\": \"products\"}},\n  {\"add\": {\"index\": \"products_v8\", \"alias\": \"products\"}}\n]}\n```\n\nBoth actions apply in one cluster state update, so no request sees an empty alias. Keep v7 for a day for rollback, then delete it.",
       evidence=("products_v8", "POST _aliases"), date="2026-06-17",
       queries=(Q("paraphrase", "changing the search mapping without taking search down"),
                Q("identifier", "reindexAlias products_v7", project=True))))

add(ep("ss_gomemlimit", "search-svc",
       "search-svc pods get OOMKilled (exit 137) during the reindex even though the heap profile never shows more than 600 MB and the limit is 1Gi.",
       "The heap profile shows live heap; the Go runtime lets garbage accumulate up to GOGC=100, i.e. until the heap doubles, so 600 MB live can mean 1.2 GB resident before a GC, over the limit. Set a soft memory limit so the GC works harder near the ceiling: `GOMEMLIMIT=900MiB` in the deployment (about 90% of the container limit). Since Go 1.19 the runtime respects it. Watch `go_gc_cycles_total` to make sure we don't GC-thrash.",
       evidence=("GOMEMLIMIT=900MiB",), date="2026-08-14", branch="perf/bulk-indexing",
       queries=(Q("near_miss", "exit 137 during reindex but heap profile is only 600 MB", project=True,
                  note="other OOMs: ml-features pandas merge, mobile gradle, auth-server"),
                Q("identifier", "GOMEMLIMIT GOGC container limit"))))

add(ep("ss_context_deadline", "search-svc",
       "Some searches return 504 after exactly 2s with `context deadline exceeded` even when OpenSearch answers in 300 ms.",
       "`withTimeout` middleware wraps the request context with 2 s, and `SearchHandler` then calls `synonymsFor(ctx, q)` which queries the synonyms service... sequentially, once per token of the query, each with a 250 ms client timeout that only fails on the 8th token. Long queries spend their whole budget there. Fetch synonyms once for all tokens (`synonymsFor(ctx, tokens)` batch endpoint) and cache them for 5 minutes; the 2 s budget stays.",
       evidence=("synonymsFor(ctx, tokens)",), date="2026-09-09", branch="feat/synonyms",
       queries=(Q("mixed", "long queries hit context deadline exceeded", project=True),)))

# =============================================================================================
# auth-server
# =============================================================================================

add(ep("as_clock_skew", "auth-server",
       "Resource servers in another data centre sometimes reject fresh tokens: `JwtValidationException: An error occurred while attempting to decode the Jwt: Jwt used before 2026-09-14T10:22:31Z`.",
       "That's the `nbf`/`iat` check: their clocks run up to a few seconds behind ours, so a token issued 'now' is 'not yet valid' for them. Spring Security's `JwtTimestampValidator` allows 60 s skew by default, but those services use our shared `ClockSkewValidator` with `Duration.ZERO`. Set it to 30 s (`new JwtTimestampValidator(Duration.ofSeconds(30))`) and stop emitting `nbf` at all: it's optional and adds nothing when equal to `iat`. And ask ops to check chrony on those hosts.",
       evidence=("Jwt used before",), date="2026-09-14", branch="fix/clock-skew",
       queries=(Q("identifier", "JwtValidationException Jwt used before"),
                Q("near_miss", "fresh tokens rejected in the other data centre", project=True,
                  note="JWT audience problem in chat-gateway; refresh race in mobile-app"))))

add(ep("as_refresh_rotation", "auth-server",
       "Implement refresh token rotation with reuse detection.",
       "Implemented in `TokenService.rotateRefreshToken`: every refresh returns a new refresh token and marks the old one used. Tokens of one login share a `family_id` (V12__refresh_token_family.sql adds the column and an index). If a token that is already used is presented again, that's either a replay by an attacker or a client bug, and we can't tell which, so `RefreshTokenRepository.revokeFamily(familyId)` revokes every token of the family and the request gets `invalid_grant` with description `refresh token already used`. There's a 10 s grace window in which the previous token is still accepted once, to survive a response lost on a flaky mobile network.",
       evidence=("10 s grace window",), date="2026-07-24", branch="feat/refresh-rotation",
       queries=(Q("paraphrase", "what happens when an old refresh token is presented twice"),
                Q("path", "V12__refresh_token_family.sql what it adds"))))

add(ep("as_flyway_checksum", "auth-server",
       "App won't start after rebasing:\n\n```\norg.flywaydb.core.api.exception.FlywayValidateException: Validate failed: Migrations have failed validation\nMigration checksum mismatch for migration version 12\n-> Applied to database : 1417832250\n-> Resolved locally    : -918273645\n```",
       "Someone edited V12__refresh_token_family.sql after it had been applied to your local database (the rebase brought in a fix to the index name). Flyway stores each applied migration's checksum and refuses to run when the file changed. Never edit an applied migration in shared environments; add V13 instead. For your local DB: `./gradlew flywayRepair` updates the stored checksum, or drop the local schema. Staging already ran the old V12, so the index-name fix goes into a new `V13__rename_family_index.sql`.",
       evidence=("./gradlew flywayRepair",), date="2026-07-30",
       queries=(Q("near_miss", "app won't start after rebase, migration validation failed", project=True,
                  note="ledger-core alembic heads, dbt schema change are other migration problems"),
                Q("command", "gradle task to fix the stored flyway checksum locally"))))

add(ep("as_hikari_leak", "auth-server",
       "Under load: `HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10, idle=0, waiting=37)`.",
       "All 10 connections active and nobody returning them: a leak, not load. Turn on `spring.datasource.hikari.leak-detection-threshold=5000` and the log shows the stack where the connection was taken: `JwksController.keys` streams the JWKS from `keyRepository.streamAll()` inside `@Transactional(readOnly = true)`, but the controller returns the Stream to Jackson, which consumes it after the transaction method returned... and the connection stays checked out until the stream is closed, which never happens on client abort. Collect to a list inside the transaction (`try (var s = repo.streamAll()) { return s.toList(); }`).",
       evidence=("leak-detection-threshold=5000",), date="2026-08-07",
       queries=(Q("near_miss", "HikariPool all connections active under load", project=True,
                  note="ledger-core has QueuePool / pgbouncer pool problems"),
                Q("identifier", "HikariPool-1 - Connection is not available, request timed out after 30000ms"))))

add(ep("as_jvm_heap_container", "auth-server",
       "auth-server pods restarted with OOMKilled, but the JVM never logged OutOfMemoryError.",
       "The container was killed by the kernel, not by the JVM. We set `-Xmx1g` in a container with a 1Gi limit: heap alone can take all of it, plus metaspace, thread stacks, code cache and direct buffers (Netty for the Redis client) on top. Use `-XX:MaxRAMPercentage=70` instead of a fixed -Xmx, so the heap follows the container limit and leaves room for non-heap memory, and enable `-XX:NativeMemoryTracking=summary` once to see the non-heap breakdown (`jcmd 1 VM.native_memory summary`).",
       evidence=("-XX:MaxRAMPercentage=70", "jcmd 1 VM.native_memory summary"), date="2026-10-01",
       queries=(Q("command", "jcmd to print native memory usage of the jvm"),
                Q("near_miss", "OOMKilled java pod, no OutOfMemoryError", project=True))))

# =============================================================================================
# dbt-warehouse
# =============================================================================================

add(ep("dw_revenue_tz", "dbt-warehouse",
       "fct_revenue_daily doesn't match finance's numbers for days around DST changes; the difference is always orders between 22:00 and 00:00.",
       "The model truncates `ordered_at` (stored as UTC TIMESTAMP_NTZ) with `date_trunc('day', ordered_at)`, so days are UTC days. Finance reports in Europe/Berlin. Convert first: `date_trunc('day', convert_timezone('UTC', 'Europe/Berlin', ordered_at))` in Snowflake. DuckDB locally needs `timezone('Europe/Berlin', ordered_at::timestamptz)`, so wrap it in a macro `local_day(col)` that dispatches on `target.type`.",
       evidence=("convert_timezone('UTC', 'Europe/Berlin', ordered_at)",), date="2026-04-29", branch="feat/revenue-daily",
       queries=(Q("near_miss", "revenue per day doesn't match finance", project=True,
                  note="ledger-core and auth-server have timezone bugs too"),
                Q("mixed", "day boundaries in local time for both warehouse engines"))))

add(ep("dw_incremental_late", "dbt-warehouse",
       "Orders that arrive late (backfilled by the importer with old ordered_at) never show up in fct_revenue_daily, which is incremental.",
       "The incremental filter is `where ordered_at > (select max(ordered_at) from {{ this }})`. A late row has an old `ordered_at`, so it's never selected. Filter on when the row arrived, not on the business timestamp: `where _loaded_at > (select max(_loaded_at) from {{ this }})`, and since the model aggregates by day, use `incremental_strategy='merge'` with `unique_key='order_day'` and recompute every day that received a new row (select the affected days first, then aggregate them fully). Plus a weekly `dbt run --select fct_revenue_daily --full-refresh` as a safety net.",
       evidence=("_loaded_at > (select max(_loaded_at) from {{ this }})", "dbt run --select fct_revenue_daily --full-refresh"), date="2026-05-15", branch="fix/late-orders",
       queries=(Q("paraphrase", "backfilled orders never appear in the daily revenue table"),
                Q("command", "rebuild the revenue model from scratch with dbt", project=True))))

add(ep("dw_generate_schema", "dbt-warehouse",
       "In prod, models land in `ANALYTICS_marts` instead of `marts`. Locally I get `dbt_ana_marts`.",
       "That's dbt's default `generate_schema_name`: custom schema `marts` is appended to the target schema (`ANALYTICS` + `_marts`). We want the custom schema as is in prod and the prefix only in dev. Override the macro in macros/generate_schema_name.sql: in prod (`target.name == 'prod'`) return `custom_schema_name | trim`, otherwise `default_schema ~ '_' ~ custom_schema_name`. dbt ships exactly that variant as `generate_schema_name_for_env`, you can call it.",
       evidence=("generate_schema_name_for_env",), date="2026-03-12",
       queries=(Q("path", "generate_schema_name.sql override"),)))

add(ep("dw_scd2_decision", "dbt-warehouse",
       "For customer history (plan changes), snapshots or an incremental model with our own valid_from/valid_to?",
       "Snapshots. `dbt snapshot` with `strategy='check'` on `check_cols=['plan', 'status', 'country']` gives exactly SCD2 (dbt_valid_from, dbt_valid_to) and handles the edge cases (rows that disappear with `invalidate_hard_deletes=True`). Hand-rolled incremental SCD2 is error-prone with merge semantics on Snowflake. Catch: snapshots only capture changes when they run, so run it hourly from the dagster schedule, not daily, or intra-day plan changes are lost.",
       evidence=("invalidate_hard_deletes=True",), date="2026-06-11",
       also=(Also("reflection", "dbt-warehouse decision: customer history is a dbt snapshot (check strategy on plan/status/country, invalidate_hard_deletes) run hourly, not a hand-written incremental SCD2 model.", tags=("dbt-warehouse", "decision")),),
       queries=(Q("paraphrase", "how do we keep the history of customer plan changes in the warehouse"),)))

add(ep("dw_sqlfluff_jinja", "dbt-warehouse",
       "sqlfluff lint in CI fails on every model with `TMP: Undefined jinja template variable: 'is_incremental'`.",
       "sqlfluff's default jinja templater doesn't know dbt's macros. Use the dbt templater: `templater = dbt` in .sqlfluff with `[sqlfluff:templater:dbt] project_dir = .` and `pip install sqlfluff-templater-dbt`. It needs a profile to compile, so CI uses the duckdb target (`profile = ci` pointing at `dbt-duckdb` in memory).",
       evidence=("sqlfluff-templater-dbt",), date="2026-08-27",
       queries=(Q("identifier", "Undefined jinja template variable: 'is_incremental'"),)))
