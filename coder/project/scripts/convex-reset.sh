#!/usr/bin/env bash
# Wipes the backend's data volume and starts fresh — the only way past the
# backend's storage-type lock ("Database was initialized with Some(S3 ...),
# but backend started up with Local ..."). Exports a dated backup first.
# Rendered by convex-scaffold 0.1.0.
#   scripts/convex-reset.sh [--yes] [--no-backup] [--database-emptied]
# With an external database (database_url) the documents, modules and the
# storage lock live in that database, not in the volume: the script exports
# the backup, stops the backend and prints the command that empties the
# database (it never changes the external server itself); run that, then
# this script again with --database-emptied.
set -euo pipefail
# shellcheck source=scripts/convex-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/convex-common.sh"

assume_yes=0
backup=1
emptied=0
for arg in "$@"; do
  case "$arg" in
    --yes | -y) assume_yes=1 ;;
    --no-backup) backup=0 ;;
    --database-emptied) emptied=1 ;;
    -h | --help)
      sed -n '2,12p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown option '$arg' (use --yes, --no-backup, --database-emptied)" ;;
  esac
done

need docker "Convex runs in docker compose"
ensure_env_docker

if [ "$assume_yes" != 1 ]; then
  [ -t 0 ] || die "refusing to delete the data volume without a terminal; pass --yes"
  printf 'This deletes every document, file and admin key of this backend. Type "reset" to go on: ' >&2
  read -r answer
  [ "$answer" = reset ] || die "cancelled; nothing was deleted"
fi

if [ "$backup" = 1 ]; then
  wait_healthy 30 || die "the backend is not running, so no backup can be exported. If it refuses to start because of the storage-type lock, start it once with the previous storage settings and run this again, or pass --no-backup to wipe without a backup"
  mkdir -p "$PROJECT_DIR/backups"
  file="$PROJECT_DIR/backups/convex-export-$(date +%Y%m%d-%H%M%S).zip"
  ensure_cli
  log "exporting all data and stored files to $file"
  (cd "$PROJECT_DIR" && CI=1 timeout "${CONVEX_EXPORT_TIMEOUT:-900}" "${CONVEX_CLI[@]}" export --include-file-storage --path "$file") ||
    die "the export failed; nothing was deleted"
  [ -s "$file" ] || die "the export is empty; nothing was deleted"
fi

if [ -n "$CONVEX_DATABASE_EXTERNAL" ] && [ "$emptied" != 1 ]; then
  # The real backend keeps its state (documents, modules, the storage type)
  # in POSTGRES_URL/MYSQL_URL's database: wiping the volume alone leaves it,
  # and the backend refuses a storage switch with the storage-lock line.
  db="$(dotenv_get "$ENV_DOCKER" INSTANCE_NAME | tr - _)"
  if [ "$CONVEX_DATABASE" = postgres ]; then url_var=POSTGRES_URL; else url_var=MYSQL_URL; fi
  url="${!url_var:-$(dotenv_get "$ENV_DOCKER" "$url_var")}"
  rest="${url#*://}"
  cred="${rest%@*}"
  hostport="${rest##*@}"
  user="${cred%%:*}"
  host="${hostport%:*}"
  port="${hostport##*:}"
  [ "$port" != "$hostport" ] || port=""
  note=""
  if [ "$backup" = 1 ]; then note=" (the backup is in $file)"; fi
  log "stopping the backend: its data lives in the external $CONVEX_DATABASE database $db"
  compose stop backend dashboard >/dev/null 2>&1 || true
  if [ "$CONVEX_DATABASE" = postgres ]; then
    cmd="psql \"postgresql://$user@$host${port:+:$port}/postgres\" -v ON_ERROR_STOP=1 -c 'DROP DATABASE \"$db\"' -c 'CREATE DATABASE \"$db\"'"
  else
    cmd="mysql -h $host${port:+ -P $port} -u $user -p -e 'DROP DATABASE \`$db\`; CREATE DATABASE \`$db\`;'"
  fi
  die "the backend keeps its documents, modules and storage type in the external database $db on the server of $url_var, which this script never changes$note. Empty it yourself (password when asked): $cmd   then run: scripts/convex-reset.sh --yes --no-backup --database-emptied"
fi

log "removing containers and the data volume"
# --remove-orphans: after `upgrade --set database=... --reset-data` the old
# database container is no longer in docker-compose.yml; its named volume
# (postgres-data / mysql-data) is kept, only the container goes.
compose down -v --remove-orphans
dotenv_set "$ENV_LOCAL" CONVEX_SELF_HOSTED_ADMIN_KEY ""
"$PROJECT_DIR/scripts/convex-up.sh"
if [ "$backup" = 1 ]; then
  log "backup kept at $file; restore documents and files into the fresh backend with: ${CONVEX_CLI[*]} import $file (see import --help), after scripts/convex-deploy.sh"
fi
