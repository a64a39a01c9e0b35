#!/usr/bin/env bash
# Brings up the project's self-hosted Convex backend at every workspace start:
#   1. waits (bounded) for the inner Docker daemon (dockerd-start.sh),
#   2. checks the project out into $CONVEX_PROJECT_DIR when $CONVEX_GIT_URL is
#      set and the folder has no .git yet,
#   3. unpacks the template's own copy of the project (CONVEX_SCAFFOLD_BUNDLE,
#      prepended to this script by Terraform): files that do not exist yet are
#      added; a file this script unpacked earlier and nobody edited since is
#      brought up to date (so a new template version reaches existing
#      workspaces); an edited file is kept (and reported when the template's
#      version changed); a file the user deleted stays deleted (one this
#      script unpacked before, or, in a git checkout, one git knows as
#      deleted),
#   4. checks that `node --version` meets the pinned CLI's Node requirement,
#      and refuses ports in .env.docker that differ from the ports the
#      template's apps proxy (CONVEX_APP_PORTS),
#   5. runs scripts/convex-up.sh (compose up, wait for /version, admin key in
#      .env.local) and scripts/convex-deploy.sh (push functions with the pinned
#      CLI) of the project.
# Every step writes to $CONVEX_SCAFFOLD_LOG_DIR/convex-start.log, has a time
# limit, and a failure ends the script with a non-zero status.
# Inside the workspace the CLI and the scripts talk to the backend at
# http://127.0.0.1:<port> (CONVEX_SELF_HOSTED_URL); the public app URLs are
# for the browser, behind Coder's proxy and its login for non-public shares.
#
# State: .convex-scaffold/bundle.sha256 (what was unpacked here), git-ignored:
# it describes this workspace's copy, not the project.
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
APP_PORTS="${CONVEX_APP_PORTS:-PORT=3210 SITE_PROXY_PORT=3211 DASHBOARD_PORT=6791}"
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
  diagnose_hint
  exit 1
}

# convex-scaffold is usually not installed in the workspace: say how to use it.
diagnose_hint() {
  if command -v convex-scaffold >/dev/null 2>&1; then
    say "Diagnose with: convex-scaffold diagnose $LOG   (or: convex-scaffold doctor ${PROJECT_DIR:-<project dir>})"
  else
    say "Diagnose from the machine where you ran convex-scaffold (it is not installed in this workspace):"
    say "  coder ssh ${CONVEX_CODER_WORKSPACE:-<owner>/<workspace>} cat $LOG | convex-scaffold diagnose"
  fi
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

# In a git checkout, a file git knows as deleted (in the working tree, or
# removed by a commit) was deleted on purpose.
deleted_in_git() {
  [ -e "$PROJECT_DIR/.git" ] && command -v git >/dev/null 2>&1 || return 1
  if [ -n "$(git -C "$PROJECT_DIR" ls-files --deleted -- "$1" 2>/dev/null)" ]; then
    return 0
  fi
  [ -n "$(timeout 30 git -C "$PROJECT_DIR" log -n 1 --format=%H --diff-filter=D -- "$1" 2>/dev/null)" ]
}

unpacked=0
updated=0
kept_edited=0
deleted=0
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
    previous="$(manifest_hash "$dir_part$base")"
    if [ ! -e "$target" ] && { [ -n "$previous" ] || deleted_in_git "$dir_part$base"; }; then
      # Deleted by the user after it was unpacked (or in the repository):
      # it stays deleted, and stays in the manifest so it is never re-added.
      echo "not restoring $target (deleted)" >>"$LOG"
      deleted=$((deleted + 1))
      if [ -n "$previous" ]; then new_manifest+="$previous  $dir_part$base"$'\n'; fi
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
        if [ "$new_hash" != "$previous" ]; then
          say "Kept your edited $dir_part$base; the template now has a different version (merge it with 'convex-scaffold upgrade' in the repository)."
        else
          echo "kept your edited $target (the template's version is unchanged)" >>"$LOG"
        fi
        new_hash="$previous"
      fi
    fi
    new_manifest+="$new_hash  $dir_part$base"$'\n'
  done <<<"$BUNDLE"
  printf '%s' "$new_manifest" >"$MANIFEST.tmp" && mv "$MANIFEST.tmp" "$MANIFEST"
  # Checkouts made before .gitignore listed it: keep the state out of git status.
  if [ -d "$PROJECT_DIR/.git/info" ] && ! git -C "$PROJECT_DIR" check-ignore -q .convex-scaffold/bundle.sha256 2>/dev/null; then
    printf '%s\n' "/.convex-scaffold/bundle.sha256" >>"$PROJECT_DIR/.git/info/exclude"
  fi
  say "Template copy of the project: $unpacked file(s) added, $updated brought up to date, $kept_edited existing file(s) kept, $deleted deleted file(s) left deleted."
else
  say "This template ships no copy of the project (empty bundle)."
fi

for s in scripts/convex-up.sh scripts/convex-deploy.sh; do
  [ -f "$PROJECT_DIR/$s" ] || fail "$PROJECT_DIR/$s is missing: set the git_url parameter to a repository generated by convex-scaffold, or run 'convex-scaffold upgrade' in the project and push its coder/ folder again so the template carries the project"
done

# --- 4. Node.js for the pinned convex CLI -------------------------------------------
# The template passes the CLI version and the Node.js major it needs (its
# engines.node); an older Node makes the install fail (EBADENGINE) or the CLI
# refuse to run, so stop here with the fix.
NODE_NEEDED="${CONVEX_SCAFFOLD_NODE_MAJOR:-}"
CLI_VERSION="${CONVEX_SCAFFOLD_CLI_VERSION:-the pinned version}"
case "$NODE_NEEDED" in
  '' | *[!0-9]*) fail "CONVEX_SCAFFOLD_NODE_MAJOR is '$NODE_NEEDED', not a number (the template sets it); push the template again with 'coder templates push'" ;;
