#!/usr/bin/env bash
# Brings up the project's self-hosted Convex backend at every workspace start:
#   1. waits (bounded) for the inner Docker daemon (dockerd-start.sh),
#   2. checks the project out into $CONVEX_PROJECT_DIR when $CONVEX_GIT_URL is
#      set and the folder has no .git yet,
#   3. unpacks the template's own copy of the project (CONVEX_SCAFFOLD_BUNDLE,
#      prepended to this script by Terraform): files that do not exist yet are
#      added; a file this script unpacked earlier and nobody edited since is
#      brought up to date (so a new template version reaches existing
#      workspaces); an edited file is kept and reported,
#   4. runs scripts/convex-up.sh (compose up, wait for /version, admin key in
#      .env.local) and scripts/convex-deploy.sh (push functions with the pinned
#      CLI) of the project.
# Every step writes to $CONVEX_SCAFFOLD_LOG_DIR/convex-start.log, has a time
# limit, and a failure ends the script with a non-zero status.
#
# Bundle format: one line per file, "<base64 path> <z|b> <data>", z = gzip then
# base64, b = base64. File names are stored without a leading dot; the names
# listed in DOT_NAMES and every name starting with "env." get it back.
set -euo pipefail

LOG_DIR="${CONVEX_SCAFFOLD_LOG_DIR:-/tmp/convex-scaffold}"
LOG="$LOG_DIR/convex-start.log"
PROJECT_DIR="${CONVEX_PROJECT_DIR:-}"
GIT_URL="${CONVEX_GIT_URL:-}"
BUNDLE="${CONVEX_SCAFFOLD_BUNDLE:-}"
DOCKER_WAIT="${CONVEX_SCAFFOLD_DOCKER_WAIT:-300}"
CLONE_TIMEOUT="${CONVEX_SCAFFOLD_CLONE_TIMEOUT:-300}"
UP_TIMEOUT="${CONVEX_SCAFFOLD_UP_TIMEOUT:-900}"
DEPLOY_TIMEOUT="${CONVEX_SCAFFOLD_DEPLOY_TIMEOUT:-900}"
DOT_NAMES=" gitignore dockerignore npmrc nvmrc node-version prettierrc prettierignore editorconfig "
COMPOSE_NAMES=" compose.yaml compose.yml docker-compose.yaml docker-compose.yml "

mkdir -p "$LOG_DIR"
# One run per log file: a re-run replaces the previous run's log.
printf '==== %s %s (%s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "convex" "$(id -un)" >"$LOG"
tmp_clone=""
trap 'if [ -n "$tmp_clone" ]; then rm -rf "$tmp_clone"; fi' EXIT

# Hides credentials in URLs (https://user:token@host) before anything is logged.
redact() {
  sed -E 's#(://)[^/@[:space:]]+@#\1***@#g'
}

say() {
  printf '%s [convex] %s\n' "$(date -u +%H:%M:%S)" "$*" | redact | tee -a "$LOG"
}

fail() {
  say "ERROR: $*"
  if [ -s "$LOG" ]; then
    echo "---- last lines of $LOG ----" >&2
    tail -n 40 "$LOG" >&2 || true
  fi
  say "Full log: $LOG"
  say "Diagnose with: convex-scaffold diagnose $LOG   (or: convex-scaffold doctor ${PROJECT_DIR:-<project dir>})"
  exit 1
}

# run_logged SECONDS DESCRIPTION COMMAND...: runs COMMAND with a time limit,
# its output going to the log only (so no child can hold the agent's pipes).
run_logged() {
  local limit="$1" what="$2" rc=0
  shift 2
  say "$what (limit ${limit}s)"
  echo "+ $*" | redact >>"$LOG"
  timeout --kill-after=15 "$limit" "$@" </dev/null >>"$LOG" 2>&1 || rc=$?
  # The command's own output may name a URL with credentials too.
  sed -E -i 's#(://)[^/@[:space:]]+@#\1***@#g' "$LOG" || true
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    fail "step timed out after ${limit}s: $what"
  elif [ "$rc" -ne 0 ]; then
    fail "step failed with exit status $rc: $what"
  fi
}

