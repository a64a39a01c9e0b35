#!/usr/bin/env bash
# Benchmark of the commands a user waits for, on a release build:
#   - `new DIR --yes` into a fresh folder   (goal: median <= 10 ms)
#   - `upgrade DIR` with nothing to do       (goal: median <= 10 ms)
#   - peak memory (max RSS) of both          (goal: <= 10 MiB)
# Needs hyperfine (Debian: apt-get install -y hyperfine) and GNU time
# (/usr/bin/time, Debian package `time`). Not run in CI: timings depend on the
# machine and its load. Run from anywhere: bash bench/run.sh [RUNS]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-50}"
for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "bench: $tool is missing (Debian: apt-get install -y hyperfine time)" >&2
    exit 2
  }
done

cd "$ROOT"
cargo build --release --quiet
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (figures mean little when it exceeds the cores)"
BIN="$ROOT/target/release/convex-scaffold"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "== new DIR --yes (a fresh folder per run)"
# The previous run's tree is removed and that removal synced before each
# run: otherwise `new`'s one syncfs would also pay for the benchmark's own
# `rm -rf`, which no user runs before `new`.
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$WORK/new.json" \
  --prepare "bash -c 'rm -rf $WORK/new && sync -f $WORK'" \
  "'$BIN' new '$WORK/new' --yes"

"$BIN" new "$WORK/project" --yes >/dev/null
echo "== upgrade DIR with nothing to do"
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$WORK/upgrade.json" \
  "'$BIN' upgrade '$WORK/project'"

peak_kib() {
  /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1
}
rm -rf "$WORK/new"
new_kib="$(peak_kib "$BIN" new "$WORK/new" --yes)"
upgrade_kib="$(peak_kib "$BIN" upgrade "$WORK/project")"

python3 - "$WORK/new.json" "$WORK/upgrade.json" "$new_kib" "$upgrade_kib" <<'PY'
import json, sys
goal_ms, goal_kib = 10.0, 10 * 1024
ok = True
for label, path in (("new --yes", sys.argv[1]), ("no-op upgrade", sys.argv[2])):
    r = json.load(open(path))["results"][0]
    median = r["median"] * 1000
    verdict = "ok" if median <= goal_ms else "OVER GOAL"
    ok &= median <= goal_ms
    print(f"{label:<14} median {median:6.2f} ms  mean {r['mean']*1000:6.2f} ms  "
          f"min {r['min']*1000:6.2f} ms  (goal <= {goal_ms:.0f} ms: {verdict})")
for label, kib in (("new --yes", int(sys.argv[3])), ("no-op upgrade", int(sys.argv[4]))):
    verdict = "ok" if kib <= goal_kib else "OVER GOAL"
    ok &= kib <= goal_kib
    print(f"{label:<14} peak RSS {kib / 1024:5.2f} MiB  (goal <= 10 MiB: {verdict})")
sys.exit(0 if ok else 1)
PY
