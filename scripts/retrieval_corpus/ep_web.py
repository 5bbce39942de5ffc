"""Hand-written episodes of the TypeScript projects: chat-gateway, storefront-web, mobile-app."""

from __future__ import annotations

from retrieval_corpus.steps import A, Also, Bash, Edit, Ep, Grep, Q, Read, U, Write, ep, numbered

EPISODES: list[Ep] = []
add = EPISODES.append

# =============================================================================================
# chat-gateway
# =============================================================================================

add(ep("cg_alb_econnreset", "chat-gateway",
       "Clients behind the ALB get sporadic 502s on the REST side of the gateway (/v1/rooms/:id/history), and the ALB access log shows `elb_status_code=502 target_status_code=-`. In our pino logs there's nothing, but the Node side sometimes logs `Error: read ECONNRESET` from the health checker. Only in prod.",
       "A 502 with `target_status_code=-` means the ALB sent the request on a connection the target had already closed. The ALB keeps idle connections to targets open for its idle timeout (ours: 60 s, `idle_timeout.timeout_seconds`), while Node's HTTP server closes idle keep-alive sockets after `server.keepAliveTimeout`, default 5 seconds. So between second 5 and 60 the ALB may reuse a socket Node is closing: race, reset, 502.\n\nThe rule is: the target's keep-alive timeout must be longer than the load balancer's idle timeout. Set `server.keepAliveTimeout = 65_000` and `server.headersTimeout = 66_000` (headersTimeout must be larger than keepAliveTimeout, otherwise Node < 18.? can drop sockets early).",
       tools=[Grep("keepAliveTimeout|headersTimeout", "", path="src"),
              Bash("aws elbv2 describe-load-balancer-attributes --load-balancer-arn $ALB_ARN --query \"Attributes[?Key=='idle_timeout.timeout_seconds']\"", "[\n    {\n        \"Key\": \"idle_timeout.timeout_seconds\",\n        \"Value\": \"60\"\n    }\n]")],
       ack="Let me check what the server sets and what the ALB's idle timeout is.",
       fix=[Edit("/home/dev/projects/chat-gateway/src/server.ts", "const server = http.createServer(app);", "const server = http.createServer(app);\n// ALB idle timeout is 60s: keep sockets open longer so the ALB closes first\nserver.keepAliveTimeout = 65_000;\nserver.headersTimeout = 66_000;")],
       done="Deployed to staging; a 30-minute run of the synthetic client (1 request every 7 s per connection, which hits exactly the 5-60 s window) gave 0 502s, before it was ~1.2%.",
       evidence=("server.keepAliveTimeout = 65_000", "aws elbv2 describe-load-balancer-attributes"), date="2026-05-14", branch="fix/alb-resets",
       also=(Also("reflection", "chat-gateway: 502s from the ALB with target_status_code '-' were Node closing idle keep-alive sockets after 5s while the ALB reuses them for 60s. Rule: server.keepAliveTimeout = 65_000 (> ALB idle timeout), headersTimeout above it.", tags=("chat-gateway", "aws", "node")),),
       queries=(Q("near_miss", "ECONNRESET and 502s from the ALB on the REST endpoints", project=True,
                  note="storefront-web and mobile-app have ECONNRESET with other causes"),
                Q("paraphrase", "why did the gateway return bad gateway errors only in production"),
                Q("identifier", "server.keepAliveTimeout headersTimeout ALB"))))

