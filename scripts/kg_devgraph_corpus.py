"""Texts for scripts/make_kg_devgraph.py: an invented developer's Session Buddy knowledge graph.

One small company (Acme) seen through one developer's notes: projects, the libraries, services and
tools they use, files, tests, concepts, people and teams, and errors met along the way. Everything is
invented (public library and service names are used as names only). Each entry of RELATIONS is TRUE;
the generator decides (fixed seed) whether an observation states it, names it in other words, hints at
it without the name, or says nothing, and how often the user's conversations name both ends.

ENTITIES: name -> (type, own observations, hint, aliases, popularity)
- own observations: what the user noted about the entity itself (never names a related entity).
- hint: how someone related to it would describe it without naming it ("" = no such phrase).
- aliases: other surface forms used in conversations ("Postgres", first names, bare file names).
- popularity: weight for being mentioned in passing (status updates, asides); 1 = ordinary.
"""

from __future__ import annotations

E = {}


def ent(name, etype, obs, hint="", aliases=(), pop=1.0):
    assert name.casefold() not in {k.casefold() for k in E}, name
    E[name] = (etype, list(obs), hint, list(aliases), pop)


# ---------------------------------------------------------------- projects
ent("acme-api", "project", ["public REST API for the customer portal: accounts, orders, API keys", "Python 3.12, about 1.2k rps at peak"],
    "calls the public REST API", pop=4)
ent("acme-web", "project", ["customer-facing storefront and account pages", "server-side rendered"], "the storefront front end", pop=2)
ent("acme-worker", "project", ["background jobs for the API: exports, emails, cleanups", "runs 6 worker pods"], "offloads slow work to background jobs", pop=1.5)
ent("api", "project", ["the legacy Django monolith everyone still calls api", "slowly being strangled, new endpoints go elsewhere"],
    "", aliases=["the monolith"], pop=2)
ent("billing", "project", ["invoices, payment retries and refunds for subscriptions", "owns the invoices table"], "charges customers and issues invoices", pop=2)
ent("billing-worker", "project", ["sends dunning emails and retries failed charges on a schedule"], "", pop=1)
ent("ledger", "project", ["double-entry ledger in Go, the source of truth for balances", "append-only postings table"], "records every money movement as postings", pop=1.5)
ent("search-indexer", "project", ["keeps the product search index in sync with catalogue changes"], "keeps the search index fresh", pop=1)
ent("notify", "project", ["email, SMS and push notifications from one queue", "per-user channel preferences"], "sends user notifications", pop=1)
ent("gateway", "project", ["edge gateway: TLS, routing, auth checks, per-client quotas"], "sits behind the edge gateway", pop=2)
ent("auth", "project", ["issues and validates JWTs for internal services", "signing keys rotate every 30 days"], "validates tokens with the auth service", pop=2)
ent("infra", "project", ["Terraform for the AWS accounts: VPCs, clusters, databases", "one directory per environment"], "infrastructure declared as code", pop=1.5)
ent("data-pipeline", "project", ["hourly jobs loading product events into the warehouse"], "loads events into the warehouse", pop=1)
ent("ml-ranker", "project", ["learning-to-rank model reordering search results", "retrained weekly"], "reranks search results with a model", pop=1)
ent("mobile-bff", "project", ["backend-for-frontend for the iOS and Android apps"], "", pop=1)
ent("admin-ui", "project", ["internal dashboard for support staff: refunds, account lookups"], "", pop=1)
ent("docs", "project", ["developer documentation site", "built on every merge to main"], "documented in the developer docs", pop=1.5)
ent("acme-cli", "project", ["command-line client for developers and support"], "", pop=1)
ent("config", "project", ["repo of deployment values and feature flags for every service", "changes need two approvals"],
    "its deployment values live in the shared config repo", pop=3)
ent("geo-service", "project", ["distance and delivery-zone lookups over HTTP"], "looks up delivery zones", pop=1)
ent("pricing", "project", ["computes prices, discounts and taxes for carts"], "asks for cart prices", pop=1)
ent("inventory", "project", ["stock levels per warehouse, written in Go"], "checks stock levels", pop=1)
ent("scheduler", "project", ["internal cron replacement that enqueues periodic jobs"], "periodic jobs are enqueued by a central scheduler", pop=1.5)
ent("status-page", "project", ["public status page with incident history"], "", pop=0.7)

# ---------------------------------------------------------------- libraries
ent("fastapi", "library", ["Python web framework with type-hinted request handlers", "generates OpenAPI docs"],
    "async HTTP endpoints with generated OpenAPI docs", aliases=["FastAPI"], pop=2)
ent("starlette", "library", ["ASGI toolkit"], "", pop=0.5)
ent("pydantic", "library", ["data validation with Python type hints", "v2 core in Rust"], "request bodies validated against typed models", pop=2.5)
ent("pydantic-core", "library", ["the Rust validation core of pydantic v2"], "", pop=0.3)
ent("sqlalchemy", "library", ["Python SQL toolkit and ORM", "2.0-style select() everywhere"], "ORM models with a session per request",
    aliases=["SQLAlchemy"], pop=2)