esac
node_fix="use a workspace image with Node.js $NODE_NEEDED or later (template variable workspace_image, e.g. codercom/enterprise-node:ubuntu) and push the template again, or pin a convex CLI that runs on this Node.js ('convex-scaffold upgrade --convex-version X', see 'convex-scaffold pins')"
command -v node >/dev/null 2>&1 ||
  fail "Node.js is not installed in this workspace, and convex $CLI_VERSION needs Node.js $NODE_NEEDED or later. Fix: $node_fix"
node_version="$(timeout 10 node --version 2>>"$LOG" || true)"
node_major="${node_version#v}"
node_major="${node_major%%.*}"
case "$node_major" in
  '' | *[!0-9]*) fail "could not read the Node.js version ('node --version' printed '$node_version'). Fix: $node_fix" ;;
esac
if [ "$node_major" -lt "$NODE_NEEDED" ]; then
  fail "Node.js $node_version is too old: convex $CLI_VERSION needs Node.js $NODE_NEEDED or later (its engines.node; the install fails with EBADENGINE or the CLI refuses to run). Fix: $node_fix"
fi
say "Node.js $node_version meets convex $CLI_VERSION (Node.js $NODE_NEEDED or later)."

# --- 4b. ports: the template's apps and URLs name fixed ports -----------------------
cd "$PROJECT_DIR"
env_file=.env.docker
[ -f "$env_file" ] || env_file=.env.docker.example
for pair in $APP_PORTS; do
  key="${pair%%=*}"
  want="${pair#*=}"
  have="$(sed -n "s/^$key=\([^[:space:]#]*\).*/\1/p" "$env_file" 2>/dev/null | tail -n 1 | tr -d "\"'")"
  if [ -n "$have" ] && [ "$have" != "$want" ]; then
    fail "$PROJECT_DIR/$env_file sets $key=$have, but this Coder template's apps and URLs use $want (the backend would listen where nothing proxies it, and the CLI would deploy elsewhere). Set $key=$want in $env_file, or re-render the template for these ports."
  fi
done

# --- 5. backend up, admin key, functions deployed ----------------------------------
# The CLI and the scripts use the local port, never Coder's proxy (a login
# redirect for owner/authenticated shares), whatever the environment says.
port="${APP_PORTS#PORT=}"
port="${port%% *}"
export CONVEX_SELF_HOSTED_URL="http://127.0.0.1:$port"
run_logged "$UP_TIMEOUT" "Starting the Convex backend (scripts/convex-up.sh)" bash scripts/convex-up.sh
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
say "  CLI and scripts (inside the workspace): $CONVEX_SELF_HOSTED_URL"
say "  API for the browser:          ${CONVEX_CLOUD_ORIGIN:-$CONVEX_SELF_HOSTED_URL}"
say "  HTTP actions:                 ${CONVEX_SITE_ORIGIN:-http://127.0.0.1:3211}"
say "  Dashboard:                    ${CONVEX_DASHBOARD_URL:-http://127.0.0.1:6791} (admin key: $PROJECT_DIR/.env.local)"

# --- 5. the frontend's dev server (workspace parameter start_frontend) ------------
FRONTEND_PORT="${CONVEX_FRONTEND_PORT:-}"
FRONTEND_WAIT="${CONVEX_SCAFFOLD_FRONTEND_WAIT:-180}"
FRONTEND_INSTALL_TIMEOUT="${CONVEX_SCAFFOLD_FRONTEND_INSTALL_TIMEOUT:-600}"
FRONTEND_LOG="$LOG_DIR/frontend-dev.log"
pm="$(sed -n "s/^CONVEX_PM=['\"]\{0,1\}\([a-z]*\)['\"]\{0,1\}$/\1/p" scripts/convex-config.sh 2>/dev/null | tail -n 1)"
pm="${pm:-npm}"
if [ "${CONVEX_START_FRONTEND:-false}" = "true" ] && [ -n "$FRONTEND_PORT" ]; then
  if curl -fsS -o /dev/null -m 5 "http://127.0.0.1:$FRONTEND_PORT/" 2>/dev/null; then
    say "Frontend: something already answers on port $FRONTEND_PORT; not starting another dev server."
  else
    command -v "$pm" >/dev/null 2>&1 || fail "start_frontend is on, but '$pm' is not installed in the workspace image"
    node -e 'process.exit(require("./package.json").scripts?.dev ? 0 : 1)' 2>>"$LOG" ||
      fail "start_frontend is on, but $PROJECT_DIR/package.json has no \"dev\" script to start (add one that serves port $FRONTEND_PORT, or turn the start_frontend parameter off)"
    bin="$(node -e 'const s = require("./package.json").scripts.dev.trim().split(/\s+/)[0]; process.stdout.write(s)' 2>>"$LOG" || true)"
    if [ -n "$bin" ] && [ ! -e "node_modules/.bin/$bin" ]; then
      run_logged "$FRONTEND_INSTALL_TIMEOUT" "Installing the frontend's dependencies ($pm install)" "$pm" install
    fi
    say "Starting the frontend dev server ($pm run dev, port $FRONTEND_PORT); log: $FRONTEND_LOG"
    printf '==== %s %s run dev\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$pm" >>"$FRONTEND_LOG"
    # Its own session, every descriptor away from the agent's pipes: the
    # script ends while the dev server runs on.
    setsid nohup "$pm" run dev </dev/null >>"$FRONTEND_LOG" 2>&1 &
    dev_pid=$!
    deadline=$((SECONDS + FRONTEND_WAIT))
    until curl -fsS -o /dev/null -m 5 "http://127.0.0.1:$FRONTEND_PORT/" 2>/dev/null; do
      if ! kill -0 "$dev_pid" 2>/dev/null; then
        tail -n 40 "$FRONTEND_LOG" >>"$LOG" 2>/dev/null || true
        fail "the frontend dev server exited before answering on port $FRONTEND_PORT; see $FRONTEND_LOG"
      fi
      if [ "$SECONDS" -ge "$deadline" ]; then
        tail -n 40 "$FRONTEND_LOG" >>"$LOG" 2>/dev/null || true
        fail "the frontend dev server does not answer on port $FRONTEND_PORT after ${FRONTEND_WAIT}s; see $FRONTEND_LOG"
      fi
      sleep 2
    done
    say "Frontend: dev server answers on port $FRONTEND_PORT (the Frontend app)."
  fi
elif [ -n "$FRONTEND_PORT" ]; then
  say "Frontend: not started (workspace parameter start_frontend is off); run '$pm run dev' in $PROJECT_DIR."
fi