[ -n "$PROJECT_DIR" ] || fail "CONVEX_PROJECT_DIR is not set (it comes from a coder_env resource of the template)"
case "$PROJECT_DIR" in
  /*) ;;
  *) fail "CONVEX_PROJECT_DIR must be an absolute path, got '$PROJECT_DIR'" ;;
esac

# --- 1. Docker ------------------------------------------------------------------
say "Waiting for Docker inside the workspace (up to ${DOCKER_WAIT}s)."
deadline=$((SECONDS + DOCKER_WAIT))
until timeout 10 docker info >/dev/null 2>&1; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    timeout 10 docker info >>"$LOG" 2>&1 || true
    fail "Docker is not reachable after ${DOCKER_WAIT}s; see $LOG_DIR/dockerd-start.log (the 'Docker daemon' script)"
  fi
  sleep 3
done
say "Docker is up."

# --- 2. git checkout --------------------------------------------------------------
dir_is_empty() {
  [ -z "$(ls -A "$1" 2>/dev/null)" ]
}

# Copies every entry of $1 into $2 that $2 does not have yet.
copy_missing() {
  local src="$1" dest="$2" rel
  while IFS= read -r -d '' rel; do
    rel="${rel#./}"
    if [ -d "$src/$rel" ] && [ ! -L "$src/$rel" ]; then
      mkdir -p "$dest/$rel"
    elif [ ! -e "$dest/$rel" ] && [ ! -L "$dest/$rel" ]; then
      cp -a "$src/$rel" "$dest/$rel"
    else
      echo "kept existing $dest/$rel" >>"$LOG"
    fi
  done < <(cd "$src" && find . -mindepth 1 -print0)
}

if [ -n "$GIT_URL" ] && [ ! -e "$PROJECT_DIR/.git" ]; then
  command -v git >/dev/null 2>&1 || fail "git_url is set but the workspace image has no git"
  mkdir -p "$(dirname "$PROJECT_DIR")"
  export GIT_TERMINAL_PROMPT=0
  if [ ! -e "$PROJECT_DIR" ] || dir_is_empty "$PROJECT_DIR"; then
    run_logged "$CLONE_TIMEOUT" "Cloning $GIT_URL into $PROJECT_DIR" git clone -- "$GIT_URL" "$PROJECT_DIR"
  else
    # The folder already holds files (e.g. unpacked on an earlier start):
    # clone beside it and add only what is missing, .git included.
    tmp_clone="$(mktemp -d "$(dirname "$PROJECT_DIR")/.convex-clone.XXXXXX")"
    run_logged "$CLONE_TIMEOUT" "Cloning $GIT_URL (merging into the existing $PROJECT_DIR without overwriting)" \
      git clone -- "$GIT_URL" "$tmp_clone/repo"
    copy_missing "$tmp_clone/repo" "$PROJECT_DIR"
    rm -rf "$tmp_clone"
    tmp_clone=""
    say "Existing files were kept; 'git status' shows where they differ from the repository."
  fi
elif [ -e "$PROJECT_DIR/.git" ]; then
  say "Project checkout found at $PROJECT_DIR."
fi
mkdir -p "$PROJECT_DIR"

# --- 3. the template's own copy of the project -----------------------------------
has_compose=0
for name in $COMPOSE_NAMES; do
  if [ -e "$PROJECT_DIR/$name" ]; then has_compose=1; fi
done

# What this script unpacked last time, "<sha256>  <path>" per line: a file
# that still has that content was not edited and may be brought up to date.
MANIFEST="$PROJECT_DIR/.convex-scaffold/bundle.sha256"
manifest_hash() {
  [ -f "$MANIFEST" ] || return 0
  awk -v p="$1" '{ h = $1; $1 = ""; sub(/^ +/, ""); if ($0 == p) print h }' "$MANIFEST" | tail -n 1
}
file_hash() {
  sha256sum "$1" | cut -d' ' -f1
}

unpacked=0
updated=0
kept_edited=0
new_manifest=""
if [ -n "$BUNDLE" ]; then
  mkdir -p "$PROJECT_DIR/.convex-scaffold"
  while IFS=' ' read -r path_b64 kind data; do
    [ -n "$path_b64" ] || continue
    rel="$(printf '%s' "$path_b64" | base64 -d 2>>"$LOG")" || fail "corrupt bundle entry (path)"
    case "/$rel/" in
      *'/../'* | *'/./'* | '//'*) fail "refusing bundle path '$rel'" ;;
    esac
    case "$rel" in
      *.orig | *.orig.[0-9]*) continue ;;
    esac
    base="${rel##*/}"
    dir_part=""
    if [ "$base" != "$rel" ]; then dir_part="${rel%/*}/"; fi
    case "$base" in
      env.*) base=".$base" ;;
      *) if [[ "$DOT_NAMES" == *" $base "* ]]; then base=".$base"; fi ;;
    esac
    target="$PROJECT_DIR/$dir_part$base"
    if [ -z "$dir_part" ] && [ "$has_compose" -eq 1 ] && [ -z "$(manifest_hash "$base")" ] && [[ "$COMPOSE_NAMES" == *" $base "* ]]; then
      echo "project has its own compose file; not adding $base" >>"$LOG"
      continue
    fi
    if [ -L "$target" ]; then
      echo "kept $target (a symlink)" >>"$LOG"
      continue
    fi
    mkdir -p "$(dirname "$target")"
    case "$kind" in
      z) printf '%s' "$data" | base64 -d | gunzip -c >"$target.convex-tmp" 2>>"$LOG" || fail "could not unpack $rel" ;;
      b) printf '%s' "$data" | base64 -d >"$target.convex-tmp" 2>>"$LOG" || fail "could not unpack $rel" ;;
      *) fail "unknown bundle entry kind '$kind' for $rel" ;;
    esac
    case "$base" in
      *.sh) chmod +x "$target.convex-tmp" ;;
    esac
    new_hash="$(file_hash "$target.convex-tmp")"
    if [ ! -e "$target" ]; then
      mv "$target.convex-tmp" "$target"
      echo "unpacked $target" >>"$LOG"
      unpacked=$((unpacked + 1))
    else
      current="$(file_hash "$target")"
      previous="$(manifest_hash "$dir_part$base")"
      if [ "$current" = "$new_hash" ]; then
        rm -f "$target.convex-tmp"
      elif [ -n "$previous" ] && [ "$current" = "$previous" ]; then
        mv "$target.convex-tmp" "$target"
        echo "updated $target (unchanged since it was unpacked; the template has a newer version)" >>"$LOG"
        updated=$((updated + 1))
      else
        rm -f "$target.convex-tmp"
        kept_edited=$((kept_edited + 1))
        if [ -z "$previous" ]; then
          echo "kept existing $target (not from this template)" >>"$LOG"
          continue
        fi
        say "Kept your edited $dir_part$base; the template now has a different version (merge it with 'convex-scaffold upgrade' in the repository)."
        new_hash="$previous"
      fi
    fi
    new_manifest+="$new_hash  $dir_part$base"$'\n'
  done <<<"$BUNDLE"
  printf '%s' "$new_manifest" >"$MANIFEST.tmp" && mv "$MANIFEST.tmp" "$MANIFEST"
  say "Template copy of the project: $unpacked file(s) added, $updated brought up to date, $kept_edited existing file(s) kept."