ent("alembic", "library", ["database migration tool", "autogenerate diffs models against the live schema"], "schema changes ship as versioned migrations", pop=1.2)
ent("psycopg2", "library", ["PostgreSQL driver for Python"], "", pop=1)
ent("httpx", "library", ["HTTP client with sync and async APIs", "timeouts must be set explicitly"], "outbound HTTP with an async client", pop=2)
ent("httpcore", "library", ["low-level HTTP transport under httpx"], "", pop=0.3)
ent("celery", "library", ["distributed task queue", "acks_late so a crashed worker does not lose tasks"], "jobs run in a distributed task queue", pop=1.5)
ent("kombu", "library", ["messaging library behind celery"], "", pop=0.3)
ent("redis-py", "library", ["Python client for Redis"], "", pop=0.7)
ent("stripe-python", "library", ["the payment provider's official Python client"], "calls the payment provider through its SDK", pop=1)
ent("tenacity", "library", ["retrying library", "wait_exponential with jitter"], "flaky calls retried with exponential backoff", pop=1)
ent("authlib", "library", ["OAuth and OpenID Connect library"], "OAuth flows and JWT signing", pop=0.7)
ent("jinja2", "library", ["templating engine", "autoescape on for HTML"], "renders templates with autoescaping", pop=0.8)
ent("click", "library", ["library for command-line interfaces"], "command-line options declared with decorators", pop=0.8)
ent("django", "library", ["batteries-included web framework", "still on 4.2 LTS"], "", aliases=["Django"], pop=1.2)
ent("polars", "library", ["DataFrame library with lazy frames"], "transforms tables with lazy dataframes", pop=1)
ent("duckdb", "library", ["in-process analytical SQL database"], "analytical SQL in-process over parquet", aliases=["DuckDB"], pop=1)
ent("pyarrow", "library", ["Arrow bindings, parquet reader and writer"], "writes parquet files", pop=0.6)
ent("dagster", "library", ["data orchestrator built around assets"], "pipelines are assets on a schedule", pop=0.8)
ent("numpy", "library", ["n-dimensional arrays"], "vector maths on dense arrays", pop=1)
ent("scikit-learn", "library", ["machine learning in Python"], "a gradient-boosted model", aliases=["sklearn"], pop=0.8)
ent("torch", "library", ["deep learning framework", "CPU wheels in CI"], "a neural model on CPU", aliases=["PyTorch"], pop=0.8)
ent("react", "library", ["UI component library", "hooks everywhere"], "UI built from function components", aliases=["React"], pop=1.5)
ent("next.js", "library", ["React framework with server-side rendering"], "pages are server-rendered", aliases=["Next"], pop=1)
ent("typescript", "library", ["typed JavaScript", "strict mode on"], "written in strict typed JavaScript", aliases=["TypeScript", "TS"], pop=1.2)
ent("vite", "library", ["frontend build tool with fast HMR"], "bundled with a fast dev server", pop=0.6)
ent("zod", "library", ["runtime schema validation for TypeScript"], "form input parsed with runtime schemas", pop=0.6)
ent("pgx", "library", ["PostgreSQL driver and toolkit for Go"], "", pop=0.6)
ent("zap", "library", ["fast structured logger for Go"], "structured JSON logs from Go", pop=0.6)
ent("grpc-go", "library", ["gRPC for Go", "deadlines propagate through context"], "exposes gRPC endpoints", pop=0.6)
ent("core", "library", ["in-house shared Python library: settings, logging, db session helpers", "every Python service pins it"],
    "shared settings and db session helpers", pop=4)
ent("core-testing", "library", ["test fixtures and factories shared by the Python services"], "shared test fixtures", pop=1)
ent("libgeo", "library", ["in-house C library for geodesic distances and polygon lookups", "vendored proj fork"],
    "geodesic maths in C", pop=1)
ent("libgeo-dev", "library", ["headers and static library for building against libgeo"], "", pop=0.5)
ent("libgeo-py", "library", ["Python bindings for libgeo built with cffi"], "distance lookups through C bindings", pop=0.7)
ent("acme-api-client", "library", ["generated Python client for the public API", "regenerated from the OpenAPI spec on release"],
    "talks to the API through the generated client", pop=1)
ent("apscheduler", "library", ["in-process job scheduling library"], "", pop=0.5)
ent("structlog", "library", ["structured logging for Python", "JSON renderer in production"], "structured JSON logging", pop=0.8)
ent("pytest", "library", ["Python test runner", "fixtures and parametrize"], "", pop=3)
ent("hypothesis", "library", ["property-based testing library"], "", pop=0.6)
ent("factory-boy", "library", ["test data factories"], "", pop=0.5)
ent("boto3", "library", ["AWS SDK for Python"], "calls AWS APIs", pop=1)
ent("playwright", "library", ["browser automation for end-to-end tests"], "end-to-end tests drive a headless browser", pop=0.8)

# ---------------------------------------------------------------- services
ent("postgres", "service", ["PostgreSQL 16 on RDS", "max_connections 400, pgbouncer in front"], "keeps its records in the relational database",
    aliases=["Postgres", "PostgreSQL", "the db"], pop=4)
ent("redis", "service", ["Redis 7 cluster", "eviction policy allkeys-lru"], "caches hot keys in the in-memory store", aliases=["Redis"], pop=2.5)
ent("rabbitmq", "service", ["message broker", "quorum queues"], "consumes messages from the broker", aliases=["RabbitMQ", "rabbit"], pop=1.5)
ent("kafka", "service", ["event streaming, 12 partitions per topic"], "produces events to partitioned topics", aliases=["Kafka"], pop=2)
ent("elasticsearch", "service", ["search cluster, 3 nodes", "index aliases for zero-downtime reindex"], "queries the full-text search cluster",
    aliases=["ES", "Elasticsearch"], pop=1)
ent("s3", "service", ["object storage", "versioned buckets"], "stores files in object storage", aliases=["S3"], pop=2)
ent("bigquery", "service", ["the cloud data warehouse"], "loads tables into the warehouse", aliases=["BigQuery", "BQ"], pop=0.8)
ent("stripe", "service", ["payment provider", "webhooks signed with a shared secret"], "charges cards with the payment provider", aliases=["Stripe"], pop=1.5)
ent("sendgrid", "service", ["transactional email provider"], "sends email through the email provider", aliases=["SendGrid"], pop=0.8)
ent("twilio", "service", ["SMS and voice API"], "sends SMS", aliases=["Twilio"], pop=0.6)
ent("vault", "service", ["HashiCorp Vault for secrets", "dynamic database credentials"], "reads secrets from the secrets store", aliases=["Vault"], pop=1.2)
ent("memcached", "service", ["old cache cluster only the monolith still uses"], "", pop=0.5)
ent("prod-k8s", "service", ["production Kubernetes cluster, EKS 1.29", "three node groups"], "runs on the production cluster",
    aliases=["prod cluster", "prod"], pop=3)
ent("staging-k8s", "service", ["staging Kubernetes cluster, scaled down at night"], "", aliases=["staging"], pop=2)
ent("legacy-vms", "service", ["the EC2 fleet the monolith still runs on"], "", pop=0.6)
ent("cloudflare", "service", ["CDN, DNS and WAF"], "behind the CDN", aliases=["Cloudflare", "CF"], pop=1)
ent("sentry", "service", ["error tracking", "release health per deploy"], "reports exceptions to the error tracker", aliases=["Sentry"], pop=2)
ent("datadog", "service", ["metrics, APM and logs"], "ships traces to the APM vendor", aliases=["Datadog", "DD"], pop=1.5)
ent("github-actions", "service", ["CI runners", "self-hosted runners for the Go builds"], "CI runs on hosted runners", aliases=["CI", "GHA"], pop=3)
ent("devpi", "service", ["internal Python package index"], "internal packages come from the private index", pop=0.8)