add(ep("cg_maxlisteners", "chat-gateway",
       "Memory of the gateway pods grows ~150 MB/hour until they're OOMKilled, and we see\n\n```\n(node:1) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 message listeners added to [Redis]. Use emitter.setMaxListeners() to increase limit\n```",
       "The warning names the culprit: listeners on the shared ioredis subscriber. `subscribeRoom` (src/pubsub/redis.ts) does `sub.on('message', handler)` for every websocket that joins a room, and the handler is never removed when the socket closes; each closure holds the socket and its buffers, so closed sockets can't be collected.\n\nDon't attach per-socket listeners to the Redis client at all. Attach exactly one `message` listener at startup that dispatches by channel to a `Map<string, Set<WebSocket>>`, subscribe to the Redis channel when a room's set goes from 0 to 1 member and unsubscribe when it goes back to 0. On socket `close`, remove it from its rooms. Raising `setMaxListeners` would only hide the leak.",
       tools=[Grep("sub.on\\(", "src/pubsub/redis.ts:31:  sub.on('message', (channel, msg) => {\nsrc/rooms/presence.ts:12:  sub.on('message', onPresence);")],
       verify=[Bash("npx vitest run test/rooms.test.ts", " ✓ test/rooms.test.ts (6 tests) 212ms\n Test Files  1 passed (1)\n      Tests  6 passed (6)")],
       done="With a load test of 5k connect/disconnect cycles the heap returns to 180 MB after GC instead of climbing, and `sub.listenerCount('message')` stays at 1.",
       evidence=("Map<string, Set<WebSocket>>",), date="2026-06-03", branch="perf/redis-fanout",
       queries=(Q("identifier", "MaxListenersExceededWarning 11 message listeners added to [Redis]"),
                Q("near_miss", "gateway memory leak with redis", project=True,
                  note="other leaks: search-svc goroutines, logtail-rs channel"))))

add(ep("cg_subscriber_mode", "chat-gateway",
       "After adding presence I get this on the first publish:\n\n```\nReplyError: ERR Connection in subscriber mode, only subscriber commands may be used\n    at parseError (/app/node_modules/redis-parser/lib/parser.js:179:12)\n```",
       "A Redis connection that has run SUBSCRIBE can only run (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING and QUIT. `PresenceTracker` reuses the `sub` client to `HSET presence:{room}` and `PUBLISH`. Use two ioredis clients: `sub` for subscriptions only and `pub` for everything else (`createRedisClient()` twice, or `sub = pub.duplicate()`).",
       fix=[Edit("/home/dev/projects/chat-gateway/src/rooms/presence.ts", "await this.sub.hset(", "await this.pub.hset(")],
       evidence=("only subscriber commands may be used",), date="2026-06-10", branch="feat/presence",
       queries=(Q("identifier", "ERR Connection in subscriber mode"),
                Q("mixed", "PresenceTracker breaks the first publish", project=True))))

add(ep("cg_socketio_attempt", "chat-gateway",
       "We need to run more than one gateway instance. The socket.io docs say we need sticky sessions. Can we just turn on ALB stickiness?",
       "For socket.io with the polling transport, yes: the handshake and the following long-poll requests must reach the same instance, so enable target group stickiness (`stickiness.enabled=true`, `stickiness.type=lb_cookie`) and add `@socket.io/redis-adapter` so broadcasts reach sockets on other instances.",
       follow=[("stickiness is on, adapter too. but deploys are a mess: when a pod drains, all its clients reconnect at once and the lb_cookie sends half of them back to the dying pod until it's deregistered. and polling fallback doubles our request count.",
                "That's the known weakness of sticky polling. Two ways out: force `transports: ['websocket']` on the client (no polling, so no stickiness needed, but the few corporate proxies that block websockets lose the fallback), or leave socket.io for plain `ws` with our own small protocol, where every instance is stateless and fan-out goes through Redis pub/sub anyway. Let's decide after the load test.")],
       evidence=("stickiness.type=lb_cookie",), date="2026-03-24",
       queries=(Q("near_miss", "sticky sessions for the chat gateway", project=True,
                  note="abandoned; cg_ws_decision is the final decision"),)))

