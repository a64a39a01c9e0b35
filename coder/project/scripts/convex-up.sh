#!/usr/bin/env bash
# Starts the self-hosted Convex backend and dashboard, waits for /version, and
# makes sure .env.local holds a working admin key. Idempotent: run it again
# any time. Rendered by convex-scaffold 0.1.0.
#   scripts/convex-up.sh            (CONVEX_UP_TIMEOUT=seconds to wait, default 180)
set -euo pipefail
# shellcheck source=scripts/convex-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/convex-common.sh"

need docker "Convex runs in docker compose"
need curl "it is used for the health checks"
# The daemon may still be starting (devcontainer feature, Coder's dockerd script).
wait_for_docker

ensure_env_docker
backend_log_on_failure
check_s3_env
check_s3_dns
sync_ports
backup_before_image_change

log "starting the backend"
# Only a missing image is pulled (compose's default), so this also works
# offline and behind a private mirror when the images are present. The
# backend goes first: when it cannot start, its log says why, while a
# dashboard waiting on it would only say "unhealthy".
timeout "${CONVEX_PULL_TIMEOUT:-900}" docker compose --project-directory "$PROJECT_DIR" \
  -f "$PROJECT_DIR/docker-compose.yml" --env-file "$ENV_DOCKER" up -d backend ||
  { die_if_image_missing backend; die "docker compose up failed for the backend"; }

api="$(local_api)"
rc=0
wait_backend_up "${CONVEX_UP_TIMEOUT:-180}" || rc=$?
case "$rc" in
  0) ;;
  2) die "the backend container stopped or restarted instead of starting" ;;
  *) die "the backend did not answer $api/version within ${CONVEX_UP_TIMEOUT:-180}s" ;;
esac
log "starting the dashboard"
timeout "${CONVEX_PULL_TIMEOUT:-900}" docker compose --project-directory "$PROJECT_DIR" \
  -f "$PROJECT_DIR/docker-compose.yml" --env-file "$ENV_DOCKER" up -d ||
  { die_if_image_missing dashboard; die "docker compose up failed"; }
record_backend_image
log "backend healthy at $api"

# .env.local: the CLI's URL and admin key, and the frontend's URL. In a Coder
# workspace the template exports the public URL; keep the file in step with it.
if [ ! -f "$ENV_LOCAL" ]; then
  (umask 077 && : >"$ENV_LOCAL")
fi
url="${CONVEX_SELF_HOSTED_URL:-$(dotenv_get "$ENV_LOCAL" CONVEX_SELF_HOSTED_URL)}"
url="$(follow_port "${url:-$api}" "$(api_port)")"
dotenv_set "$ENV_LOCAL" CONVEX_SELF_HOSTED_URL "${url%/}"
if [ -n "$CONVEX_FRONTEND_URL_VAR" ]; then
  dotenv_set "$ENV_LOCAL" "$CONVEX_FRONTEND_URL_VAR" "${url%/}"
fi

key="$(dotenv_get "$ENV_LOCAL" CONVEX_SELF_HOSTED_ADMIN_KEY)"
if [ -n "$key" ] && ! curl -fsS -m 5 -H "Authorization: Convex $key" "$api/api/check_admin_key" >/dev/null 2>&1; then
  log "the admin key in .env.local is rejected by this backend (BadAdminKey); minting a new one"
  key=""
fi
if [ -z "$key" ]; then
  # stdout holds only the key (the banner goes to stderr); -T keeps them apart.
  if ! minted="$(compose exec -T backend ./generate_admin_key.sh 2>/dev/null)"; then
    die "could not mint an admin key: \`docker compose exec -T backend ./generate_admin_key.sh\` failed"
  fi
  key="$(printf '%s\n' "$minted" | tail -n 1 | tr -d '\r')"
  case "$key" in
    *'|'*) ;;
    *) die "generate_admin_key.sh printed no admin key" ;;
  esac
  dotenv_set "$ENV_LOCAL" CONVEX_SELF_HOSTED_ADMIN_KEY "$key"
  log "wrote a new admin key to .env.local"
fi
curl -fsS -m 5 -H "Authorization: Convex $key" "$api/api/check_admin_key" >/dev/null ||
  die "the backend rejects the admin key in .env.local (401 BadAdminKey)"

log "ready: API $url, dashboard http://127.0.0.1:$(dashboard_port)"
log "next: scripts/convex-deploy.sh deploys your functions"
