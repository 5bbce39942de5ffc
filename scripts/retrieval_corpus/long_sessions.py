"""Long working sessions (10k to 60k kept characters). Their later parts hold the answers of the
`deep` queries: each layout starts with several everyday tasks (filler mini-episodes, the integers)
before the first hand-written episode, so every answer sits past the first few thousand characters.
Two sessions are longer than the pipeline's 50,000-character limit and are stored in two parts.
"""

from __future__ import annotations

from retrieval_corpus.steps import A, Also, Bash, Edit, Ep, Grep, Q, Read, U, Write, ep, numbered

EPISODES: list[Ep] = []
LONG_SESSIONS: list[dict] = []


def deep(key: str, session: str, project: str, ask: str, answer: str, evidence: tuple, queries: tuple, **kw) -> None:
    EPISODES.append(ep(key, project, ask, answer, evidence=evidence, queries=queries, where=f"long:{session}", **kw))


# =============================================================================================
# ledger-core: a long day on the period close
# =============================================================================================

deep("lcd_lock_timeout", "long_ledger_close", "ledger-core",
     "close_period hangs for minutes when someone is posting entries at the same time. What lock is it waiting on?",
     "It's waiting on the row locks of `accounts`: `close_period` runs `SELECT ... FROM accounts WHERE ledger_id = :l FOR UPDATE` to freeze balances, and a concurrent `post_journal_entry` holds `FOR UPDATE` on two of those accounts while it waits for the FX lookup (an HTTP call inside the transaction!). Two fixes: move `load_fx_rates` before the transaction opens in `post_journal_entry`, and give close a bounded wait: `SET LOCAL lock_timeout = '5s'` inside its transaction, retrying the close up to 3 times with backoff. `pg_stat_activity` with `wait_event_type = 'Lock'` showed it.",
     ("SET LOCAL lock_timeout = '5s'", "wait_event_type = 'Lock'"),
     (Q("deep", "close_period hangs while people are posting", project=True),),
     tools=[Bash("psql \"$LEDGER_DB_URL\" -c \"select pid, wait_event_type, wait_event, left(query, 60) from pg_stat_activity where wait_event_type = 'Lock'\"",
                 "  pid  | wait_event_type | wait_event |                           left\n-------+-----------------+------------+----------------------------------------------------------\n 48211 | Lock            | tuple      | SELECT id, balance FROM accounts WHERE ledger_id = $1 FOR")])

deep("lcd_advisory_close", "long_ledger_close", "ledger-core",
     "Two pods ran the nightly close at the same time yesterday and we got a unique violation on period_closes. How do we make sure only one runs?",
     "The cron runs in every pod. Take a transaction-level advisory lock keyed on the ledger and the period: `SELECT pg_try_advisory_xact_lock(hashtext('close'), :ledger_id)`; if it returns false another pod is closing that ledger and this one exits quietly. It's released automatically at commit or rollback, so a crashed pod can't leave it behind. The unique constraint on `(ledger_id, period)` stays as the last line of defence.",
     ("pg_try_advisory_xact_lock(hashtext('close'), :ledger_id)",),
     (Q("deep", "unique violation on period_closes after two pods ran the close"),
      Q("near_miss", "two instances closing the same ledger period", project=True,
        note="notify-worker's scheduler also uses an advisory lock (session-level, for a single replica)")))

deep("lcd_reverse_entry", "long_ledger_close", "ledger-core",
     "Accounting wants to correct an entry in a closed period. Can reverse_entry book into a closed period?",
     "No, and it shouldn't: a closed period is immutable, that's the point of closing. `reverse_entry` now checks `period_is_closed(entry.booked_at)` and, if closed, books the reversal on the first day of the current open period with `reverses_entry_id` set and a memo `Reversal of {entry_id} (original period 2026-06 closed)`. The statement for June stays as it was sent; July shows the correction. That's the standard treatment (prior-period adjustment in the current period).",
     ("prior-period adjustment in the current period",),
     (Q("deep", "accounting wants to fix an entry in june after june was closed"),))

