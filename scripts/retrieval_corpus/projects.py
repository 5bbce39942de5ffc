"""The twelve invented projects: stack, cwd, files, functions, libraries, commands.

Filler conversations are drawn from these lists, and the hand-written episodes use the same names,
so an identifier in a query usually occurs in several conversations of its project, not only in the
one that answers it.
"""

from __future__ import annotations

PROJECTS: dict[str, dict] = {}


def P(name: str, **kw) -> None:
    kw.setdefault("cwd", f"/home/dev/projects/{name}")
    PROJECTS[name] = dict(name=name, **kw)


P("ledger-core", lang="python", cwd="/home/dev/work/ledger-core",
  desc="double-entry ledger API (FastAPI, SQLAlchemy 2, Postgres, alembic)",
  files=["ledger/api/routes/entries.py", "ledger/api/routes/accounts.py", "ledger/domain/posting.py",
         "ledger/domain/balances.py", "ledger/statements/rollup.py", "ledger/db/session.py", "ledger/db/models.py",
         "ledger/fx/rates.py", "ledger/settings.py", "migrations/env.py", "tests/domain/test_posting.py",
         "tests/statements/test_rollup.py", "tests/api/test_entries.py", "tests/conftest.py"],
  funcs=["post_journal_entry", "reverse_entry", "account_balance", "sum_entries", "close_period", "get_session",
         "LedgerEntry", "JournalLine", "Account", "convert_amount", "load_fx_rates", "StatementBuilder",
         "idempotency_key_guard", "ensure_balanced"],
  libs=[("fastapi", "0.115.4"), ("sqlalchemy", "2.0.36"), ("alembic", "1.14.0"), ("asyncpg", "0.30.0"),
        ("pydantic", "2.9.2"), ("pytest", "8.3.3"), ("httpx", "0.27.2")],
  test="pytest -q", test_one="pytest tests/domain/test_posting.py -q", lint="ruff check ledger tests",
  build="docker build -t ledger-core:dev .", run="uvicorn ledger.api.app:app --reload",
  config=["LEDGER_DB_URL", "ledger.settings.pool_size", "STATEMENT_CURRENCY", "FX_RATES_TTL_SECONDS"],
  branches=["main", "feat/period-close", "fix/statement-rounding", "chore/deps-sqlalchemy", "perf/balances"])

P("notify-worker", lang="python",
  desc="email/push notification worker (Python, Redis, first Celery then dramatiq)",
  files=["notify/tasks/email.py", "notify/tasks/push.py", "notify/templates/render.py", "notify/broker.py",
         "notify/settings.py", "notify/providers/ses.py", "notify/providers/fcm.py", "notify/dedupe.py",
         "tests/test_email_tasks.py", "tests/test_render.py", "deploy/worker.Dockerfile"],
  funcs=["send_invoice_reminder", "send_push_batch", "render_template", "DedupeStore", "mark_sent",
         "SesClient", "FcmClient", "build_broker", "schedule_digest", "retry_backoff"],
  libs=[("celery", "5.3.6"), ("dramatiq", "1.17.0"), ("redis", "5.2.0"), ("jinja2", "3.1.4"), ("boto3", "1.35.40")],
  test="pytest -q", test_one="pytest tests/test_email_tasks.py -q", lint="ruff check notify",
  build="docker build -f deploy/worker.Dockerfile -t notify-worker .", run="dramatiq notify.tasks --processes 2 --threads 8",
  config=["NOTIFY_BROKER_URL", "SES_REGION", "DIGEST_HOUR_LOCAL", "notify.settings.max_retries"],
  branches=["main", "feat/digest-email", "chore/drop-celery", "fix/duplicate-reminders"])

