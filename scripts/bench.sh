#!/usr/bin/env bash
# Reproduces every figure of BENCHMARKS.md: criterion benches of the
# in-process paths, then HTTP load tests (wrk) against the release binary on
# loopback, each against a baseline measured in the same run.
#
#   scripts/bench.sh            everything (seeding 1,000,000 keys takes a few minutes once)
#   QUICK=1 scripts/bench.sh    HTTP figures only, 1,000 keys
#   HTTP_ONLY=1 scripts/bench.sh  HTTP figures only, both store sizes
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
cargo build --release -q -p keyward -p keyward-server --example seed --example revocation

if [ -z "${QUICK:-}${HTTP_ONLY:-}" ]; then
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
  target/release/keyward serve --data-dir "$dir" --listen 127.0.0.1:$PORT --admin-key "$ADMIN" \
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

if [ -n "${KEYWARD_BENCH_DATABASE_URL:-}" ]; then
  echo "== revocation across two nodes (PostgreSQL)"
  target/release/examples/revocation 200
else
  echo "== revocation across nodes: skipped (set KEYWARD_BENCH_DATABASE_URL=postgres://…)"
fi
