#!/usr/bin/env bash
# Start (up) or stop (down) the PostgreSQL and Redis that `make test` needs, on a Debian machine as root
# without systemd. Installs them from Debian packages when missing, and with them Debian's Chromium for the
# browser tests (Playwright drives /usr/bin/chromium; it never downloads a browser) and the libraries and fonts
# WeasyPrint needs for the PDF reports. Only what `up` started is stopped by `down`; services that were already
# running are used and left alone. Safe to run again.
set -euo pipefail

STATE_DIR=${SERVICES_DIR:-"$(pwd)/.services"}
PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
DB_ROLE=trialscreen
STARTED="$STATE_DIR/started"

log() { echo "services: $*"; }

apt_install() {
  log "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

postgres_running() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }
redis_running() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 60); do
    if $check; then return 0; fi
    sleep 0.5
  done
  log "$what did not become ready"
  return 1
}

# WeasyPrint (the PDF reports) loads Pango and HarfBuzz at run time; the reports are set in DejaVu.
pdf_packages_missing() {
  local package
  for package in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
    [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] || echo "$package"
  done
}

# For `make run`: only what the app itself needs on this machine (no services).
pdf_libraries() {
  if ! command -v dpkg-query >/dev/null; then
    log "not Debian: install Pango, HarfBuzz and the DejaVu fonts for the PDF reports yourself (see the README)"
    return 0
  fi
  local missing=()
  mapfile -t missing < <(pdf_packages_missing)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    log "the PDF reports need these Debian packages, and installing them needs root: sudo apt-get install ${missing[*]}"
    exit 1
  fi
  apt_install "${missing[@]}"
}

# Queued report messages must outlive a restart: an append-only file, flushed every second (the app's sweeper sends
# again whatever a crash within that second loses).
start_redis() {
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --pidfile "$STATE_DIR/redis.pid" \
    --logfile "$STATE_DIR/redis.log" --dir "$STATE_DIR" --save '' --appendonly yes --appendfsync everysec
  wait_for Redis redis_running
  log "started Redis"
}

postgres_version() { ls /usr/lib/postgresql | sort -V | tail -n 1; }

# For the fault tests: stop or start one service that `up` made ready, as an outage or a restart would.
stop_service() {
  case "$1" in
    redis) redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
      for _ in $(seq 1 60); do redis_running || { log "stopped Redis"; return 0; }; sleep 0.1; done
      log "Redis did not stop"; return 1 ;;
    postgresql) pg_ctlcluster "$(postgres_version)" main stop -m fast && log "stopped PostgreSQL" ;;
    *) echo "usage: $0 stop|start redis|postgresql" >&2; exit 2 ;;
  esac
}

start_service() {
  mkdir -p "$STATE_DIR"
  case "$1" in
    redis) redis_running || start_redis ;;
    postgresql) postgres_running || { pg_ctlcluster "$(postgres_version)" main start && wait_for PostgreSQL postgres_running && log "started PostgreSQL"; } ;;
    *) echo "usage: $0 stop|start redis|postgresql" >&2; exit 2 ;;
  esac
}

up() {
  mkdir -p "$STATE_DIR"
  touch "$STARTED"  # never emptied here: another run may have started the services and will stop them
  local missing=()
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  mapfile -t -O "${#missing[@]}" missing < <(pdf_packages_missing)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

  if ! postgres_running; then
    local version
    version=$(postgres_version)
    if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version main"; then
      pg_createcluster "$version" main --port "$PG_PORT" >/dev/null
    fi
    pg_ctlcluster "$version" main start
    echo "postgresql $version" >>"$STARTED"
    wait_for PostgreSQL postgres_running
    log "started PostgreSQL $version"
  fi

  # A random password made on this machine, never in the repository; kept in the state folder so that two runs
  # sharing one PostgreSQL (a test run and a benchmark) do not change it under each other.
  local password
  if [ ! -s "$STATE_DIR/db-password" ]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(16))' >"$STATE_DIR/db-password")
  fi
  password=$(cat "$STATE_DIR/db-password")
  su postgres -c "psql -q -v ON_ERROR_STOP=1 -p $PG_PORT" >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_ROLE') THEN CREATE ROLE $DB_ROLE LOGIN CREATEDB; END IF;
END \$\$;
ALTER ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$password';
SQL
  if ! su postgres -c "psql -p $PG_PORT -tAc \"SELECT 1 FROM pg_database WHERE datname = '$DB_ROLE'\"" | grep -q 1; then
    su postgres -c "createdb -p $PG_PORT -O $DB_ROLE $DB_ROLE"
  fi

  if ! redis_running; then
    start_redis
    echo "redis" >>"$STARTED"
  fi

  cat >"$STATE_DIR/env" <<ENV
export DATABASE_URL=postgres://$DB_ROLE:$password@127.0.0.1:$PG_PORT/$DB_ROLE
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/1
ENV
}

down() {
  [ -f "$STARTED" ] || return 0
  while read -r service version; do
    case "$service" in
      postgresql) pg_ctlcluster "$version" main stop && log "stopped PostgreSQL $version" ;;
      redis) redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 && log "stopped Redis" ;;
    esac
  done <"$STARTED"
  rm -f "$STARTED" "$STATE_DIR/env"
}

case "${1:-}" in
  up) up ;;
  pdf-libraries) pdf_libraries ;;
  down) down ;;
  stop) stop_service "${2:-}" ;;
  start) start_service "${2:-}" ;;
  *) echo "usage: $0 up|down|pdf-libraries|stop SERVICE|start SERVICE" >&2; exit 2 ;;
esac
