# Sourced by the scripts that test a release binary against real clients
# (scripts/sdk-tests, scripts/openapi-check).
#
#   release_binary NAME [path/to/keyward]   sets `bin` (absolute); builds
#                                           target/release/keyward when no
#                                           path is given and it is missing
#   start_server NAME [FLAG…]               starts "$bin" serve [FLAG…] on a free
#                                           loopback port with a fresh SQLite
#                                           store under "$work" (which the
#                                           caller creates and removes) and a
#                                           known admin key; sets `url`,
#                                           `admin_key`, `server`, waits for
#                                           /readyz
#   stop_server                             stops it (for the EXIT trap)

release_binary() {
  local name="$1"
  bin="${2:-target/release/keyward}"
  if [ ! -x "$bin" ]; then
    if [ "$#" -gt 1 ]; then
      echo "$name: $bin is not an executable" >&2
      exit 2
    fi
    cargo build --release -p keyward
  fi
  bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
}

server=""

stop_server() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}

server_ready() {
  python3 - "$url/readyz" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=1) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

start_server() {
  local name="$1" port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  url="http://127.0.0.1:$port"
  admin_key="kwadmin_${name//-/_}_$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
  KEYWARD_LISTEN="127.0.0.1:$port" \
  KEYWARD_DATA_DIR="$work/data" \
  KEYWARD_ADMIN_KEY="$admin_key" \
  KEYWARD_NO_BOOTSTRAP_USER=true \
  KEYWARD_LOG=warn \
    "$bin" serve "${@:2}" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 60); do
    server_ready && break
    if ! kill -0 "$server" 2>/dev/null; then break; fi
    sleep 0.5
  done
  if ! server_ready; then
    echo "$name: keyward did not become ready at $url" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  echo "$name: keyward ($bin) ready at $url"
}
