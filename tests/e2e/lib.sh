# shellcheck shell=bash
# Shared plumbing of the end-to-end suite: its own Docker daemon, the compose
# plugin, a base image made with debootstrap (no registry is reachable), the
# stand-in images tagged as the project pins them, and a tiny test runner.
# Sourced by tests/e2e/run; every path the suite creates lives under
# $E2E_CACHE (kept between runs: rootfs, daemon data root with built images)
# or $E2E_RUN (this run only: sockets, projects, logs).

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$E2E_DIR/../.." && pwd)"
E2E_CACHE="${E2E_CACHE:-$HOME/.cache/convex-scaffold-e2e}"
BASE_IMAGE="convex-scaffold-e2e/base:bookworm"

log() { printf '[e2e %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[e2e] FATAL: %s\n' "$*" >&2
  exit 1
}

# --- timing ---------------------------------------------------------------------
declare -a PHASES=()
phase_start() { PHASE_NAME="$1"; PHASE_T0=$SECONDS; log "== $1"; }
phase_end() { PHASES+=("$(printf '%-48s %4ss' "$PHASE_NAME" $((SECONDS - PHASE_T0)))"); }

# --- a tiny runner: scenario NAME FUNCTION ---------------------------------------
PASSED=0
FAILED=0
declare -a FAILED_NAMES=()
scenario() {
  local name="$1" fn="$2" t0=$SECONDS rc=0
  log "---- scenario: $name"
  # Not "( ... ) || rc=$?": bash ignores set -e inside a tested subshell.
  set +e
  (
    set -euo pipefail
    "$fn"
  )
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    PASSED=$((PASSED + 1))
    log "PASS $name ($((SECONDS - t0))s)"
  else
    FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$name")
    log "FAIL $name (exit $rc, $((SECONDS - t0))s)"
  fi
  PHASES+=("$(printf '%-48s %4ss %s' "scenario $name" $((SECONDS - t0)) "$([ "$rc" -eq 0 ] && echo pass || echo FAIL)")")
}

# Assertions: each prints what it expected and what it got.
fail() {
  printf '[e2e]   assertion failed: %s\n' "$*" >&2
  return 1
}
assert_contains() { # HAYSTACK NEEDLE WHAT
  case "$1" in
    *"$2"*) ;;
    *) fail "$3: expected to contain '$2', got: $(printf '%s' "$1" | tail -c 2000)" ;;
  esac
}
assert_not_contains() {
  case "$1" in
    *"$2"*) fail "$3: expected NOT to contain '$2'" ;;
    *) ;;
  esac
}
assert_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }

# Runs a command expecting failure; its combined output goes to stdout.
expect_failure() {
  local out rc=0
  out="$("$@" 2>&1)" || rc=$?
  printf '%s' "$out"
  [ "$rc" -ne 0 ] || { printf '\n[e2e]   expected a non-zero exit from: %s\n' "$*" >&2; return 1; }
}

# --- host packages ----------------------------------------------------------------
ensure_host_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} (Debian packages)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The Debian mirror this machine's apt uses (never written into the repo).
apt_mirror() {
  local m
  m="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)"
  [ -n "$m" ] || m="$(awk '$1=="deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)"
  [ -n "$m" ] || die "no Debian mirror found in the apt sources"
  printf '%s' "$m"
}

# Compose v2 as a CLI plugin, from the validator's cache (Debian's package).
ensure_compose_plugin() {
  local cache
  if docker compose version >/dev/null 2>&1; then return 0; fi
  cache="$("$REPO_ROOT/../shared/validate/setup" | tail -n 1)"
  mkdir -p "$HOME/.docker/cli-plugins"
  cp "$cache/compose/docker-compose" "$HOME/.docker/cli-plugins/docker-compose"
  chmod +x "$HOME/.docker/cli-plugins/docker-compose"
  docker compose version >/dev/null || die "docker compose plugin does not run"
}