# ---------------------------------------------------------------- tools
ent("make", "tool", ["GNU make, every repo has a Makefile with the same targets"], "", pop=3)
ent("docker", "tool", ["container builds", "BuildKit cache mounts"], "built as a container image", aliases=["Docker"], pop=3)
ent("terraform", "tool", ["infrastructure as code", "remote state with locking"], "", aliases=["Terraform", "tf"], pop=1.2)
ent("helm", "tool", ["Kubernetes package manager", "one chart per service"], "deployed as a Helm-style chart", aliases=["Helm"], pop=1.2)
ent("kubectl", "tool", ["Kubernetes CLI"], "", pop=1.2)
ent("patch", "tool", ["GNU patch, used to apply vendored patches on top of upstream"], "", pop=0.8)
ent("git", "tool", ["version control"], "", pop=1.5)
ent("ruff", "tool", ["Python linter and formatter"], "", pop=1.2)
ent("mypy", "tool", ["static type checker for Python", "strict mode in new repos"], "", pop=1)
ent("uv", "tool", ["fast Python package manager", "lock files committed"], "", pop=1)
ent("pre-commit", "tool", ["git hook manager"], "", pop=0.8)
ent("jq", "tool", ["command-line JSON processor"], "", pop=0.8)
ent("sops", "tool", ["encrypted secrets in git"], "secrets encrypted in git", pop=0.6)
ent("envoy", "tool", ["L7 proxy", "Lua filters for auth"], "an L7 proxy with filters", aliases=["Envoy"], pop=0.8)
ent("k6", "tool", ["load testing tool"], "load tests with scripted virtual users", pop=0.6)
ent("mkdocs", "tool", ["static site generator for docs", "material theme"], "a static docs site generator", pop=0.6)

# ---------------------------------------------------------------- files
ent("acme-api/app/settings.py", "file", ["settings module, reads env vars through pydantic settings"], "", aliases=["settings.py"], pop=1)
ent("acme-api/app/routers/orders.py", "file", ["order endpoints, cursor pagination"], "", aliases=["orders.py"], pop=1)
ent("Makefile", "file", ["targets: setup, lint, test, build, deploy"], "", pop=2)
ent("docker-compose.yml", "file", ["local stack: db, cache, broker"], "", aliases=["compose file"], pop=1.2)
ent("billing/migrations/0042_invoice_currency.py", "file", ["adds a currency column to invoices and backfills it"], "",
    aliases=["0042_invoice_currency.py", "migration 0042"], pop=0.7)
ent("config/values-prod.yaml", "file", ["production values for every chart", "replica counts and resource limits"], "",
    aliases=["values-prod.yaml"], pop=1)
ent("ledger/internal/posting.go", "file", ["posting validation: debits equal credits"], "", aliases=["posting.go"], pop=0.7)
ent(".github/workflows/ci.yml", "file", ["CI workflow: lint, type check, tests, image build"], "", aliases=["ci.yml"], pop=1.2)
ent("core/db/session.py", "file", ["engine and session factory, pool settings"], "", aliases=["session.py"], pop=1)
ent("search-indexer/mapping.json", "file", ["index mapping: analyzers per language"], "", aliases=["mapping.json"], pop=0.6)
ent("infra/modules/rds/main.tf", "file", ["RDS module: instance class, parameter group, backups"], "", aliases=["main.tf"], pop=0.7)
ent("gateway/envoy.yaml", "file", ["listeners, routes and the rate-limit filter"], "", aliases=["envoy.yaml"], pop=0.8)
ent("notify/templates/receipt.html", "file", ["receipt email template"], "", aliases=["receipt.html"], pop=0.5)
ent("acme-web/next.config.js", "file", ["image domains, rewrites to the API"], "", aliases=["next.config.js"], pop=0.6)
ent("api/patches/django-admin-csrf.patch", "file", ["backport of the admin CSRF fix onto our Django"], "",
    aliases=["django-admin-csrf.patch"], pop=0.5)
ent("libgeo/src/proj.c", "file", ["projection maths, the hot loop"], "", aliases=["proj.c"], pop=0.5)
ent("data-pipeline/assets/orders.py", "file", ["orders asset, hourly partitions"], "", pop=0.6)
ent("pyproject.toml", "file", ["dependency pins and tool settings"], "", pop=1.5)
ent("auth/keys/rotation.py", "file", ["signing key rotation job"], "", aliases=["rotation.py"], pop=0.5)
ent("scheduler/jobs.yaml", "file", ["the list of periodic jobs and their cron expressions"], "", aliases=["jobs.yaml"], pop=0.6)
ent("acme-worker/tasks/export.py", "file", ["CSV export task, streams rows"], "", aliases=["export.py"], pop=0.5)
ent("k6/checkout.js", "file", ["load test script for the checkout path"], "", aliases=["checkout.js"], pop=0.4)

# ---------------------------------------------------------------- tests (suites and single tests)
ent("acme-api-tests", "test", ["the API's integration suite, about 1,400 tests", "runs against a throwaway database"], "", pop=1.5)
ent("billing-tests", "test", ["billing's test suite"], "", pop=1)
ent("acme-web-e2e", "test", ["end-to-end browser suite for the storefront"], "", pop=1)
ent("core-tests", "test", ["unit tests of the shared library"], "", pop=0.8)
ent("ledger-tests", "test", ["table-driven Go tests for the ledger"], "", pop=0.7)
for _name, _obs in [
    ("test_orders_pagination", "cursor pagination returns every order exactly once"),
    ("test_api_key_scopes", "a key without the orders:write scope gets 403"),
    ("test_rate_limit_429", "the 101st request in a minute gets 429 with Retry-After"),
    ("test_token_refresh", "an expired access token is renewed with the refresh cookie"),
    ("test_key_rotation_overlap", "tokens signed with the previous key validate during the overlap window"),
    ("test_refund_partial", "a partial refund lowers the invoice balance and emails a credit note"),
    ("test_invoice_currency", "invoices keep the currency they were issued in"),
    ("test_idempotent_charge", "replaying a charge with the same key does not charge twice"),
    ("test_dunning_schedule", "reminders go out on days 1, 3 and 7 after a failed payment"),
    ("test_ledger_balance_invariant", "the sum of all postings is zero after any sequence of transfers"),
    ("test_posting_rejects_unbalanced", "an unbalanced posting is rejected"),
    ("test_reindex_alias_swap", "a full reindex swaps the alias with no downtime"),
    ("test_sms_fallback", "falls back to SMS when push is not delivered in five minutes"),
    ("test_receipt_render", "the receipt template renders totals with two decimals"),
    ("test_checkout_flow", "guest checkout from product page to confirmation"),
    ("test_cart_badge", "the cart badge updates after adding a product"),
    ("test_session_pool_overflow", "opening more sessions than the pool size waits instead of failing"),
    ("test_settings_env_override", "environment variables override the settings file"),
    ("test_export_streams_csv", "a 1M-row export streams without loading everything in memory"),
    ("test_zone_lookup", "a postcode resolves to its delivery zone"),
    ("test_distance_antimeridian", "distances across the antimeridian are correct"),
    ("test_price_rounding", "cart totals round half-even per line"),
    ("test_stock_never_negative", "stock levels never go below zero"),
    ("test_bff_partial_response", "the home screen loads when recommendations fail"),
    ("test_cli_login", "the CLI stores a token after login"),
    ("test_ranker_features", "features are scaled with training-time statistics"),
    ("test_orders_asset_backfill", "backfilling one partition is idempotent"),
    ("test_jobs_yaml_valid", "every cron expression in the job list parses"),
    ("test_gateway_auth_header", "requests without a bearer token get 401 at the edge"),
    ("test_admin_refund_permission", "the refund button is hidden without the billing role"),
]:
    ent(_name, "test", [_obs], "", pop=0.5)

