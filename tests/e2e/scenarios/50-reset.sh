# shellcheck shell=bash
# Scenario 6: convex-reset.sh. A failing export deletes nothing; a working
# export leaves a backup file, the volume is wiped and a new key works.

scenario_50_reset() {
  new_project reset
  local dir="$PROJECTS/reset" out key_before key_after
  sed -i 's/^PORT=.*/PORT=3610/; s/^SITE_PROXY_PORT=.*/SITE_PROXY_PORT=3611/; s/^DASHBOARD_PORT=.*/DASHBOARD_PORT=7191/' "$dir/.env.docker"
  ensure_node_for "$dir"
  ensure_package_manager_for "$dir"
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1 && bash scripts/convex-deploy.sh 2>&1)" ||
    { printf '%s\n' "$out" >&2; return 1; }
  key_before="$(sed -n 's/^CONVEX_SELF_HOSTED_ADMIN_KEY=//p' "$dir/.env.local")"

  (cd "$dir" && docker compose --env-file .env.docker exec -T backend touch /convex/data/.standin-fail-export)
  out="$(cd "$dir" && expect_failure bash scripts/convex-reset.sh --yes)"
  assert_contains "$out" "nothing was deleted" "reset with a failing export"
  assert_eq "$(query_status "$dir" health:ping)" success "data still there after the refused reset"
  assert_eq "$(find "$dir/backups" -name '*.zip' -size +0 2>/dev/null | wc -l)" 0 "no backup from a failed export"

  (cd "$dir" && docker compose --env-file .env.docker exec -T backend rm -f /convex/data/.standin-fail-export)
  out="$(cd "$dir" && bash scripts/convex-reset.sh --yes 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_eq "$(find "$dir/backups" -name '*.zip' -size +0 | wc -l)" 1 "one backup file after the reset"
  python3 -c 'import sys, zipfile; assert zipfile.ZipFile(sys.argv[1]).namelist()' "$(find "$dir/backups" -name '*.zip')" ||
    fail "the backup is not a readable zip"
  key_after="$(sed -n 's/^CONVEX_SELF_HOSTED_ADMIN_KEY=//p' "$dir/.env.local")"
  [ -n "$key_after" ] && [ "$key_after" != "$key_before" ] || fail "no new admin key after the reset"
  curl -fsS -m 5 -H "Authorization: Convex $key_after" http://127.0.0.1:3610/api/check_admin_key >/dev/null ||
    fail "the new admin key is rejected"
  assert_eq "$(query_status "$dir" health:ping)" error "functions gone: the volume was wiped"
}
