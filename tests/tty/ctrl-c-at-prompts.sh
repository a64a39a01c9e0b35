#!/usr/bin/env bash
# Ctrl-C at convex-scaffold's prompts, as a person at a terminal does it:
# drives `convex-scaffold new` inside tmux, presses Ctrl-C at the text prompt
# (after typing) and at a list prompt, and checks that the terminal is left
# usable: exit status 130, the cursor visible, one clean message line that is
# not glued to the prompt. Needs tmux. Not part of `cargo test` (the pty test
# in tests/integration/prompts.rs covers the same with `script`); run it after
# changing src/prompt.rs: bash tests/tty/ctrl-c-at-prompts.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v tmux >/dev/null 2>&1 || { echo "needs tmux (apt-get install -y tmux)" >&2; exit 2; }
# CONVEX_SCAFFOLD_BIN: check another build (e.g. an older one, to see the checks fail).
if [ -z "${CONVEX_SCAFFOLD_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --quiet)
fi
BIN="${CONVEX_SCAFFOLD_BIN:-$ROOT/target/debug/convex-scaffold}"
WORK="$(mktemp -d)"
SESSION="convex-scaffold-ctrl-c-$$"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT

failures=0
check() { # DESCRIPTION CONDITION...
  local what="$1"
  shift
  if "$@"; then echo "ok    $what"; else echo "FAIL  $what"; failures=$((failures + 1)); fi
}

# wait_for TEXT [GREP-FLAGS]: polls the pane (bounded: 20 s).
wait_for() {
  local _ flags="${2:--F}"
  for _ in $(seq 1 200); do
    if tmux capture-pane -p -t "$SESSION" | grep -q "$flags" -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for '$1'; the pane shows:" >&2
  tmux capture-pane -p -t "$SESSION" >&2
  return 1
}

not_glued() { # PANE: no error text on a prompt line
  ! grep -q '›.*error' <<<"$1"
}

run_case() { # NAME KEYS-BEFORE-CTRL-C...
  local name="$1"
  shift
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  tmux new-session -d -s "$SESSION" -x 120 -y 30 -c "$WORK" "bash --norc --noprofile"
  tmux send-keys -t "$SESSION" "PS1='$ '; clear" Enter
  tmux send-keys -t "$SESSION" "'$BIN' new $name; echo EXIT=\$?" Enter
  wait_for "name"
  local key
  for key in "$@"; do
    tmux send-keys -t "$SESSION" "$key"
    sleep 0.3
  done
  tmux send-keys -t "$SESSION" C-c
  # The status line itself (the typed command also holds "EXIT=").
  wait_for '^EXIT=[0-9]+$' -E
  local pane cursor
  pane="$(tmux capture-pane -p -t "$SESSION")"
  cursor="$(tmux display-message -p -t "$SESSION" '#{cursor_flag}')"
  echo "---- $name: the pane after Ctrl-C ----"
  printf '%s\n' "$pane" | sed '/^$/d'
  echo "----"
  check "$name: exit status 130" grep -qx 'EXIT=130' <<<"$pane"
  check "$name: cursor visible" test "$cursor" = 1
  check "$name: the message is on a line of its own" grep -qx 'error: interrupted; nothing was written' <<<"$pane"
  check "$name: nothing glued to the prompt" not_glued "$pane"
  check "$name: nothing written" test ! -e "$WORK/$name"
}

run_case at-text-prompt a b c
run_case at-list-prompt Enter

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "Ctrl-C leaves the terminal clean at both prompts"