# ---------------------------------------------------------------- concepts
ent("rate limiting", "concept", ["cap requests per client per window", "token bucket"], "throttles each client to a quota", pop=1)
ent("idempotency keys", "concept", ["retried requests with the same key are applied once"], "a retried request is applied once", pop=1)
ent("OAuth2 token refresh", "concept", ["exchange a refresh token for a new access token"], "expired tokens renewed with a refresh token", pop=0.7)
ent("event sourcing", "concept", ["state as an append-only log of events"], "state rebuilt by replaying events", pop=0.7)
ent("double-entry bookkeeping", "concept", ["every movement is a debit and an equal credit"], "debits always equal credits", pop=0.6)
ent("circuit breaker", "concept", ["stop calling a failing dependency for a while"], "stops calling a failing upstream for a cool-down", pop=0.8)
ent("retries with backoff", "concept", ["retry with growing, jittered delays"], "", pop=1)
ent("cursor pagination", "concept", ["opaque cursors instead of offsets"], "pages through results with opaque cursors", pop=0.7)
ent("feature flags", "concept", ["toggle behaviour at runtime per user or percentage"], "behaviour toggled at runtime", pop=1)
ent("blue-green deploys", "concept", ["two identical environments, switch traffic at once"], "", pop=0.6)
ent("connection pooling", "concept", ["reuse database connections across requests"], "reuses database connections", pop=1)
ent("cache invalidation", "concept", ["deciding when cached data is stale"], "", pop=0.8)
ent("schema migrations", "concept", ["versioned, reversible database changes"], "", pop=0.8)
ent("dead letter queue", "concept", ["messages that keep failing are parked for inspection"], "failed messages parked for inspection", pop=0.6)
ent("backpressure", "concept", ["slow producers down when consumers lag"], "", pop=0.6)
ent("zero-downtime reindex", "concept", ["build a new index, then swap the alias"], "", pop=0.5)
ent("observability", "concept", ["logs, metrics and traces that answer new questions"], "", pop=0.8)

# ---------------------------------------------------------------- people and teams
ent("platform-team", "organization", ["owns clusters, CI and the shared libraries"], "", aliases=["platform"], pop=1.5)
ent("payments-team", "organization", ["owns billing, ledger and pricing"], "", aliases=["payments"], pop=1)
ent("growth-team", "organization", ["storefront, notifications and the mobile apps"], "", aliases=["growth"], pop=1)
ent("data-team", "organization", ["warehouse, pipelines and the ranking model"], "", aliases=["data"], pop=1)
for _name, _obs, _first in [
    ("Priya Raman", "platform lead, approves infra changes", "Priya"),
    ("Mark Okafor", "payments engineer, on call in even weeks", "Mark"),
    ("Will Chen", "staff engineer, wrote most of the gateway", "Will"),
    ("Dana Kowalski", "data engineer", "Dana"),
    ("Jonas Berg", "SRE, knows the cluster inside out", "Jonas"),
    ("Sofia Alvarez", "frontend engineer", "Sofia"),
    ("Tom Becker", "payments engineer, ledger expert", "Tom"),
    ("Aisha Nwosu", "ML engineer", "Aisha"),
    ("Lena Fischer", "backend engineer, new in March", "Lena"),
    ("Raj Patel", "mobile backend engineer", "Raj"),
    ("Grace Kim", "engineering manager", "Grace"),
]:
    ent(_name, "person", [_obs], "", aliases=[_first], pop=1.2)

# ---------------------------------------------------------------- errors
ent("QueuePool limit of size 5 overflow 10 reached", "error", ["requests time out waiting for a db connection under load"], "",
    aliases=["QueuePool overflow"], pop=0.8)
ent("too many connections", "error", ["FATAL: sorry, too many clients already"], "", aliases=["OperationalError: too many connections"], pop=0.8)
ent("CSRF verification failed", "error", ["403 on the admin after the cookie domain change"], "", aliases=["CSRF error"], pop=0.5)
ent("CardError: card_declined", "error", ["declined cards raise instead of returning a status"], "", aliases=["card_declined"], pop=0.6)
ent("InvoiceCurrencyMismatch", "error", ["raised when a refund's currency differs from the invoice's"], "", pop=0.5)
ent("CrashLoopBackOff", "error", ["pod restarts forever, usually a missing env var"], "", pop=1)
ent("OOMKilled", "error", ["container exceeded its memory limit"], "", pop=0.8)
ent("x509: certificate signed by unknown authority", "error", ["Go client does not trust the internal CA"], "",
    aliases=["x509 unknown authority"], pop=0.5)
ent("deadlock detected", "error", ["two transfers lock the same accounts in opposite order"], "", pop=0.5)
ent("ReadTimeout", "error", ["outbound call exceeded its read timeout"], "", pop=0.8)
ent("Hydration failed", "error", ["server and client render differ"], "", aliases=["hydration mismatch"], pop=0.5)
ent("ModuleNotFoundError: No module named 'core'", "error", ["image built without the private index"], "", aliases=["No module named 'core'"], pop=0.5)
ent("consumer lag", "error", ["the indexer falls minutes behind the topic"], "", pop=0.6)
ent("segfault in libgeo", "error", ["null polygon pointer on empty zones"], "", aliases=["segfault"], pop=0.4)
ent("429 Too Many Requests", "error", ["clients hitting the quota"], "", aliases=["429s"], pop=0.8)
ent("JWT signature verification failed", "error", ["token signed with a key that was already rotated out"], "", aliases=["invalid signature"], pop=0.5)
ent("stale search results", "error", ["products show old prices in search"], "", pop=0.5)

# ---------------------------------------------------------------- true relations (source, relation, target)
R = []


def rel(src, relation, *targets):
    for t in targets:
        R.append((src, relation, t))


