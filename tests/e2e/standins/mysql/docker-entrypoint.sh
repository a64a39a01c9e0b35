#!/bin/sh
# The official mysql image's contract, as far as convex-scaffold uses it:
# MYSQL_ROOT_PASSWORD is required on the first start and set for root@'%'
# and root@localhost; MYSQL_USER/MYSQL_PASSWORD create that user (no
# privileges); initialisation runs without networking; then the server
# listens on all addresses.
set -eu
DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$DATADIR" /run/mysqld
  chown -R mysql:mysql "$DATADIR" /run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi
if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "${MYSQL_ROOT_PASSWORD:-}" ]; then
    echo "error: database is uninitialized and password option is not specified" >&2
    exit 1
  fi
  mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null
  mariadbd --datadir="$DATADIR" --skip-networking --socket="$SOCKET" &
  pid=$!
  tries=0
  until mysqladmin --socket="$SOCKET" -u root ping --silent >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "error: the initialisation server did not start" >&2; exit 1; }
    sleep 1
  done
  {
    printf "ALTER USER 'root'@'localhost' IDENTIFIED BY '%s';\n" "$MYSQL_ROOT_PASSWORD"
    printf "CREATE USER 'root'@'%%' IDENTIFIED BY '%s';\n" "$MYSQL_ROOT_PASSWORD"
    printf "GRANT ALL ON *.* TO 'root'@'%%' WITH GRANT OPTION;\n"
    if [ -n "${MYSQL_USER:-}" ]; then
      printf "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\n" "$MYSQL_USER" "${MYSQL_PASSWORD:-}"
    fi
    printf "FLUSH PRIVILEGES;\n"
  } | mysql --socket="$SOCKET" -u root
  kill "$pid"
  wait "$pid" || true
  echo "MySQL init process done. Ready for start up."
fi
exec mariadbd --datadir="$DATADIR" --socket="$SOCKET" --bind-address=0.0.0.0