add(ep("cg_ws_decision", "chat-gateway",
       "Load test done. socket.io with sticky sessions: p99 fan-out latency 380 ms at 20k connections, and reconnect storms on deploy. Prototype with raw ws + Redis pub/sub: p99 45 ms, no stickiness. I want to go with ws. Anything we lose?",
       "Agreed, go with `ws`. What socket.io gave us that we now own:\n\n- heartbeats: `startHeartbeat` pings every 25 s and terminates sockets that miss two pongs (socket.io did this internally);\n- reconnect with backoff: in the web client, exponential backoff with full jitter capped at 30 s, so a deploy doesn't cause a synchronized reconnect storm;\n- rooms: our `Map<room, Set<socket>>` plus one Redis channel per room;\n- acknowledgements: messages carry a client `msgId` and the server echoes `{type: 'ack', msgId}`;\n- the polling fallback: gone. Measured: 0.3% of sessions used polling last month; they get a 'your network blocks live updates' banner and fall back to refreshing history every 15 s.\n\nThe protocol is documented in docs/protocol.md, version `chat.v2`, negotiated with `Sec-WebSocket-Protocol`.",
       evidence=("Sec-WebSocket-Protocol",), date="2026-04-08",
       also=(Also("inbox:adr-digest.jsonl", "ADR 0004 (chat-gateway): socket.io with ALB sticky sessions is replaced by plain ws + Redis pub/sub (protocol chat.v2, negotiated via Sec-WebSocket-Protocol). Load test at 20k connections: p99 fan-out 380 ms -> 45 ms; deploys no longer cause reconnect storms. Polling fallback dropped (0.3% of sessions)."),),
       queries=(Q("paraphrase", "why did we move off socket.io"),
                Q("mixed", "what happens now to users whose network blocks websockets", project=True))))

add(ep("cg_jwt_audience", "chat-gateway",
       "Since auth-server started issuing tokens for the new mobile client, websocket upgrades from mobile fail with 4401 and the gateway logs `JsonWebTokenError: jwt audience invalid. expected: chat-gateway`.",
       "`verifyToken` passes `audience: 'chat-gateway'` to `jwt.verify`, and mobile tokens carry `aud: [\"mobile-api\"]`, because auth-server issues one token per client with only that client's audience. The gateway is right to reject it: a token minted for mobile-api shouldn't be accepted by another service just because it's signed by the same issuer.\n\nThe fix belongs in auth-server's client registration: the mobile client must request `chat-gateway` as an additional audience (`resource=chat-gateway` in the token request, RFC 8707), so its tokens carry `aud: [\"mobile-api\", \"chat-gateway\"]`. On our side, accept an array: `audience: ['chat-gateway']` already matches any element, so no gateway change is needed.",
       evidence=("jwt audience invalid. expected: chat-gateway",), date="2026-09-29",
       queries=(Q("near_miss", "mobile websocket connections rejected with 4401",
                  note="other JWT problems: auth-server clock skew, mobile refresh race"),)))

add(ep("cg_floating_promises", "chat-gateway",
       "Enabled `@typescript-eslint/no-floating-promises` as you suggested and now there are 23 errors. Half are `redis.publish(...)` without await. Do I really need to await every publish?",
       "Not await, but handle: a publish whose promise rejects with nobody listening becomes an `unhandledRejection`, and since Node 15 that crashes the process by default. That is exactly how the gateway restarted during the Redis failover last month. For fire-and-forget calls write `void publishMessage(room, msg).catch(logPublishError)`: the `void` tells the rule it's intentional and the `.catch` makes sure a rejection is logged, not fatal. For the ones inside request handlers, `await` them so the client gets an error frame.",
       evidence=("void publishMessage(room, msg).catch(logPublishError)",), date="2026-07-21",
       queries=(Q("mixed", "no-floating-promises errors on publish calls", project=True),)))

# =============================================================================================
# storefront-web
# =============================================================================================

