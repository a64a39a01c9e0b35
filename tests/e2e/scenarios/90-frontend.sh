# shellcheck shell=bash
# The frontend starters (issue 13): both installed with the project's package
# manager and built for real (vite build, next build, tsc --noEmit), and the
# built Vite app loaded in headless Chromium against the backend stand-in.
# The screenshot is kept under target/e2e-artifacts/frontend/.

scenario_90_frontend_starters() {
  local out="$REPO_ROOT/target/e2e-artifacts/frontend"
  mkdir -p "$out"
  # The starters deploy with the default CLI: run them on the Node.js its
  # engines need (1.49.0 and later: 22), as a user's machine would.
  "$BIN" new "$E2E_RUN/node-probe" --yes --set frontend=none >"$E2E_RUN/node-probe.log" 2>&1 ||
    { cat "$E2E_RUN/node-probe.log" >&2; fail "could not render a default project to read its Node.js need"; }
  ensure_node_for "$E2E_RUN/node-probe"
  bash "$E2E_DIR/frontend/run.sh" "$BIN" "$out"
  [ -s "$out/vite-app.png" ] || fail "no screenshot at $out/vite-app.png"
}
