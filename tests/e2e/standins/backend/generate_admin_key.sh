#!/usr/bin/env bash
# Mints an admin key for this instance, like upstream's generate_admin_key.sh:
# "Admin key:" on stderr, `<instance_name>|<hex>` as the last line of stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m standin keygen
