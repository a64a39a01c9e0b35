# shellcheck shell=bash
# The frontend starters (issue 13): both installed with the project's package
# manager and built for real (vite build, next build, tsc --noEmit), and the
# built Vite app loaded in headless Chromium against the backend stand-in.
# The screenshot is kept under target/e2e-artifacts/frontend/.

scenario_90_frontend_starters() {
  local out="$REPO_ROOT/target/e2e-artifacts/frontend"
  mkdir -p "$out"
  bash "$E2E_DIR/frontend/run.sh" "$BIN" "$out"
  [ -s "$out/vite-app.png" ] || fail "no screenshot at $out/vite-app.png"
}
