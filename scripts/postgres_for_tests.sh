#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server for the publication tests.
#
#   eval "$(scripts/postgres_for_tests.sh start /tmp/pg-tests)"   # exports TEST_POSTGRES_DSN
#   scripts/postgres_for_tests.sh stop /tmp/pg-tests
#
# The cluster lives in DIR (created by initdb, trust auth, loopback only, a free port). PostgreSQL
# refuses to run as root, so as root the server runs as the `postgres` system user (Debian's
# postgresql package creates it). Needs initdb and pg_ctl (apt-get install -y postgresql).
set -euo pipefail

command="${1:?usage: $0 start|stop DIR}"
dir="$(realpath -m "${2:?usage: $0 start|stop DIR}")"

find_bin() {
    command -v "$1" 2>/dev/null || ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1
}
PG_CTL="$(find_bin pg_ctl)"
INITDB="$(find_bin initdb)"
[[ -x "$PG_CTL" && -x "$INITDB" ]] || { echo "pg_ctl/initdb not found: apt-get install -y postgresql" >&2; exit 1; }

as_server_user() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$command" in
start)
    mkdir -p "$dir"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$dir"
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        as_server_user "$INITDB" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log"
    fi
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_server_user "$PG_CTL" -D "$dir/data" -l "$dir/server.log" -w start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" >&2
    echo "$port" >"$dir/port"
    echo "export TEST_POSTGRES_DSN='postgresql://postgres@127.0.0.1:$port/postgres'"
    ;;
stop)
    as_server_user "$PG_CTL" -D "$dir/data" -m fast -w stop >&2
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
