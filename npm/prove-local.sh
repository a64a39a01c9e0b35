#!/usr/bin/env bash
# The npm distribution, proven on this machine without a registry: builds
# this machine's platform package from the release build, `npm pack`s every
# package, installs the tarballs into an empty folder with the registry
# unreachable (a closed port) and an empty npm cache, and runs what a user
# runs: `npx convex-scaffold --version`, `npx convex-scaffold new demo
# --yes`, `npm create convex-scaffold demo2 -- --yes`, piped stdin, exit
# codes, a signal sent to the launcher, an unsupported platform, the
# README's `npm create convex-scaffold@latest my-app -- --yes` against a
# registry stand-in (npm/registry-standin.py) that serves the same tarballs,
# and Ctrl-C at a prompt through tests/tty/ctrl-c-at-prompts.sh.
#
#   bash npm/prove-local.sh            # builds target/release (incremental)
#   CONVEX_SCAFFOLD_RELEASE_BIN=path bash npm/prove-local.sh   # a prebuilt binary
#
# Nothing in the repository is modified: packages are copied first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${CONVEX_SCAFFOLD_RELEASE_BIN:-}" ]; then
  # CARGO_TARGET_DIR (set by .ci/run to a cache kept across runs) is honoured.
  (cd "$ROOT" && cargo build --release --locked --quiet)
fi
BIN="${CONVEX_SCAFFOLD_RELEASE_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/convex-scaffold}"
for tool in node npm tmux; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "== installing $tool (Debian packages)"
    apt-get update -qq >/dev/null
    case "$tool" in
      tmux) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tmux >/dev/null ;;
      *) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null ;;
    esac
  fi
done
VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -1)"