# --- the suite's own Docker daemon --------------------------------------------------
# E2E_DOCKER_HOST=unix:///... uses a daemon that is already running (for
# development next to another run); the suite then neither starts nor stops one.
start_daemon() {
  if [ -n "${E2E_DOCKER_HOST:-}" ]; then
    export DOCKER_HOST="$E2E_DOCKER_HOST"
    docker info >/dev/null 2>&1 || die "no daemon answers at E2E_DOCKER_HOST=$E2E_DOCKER_HOST"
    log "using the running daemon at $DOCKER_HOST"
    return 0
  fi
  local sock_dir="$E2E_RUN/docker"
  mkdir -p "$sock_dir" "$E2E_CACHE/docker-data"
  DOCKER_SOCK="$sock_dir/docker.sock"
  export DOCKER_HOST="unix://$DOCKER_SOCK"
  log "starting dockerd (data root $E2E_CACHE/docker-data)"
  # No registry is reachable, and none may be tried: a pull goes to a closed
  # loopback proxy and fails at once instead of looking up ghcr.io.
  HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY='' \
    dockerd --data-root "$E2E_CACHE/docker-data" --exec-root "$sock_dir/exec" \
    -H "$DOCKER_HOST" --pidfile "$sock_dir/dockerd.pid" >"$E2E_RUN/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  local deadline=$((SECONDS + 60))
  until docker info >/dev/null 2>&1; do
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -n 30 "$E2E_RUN/dockerd.log" >&2; die "dockerd exited"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 30 "$E2E_RUN/dockerd.log" >&2; die "dockerd not ready in 60s"; }
    sleep 1
  done
  log "dockerd ready: $(docker version --format '{{.Server.Version}}')"
}

stop_daemon() {
  [ -n "${DOCKERD_PID:-}" ] || return 0
  kill "$DOCKERD_PID" 2>/dev/null || true

  for _ in $(seq 1 30); do
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 1
  done
  kill -9 "$DOCKERD_PID" 2>/dev/null || true
  DOCKERD_PID=""
}

# Removes what this run created on the daemon: containers, volumes and
# networks labelled with this run's id (compose projects get the label
# through E2E_LABELS), and the projects the scenarios registered.
# (A file, not an array: scenarios run in subshells.)
register_project() { printf '%s\n' "$1" >>"$E2E_RUN/projects.list"; }
cleanup_created() {
  local dir
  [ -f "$E2E_RUN/projects.list" ] || touch "$E2E_RUN/projects.list"
  while IFS= read -r dir; do
    if [ -f "$dir/docker-compose.yml" ]; then
      docker compose --project-directory "$dir" -f "$dir/docker-compose.yml" \
        --env-file "$dir/.env.docker" down -v --remove-orphans >/dev/null 2>&1 || true
    fi
  done <"$E2E_RUN/projects.list"
  local ids
  ids="$(docker ps -aq --filter "label=convex-scaffold-e2e=$E2E_RUN_ID" 2>/dev/null || true)"
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
  ids="$(docker volume ls -q --filter "label=convex-scaffold-e2e=$E2E_RUN_ID" 2>/dev/null || true)"
  [ -z "$ids" ] || docker volume rm -f $ids >/dev/null 2>&1 || true
  ids="$(docker network ls -q --filter "label=convex-scaffold-e2e=$E2E_RUN_ID" 2>/dev/null || true)"
  [ -z "$ids" ] || docker network rm $ids >/dev/null 2>&1 || true
}

