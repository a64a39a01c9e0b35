# shellcheck shell=bash
# Scenario 1: a fresh project, as a new user runs it: new -> convex-up.sh ->
# convex-deploy.sh with the real pinned CLI through the project's package
# manager -> health:ping answers; doctor (live) passes every check.
# Scenario 2: restart keeps data, functions and the admin key; a second
# convex-up.sh changes nothing and mints nothing.

scenario_10_fresh_project() {
  new_project fresh
  local dir="$PROJECTS/fresh" out
  ensure_node_for "$dir"
  ensure_package_manager_for "$dir"
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_contains "$out" "wrote a new admin key to .env.local" "convex-up.sh output"
  assert_eq "$(stat -c %a "$dir/.env.local")" 600 ".env.local mode"
  assert_eq "$(stat -c %a "$dir/.env.docker")" 600 ".env.docker mode"
  assert_eq "$(query_status "$dir" health:ping)" error "health:ping before any deploy"
  out="$(cd "$dir" && bash scripts/convex-deploy.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_contains "$out" "health:ping answered" "convex-deploy.sh output"
  assert_eq "$(query_status "$dir" health:ping)" success "health:ping after the deploy"
  out="$("$BIN" doctor "$dir" 2>&1)" || { printf '%s\n' "$out" >&2; fail "doctor (live) failed on a fresh, running project"; }
  assert_contains "$out" "backend-version" "doctor ran its live checks"
}

scenario_11_restart_keeps_everything() {
  local dir="$PROJECTS/fresh" key_before sum_before out
  grep -q "^CONVEX_SELF_HOSTED_ADMIN_KEY=." "$dir/.env.local" 2>/dev/null || fail "needs scenario 10_fresh_project"
  key_before="$(sed -n 's/^CONVEX_SELF_HOSTED_ADMIN_KEY=//p' "$dir/.env.local")"
  (cd "$dir" && docker compose --env-file .env.docker down) >/dev/null 2>&1
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_not_contains "$out" "wrote a new admin key" "convex-up.sh after a restart"
  assert_eq "$(sed -n 's/^CONVEX_SELF_HOSTED_ADMIN_KEY=//p' "$dir/.env.local")" "$key_before" "admin key after restart"
  assert_eq "$(query_status "$dir" health:ping)" success "functions kept across down/up"
  sum_before="$(sha256sum "$dir/.env.local" "$dir/.env.docker")"
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_not_contains "$out" "wrote a new admin key" "second convex-up.sh"
  assert_eq "$(sha256sum "$dir/.env.local" "$dir/.env.docker")" "$sum_before" "env files after a second convex-up.sh"
}