# projects -> libraries / tools / services / concepts / platforms
rel("acme-api", "uses", "fastapi", "pydantic", "sqlalchemy", "alembic", "core", "httpx", "structlog", "pytest", "make", "docker", "uv", "ruff")
rel("acme-api", "connects_to", "postgres", "redis", "sentry")
rel("acme-api", "depends_on", "auth", "pricing", "inventory")
rel("acme-api", "deployed_to", "prod-k8s", "staging-k8s")
rel("acme-api", "implements", "rate limiting", "cursor pagination", "idempotency keys")
rel("acme-web", "uses", "react", "next.js", "typescript", "zod", "playwright", "docker")
rel("acme-web", "depends_on", "acme-api")
rel("acme-web", "connects_to", "cloudflare", "sentry")
rel("acme-web", "implements", "feature flags")
rel("acme-worker", "uses", "celery", "core", "sqlalchemy", "boto3", "make", "docker")
rel("acme-worker", "connects_to", "rabbitmq", "postgres", "s3")
rel("acme-worker", "part_of", "acme-api")
rel("acme-worker", "deployed_to", "prod-k8s")
rel("api", "uses", "django", "psycopg2", "celery", "patch", "make")
rel("api", "connects_to", "postgres", "memcached", "rabbitmq")
rel("api", "deployed_to", "legacy-vms")
rel("billing", "uses", "fastapi", "pydantic", "sqlalchemy", "alembic", "stripe-python", "tenacity", "core", "pytest", "uv")
rel("billing", "connects_to", "postgres", "stripe", "sentry")
rel("billing", "depends_on", "ledger", "notify")
rel("billing", "deployed_to", "prod-k8s")
rel("billing", "implements", "idempotency keys", "retries with backoff")
rel("billing-worker", "uses", "celery", "stripe-python", "core", "tenacity")
rel("billing-worker", "connects_to", "rabbitmq", "stripe")
rel("billing-worker", "part_of", "billing")
rel("billing-worker", "implements", "retries with backoff", "dead letter queue")
rel("ledger", "uses", "pgx", "zap", "grpc-go", "make", "docker")
rel("ledger", "connects_to", "postgres")
rel("ledger", "deployed_to", "prod-k8s")
rel("ledger", "implements", "double-entry bookkeeping", "event sourcing")
rel("search-indexer", "uses", "httpx", "core", "tenacity")
rel("search-indexer", "connects_to", "elasticsearch", "kafka")
rel("search-indexer", "implements", "zero-downtime reindex", "backpressure")
rel("notify", "uses", "jinja2", "httpx", "celery", "core")
rel("notify", "connects_to", "sendgrid", "twilio", "rabbitmq")
rel("gateway", "uses", "envoy", "docker")
rel("gateway", "depends_on", "auth")
rel("gateway", "deployed_to", "prod-k8s")
rel("gateway", "connects_to", "redis", "cloudflare")
rel("gateway", "implements", "rate limiting", "circuit breaker")
rel("auth", "uses", "authlib", "pydantic", "core", "fastapi")
rel("auth", "connects_to", "redis", "vault")
rel("auth", "implements", "OAuth2 token refresh")
rel("auth", "deployed_to", "prod-k8s")
rel("infra", "uses", "terraform", "helm", "sops", "make")
rel("infra", "provisions", "prod-k8s", "staging-k8s", "postgres", "redis", "s3", "rabbitmq", "elasticsearch")
rel("data-pipeline", "uses", "dagster", "polars", "duckdb", "pyarrow", "core")
rel("data-pipeline", "connects_to", "s3", "bigquery", "kafka")
rel("ml-ranker", "uses", "numpy", "scikit-learn", "torch", "polars")
rel("ml-ranker", "depends_on", "search-indexer", "data-pipeline")
rel("ml-ranker", "connects_to", "s3")
rel("mobile-bff", "uses", "fastapi", "httpx", "acme-api-client")
rel("mobile-bff", "depends_on", "acme-api", "billing")
rel("mobile-bff", "implements", "circuit breaker")
rel("admin-ui", "uses", "react", "typescript", "vite", "zod")
rel("admin-ui", "depends_on", "acme-api", "billing")
rel("docs", "uses", "mkdocs", "make")
rel("docs", "deployed_to", "cloudflare")
rel("acme-cli", "uses", "click", "httpx", "acme-api-client")
rel("acme-cli", "depends_on", "acme-api")
rel("config", "configures", "acme-api", "billing", "gateway", "auth", "notify", "ledger", "acme-worker")
rel("config", "uses", "helm", "sops")
rel("config", "deployed_to", "prod-k8s", "staging-k8s")
rel("config", "implements", "feature flags", "blue-green deploys")
rel("geo-service", "uses", "libgeo-py", "fastapi")
rel("geo-service", "connects_to", "redis")
rel("pricing", "uses", "core", "pydantic", "fastapi")
rel("pricing", "depends_on", "geo-service")
rel("inventory", "uses", "pgx", "zap", "grpc-go")
rel("inventory", "connects_to", "postgres", "kafka")
rel("scheduler", "uses", "apscheduler", "core")
rel("scheduler", "depends_on", "acme-worker", "billing-worker")
rel("status-page", "uses", "next.js", "react")
rel("status-page", "connects_to", "datadog")
for _p in ("acme-api", "billing", "ledger", "gateway", "auth", "inventory"):
    rel(_p, "connects_to", "datadog")
for _p in ("acme-api", "acme-web", "billing", "ledger", "core", "data-pipeline", "auth"):
    rel(_p, "uses", "github-actions")
rel("core", "uses", "devpi")
rel("acme-api", "uses", "mypy", "pre-commit")
rel("core", "uses", "mypy", "ruff", "uv")
rel("infra", "uses", "jq", "git", "kubectl")
rel("acme-api", "uses", "k6")

# library -> library
rel("fastapi", "depends_on", "starlette", "pydantic")
rel("pydantic", "depends_on", "pydantic-core")
rel("httpx", "depends_on", "httpcore")
rel("celery", "depends_on", "kombu")
rel("alembic", "depends_on", "sqlalchemy")
rel("core", "depends_on", "structlog", "sqlalchemy", "pydantic")
rel("core-testing", "depends_on", "core", "pytest", "factory-boy", "hypothesis")
rel("libgeo-dev", "depends_on", "libgeo")
rel("libgeo-py", "depends_on", "libgeo")
rel("libgeo-py", "part_of", "libgeo")
rel("libgeo", "uses", "patch", "make")
rel("acme-api-client", "depends_on", "httpx", "pydantic")
rel("acme-api-client", "part_of", "acme-api")
rel("next.js", "depends_on", "react")
rel("redis-py", "connects_to", "redis")
rel("acme-worker", "uses", "redis-py")
rel("dagster", "depends_on", "pydantic")