deep("lcd_balance_cache", "long_ledger_close", "ledger-core",
     "account_balance is 40% of DB time. Cache it?",
     "Rather than a cache with invalidation bugs, materialise it: a `balances` table updated in the same transaction as each posting (`UPDATE balances SET amount = amount + :delta WHERE account_id = :id`), so it's always consistent. `account_balance` reads one row. A nightly job recomputes from `journal_lines` and alerts on any difference (`balance_drift_total` metric), which is our guard against a code path that forgets the update.",
     ("balance_drift_total",),
     (Q("deep", "account_balance is most of the db time"),
      Q("mixed", "what raises balance_drift_total", project=True)))

LONG_SESSIONS.append(dict(key="long_ledger_close", project="ledger-core", date="2026-08-03", branch="feat/period-close",
                          summaries=["Period close: locks, exclusivity, reversals, balances"],
                          layout=[6, "lcd_lock_timeout", 9, "lcd_advisory_close", 9, "lcd_reverse_entry", 8, "lcd_balance_cache", 4]))

# =============================================================================================
# notify-worker: the dramatiq migration day (long, two parts)
# =============================================================================================

deep("nwd_actor_priority", "long_notify_migration", "notify-worker",
     "Password reset emails wait behind the 30k digest emails now that everything is one dramatiq queue.",
     "Put them on separate queues and give the worker deployment separate process pools: `@dramatiq.actor(queue_name=\"transactional\")` for password reset, verification and receipts, `queue_name=\"bulk\"` for digests. Run two deployments: `dramatiq notify.tasks --queues transactional --processes 1 --threads 8` and `--queues bulk --processes 2 --threads 8`. Actor `priority` only orders messages within one worker's prefetch, it doesn't stop a 30k backlog from being ahead of you in the queue.",
     ("--queues transactional --processes 1 --threads 8",),
     (Q("deep", "password reset emails arrive half an hour late"),
      Q("command", "dramatiq worker command for the transactional queue only", project=True)))

deep("nwd_rabbit_prefetch", "long_notify_migration", "notify-worker",
     "RabbitMQ shows 8000 unacked messages on one worker while the others are idle.",
     "dramatiq's RabbitMQ broker prefetches `threads x 2` messages per worker process by default... we set `dramatiq_queue_prefetch=1000` in the env while testing throughput, and one worker grabbed most of the backlog. Put it back to the default (unset the variable) or a small number; with long-running SES calls a low prefetch spreads the load better.",
     ("dramatiq_queue_prefetch=1000",),
     (Q("deep", "rabbitmq unacked messages piling up on a single consumer"),))

deep("nwd_dedupe_ttl", "long_notify_migration", "notify-worker",
     "DedupeStore keys: do they need to live 7 days? Redis memory is at 70%.",
     "The TTL should cover the longest window in which the same notification can be retried or re-enqueued. With dramatiq's `Retries` middleware at max_retries=5 and max_backoff 1 hour, a message is done within ~2 hours; the scheduler never re-enqueues a row with `sent_at` set. So 48 hours is plenty: `SET key 1 NX EX 172800`. That cuts the key count by 3.5x. Also store the keys as `notif:{id}` instead of the full JSON payload hash, 30 bytes instead of 120.",
     ("SET key 1 NX EX 172800",),
     (Q("deep", "redis memory at 70% from dedupe keys", project=True),))

deep("nwd_fcm_batch", "long_notify_migration", "notify-worker",
     "send_push_batch fails with `messaging/too-many-registration-tokens` sometimes.",
     "`send_each_for_multicast` accepts at most 500 tokens per call. `send_push_batch` sends a whole audience segment at once when the segment has more than 500 devices. Chunk the tokens into groups of 500 and send each chunk; collect `responses` per chunk to remove tokens that come back `UNREGISTERED`.",
     ("send_each_for_multicast",),
     (Q("deep", "too-many-registration-tokens from firebase"),
      Q("identifier", "messaging/too-many-registration-tokens")))

deep("nwd_digest_hour", "long_notify_migration", "notify-worker",
     "Digest emails should go out at 08:00 in each user's timezone, not 08:00 UTC.",
     "`schedule_digest` now computes the next local 08:00 per user: `due_at = next_local(user.tz, hour=DIGEST_HOUR_LOCAL)` converted to UTC, and writes one `scheduled_notifications` row per user. Users without a timezone fall back to their country's main zone, then to Europe/Berlin. The scheduler's 30 s poll spreads the sends naturally across the hour boundaries of different zones, so SES sees 24 smaller bursts instead of one.",
     ("next_local(user.tz, hour=DIGEST_HOUR_LOCAL)",),
     (Q("deep", "digest arrives at the wrong hour for users outside germany"),))

