#!/usr/bin/env bash
# Stops the Convex containers and the inner Docker daemon when the workspace
# stops (coder_script with run_on_stop). Each step has a time limit; all steps
# are attempted, and the script exits non-zero if one of them failed.
set -euo pipefail

LOG_DIR="${CONVEX_SCAFFOLD_LOG_DIR:-/tmp/convex-scaffold}"
LOG="$LOG_DIR/convex-stop.log"
PROJECT_DIR="${CONVEX_PROJECT_DIR:-}"
# Three bounded steps of at most STOP_TIMEOUT+10s: below the coder_script
# timeout (180s) and the container/pod grace period (200s).
STOP_TIMEOUT="${CONVEX_SCAFFOLD_STOP_TIMEOUT:-45}"

mkdir -p "$LOG_DIR"
# One run per log file: a re-run replaces the previous run's log.
printf '==== %s %s (%s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "convex-stop" "$(id -un)" >"$LOG"

say() {
  printf '%s [convex-stop] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LOG"
}

failed=0
warn() {
  if command -v convex-scaffold >/dev/null 2>&1; then
    say "ERROR: $* (see $LOG; diagnose with: convex-scaffold diagnose $LOG)"
  else
    # convex-scaffold is usually not installed in the workspace.
    say "ERROR: $* (see $LOG; diagnose from the machine where you ran convex-scaffold: coder ssh ${CONVEX_CODER_WORKSPACE:-<owner>/<workspace>} cat $LOG | convex-scaffold diagnose)"
  fi
  failed=1
}

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo -n)
fi

if timeout 10 docker info >/dev/null 2>&1; then
  compose_file=""
  for name in compose.yaml compose.yml docker-compose.yaml docker-compose.yml; do
    if [ -n "$PROJECT_DIR" ] && [ -f "$PROJECT_DIR/$name" ]; then
      compose_file="$PROJECT_DIR/$name"
      break
    fi
  done
  if [ -n "$compose_file" ]; then
    compose=(docker compose)
    if ! docker compose version >/dev/null 2>&1 && command -v docker-compose >/dev/null 2>&1; then
      compose=(docker-compose)
    fi
    env_args=()
    if [ -f "$PROJECT_DIR/.env.docker" ]; then
      env_args=(--env-file "$PROJECT_DIR/.env.docker")
    fi
    say "Stopping the Convex containers (limit ${STOP_TIMEOUT}s)."
    if ! (cd "$PROJECT_DIR" && timeout --kill-after=10 "$STOP_TIMEOUT" "${compose[@]}" -f "$compose_file" "${env_args[@]}" stop) \
      </dev/null >>"$LOG" 2>&1; then
      warn "docker compose stop failed or timed out"
    fi
  fi
  running="$(docker ps -q 2>/dev/null || true)"
  if [ -n "$running" ]; then
    say "Stopping the remaining containers."
    # shellcheck disable=SC2086 # one container id per word
    timeout --kill-after=10 "$STOP_TIMEOUT" docker stop -t 10 $running </dev/null >>"$LOG" 2>&1 ||
      warn "docker stop of the remaining containers failed or timed out"
  fi
else
  say "Docker is not running; nothing to stop in it."
fi

if command -v service >/dev/null 2>&1 && [ -x /etc/init.d/docker ]; then
  say "Stopping the Docker daemon."
  timeout --kill-after=10 "$STOP_TIMEOUT" "${SUDO[@]}" service docker stop </dev/null >>"$LOG" 2>&1 ||
    warn "service docker stop failed or timed out"
elif [ -s /var/run/docker.pid ]; then
  say "Stopping the Docker daemon."
  "${SUDO[@]}" kill -TERM "$(cat /var/run/docker.pid)" >>"$LOG" 2>&1 || warn "could not signal dockerd"
fi

if [ "$failed" -ne 0 ]; then
  exit 1
fi
say "Stopped."
