# shellcheck shell=bash
# The project's settings for the convex-*.sh scripts; sourced, never run.
# Rendered by convex-scaffold 0.1.0: change them with
# `convex-scaffold upgrade --set KEY=VALUE` (or a pin flag), not here.
# shellcheck disable=SC2034
CONVEX_PM=pnpm
# shellcheck disable=SC2034
CONVEX_VERSION=1.51.0
# shellcheck disable=SC2034
CONVEX_STORAGE=local
# shellcheck disable=SC2034
CONVEX_S3_ENDPOINT=''
# shellcheck disable=SC2034
CONVEX_DATABASE=sqlite
# shellcheck disable=SC2034
CONVEX_DATABASE_EXTERNAL=''
# shellcheck disable=SC2034
CONVEX_FRONTEND_URL_VAR=VITE_CONVEX_URL
# shellcheck disable=SC2034
CONVEX_AUTH=none
# shellcheck disable=SC2034
CONVEX_FRONTEND_DEV_PORT=5173