add(ep("sf_hydration_price", "storefront-web",
       "Console in prod on product pages:\n\n```\nWarning: Text content did not match. Server: \"1.299,00 €\" Client: \"€1,299.00\"\nError: Hydration failed because the initial UI does not match what was rendered on the server.\n```\nOnly for some users.",
       "`PriceTag` formats with `new Intl.NumberFormat(undefined, { style: 'currency', currency })`. `undefined` means the runtime's default locale: on the server that's the container's (`de-DE`, we set LANG in the Dockerfile), in the browser it's the user's. Users with an English browser get a different string, React detects the mismatch and throws away the server HTML.\n\nPass the locale explicitly from the route (`/de/...` -> `de-DE`) into `formatMoney(amount, currency, locale)` so server and client format identically. Don't use `suppressHydrationWarning` for this; it would hide a real difference in what users see.",
       tools=[Read("/home/dev/projects/storefront-web/components/PriceTag.tsx", numbered("export function PriceTag({ amount, currency }: Props) {\n  const text = new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);\n  return <span className=\"price\">{text}</span>;\n}"))],
       fix=[Edit("/home/dev/projects/storefront-web/components/PriceTag.tsx", "new Intl.NumberFormat(undefined, { style: 'currency', currency })", "formatMoney(amount, currency, locale)")],
       evidence=("new Intl.NumberFormat(undefined",), date="2026-05-19", branch="fix/hydration-price",
       queries=(Q("paraphrase", "prices rendered differently on server and in the browser for some visitors"),
                Q("path", "PriceTag.tsx mismatch"))))

add(ep("sf_swr_attempt", "storefront-web",
       "Let's replace our hand-rolled useEffect fetching with SWR. Start with the cart.",
       "Done for the cart: `useCart` is now `useSWR('/api/cart', fetcher, { revalidateOnFocus: true })`, and after adding an item we call `mutate('/api/cart')`. Dedupe interval is 2 s so the header badge and the drawer share one request.",
       follow=[("problem: after 'add to cart' the cart drawer and the product page's 'in your cart' hint disagree for a second, and when two adds happen fast the count goes 1, 2, 1, 2. also I have to remember every key to mutate.",
                "That's SWR's mutation story: there's no central notion of which queries a mutation affects, so we call `mutate` on each key by hand, and two in-flight revalidations can resolve out of order. SWR 2 has `useSWRMutation` with `populateCache`, but invalidating by prefix still needs the global `mutate` with a filter function. If mutations are central (cart, wishlist, checkout), TanStack Query's `invalidateQueries({ queryKey: ['cart'] })` and optimistic updates with rollback fit better. Let's not convert more pages to SWR until we've decided.")],
       evidence=("revalidateOnFocus: true",), date="2026-04-14", branch="feat/react-query",
       queries=(Q("near_miss", "cart count flickers 1 2 1 2", project=True,
                  note="abandoned SWR attempt; sf_react_query is the decision"),)))

add(ep("sf_react_query", "storefront-web",
       "Decided: TanStack Query it is. Migrate cart + product pages, and set sane defaults.",
       "Migrated. Defaults in `lib/api/queryClient.ts`: `staleTime: 30_000` for catalogue data (prices change rarely within a minute), `gcTime: 5 * 60_000`, `retry: 1` for GETs, no retry for mutations. Keys are arrays so invalidation is by prefix: `['cart']`, `['product', slug]`.\n\nAdd-to-cart uses an optimistic update: `onMutate` cancels in-flight `['cart']` queries, snapshots the old cart, writes the new one; `onError` rolls back to the snapshot; `onSettled` invalidates `['cart']`. That fixes the 1-2-1-2 flicker because cancelled queries can't overwrite the optimistic state. Server components prefetch with `queryClient.prefetchQuery` and pass state through `<HydrationBoundary>`.",
       evidence=("<HydrationBoundary>",), date="2026-04-23", branch="feat/react-query",
       also=(Also("reflection", "storefront-web: chose TanStack Query over SWR because cart mutations need prefix invalidation and optimistic updates with rollback; SWR's per-key mutate led to out-of-order cart counts. Defaults: staleTime 30s, gcTime 5min, retry 1 for queries.", tags=("storefront-web", "react", "decision")),),
       queries=(Q("paraphrase", "why didn't we keep SWR for client side fetching"),
                Q("mixed", "onMutate for add to cart, what if the request fails", project=True))))

