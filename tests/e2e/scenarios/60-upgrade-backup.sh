# shellcheck shell=bash
# Safe backend upgrades (issue 11): a project on the seed's pair is upgraded
# with `convex-scaffold upgrade --release` to the newest row. convex-up.sh
# notices that the pinned image differs from the one the data runs on,
# exports a backup with the old backend first — a failing export blocks the
# image change and deletes nothing — then starts the new image; a redeploy
# with the new CLI makes health:ping answer.

# The newest release row of the tool's pins data.
newest_release() {
  python3 - "$REPO_ROOT/templates/data/pins.toml" <<'PY'
import sys, tomllib
rows = tomllib.load(open(sys.argv[1], "rb"))["releases"]
print(max(r["date"] for r in rows))
PY
}

scenario_60_upgrade_with_backup() {
  local seed_sha=c1a7ac393888d743e704de56cf569a154b4526d4
  new_project upg --set convex_version=1.24.8 \
    --set "backend_image=ghcr.io/get-convex/convex-backend:$seed_sha" \
    --set "dashboard_image=ghcr.io/get-convex/convex-dashboard:$seed_sha"
  local dir="$PROJECTS/upg" out old new cid
  sed -i 's/^PORT=.*/PORT=3710/; s/^SITE_PROXY_PORT=.*/SITE_PROXY_PORT=3711/; s/^DASHBOARD_PORT=.*/DASHBOARD_PORT=7291/' "$dir/.env.docker"
  ensure_node_for "$dir"
  ensure_package_manager_for "$dir"
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1 && bash scripts/convex-deploy.sh 2>&1)" ||
    { printf '%s\n' "$out" >&2; return 1; }
  old="$(cd "$dir" && docker compose --env-file .env.docker config --images | grep convex-backend)"

  out="$("$BIN" upgrade "$dir" --release "$(newest_release)" 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  standins_for "$dir"
  new="$(cd "$dir" && docker compose --env-file .env.docker config --images | grep convex-backend)"
  [ "$new" != "$old" ] || fail "upgrade --release did not move the backend image"
  ensure_node_for "$dir"
  ensure_package_manager_for "$dir"

  (cd "$dir" && docker compose --env-file .env.docker exec -T backend touch /convex/data/.standin-fail-export)
  out="$(cd "$dir" && expect_failure bash scripts/convex-up.sh)"
  assert_contains "$out" "the new backend image was NOT started" "convex-up.sh refuses without a backup"
  cid="$(cd "$dir" && docker compose --env-file .env.docker ps -q backend)"
  assert_eq "$(docker inspect -f '{{.Config.Image}}' "$cid")" "$old" "the old image still runs"
  assert_eq "$(query_status "$dir" health:ping)" success "data untouched after the refused upgrade"
  assert_eq "$(find "$dir/backups" -name '*.zip' -size +0 2>/dev/null | wc -l)" 0 "no backup from a failed export"

  (cd "$dir" && docker compose --env-file .env.docker exec -T backend rm -f /convex/data/.standin-fail-export)
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_contains "$out" "backup written" "convex-up.sh exports before the new image starts"
  assert_eq "$(find "$dir/backups" -name '*.zip' -size +0 | wc -l)" 1 "one backup file"
  cid="$(cd "$dir" && docker compose --env-file .env.docker ps -q backend)"
  assert_eq "$(docker inspect -f '{{.Config.Image}}' "$cid")" "$new" "the new image runs after the backup"
  out="$(cd "$dir" && bash scripts/convex-deploy.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_eq "$(query_status "$dir" health:ping)" success "health:ping after the redeploy on the new image"

  # Once moved, convex-up.sh takes no further backup.
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_not_contains "$out" "backup" "a second convex-up.sh after the upgrade"
}
