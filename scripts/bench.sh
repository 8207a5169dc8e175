#!/usr/bin/env bash
# Reproduces every figure of BENCHMARKS.md: criterion benches of the
# in-process paths, then HTTP load tests (wrk) against the release binary on
# loopback, each against a baseline measured in the same run.
#
#   scripts/bench.sh            everything (seeding 1,000,000 keys takes a few minutes once)
#   QUICK=1 scripts/bench.sh    HTTP figures only, 1,000 keys
#   HTTP_ONLY=1 scripts/bench.sh  HTTP figures only, both store sizes
#   CREATE_ONLY=1 scripts/bench.sh key creation through the API only (with
#                                 KEYWARD_BIN, another build's, for a baseline)
#   CACHE_ONLY=1 scripts/bench.sh the cache's figures only: forward-auth under
#                                 another organization's changes, memory per cached key
#   LIMITS_ONLY=1 scripts/bench.sh forward-auth for keys with a rate limit or
#                                 credits against unlimited keys, in memory and
#                                 with Redis (KEYWARD_BENCH_REDIS_URL, default
#                                 redis://127.0.0.1:6379)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
WORK=${BENCH_DIR:-/tmp/keyward-bench}
DURATION=${DURATION:-10s}
CONNECTIONS=64
PORT=18181
export KEYWARD_SECRET=bench-secret-bench-secret-bench-secret-0123
ADMIN=bench-admin-bench-admin-bench-admin-0123456
mkdir -p "$WORK"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
cargo build --release -q -p keyward -p keyward-server --bins --example seed --example revocation --example cache_memory
# KEYWARD_BIN runs another build of the server (an earlier commit's, say) for a comparison.
KEYWARD_BIN=${KEYWARD_BIN:-target/release/keyward}

if [ -z "${QUICK:-}${HTTP_ONLY:-}${CACHE_ONLY:-}${CREATE_ONLY:-}${LIMITS_ONLY:-}" ]; then
  echo "== criterion (in-process)"
  cargo bench -q -p keyward-core --bench core -- --warm-up-time 1 --measurement-time 5 2>/dev/null | grep -E 'time:|^[a-zA-Z]'
  cargo bench -q -p keyward-server --bench verify -- --warm-up-time 2 --measurement-time 5 2>/dev/null | grep -E 'time:|^[a-zA-Z]'
fi

cat > "$WORK/forward.toml" <<'TOML'
[forward_auth]
# forward.lua asks as Traefik does (X-Forwarded-Method, X-Forwarded-Uri).
proxy = "traefik"
default = "allow-authenticated"
TOML

