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

# Scenario 8b: database = mysql, with MariaDB from Debian standing in for the
# pinned MySQL image (same environment contract, mysql client names).
scenario_81_database_mysql() {
  new_project mydb --set database=mysql
  local dir="$PROJECTS/mydb" name="mydb-$E2E_SUFFIX" db image out
  db="$(printf '%s' "$name" | tr - _)"
  image="$(cd "$dir" && docker compose --env-file .env.docker config --images | grep '^mysql:' | sort -u)"
  assert_eq "$image" "mysql:8.4.11-oraclelinux9" "the pinned MySQL image"
  build_mysql_image "$image"
  sed -i 's/^PORT=.*/PORT=3930/; s/^SITE_PROXY_PORT=.*/SITE_PROXY_PORT=3931/; s/^DASHBOARD_PORT=.*/DASHBOARD_PORT=7493/' "$dir/.env.docker"
  dcm() { (cd "$dir" && docker compose --env-file .env.docker "$@"); }
  # shellcheck disable=SC2016 # expanded inside the container
  sql() { dcm exec -T database sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -u root -N -B -e "$1"' sh "$1"; }

  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_eq "$(docker inspect -f '{{.State.Health.Status}}' "$(dcm ps -q database)")" healthy "database service health"
  assert_eq "$(sql "SELECT 1 FROM information_schema.schemata WHERE schema_name = '$db'")" 1 "database $db created by database-init"
  assert_contains "$(dcm logs backend 2>&1)" "Connected to MySQL" "the backend stand-in connected with MYSQL_URL as convex"
  out="$("$BIN" doctor "$dir" 2>&1 || true)"
  assert_contains "$out" "pass  database-exists" "doctor sees the database live"

  sql "CREATE TABLE \`$db\`.e2e_marker (x int); INSERT INTO \`$db\`.e2e_marker VALUES (42)"
  dcm down >/dev/null 2>&1
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_eq "$(sql "SELECT x FROM \`$db\`.e2e_marker")" 42 "data after a restart"

  dcm stop backend dashboard >/dev/null 2>&1
  sql "DROP DATABASE \`$db\`"
  dcm up -d --no-deps backend >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 60))
  until [ "$(docker inspect -f '{{.RestartCount}}' "$(dcm ps -aq backend)" 2>/dev/null || echo 0)" -ge 1 ] ||
    [ "$SECONDS" -ge "$deadline" ]; do sleep 1; done
  assert_contains "$(dcm logs backend 2>&1)" "(1049): Unknown database '$db'" "the backend's refusal"
  dcm rm -sf backend >/dev/null 2>&1
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }

  # A failing database-init stops the start, and convex-up.sh shows its log.
  sed -i 's/^INSTANCE_NAME=.*/INSTANCE_NAME=Bad-Name/' "$dir/.env.docker"
  out="$(cd "$dir" && CONVEX_UP_TIMEOUT=60 expect_failure bash scripts/convex-up.sh)"
  assert_contains "$out" "database-init: INSTANCE_NAME 'Bad-Name' must be lowercase" "convex-up.sh shows database-init's log"
  sed -i "s/^INSTANCE_NAME=.*/INSTANCE_NAME=$name/" "$dir/.env.docker"

  out="$(expect_failure "$BIN" upgrade "$dir" --set database=postgres)"
  assert_contains "$out" "refusing to change database from mysql to postgres" "upgrade --set database=postgres"
}

# Scenario 8c: switching an existing sqlite project to postgres the supported
# way: `upgrade --set database=postgres --reset-data`, then convex-reset.sh
# exports a backup with the old backend, wipes the data volume and starts
# the backend on Postgres.
scenario_82_database_switch_with_reset() {
  new_project dbswitch
  local dir="$PROJECTS/dbswitch" out
  sed -i 's/^PORT=.*/PORT=3950/; s/^SITE_PROXY_PORT=.*/SITE_PROXY_PORT=3951/; s/^DASHBOARD_PORT=.*/DASHBOARD_PORT=7495/' "$dir/.env.docker"
  ensure_node_for "$dir"
  ensure_package_manager_for "$dir"
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1 && bash scripts/convex-deploy.sh 2>&1)" ||
    { printf '%s\n' "$out" >&2; return 1; }
  assert_eq "$(query_status "$dir" health:ping)" success "health:ping on sqlite"

  out="$(expect_failure "$BIN" upgrade "$dir" --set database=postgres)"
  assert_contains "$out" "refusing to change database from sqlite to postgres" "upgrade without --reset-data"
  out="$("$BIN" upgrade "$dir" --set database=postgres --reset-data 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_contains "$out" "scripts/convex-reset.sh" "upgrade names the reset"
  build_postgres_image "$(cd "$dir" && docker compose --env-file .env.docker config --images | grep '^postgres:' | sort -u)"

  out="$(cd "$dir" && bash scripts/convex-reset.sh --yes 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_eq "$(find "$dir/backups" -name '*.zip' -size +0 | wc -l)" 1 "a backup exported before the switch"
  assert_contains "$(cd "$dir" && docker compose --env-file .env.docker logs backend 2>&1)" "Connected to Postgres" \
    "the backend runs on Postgres after the reset"
  [ "$(sed -n 's/^DATABASE_PASSWORD=//p' "$dir/.env.docker" | tr -d '\n' | wc -c)" -eq 64 ] ||
    fail "convex-up.sh did not generate DATABASE_PASSWORD for the switched project"
  assert_eq "$(query_status "$dir" health:ping)" error "a fresh deployment (import the backup to restore it)"
}
