#!/usr/bin/env bash
# Convex Auth on this self-hosted deployment (auth = convex-auth): makes the
# JWT key pair once, then makes the deployment hold JWT_PRIVATE_KEY, JWKS and
# SITE_URL, set with the pinned CLI's `env set`. convex-deploy.sh runs it
# after every deploy. Idempotent: it changes nothing that already matches,
# never replaces a key without being asked, and never prints a key.
#   scripts/convex-auth.sh           make the keys if needed, then sync
#   scripts/convex-auth.sh --check   report only, change nothing (exit 1: out of step)
#   scripts/convex-auth.sh --adopt   keep the deployment's keys: copy them into .convex-auth/
#   scripts/convex-auth.sh --rotate  a new key pair on both sides (signs every user out)
# The keys live in .convex-auth/ (0600, git-ignored). SITE_URL is
# CONVEX_AUTH_SITE_URL (environment, else .env.local) when set, else the
# Frontend app's URL in a Coder workspace, else http://localhost:<dev port>.
set -euo pipefail
# shellcheck source=scripts/convex-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/convex-common.sh"

mode=sync
case "${1:-}" in
  '') ;;
  --check) mode=check ;;
  --adopt) mode=adopt ;;
  --rotate) mode=rotate ;;
  -h | --help)
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown option '$1' (scripts/convex-auth.sh --help lists them)" ;;
esac

if [ "${CONVEX_AUTH:-none}" != convex-auth ]; then
  log "auth = ${CONVEX_AUTH:-none} in this project: nothing to do (\`convex-scaffold upgrade --set auth=convex-auth\` turns Convex Auth on)"
  exit 0
fi

AUTH_DIR="$PROJECT_DIR/.convex-auth"
AUTH_VARS=(JWT_PRIVATE_KEY JWKS)

# The file holding a variable's value. The private key ends in .pem, which
# dev servers refuse to serve by default (Vite's server.fs.deny).
key_path() {
  case "$1" in
    JWT_PRIVATE_KEY) printf '%s' "$AUTH_DIR/JWT_PRIVATE_KEY.pem" ;;
    JWKS) printf '%s' "$AUTH_DIR/JWKS.json" ;;
  esac
}

need node "it makes the key pair (node:crypto) and runs the convex CLI"
need curl "it is used for the health checks"
wait_healthy "${CONVEX_UP_TIMEOUT:-180}" || die "the backend does not answer $(local_api)/version; run scripts/convex-up.sh first"
[ -n "${CONVEX_SELF_HOSTED_ADMIN_KEY:-$(dotenv_get "$ENV_LOCAL" CONVEX_SELF_HOSTED_ADMIN_KEY)}" ] ||
  die "no admin key in .env.local; run scripts/convex-up.sh"
if [ "$mode" = check ]; then
  # Read-only: no install, no package manager (the CLI runs with node).
  [ "$(installed_cli_version)" = "$CONVEX_VERSION" ] ||
    die "node_modules does not hold convex $CONVEX_VERSION; run scripts/convex-deploy.sh first"
else
  ensure_cli
fi

# One run at a time (a workspace start and a manual run may overlap):
# flock where it exists, else a lock folder removed on exit.
if [ "$mode" != check ]; then
  (umask 077 && mkdir -p "$AUTH_DIR")
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$AUTH_DIR/.lock"
    flock -w "${CONVEX_AUTH_LOCK_TIMEOUT:-300}" 9 || die "another scripts/convex-auth.sh holds .convex-auth/.lock (waited ${CONVEX_AUTH_LOCK_TIMEOUT:-300}s)"
  else
    lock_deadline=$((SECONDS + ${CONVEX_AUTH_LOCK_TIMEOUT:-300}))
    until mkdir "$AUTH_DIR/.lock.d" 2>/dev/null; do
      [ "$SECONDS" -lt "$lock_deadline" ] || die "another scripts/convex-auth.sh holds .convex-auth/.lock.d (waited ${CONVEX_AUTH_LOCK_TIMEOUT:-300}s; remove the folder if no run is left)"
      sleep 1
    done
    trap 'rmdir "$AUTH_DIR/.lock.d" 2>/dev/null || true' EXIT
  fi
fi