cat > "$WORK/verify.lua" <<'LUA'
local keys = {}
function init(args)
  for line in io.lines(args[1]) do keys[#keys + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
function request()
  local key = keys[math.random(#keys)]
  return wrk.format("POST", "/api/v1/keys/verify",
    { ["x-api-key"] = ADMIN, ["content-type"] = "application/json" },
    '{"key":"' .. key .. '","permission":"keys:read"}')
end
LUA
sed -i "s/ADMIN/\"$ADMIN\"/" "$WORK/verify.lua"

cat > "$WORK/empty.lua" <<'LUA'
local keys = {}
function init(args)
  for line in io.lines(args[1]) do keys[#keys + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
function request()
  return wrk.format("GET", "/healthz", { ["x-api-key"] = keys[math.random(#keys)] })
end
LUA

cat > "$WORK/forward.lua" <<'LUA'
local keys = {}
function init(args)
  for line in io.lines(args[1]) do keys[#keys + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
function request()
  return wrk.format("GET", "/api/v1/auth/forward",
    { ["x-api-key"] = keys[math.random(#keys)], ["x-forwarded-method"] = "GET", ["x-forwarded-uri"] = "/api/things/1" })
end
LUA

start_server() { # data_dir [extra flags...]
  local dir=$1; shift
  local started; started=$(date +%s%N)
  "$KEYWARD_BIN" serve --data-dir "$dir" --listen 127.0.0.1:$PORT --admin-key "$ADMIN" \
    --no-bootstrap-user --log warn --config "$WORK/forward.toml" "$@" &
  SERVER=$!
  until curl -sf http://127.0.0.1:$PORT/readyz >/dev/null; do sleep 0.01; done
  echo "   start-up until ready: $(( ($(date +%s%N) - started) / 1000000 )) ms"
}
stop_server() { kill -TERM "$SERVER"; wait "$SERVER" || true; }

load() { # label url [script sample]
  local label=$1 url=$2; shift 2
  local out
  if [ $# -gt 0 ]; then
    out=$(wrk -t2 -c$CONNECTIONS -d"$DURATION" --latency -s "$1" "$url" -- "$2")
  else
    out=$(wrk -t2 -c$CONNECTIONS -d"$DURATION" --latency "$url")
  fi
  local rps p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '   %-34s %10s req/s   p99 %8s   non-2xx %s\n' "$label" "$rps" "$p99" "${errors:-0}"
}

seed_once() { # dir keys sample_size keys_per_org
  if [ ! -f "$1/seeded" ]; then
    rm -rf "$1"
    echo "== seeding $2 keys, $4 per organization"
    target/release/examples/seed "$1" "$2" "$1/sample.txt" "$3" "$4"
    touch "$1/seeded"
  fi
}
metric() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v name="$1" '$1 == name {print $2}'; }

key_creation() {
  echo "== key creation through the API (SQLite), spread over 100 organizations"
  dir="$WORK/create"; rm -rf "$dir"
  start_server "$dir" --max-keys-per-org 1000
  for i in $(seq 1 100); do
    curl -sf -X POST http://127.0.0.1:$PORT/api/v1/orgs -H "x-api-key: $ADMIN" -H 'content-type: application/json' \
      -d "{\"name\": \"Bench $i\", \"slug\": \"bench-$i\"}" >/dev/null
  done
  cat > "$WORK/create.lua" <<LUA
function request()
  return wrk.format("POST", "/api/v1/orgs/bench-" .. math.random(100) .. "/keys",
    { ["x-api-key"] = "$ADMIN", ["content-type"] = "application/json" },
    '{"name": "load", "scope": "organization", "permissions": ["keys:read"]}')
end
LUA
  load "POST /api/v1/orgs/{org}/keys" "http://127.0.0.1:$PORT" "$WORK/create.lua" /dev/null
  echo "   keys stored: $(curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^keyward_keys_created_total/ {print $2}')"
  stop_server
}

if [ -n "${CREATE_ONLY:-}" ]; then key_creation; exit 0; fi

# Keys with a rate limit (high enough never to refuse: the cost of counting)
# or credits, against unlimited keys, in the same run: 100 keys of each.
limited_keys() { # label [server flags...]
  local label=$1; shift
  local dir="$WORK/limits"; rm -rf "$dir"
  start_server "$dir" --max-keys-per-org 1000 "$@"
  curl -sf -X POST http://127.0.0.1:$PORT/api/v1/orgs -H "x-api-key: $ADMIN" -H 'content-type: application/json' \
    -d '{"name": "Limits", "slug": "limits"}' >/dev/null
  local kind extra
  for kind in unlimited ratelimit credits; do
    case $kind in
      unlimited) extra='' ;;
      ratelimit) extra=', "ratelimits": [{"name": "bench", "limit": 1000000, "duration_ms": 1000}]' ;;
      credits) extra=', "credits": {"remaining": 1000000000000}' ;;
    esac
    : > "$WORK/keys-$kind.txt"
    for _ in $(seq 1 100); do
      curl -sf -X POST http://127.0.0.1:$PORT/api/v1/orgs/limits/keys -H "x-api-key: $ADMIN" \
        -H 'content-type: application/json' -d "{\"name\": \"$kind\", \"scope\": \"organization\"$extra}" \
        | grep -o '"key":"[^"]*"' | cut -d'"' -f4 >> "$WORK/keys-$kind.txt"
    done
    wrk -t2 -c$CONNECTIONS -d3s -s "$WORK/forward.lua" "http://127.0.0.1:$PORT" -- "$WORK/keys-$kind.txt" >/dev/null
  done
  echo "== forward-auth, 100 keys of each kind, $label"
  for kind in unlimited ratelimit credits; do
    load "forward-auth, $kind" "http://127.0.0.1:$PORT" "$WORK/forward.lua" "$WORK/keys-$kind.txt"
  done
  stop_server
}
if [ -n "${LIMITS_ONLY:-}" ]; then
  limited_keys "one node in memory"
  limited_keys "one node with Redis" --redis-url "${KEYWARD_BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
  exit 0
fi

# A change retires only the answers it can alter: changes in one organization
# leave the other organizations' cached keys alone.
dir="$WORK/store-churn"
seed_once "$dir" 1000 1000 50
echo "== forward-auth over 1,000 keys in 20 organizations, quiet and while another organization changes 50 times a second"
start_server "$dir"
# (A 409 on a rerun, the organization made by an earlier run, is fine.)
curl -s -o /dev/null -X POST http://127.0.0.1:$PORT/api/v1/orgs -H "x-api-key: $ADMIN" -H 'content-type: application/json' \
  -d '{"name": "Churn", "slug": "churn"}' >/dev/null
churn_key=$(curl -sf -X POST http://127.0.0.1:$PORT/api/v1/orgs/churn/keys -H "x-api-key: $ADMIN" \
  -H 'content-type: application/json' -d '{"name": "churn", "scope": "organization"}' | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
wrk -t2 -c$CONNECTIONS -d3s -s "$WORK/forward.lua" "http://127.0.0.1:$PORT" -- "$dir/sample.txt" >/dev/null
load "forward-auth, quiet" "http://127.0.0.1:$PORT" "$WORK/forward.lua" "$dir/sample.txt"
# One curl, 50 PATCHes a second to the other organization's key (each retires
# it); line-buffered, so the count of answers is current.
stdbuf -oL curl -s --rate 50/s -X PATCH -H "x-api-key: $ADMIN" -H 'content-type: application/json' \
  -d '{"metadata": {"churn": true}}' -o /dev/null -w '%{http_code}\n' \
  "http://127.0.0.1:$PORT/api/v1/orgs/churn/keys/$churn_key?n=[1-1000000]" > "$WORK/churn.log" &
CHURN=$!
sleep 1
misses=$(metric keyward_cache_misses_total); changes=$(grep -c '^200' "$WORK/churn.log" || true)
load "forward-auth, 50 changes/s elsewhere" "http://127.0.0.1:$PORT" "$WORK/forward.lua" "$dir/sample.txt"
echo "   changes made meanwhile: $(( $(grep -c '^200' "$WORK/churn.log" || true) - changes )), cache misses: $(( $(metric keyward_cache_misses_total) - misses ))"
kill "$CHURN"; wait "$CHURN" 2>/dev/null || true
stop_server

# Memory of a cached key, in the running server: RSS growth while
# forward-auth walks 20,000 keys (200 organizations), once with the default
# cache and once with a 1 MiB one that keeps few of them. Both runs load every
# key from the store, warm SQLite's page caches, write usage and churn the
# allocator alike; the difference in growth over the difference in keys
# cached is the cache's own. A first pass over one key warms up connections
# and allocator arenas so they aren't counted.
dir="$WORK/store-20000"
seed_once "$dir" 20000 20000 100
cat > "$WORK/walk.lua" <<'LUA'
local keys, i = {}, 0
function init(args)
  for line in io.lines(args[1]) do keys[#keys + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  i = math.random(#keys)
end
function request()
  i = i % #keys + 1
  return wrk.format("GET", "/api/v1/auth/forward",
    { ["x-api-key"] = keys[i], ["x-forwarded-method"] = "GET", ["x-forwarded-uri"] = "/api/things/1" })
end
LUA
head -n 1 "$dir/sample.txt" > "$WORK/one-key.txt"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status"; }
walk() { # passes (0: until 19,900 keys are cached, at most 20) [server flags...]; sets GROWN_KB, CACHED, PASSES
  local passes=$1 max=$1; shift
  [ "$max" = 0 ] && max=20
  start_server "$dir" "$@"
  wrk -t2 -c$CONNECTIONS -d3s -s "$WORK/forward.lua" "http://127.0.0.1:$PORT" -- "$WORK/one-key.txt" >/dev/null
  local before cached_before
  before=$(rss_kb); cached_before=$(metric keyward_cache_entries)
  PASSES=0
  while [ "$PASSES" -lt "$max" ]; do
    wrk -t2 -c$CONNECTIONS -d2s -s "$WORK/walk.lua" "http://127.0.0.1:$PORT" -- "$dir/sample.txt" >/dev/null
    PASSES=$(( PASSES + 1 ))
    [ "$passes" = 0 ] && [ "$(metric keyward_cache_entries)" -ge 19900 ] && break
  done
  sleep 3 # moka counts entries once its housekeeping ran; usage is flushed
  GROWN_KB=$(( $(rss_kb) - before )); CACHED=$(( $(metric keyward_cache_entries) - cached_before ))
  echo "   RSS +$(( GROWN_KB / 1024 )) MiB with $CACHED more keys cached ($PASSES passes of 2 s)"
  stop_server
}
echo "== memory of a cached key: RSS growth over 20,000 keys walked, default cache against a 1 MiB one"
walk 0
grown_cached=$GROWN_KB cached=$CACHED passes=$PASSES
walk "$passes" --cache-max-bytes 1048576
echo "   all of the growth over the keys cached: $(( grown_cached * 1024 / cached )) bytes per key"
echo "   the cache's own (growth minus the 1 MiB run's, over the difference in keys cached): $(( (grown_cached - GROWN_KB) * 1024 / (cached - CACHED) )) bytes per key"
echo "== memory of a cached key in one process (no store, no HTTP): RSS growth and the byte bound's charge"
target/release/examples/cache_memory 20000
[ -n "${CACHE_ONLY:-}" ] && exit 0

sizes="1000 1000000"
[ -n "${QUICK:-}" ] && sizes="1000"
for keys in $sizes; do
  dir="$WORK/store-$keys"
  if [ ! -f "$dir/seeded" ]; then
    rm -rf "$dir"
    echo "== seeding $keys keys"
    target/release/examples/seed "$dir" "$keys" "$dir/sample.txt" 10000
    touch "$dir/seeded"
  fi
  # The same number of distinct keys in use (1,000, spread over the whole
  # store) for every store size, so the background usage writes match too.
  awk -v every="$(( $(wc -l < "$dir/sample.txt") / 1000 ))" 'NR % every == 0' "$dir/sample.txt" | head -n 1000 > "$dir/in-use.txt"
  echo "== HTTP, $keys keys in the store ($(wc -l < "$dir/in-use.txt") in use), $CONNECTIONS connections, $DURATION each"
  start_server "$dir"
  # Warm the cache with every sampled key once.
  wrk -t2 -c$CONNECTIONS -d3s -s "$WORK/verify.lua" "http://127.0.0.1:$PORT" -- "$dir/in-use.txt" >/dev/null
  load "empty handler (GET /healthz)" "http://127.0.0.1:$PORT" "$WORK/empty.lua" "$dir/in-use.txt"
  load "POST /api/v1/keys/verify" "http://127.0.0.1:$PORT" "$WORK/verify.lua" "$dir/in-use.txt"
  load "forward-auth" "http://127.0.0.1:$PORT" "$WORK/forward.lua" "$dir/in-use.txt"
  stop_server
done

key_creation

if [ -n "${KEYWARD_BENCH_DATABASE_URL:-}" ]; then
  echo "== revocation across two nodes (PostgreSQL)"
  target/release/examples/revocation 200
else
  echo "== revocation across nodes: skipped (set KEYWARD_BENCH_DATABASE_URL=postgres://…)"
fi