deep("nwd_grace_shutdown", "long_notify_migration", "notify-worker",
     "On deploy, k8s kills workers mid-send and some emails go out twice after redelivery.",
     "dramatiq handles SIGTERM by stopping consumption and waiting for running actors, but the pod's `terminationGracePeriodSeconds` is 30 s and an SES call with retries can take longer. Raise it to 120 s, and set dramatiq's `--worker-shutdown-timeout 100000` (ms) so the worker waits up to 100 s before abandoning messages. The dedupe store catches the rest.",
     ("--worker-shutdown-timeout 100000",),
     (Q("deep", "duplicate emails during worker deploys", project=True),))

LONG_SESSIONS.append(dict(key="long_notify_migration", project="notify-worker", date="2026-06-22", branch="chore/drop-celery",
                          summaries=["dramatiq migration: queues, prefetch, dedupe, push, digest"],
                          layout=[8, "nwd_actor_priority", 12, "nwd_rabbit_prefetch", 14, "nwd_dedupe_ttl", 16, "nwd_fcm_batch", 16,
                                  "nwd_digest_hour", 14, "nwd_grace_shutdown", 8]))

# =============================================================================================
# ml-features
# =============================================================================================

deep("mfd_s3_throttle", "long_ml_features", "ml-features",
     "write_partition fails with `SlowDown: Please reduce your request rate` when we write 2,000 small parquet files per day.",
     "S3 returns 503 SlowDown when a single prefix gets more than ~3,500 PUTs per second; writing 2,000 tiny files in parallel bursts there. Write fewer, bigger files: partition only by `dt` (not `dt/account_bucket`), target 256 MB files with `pl.DataFrame.write_parquet(..., row_group_size=512_000)`, and let s3fs retry with `config_kwargs={'retries': {'max_attempts': 10, 'mode': 'adaptive'}}`.",
     ("'mode': 'adaptive'",),
     (Q("deep", "write_partition fails with SlowDown"),))

deep("mfd_feature_leak", "long_ml_features", "ml-features",
     "Validation AUC is 0.97, production AUC 0.71. Something leaks.",
     "`rolling_activity` computes the 28-day window ending at the *snapshot* date, but the label (churned within 30 days) is defined from the same snapshot, and for the training set the snapshot was taken after the churn date for churned accounts: their `events_28d` is near zero because they already left. That's target leakage. Features must be computed as of the prediction time: `as_of = label_start - 1 day`, and we need a point-in-time join (`join_asof` on `as_of`) against the account snapshots.",
     ("join_asof",),
     (Q("deep", "churn model AUC 0.97 offline, 0.71 live"),
      Q("paraphrase", "training data looked into the future", project=True)))

deep("mfd_airflow_pool", "long_ml_features", "ml-features",
     "Backfilling 90 days of features starts 90 pods at once and the cluster autoscaler can't keep up.",
     "Give the backfill its own Airflow pool with 6 slots (`pool='features_backfill'` on the task), set `max_active_runs=6` on the DAG, and start it with `airflow dags backfill daily_features -s 2026-04-01 -e 2026-06-30 --pool features_backfill`. Regular daily runs keep the default pool so they aren't starved.",
     ("--pool features_backfill",),
     (Q("deep", "backfill of the features dag overwhelms the cluster"),
      Q("command", "airflow backfill command for the features dag with a dedicated pool")))

LONG_SESSIONS.append(dict(key="long_ml_features", project="ml-features", date="2026-07-10", branch="feat/polars-joins",
                          summaries=["features: S3, leakage, backfill"],
                          layout=[6, "mfd_s3_throttle", 11, "mfd_feature_leak", 11, "mfd_airflow_pool", 4]))

# =============================================================================================
# devtools-cli
# =============================================================================================

