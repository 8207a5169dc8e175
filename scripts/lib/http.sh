# Shell helpers shared by the check scripts (package-check,
# container-check, backup-restore-check): a free loopback port, HTTP with
# python3's standard library (no curl needed), and the wait for /readyz.
# Source it: `. scripts/lib/http.sh`.

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# port_taken PORT: succeeds when something listens on 127.0.0.1:PORT.
port_taken() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

# http_status URL: the status of GET URL, or 000 without an answer.
http_status() {
  python3 - "$1" <<'PY'
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
}

# http_json METHOD URL API_KEY [BODY]: sends BODY (JSON) with `x-api-key`,
# prints the answer's body; fails, saying why, unless the status is 2xx.
http_json() {
  python3 - "$@" <<'PY'
import sys, urllib.error, urllib.request
method, url, key = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
request = urllib.request.Request(url, data=body, method=method)
request.add_header("x-api-key", key)
if body is not None:
    request.add_header("content-type", "application/json")
try:
    with urllib.request.urlopen(request, timeout=10) as r:
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    sys.exit(f"{method} {url}: {e.code} {e.read().decode()}")
PY
}

# json_field NAME: the top-level field NAME of the JSON on stdin.
json_field() {
  python3 -c 'import json, sys; v = json.load(sys.stdin)[sys.argv[1]]; print(v if isinstance(v, str) else json.dumps(v))' "$1"
}

# wait_ready URL PID LOG: waits up to 30 s for URL/readyz to answer 200
# while the process PID lives; on failure prints LOG and fails.
wait_ready() {
  local url="$1" pid="$2" log="$3"
  for _ in $(seq 1 60); do
    [ "$(http_status "$url/readyz")" = 200 ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "keyward did not become ready at $url; its log:" >&2
  tail -n 40 "$log" >&2
  return 1
}

# stop_server PID: SIGTERM, then waits for it (a graceful stop exits 0).
stop_server() {
  kill -TERM "$1" 2>/dev/null || return 0
  wait "$1"
}