# files
rel("acme-api/app/settings.py", "part_of", "acme-api")
rel("acme-api/app/settings.py", "uses", "pydantic")
rel("acme-api/app/routers/orders.py", "part_of", "acme-api")
rel("acme-api/app/routers/orders.py", "implements", "cursor pagination")
rel("Makefile", "part_of", "acme-api", "api", "core")
rel("Makefile", "uses", "make")
rel("docker-compose.yml", "part_of", "acme-api", "billing")
rel("docker-compose.yml", "uses", "docker")
rel("billing/migrations/0042_invoice_currency.py", "part_of", "billing")
rel("billing/migrations/0042_invoice_currency.py", "uses", "alembic")
rel("billing/migrations/0042_invoice_currency.py", "fixes", "InvoiceCurrencyMismatch")
rel("config/values-prod.yaml", "part_of", "config")
rel("config/values-prod.yaml", "fixes", "OOMKilled")
rel("ledger/internal/posting.go", "part_of", "ledger")
rel("ledger/internal/posting.go", "implements", "double-entry bookkeeping")
rel(".github/workflows/ci.yml", "part_of", "acme-api")
rel(".github/workflows/ci.yml", "uses", "github-actions", "ruff", "mypy")
rel("core/db/session.py", "part_of", "core")
rel("core/db/session.py", "fixes", "QueuePool limit of size 5 overflow 10 reached")
rel("core/db/session.py", "implements", "connection pooling")
rel("search-indexer/mapping.json", "part_of", "search-indexer")
rel("search-indexer/mapping.json", "fixes", "stale search results")
rel("infra/modules/rds/main.tf", "part_of", "infra")
rel("infra/modules/rds/main.tf", "fixes", "too many connections")
rel("gateway/envoy.yaml", "part_of", "gateway")
rel("gateway/envoy.yaml", "uses", "envoy")
rel("notify/templates/receipt.html", "part_of", "notify")
rel("acme-web/next.config.js", "part_of", "acme-web")
rel("api/patches/django-admin-csrf.patch", "part_of", "api")
rel("api/patches/django-admin-csrf.patch", "fixes", "CSRF verification failed")
rel("api/patches/django-admin-csrf.patch", "uses", "patch")
rel("libgeo/src/proj.c", "part_of", "libgeo")
rel("libgeo/src/proj.c", "fixes", "segfault in libgeo")
rel("data-pipeline/assets/orders.py", "part_of", "data-pipeline")
rel("data-pipeline/assets/orders.py", "uses", "polars")
rel("pyproject.toml", "part_of", "acme-api", "core")
rel("pyproject.toml", "uses", "uv", "ruff")
rel("auth/keys/rotation.py", "part_of", "auth")
rel("auth/keys/rotation.py", "fixes", "JWT signature verification failed")
rel("scheduler/jobs.yaml", "part_of", "scheduler")
rel("acme-worker/tasks/export.py", "part_of", "acme-worker")
rel("acme-worker/tasks/export.py", "fixes", "OOMKilled")
rel("k6/checkout.js", "uses", "k6")
rel("k6/checkout.js", "part_of", "acme-api")

# tests
rel("acme-api-tests", "tests", "acme-api")
rel("acme-api-tests", "uses", "pytest", "core-testing")
rel("billing-tests", "tests", "billing")
rel("billing-tests", "uses", "pytest", "core-testing", "hypothesis")
rel("acme-web-e2e", "tests", "acme-web")
rel("acme-web-e2e", "uses", "playwright")
rel("core-tests", "tests", "core")
rel("core-tests", "uses", "pytest", "hypothesis")
rel("ledger-tests", "tests", "ledger")
for _t, _target, _suite in [
    ("test_orders_pagination", "acme-api", "acme-api-tests"), ("test_api_key_scopes", "acme-api", "acme-api-tests"),
    ("test_rate_limit_429", "gateway", None), ("test_token_refresh", "auth", None),
    ("test_key_rotation_overlap", "auth/keys/rotation.py", None), ("test_refund_partial", "billing", "billing-tests"),
    ("test_invoice_currency", "billing", "billing-tests"), ("test_idempotent_charge", "billing", "billing-tests"),
    ("test_dunning_schedule", "billing-worker", None), ("test_ledger_balance_invariant", "ledger", "ledger-tests"),
    ("test_posting_rejects_unbalanced", "ledger/internal/posting.go", "ledger-tests"),
    ("test_reindex_alias_swap", "search-indexer", None), ("test_sms_fallback", "notify", None),
    ("test_receipt_render", "notify/templates/receipt.html", None), ("test_checkout_flow", "acme-web", "acme-web-e2e"),
    ("test_cart_badge", "acme-web", "acme-web-e2e"), ("test_session_pool_overflow", "core/db/session.py", "core-tests"),
    ("test_settings_env_override", "acme-api/app/settings.py", "acme-api-tests"),
    ("test_export_streams_csv", "acme-worker/tasks/export.py", None), ("test_zone_lookup", "geo-service", None),
    ("test_distance_antimeridian", "libgeo", None), ("test_price_rounding", "pricing", None),
    ("test_stock_never_negative", "inventory", None), ("test_bff_partial_response", "mobile-bff", None),
    ("test_cli_login", "acme-cli", None), ("test_ranker_features", "ml-ranker", None),
    ("test_orders_asset_backfill", "data-pipeline/assets/orders.py", None), ("test_jobs_yaml_valid", "scheduler/jobs.yaml", None),
    ("test_gateway_auth_header", "gateway", None), ("test_admin_refund_permission", "admin-ui", None),
]:
    rel(_t, "tests", _target)
    if _suite:
        rel(_t, "part_of", _suite)
rel("test_invoice_currency", "tests", "InvoiceCurrencyMismatch", "billing/migrations/0042_invoice_currency.py")
rel("test_reindex_alias_swap", "related_to", "zero-downtime reindex")
rel("test_token_refresh", "related_to", "OAuth2 token refresh")
rel("test_ledger_balance_invariant", "related_to", "double-entry bookkeeping")
rel("infra/modules/rds/main.tf", "provisions", "postgres")
rel("test_session_pool_overflow", "tests", "QueuePool limit of size 5 overflow 10 reached")

