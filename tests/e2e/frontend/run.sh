#!/usr/bin/env bash
# End-to-end proof of the frontend starters (issue 13).
#   tests/e2e/frontend/run.sh BIN OUTDIR
# BIN: the convex-scaffold binary. OUTDIR: a folder for artifacts (logs,
# the browser's screenshot and report; OUTDIR/work, the scratch folder, is
# emptied first).
#
# For each starter (vite, nextjs): render a project with `BIN new`, install
# with the project's package manager, run the real build (`vite build`;
# `next build` with telemetry off), then `tsc --noEmit`. Then the browser
# proof: the built Vite app is served on 127.0.0.1 and loaded in headless
# Chromium (Debian's chromium via playwright-core); the page must open the
# Convex sync websocket to exactly the configured VITE_CONVEX_URL, which a
# loopback backend stand-in records, with no console error but the
# stand-in's. Prints PASS/FAIL per step; exits non-zero on any failure.
#
# Needs: node, npm, python3, curl; the npm registry (pnpm, the pinned
# packages, playwright-core); apt-get for chromium when it is missing.
set -euo pipefail

BIN="${1:?usage: run.sh BIN OUTDIR}"
OUTDIR="${2:?usage: run.sh BIN OUTDIR}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# pnpm for projects whose package.json names no packageManager (corepack
# cannot download pnpm from this machine's registry).
PNPM_VERSION_DEFAULT="10.34.8"
PLAYWRIGHT_CORE_VERSION="1.65.1"
INSTALL_TIMEOUT="${E2E_INSTALL_TIMEOUT:-900}"
BUILD_TIMEOUT="${E2E_BUILD_TIMEOUT:-900}"

case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
[ -x "$BIN" ] || { echo "FAIL  setup: $BIN is not an executable convex-scaffold binary"; exit 1; }
mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
WORK="$OUTDIR/work"
rm -rf "$WORK"
mkdir -p "$WORK"

failed=0
pids=()
# shellcheck disable=SC2329 # called by the EXIT trap
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