P("ml-features", lang="python",
  desc="feature pipeline for churn models (pandas then polars, parquet on S3, Airflow DAGs)",
  files=["features/build_daily.py", "features/joins.py", "features/io/s3.py", "features/schemas.py",
         "dags/daily_features.py", "features/monitoring/drift.py", "tests/test_joins.py", "notebooks/eda_churn.ipynb",
         "Dockerfile", "pyproject.toml"],
  funcs=["build_daily_features", "join_events_to_accounts", "read_partition", "write_partition", "FeatureSchema",
         "compute_psi", "rolling_activity", "dedupe_events", "load_accounts_snapshot"],
  libs=[("pandas", "2.2.3"), ("polars", "1.12.0"), ("pyarrow", "17.0.0"), ("s3fs", "2024.10.0"),
        ("apache-airflow", "2.10.2"), ("scikit-learn", "1.5.2")],
  test="pytest tests -q", test_one="pytest tests/test_joins.py -q", lint="ruff check features dags",
  build="docker build -t ml-features:latest .", run="python -m features.build_daily --date 2026-07-01",
  config=["FEATURES_BUCKET", "features.settings.partition_cols", "AIRFLOW__CORE__PARALLELISM", "DRIFT_PSI_THRESHOLD"],
  branches=["main", "feat/polars-joins", "fix/psi-nan", "chore/airflow-2.10"])

P("devtools-cli", lang="python",
  desc="internal developer CLI `dt` (typer, packaged with uv, pre-commit hooks)",
  files=["src/dt/cli.py", "src/dt/commands/release.py", "src/dt/commands/env.py", "src/dt/config.py",
         "src/dt/git.py", "tests/test_release.py", "pyproject.toml", ".pre-commit-config.yaml", "noxfile.py"],
  funcs=["bump_version", "load_config", "release", "changelog_since", "current_branch", "run_git", "env_doctor",
         "resolve_profile", "DtConfig"],
  libs=[("typer", "0.12.5"), ("rich", "13.9.2"), ("tomli", "2.0.2"), ("packaging", "24.1"), ("ruff", "0.7.1")],
  test="uv run pytest -q", test_one="uv run pytest tests/test_release.py -q", lint="uv run ruff check .",
  build="uv build", run="uv run dt --help",
  config=["DT_PROFILE", "tool.dt.default_remote", "tool.ruff.line-length", "DT_NO_COLOR"],
  branches=["main", "feat/release-notes", "fix/py310-compat", "chore/ruff-0.7"])

P("chat-gateway", lang="ts",
  desc="websocket chat gateway (Node 20, TypeScript, ws, ioredis pub/sub, behind an AWS ALB)",
  files=["src/server.ts", "src/ws/connection.ts", "src/ws/heartbeat.ts", "src/pubsub/redis.ts",
         "src/auth/verifyToken.ts", "src/rooms/presence.ts", "src/metrics.ts", "test/heartbeat.test.ts",
         "package.json", "tsconfig.json", "Dockerfile"],
  funcs=["handleUpgrade", "startHeartbeat", "subscribeRoom", "publishMessage", "verifyToken", "PresenceTracker",
         "closeIdleSockets", "createRedisClient", "broadcastToRoom"],
  libs=[("ws", "8.18.0"), ("ioredis", "5.4.1"), ("typescript", "5.6.3"), ("vitest", "2.1.4"), ("pino", "9.5.0")],
  test="npm test", test_one="npx vitest run test/heartbeat.test.ts", lint="npx eslint src --ext .ts",
  build="npm run build", run="npm run dev",
  config=["GATEWAY_PORT", "REDIS_URL", "HEARTBEAT_INTERVAL_MS", "server.keepAliveTimeout"],
  branches=["main", "fix/alb-resets", "feat/presence", "perf/redis-fanout"])

P("storefront-web", lang="ts",
  desc="e-commerce storefront (Next.js 14 app router, React 18, TanStack Query, Stripe)",
  files=["app/(shop)/products/[slug]/page.tsx", "app/checkout/page.tsx", "components/CartDrawer.tsx",
         "components/PriceTag.tsx", "lib/api/client.ts", "lib/stripe/createCheckoutSession.ts", "next.config.mjs",
         "middleware.ts", "tests/e2e/checkout.spec.ts", "package.json"],
  funcs=["createCheckoutSession", "useCart", "fetchProduct", "PriceTag", "CartDrawer", "revalidateProduct",
         "formatMoney", "getServerSideProps", "useProductQuery"],
  libs=[("next", "14.2.15"), ("react", "18.3.1"), ("@tanstack/react-query", "5.59.16"), ("stripe", "17.2.1"),
        ("playwright", "1.48.2")],
  test="npm run test", test_one="npx playwright test tests/e2e/checkout.spec.ts", lint="npm run lint",
  build="npm run build", run="npm run dev",
  config=["NEXT_PUBLIC_API_URL", "STRIPE_WEBHOOK_TOLERANCE", "images.remotePatterns", "revalidate"],
  branches=["main", "feat/react-query", "fix/hydration-price", "perf/lcp-hero"])

