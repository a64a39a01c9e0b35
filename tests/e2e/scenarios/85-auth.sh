# shellcheck shell=bash
# Scenario 85: auth = convex-auth on the real daemon, with the real pinned CLI
# of three generations (how `env set` takes a value: --from-file since 1.33,
# stdin since 1.27, an argument before). After convex-deploy.sh the backend
# stand-in holds JWT_PRIVATE_KEY, JWKS and SITE_URL exactly as the key files
# say, set through the CLI's `env set` (the stand-in's env API); the pair
# signs and verifies; a second run changes nothing; a broken JWKS is
# repaired; a private key changed on the deployment is never overwritten
# silently; SITE_URL follows the frontend's URL; and the private key appears
# in no output, log, dry run or Terraform.

# Fails when SECRET occurs in HAYSTACK, without printing either.
assert_secret_absent() { # HAYSTACK SECRET WHAT
  case "$1" in
    *"$2"*) fail "$3 contains the private key (not shown)" ;;
    *) ;;
  esac
}

# The deployment's environment variables as the stand-in holds them, as
# {"environmentVariables": {...}} on stdout. Through the system query the
# CLI's `env list` runs (admin key from .env.local): every release has it,
# while /api/v1/list_environment_variables exists only from 2025-09-04.
deployment_env() {
  local dir="$1" port key
  port="$(sed -n 's/^PORT=//p' "$dir/.env.docker" | tail -1)"
  key="$(sed -n 's/^CONVEX_SELF_HOSTED_ADMIN_KEY=//p' "$dir/.env.local" | tr -d "'\"")"
  curl -fsS -m 10 -H "Authorization: Convex $key" -H 'Content-Type: application/json' \
    -d '{"path":"_system/cli/queryEnvironmentVariables","args":{},"format":"json"}' \
    "http://127.0.0.1:$port/api/query" |
    python3 -c 'import json,sys
r = json.load(sys.stdin)
assert r.get("status") == "success", r
print(json.dumps({"environmentVariables": {v["name"]: v["value"] for v in r["value"]}}))'
}

# deployment_var DIR NAME: one variable's value ("" when unset).
deployment_var() {
  deployment_env "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["environmentVariables"].get(sys.argv[1], ""), end="")' "$2"
}

# How many `env set` calls reached the stand-in (it logs each update, never a value).
env_updates() {
  (cd "$1" && docker compose --env-file .env.docker logs backend 2>&1) | grep -c "environment variable(s)" || true
}

# Signs with .convex-auth/JWT_PRIVATE_KEY and verifies with the JWKS on the
# deployment, as Convex Auth (sign) and the backend (verify) do.
pair_verifies() {
  local dir="$1" jwks
  jwks="$(deployment_var "$dir" JWKS)"
  node -e '
    const crypto = require("crypto"), fs = require("fs");
    const line = fs.readFileSync(process.argv[1], "utf8");
    if (line.includes("\n")) { console.error("the private key is not on one line"); process.exit(1); }
    const body = line.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
    const key = crypto.createPrivateKey({ key: Buffer.from(body, "base64"), format: "der", type: "pkcs8" });
    const jwk = JSON.parse(process.argv[2]).keys[0];
    if (jwk.use !== "sig" || jwk.kty !== "RSA") { console.error("JWKS key is not an RSA signing key"); process.exit(1); }
    const data = Buffer.from("convex-scaffold e2e");
    const sig = crypto.sign("sha256", data, key);
    process.exit(crypto.verify("sha256", data, crypto.createPublicKey({ key: jwk, format: "jwk" }), sig) ? 0 : 1);
  ' "$dir/.convex-auth/JWT_PRIVATE_KEY.pem" "$jwks"
}