pass() { printf 'PASS  %s\n' "$1"; }
fail_step() {
  failed=$((failed + 1))
  printf 'FAIL  %s\n' "$1"
  if [ -n "${2:-}" ] && [ -s "$2" ]; then
    echo "      ---- last lines of $2 ----"
    tail -n 30 "$2" | sed 's/^/      /'
  fi
}
# step NAME LOG COMMAND...: runs COMMAND with its output in LOG.
step() {
  local name="$1" log="$2"
  shift 2
  if "$@" >"$log" 2>&1; then
    pass "$name"
    return 0
  fi
  fail_step "$name (log: $log)" "$log"
  return 1
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
# wait_http URL SECONDS: until URL answers 2xx (returns 1 when time is up).
wait_http() {
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null -m 2 "$1" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.3
  done
}
# wait_for_file FILE SECONDS
wait_for_file() {
  local deadline=$((SECONDS + $2))
  until [ -s "$1" ]; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# --- prerequisites -------------------------------------------------------------
for tool in node npm python3 curl; do
  command -v "$tool" >/dev/null 2>&1 || { fail_step "setup: '$tool' is not installed"; exit 1; }
done
pass "setup: node $(node --version), npm $(npm --version)"

# --- the backend stand-in --------------------------------------------------------
# The shared stand-in (tests/e2e/standins/backend, run on the host) records
# every sync websocket upgrade and answers queries, so the page can show
# health:ping's value once the pinned CLI has deployed convex/ to it. Without
# it (or without python3's brotli module, which CLI 1.24.8's push needs), a
# minimal listener of this test records the upgrade only.
STANDIN_DIR="$(cd "$HERE/.." && pwd)/standins/backend"
STANDIN_LOG="$OUTDIR/standin.log"
STANDIN_KIND=""
CONVEX_URL=""
ADMIN_KEY=""
EXPECTED_PING=""
standin_python=""
find_standin_python() {
  local candidate
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import brotli' 2>/dev/null; then
      standin_python="$candidate"
      return 0
    fi
  done
  return 1
}
# Debian's python3-brotli gives the system python3 the module (as root).
if ! find_standin_python && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-brotli >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-brotli >/dev/null 2>&1; } || true
  find_standin_python || true
fi

# start_standin RELEASE_DATE: the shared stand-in on 127.0.0.1.
start_standin() {
  local release="$1" port site_port _
  port="$(free_port)"
  site_port="$(free_port)"
  STANDIN_ENV=(
    "PYTHONPATH=$STANDIN_DIR" "DATA_DIR=$WORK/standin-data" "STANDIN_BIND=127.0.0.1"
    "STANDIN_PORT=$port" "STANDIN_SITE_PORT=$site_port" "CONVEX_STANDIN_RELEASE_DATE=$release"
    "INSTANCE_NAME=frontend-e2e" "INSTANCE_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    "CONVEX_CLOUD_ORIGIN=http://127.0.0.1:$port" "CONVEX_SITE_ORIGIN=http://127.0.0.1:$site_port"
  )
  env "${STANDIN_ENV[@]}" "$standin_python" -u -m standin serve >"$STANDIN_LOG" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do
    if curl -fsS -m 1 "http://127.0.0.1:$port/version" >/dev/null 2>&1; then
      CONVEX_URL="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.2
  done
  return 1
}

start_listener() {
  local port_file="$WORK/listener.port"
  python3 "$HERE/ws_listener.py" "$port_file" "$WORK/listener-upgrades.jsonl" >"$STANDIN_LOG" 2>&1 &
  pids+=("$!")
  wait_for_file "$port_file" 20 || return 1
  CONVEX_URL="http://127.0.0.1:$(cat "$port_file")"
}

# The sync upgrades the backend stand-in saw, one JSON object per line.
recorded_upgrades() {
  if [ "$STANDIN_KIND" = standin ]; then
    curl -fsS -m 5 "$CONVEX_URL/__standin/sync-log" |
      node -e 'let t = ""; process.stdin.on("data", (c) => (t += c)).on("end", () => { for (const e of JSON.parse(t)) console.log(JSON.stringify(e)); })'
  else
    cat "$WORK/listener-upgrades.jsonl"
  fi
}

# --- render, install, build, type-check each starter ---------------------------
for frontend in vite nextjs; do
  project="$WORK/$frontend/app"
  log="$OUTDIR/$frontend"
  if ! step "$frontend: render (convex-scaffold new --set frontend=$frontend)" "$log-render.log" \
    "$BIN" new "$project" --yes --set "frontend=$frontend"; then
    continue
  fi
  pm="$(sed -n "s/^CONVEX_PM=['\"]\{0,1\}\([a-z]*\)['\"]\{0,1\}$/\1/p" "$project/scripts/convex-config.sh" | tail -n 1)"
  case "$pm" in
    pnpm)
      wanted="$(node -e 'const p = require(process.argv[1]).packageManager || ""; const m = /^pnpm@([0-9][^+]*)/.exec(p); process.stdout.write(m ? m[1] : "")' "$project/package.json")"
      wanted="${wanted:-$PNPM_VERSION_DEFAULT}"
      if ! command -v pnpm >/dev/null 2>&1; then
        step "$frontend: install pnpm@$wanted (npm install -g)" "$log-pnpm.log" \
          timeout "$INSTALL_TIMEOUT" npm install -g "pnpm@$wanted" || continue
      fi
      ;;
    npm) ;;
    *)
      fail_step "$frontend: package manager '$pm' is not covered by this test"
      continue
      ;;
  esac
  # Vite reads VITE_CONVEX_URL from the environment before .env.local: the
  # build points at the stand-in.
  if ! step "$frontend: $pm install" "$log-install.log" \
    env -C "$project" timeout "$INSTALL_TIMEOUT" "$pm" install; then
    continue
  fi
  if [ "$frontend" = vite ]; then
    for dep in vite @vitejs/plugin-react react react-dom typescript; do
      version="$(node -p "require('$project/package.json').devDependencies?.['$dep'] ?? require('$project/package.json').dependencies?.['$dep']")"
      installed="$(node -p "require('$project/node_modules/$dep/package.json').version" 2>/dev/null || echo missing)"
      if [ "$version" != "$installed" ]; then
        fail_step "$frontend: $dep pinned $version, installed $installed"
      fi
    done
    # The backend the page talks to: the stand-in for the pinned release.
    backend_sha="$(sed -n 's/^backend_image = ".*:\([0-9a-f]\{40\}\)"$/\1/p' "$project/convex-scaffold.toml" | head -n 1)"
    release="$("$BIN" pins | awk -v sha="$backend_sha" '$2 == "backend" && $3 == sha { print $1 }' | head -n 1)"
    if [ ! -d "$STANDIN_DIR/standin" ]; then
      echo "      (no shared stand-in at $STANDIN_DIR)"
    elif [ -z "$standin_python" ]; then
      echo "      (python3 has no brotli module, which the stand-in needs for CLI pushes: apt-get install python3-brotli)"
    elif [ -z "$release" ]; then
      echo "      (the pinned backend $backend_sha is not in the release table: no stand-in release date)"
    elif start_standin "$release"; then
      STANDIN_KIND=standin
      pass "stand-in: backend stand-in (tests/e2e/standins) for the $release release on $CONVEX_URL"
    else
      fail_step "stand-in: the backend stand-in did not answer /version" "$STANDIN_LOG"
    fi
    if [ -z "$STANDIN_KIND" ]; then
      if start_listener; then
        STANDIN_KIND=listener
        pass "stand-in: minimal loopback listener (ws_listener.py) on $CONVEX_URL: records the websocket upgrade only; health:ping is not asserted"
      else
        fail_step "stand-in: the loopback listener did not start" "$STANDIN_LOG"
        continue
      fi
    fi
    if [ "$STANDIN_KIND" = standin ]; then
      ADMIN_KEY="$(env "${STANDIN_ENV[@]}" "$STANDIN_DIR/generate_admin_key.sh" 2>>"$STANDIN_LOG" | tail -n 1)"
      # What scripts/convex-deploy.sh does, against the stand-in: the pinned
      # CLI pushes convex/, then health:ping answers over HTTP.
      if step "$frontend: deploy convex/ with the pinned CLI (convex dev --once)" "$log-deploy.log" \
        env -C "$project" CI=1 CONVEX_SELF_HOSTED_URL="$CONVEX_URL" CONVEX_SELF_HOSTED_ADMIN_KEY="$ADMIN_KEY" \
        timeout 300 "$pm" exec convex dev --once; then
        reply="$(curl -fsS -m 10 -H 'Content-Type: application/json' \
          -d '{"path":"health:ping","args":{},"format":"json"}' "$CONVEX_URL/api/query" || true)"
        EXPECTED_PING="$(printf '%s' "$reply" | node -e 'let t = ""; process.stdin.on("data", (c) => (t += c)).on("end", () => { try { const r = JSON.parse(t); if (r.status === "success" && typeof r.value === "string") process.stdout.write(r.value); } catch {} })')"
        if [ -n "$EXPECTED_PING" ]; then
          pass "$frontend: health:ping answers \"$EXPECTED_PING\" over HTTP"
        else
          fail_step "$frontend: health:ping did not answer a string after the deploy: $reply"
        fi
      fi
    fi
    step "$frontend: vite build (VITE_CONVEX_URL=$CONVEX_URL)" "$log-build.log" \
      env -C "$project" VITE_CONVEX_URL="$CONVEX_URL" timeout "$BUILD_TIMEOUT" "$pm" exec vite build || continue
    if ! grep -rqF "$CONVEX_URL" "$project/dist/assets"; then
      fail_step "$frontend: the built bundle does not hold $CONVEX_URL"
    fi
  else
    step "$frontend: next build (NEXT_TELEMETRY_DISABLED=1)" "$log-build.log" \
      env -C "$project" NEXT_TELEMETRY_DISABLED=1 NEXT_PUBLIC_CONVEX_URL="${CONVEX_URL:-http://127.0.0.1:3210}" \
      timeout "$BUILD_TIMEOUT" "$pm" exec next build || continue
  fi
  step "$frontend: tsc --noEmit" "$log-tsc.log" \
    env -C "$project" timeout "$BUILD_TIMEOUT" "$pm" exec tsc --noEmit || true
  if [ "$frontend" = vite ]; then
    # The dev server listens on every interface: it must not serve the Convex
    # Auth keys (.convex-auth/, auth = convex-auth) or the env files.
    vite_port="$(free_port)"
    mkdir -p "$project/.convex-auth"
    printf 'e2e-secret-private' >"$project/.convex-auth/JWT_PRIVATE_KEY.pem"
    printf 'e2e-secret-jwks' >"$project/.convex-auth/JWKS.json"
    (cd "$project" && exec timeout 120 "$pm" exec vite --port "$vite_port" --strictPort) >"$log-vite-dev.log" 2>&1 &
    vite_pid=$!
    pids+=("$vite_pid")
    wait_http "http://127.0.0.1:$vite_port/" 60 || true
    # Every one of these must be refused (403), not served.
    leaks=""
    for path in /.convex-auth/JWT_PRIVATE_KEY.pem "/.convex-auth/JWT_PRIVATE_KEY.pem?raw" /.convex-auth/JWKS.json \
      "/.convex-auth/JWKS.json?raw" "/@fs$project/.convex-auth/JWT_PRIVATE_KEY.pem" /.env.local /.env.docker /.npmrc "/.npmrc?raw"; do
      code="$(curl -sS -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$vite_port$path" 2>/dev/null || true)"
      [ "$code" = 403 ] || leaks+=" $path($code)"
    done
    if ! curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$vite_port/" 2>/dev/null; then
      fail_step "$frontend: the vite dev server did not answer on port $vite_port" "$log-vite-dev.log"
    elif [ -n "$leaks" ]; then
      fail_step "$frontend: the vite dev server does not refuse:$leaks"
    else
      pass "$frontend: the vite dev server refuses (403) .convex-auth/ (keys), .env.local, .env.docker and .npmrc"
    fi
    kill "$vite_pid" 2>/dev/null || true
    rm -rf "$project/.convex-auth"
  fi
  # The build must not have rewritten the rendered files (upgrade would
  # otherwise see them as the user's edits).
  if ! step "$frontend: the build left the rendered files as rendered (upgrade --check)" "$log-upgrade-check.log" \
    "$BIN" upgrade "$project" --check; then
    true
  fi
