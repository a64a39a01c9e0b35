# shellcheck shell=bash
# Scenario 4: a backend initialised with local storage, switched to S3 by hand
# (the seed team's path), refuses to start. convex-up.sh exits non-zero and
# shows the backend's log line (defect 1); diagnose fed with that output
# names storage-type-mismatch; doctor looks at the stack, fails and names it
# too (defect 9).

scenario_30_storage_lock() {
  new_project lock
  local dir="$PROJECTS/lock" name out key
  name="lock-$E2E_SUFFIX"
  sed -i 's/^PORT=.*/PORT=3810/; s/^SITE_PROXY_PORT=.*/SITE_PROXY_PORT=3811/; s/^DASHBOARD_PORT=.*/DASHBOARD_PORT=7391/' "$dir/.env.docker"
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  # Switch to S3 by hand: the files an s3 rendering of the same project has.
  "$BIN" new "$E2E_RUN/lock-s3-render" --yes --set "name=$name" --set storage=s3 >/dev/null
  cp "$E2E_RUN/lock-s3-render/docker-compose.yml" "$dir/docker-compose.yml"
  cp "$E2E_RUN/lock-s3-render/scripts/convex-config.sh" "$dir/scripts/convex-config.sh"
  for key in AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test-key AWS_SECRET_ACCESS_KEY=test-secret \
    S3_STORAGE_EXPORTS_BUCKET=b-exports S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET=b-imports \
    S3_STORAGE_MODULES_BUCKET=b-modules S3_STORAGE_FILES_BUCKET=b-files S3_STORAGE_SEARCH_BUCKET=b-search; do
    sed -i "s/^${key%%=*}=.*/$key/" "$dir/.env.docker"
  done
  # AWS (no s3_endpoint_url): .env.docker keeps S3_ENDPOINT_URL empty, and no
  # S3_ENDPOINT_URL may reach the backend (it would read "" as its endpoint).
  assert_eq "$(cd "$dir" && docker compose --env-file .env.docker config --format json |
    python3 -c 'import json,sys; print("S3_ENDPOINT_URL" in json.load(sys.stdin)["services"]["backend"]["environment"])')" \
    False "an AWS render passes no S3_ENDPOINT_URL to the backend"
  (cd "$dir" && docker compose --env-file .env.docker stop) >/dev/null 2>&1
  out="$(cd "$dir" && CONVEX_UP_TIMEOUT=60 expect_failure bash scripts/convex-up.sh)"
  assert_contains "$out" "Database was initialized with" "convex-up.sh shows the backend's log line"
  assert_contains "$out" "[convex] ERROR:" "convex-up.sh fails loudly"
  printf '%s\n' "$out" >"$E2E_RUN/lock-up.log"
  assert_contains "$("$BIN" diagnose <"$E2E_RUN/lock-up.log" || true)" "storage-type-mismatch" "diagnose of convex-up.sh's output"
  out="$(expect_failure "$BIN" doctor "$dir")"
  assert_contains "$out" "storage-type-mismatch" "doctor names the lock from the running stack"
}
