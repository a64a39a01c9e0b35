#!/usr/bin/env bash
# Starts the Docker daemon that runs INSIDE this workspace (Docker-in-Docker:
# privileged container/pod or the sysbox-runc runtime). Run by a coder_script
# at every workspace start; convex-start.sh waits for the daemon it starts.
#
# Before starting the daemon it writes "dns" (and "dns-search", "dns-opts") in
# /etc/docker/daemon.json from the workspace's own /etc/resolv.conf, without
# loopback servers: Docker would otherwise fall back to 8.8.8.8 and compose
# containers could not resolve what the workspace resolves (internal S3
# endpoints, the Coder access URL: the "dns error" of the Convex backend).
#
# Environment (coder_env): CONVEX_SCAFFOLD_LOG_DIR, CONVEX_DOCKER_RUNTIME
# (privileged | sysbox), CONVEX_SCAFFOLD_DOCKER_WAIT (seconds, default 120).
set -euo pipefail

LOG_DIR="${CONVEX_SCAFFOLD_LOG_DIR:-/tmp/convex-scaffold}"
LOG="$LOG_DIR/dockerd-start.log"
DOCKERD_LOG="$LOG_DIR/dockerd.log"
WAIT_SECONDS="${CONVEX_SCAFFOLD_DOCKER_WAIT:-120}"
RUNTIME="${CONVEX_DOCKER_RUNTIME:-privileged}"
DAEMON_JSON=/etc/docker/daemon.json

mkdir -p "$LOG_DIR"
# One run per log file: a re-run replaces the previous run's log.
printf '==== %s %s (%s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "dockerd" "$(id -un)" >"$LOG"

say() {
  printf '%s [dockerd] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LOG"
}

fail() {
  say "ERROR: $*"
  if [ -s "$LOG" ]; then
    echo "---- last lines of $LOG ----" >&2
    tail -n 25 "$LOG" >&2 || true
  fi
  say "Full log: $LOG (daemon output: $DOCKERD_LOG, /var/log/docker.log)."
  # convex-scaffold is usually not installed in the workspace.
  if command -v convex-scaffold >/dev/null 2>&1; then
    say "Diagnose with: convex-scaffold diagnose $LOG"
  else
    say "Diagnose from the machine where you ran convex-scaffold (it is not installed in this workspace):"
    say "  coder ssh ${CONVEX_CODER_WORKSPACE:-<owner>/<workspace>} cat $LOG | convex-scaffold diagnose"
  fi
  exit 1
}

# --- privileges --------------------------------------------------------------
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    fail "starting dockerd needs root or passwordless sudo; the workspace image has neither"
  fi
fi
as_root() { "${SUDO[@]}" "$@"; }

command -v docker >/dev/null 2>&1 || fail "no docker CLI in the workspace image; use an image with Docker Engine (e.g. codercom/enterprise-node:ubuntu)"
command -v dockerd >/dev/null 2>&1 || fail "no dockerd in the workspace image; use an image with Docker Engine (e.g. codercom/enterprise-node:ubuntu)"

if timeout 10 docker info >/dev/null 2>&1; then
  say "Docker is already running."
  exit 0
fi

# --- DNS for containers started by the inner daemon ------------------------------
json_list() {
  # Prints its arguments as a JSON array of strings (values are resolver
  # addresses, domains and options: no quotes or backslashes expected).
  local out="" item
  for item in "$@"; do
    case "$item" in
      *'"'* | *'\'*) continue ;;
    esac
    out="${out:+$out, }\"$item\""
  done
  printf '[%s]' "$out"
}

nameservers=()
searches=()
options=()
if [ -r /etc/resolv.conf ]; then
  while read -r key rest; do
    case "$key" in
      nameserver)
        ns="${rest%% *}"
        case "$ns" in
          127.* | ::1 | 0.0.0.0 | *%*) say "resolv.conf: skipping loopback/link-local nameserver $ns" ;;
          ?*) nameservers+=("$ns") ;;
        esac
        ;;
      search | domain)
        read -r -a words <<<"$rest"
        searches+=("${words[@]}")
        ;;
      options)
        read -r -a words <<<"$rest"
        options+=("${words[@]}")
        ;;
    esac
  done </etc/resolv.conf
fi

if [ "${#nameservers[@]}" -eq 0 ]; then
  say "WARNING: /etc/resolv.conf has no non-loopback nameserver; compose containers will use Docker's default (8.8.8.8) and cannot resolve internal names."
  say "WARNING: set the template variable dns_servers (docker) or the pod's DNS (kubernetes) to reachable resolvers."