done

# --- the browser proof (Vite) ----------------------------------------------------
dist="$WORK/vite/app/dist"
if [ ! -f "$dist/index.html" ]; then
  fail_step "browser: no built Vite app to load ($dist/index.html)"
else
  if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      step "browser: apt-get install chromium" "$OUTDIR/chromium-install.log" \
        bash -c 'apt-get install -y --no-install-recommends chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }' || true
    else
      fail_step "browser: /usr/bin/chromium is missing; install Debian's chromium package (apt-get install chromium)"
    fi
  fi
  browser_dir="$WORK/browser"
  mkdir -p "$browser_dir"
  cp "$HERE/browser.mjs" "$browser_dir/"
  printf '{ "private": true, "type": "module" }\n' >"$browser_dir/package.json"
  if [ -x /usr/bin/chromium ] &&
    step "browser: npm install playwright-core@$PLAYWRIGHT_CORE_VERSION" "$OUTDIR/playwright-install.log" \
      env -C "$browser_dir" timeout "$INSTALL_TIMEOUT" npm install --no-audit --no-fund --save-exact "playwright-core@$PLAYWRIGHT_CORE_VERSION"; then
    app_port="$(free_port)"
    python3 -m http.server "$app_port" --bind 127.0.0.1 --directory "$dist" >"$OUTDIR/static-server.log" 2>&1 &
    pids+=("$!")
    wait_http "http://127.0.0.1:$app_port/" 20 || true
    if step "browser: headless Chromium loads the app; websocket to exactly $CONVEX_URL; no foreign console error${EXPECTED_PING:+; health:ping shows $EXPECTED_PING}" \
      "$OUTDIR/browser.json" env -C "$browser_dir" timeout 120 node browser.mjs \
      "http://127.0.0.1:$app_port/" "$CONVEX_URL" "$OUTDIR/vite-app.png" "$WORK/chromium-profile" "$EXPECTED_PING"; then
      sed 's/^/      /' "$OUTDIR/browser.json" | head -30
    fi
    if [ -f "$OUTDIR/vite-app.png" ]; then
      pass "browser: screenshot saved ($OUTDIR/vite-app.png)"
    else
      fail_step "browser: no screenshot"
    fi
    # The stand-in's side: it saw the upgrade on /api/<version>/sync, for
    # its own host, from the page's origin.
    recorded_upgrades >"$OUTDIR/standin-upgrades.jsonl" 2>>"$STANDIN_LOG" || true
    if node -e '
      const [file, host, origin] = process.argv.slice(1);
      const lines = require("fs").readFileSync(file, "utf8").split("\n").filter(Boolean).map(JSON.parse);
      const ok = lines.some((e) => /^\/api\/[0-9][^/]*\/sync$/.test(e.path) && e.host === host && e.origin === origin);
      process.exit(ok ? 0 : 1);' "$OUTDIR/standin-upgrades.jsonl" "${CONVEX_URL#http://}" "http://127.0.0.1:$app_port"; then
      pass "stand-in: recorded the sync websocket upgrade ($(head -n 1 "$OUTDIR/standin-upgrades.jsonl"))"
    else
      fail_step "stand-in: recorded no websocket upgrade on /api/<version>/sync from the page" "$OUTDIR/standin-upgrades.jsonl"
    fi
  fi
fi

echo
if [ "$failed" -eq 0 ]; then
  echo "frontend e2e: PASS (artifacts in $OUTDIR)"
  exit 0
fi
echo "frontend e2e: FAIL ($failed step(s) failed; artifacts in $OUTDIR)"
exit 1
