"""The generating topics of the labelled topic corpus: each a name, its terms and sentences with {t} slots.

Written for this repository. Topics share the developer's everyday vocabulary (tests, errors, config, deploys), so
they overlap the way real work does; what separates them is the subject.
"""

TOPICS = {
    "flaky-parallel-tests": (["pytest-xdist", "worker", "fixture", "tmp_path", "session-scoped", "-n auto", "race", "flaky"], [
        "The {t} tests fail only when pytest-xdist runs them in parallel.",
        "Two workers write the same {t} file, so whichever finishes last wins.",
        "With -n auto the session-scoped fixture is created once per worker, not once per run.",
        "I made the fixture use tmp_path_factory so each worker gets its own {t} folder.",
        "The flaky test passes alone and fails in the full run; {t} is shared state.",
        "Marking it with xdist_group keeps the {t} tests on one worker."]),
    "postgres-migrations": (["alembic", "migration", "NOT NULL", "lock", "backfill", "index CONCURRENTLY", "downgrade", "schema"], [
        "The alembic migration that adds a {t} column locks the orders table for minutes.",
        "Split it: add the column nullable, backfill in batches, then set NOT NULL.",
        "CREATE INDEX CONCURRENTLY cannot run inside the migration's transaction.",
        "The downgrade drops the {t} column but forgets the index.",
        "Use a lock_timeout so a blocked migration fails fast instead of queueing every query behind it.",
        "Autogenerate missed the {t} server default; I wrote that part by hand."]),
    "redis-rate-limiting": (["token bucket", "Redis", "Lua script", "429", "Retry-After", "burst", "EVALSHA", "fail open"], [
        "The rate limiter needs a {t} shared by all pods, so it lives in Redis.",
        "A Lua script makes the read-refill-take step atomic; two pods can't both take the last token.",
        "Clients get 429 with Retry-After rounded up to whole seconds.",
        "If Redis is down the limiter should fail open and count it in a metric.",
        "The burst of 20 passes and the 21st request gets {t}.",
        "Keys expire once the bucket would be full again so idle clients cost nothing."]),
    "docker-build-cache": (["Dockerfile", "layer cache", "BuildKit", "--mount=type=cache", "multi-stage", "image size", "COPY", "buildx"], [
        "The docker build reinstalls every dependency because COPY . . comes before pip install.",
        "Copy the lock file first, install, then copy the source, and the {t} survives code changes.",
        "BuildKit's --mount=type=cache keeps the pip cache between builds without putting it in the image.",
        "A multi-stage Dockerfile drops the compilers; the image went from 1.2 GB to 180 MB.",
        "In CI the {t} is empty on every runner unless buildx exports it to the registry.",
        "The .dockerignore was missing, so node_modules went into the build context."]),
    "react-state": (["useEffect", "useState", "re-render", "TanStack Query", "stale closure", "memo", "context", "dependency array"], [
        "The component re-renders in a loop because the {t} sets state it depends on.",
        "A stale closure: the interval callback still sees the first value of the counter.",
        "Move the server data into TanStack Query and keep only UI state in useState.",
        "The context value is a new object on every render, so every consumer re-renders.",
        "Wrapping the row in memo did nothing because the onClick prop changes each time.",
        "The {t} is missing a dependency, which eslint's exhaustive-deps rule would have caught."]),
    "kubernetes-oom": (["OOMKilled", "memory limit", "exit code 137", "requests", "JVM heap", "GOMEMLIMIT", "cgroup", "pod"], [
        "The pod restarts with OOMKilled and exit code 137 under load.",
        "The memory limit is 512Mi but the {t} grows to 600 before GC runs.",
        "Set GOMEMLIMIT a bit below the container limit so the Go GC works harder before the cgroup kills it.",
        "The JVM sizes its heap from the node's memory unless MaxRAMPercentage is set.",
        "Requests equal to limits put the pod in the Guaranteed class so it's evicted last.",
        "kubectl describe pod shows the {t} kill, not the application logs."]),
    "oauth-tokens": (["JWT", "refresh token", "audience", "clock skew", "JWKS", "expiry", "rotation", "bearer"], [
        "The API rejects the {t} because the audience claim names the old client id.",
        "Tokens issued a second in the future fail validation; allow 30 seconds of clock skew.",
        "Refresh token rotation: a reused refresh token should revoke the whole family.",
        "The JWKS cache must refetch when it sees an unknown key id after a key rotation.",
        "Short access token expiry plus a refresh token keeps a stolen {t} useful for minutes only.",
        "The mobile app sends the bearer {t} even after logout; the server needs a token version."]),
    "terraform-state": (["terraform", "state lock", "DynamoDB", "force-unlock", "plan", "drift", "module", "backend"], [
        "terraform plan hangs on acquiring the state lock held by a cancelled CI job.",
        "The {t} entry in DynamoDB still has the lock id; force-unlock it after checking nothing runs.",
        "Someone changed the security group in the console, so plan shows drift every time.",
        "Moving the resource into a module needs a moved block or terraform destroys and recreates it.",
        "The S3 backend with a DynamoDB {t} table keeps two laptops from applying at once.",
        "Pin the provider version; the new release changed the {t} default."]),
    "ci-pipeline-speed": (["GitHub Actions", "cache", "matrix", "runner", "actions/cache", "workflow", "concurrency", "artifacts"], [
        "The GitHub Actions workflow takes 25 minutes; most of it is installing dependencies again.",
        "actions/cache keyed on the lock file hash restores the {t} in ten seconds.",
        "The matrix runs every Python version on every push; run the full matrix only on main.",
        "A concurrency group cancels the previous run when a new commit arrives on the branch.",
        "Upload the test report as artifacts so a failed {t} can be read without rerunning.",
        "Split the slow integration tests into their own job that runs in parallel with the {t}."]),
    "logging-observability": (["structured logging", "trace id", "OpenTelemetry", "log level", "JSON logs", "span", "Prometheus", "correlation"], [
        "Every request should log a trace id so we can follow it across the three services.",
        "Switch to structured logging: JSON logs with the {t} as a field, not inside the message.",
        "The OpenTelemetry span for the database call is missing because the driver isn't instrumented.",
        "The log level is DEBUG in production and the disk fills with {t} noise.",
        "A Prometheus histogram of request duration beats averaging response times in the logs.",
        "Propagate the correlation id into the background jobs so their logs join the request's."]),
    "celery-queues": (["Celery", "visibility_timeout", "acks_late", "worker", "prefetch", "broker", "retry", "duplicate tasks"], [
        "Reminder emails go out twice because the Celery task outlives the broker's visibility_timeout.",
        "With acks_late the task is redelivered if the worker dies, so it must be idempotent.",
        "The {t} prefetches four tasks per process and one long task blocks the other three.",
        "Set worker_prefetch_multiplier to 1 for long tasks.",
        "The retry with exponential backoff floods the broker when the partner API is down.",
        "Duplicate tasks appear after a deploy because the old {t} still held unacked messages."]),
    "search-relevance": (["OpenSearch", "BM25", "analyzer", "synonyms", "boost", "relevance", "query_string", "reindex"], [
        "Searching for phone cases ranks the phones first; the title field needs a higher {t}.",
        "The analyzer stems 'running' to 'run' but not the product codes, which need a keyword field.",
        "Synonyms at query time avoid a full reindex when the list changes.",
        "BM25 favours short titles; tune b for the description field.",
        "query_string lets users break the query with a stray colon; use simple_query_string.",
        "The reindex with the new {t} runs into an alias so search never goes down."]),
    "timezone-bugs": (["timezone", "UTC", "date.today", "DST", "zoneinfo", "naive datetime", "midnight", "offset"], [
        "The test fails only between midnight and 2am because date.today() is local time.",
        "Store UTC and convert with zoneinfo at the edge, never naive datetimes in between.",
        "The daily report double-counts one hour on the DST change day.",
        "Comparing a naive datetime with an aware one raises a TypeError in the {t} check.",
        "The invoice due date is computed in the server's {t} instead of the customer's.",
        "Cron runs at 02:30 which doesn't exist on the spring DST night."]),
    "mobile-release": (["Expo", "EAS build", "TestFlight", "Play Console", "OTA update", "version code", "Hermes", "app store"], [
        "The EAS build for iOS fails at signing; the provisioning profile expired.",
        "An OTA update can't change native modules, so the camera fix needs a store release.",
        "The Play Console rejects the bundle because the version code didn't increase.",
        "TestFlight builds take a day to review; ship the {t} to internal testers first.",
        "Hermes makes the Android startup 40% faster but breaks the old Intl polyfill.",
        "The {t} channel for staging must not receive production updates."]),
    "sql-performance": (["EXPLAIN ANALYZE", "index", "N+1", "sequential scan", "query plan", "join", "selectinload", "slow query"], [
        "The endpoint makes 401 queries: an N+1 from lazy relationships in the serializer.",
        "EXPLAIN ANALYZE shows a sequential scan on orders because the {t} is on the wrong column order.",
        "selectinload issues one extra query per relationship instead of one per row.",
        "The slow query log shows the report's join on an unindexed foreign key.",
        "A composite index on customer_id and created_at turns the {t} into an index scan.",
        "The query plan changed after the statistics went stale; ANALYZE fixed it."]),
    "dependency-upgrades": (["upgrade", "lock file", "breaking change", "Dependabot", "changelog", "pin", "major version", "deprecation"], [
        "Dependabot opened twelve PRs; the major version bumps need the changelog read first.",
        "After the upgrade the {t} warnings became errors in the new release.",
        "Pin the transitive dependency until the upstream fix lands.",
        "The lock file drifted because someone ran install with a newer resolver.",
        "Upgrading the framework one major version at a time keeps each breaking change small.",
        "The deprecation notice says the {t} API goes away in the next major version."]),
}

GENERIC = [
    "Let me run the tests again to be sure.", "Thanks, that works.", "Can you commit this with a good message?",
    "I pushed the branch; CI is running.", "Ok, let's call it a day.", "Good catch, I hadn't thought of that.",
    "I'll write this down in the team notes.", "Let me check the logs first.", "Please keep the change small.",
    "Can you add a test for that?", "That's what I suspected.", "We can revisit this next sprint.",
]