P("mobile-app", lang="ts",
  desc="React Native app (Expo SDK 51, EAS builds, Hermes)",
  files=["app/(tabs)/index.tsx", "app/login.tsx", "src/api/auth.ts", "src/api/refreshToken.ts", "src/store/session.ts",
         "app.config.ts", "eas.json", "android/app/build.gradle", "ios/Podfile", "package.json"],
  funcs=["refreshAccessToken", "useSession", "LoginScreen", "registerForPush", "apiFetch", "persistSession",
         "OfflineBanner", "useFeatureFlag"],
  libs=[("expo", "51.0.38"), ("react-native", "0.74.5"), ("expo-updates", "0.25.27"), ("zustand", "4.5.5"),
        ("@react-native-async-storage/async-storage", "1.23.1")],
  test="npx jest", test_one="npx jest src/api/refreshToken.test.ts", lint="npx eslint . --ext .ts,.tsx",
  build="eas build --platform android --profile preview", run="npx expo start",
  config=["EXPO_PUBLIC_API_URL", "runtimeVersion", "updates.fallbackToCacheTimeout", "android.versionCode"],
  branches=["main", "fix/token-refresh-race", "feat/offline-banner", "chore/expo-51"])

P("infra-live", lang="hcl",
  desc="Terraform for AWS (EKS, RDS, S3) plus Helm values, applied from GitHub Actions",
  files=["envs/prod/main.tf", "envs/prod/backend.tf", "envs/staging/main.tf", "modules/eks/main.tf",
         "modules/rds/main.tf", "modules/rds/variables.tf", "helm/values/chat-gateway.yaml",
         "helm/values/search-svc.yaml", ".github/workflows/terraform.yml", "Makefile"],
  funcs=["module.eks", "module.rds", "aws_db_parameter_group.main", "aws_s3_bucket.artifacts", "helm_release.ingress",
         "aws_iam_role.node", "kubernetes_namespace.apps"],
  libs=[("terraform", "1.9.8"), ("hashicorp/aws", "5.72.1"), ("helm", "3.16.2"), ("kubectl", "1.30.5"), ("tflint", "0.53.0")],
  test="terraform validate", test_one="tflint --recursive", lint="terraform fmt -check -recursive",
  build="terraform plan -out=tfplan", run="terraform apply tfplan",
  config=["instance_class", "max_connections", "desired_size", "idle_timeout", "ingress.annotations"],
  branches=["main", "feat/eks-1.30", "fix/rds-params", "chore/provider-5.72"])

P("logtail-rs", lang="rust",
  desc="log shipper in Rust (tokio, serde, tails files and ships batches over HTTP)",
  files=["src/main.rs", "src/tail.rs", "src/batch.rs", "src/ship.rs", "src/config.rs", "src/parse/json.rs",
         "src/parse/logfmt.rs", "tests/tail_rotation.rs", "Cargo.toml", "benches/parse.rs"],
  funcs=["Tailer::poll", "BatchBuilder::push", "Shipper::send_batch", "parse_line", "Config::from_file",
         "RotationWatcher", "backoff_delay", "LineBuf"],
  libs=[("tokio", "1.41.0"), ("serde", "1.0.214"), ("reqwest", "0.12.9"), ("notify", "6.1.1"), ("criterion", "0.5.1")],
  test="cargo test", test_one="cargo test --lib batch::", lint="cargo clippy --all-targets -- -D warnings",
  build="cargo build --release", run="cargo run -- --config logtail.toml",
  config=["batch.max_bytes", "ship.endpoint", "tail.poll_interval_ms", "RUST_LOG"],
  branches=["main", "fix/rotation-inode", "perf/parse-simd", "feat/logfmt"])

