"""Entry point: `python3 -m standin serve` (run_backend.sh) or
`python3 -m standin keygen` (generate_admin_key.sh)."""

import sys

from . import config, keys


def keygen() -> int:
    creds = config.resolve_credentials()
    try:
        key = keys.mint(creds["name"], creds["secret"])
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    # crates/keybroker/src/bin/generate_key.rs: banner on stderr, key on stdout.
    print("Admin key:", file=sys.stderr, flush=True)
    print(key, flush=True)
    return 0


def main() -> int:
    cmd = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if cmd == "keygen":
        return keygen()
    if cmd == "serve":
        from . import server

        server.serve()
        return 0
    print(f"usage: python3 -m standin [serve|keygen], got {cmd!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