WORK="$(mktemp -d)"
registry=""
cleanup() {
  if [ -n "$registry" ]; then kill "$registry" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# No registry, no cache: every package must come from the tarballs.
export npm_config_registry="http://127.0.0.1:9/"
export npm_config_cache="$WORK/npm-cache"
export npm_config_offline=true
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export npm_config_fetch_retries=0

failures=0
check() { # DESCRIPTION COMMAND...
  local what="$1"
  shift
  if "$@"; then echo "ok    $what"; else echo "FAIL  $what"; failures=$((failures + 1)); fi
}

PLATFORM_PKG="$(node -p "require('$ROOT/npm/convex-scaffold/platforms.json')[process.platform + ' ' + process.arch] || ''")"
[ -n "$PLATFORM_PKG" ] || { echo "this machine's platform has no package in npm/convex-scaffold/platforms.json" >&2; exit 2; }

echo "== pack (version $VERSION, platform package $PLATFORM_PKG)"
cp -r "$ROOT/npm/convex-scaffold" "$ROOT/npm/create-convex-scaffold" "$WORK/"
cp -r "$ROOT/npm/platforms/$PLATFORM_PKG" "$WORK/"
mkdir -p "$WORK/$PLATFORM_PKG/bin" "$WORK/tarballs"
install -m 0755 "$BIN" "$WORK/$PLATFORM_PKG/bin/convex-scaffold"
for pkg in convex-scaffold create-convex-scaffold "$PLATFORM_PKG"; do
  (cd "$WORK/$pkg" && npm pack --silent --pack-destination "$WORK/tarballs" >/dev/null)
done
ls "$WORK/tarballs"
tar -tvzf "$WORK/tarballs/$PLATFORM_PKG-$VERSION.tgz" >"$WORK/listing"
grep -q '^-rwx.* package/bin/convex-scaffold$' "$WORK/listing" \
  || { echo "the platform tarball lost the binary or its executable bit" >&2; exit 1; }

echo "== install the tarballs into an empty folder, offline"
APP="$WORK/app"
mkdir "$APP"
cd "$APP"
echo '{ "name": "app", "private": true }' >package.json
npm install --no-save "$WORK"/tarballs/*.tgz >"$WORK/install.log" 2>&1 || {
  cat "$WORK/install.log" >&2
  exit 1
}

echo "== run it as a user does"
out="$(npx --offline convex-scaffold --version)"
echo "$out"
check "npx convex-scaffold --version prints $VERSION and the release table date" \
  grep -Eq "^convex-scaffold $VERSION \(release table of [0-9]{4}-[0-9]{2}-[0-9]{2}, newest release [0-9]{4}-[0-9]{2}-[0-9]{2}\)$" <<<"$out"

npx --offline convex-scaffold new demo --yes >"$WORK/new.log" 2>&1 || cat "$WORK/new.log"
check "npx convex-scaffold new demo --yes renders a project" test -f demo/convex-scaffold.toml
check "the state file records $VERSION" grep -q "tool_version = \"$VERSION\"" demo/convex-scaffold.toml

npm create --offline convex-scaffold demo2 -- --yes >"$WORK/create.log" 2>&1 || cat "$WORK/create.log"
check "npm create convex-scaffold demo2 -- --yes renders a project" test -f demo2/convex-scaffold.toml

set +e
npm create --offline convex-scaffold >"$WORK/create-noargs.log" 2>&1
rc=$?
set -e
create_refused() { [ "$rc" = 2 ] && grep -q "name the folder to create" "$WORK/create-noargs.log"; }
check "npm create convex-scaffold without a folder: exit 2 and says what to give" create_refused

set +e
npx --offline convex-scaffold new demo --yes >/dev/null 2>&1
rc=$?
set -e
check "the binary's exit code comes through (new into a non-empty folder: 2)" test "$rc" = 2

out="$(printf 'npm error notarget No matching version found for convex@1.99.0\n' | npx --offline convex-scaffold diagnose || true)"
check "stdin reaches the binary (diagnose reads a piped log)" test -n "$out"

# A signal sent to the launcher alone (not to its process group) must reach
# the binary: `diagnose` blocks reading a FIFO that nobody writes.
mkfifo "$WORK/fifo"
exec 7<>"$WORK/fifo"
node_modules/.bin/convex-scaffold diagnose <"$WORK/fifo" >/dev/null 2>&1 &
launcher=$!
sleep 1
child="$(pgrep -P "$launcher" || true)"
kill -TERM "$launcher"
set +e
wait "$launcher"
rc=$?
set -e
exec 7>&-
sleep 0.2
check "SIGTERM to the launcher reaches the binary (exit 130, its own interrupt code)" test "$rc" = 130
child_gone() { [ -n "$child" ] && ! kill -0 "$child" 2>/dev/null; }
check "the binary does not outlive the launcher" child_gone

set +e
out="$(node -e "Object.defineProperty(process, 'platform', { value: 'aix' }); process.argv.splice(1, 1, 'convex-scaffold'); require('$APP/node_modules/convex-scaffold/bin/convex-scaffold.js')" -- --version 2>&1)"
rc=$?
set -e
echo "$out"
unsupported_refused() {
  [ "$rc" = 3 ] && grep -q "no prebuilt binary for aix/" <<<"$out" && grep -q "cargo install convex-scaffold" <<<"$out"
}
check "an unsupported platform: exit 3 and a message naming it and the way out" unsupported_refused

echo "== the README's first command, from a registry stand-in serving the tarballs"
# The other platforms' packages are listed (with their os/cpu) but never
# served: npm must skip them without a download.
mkdir -p "$WORK/listed"
for dir in "$ROOT"/npm/platforms/*/; do
  pkg="$(basename "$dir")"
  [ "$pkg" = "$PLATFORM_PKG" ] && continue
  cp -r "$dir" "$WORK/listed-$pkg"
  (cd "$WORK/listed-$pkg" && npm pack --silent --pack-destination "$WORK/listed" >/dev/null)
done
python3 "$ROOT/npm/registry-standin.py" "$WORK/registry.port" "$WORK"/tarballs/*.tgz \
  --listed-only "$WORK"/listed/*.tgz 2>"$WORK/registry.log" &
registry=$!
for _ in $(seq 1 100); do [ -s "$WORK/registry.port" ] && break; sleep 0.1; done
mkdir "$WORK/newcomer"
cd "$WORK/newcomer"
(
  # A person answers npm's "Ok to proceed?" with y; here there is no terminal.
  npm_config_registry="http://127.0.0.1:$(cat "$WORK/registry.port")/"
  export npm_config_registry
  export npm_config_offline=false npm_config_yes=true npm_config_cache="$WORK/npm-cache-newcomer"
  npm create convex-scaffold@latest my-app -- --yes >"$WORK/readme-create.log" 2>&1 || cat "$WORK/readme-create.log"
  npx convex-scaffold@latest --version >"$WORK/readme-version.log" 2>&1 || cat "$WORK/readme-version.log"
)
check "npm create convex-scaffold@latest my-app -- --yes renders a project" test -f my-app/convex-scaffold.toml
check "npx convex-scaffold@latest --version runs" grep -q "^convex-scaffold $VERSION " "$WORK/readme-version.log"
check "npm downloaded no other platform's package" test -z "$(grep REFUSED "$WORK/registry.log" || true)"
check "npm fetched this platform's package from the stand-in" grep -q "GET /-/$PLATFORM_PKG-$VERSION.tgz" "$WORK/registry.log"
kill "$registry"
registry=""
cd "$APP"

echo "== Ctrl-C at a prompt, through the launcher (tests/tty/ctrl-c-at-prompts.sh)"
if CONVEX_SCAFFOLD_BIN="$APP/node_modules/.bin/convex-scaffold" bash "$ROOT/tests/tty/ctrl-c-at-prompts.sh"; then
  echo "ok    Ctrl-C at the prompts leaves the terminal clean through npx's launcher"
else
  echo "FAIL  Ctrl-C at the prompts through the launcher"
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "the npm packages install offline from their tarballs and run"
