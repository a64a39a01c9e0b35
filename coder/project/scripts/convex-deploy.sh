#!/usr/bin/env bash
# Deploys the functions in convex/ to the self-hosted backend once, with the
# pinned CLI, and proves they arrived. Rendered by convex-scaffold 0.1.0.
#   scripts/convex-deploy.sh        (CONVEX_DEPLOY_TIMEOUT=seconds, default 300)
set -euo pipefail
# shellcheck source=scripts/convex-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/convex-common.sh"

need curl "it is used for the health checks"
need node "the convex CLI runs on Node.js"
api="$(local_api)"
wait_healthy "${CONVEX_UP_TIMEOUT:-180}" || die "the backend does not answer $api/version; run scripts/convex-up.sh first"

[ -z "${CONVEX_DEPLOYMENT:-}" ] || die "CONVEX_DEPLOYMENT is set in the environment; beside CONVEX_SELF_HOSTED_URL it points the CLI at Convex cloud. Unset it."
[ -z "$(dotenv_get "$ENV_LOCAL" CONVEX_DEPLOYMENT)" ] || die "CONVEX_DEPLOYMENT is set in .env.local; remove that line (the self-hosted variables replace it)"
[ -n "$(dotenv_get "$ENV_LOCAL" CONVEX_SELF_HOSTED_ADMIN_KEY)" ] || die "no admin key in .env.local; run scripts/convex-up.sh"

ensure_cli

# CI=1: no prompts, and no hang reporting to the error tracker when offline.
# `dev --once` retries forever when nothing answers, hence the timeout.
log "deploying with convex $CONVEX_VERSION (convex dev --once)"
(cd "$PROJECT_DIR" && CI=1 timeout "${CONVEX_DEPLOY_TIMEOUT:-300}" "${CONVEX_CLI[@]}" dev --once) ||
  die "convex dev --once failed or timed out"

if [ -f "$PROJECT_DIR/convex/health.ts" ]; then
  reply="$(curl -fsS -m 10 -H 'Content-Type: application/json' \
    -d '{"path":"health:ping","args":{},"format":"json"}' "$api/api/query" || true)"
  case "$reply" in
    *'"success"'*) log "functions deployed: health:ping answered" ;;
    *) die "functions did not deploy: health:ping answered '$reply'" ;;
  esac
fi

# auth = convex-auth: the deployment's JWT_PRIVATE_KEY, JWKS and SITE_URL
# (made once, set only when they differ, never printed).
if [ "${CONVEX_AUTH:-none}" = convex-auth ]; then
  bash "$(dirname "${BASH_SOURCE[0]}")/convex-auth.sh"
fi
