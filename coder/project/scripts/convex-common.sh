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

# Fails loudly, shows the backend's recent log when there is one (the cause
# is usually there, e.g. the storage-type lock), and says where to look next.
die() {
  printf '[convex] ERROR: %s\n' "$*" >&2
  show_backend_log
  if command -v convex-scaffold >/dev/null 2>&1; then
    printf '[convex] Next: run `convex-scaffold doctor %s`, or pipe the output above into `convex-scaffold diagnose`.\n' "$PROJECT_DIR" >&2
  else
    printf '[convex] Next: convex-scaffold is not installed here. Save the output above and run `npx convex-scaffold diagnose FILE`, or `npx convex-scaffold doctor` in this project (npm install -g convex-scaffold puts it on PATH).\n' >&2
  fi
  exit 1
}

# From here on, a failure also shows the backend's log (call once Docker is up).
backend_log_on_failure() { BACKEND_LOG_ON_FAILURE=1; }

# The last lines of the backend container's log, once per run, when the
# backend container exists and backend_log_on_failure was called.
show_backend_log() {
  [ "${BACKEND_LOG_ON_FAILURE:-0}" = 1 ] || return 0
  BACKEND_LOG_ON_FAILURE=0
  local cid init
  # With a database service: the one-shot that creates or checks the
  # database runs first, and its failure leaves the backend unstarted.
  init="$(compose ps -a -q database-init 2>/dev/null | head -n 1)" || init=""
  if [ -n "$init" ] && [ "$(docker inspect -f '{{.State.ExitCode}}' "$init" 2>/dev/null || echo 0)" != 0 ]; then
    printf '[convex] ---- the database-init log (it creates or checks the database before the backend starts) ----\n' >&2
    docker logs --tail 20 "$init" 2>&1 | sed 's/^/  | /' >&2 || true
  fi
  cid="$(compose ps -a -q backend 2>/dev/null | head -n 1)" || return 0
  [ -n "$cid" ] || return 0
  printf '[convex] ---- last lines of the backend log (docker compose logs backend) ----\n' >&2
  docker logs --tail "${CONVEX_LOG_LINES:-60}" "$cid" 2>&1 | sed 's/^/  | /' >&2 || true
  printf '[convex] ---- end of the backend log ----\n' >&2
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

# A host port from .env.docker: PORT (API), SITE_PROXY_PORT, DASHBOARD_PORT.
port_of() {
  local value
  value="$(dotenv_get "$ENV_DOCKER" "$1")"
  case "$value" in
    '' | *[!0-9]*) printf '%s' "$2" ;;
    *) printf '%s' "$value" ;;
  esac
}
api_port() { port_of PORT 3210; }
site_port() { port_of SITE_PROXY_PORT 3211; }
dashboard_port() { port_of DASHBOARD_PORT 6791; }

local_api() { printf 'http://127.0.0.1:%s' "$(api_port)"; }