else
  fragment="{\"dns\": $(json_list "${nameservers[@]}")"
  if [ "${#searches[@]}" -gt 0 ]; then
    fragment="$fragment, \"dns-search\": $(json_list "${searches[@]}")"
  fi
  if [ "${#options[@]}" -gt 0 ]; then
    fragment="$fragment, \"dns-opts\": $(json_list "${options[@]}")"
  fi
  fragment="$fragment}"
  say "Inner Docker DNS: $fragment"

  as_root mkdir -p "$(dirname "$DAEMON_JSON")"
  if [ -s "$DAEMON_JSON" ] && ! grep -q '^[[:space:]]*{[[:space:]]*}[[:space:]]*$' "$DAEMON_JSON"; then
    # Keep whatever the image configured; only our three keys are replaced.
    if command -v python3 >/dev/null 2>&1; then
      merged="$(python3 -c 'import json,sys
cur = json.load(open(sys.argv[1]))
cur.update(json.loads(sys.argv[2]))
print(json.dumps(cur, indent=2))' "$DAEMON_JSON" "$fragment")" || fail "could not merge DNS settings into $DAEMON_JSON (is it valid JSON?)"
      printf '%s\n' "$merged" | as_root tee "$DAEMON_JSON" >/dev/null
    elif command -v jq >/dev/null 2>&1; then
      merged="$(jq --argjson add "$fragment" '. + $add' "$DAEMON_JSON")" || fail "could not merge DNS settings into $DAEMON_JSON (is it valid JSON?)"
      printf '%s\n' "$merged" | as_root tee "$DAEMON_JSON" >/dev/null
    else
      say "WARNING: $DAEMON_JSON exists and neither python3 nor jq is available to merge it; DNS settings NOT written."
    fi
  else
    printf '%s\n' "$fragment" | as_root tee "$DAEMON_JSON" >/dev/null
  fi
  as_root cat "$DAEMON_JSON" >>"$LOG" 2>&1 || true
fi

# --- cgroup v2 nesting (privileged only) ----------------------------------------
# Same step as Docker's own dind entrypoint: the container's root cgroup must
# hold no processes before the daemon can delegate controllers to containers.
# Only inside a private cgroup namespace ("0::/"), never on the host's tree.
if [ "$RUNTIME" = "privileged" ] && [ -f /sys/fs/cgroup/cgroup.controllers ] &&
  [ ! -d /sys/fs/cgroup/init ] && [ "$(cat /proc/self/cgroup 2>/dev/null)" = "0::/" ]; then
  say "Enabling cgroup v2 nesting for Docker-in-Docker."
  as_root sh -c 'mkdir -p /sys/fs/cgroup/init &&
    xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null;
    sed -e "s/ / +/g" -e "s/^/+/" < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control' \
    >>"$LOG" 2>&1 || say "cgroup nesting setup failed (continuing; see $LOG)"
fi

# --- start the daemon without holding this script's output open ----------------
say "Starting Docker (runtime: $RUNTIME)."
if command -v service >/dev/null 2>&1 && [ -x /etc/init.d/docker ]; then
  as_root service docker start </dev/null >>"$LOG" 2>&1 || say "service docker start returned an error (see $LOG); waiting anyway"
else
  # No init script: run dockerd detached, in its own session, output to a file.
  as_root sh -c "setsid nohup dockerd >>'$DOCKERD_LOG' 2>&1 </dev/null &" </dev/null >>"$LOG" 2>&1 ||
    fail "could not launch dockerd"
fi

deadline=$((SECONDS + WAIT_SECONDS))
until timeout 10 "${SUDO[@]}" docker info >/dev/null 2>&1; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    for f in /var/log/docker.log "$DOCKERD_LOG"; do
      if as_root test -r "$f"; then
        echo "---- tail of $f ----" >>"$LOG"
        as_root tail -n 40 "$f" >>"$LOG" 2>&1 || true
      fi
    done
    fail "Docker did not answer within ${WAIT_SECONDS}s. Privileged mode needs a privileged container/pod; sysbox needs sysbox-runc on the node (template variable docker_runtime)."
  fi
  sleep 2
done

# The workspace user normally is in the docker group; if not, open the socket
# to it (the daemon lives and dies with this single-user workspace).
if ! timeout 10 docker info >/dev/null 2>&1; then
  say "Docker socket is not accessible to $(id -un); granting access to /var/run/docker.sock."
  as_root chmod 666 /var/run/docker.sock >>"$LOG" 2>&1 || fail "cannot make the Docker socket accessible to $(id -un)"
  timeout 10 docker info >/dev/null 2>&1 || fail "docker info still fails for $(id -un)"
fi

say "Docker is ready ($(docker --version 2>/dev/null || echo 'docker CLI version unknown'))."