# errors: where they occur, what causes them, concepts
rel("QueuePool limit of size 5 overflow 10 reached", "occurs_in", "acme-api")
rel("QueuePool limit of size 5 overflow 10 reached", "caused_by", "sqlalchemy")
rel("QueuePool limit of size 5 overflow 10 reached", "related_to", "connection pooling")
rel("too many connections", "occurs_in", "billing")
rel("too many connections", "caused_by", "postgres")
rel("too many connections", "related_to", "connection pooling")
rel("CSRF verification failed", "occurs_in", "api")
rel("CSRF verification failed", "caused_by", "django")
rel("CardError: card_declined", "occurs_in", "billing-worker")
rel("CardError: card_declined", "caused_by", "stripe-python")
rel("InvoiceCurrencyMismatch", "occurs_in", "billing")
rel("CrashLoopBackOff", "occurs_in", "notify")
rel("CrashLoopBackOff", "caused_by", "config")
rel("OOMKilled", "occurs_in", "acme-worker", "ml-ranker")
rel("x509: certificate signed by unknown authority", "occurs_in", "ledger")
rel("x509: certificate signed by unknown authority", "caused_by", "vault")
rel("deadlock detected", "occurs_in", "ledger")
rel("deadlock detected", "caused_by", "postgres")
rel("ReadTimeout", "occurs_in", "mobile-bff", "search-indexer")
rel("ReadTimeout", "caused_by", "httpx")
rel("ReadTimeout", "related_to", "circuit breaker")
rel("Hydration failed", "occurs_in", "acme-web")
rel("Hydration failed", "caused_by", "next.js")
rel("ModuleNotFoundError: No module named 'core'", "occurs_in", "scheduler")
rel("ModuleNotFoundError: No module named 'core'", "caused_by", "devpi")
rel("consumer lag", "occurs_in", "search-indexer")
rel("consumer lag", "caused_by", "kafka")
rel("consumer lag", "related_to", "backpressure")
rel("segfault in libgeo", "occurs_in", "geo-service")
rel("segfault in libgeo", "caused_by", "libgeo")
rel("429 Too Many Requests", "occurs_in", "gateway")
rel("429 Too Many Requests", "related_to", "rate limiting")
rel("JWT signature verification failed", "occurs_in", "auth")
rel("stale search results", "occurs_in", "search-indexer")
rel("stale search results", "related_to", "cache invalidation")

# concepts among themselves
rel("retries with backoff", "related_to", "circuit breaker", "idempotency keys", "dead letter queue")
rel("event sourcing", "related_to", "double-entry bookkeeping")
rel("blue-green deploys", "related_to", "feature flags")
rel("schema migrations", "related_to", "alembic")
rel("zero-downtime reindex", "related_to", "elasticsearch")
rel("connection pooling", "related_to", "postgres")
rel("backpressure", "related_to", "kafka")
rel("observability", "related_to", "datadog", "sentry", "structlog")

# people and teams
rel("platform-team", "owns", "core", "infra", "prod-k8s", "staging-k8s", "github-actions", "config", "gateway", "devpi")
rel("payments-team", "owns", "billing", "billing-worker", "ledger", "pricing")
rel("growth-team", "owns", "acme-web", "notify", "mobile-bff", "admin-ui")
rel("data-team", "owns", "data-pipeline", "ml-ranker", "search-indexer")
rel("Priya Raman", "member_of", "platform-team")
rel("Priya Raman", "owns", "infra", "config")
rel("Mark Okafor", "member_of", "payments-team")
rel("Mark Okafor", "owns", "billing", "billing-worker")
rel("Will Chen", "member_of", "platform-team")
rel("Will Chen", "owns", "gateway", "auth")
rel("Dana Kowalski", "member_of", "data-team")
rel("Dana Kowalski", "owns", "data-pipeline")
rel("Jonas Berg", "member_of", "platform-team")
rel("Jonas Berg", "owns", "prod-k8s", "github-actions")
rel("Sofia Alvarez", "member_of", "growth-team")
rel("Sofia Alvarez", "owns", "acme-web", "admin-ui")
rel("Tom Becker", "member_of", "payments-team")
rel("Tom Becker", "owns", "ledger")
rel("Aisha Nwosu", "member_of", "data-team")
rel("Aisha Nwosu", "owns", "ml-ranker")
rel("Lena Fischer", "member_of", "growth-team")
rel("Lena Fischer", "owns", "notify")
rel("Raj Patel", "member_of", "growth-team")
rel("Raj Patel", "owns", "mobile-bff")
rel("Grace Kim", "member_of", "platform-team", "payments-team")
rel("acme-api", "owned_by", "platform-team")
rel("Will Chen", "owns", "acme-api")

# ---------------------------------------------------------------- observation texts
# How a relation reads when an observation of the source names the target.
# "stated": the Session Buddy verbs evidence.py knows (uses, depends on, connects to, part of, implements, ...)
STATED = {
    "uses": ["uses {t}", "uses {t} since the rewrite"], "depends_on": ["depends on {t}"], "connects_to": ["connects to {t}"],
    "part_of": ["part of {t}"], "implements": ["implements {t}"], "deployed_to": ["deployed to {t}", "runs on {t}"],
    "tests": ["tests {t}", "covers {t}"], "fixes": ["fixes {t}"], "occurs_in": ["seen in {t}", "occurs in {t}"],
    "caused_by": ["caused by {t}"], "configures": ["configures {t}"], "provisions": ["provisions {t}"],
    "related_to": ["see {t}", "related to {t}"], "owns": ["owns {t}", "maintains {t}"], "member_of": ["member of {t}", "in {t}"],
    "owned_by": ["owned by {t}"],
}
# "named": the target named, without a relation verb
NAMED = {
    "uses": ["{t} pinned to an old minor version", "bumped {t} last sprint", "{t} upgrade planned", "{t} config lives in the repo root"],
    "depends_on": ["calls {t} on every request", "needs {t} up to start", "breaks when {t} is down"],
    "connects_to": ["{t} credentials come from the secrets store", "{t} timeouts set to 2s", "talks to {t}"],
    "part_of": ["lives in the {t} repo", "in {t}"], "implements": ["{t} done the simple way for now"],
    "deployed_to": ["{t} only since 2025", "ships to {t} on merge"], "tests": ["regression test for {t}"],
    "fixes": ["the fix for {t}"], "occurs_in": ["{t} logs show it after deploys"], "caused_by": ["blame {t}"],
    "configures": ["values for {t}"], "provisions": ["{t} defined here"], "related_to": ["compare {t}"],
    "owns": ["ask about {t}"], "member_of": ["{t} person"], "owned_by": ["{t} decides"],
}
GENERIC_OBSERVATIONS = [
    "needs cleanup", "discussed in standup", "TODO: add more tests", "low priority for now", "ping the owner before changing",
    "v2 planned for Q3", "flaky on CI sometimes", "docs are out of date", "see the runbook", "on the deprecation list",
    "migrated last quarter", "hard to run locally", "coverage around 70%", "ownership unclear", "revisit after the freeze",
]
# Observations naming an entity that is NOT related (everyday words, comparisons, abandoned choices).
PROSE_NOT_RELATED = [
    ("acme-api", "make sure migrations run before the pods roll"),
    ("billing", "considered kafka for invoice events but dropped the idea"),
    ("ledger", "unlike billing there is no ORM here"),
    ("notify", "the core loop is a single consumer per channel"),
    ("gateway", "config reloads without a restart"),
    ("search-indexer", "replaced a nightly cron with this; docs still mention the old job"),
    ("acme-web", "the api calls all go through one fetch wrapper"),
    ("infra", "never patch prod by hand"),
    ("ml-ranker", "tried redis as a feature store, too expensive"),
    ("inventory", "Will rewrite the reservation logic next quarter"),
    ("pricing", "mark prices as stale after 10 minutes"),
    ("docker", "make targets wrap every docker command"),
    ("data-pipeline", "the ledger team wants a copy of the hourly exports"),
    ("mobile-bff", "same stack as geo-service but no C bindings"),
    ("status-page", "uses the same incident template as the docs site"),
]