# URL PORT: a loopback URL (http://127.0.0.1[:N] or http://localhost[:N])
# moved to PORT; any other URL (a Coder subdomain URL, a proxy) unchanged.
follow_port() {
  if [[ "$1" =~ ^(http://(127\.0\.0\.1|localhost))(:[0-9]+)?/?$ ]]; then
    printf '%s:%s' "${BASH_REMATCH[1]}" "$2"
  else
    printf '%s' "$1"
  fi
}

# Keeps every loopback URL in .env.docker and .env.local on the ports that
# .env.docker publishes, so a project moved to other ports (two projects side
# by side) never talks to another project's backend.
sync_ports() {
  local file key port value moved
  for file in "$ENV_DOCKER" "$ENV_LOCAL"; do
    [ -f "$file" ] || continue
    for key in CONVEX_CLOUD_ORIGIN NEXT_PUBLIC_DEPLOYMENT_URL CONVEX_SITE_ORIGIN \
      CONVEX_SELF_HOSTED_URL ${CONVEX_FRONTEND_URL_VAR:+"$CONVEX_FRONTEND_URL_VAR"}; do
      value="$(dotenv_get "$file" "$key")"
      [ -n "$value" ] || continue
      case "$key" in
        CONVEX_SITE_ORIGIN) port="$(site_port)" ;;
        *) port="$(api_port)" ;;
      esac
      moved="$(follow_port "$value" "$port")"
      if [ "$moved" != "$value" ]; then
        dotenv_set "$file" "$key" "$moved"
        log "${file##*/}: $key $value -> $moved (follows the ports in .env.docker)"
      fi
    done
  done
}

# Waits for the Docker daemon, at most CONVEX_DOCKER_WAIT seconds, with a
# progress line every 10s. Fails at once when there is no daemon to wait for
# (no socket and no dockerd process), and after 20s when a dockerd runs but
# its socket never appears where the docker CLI looks.
wait_for_docker() {
  local limit="${CONVEX_DOCKER_WAIT:-60}" deadline next host socket=""
  docker info >/dev/null 2>&1 && return 0
  host="${DOCKER_HOST:-$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)}"
  host="${host:-unix:///var/run/docker.sock}"
  case "$host" in
    unix://*) socket="${host#unix://}" ;;
  esac
  # (Without pgrep nothing can be told: wait as for a starting daemon.)
  if [ -n "$socket" ] && [ ! -S "$socket" ] && command -v pgrep >/dev/null 2>&1 &&
    ! pgrep -x dockerd >/dev/null 2>&1; then
    die "the Docker daemon is not running: no socket at $socket and no dockerd process (start it: sudo service docker start, or sudo dockerd &)"
  fi
  log "waiting for the Docker daemon at $host (up to ${limit}s)"
  deadline=$((SECONDS + limit))
  next=$((SECONDS + 10))
  until docker info >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] ||
      die "the Docker daemon is not running after ${limit}s (try: sudo service docker start)"
    if [ -n "$socket" ] && [ ! -S "$socket" ] && [ $((SECONDS + limit - deadline)) -ge 20 ]; then
      die "the Docker daemon is not running: no socket at $socket after 20s (a dockerd runs, but not there: check DOCKER_HOST and the docker context)"
    fi
    if [ "$SECONDS" -ge "$next" ]; then
      log "still waiting for the Docker daemon ($((SECONDS + limit - deadline))s of ${limit}s)"
      next=$((SECONDS + 10))
    fi
    sleep 1
  done
}

# The image compose runs for SERVICE, as the compose file pins it.
# The image compose would run for service $1. `config --images SERVICE` also
# lists the service's dependencies (the database service), so this prefers the
# line naming convex-$1, and awk reads every line: with `head -n 1`, compose
# could die of SIGPIPE and pipefail would end the script without a word.
pinned_image() {
  compose config --images "$1" 2>/dev/null |
    awk -v want="convex-$1" 'NR == 1 { first = $0 } index($0, want) && !found { print; found = 1 } END { if (!found && first != "") print first }'
}

# After a failed `docker compose up`: when a pinned image is neither on this
# machine nor pullable, say so, naming the organisation rename (the npm
# package moved from github.com/get-convex to github.com/convex; ghcr.io
# does not redirect an image that moves) and the pin override. Returns when
# every image is present (the failure has another cause).
die_if_image_missing() {
  local service image
  for service in "$@"; do
    image="$(pinned_image "$service")"
    [ -n "$image" ] || continue
    docker image inspect "$image" >/dev/null 2>&1 && continue
    die "no $service image to start: $image is not on this machine and could not be pulled (compose's error is above). If the registry said 'manifest unknown' or 'denied', no image has that name: Convex publishes ghcr.io/get-convex/convex-$service, and its repository now lives at github.com/convex, so newer images may be under ghcr.io/convex/ (ghcr.io does not redirect). Check with 'docker manifest inspect NAME:TAG', then pin what exists: convex-scaffold upgrade --backend-image NAME:TAG --dashboard-image NAME:TAG (the backend_image/dashboard_image answers), or pick another row: convex-scaffold upgrade --release DATE (see convex-scaffold pins)"
  done
}

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