# One project through the whole auth story. NAME PORT-BASE EXPECTED-STYLE [new args...]
auth_story() {
  local name="$1" base="$2" style="$3"
  shift 3
  new_project "$name" --set auth=convex-auth "$@"
  local dir="$PROJECTS/$name" out all="" priv updates
  sed -i "s/^PORT=.*/PORT=${base}0/; s/^SITE_PROXY_PORT=.*/SITE_PROXY_PORT=${base}1/; s/^DASHBOARD_PORT=.*/DASHBOARD_PORT=${base}2/" "$dir/.env.docker"
  ensure_node_for "$dir"
  ensure_package_manager_for "$dir"
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  all+="$out"
  out="$(cd "$dir" && bash scripts/convex-deploy.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  all+="$out"
  assert_contains "$out" "health:ping answered" "convex-deploy.sh"
  assert_contains "$out" "making the JWT key pair" "convex-deploy.sh (first run)"
  assert_contains "$out" "set JWT_PRIVATE_KEY on the deployment (value not shown)" "convex-deploy.sh (first run)"
  assert_contains "$out" "set SITE_URL=http://localhost:5173 on the deployment" "convex-deploy.sh (first run)"
  if [ "$style" = argument ]; then
    assert_contains "$out" "visible in this machine's process list" "the note for a CLI without stdin/--from-file"
  else
    assert_not_contains "$out" "process list" "convex-deploy.sh with a CLI that reads the value from $style"
  fi
  assert_eq "$(stat -c %a "$dir/.convex-auth")" 700 ".convex-auth mode"
  assert_eq "$(stat -c %a "$dir/.convex-auth/JWT_PRIVATE_KEY.pem")" 600 "JWT_PRIVATE_KEY file mode"
  assert_eq "$(stat -c %a "$dir/.convex-auth/JWKS.json")" 600 "JWKS file mode"
  (cd "$dir" && git init -q . && git check-ignore -q .convex-auth/JWT_PRIVATE_KEY.pem) || fail ".convex-auth/ is not git-ignored"
  priv="$(cat "$dir/.convex-auth/JWT_PRIVATE_KEY.pem")"
  case "$priv" in
    "-----BEGIN PRIVATE KEY----- "*" -----END PRIVATE KEY-----") ;;
    *) fail "JWT_PRIVATE_KEY is not a one-line PKCS#8 PEM" ;;
  esac
  [ "$(deployment_var "$dir" JWT_PRIVATE_KEY)" = "$priv" ] || fail "the deployment's JWT_PRIVATE_KEY is not the key file's"
  assert_eq "$(deployment_var "$dir" JWKS)" "$(cat "$dir/.convex-auth/JWKS.json")" "the deployment's JWKS"
  assert_eq "$(deployment_var "$dir" SITE_URL)" "http://localhost:5173" "the deployment's SITE_URL"
  pair_verifies "$dir" || fail "a signature made with the private key does not verify with the deployment's JWKS"

  # A second deploy changes nothing: no `env set` reaches the backend.
  updates="$(env_updates "$dir")"
  [ "$updates" -ge 3 ] || fail "the stand-in saw $updates env updates, expected the three sets"
  out="$(cd "$dir" && bash scripts/convex-deploy.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  all+="$out"
  assert_contains "$out" "already set on the deployment; nothing changed" "second convex-deploy.sh"
  assert_eq "$(env_updates "$dir")" "$updates" "env updates after the second deploy"
  out="$(cd "$dir" && bash scripts/convex-auth.sh --check 2>&1)" || { printf '%s\n' "$out" >&2; fail "convex-auth.sh --check on a synced project"; }
  all+="$out"

  # doctor sees the three variables live, without values.
  out="$("$BIN" doctor "$dir" 2>&1 || true)"
  all+="$out"
  assert_contains "$out" "pass  auth-env" "doctor's live auth check"
  assert_contains "$out" "pass  auth-keys" "doctor's key file check"

  # A JWKS set by hand that lacks the deployment's own key is a broken pair:
  # repaired (the private key stays, nothing is rotated).
  (cd "$dir" && CI=1 "${PM_EXEC[@]}" convex env set JWKS '{"keys":[]}' >/dev/null 2>&1) || fail "setting JWKS by hand with the CLI"
  out="$(cd "$dir" && bash scripts/convex-deploy.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  all+="$out"
  assert_contains "$out" "a broken pair" "convex-deploy.sh after a broken JWKS"
  assert_eq "$(deployment_var "$dir" JWKS)" "$(cat "$dir/.convex-auth/JWKS.json")" "the repaired JWKS"
  [ "$(deployment_var "$dir" JWT_PRIVATE_KEY)" = "$priv" ] || fail "the repair changed the private key"

  # Another private key set on the deployment (by hand, another tool) is
  # never overwritten.
  (cd "$dir" && CI=1 "${PM_EXEC[@]}" convex env set JWT_PRIVATE_KEY not-our-key >/dev/null 2>&1) || fail "setting JWT_PRIVATE_KEY by hand with the CLI"
  out="$(expect_failure bash -c "cd '$dir' && bash scripts/convex-deploy.sh")" || fail "convex-deploy.sh must refuse a private key changed on the deployment"
  all+="$out"
  assert_contains "$out" "the key pair on the deployment is not the one in .convex-auth/: JWT_PRIVATE_KEY differs" "the refusal"
  assert_contains "$out" "scripts/convex-auth.sh --rotate" "the refusal names the way out"
  assert_eq "$(deployment_var "$dir" JWT_PRIVATE_KEY)" 'not-our-key' "the hand-set key after the refusal"
  [ "$(cat "$dir/.convex-auth/JWT_PRIVATE_KEY.pem")" = "$priv" ] || fail "the key file changed after the refusal"
  out="$(doctor_fails "$dir")" || fail "doctor must fail auth-env when the private key differs"
  all+="$out"
  assert_contains "$out" "fail  auth-env" "doctor on a changed private key"
  # --adopt refuses a deployment pair that is no pair; --rotate replaces both.
  out="$(expect_failure bash -c "cd '$dir' && bash scripts/convex-auth.sh --adopt")" || fail "--adopt must refuse a key that is no pair"
  all+="$out"
  assert_contains "$out" "are not one key pair" "--adopt on a broken pair"
  out="$(cd "$dir" && bash scripts/convex-auth.sh --rotate 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  all+="$out"
  [ "$(cat "$dir/.convex-auth/JWT_PRIVATE_KEY.pem")" != "$priv" ] || fail "--rotate kept the old private key"
  all_keys+=("$priv")
  priv="$(cat "$dir/.convex-auth/JWT_PRIVATE_KEY.pem")"
  [ "$(deployment_var "$dir" JWT_PRIVATE_KEY)" = "$priv" ] || fail "the deployment's JWT_PRIVATE_KEY after --rotate"
  pair_verifies "$dir" || fail "the rotated pair does not verify"

  # SITE_URL follows the frontend URL (a Coder subdomain URL here).
  out="$(cd "$dir" && CONVEX_SCAFFOLD_SITE_URL=https://frontend--main--ws--me.coder.example.com bash scripts/convex-auth.sh 2>&1)" ||
    { printf '%s\n' "$out" >&2; return 1; }
  all+="$out"
  assert_contains "$out" "SITE_URL http://localhost:5173 -> https://frontend--main--ws--me.coder.example.com" "SITE_URL following the frontend"
  assert_eq "$(deployment_var "$dir" SITE_URL)" "https://frontend--main--ws--me.coder.example.com" "SITE_URL on the deployment"

  # The private keys (every one this story made) appear nowhere.
  all_keys+=("$priv")
  local logs terraform dry k
  logs="$(cd "$dir" && docker compose --env-file .env.docker logs 2>&1)"
  terraform="$(cat "$dir"/coder/*.tf "$dir"/coder/*/*.tf 2>/dev/null || true)$("$BIN" coder "$E2E_RUN/coder-$name" --yes --set "name=$name-$E2E_SUFFIX" --set auth=convex-auth 2>&1 && cat "$E2E_RUN/coder-$name"/*.tf)"
  dry="$("$BIN" upgrade "$dir" --dry-run 2>&1 || true)$("$BIN" new "$E2E_RUN/dry-$name" --yes --dry-run --set auth=convex-auth 2>&1 || true)"
  for k in "${all_keys[@]}"; do
    assert_secret_absent "$all" "$k" "the scripts' and doctor's output"
    assert_secret_absent "$logs" "$k" "the stack's logs"
    assert_secret_absent "$terraform" "$k" "the Terraform files"
    assert_secret_absent "$dry" "$k" "the --dry-run output"
    # The key body alone (a PEM line split elsewhere would still leak it).
    k="${k#-----BEGIN PRIVATE KEY----- }"
    k="${k:0:48}"
    assert_secret_absent "$all$logs$terraform$dry" "$k" "any output (the key's first 48 base64 characters)"
  done
  log "auth story $name ($style): key files, three variables, idempotent, refusal, rotation, SITE_URL, no leak"
}

# doctor DIR, expected to exit non-zero; its output on stdout.
doctor_fails() {
  local out rc=0
  out="$("$BIN" doctor "$1" 2>&1)" || rc=$?
  printf '%s' "$out"
  [ "$rc" -ne 0 ]
}

scenario_85_auth_from_file() {
  local all_keys=()
  PM_EXEC=(pnpm exec)
  auth_story authff 386 from-file
}

scenario_86_auth_stdin() {
  local all_keys=()
  PM_EXEC=(pnpm exec)
  auth_story authin 387 stdin --release 2025-09-12
}

scenario_87_auth_argument() {
  local all_keys=()
  PM_EXEC=(pnpm exec)
  auth_story authar 388 argument --release 2025-05-29
}