else
  say "This template ships no copy of the project (empty bundle)."
fi

for s in scripts/convex-up.sh scripts/convex-deploy.sh; do
  [ -f "$PROJECT_DIR/$s" ] || fail "$PROJECT_DIR/$s is missing: set the git_url parameter to a repository generated by convex-scaffold, or run 'convex-scaffold upgrade' in the project and push its coder/ folder again so the template carries the project"
done

# --- 4. backend up, admin key, functions deployed ----------------------------------
cd "$PROJECT_DIR"
run_logged "$UP_TIMEOUT" "Starting the Convex backend (scripts/convex-up.sh)" bash scripts/convex-up.sh

port="$(sed -n 's/^PORT=\([0-9][0-9]*\)$/\1/p' .env.docker 2>/dev/null | tail -n 1)"
port="${port:-3210}"
if ! curl -fsS -m 5 "http://127.0.0.1:$port/version" >>"$LOG" 2>&1; then
  fail "scripts/convex-up.sh finished but http://127.0.0.1:$port/version does not answer"
fi
echo >>"$LOG"
if ! grep -qs '^CONVEX_SELF_HOSTED_ADMIN_KEY=..*' .env.local; then
  fail "no CONVEX_SELF_HOSTED_ADMIN_KEY in $PROJECT_DIR/.env.local after scripts/convex-up.sh"
fi
say "Backend healthy; admin key present in .env.local."

run_logged "$DEPLOY_TIMEOUT" "Deploying Convex functions (scripts/convex-deploy.sh)" bash scripts/convex-deploy.sh

say "Convex is ready."
say "  API (CONVEX_SELF_HOSTED_URL): ${CONVEX_SELF_HOSTED_URL:-http://127.0.0.1:3210}"
say "  HTTP actions:                 ${CONVEX_SITE_ORIGIN:-http://127.0.0.1:3211}"
say "  Dashboard:                    ${CONVEX_DASHBOARD_URL:-http://127.0.0.1:6791} (admin key: $PROJECT_DIR/.env.local)"