# Like wait_healthy, for a backend that was just started: returns 2 at once
# when its container exits or restarts (the backend refuses to start, e.g.
# the storage-type lock), 1 when the time is up.
wait_backend_up() {
  local limit="$1" api deadline cid state
  api="$(local_api)"
  deadline=$((SECONDS + limit))
  until curl -fsS -m 2 "$api/version" >/dev/null 2>&1; do
    cid="$(compose ps -a -q backend 2>/dev/null | head -n 1)"
    if [ -n "$cid" ]; then
      state="$(docker inspect -f '{{.State.Status}} {{.RestartCount}}' "$cid" 2>/dev/null || true)"
      case "$state" in
        exited* | dead* | restarting* | *' '[1-9]*) return 2 ;;
      esac
    fi
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
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
  # The bundled database's password, the same way (never printed). Only when
  # empty: the database volume keeps the password it was first started with.
  if [ "${CONVEX_DATABASE:-sqlite}" != sqlite ] && [ -z "${CONVEX_DATABASE_EXTERNAL:-}" ] &&
    [ -z "$(dotenv_get "$ENV_DOCKER" DATABASE_PASSWORD)" ]; then
    dotenv_set "$ENV_DOCKER" DATABASE_PASSWORD "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
    log "generated DATABASE_PASSWORD in .env.docker"
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
  # docker-compose.yml passes S3_ENDPOINT_URL only when the project was
  # rendered with s3_endpoint_url; the backend takes an empty value as the
  # endpoint (env::var(..).ok() in upstream's crates/aws_utils/src/lib.rs).
  local endpoint
  endpoint="${S3_ENDPOINT_URL:-$(dotenv_get "$ENV_DOCKER" S3_ENDPOINT_URL)}"
  if [ -n "${CONVEX_S3_ENDPOINT:-}" ] && [ -z "$endpoint" ]; then
    die "S3_ENDPOINT_URL is empty in .env.docker, but docker-compose.yml passes it: the backend would take the empty value as its S3 endpoint. Set it to your store's URL, or for AWS run \`convex-scaffold upgrade --set s3_endpoint_url=\`"
  fi
  if [ -z "${CONVEX_S3_ENDPOINT:-}" ] && [ -n "$endpoint" ]; then
    die "S3_ENDPOINT_URL is set to $endpoint, but this project was rendered for AWS and docker-compose.yml does not pass it (the backend would talk to AWS). Run \`convex-scaffold upgrade --set s3_endpoint_url=$endpoint\`"
  fi
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
  # Pull only a missing image (offline and private-mirror sites already have
  # it), and before the check, so a slow download is not taken for DNS.
  local image
  image="$(pinned_image backend)"
  if [ -z "$image" ] || ! docker image inspect "$image" >/dev/null 2>&1; then
    log "pulling ${image:-the backend image}"
    timeout "${CONVEX_PULL_TIMEOUT:-900}" docker compose --project-directory "$PROJECT_DIR" \
      -f "$PROJECT_DIR/docker-compose.yml" --env-file "$ENV_DOCKER" pull --quiet backend ||
      die "could not pull ${image:-the backend image} within ${CONVEX_PULL_TIMEOUT:-900}s"
  fi
  timeout 60 docker compose --project-directory "$PROJECT_DIR" -f "$PROJECT_DIR/docker-compose.yml" \
    --env-file "$ENV_DOCKER" run --rm --no-deps -T --entrypoint getent backend hosts "$host" >/dev/null 2>&1 || rc=$?
  case "$rc" in
    0) ;;
    124) die "checking whether '$host' resolves inside a container took over 60s; is the Docker daemon healthy?" ;;
    2) die "the S3 endpoint host '$host' does not resolve inside Docker containers (\"dns error: failed to lookup address information\"). Give the inner Docker daemon a resolver that knows it (\"dns\" in /etc/docker/daemon.json, as the Coder template does) or use an endpoint resolvable from containers" ;;
    *) die "could not check whether '$host' resolves inside a container (docker compose run exited $rc)" ;;
  esac
}

