# shellcheck shell=bash
# Defect 10: with no Docker daemon where the CLI looks, convex-up.sh fails
# with the fix instead of waiting 60 s without a word. (The suite's own
# daemon runs elsewhere, so the script waits its 20 s grace for the socket,
# saying so, rather than failing at once as it does with no dockerd at all.)

scenario_05_no_daemon_fails_fast() {
  "$BIN" new "$PROJECTS/nodaemon" --yes >/dev/null
  local out t0=$SECONDS
  out="$(cd "$PROJECTS/nodaemon" && DOCKER_HOST="unix://$E2E_RUN/no-such-docker.sock" \
    expect_failure bash scripts/convex-up.sh)"
  [ $((SECONDS - t0)) -le 30 ] || fail "convex-up.sh took $((SECONDS - t0))s to see that no daemon exists"
  assert_contains "$out" "no socket at $E2E_RUN/no-such-docker.sock" "convex-up.sh names the missing socket"
  assert_contains "$out" "still waiting for the Docker daemon" "convex-up.sh shows progress while it waits"
  # Defect 11: convex-scaffold is not on this PATH, so the hint says how to get it.
  assert_contains "$out" "convex-scaffold is not installed here" "the hint fits a machine without the tool"
  assert_contains "$(printf '%s' "$out" | "$BIN" diagnose)" "docker-daemon-down" "diagnose of that output"
}