deep("dtd_completion", "long_devtools", "devtools-cli",
     "Shell completion for `dt` is slow: pressing tab takes 1.5 s.",
     "Typer's completion runs the whole CLI module on every tab, and `dt.cli` imports boto3, rich and kubernetes at import time: `python -X importtime -c 'import dt.cli'` shows 1.3 s, 0.9 of it boto3. Import those lazily inside the commands that need them. After that the import is 140 ms and completion feels instant.",
     ("python -X importtime -c 'import dt.cli'",),
     (Q("deep", "dt tab completion is slow"),
      Q("command", "measure python import time of a module", project=True)))

deep("dtd_changelog", "long_devtools", "devtools-cli",
     "changelog_since should group commits by conventional commit type.",
     "Done: `changelog_since(tag)` runs `git log --format=%H%x1f%s%x1f%b%x1e v1.8.0..HEAD` (unit/record separators, so subjects with pipes or newlines in bodies are safe), parses `type(scope)!: subject`, groups into Features / Fixes / Breaking (a `!` or a `BREAKING CHANGE:` footer) / Other, and skips `chore(release)` commits.",
     ("%H%x1f%s%x1f%b%x1e",),
     (Q("deep", "how the changelog generator separates fields in git log output safely"),))

deep("dtd_windows_paths", "long_devtools", "devtools-cli",
     "dt fails on Windows for Priya: `FileNotFoundError: [WinError 2] The system cannot find the file specified` from run_git.",
     "`run_git` calls `subprocess.run(['git', ...])` fine, but `env_doctor` runs `subprocess.run('kubectl config current-context', shell=False)` with a string, which on Windows is looked up as a program named 'kubectl config current-context'. Always pass a list, and resolve the executable with `shutil.which('kubectl')` so a missing tool gives our own message instead of WinError 2.",
     ("shutil.which('kubectl')",),
     (Q("deep", "WinError 2 on windows from the cli", project=True),))

LONG_SESSIONS.append(dict(key="long_devtools", project="devtools-cli", date="2026-10-09", branch="feat/release-notes",
                          summaries=["dt: completion speed, changelog, windows"],
                          layout=[5, "dtd_completion", 6, "dtd_changelog", 5, "dtd_windows_paths", 4]))

# =============================================================================================
# chat-gateway: presence and scale (long)
# =============================================================================================

deep("cgd_presence_ttl", "long_gateway_scale", "chat-gateway",
     "Users show as online for hours after a gateway pod crashes.",
     "Presence is a Redis hash `presence:{room}` written by each pod for its own sockets and cleaned on socket close; a crashed pod never cleans up. Make presence expire: each pod refreshes its members every 30 s into a per-pod key `presence:{room}:{podId}` with `EXPIRE 90`, and readers union the per-pod keys. A dead pod's entries vanish within 90 s.",
     ("presence:{room}:{podId}",),
     (Q("deep", "users shown online for hours after a crash", project=True),))

deep("cgd_backpressure", "long_gateway_scale", "chat-gateway",
     "A few slow mobile clients make the gateway's memory spike during big broadcasts.",
     "`ws.send` buffers in user space when the socket can't keep up; for slow clients `socket.bufferedAmount` grows without limit. In `broadcastToRoom`, skip (and count) messages for sockets with `bufferedAmount > 1_000_000` and close sockets that stay above it for 30 s with code 1013 (try again later), so the client reconnects and fetches history.",
     ("bufferedAmount > 1_000_000",),
     (Q("deep", "memory spikes during big broadcasts, slow mobile clients"),
      Q("identifier", "ws bufferedAmount close code 1013")))

deep("cgd_redis_sharded", "long_gateway_scale", "chat-gateway",
     "Redis CPU is at 90% from pub/sub fan-out with 12 gateway pods.",
     "Every PUBLISH goes to all 12 subscriber connections that subscribed to the channel, and with Redis Cluster classic pub/sub every message is broadcast to all shards too. Redis 7 sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`) keeps a channel's traffic on the shard owning its slot. ioredis supports it since 5.3 (`cluster.ssubscribe`). With 3 shards the CPU per shard went to ~35%.",
     ("SSUBSCRIBE",),
     (Q("deep", "redis cpu at 90% with twelve gateway pods"),))