# The package manager as a command (PM_CMD) and the pinned convex CLI run
# through it (CONVEX_CLI); both used as "${X[@]}" by the scripts that source
# this file. ensure_cli replaces them with what it found runnable.
# shellcheck disable=SC2034
PM_CMD=("$CONVEX_PM")
# shellcheck disable=SC2034 # CONVEX_CLI is used by the scripts that source this file
set_convex_cli() {
  case "$CONVEX_PM" in
    pnpm) CONVEX_CLI=("${PM_CMD[@]}" exec convex) ;;
    npm) CONVEX_CLI=(npx --no-install convex) ;;
    yarn) CONVEX_CLI=("${PM_CMD[@]}" convex) ;;
    bun) CONVEX_CLI=(bun run convex) ;; # bin from node_modules only, never a download
    *) die "unknown package manager '$CONVEX_PM'" ;;
  esac
}
set_convex_cli

# The version package.json's packageManager pins for $CONVEX_PM (empty: none).
pinned_pm_version() {
  node -e 'const spec = String(require(process.argv[1]).packageManager || "");
    const m = /^([a-z]+)@([0-9][^+]*)/.exec(spec);
    if (m && m[1] === process.argv[2]) console.log(m[2]);' \
    "$PROJECT_DIR/package.json" "$CONVEX_PM" 2>/dev/null || true
}

# Makes the pinned package manager runnable, at every start: a Coder workspace
# container is new at each start, so a corepack shim or global install made
# by the previous one is gone. In order: the same version already on PATH;
# corepack (it fetches from its own registry and refuses metadata without
# signatures, as many mirrors serve it); `npm exec` of the exact version,
# which uses npm's own registry settings, mirror and cache.
ensure_package_manager() {
  local want have out
  case "$CONVEX_PM" in
    pnpm | yarn) want="$(pinned_pm_version)" ;;
    *) want="" ;;
  esac
  if [ -z "$want" ]; then
    need "$CONVEX_PM" "install it, or change package_manager with \`convex-scaffold upgrade --set package_manager=...\`"
    PM_CMD=("$CONVEX_PM")
    set_convex_cli
    return 0
  fi
  if command -v "$CONVEX_PM" >/dev/null 2>&1; then
    have="$(cd "$PROJECT_DIR" && COREPACK_ENABLE_DOWNLOAD_PROMPT=0 timeout 120 "$CONVEX_PM" --version </dev/null 2>/dev/null | tail -n 1 || true)"
    if [ "$have" = "$want" ]; then
      PM_CMD=("$CONVEX_PM")
      set_convex_cli
      return 0
    fi
  fi
  if command -v corepack >/dev/null 2>&1; then
    out="$(cd "$PROJECT_DIR" && COREPACK_ENABLE_DOWNLOAD_PROMPT=0 timeout 120 corepack "$CONVEX_PM@$want" --version </dev/null 2>&1 || true)"
    if [ "$(printf '%s\n' "$out" | tail -n 1)" = "$want" ]; then
      PM_CMD=(corepack "$CONVEX_PM@$want")
      set_convex_cli
      # The same command in the user's terminal (shims next to node; best effort).
      if ! command -v "$CONVEX_PM" >/dev/null 2>&1; then
        corepack enable "$CONVEX_PM" >/dev/null 2>&1 || sudo -n corepack enable "$CONVEX_PM" >/dev/null 2>&1 || true
      fi
      log "using $CONVEX_PM@$want through corepack"
      return 0
    fi
    log "corepack could not provide $CONVEX_PM@$want: $(printf '%s\n' "$out" | grep -m 1 -E '(^|[[:space:]])(Internal |Usage )?Error: ' || printf '%s\n' "$out" | tail -n 1)"
  fi
  need npm "it runs $CONVEX_PM@$want when corepack cannot fetch it"
  out="$(cd "$PROJECT_DIR" && timeout "${CONVEX_INSTALL_TIMEOUT:-600}" npm exec --yes "$CONVEX_PM@$want" -- --version </dev/null 2>&1 || true)"
  if [ "$(printf '%s\n' "$out" | tail -n 1)" = "$want" ]; then
    PM_CMD=(npm exec --yes "$CONVEX_PM@$want" --)
    set_convex_cli
    log "using $CONVEX_PM@$want through npm exec (npm's registry settings; \`npm install -g $CONVEX_PM@$want\` puts it on your PATH)"
    return 0
  fi
  printf '%s\n' "$out" | tail -n 5 >&2
  die "$CONVEX_PM@$want (packageManager in package.json) is not available: not on PATH, corepack cannot fetch it, and \`npm exec --yes $CONVEX_PM@$want\` failed (output above). Install it with \`npm install -g $CONVEX_PM@$want\` (as root or with sudo), or point npm (npm_config_registry) or corepack (COREPACK_NPM_REGISTRY) at a registry that serves it"
}