# The frontend URL users sign in on (Convex Auth's redirects go there); ""
# when the project has no frontend and CONVEX_AUTH_SITE_URL is not set.
site_url() {
  local url
  url="${CONVEX_AUTH_SITE_URL:-$(dotenv_get "$ENV_LOCAL" CONVEX_AUTH_SITE_URL)}"
  url="${url:-${CONVEX_SCAFFOLD_SITE_URL:-}}"
  local port="${CONVEX_FRONTEND_PORT:-$CONVEX_FRONTEND_DEV_PORT}"
  if [ -z "$url" ] && [ -n "$port" ]; then
    url="http://localhost:$port"
  fi
  [ -n "$url" ] || return 0
  url="${url%/}"
  [[ "$url" =~ ^https?://[^][[:space:]/:@]+(:[0-9]+)?(/[^[:space:]]*)?$ ]] ||
    die "SITE_URL '$url' is not an http(s) URL (set CONVEX_AUTH_SITE_URL to the frontend's URL, e.g. http://localhost:5173)"
  printf '%s' "$url"
}

# How the pinned CLI takes a value without it landing in the process list:
# --from-file since 1.33, standard input since 1.27, else only as an argument.
set_style() {
  local major minor
  IFS=. read -r major minor _ <<<"$CONVEX_VERSION"
  if [ "$major" -gt 1 ] || [ "$minor" -ge 33 ]; then
    printf 'from-file'
  elif [ "$minor" -ge 27 ]; then
    printf 'stdin'
  else
    printf 'argument'
  fi
}

# Runs the pinned CLI in the project (it reads .env.local) with no prompts,
# with node directly: no package manager in between (npm would write every
# argument to its debug log; --check needs none).
convex_cli() {
  (cd "$PROJECT_DIR" && CI=1 timeout "${CONVEX_ENV_TIMEOUT:-120}" node "$PROJECT_DIR/node_modules/convex/bin/main.js" "$@")
}

# Puts the value of NAME on the deployment into the variable named $2 (""
# when unset). The value is never printed: stdout is captured, and `env get`
# only reports problems on stderr.
deployment_get() {
  local name="$1" err out rc=0
  err="$(mktemp "${TMPDIR:-/tmp}/convex-auth-err.XXXXXX")"
  out="$(convex_cli env get "$name" </dev/null 2>"$err")" || rc=$?
  if [ "$rc" != 0 ]; then
    sed 's/^/  | /' "$err" | tail -n 20 >&2
    rm -f "$err"
    die "\`convex env get $name\` failed (exit $rc)"
  fi
  rm -f "$err"
  printf -v "$2" '%s' "$out"
}

# Sets NAME on the deployment to the contents of FILE (no trailing newline).
# The CLI's own output is kept back (before 1.33 it echoes the value) and
# shown, with the value hidden, only when the command fails.
deployment_set() {
  local name="$1" file="$2" value out rc=0
  value="$(cat "$file")"
  case "$(set_style)" in
    from-file) out="$(convex_cli env set "$name" --from-file "$file" </dev/null 2>&1)" || rc=$? ;;
    stdin) out="$(convex_cli env set "$name" <"$file" 2>&1)" || rc=$? ;;
    argument) out="$(convex_cli env set -- "$name" "$value" </dev/null 2>&1)" || rc=$? ;;
  esac
  if [ "$rc" != 0 ]; then
    printf '%s\n' "${out//"$value"/<value hidden>}" | tail -n 20 | sed 's/^/  | /' >&2
    die "\`convex env set $name\` failed (exit $rc)"
  fi
  local now
  deployment_get "$name" now
  [ "$now" = "$value" ] || die "after \`convex env set $name\` the deployment holds another value (not shown); set it in the dashboard, or report this with the CLI version ($CONVEX_VERSION)"
}

# Writes VALUE to the file of NAME atomically, 0600, without a newline.
write_key_file() {
  local tmp target
  target="$(key_path "$1")"
  tmp="$(umask 077 && mktemp "$AUTH_DIR/.$1.XXXXXX")"
  printf '%s' "$2" >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$target"
}

# A new RS256 pair, as Convex Auth's manual setup makes it: the PKCS#8 PEM
# on one line (spaces for newlines) and {"keys":[{"use":"sig",...JWK}]}.
# Written beside the old files first, then renamed one right after the other.
generate_keys() {
  node -e '
    const crypto = require("crypto"), fs = require("fs"), path = require("path");
    const [dir, privFile, jwksFile] = process.argv.slice(1);
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const values = [
      [privFile, privateKey.export({ type: "pkcs8", format: "pem" }).trimEnd().replace(/\n/g, " ")],
      [jwksFile, JSON.stringify({ keys: [{ use: "sig", ...publicKey.export({ format: "jwk" }) }] })],
    ];
    for (const [file, value] of values) fs.writeFileSync(path.join(dir, "." + path.basename(file) + ".new"), value, { mode: 0o600 });
    for (const [file] of values) fs.renameSync(path.join(dir, "." + path.basename(file) + ".new"), file);
  ' "$AUTH_DIR" "$(key_path JWT_PRIVATE_KEY)" "$(key_path JWKS)" || die "node could not make the key pair"
}