deep("cgd_drain", "long_gateway_scale", "chat-gateway",
     "On deploys all 20k sockets of a pod reconnect within a second.",
     "Drain gradually: on SIGTERM stop accepting upgrades (readiness goes false), then close existing sockets in batches of 500 every 2 s with close code 1012 (service restart), which the client treats as 'reconnect after a random 0-10 s delay'. 20k sockets drain in 80 s, so `terminationGracePeriodSeconds: 120`.",
     ("close code 1012",),
     (Q("deep", "20k sockets reconnect at once on deploy", project=True),))

LONG_SESSIONS.append(dict(key="long_gateway_scale", project="chat-gateway", date="2026-07-16", branch="perf/redis-fanout",
                          summaries=["gateway scale: presence, backpressure, sharded pubsub, drain"],
                          layout=[7, "cgd_presence_ttl", 12, "cgd_backpressure", 12, "cgd_redis_sharded", 12, "cgd_drain", 6]))

# =============================================================================================
# storefront-web
# =============================================================================================

deep("sfd_isr_revalidate", "long_storefront", "storefront-web",
     "Price updates from the admin take up to an hour to show on product pages.",
     "Product pages use `export const revalidate = 3600`. Keep the long interval but revalidate on demand: the admin's price-change webhook calls our route `/api/revalidate` which runs `revalidateTag(`product:${slug}`)`, and `fetchProduct` tags its fetch with `next: { tags: [`product:${slug}`] }`. Pages update within seconds of a change and are still cached otherwise.",
     ("revalidateTag(`product:${slug}`)",),
     (Q("deep", "price changes take an hour to show on product pages"),))

deep("sfd_middleware_geo", "long_storefront", "storefront-web",
     "The locale redirect in middleware.ts sends Googlebot to /de for every page.",
     "middleware.ts picks the locale from `request.geo.country` (Vercel's geo header), and Googlebot crawls from the US... no wait, it's sending it to /de because our CDN in front adds `x-country: DE` from the edge location in Frankfurt. Don't redirect bots at all: if the user agent matches the crawler list, serve the default locale with `hreflang` alternates instead, and for humans prefer `Accept-Language` over geo.",
     ("x-country: DE",),
     (Q("deep", "googlebot only sees the /de pages", project=True),))

deep("sfd_bundle_size", "long_storefront", "storefront-web",
     "The checkout page JS is 480 kB. What's in there?",
     "`ANALYZE=true npm run build` with @next/bundle-analyzer: 190 kB is `moment` with all locales, pulled in by the date picker in the address form, and 80 kB is `lodash` imported as `import _ from 'lodash'`. Replace moment with `date-fns` (tree-shakes), import `lodash/debounce` directly. Checkout JS is now 205 kB.",
     ("ANALYZE=true npm run build",),
     (Q("deep", "checkout page ships too much javascript"),
      Q("command", "build the storefront with the bundle analyzer enabled", project=True)))

LONG_SESSIONS.append(dict(key="long_storefront", project="storefront-web", date="2026-09-03", branch="main",
                          summaries=["storefront: ISR, middleware, bundle"],
                          layout=[6, "sfd_isr_revalidate", 5, "sfd_middleware_geo", 6, "sfd_bundle_size", 2]))

# =============================================================================================
# mobile-app
# =============================================================================================

deep("mad_push_android13", "long_mobile", "mobile-app",
     "Push notifications stopped on new Android 13 devices.",
     "Android 13 (API 33) requires the runtime permission `POST_NOTIFICATIONS`; apps targeting 33+ must request it, otherwise notifications are silently blocked. `registerForPush` only fetched the token. Call `Notifications.requestPermissionsAsync()` first (expo-notifications asks for POST_NOTIFICATIONS on 13+), and show our pre-prompt screen before it, because the system dialog can only be shown twice.",
     ("POST_NOTIFICATIONS",),
     (Q("deep", "push not arriving on android 13 phones", project=True),))

deep("mad_hermes_intl", "long_mobile", "mobile-app",
     "Dates show as 'Invalid Date' on Android release builds only.",
     "The API returns `2026-07-01 12:00:00` (space, no zone). Hermes' `Date` parser accepts only ISO 8601 with a `T` (and JSC on iOS is lenient), so `new Date(s)` is invalid on Android. Parse explicitly with date-fns `parseISO(s.replace(' ', 'T') + 'Z')`, or better, make the API send ISO 8601 with offset.",
     ("parseISO(s.replace(' ', 'T') + 'Z')",),
     (Q("deep", "date strings from the api break on android release builds"),))