# The convex version node_modules holds ("" when none).
installed_cli_version() {
  [ -f "$PROJECT_DIR/node_modules/convex/package.json" ] || return 0
  node -p 'require(process.argv[1]).version' "$PROJECT_DIR/node_modules/convex/package.json" 2>/dev/null || true
}

# Makes the package manager runnable, then installs dependencies when
# node_modules does not hold the pinned CLI.
ensure_cli() {
  local installed
  ensure_package_manager
  installed="$(installed_cli_version)"
  [ "$installed" = "$CONVEX_VERSION" ] && return 0
  log "installing dependencies with ${PM_CMD[*]} (convex $CONVEX_VERSION)"
  local install_args=(install)
  # A moved pin (after `convex-scaffold upgrade`) must reach the lockfile too,
  # also where CI=true makes pnpm default to --frozen-lockfile.
  [ "$CONVEX_PM" != pnpm ] || install_args+=(--no-frozen-lockfile)
  (cd "$PROJECT_DIR" && timeout "${CONVEX_INSTALL_TIMEOUT:-600}" "${PM_CMD[@]}" "${install_args[@]}" </dev/null) || die "$CONVEX_PM install failed"
  installed="$(installed_cli_version)"
  [ "$installed" = "$CONVEX_VERSION" ] || die "node_modules holds convex '$installed', but the pin is $CONVEX_VERSION; check the lockfile"
}

# The backend image this project's data volume last ran with (written by
# convex-up.sh after each healthy start; git-ignored, machine-local).
LAST_IMAGE_FILE="$PROJECT_DIR/.convex-scaffold/backend-image"

