#!/usr/bin/env bash
# Entry point of the Convex backend stand-in image (tests only). Upstream's
# run_backend.sh turns the environment into convex-local-backend flags; the
# stand-in reads the same environment itself (standin/config.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -u -m standin serve