deep("mad_offline_queue", "long_mobile", "mobile-app",
     "Actions taken offline (like favouriting) get lost.",
     "Added an outbox: mutations made while `NetInfo` reports offline go into a persisted queue in AsyncStorage (`outbox:v1`), each with a client-generated id; on reconnect `OfflineBanner` flushes them in order, and the API treats the client id as an idempotency key so a flush that is retried doesn't double-apply.",
     ("outbox:v1",),
     (Q("deep", "favourites tapped offline get lost", project=True),))

LONG_SESSIONS.append(dict(key="long_mobile", project="mobile-app", date="2026-08-18", branch="feat/offline-banner",
                          summaries=["mobile: push permission, hermes dates, offline outbox"],
                          layout=[5, "mad_push_android13", 6, "mad_hermes_intl", 5, "mad_offline_queue", 3]))

# =============================================================================================
# infra-live: the cost review (long, two parts)
# =============================================================================================

deep("ild_nat_costs", "long_infra_cost", "infra-live",
     "NAT gateway is $2,300/month. Why so much?",
     "Cost Explorer by usage type: 92% is `NatGateway-Bytes`, 41 TB/month. VPC flow logs grouped by destination show most of it is traffic to S3 (the ml-features job and the artifact bucket) and ECR image pulls. Both can bypass NAT: a gateway VPC endpoint for S3 (free) and interface endpoints for `ecr.api` and `ecr.dkr` (~$15/month each per AZ). Expected saving ~$1,900/month.",
     ("NatGateway-Bytes",),
     (Q("deep", "NAT gateway costs"),))

deep("ild_gp3", "long_infra_cost", "infra-live",
     "Should we move the EBS volumes from gp2 to gp3?",
     "Yes: gp3 is 20% cheaper per GB and gives 3,000 IOPS / 125 MB/s baseline regardless of size, while our 100 GiB gp2 volumes only get 300 IOPS baseline (3 per GiB) plus burst credits. The change is online (`aws ec2 modify-volume --volume-type gp3`), and for the node groups set `block_device_mappings.ebs.volume_type = \"gp3\"` in the launch template.",
     ("aws ec2 modify-volume --volume-type gp3",),
     (Q("deep", "ebs volumes on the old type, how to change them without downtime", project=True),))

deep("ild_spot", "long_infra_cost", "infra-live",
     "Can the CI runners go on spot?",
     "Yes, CI is the textbook spot workload. A separate node group `ci-spot` with `capacity_type = \"SPOT\"` and 4 instance types (m6i.xlarge, m6a.xlarge, m5.xlarge, m5a.xlarge) across 3 AZs, taint `ci=true:NoSchedule` so only runner pods land there. Interrupted jobs are retried by the runner controller. Saves ~65% on runner compute.",
     ("ci=true:NoSchedule",),
     (Q("deep", "ci runners on cheaper instances"),))

deep("ild_rds_rightsize", "long_infra_cost", "infra-live",
     "Is the staging RDS oversized?",
     "CloudWatch over 30 days: CPU p99 9%, freeable memory never below 11 GB on the db.r6g.xlarge (32 GB). Staging can go to db.t4g.large (8 GB) with burst credits; the restore test data set fits in memory. Saves $410/month. Prod stays; its p99 CPU is 58%.",
     ("db.r6g.xlarge",),
     (Q("deep", "is the staging database too big", project=True),))

LONG_SESSIONS.append(dict(key="long_infra_cost", project="infra-live", date="2026-10-05", branch="main",
                          summaries=["AWS cost review: NAT, gp3, spot, RDS"],
                          layout=[9, "ild_nat_costs", 22, "ild_gp3", 24, "ild_spot", 22, "ild_rds_rightsize", 10]))

# =============================================================================================
# logtail-rs
# =============================================================================================

