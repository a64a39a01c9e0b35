# shellcheck shell=bash
# Helpers shared by the convex-*.sh scripts; sourced, never run. The project's
# settings come from convex-config.sh (rendered by convex-scaffold).

# shellcheck source=scripts/convex-config.sh
source "$(dirname "${BASH_SOURCE[0]}")/convex-config.sh"

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_DOCKER="$PROJECT_DIR/.env.docker"
# shellcheck disable=SC2034 # used by the scripts that source this file
ENV_LOCAL="$PROJECT_DIR/.env.local"

log() { printf '[convex] %s\n' "$*" >&2; }

# Fails loudly, and says where to look next.
die() {
  printf '[convex] ERROR: %s\n' "$*" >&2
  printf '[convex] Next: run `convex-scaffold doctor %s`, or pipe the output above into `convex-scaffold diagnose`.\n' "$PROJECT_DIR" >&2
  exit 1
}

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed; $2"; }

# The value of KEY in a dotenv FILE (last assignment wins; quotes removed).
dotenv_get() {
  local file="$1" key="$2" line value=""
  [ -f "$file" ] || { printf ''; return 0; }
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    case "$line" in
      "$key="*) value="${line#"$key="}" ;;
    esac
  done <"$file"
  case "$value" in
    \'*\') value="${value:1:${#value}-2}" ;;
    \"*\") value="${value:1:${#value}-2}" ;;
  esac
  printf '%s' "$value"
}

# Sets KEY=VALUE in a dotenv FILE atomically (temp file + rename), mode 0600.
dotenv_set() {
  local file="$1" key="$2" value="$3" tmp line found=0
  case "$value" in
    *[!A-Za-z0-9_./:@\|+=,-]*) value="'${value//\'/}'" ;;
  esac
  tmp="$(umask 077 && mktemp "$file.tmp.XXXXXX")"
  if [ -f "$file" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        "$key="*) [ "$found" = 1 ] || printf '%s=%s\n' "$key" "$value"; found=1 ;;
        *) printf '%s\n' "$line" ;;
      esac
    done <"$file" >"$tmp"
  fi
  [ "$found" = 1 ] || printf '%s=%s\n' "$key" "$value" >>"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$file"
}

compose() {
  docker compose --project-directory "$PROJECT_DIR" -f "$PROJECT_DIR/docker-compose.yml" \
    --env-file "$ENV_DOCKER" "$@"
}

local_api() { printf 'http://127.0.0.1:%s' "$(dotenv_get "$ENV_DOCKER" PORT | grep -E '^[0-9]+$' || echo 3210)"; }

# Waits until the backend answers /version, at most $1 seconds.
wait_healthy() {
  local limit="$1" api deadline
  api="$(local_api)"
  deadline=$((SECONDS + limit))
  until curl -fsS -m 2 "$api/version" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 2
  done
}

# Creates .env.docker from the committed example, with a fresh 64-hex
# INSTANCE_SECRET from the OS random source, when it is missing.
ensure_env_docker() {
  if [ ! -f "$ENV_DOCKER" ]; then
    [ -f "$ENV_DOCKER.example" ] || die ".env.docker and .env.docker.example are both missing; re-render with \`convex-scaffold upgrade\`"
    (umask 077 && cp "$ENV_DOCKER.example" "$ENV_DOCKER")
    log "created .env.docker from .env.docker.example"
  fi
  if [ -z "$(dotenv_get "$ENV_DOCKER" INSTANCE_SECRET)" ]; then
    dotenv_set "$ENV_DOCKER" INSTANCE_SECRET "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
    log "generated INSTANCE_SECRET in .env.docker"
  fi
  chmod 600 "$ENV_DOCKER"
}

# S3 mode needs the complete variable set, or the backend silently falls back
# to local storage and then locks that choice in its database.
check_s3_env() {
  [ "$CONVEX_STORAGE" = s3 ] || return 0
  local key missing=()
  for key in AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY S3_STORAGE_EXPORTS_BUCKET \
    S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET S3_STORAGE_MODULES_BUCKET S3_STORAGE_FILES_BUCKET \
    S3_STORAGE_SEARCH_BUCKET; do
    [ -n "${!key:-$(dotenv_get "$ENV_DOCKER" "$key")}" ] || missing+=("$key")
  done
  [ "${#missing[@]}" -eq 0 ] || die "storage is s3 but ${missing[*]} empty in .env.docker; the backend would silently use local storage and lock it in"
  for key in AWS_S3_FORCE_PATH_STYLE AWS_S3_DISABLE_SSE AWS_S3_DISABLE_CHECKSUMS; do
    case "$(dotenv_get "$ENV_DOCKER" "$key")" in
      "" | true | false) ;;
      *) die "$key must be the literal true or false (the backend reads anything else as false)" ;;
    esac
  done
}