add(ep("sf_econnreset_products", "storefront-web",
       "During the sale, server components fetching from the product API intermittently throw\n\n```\nTypeError: fetch failed\n  [cause]: Error: read ECONNRESET\n      at TLSWrap.onStreamRead (node:internal/stream_base_commons:217:20) {\n    errno: -104,\n    code: 'ECONNRESET',\n    syscall: 'read'\n  }\n```\nProduct API is the Go search-svc behind nginx.",
       "Node 18+ `fetch` is undici, which keeps a pool of keep-alive connections per origin and reuses them. nginx in front of search-svc has `keepalive_timeout 5s`... undici's default `keepAliveTimeout` is 4 s but it honours the server's `Keep-Alive: timeout=` header only if sent, and nginx sends none. During the sale the pool is busy enough that sockets are reused right at nginx's 5 s mark.\n\nFix on our side: a dedicated undici `Agent({ keepAliveTimeout: 2_000, keepAliveMaxTimeout: 4_000 })` passed as `dispatcher` for calls to the product API, and retry idempotent GETs once on `ECONNRESET`. On nginx, `keepalive_timeout 65s` would also help; I've asked infra.",
       evidence=("keepAliveMaxTimeout: 4_000",), date="2026-11-02", branch="main",
       queries=(Q("near_miss", "fetch failed ECONNRESET in server components", project=True,
                  note="chat-gateway has ECONNRESET with the ALB (server side); here the client pool"),
                Q("identifier", "undici Agent keepAliveTimeout dispatcher"))))

add(ep("sf_next_public_env", "storefront-web",
       "Staging storefront calls the PROD api. NEXT_PUBLIC_API_URL is set to the staging URL in the k8s deployment env. I even rebuilt with `docker build --no-cache`. Still prod.",
       "`NEXT_PUBLIC_*` variables are inlined into the client bundle at `next build` time, not read at runtime. Our Dockerfile runs `npm run build` in the image build, where `NEXT_PUBLIC_API_URL` comes from `.env.production` (the prod URL). The k8s env only reaches server code. That's also why `--no-cache` changed nothing: the build is deterministic, it just has the wrong value.\n\nOptions: build one image per environment with `--build-arg NEXT_PUBLIC_API_URL=...`, or stop using a NEXT_PUBLIC variable for it: have the server read `API_URL` at runtime and pass it to the client (a `/config.json` route or a prop from the root layout). I'd do the latter so one image is promoted from staging to prod.",
       evidence=("inlined into the client bundle at `next build` time",), date="2026-08-26",
       queries=(Q("paraphrase", "staging frontend talks to the production backend even though the env var says staging"),
                Q("near_miss", "rebuilt the image with --no-cache and it still has the old value",
                  note="other --no-cache / build cache episodes: ml-features pip layer"))))

add(ep("sf_stripe_webhook_sig", "storefront-web",
       "Stripe webhooks fail verification in the new app router handler:\n\n```\nStripeSignatureVerificationError: No signatures found matching the expected signature for payload. Are you passing the raw request body you received from Stripe?\n```",
       "In the app router, `await req.json()` parses and re-serialises the body, which changes whitespace and key order, so the HMAC over it doesn't match. Use the raw text: `const payload = await req.text(); stripe.webhooks.constructEvent(payload, req.headers.get('stripe-signature')!, secret)`. Also make sure the route isn't behind our middleware that rewrites locale paths, it must be excluded in the `matcher`.",
       evidence=("const payload = await req.text()",), date="2026-07-07",
       queries=(Q("identifier", "StripeSignatureVerificationError No signatures found matching the expected signature"),
                Q("mixed", "constructEvent fails in the app router route handler", project=True))))