deep("ltd_gzip_level", "long_logtail", "logtail-rs",
     "Shipping uses 30% CPU on the small hosts. Where does it go?",
     "`cargo flamegraph` shows 70% of the shipper's time in `flate2` compression at level 9 (`Compression::best()`). Level 9 buys 3% smaller payloads than level 3 for 4x the CPU. Switched to `Compression::new(3)`; CPU dropped to 9%. zstd would be better still, but the ingest endpoint only accepts gzip.",
     ("Compression::new(3)",),
     (Q("deep", "log shipper cpu usage on small hosts"),))

deep("ltd_retry_jitter", "long_logtail", "logtail-rs",
     "After an ingest outage, all 3,000 agents retry in lockstep and knock it over again.",
     "`backoff_delay` doubles the delay but without jitter, so agents that failed at the same moment retry at the same moments. Use full jitter: `delay = rand(0, min(cap, base * 2^attempt))` with cap 5 minutes. Also honour `Retry-After` when the endpoint sends it.",
     ("delay = rand(0, min(cap, base * 2^attempt))",),
     (Q("deep", "agents knock the ingest endpoint over again after it recovers", project=True),))

deep("ltd_config_reload", "long_logtail", "logtail-rs",
     "Can we reload logtail.toml without restarting?",
     "On SIGHUP: parse the new file with `Config::from_file`, and if it's valid, diff the tailed paths: spawn tasks for new globs, cancel tasks for removed ones (each has a `CancellationToken`), keep the rest untouched so their offsets aren't lost. An invalid file is logged and ignored. tokio's `signal(SignalKind::hangup())` drives it.",
     ("signal(SignalKind::hangup())",),
     (Q("deep", "reload config of the log agent, what happens to open files"),))

LONG_SESSIONS.append(dict(key="long_logtail", project="logtail-rs", date="2026-08-25", branch="main",
                          summaries=["logtail: cpu, retries, reload"],
                          layout=[5, "ltd_gzip_level", 6, "ltd_retry_jitter", 5, "ltd_config_reload", 3]))

# =============================================================================================
# search-svc
# =============================================================================================

deep("ssd_synonyms", "long_search", "search-svc",
     "Searching 'sofa' doesn't find products titled 'couch'.",
     "Added a synonym graph filter at search time (not index time, so changing synonyms needs no reindex): `synonym_graph` with `synonyms_path: analysis/synonyms.txt` in the `search_analyzer` of `title` and `description`, with lines like `sofa, couch, settee`. The file is deployed to every node by the OpenSearch operator's config map and reloaded with `POST products/_reload_search_analyzers`.",
     ("_reload_search_analyzers",),
     (Q("deep", "searching sofa doesn't find couches"),))

deep("ssd_knn_attempt", "long_search", "search-svc",
     "Let's try semantic search with the OpenSearch k-NN plugin: embeddings of titles, HNSW index.",
     "Tried it on staging: 2.1M products x 768-dim float vectors in an HNSW graph needs ~7.5 GB of off-heap memory per replica (`knn.memory.circuit_breaker.limit` tripped at 50% of the node's RAM). Relevance improved for vague queries, got worse for exact SKU and brand searches. Shelved: we'd need bigger nodes (+$1,400/month) and a hybrid ranking to keep SKU queries working. Parking it until the catalogue team asks again.",
     ("knn.memory.circuit_breaker.limit",),
     (Q("deep", "what happened with semantic search for products", project=True),
      Q("near_miss", "opensearch circuit breaker tripped",
        note="the only vector-search experiment; other circuit breaker / memory issues exist elsewhere")))

deep("ssd_boost_stock", "long_search", "search-svc",
     "Out-of-stock products rank above in-stock ones.",
     "`scoreBoost` only boosts by popularity. Wrapped the query in a `function_score` with a `filter: {term: {in_stock: true}}` weight of 3 and `boost_mode: multiply`, so in-stock items win among similarly relevant hits but an exact match that's out of stock still shows up.",
     ("boost_mode: multiply",),
     (Q("deep", "out of stock products at the top of search results"),))

LONG_SESSIONS.append(dict(key="long_search", project="search-svc", date="2026-09-25", branch="feat/synonyms",
                          summaries=["search: synonyms, knn trial, stock boost"],
                          layout=[5, "ssd_synonyms", 7, "ssd_knn_attempt", 6, "ssd_boost_stock", 3]))

# =============================================================================================
# auth-server
# =============================================================================================