# Exit 0 when the JWKS given second holds the public half of the private key
# given first. Both come on standard input (NUL between them), never through
# a file or an argument. The key may be on one line or on several.
jwks_holds_key() {
  printf '%s\0%s' "$1" "$2" | node -e '
    const crypto = require("crypto");
    let input = "";
    process.stdin.on("data", (d) => (input += d)).on("end", () => {
      try {
        const cut = input.indexOf("\0");
        const body = input.slice(0, cut).replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
        const key = crypto.createPrivateKey({ key: Buffer.from(body, "base64"), format: "der", type: "pkcs8" });
        const mine = crypto.createPublicKey(key).export({ format: "jwk" });
        const jwks = JSON.parse(input.slice(cut + 1));
        process.exit(Array.isArray(jwks.keys) && jwks.keys.some((k) => k.kty === "RSA" && k.n === mine.n && k.e === mine.e) ? 0 : 1);
      } catch (e) {
        process.exit(1);
      }
    });' 2>/dev/null
}

# Copies the deployment's pair into .convex-auth/ after checking it is one.
adopt_deployment_keys() {
  [ -n "${on_deployment[JWT_PRIVATE_KEY]}" ] && [ -n "${on_deployment[JWKS]}" ] ||
    die "the deployment does not hold both JWT_PRIVATE_KEY and JWKS, so there is nothing to adopt; make a new pair with scripts/convex-auth.sh --rotate"
  jwks_holds_key "${on_deployment[JWT_PRIVATE_KEY]}" "${on_deployment[JWKS]}" ||
    die "the deployment's JWT_PRIVATE_KEY and JWKS are not one key pair (JWKS lacks the private key's public half), so every sign-in fails; replace both: scripts/convex-auth.sh --rotate"
  for name in "${AUTH_VARS[@]}"; do
    write_key_file "$name" "${on_deployment[$name]}"
  done
}

declare -A on_deployment=()
for name in "${AUTH_VARS[@]}" SITE_URL; do
  deployment_get "$name" "on_deployment[$name]"
done
want_site="$(site_url)"

local_files=0
for name in "${AUTH_VARS[@]}"; do
  [ ! -s "$(key_path "$name")" ] || local_files=$((local_files + 1))
done
if [ "$local_files" = 1 ] && [ "$mode" != adopt ] && [ "$mode" != rotate ]; then
  die "only one of .convex-auth/JWT_PRIVATE_KEY.pem and .convex-auth/JWKS.json exists: keep the deployment's pair with scripts/convex-auth.sh --adopt, or replace both with a new pair: scripts/convex-auth.sh --rotate (signs every user out)"
fi

case "$mode" in
  rotate)
    log "auth: making a new key pair in .convex-auth/ (--rotate: every signed-in user must sign in again)"
    generate_keys
    ;;
  adopt)
    adopt_deployment_keys
    log "auth: .convex-auth/ now holds the deployment's key pair (--adopt)"
    ;;
  *)
    if [ "$local_files" = 0 ]; then
      if [ -n "${on_deployment[JWT_PRIVATE_KEY]}" ] && [ -n "${on_deployment[JWKS]}" ]; then
        [ "$mode" = sync ] || {
          log "auth: .convex-auth/ is empty; the deployment holds a key pair (a sync would copy it there)"
          exit 1
        }
        adopt_deployment_keys
        log "auth: the deployment already held a key pair; kept it and saved it to .convex-auth/ (nothing changed on the deployment)"
      elif [ -z "${on_deployment[JWT_PRIVATE_KEY]}" ]; then
        [ "$mode" = sync ] || {
          log "auth: no key pair yet, neither in .convex-auth/ nor on the deployment (a sync makes one)"
          exit 1
        }
        log "auth: making the JWT key pair in .convex-auth/ (once; 0600, git-ignored, never printed)"
        generate_keys
      else
        die "the deployment holds only one of JWT_PRIVATE_KEY and JWKS, and .convex-auth/ is empty: replace both with a new pair: scripts/convex-auth.sh --rotate"
      fi
    fi
    ;;
esac

# The local values, as `$(cat)` reads them: trailing newlines dropped.
declare -A local_value=()
for name in "${AUTH_VARS[@]}"; do
  local_value[$name]="$(cat "$(key_path "$name")")"
done
local_key="${local_value[JWT_PRIVATE_KEY]}"
local_jwks="${local_value[JWKS]}"
jwks_holds_key "$local_key" "$local_jwks" ||
  die ".convex-auth/JWT_PRIVATE_KEY.pem and .convex-auth/JWKS.json are not one key pair (a file was edited or mixed up); keep the deployment's pair with scripts/convex-auth.sh --adopt, or make a new one with --rotate"
if [ "$mode" != check ]; then
  chmod 700 "$AUTH_DIR"
  # Exactly the values, no trailing newline (a hand-edited file may end in one).
  for name in "${AUTH_VARS[@]}"; do
    if [ "$(wc -c <"$(key_path "$name")")" != "$(printf '%s' "${local_value[$name]}" | wc -c)" ]; then
      write_key_file "$name" "${local_value[$name]}"
    fi
    chmod 600 "$(key_path "$name")"
  done