add(ep("sf_lcp_hero", "storefront-web",
       "Lighthouse LCP on the home page is 4.1 s on mobile. The LCP element is the hero image.",
       "The hero is a `next/image` with `loading=\"lazy\"` (the default) and it's 2400px wide JPEG served to phones. Three changes: `priority` on the hero (`fetchpriority=high`, preload link, no lazy loading), `sizes=\"100vw\"` so the browser picks a 750w/1080w candidate instead of the largest, and AVIF via `images.formats: ['image/avif', 'image/webp']` in next.config.mjs. Lab LCP went from 4.1 s to 1.9 s.",
       verify=[Bash("npx lighthouse http://localhost:3000 --only-categories=performance --form-factor=mobile --quiet --output=json | jq '.audits[\"largest-contentful-paint\"].displayValue'", "\"1.9 s\"")],
       evidence=("images.formats: ['image/avif', 'image/webp']", "npx lighthouse"), date="2026-06-30", branch="perf/lcp-hero",
       queries=(Q("command", "lighthouse cli mobile performance only, print the LCP with jq"),
                Q("mixed", "home page LCP bad on mobile, next/image hero"))))

add(ep("sf_playwright_flaky", "storefront-web",
       "checkout.spec.ts fails in CI about 1 in 10 runs at `await page.click('text=Pay now')` with `Timeout 30000ms exceeded`. Trace shows the button is there.",
       "The trace shows the button present but disabled: it's enabled only after Stripe Elements reports `complete`, which takes longer on CI's slow runners. `page.click` waits for 'enabled' too, but the card iframe's `ready` sometimes arrives after our test already typed into it, so the input is lost and the form never completes.\n\nUse web-first assertions and locators: `await expect(page.frameLocator('iframe[name^=__privateStripeFrame]').getByPlaceholder('Card number')).toBeVisible()` before filling, then `await expect(page.getByRole('button', { name: 'Pay now' })).toBeEnabled()` before clicking. And run it locally with `--repeat-each=20` to see it's fixed.",
       verify=[Bash("npx playwright test tests/e2e/checkout.spec.ts --repeat-each=20 --workers=2", "Running 20 tests using 2 workers\n  20 passed (1.4m)")],
       evidence=("iframe[name^=__privateStripeFrame]", "--repeat-each=20"), date="2026-09-17",
       queries=(Q("command", "run the checkout e2e spec twenty times in a row to catch the flake", project=True),)))

# =============================================================================================
# mobile-app
# =============================================================================================

add(ep("ma_refresh_race", "mobile-app",
       "Users get logged out randomly, usually when the app comes back from background. Sentry shows bursts of `401 invalid_grant: refresh token already used` from auth-server.",
       "When the app resumes, 4-6 queries fire at once with an expired access token; each gets a 401 and each calls `refreshAccessToken()`. auth-server rotates refresh tokens and treats a second use of the same refresh token as token theft (reuse detection), so it revokes the whole token family and everyone is logged out.\n\nMake the refresh single-flight: keep one in-flight promise in the session store, and have every 401 await it instead of starting its own refresh:\n\n```ts\nlet refreshing: Promise<string> | null = null;\nexport function refreshAccessToken() {\n  refreshing ??= doRefresh().finally(() => { refreshing = null; });\n  return refreshing;\n}\n```\n\nThen retry the original request once with the new token.",
       evidence=("refreshing ??= doRefresh()",), date="2026-07-28", branch="fix/token-refresh-race",
       also=(Also("reflection", "mobile-app: random logouts on resume were parallel 401s each calling refreshAccessToken; auth-server's refresh-token reuse detection then revoked the family. Fix: single-flight refresh (one shared promise).", tags=("mobile-app", "auth")),),
       queries=(Q("paraphrase", "why were people logged out when reopening the app"),
                Q("near_miss", "refresh token already used errors from the app",
                  note="auth-server has the reuse-detection side; chat-gateway a JWT audience error"))))