deep("asd_jwks_rotation", "long_auth", "auth-server",
     "How do we rotate the signing key without breaking tokens in flight?",
     "Keep two keys in the JWKS: publish the new key (new `kid`) 24 h before signing with it, so every resource server's JWKS cache (we tell them to cache 12 h) has it before the first token signed with it arrives. Then switch signing to the new key, keep the old public key published for one access-token lifetime (15 min) plus margin, then remove it. `auth.jwks.rotation-days=30`.",
     ("publish the new key (new `kid`) 24 h before signing with it",),
     (Q("deep", "how do we roll the token signing key"),))

deep("asd_pkce", "long_auth", "auth-server",
     "Mobile app wants the authorization code flow. Client secret in the app?",
     "No secret in a mobile app (it can be extracted). Register it as a public client (`ClientAuthenticationMethod.NONE`) and require PKCE with S256: `requireProofKey(true)` in the client settings. Spring Authorization Server then rejects code exchanges without a matching `code_verifier`. Redirect URI is the app's claimed https link, not a custom scheme.",
     ("requireProofKey(true)",),
     (Q("deep", "mobile app and client secrets", project=True),))

deep("asd_session_namespace", "long_auth", "auth-server",
     "Staging and prod share a Redis by accident and a staging login showed up as a prod session.",
     "Spring Session keys are `spring:session:sessions:<id>` in both. Immediate fix: `spring.session.redis.namespace=auth:prod` and `auth:staging` so keys can't collide; real fix: separate Redis instances (infra ticket). Existing sessions are lost on the namespace change, users log in again once.",
     ("spring.session.redis.namespace=auth:prod",),
     (Q("deep", "a staging login appeared as a production session"),
      Q("mixed", "spring.session keys colliding between environments", project=True)))

LONG_SESSIONS.append(dict(key="long_auth", project="auth-server", date="2026-08-12", branch="feat/refresh-rotation",
                          summaries=["auth: jwks rotation, pkce, sessions"],
                          layout=[5, "asd_jwks_rotation", 11, "asd_pkce", 11, "asd_session_namespace", 4]))

# =============================================================================================
# dbt-warehouse
# =============================================================================================

deep("dwd_slim_ci", "long_dbt", "dbt-warehouse",
     "dbt CI builds all 240 models on every PR and takes 25 minutes.",
     "Slim CI: download the prod `manifest.json` artifact and build only what changed plus everything downstream: `dbt build --select state:modified+ --defer --state prod-artifacts/`. `--defer` makes refs to unchanged models read prod tables. Typical PR now builds 3-10 models in 2-4 minutes.",
     ("--select state:modified+ --defer --state prod-artifacts/",),
     (Q("deep", "dbt CI builds everything on every PR"),
      Q("command", "dbt build only modified models deferring to production state", project=True)))

deep("dwd_warehouse_size", "long_dbt", "dbt-warehouse",
     "Snowflake bill doubled this month.",
     "Query history: the `TRANSFORMING_XL` warehouse ran 19 h/day because the hourly snapshot job uses it and `auto_suspend` was 600 s, so it never suspended between runs. Set `auto_suspend = 60`, and moved snapshots to `TRANSFORMING_S` via `snowflake_warehouse` config on the snapshot (it's a small job). Expected back to the previous month's level.",
     ("TRANSFORMING_XL",),
     (Q("deep", "snowflake bill doubled this month"),))

deep("dwd_tests_severity", "long_dbt", "dbt-warehouse",
     "A not_null test on stg_orders.coupon_code fails the whole nightly build although null coupons are fine.",
     "That test shouldn't exist for an optional column; removed it. For tests that should alert but not block, use `config: {severity: warn, warn_if: \">0\", error_if: \">100\"}`: a handful of bad rows warns, a flood fails the build.",
     ('error_if: ">100"',),
     (Q("deep", "a single null breaks the nightly dbt build", project=True),))

LONG_SESSIONS.append(dict(key="long_dbt", project="dbt-warehouse", date="2026-09-30", branch="main",
                          summaries=["dbt: slim ci, snowflake costs, test severity"],
                          layout=[5, "dwd_slim_ci", 6, "dwd_warehouse_size", 5, "dwd_tests_severity", 2]))