# --- images -----------------------------------------------------------------------
# Debian bookworm minbase with python3 (+brotli), curl and CA certificates,
# cached as a tarball; imported as $BASE_IMAGE.
ensure_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then return 0; fi
  local tarball="$E2E_CACHE/rootfs-base.tar"
  if [ ! -s "$tarball" ]; then
    local rootfs="$E2E_RUN/rootfs-base"
    log "debootstrap bookworm (about a minute; cached afterwards in $tarball)"
    debootstrap --variant=minbase --include=python3,python3-brotli,curl,ca-certificates \
      bookworm "$rootfs" "$(apt_mirror)" >"$E2E_RUN/debootstrap.log" 2>&1 ||
      { tail -n 20 "$E2E_RUN/debootstrap.log" >&2; die "debootstrap failed"; }
    rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  docker import "$tarball" "$BASE_IMAGE" >/dev/null
}

# A Debian rootfs with PACKAGES, from debootstrap, cached as a tarball like
# the base image and imported as TAG.
#   ensure_rootfs_image TAG SUITE CACHE_NAME PACKAGES(comma-separated)
ensure_rootfs_image() {
  local tag="$1" suite="$2" name="$3" packages="$4"
  if docker image inspect "$tag" >/dev/null 2>&1; then return 0; fi
  local tarball="$E2E_CACHE/rootfs-$name.tar"
  if [ ! -s "$tarball" ]; then
    local rootfs="$E2E_RUN/rootfs-$name"
    log "debootstrap $suite with $packages (a few minutes; cached afterwards in $tarball)"
    debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$(apt_mirror)" \
      >"$E2E_RUN/debootstrap-$name.log" 2>&1 ||
      { tail -n 20 "$E2E_RUN/debootstrap-$name.log" >&2; die "debootstrap of $name failed"; }
    rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  docker import "$tarball" "$tag" >/dev/null
}

# The pinned Postgres image, built from Debian trixie's postgresql-17 with
# an entrypoint that keeps the official image's contract (POSTGRES_USER,
# POSTGRES_PASSWORD, initdb on the first start listening on the socket only,
# scram-sha-256 over TCP). Tagged as the reference the project pins.
#   build_postgres_image TAG
build_postgres_image() {
  local tag="$1" rootfs_tag="e2e-rootfs-postgres17:trixie"
  ensure_rootfs_image "$rootfs_tag" trixie postgres17 postgresql-17,postgresql-client-17
  BASE_IMAGE="$rootfs_tag" build_if_changed "$tag" "$E2E_DIR/standins/postgres"
}

# The pinned MySQL image, stood in for by MariaDB from Debian bookworm's
# mariadb-server, with the official image's environment contract.
#   build_mysql_image TAG
build_mysql_image() {
  local tag="$1" rootfs_tag="e2e-rootfs-mariadb:bookworm"
  ensure_rootfs_image "$rootfs_tag" bookworm mariadb mariadb-server,mariadb-client
  BASE_IMAGE="$rootfs_tag" build_if_changed "$tag" "$E2E_DIR/standins/mysql"
}

# Builds the backend and dashboard stand-ins and tags them with the exact
# references a rendered project pins (compose then never pulls).
#   build_standins BACKEND_REF DASHBOARD_REF RELEASE_DATE
# An image is rebuilt when its sources changed (label e2e.src = their hash).
build_standins() {
  local backend="$1" dashboard="$2" date="$3"
  build_if_changed "$backend" "$E2E_DIR/standins/backend" --build-arg "RELEASE_DATE=$date"
  build_if_changed "$dashboard" "$E2E_DIR/standins/dashboard"
}

# build_if_changed TAG CONTEXT [docker build args...]
build_if_changed() {
  local tag="$1" context="$2" hash have
  shift 2
  hash="$( (cd "$context" && find . -type f -print0 | sort -z | xargs -0 sha256sum; printf '%s\n' "$@") | sha256sum | cut -c1-16)"
  have="$(docker image inspect -f '{{index .Config.Labels "e2e.src"}}' "$tag" 2>/dev/null || true)"
  [ "$have" != "$hash" ] || return 0
  log "building $tag"
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$BASE_IMAGE" --label "e2e.src=$hash" "$@" \
    -t "$tag" "$context" >/dev/null || die "building $tag from $context failed"
}
