#!/usr/bin/env bash
# testpg.sh: a throwaway PostgreSQL cluster for nimbus tests and benchmarks.
#
#   scripts/testpg.sh start <dir>   initdb (once) + start; prints the DSN on stdout
#   scripts/testpg.sh dsn <dir>     prints the DSN of a running cluster
#   scripts/testpg.sh stop <dir>    stops it (no-op when not running)
#
#   export NIMBUS_TEST_POSTGRES="$(scripts/testpg.sh start /tmp/nimbus-pg)"
#   go test ./internal/store/...
#   scripts/testpg.sh stop /tmp/nimbus-pg
#
# The cluster is for tests only: trust authentication on 127.0.0.1, fsync=off and
# synchronous_commit=off unless TESTPG_DURABLE=1 (use that for benchmark figures
# comparable with a durable SQLite). Only the DSN goes to stdout; progress and
# errors go to stderr. Start and stop are idempotent.
#
# When the PostgreSQL binaries are missing they are installed with apt-get, but only
# when CI=true or NIMBUS_INSTALL=1; otherwise the script prints a hint and exits 3.
# initdb refuses to run as root, so as root the cluster belongs to an unprivileged
# user: "postgres" if it exists, else a system user "nimbus-pg" created on demand.
set -euo pipefail

readonly DB_USER=nimbus
readonly DB_NAME=nimbus

log() { printf 'testpg: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

usage() {
	echo "usage: $0 start|dsn|stop <dir>" >&2
	exit 2
}

# find_bindir prints the directory holding pg_ctl/initdb/postgres, newest version first.
find_bindir() {
	local d candidates=()
	# pg_ctl on PATH may be a lone symlink; use the directory it really lives in.
	if command -v pg_ctl >/dev/null 2>&1; then
		candidates+=("$(dirname "$(readlink -f "$(command -v pg_ctl)")")")
	fi
	candidates+=($(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r))
	for d in "${candidates[@]}"; do
		if [[ -x "$d/pg_ctl" && -x "$d/initdb" && -x "$d/postgres" && -x "$d/psql" && -x "$d/createdb" ]]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

ensure_binaries() {
	if BINDIR="$(find_bindir)"; then
		return 0
	fi
	if [[ "${CI:-}" != "true" && "${NIMBUS_INSTALL:-}" != "1" ]]; then
		log "PostgreSQL binaries not found; install the 'postgresql' package or rerun with NIMBUS_INSTALL=1"
		exit 3
	fi
	[[ "$(id -u)" == 0 ]] || die "installing postgresql needs root (apt-get)"
	log "installing postgresql with apt-get"
	# The Debian package creates and starts a default cluster; we do not use it.
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
	BINDIR="$(find_bindir)" || die "postgresql installed but pg_ctl/initdb not found"
}

# as_owner runs a command as the cluster owner (ourselves unless we are root).
as_owner() {
	if [[ "$(id -u)" == 0 ]]; then
		runuser -u "$OWNER" -- "$@"
	else
		"$@"
	fi
}

pick_owner() {
	if [[ "$(id -u)" != 0 ]]; then
		OWNER="$(id -un)"
		return
	fi
	if id postgres >/dev/null 2>&1; then
		OWNER=postgres
	else
		if ! id nimbus-pg >/dev/null 2>&1; then
			log "creating system user nimbus-pg"
			useradd --system --no-create-home --shell /usr/sbin/nologin nimbus-pg
		fi
		OWNER=nimbus-pg
	fi
}

# port_free succeeds when nothing accepts connections on 127.0.0.1:$1.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		if port_free "$p"; then
			echo "$p"
			return 0
		fi
	done
	die "no free TCP port found"
}

running() {
	[[ -f "$DATA/postmaster.pid" ]] && as_owner "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

print_dsn() {
	local port
	port="$(cat "$DIR/port")"
	echo "postgres://${DB_USER}@127.0.0.1:${port}/${DB_NAME}?sslmode=disable"
}

ensure_db() {
	local out
	out="$(as_owner "$BINDIR/psql" -h 127.0.0.1 -p "$1" -U "$DB_USER" -d postgres -Atq \
		-c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" || die "psql failed on port $1"
	if [[ "$out" != 1 ]]; then
		as_owner "$BINDIR/createdb" -h 127.0.0.1 -p "$1" -U "$DB_USER" "$DB_NAME" >&2
	fi
}

cmd_start() {
	ensure_binaries
	pick_owner
	mkdir -p "$DIR"
	DIR="$(cd "$DIR" && pwd -P)"
	DATA="$DIR/data"
	if [[ "$(id -u)" == 0 ]]; then
		chown "$OWNER" "$DIR"
		chmod 700 "$DIR"
		as_owner test -x "$DIR" || die "$OWNER cannot reach $DIR (a parent directory is not traversable); pick another <dir>"
	fi

	if running; then
		log "already running (data in $DATA)"
		ensure_db "$(cat "$DIR/port")"
		print_dsn
		return 0
	fi

	if [[ ! -f "$DATA/PG_VERSION" ]]; then
		rm -rf "$DATA"
		log "initdb in $DATA as $OWNER"
		# C collation: text sorts by bytes, as in SQLite (see internal/store).
		as_owner "$BINDIR/initdb" -D "$DATA" -U "$DB_USER" --auth=trust \
			--encoding=UTF8 --no-locale >"$DIR/initdb.log" 2>&1 ||
			die "initdb failed; see $DIR/initdb.log"
	fi

	local durable="off"
	[[ "${TESTPG_DURABLE:-}" == "1" ]] && durable="on"

	local port attempt
	for attempt in 1 2 3 4 5; do
		port="$(pick_port)"
		# Settings go on the command line so a restart never reuses a stale port.
		if as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' \
				-c fsync=$durable -c synchronous_commit=$durable -c full_page_writes=$durable \
				-c max_connections=200" \
			start >&2; then
			echo "$port" >"$DIR/port"
			break
		fi
		log "start on port $port failed (attempt $attempt); see $DIR/server.log"
		port=""
	done
	[[ -n "$port" ]] || die "could not start PostgreSQL; see $DIR/server.log"

	ensure_db "$port"
	log "running on 127.0.0.1:$port (fsync=$durable)"
	print_dsn
}

cmd_dsn() {
	BINDIR="$(find_bindir)" || die "PostgreSQL binaries not found"
	pick_owner
	DIR="$(cd "$DIR" && pwd -P)"
	DATA="$DIR/data"
	running || die "no cluster running in $DIR"
	print_dsn
}

cmd_stop() {
	if [[ ! -d "$DIR/data" ]]; then
		log "nothing to stop in $DIR"
		return 0
	fi
	BINDIR="$(find_bindir)" || die "PostgreSQL binaries not found"
	pick_owner
	DIR="$(cd "$DIR" && pwd -P)"
	DATA="$DIR/data"
	if running; then
		as_owner "$BINDIR/pg_ctl" -D "$DATA" -m fast -w stop >&2
	else
		log "not running"
	fi
}

[[ $# -eq 2 ]] || usage
DIR="$2"
case "$1" in
start) cmd_start ;;
dsn) cmd_dsn ;;
stop) cmd_stop ;;
*) usage ;;
esac
