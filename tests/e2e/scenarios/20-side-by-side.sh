# shellcheck shell=bash
# Scenario 3: two projects on one machine, the second moved to other ports in
# its .env.docker. Each CLI deploys to its own backend and only there: every
# place that names a port (.env.docker origins, .env.local, the ready line)
# follows .env.docker (defect 3). The backend still listens on 3210/3211
# inside its container, but calls its own CONVEX_CLOUD_ORIGIN
# (http://127.0.0.1:3310) from in there for action callbacks: the stand-in
# makes that call for every action, so an action that runs proves the
# render forwards the moved port inside the container.

scenario_20_two_projects_own_ports() {
  new_project side
  local dir="$PROJECTS/side" other="$PROJECTS/fresh" out
  ensure_node_for "$dir"
  grep -q '^CONVEX_SELF_HOSTED_ADMIN_KEY=.' "$other/.env.local" 2>/dev/null ||
    fail "needs the running project of scenario 10_fresh_project"
  sed -i 's/^PORT=.*/PORT=3310/; s/^SITE_PROXY_PORT=.*/SITE_PROXY_PORT=3311/; s/^DASHBOARD_PORT=.*/DASHBOARD_PORT=6891/' \
    "$dir/.env.docker"
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_contains "$out" "ready: API http://127.0.0.1:3310" "convex-up.sh names the project's own port"
  assert_contains "$(cat "$dir/.env.local")" "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3310" ".env.local URL"
  assert_contains "$(cat "$dir/.env.local")" "VITE_CONVEX_URL=http://127.0.0.1:3310" ".env.local frontend URL"
  assert_contains "$(cat "$dir/.env.docker")" "CONVEX_CLOUD_ORIGIN=http://127.0.0.1:3310" ".env.docker cloud origin"
  assert_contains "$(cat "$dir/.env.docker")" "CONVEX_SITE_ORIGIN=http://127.0.0.1:3311" ".env.docker site origin"
  curl -fsS -m 5 http://127.0.0.1:6891/ >/dev/null || fail "dashboard not on its own port 6891"
  cat >"$dir/convex/side.ts" <<'TS'
import { query } from "./_generated/server";

export const which = query({
  args: {},
  handler: async () => "side",
});
TS
  cat >"$dir/convex/sideAction.ts" <<'TS'
import { action } from "./_generated/server";

export const callback = action({
  args: {},
  handler: async () => "called back",
});
TS
  out="$(cd "$dir" && bash scripts/convex-deploy.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_eq "$(query_status "$dir" side:which)" success "side:which on the side project's backend"
  out="$(curl -sS -m 30 -H 'Content-Type: application/json' \
    -d '{"path":"sideAction:callback","args":{},"format":"json"}' http://127.0.0.1:3310/api/action)"
  assert_eq "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status"))')" success \
    "an action on moved ports calls back through CONVEX_CLOUD_ORIGIN from inside the container: $out"
  assert_eq "$(query_status "$other" side:which)" error "side:which must not reach the other project's backend"
  assert_eq "$(query_status "$other" health:ping)" success "the other project still answers"
}