fi

# What has to change on the deployment. JWT_PRIVATE_KEY: set when unset,
# else it must be ours. JWKS: fine when it holds our key's public half (it
# may hold more keys); set when unset, when the deployment has no private key
# (nothing can be signed, so nothing is lost) or when its private key is ours
# and its JWKS lacks that key's public half (a broken pair, e.g. a rotation
# that stopped halfway); anything else is a conflict.
to_set=()
differs=()
dep_key="${on_deployment[JWT_PRIVATE_KEY]}"
dep_jwks="${on_deployment[JWKS]}"
if [ "$mode" = rotate ] || [ -z "$dep_key" ]; then
  to_set+=(JWT_PRIVATE_KEY)
elif [ "$dep_key" != "$local_key" ]; then
  differs+=(JWT_PRIVATE_KEY)
fi
if [ "$mode" = rotate ]; then
  [ "$dep_jwks" = "$local_jwks" ] || to_set+=(JWKS)
elif [ "$dep_jwks" = "$local_jwks" ] || { [ -n "$dep_jwks" ] && jwks_holds_key "$local_key" "$dep_jwks"; }; then
  :
elif [ -z "$dep_jwks" ] || [ -z "$dep_key" ]; then
  to_set+=(JWKS)
elif [ "$dep_key" = "$local_key" ]; then
  log "auth: the deployment's JWKS lacks the public half of its JWT_PRIVATE_KEY (a broken pair); setting the JWKS that belongs to it"
  to_set+=(JWKS)
else
  differs+=(JWKS)
fi
if [ "${#differs[@]}" -gt 0 ]; then
  if [ "${#differs[@]}" = 1 ]; then differ="${differs[0]} differs"; else differ="JWT_PRIVATE_KEY and JWKS differ"; fi
  if [ "$mode" = check ]; then
    log "auth: the key pair on the deployment is not the one in .convex-auth/: $differ (values not shown)"
    exit 1
  fi
  die "the key pair on the deployment is not the one in .convex-auth/: $differ (values not shown), and replacing a signing key signs every user out, so nothing was changed. Keep the deployment's keys: scripts/convex-auth.sh --adopt. Replace them with the ones in .convex-auth/: scripts/convex-auth.sh --rotate makes a new pair for both"
fi
site_changes=0
if [ -z "$want_site" ]; then
  log "auth: WARNING: SITE_URL not set: this project has no frontend, so put the URL users sign in on into .env.local, e.g. CONVEX_AUTH_SITE_URL=http://localhost:5173, and run scripts/convex-auth.sh"
elif [ "${on_deployment[SITE_URL]}" != "$want_site" ]; then
  site_changes=1
fi

if [ "$mode" = check ]; then
  if [ "${#to_set[@]}" = 0 ] && [ "$site_changes" = 0 ] && [ -n "$want_site" ]; then
    log "auth: the deployment holds JWT_PRIVATE_KEY and JWKS from .convex-auth/ and SITE_URL=$want_site"
    exit 0
  fi
  [ "${#to_set[@]}" = 0 ] || log "auth: to set on the deployment: ${to_set[*]}"
  [ "$site_changes" = 0 ] || log "auth: SITE_URL is '${on_deployment[SITE_URL]}' on the deployment, wanted $want_site"
  exit 1
fi

if [ "${#to_set[@]}" = 0 ] && [ "$site_changes" = 0 ]; then
  if [ -n "$want_site" ]; then
    log "auth: JWT_PRIVATE_KEY, JWKS and SITE_URL=$want_site already set on the deployment; nothing changed"
  else
    log "auth: JWT_PRIVATE_KEY and JWKS already set on the deployment; nothing changed"
  fi
  exit 0
fi
if [ "${#to_set[@]}" -gt 0 ] && [ "$(set_style)" = argument ]; then
  log "auth: convex $CONVEX_VERSION reads \`env set\` values only from its arguments (stdin since 1.27, --from-file since 1.33), so a key is visible in this machine's process list while it runs"
fi
for name in "${to_set[@]}"; do
  deployment_set "$name" "$(key_path "$name")"
  log "auth: set $name on the deployment (value not shown)"
done
if [ "$site_changes" = 1 ]; then
  scratch="$(umask 077 && mktemp "$AUTH_DIR/.SITE_URL.XXXXXX")"
  printf '%s' "$want_site" >"$scratch"
  deployment_set SITE_URL "$scratch"
  rm -f "$scratch"
  if [ -n "${on_deployment[SITE_URL]}" ]; then
    log "auth: SITE_URL ${on_deployment[SITE_URL]} -> $want_site (follows the frontend's URL)"
  else
    log "auth: set SITE_URL=$want_site on the deployment"
  fi
fi