# ---------------------------------------------------------------- conversation texts
# Sentences naming both ends of a relation, per relation type ({a} = source, {b} = target).
CONV_RELATION = {
    "uses": ["{a} pulls in {b} and the lock file is out of date", "after bumping {b}, {a}'s build fails with an import error",
             "why does {a} pin {b} to such an old version?", "is {b} really needed in {a}, or can we drop it?",
             "{a} hits a deprecation warning from {b} on every start"],
    "depends_on": ["{a} times out when {b} is slow", "{a} calls {b} on the hot path", "if {b} is down, {a} returns 502s",
                   "{a} needs {b} running locally to start"],
    "connects_to": ["{a} can't reach {b} after the network change", "{a} opens too many connections to {b}",
                    "{a}'s {b} credentials expired overnight", "latency between {a} and {b} doubled"],
    "deployed_to": ["{a} deploy to {b} is stuck", "rolling {a} out on {b} takes 15 minutes", "{a} pods keep restarting on {b}"],
    "implements": ["how does {a} do {b}?", "{a}'s take on {b} is too naive", "we should document {b} in {a}"],
    "part_of": ["{a} in {b} has grown too big", "who changed {a} in {b}?", "{a} ({b}) needs a review"],
    "tests": ["{a} fails against {b} after the refactor", "{a} is flaky since the last change to {b}", "{a} caught a real bug in {b}",
              "{a} started failing after someone touched {b}"],
    "fixes": ["{a} should fix {b}", "after {a} landed, {b} went away", "{a} was the fix for {b}"],
    "occurs_in": ["{b} throws {a} in production", "{a} again in {b} logs", "{a} showed up in {b} after the deploy"],
    "caused_by": ["{a} traces back to {b}", "{a} is {b}'s fault, not ours", "{b} is behind the {a}"],
    "configures": ["{a} change broke {b}", "{b}'s values in {a} are wrong", "update {a} for the new {b} flag"],
    "provisions": ["{a} plan wants to replace {b}", "{b} is defined in {a}", "{a} drift on {b}"],
    "related_to": ["{a} and {b} go together here", "read up on {b} before touching {a}", "{a} vs {b}, which one applies?"],
    "owns": ["{a} owns {b}, ask before merging", "{a} is reviewing {b} changes", "{a} wants {b} cleaned up"],
    "member_of": ["{a} from {b} joined the call", "{a} moved to {b}", "{b} sent {a} to help"],
    "owned_by": ["{b} is responsible for {a}", "{b} wants a design doc for {a}"],
}
# "uses" when the source is not a project (a file, a test, a library, a person).
CONV_USES_OTHER = ["{a} relies on {b}", "{a} breaks with the newest {b}", "does {a} still need {b}?", "{a} only works with {b} installed"]
# Sentences about one entity.
CONV_SINGLE = ["{x} needs attention this week", "looked at {x} again", "{x} is fine now", "{x} came up in the review",
               "anything new on {x}?", "there is an open ticket about {x}"]
# Status-update lines (stand-ups): unrelated entities land in one note.
STATUS = ["reviewed {x}", "bumped {x}", "fixed a typo in {x}", "{x}: waiting for review", "paired on {x}", "closed the ticket about {x}",
          "read the {x} changelog", "{x} is blocked", "started on {x}", "demoed {x}"]
# Filler: no entity named, but everyday words that are also entity names, used as plain words.
FILLER = [
    "Let me make sure I understand the failure first.", "The core problem is ordering, not speed.",
    "Can you check the config before we redeploy?", "That API is not meant to be called in a loop.",
    "I'd rather apply a small patch than refactor now.", "Let's look at the logs from the last hour.",
    "The docs say the default is 30 seconds.", "Add a test so it does not come back.", "We can ship this behind a flag.",
    "Will this break anything for existing clients?", "Mark the old endpoint as deprecated.",
    "It only happens under load, never locally.", "Try it on staging first.", "What changed since yesterday?",
    "The retry loop hides the real error.", "Keep the change small and reversible.", "We should make a checklist for this.",
    "It's a core dump, so the process crashed hard.", "Patch releases only, no minor bumps this week.",
    "The config was copied from an old branch.", "Rolling back is cheaper than debugging live.",
    "Make the timeout explicit.", "This is the core of the issue.", "The API returns 500 with an empty body.",
]
ASSISTANT = [
    "Start by reproducing it with logging at debug level, then compare the two runs line by line.",
    "The usual cause is a timeout that is too long upstream and too short downstream; align them and add a retry budget.",
    "Pin the version, add the upgrade to the backlog, and write down why it is pinned.",
    "That looks like a resource limit rather than a code bug. Check the container's limits and the pool sizes.",
    "Split the change in two: first the schema, then the code that uses it, deployed separately.",
    "I'd add a regression test that fails on the current code before changing anything.",
    "Check whether the error started with the last deploy; if so, diff the two releases.",
    "Make the dependency explicit and fail fast at start-up when it is missing.",
    "A circuit around the slow call plus a short timeout keeps the rest of the request path healthy.",
    "Look at the connection count over time; a leak shows as a slow climb, a burst as a spike.",
    "Read the changelog between the two versions first; breaking changes are usually listed under a migration note.",
    "If it only fails in CI, compare the environment: Python version, locale, time zone and parallelism.",
    "Roll back first, then investigate with the old and new builds side by side.",
    "A flaky test is a bug somewhere; quarantine it with a ticket rather than retrying it silently.",
    "Put the limit in configuration, not code, so that it can change without a release.",
    "The error message is misleading: the real failure is earlier in the log, look for the first traceback.",
    "Measure before tuning: a p99 latency graph per endpoint will tell you where the time goes.",
    "Write the invariant down as a test; then the refactor can be as bold as you like.",
]
# What the assistant says about one of the named entities.
ASSISTANT_ABOUT = ["For {x} specifically, check the version and the settings it runs with.",
                   "With {x}, look at what changed in the last release.", "{x}'s defaults are rarely right for production.",
                   "I would not touch {x} until the incident is closed.", "Is {x} on the latest patch version?",
                   "Check {x}'s own logs around the same minute."]