P("search-svc", lang="go",
  desc="product search API in Go (OpenSearch, chi router, pprof, Prometheus)",
  files=["cmd/search-svc/main.go", "internal/search/query.go", "internal/search/indexer.go",
         "internal/opensearch/client.go", "internal/http/handlers.go", "internal/http/middleware.go",
         "internal/config/config.go", "internal/search/query_test.go", "go.mod", "Makefile"],
  funcs=["BuildQuery", "Indexer.BulkIndex", "NewClient", "SearchHandler", "withTimeout", "LoadConfig",
         "synonymsFor", "scoreBoost", "reindexAlias"],
  libs=[("github.com/opensearch-project/opensearch-go/v4", "v4.3.0"), ("github.com/go-chi/chi/v5", "v5.1.0"),
        ("github.com/prometheus/client_golang", "v1.20.5"), ("go", "1.23.2")],
  test="go test ./...", test_one="go test ./internal/search -run TestBuildQuery -v", lint="golangci-lint run",
  build="go build ./cmd/search-svc", run="go run ./cmd/search-svc",
  config=["SEARCH_INDEX_ALIAS", "OPENSEARCH_URL", "bulk.flush_bytes", "http.read_timeout"],
  branches=["main", "fix/goroutine-leak", "feat/synonyms", "perf/bulk-indexing"])

P("auth-server", lang="java",
  desc="OAuth2/OIDC auth server (Java 21, Spring Boot 3, Postgres, Flyway, Redis sessions)",
  files=["src/main/java/com/acme/auth/TokenService.java", "src/main/java/com/acme/auth/JwtConfig.java",
         "src/main/java/com/acme/auth/SecurityConfig.java", "src/main/java/com/acme/auth/RefreshTokenRepository.java",
         "src/main/resources/application.yml", "src/main/resources/db/migration/V12__refresh_token_family.sql",
         "src/test/java/com/acme/auth/TokenServiceTest.java", "build.gradle.kts"],
  funcs=["TokenService.issueAccessToken", "TokenService.rotateRefreshToken", "JwtConfig.jwtDecoder",
         "SecurityConfig.filterChain", "RefreshTokenRepository.revokeFamily", "ClockSkewValidator", "JwksController"],
  libs=[("spring-boot", "3.3.5"), ("spring-security", "6.3.4"), ("flyway", "10.20.1"), ("nimbus-jose-jwt", "9.41.2"),
        ("testcontainers", "1.20.3")],
  test="./gradlew test", test_one="./gradlew test --tests TokenServiceTest", lint="./gradlew spotlessCheck",
  build="./gradlew bootJar", run="./gradlew bootRun",
  config=["spring.datasource.hikari.maximum-pool-size", "auth.token.access-ttl", "auth.jwks.rotation-days",
          "spring.session.redis.namespace"],
  branches=["main", "feat/refresh-rotation", "fix/clock-skew", "chore/boot-3.3"])

P("dbt-warehouse", lang="sql",
  desc="analytics warehouse in dbt (Snowflake in prod, DuckDB locally), dagster schedules",
  files=["models/staging/stg_orders.sql", "models/marts/fct_revenue_daily.sql", "models/marts/dim_customers.sql",
         "models/intermediate/int_sessions_stitched.sql", "macros/generate_schema_name.sql", "dbt_project.yml",
         "profiles.yml", "models/marts/_marts.yml", "snapshots/customers_snapshot.sql"],
  funcs=["fct_revenue_daily", "dim_customers", "stg_orders", "int_sessions_stitched", "generate_schema_name",
         "is_incremental()", "customers_snapshot"],
  libs=[("dbt-core", "1.8.8"), ("dbt-snowflake", "1.8.4"), ("dbt-duckdb", "1.8.4"), ("sqlfluff", "3.2.5")],
  test="dbt test", test_one="dbt test --select fct_revenue_daily", lint="sqlfluff lint models",
  build="dbt build --target dev", run="dbt run --select marts",
  config=["+materialized", "unique_key", "on_schema_change", "snowflake_warehouse"],
  branches=["main", "feat/revenue-daily", "fix/late-orders", "chore/dbt-1.8"])
