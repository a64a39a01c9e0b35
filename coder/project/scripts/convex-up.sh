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
docker_deadline=$((SECONDS + ${CONVEX_DOCKER_WAIT:-60}))
until docker info >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$docker_deadline" ] ||
    die "the Docker daemon is not running after ${CONVEX_DOCKER_WAIT:-60}s (try: sudo service docker start)"
  sleep 2
done

ensure_env_docker
check_s3_env
check_s3_dns

log "starting backend and dashboard"
timeout "${CONVEX_PULL_TIMEOUT:-900}" docker compose --project-directory "$PROJECT_DIR" \
  -f "$PROJECT_DIR/docker-compose.yml" --env-file "$ENV_DOCKER" up -d ||
  die "docker compose up failed"

api="$(local_api)"
if ! wait_healthy "${CONVEX_UP_TIMEOUT:-180}"; then
  compose logs --no-color --tail 80 backend >&2 || true
  die "the backend did not answer $api/version within ${CONVEX_UP_TIMEOUT:-180}s (its log is above)"
fi
log "backend healthy at $api"

# .env.local: the CLI's URL and admin key, and the frontend's URL. In a Coder
# workspace the template exports the public URL; keep the file in step with it.
if [ ! -f "$ENV_LOCAL" ]; then
  (umask 077 && : >"$ENV_LOCAL")
fi
url="${CONVEX_SELF_HOSTED_URL:-$(dotenv_get "$ENV_LOCAL" CONVEX_SELF_HOSTED_URL)}"
url="${url:-$api}"
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
    compose logs --no-color --tail 40 backend >&2 || true
    die "could not mint an admin key: \`docker compose exec -T backend ./generate_admin_key.sh\` failed (the backend's log is above)"
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

log "ready: API $url, dashboard http://127.0.0.1:$(dotenv_get "$ENV_DOCKER" DASHBOARD_PORT | grep -E '^[0-9]+$' || echo 6791)"
log "next: scripts/convex-deploy.sh deploys your functions"
