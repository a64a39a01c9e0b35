# shellcheck shell=bash
# Scenario 8: database = postgres on the real daemon. The pinned Postgres
# image is built from Debian's postgresql-17 (standins/postgres). compose
# starts it healthy; database-init creates the database INSTANCE_NAME with
# '-' -> '_'; the backend stand-in connects with exactly the POSTGRES_URL the
# backend gets; doctor sees the database live; a restart keeps the data; a
# missing database stops the backend with the server's error; switching the
# database is refused.

scenario_80_database_postgres() {
  new_project pgdb --set database=postgres
  local dir="$PROJECTS/pgdb" name="pgdb-$E2E_SUFFIX" db image out cid
  db="$(printf '%s' "$name" | tr - _)"
  image="$(cd "$dir" && docker compose --env-file .env.docker config --images | grep '^postgres:' | sort -u)"
  assert_eq "$image" "postgres:17.10-trixie" "the pinned Postgres image"
  build_postgres_image "$image"
  sed -i 's/^PORT=.*/PORT=3910/; s/^SITE_PROXY_PORT=.*/SITE_PROXY_PORT=3911/; s/^DASHBOARD_PORT=.*/DASHBOARD_PORT=7491/' "$dir/.env.docker"
  dc() { (cd "$dir" && docker compose --env-file .env.docker "$@"); }

  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  cid="$(dc ps -q database)"
  assert_eq "$(docker inspect -f '{{.State.Health.Status}}' "$cid")" healthy "database service health"
  assert_eq "$(dc exec -T database psql -U convex -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" 1 \
    "database $db created by database-init"
  assert_contains "$(dc logs database-init 2>&1)" "created database $db" "database-init's log"
  assert_contains "$(dc logs backend 2>&1)" "Connected to Postgres" "the backend stand-in connected with POSTGRES_URL"
  out="$("$BIN" doctor "$dir" 2>&1 || true)"
  assert_contains "$out" "pass  database-exists" "doctor sees the database live"
  local password
  password="$(sed -n 's/^DATABASE_PASSWORD=//p' "$dir/.env.docker")"
  [ "${#password}" -eq 64 ] || fail "DATABASE_PASSWORD is not 64 characters"
  assert_not_contains "$out" "$password" "doctor output"
  assert_not_contains "$(dc logs 2>&1)" "$password" "the stack's logs"

  # A restart keeps the data; database-init finds the database and leaves it.
  dc exec -T database psql -v ON_ERROR_STOP=1 -U convex -d "$db" -qc "CREATE TABLE e2e_marker (x int); INSERT INTO e2e_marker VALUES (42)" >/dev/null
  dc down >/dev/null 2>&1
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_eq "$(dc exec -T database psql -U convex -d "$db" -tAc "SELECT x FROM e2e_marker")" 42 "data after a restart"
  assert_contains "$(dc logs database-init 2>&1)" "database $db exists" "database-init on the second start"

  # Without its database the backend refuses to start with the server's error.
  dc stop backend dashboard >/dev/null 2>&1
  dc exec -T database psql -v ON_ERROR_STOP=1 -U convex -d postgres -qc "DROP DATABASE \"$db\"" >/dev/null
  dc up -d --no-deps backend >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 60))
  until [ "$(docker inspect -f '{{.RestartCount}}' "$(dc ps -aq backend)" 2>/dev/null || echo 0)" -ge 1 ] ||
    [ "$SECONDS" -ge "$deadline" ]; do sleep 1; done
  out="$(dc logs backend 2>&1)"
  assert_contains "$out" "Error: db error: FATAL: database \"$db\" does not exist" "the backend's refusal"
  # convex-up.sh's database-init creates it again and the backend starts.
  dc rm -sf backend >/dev/null 2>&1
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }

  # Switching the database is refused.
  out="$(expect_failure "$BIN" upgrade "$dir" --set database=sqlite)"
  assert_contains "$out" "refusing to change database from postgres to sqlite" "upgrade --set database=sqlite"
}