# The classic S3 failure: an endpoint that the workspace resolves but Docker
# containers do not ("dns error: failed to lookup address information").
check_s3_dns() {
  [ "$CONVEX_STORAGE" = s3 ] || return 0
  local endpoint host rc=0
  endpoint="$(dotenv_get "$ENV_DOCKER" S3_ENDPOINT_URL)"
  [ -n "$endpoint" ] || return 0
  host="${endpoint#*://}"
  host="${host%%/*}"
  host="${host%:*}"
  # Pull first, so a slow first download is not mistaken for a DNS failure.
  timeout "${CONVEX_PULL_TIMEOUT:-900}" docker compose --project-directory "$PROJECT_DIR" \
    -f "$PROJECT_DIR/docker-compose.yml" --env-file "$ENV_DOCKER" pull --quiet backend ||
    die "could not pull the backend image within ${CONVEX_PULL_TIMEOUT:-900}s"
  timeout 60 docker compose --project-directory "$PROJECT_DIR" -f "$PROJECT_DIR/docker-compose.yml" \
    --env-file "$ENV_DOCKER" run --rm --no-deps -T --entrypoint getent backend hosts "$host" >/dev/null 2>&1 || rc=$?
  case "$rc" in
    0) ;;
    124) die "checking whether '$host' resolves inside a container took over 60s; is the Docker daemon healthy?" ;;
    2) die "the S3 endpoint host '$host' does not resolve inside Docker containers (\"dns error: failed to lookup address information\"). Give the inner Docker daemon a resolver that knows it (\"dns\" in /etc/docker/daemon.json, as the Coder template does) or use an endpoint resolvable from containers" ;;
    *) die "could not check whether '$host' resolves inside a container (docker compose run exited $rc)" ;;
  esac
}

# The pinned convex CLI, run through the project's package manager
# (used as "${CONVEX_CLI[@]}" by the scripts that source this file).
# shellcheck disable=SC2034
case "$CONVEX_PM" in
  pnpm) CONVEX_CLI=(pnpm exec convex) ;;
  npm) CONVEX_CLI=(npx --no-install convex) ;;
  yarn) CONVEX_CLI=(yarn convex) ;;
  bun) CONVEX_CLI=(bun run convex) ;; # bin from node_modules only, never a download
  *) die "unknown package manager '$CONVEX_PM'" ;;
esac

# Installs dependencies when node_modules does not hold the pinned CLI.
ensure_cli() {
  local installed=""
  if [ -f "$PROJECT_DIR/node_modules/convex/package.json" ]; then
    installed="$(node -p 'require(process.argv[1]).version' "$PROJECT_DIR/node_modules/convex/package.json" 2>/dev/null || true)"
  fi
  [ "$installed" = "$CONVEX_VERSION" ] && return 0
  # pnpm and yarn come with Node.js through corepack.
  if ! command -v "$CONVEX_PM" >/dev/null 2>&1 && command -v corepack >/dev/null 2>&1; then
    case "$CONVEX_PM" in
      pnpm | yarn) corepack enable >/dev/null 2>&1 || sudo -n corepack enable >/dev/null 2>&1 || true ;;
    esac
  fi
  need "$CONVEX_PM" "install it, or change package_manager with \`convex-scaffold upgrade --set package_manager=...\`"
  log "installing dependencies with $CONVEX_PM (convex $CONVEX_VERSION)"
  (cd "$PROJECT_DIR" && timeout "${CONVEX_INSTALL_TIMEOUT:-600}" "$CONVEX_PM" install) || die "$CONVEX_PM install failed"
  installed="$(node -p 'require(process.argv[1]).version' "$PROJECT_DIR/node_modules/convex/package.json" 2>/dev/null || true)"
  [ "$installed" = "$CONVEX_VERSION" ] || die "node_modules holds convex '$installed', but the pin is $CONVEX_VERSION; check the lockfile"
}