# The backend migrates its database forward when a newer image starts and
# cannot go back. Before the pinned image replaces the one the data volume
# last ran with, this starts the old image (if it is not running), exports a
# dated backup with `convex export --include-file-storage` into backups/, and
# only returns when the backup exists; otherwise the new image is not started.
backup_before_image_change() {
  local pinned old cid file
  pinned="$(pinned_image backend)"
  [ -n "$pinned" ] || return 0
  cid="$(compose ps -a -q backend 2>/dev/null | head -n 1)"
  if [ -n "$cid" ]; then
    old="$(docker inspect -f '{{.Config.Image}}' "$cid" 2>/dev/null || true)"
  else
    old="$(cat "$LAST_IMAGE_FILE" 2>/dev/null || true)"
  fi
  [ -n "$old" ] && [ "$old" != "$pinned" ] || return 0
  if [ -z "$cid" ] && [ -z "$(data_volume)" ]; then
    return 0 # no data yet: nothing to migrate
  fi
  log "the backend image changes: $old -> $pinned"
  log "the new image migrates the database forward and cannot go back, so a backup is exported with the old image first"
  if [ "${CONVEX_SKIP_UPGRADE_BACKUP:-0}" = 1 ]; then
    log "CONVEX_SKIP_UPGRADE_BACKUP=1: going on WITHOUT a backup"
    return 0
  fi
  [ -n "$(dotenv_get "$ENV_LOCAL" CONVEX_SELF_HOSTED_ADMIN_KEY)" ] ||
    die "no admin key in .env.local to export the backup with, so the new backend image was NOT started. Put the key back, or go on without a backup: CONVEX_SKIP_UPGRADE_BACKUP=1 scripts/convex-up.sh"
  if ! wait_healthy 1; then
    log "starting the old backend image ($old) for the backup"
    CONVEX_BACKEND_IMAGE_OVERRIDE="$old" compose_old_image up -d --no-deps backend >&2 ||
      die "could not start the old backend image $old for the backup; the new image was NOT started"
    wait_healthy "${CONVEX_UP_TIMEOUT:-180}" ||
      die "the old backend ($old) did not answer $(local_api)/version, so no backup could be taken; the new image was NOT started"
  fi
  ensure_cli
  mkdir -p "$PROJECT_DIR/backups"
  file="${pinned##*:}"
  file="$PROJECT_DIR/backups/convex-export-$(date +%Y%m%d-%H%M%S)-before-${file:0:12}.zip"
  log "exporting all data and stored files to $file"
  if ! (cd "$PROJECT_DIR" && CONVEX_SELF_HOSTED_URL="$(local_api)" CI=1 \
    timeout "${CONVEX_EXPORT_TIMEOUT:-900}" "${CONVEX_CLI[@]}" export --include-file-storage --path "$file") >&2 ||
    [ ! -s "$file" ]; then
    rm -f "$file"
    die "the backup export failed, so the new backend image was NOT started (the old one, $old, still serves the data). Fix the export and run this again, or go on without a backup: CONVEX_SKIP_UPGRADE_BACKUP=1 scripts/convex-up.sh"
  fi
  log "backup written: $file (restore: ${CONVEX_CLI[*]} import --replace-all $file)"
}

# The project's data volume, when it exists (compose labels it).
data_volume() {
  local project="${COMPOSE_PROJECT_NAME:-$(sed -n 's/^name: *//p' "$PROJECT_DIR/docker-compose.yml" | head -n 1)}"
  docker volume ls -q --filter "label=com.docker.compose.project=$project" \
    --filter label=com.docker.compose.volume=data 2>/dev/null | head -n 1
}

# compose with the backend image replaced by $CONVEX_BACKEND_IMAGE_OVERRIDE
# (an override file beside the run; the project's files stay as they are).
compose_old_image() {
  local override rc=0
  override="$(mktemp "${TMPDIR:-/tmp}/convex-old-image.XXXXXX.yml")"
  printf 'services:\n  backend:\n    image: "%s"\n' "$CONVEX_BACKEND_IMAGE_OVERRIDE" >"$override"
  docker compose --project-directory "$PROJECT_DIR" -f "$PROJECT_DIR/docker-compose.yml" -f "$override" \
    --env-file "$ENV_DOCKER" "$@" || rc=$?
  rm -f "$override"
  return "$rc"
}

# Records the image the data volume now runs with.
record_backend_image() {
  local image
  image="$(pinned_image backend)"
  [ -n "$image" ] || return 0
  mkdir -p "$(dirname "$LAST_IMAGE_FILE")"
  printf '%s\n' "$image" >"$LAST_IMAGE_FILE.tmp" && mv -f "$LAST_IMAGE_FILE.tmp" "$LAST_IMAGE_FILE"
}
