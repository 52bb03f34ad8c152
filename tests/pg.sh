#!/bin/sh
# pg.sh - a throwaway PostgreSQL cluster for tests, the demo and benches.
#
#   tests/pg.sh start DIR   initdb in DIR, start on a unix socket in DIR,
#                           print the environment to eval (PGHOST, ...)
#   tests/pg.sh stop DIR    stop it and remove DIR
#   tests/pg.sh restart DIR / halt DIR / resume DIR   (for fault tests)
#
# No TCP listener. As root, the server runs as the unprivileged 'nobody'.
set -eu

cmd=$1
dir=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "pg.sh: no PostgreSQL server installed" >&2; exit 1; }
port=${PGTEST_PORT:-5432}

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

case "$cmd" in
start)
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown nobody "$dir"
	chmod 0755 "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -U magsync -A trust \
	    --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
	    { cat "$dir/initdb.log" >&2; exit 1; }
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
	    -o "-c listen_addresses='' -k $dir -p $port -c fsync=off \
	        -c full_page_writes=off -c synchronous_commit=off \
	        -c max_connections=200" start >/dev/null ||
	    { cat "$dir/server.log" >&2; exit 1; }
	echo "export PGHOST='$dir' PGPORT='$port' PGUSER=magsync PGDATABASE=postgres"
	;;
halt)
	as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	;;
resume)
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
	    -o "-c listen_addresses='' -k $dir -p $port -c fsync=off \
	        -c full_page_writes=off -c synchronous_commit=off \
	        -c max_connections=200" start >/dev/null
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop \
		    >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: pg.sh start|stop|halt|resume DIR" >&2
	exit 2
	;;
esac