add(ep("ma_codepush_attempt", "mobile-app",
       "Hotfix pushes: can we keep using CodePush now that App Center is being retired?",
       "App Center (and with it the hosted CodePush service) is retired on March 31, 2025, so the hosted service is not an option. You could self-host the open-sourced CodePush server, but then we'd run and secure an update server ourselves. Since we're on Expo SDK 51 anyway, EAS Update is the natural replacement; let's evaluate it on a branch before we commit.",
       evidence=("App Center (and with it the hosted CodePush service)",), date="2026-03-10",
       queries=(Q("near_miss", "codepush for hotfixes", project=True,
                  note="abandoned; ma_eas_update is the decision"),)))

add(ep("ma_eas_update", "mobile-app",
       "EAS Update branch test went fine. Let's set it up properly: channels, runtime version, rollback.",
       "Set up:\n\n- `runtimeVersion: { policy: 'fingerprint' }` in app.config.ts, so an update is only offered to binaries with the same native fingerprint: a JS update can never land on a binary missing the native module it needs;\n- channels `production`, `preview` mapped in eas.json build profiles; `eas update --channel production --message \"fix checkout crash\"` publishes;\n- staged rollout with `eas update --channel production --rollout-percentage 10`, then `eas update:edit` to raise it;\n- rollback: `eas update:rollback` republishes the previous update; `updates.fallbackToCacheTimeout: 0` so the app starts immediately with the cached bundle and applies the new one on next launch.",
       evidence=("runtimeVersion: { policy: 'fingerprint' }", "--rollout-percentage 10", "eas update:rollback"), date="2026-03-19", branch="chore/expo-51",
       queries=(Q("command", "publish an over the air update to ten percent of production users"),
                Q("paraphrase", "can a js update land on an app build that lacks a native module"))))

add(ep("ma_metro_econnreset", "mobile-app",
       "On my Android device the app can't load the bundle: Metro prints `Error: read ECONNRESET` and the phone shows 'Could not connect to development server'. Emulator works.",
       "The device reaches Metro through `adb reverse tcp:8081 tcp:8081`. The reverse mapping is lost when the USB connection resets (the phone was charging from a flaky hub) and `adb` silently reconnects without it. Run `adb reverse --list`: if it's empty, re-run `adb reverse tcp:8081 tcp:8081`. Alternatively start Metro with `npx expo start --lan` and let the phone connect over Wi-Fi.",
       tools=[Bash("adb reverse --list", "")],
       evidence=("adb reverse tcp:8081 tcp:8081",), date="2026-08-05",
       queries=(Q("near_miss", "ECONNRESET from metro on a real device",
                  note="ECONNRESET also in chat-gateway (ALB) and storefront (undici)"),
                Q("command", "restore the port forwarding from the phone to metro over usb"))))

add(ep("ma_gradle_oom", "mobile-app",
       "EAS Android build fails at :app:mergeReleaseResources with\n\n```\nExecution failed for task ':app:mergeDexRelease'.\n> java.lang.OutOfMemoryError: Java heap space\n```",
       "The Gradle daemon on the EAS medium worker gets the default `-Xmx2048m`; after adding the maps SDK the dex merge needs more. Set `org.gradle.jvmargs=-Xmx4g -XX:MaxMetaspaceSize=1g` in android/gradle.properties (with Expo prebuild, through the `expo-build-properties` plugin so it survives `npx expo prebuild --clean`), or use the `large` resource class in eas.json.",
       evidence=("org.gradle.jvmargs=-Xmx4g", "npx expo prebuild --clean"), date="2026-10-13",
       queries=(Q("identifier", "mergeDexRelease java.lang.OutOfMemoryError: Java heap space"),
                Q("near_miss", "Java heap space in the android build", note="other OOMs: ml-features merge, search-svc, auth-server"))))
