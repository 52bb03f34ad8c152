#!/bin/sh
# demo.sh - `make demo`: the order loop, end to end, explained as it runs.
#
# Builds magsync, starts a throwaway PostgreSQL and a fake Magento store
# (tests/fake/magento.py) with sample orders, imports its catalogue
# (import_listings) and the orders (get_orders), records three shipments
# the way a warehouse system would (plain SQL), sends them to Magento
# (sync_orders) and shows what happened.
# Everything it starts lives in one temporary directory, removed at the end.
#
# Environment:
#   BUILD=DIR        use the binaries already in DIR (built with `make
#                    BUILD=DIR` first when they are missing); default build
#   DEMO_PGPORT=N    the throwaway PostgreSQL's port (unix socket only):
#                    55491
#   DEMO_KEEP=1      leave PostgreSQL, the fake and the directory running
#                    afterwards, to look around
#   PYTHON           /usr/bin/python3
# Exit status 0 when every step did what it should, else 1.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$top/$BUILD" ;; esac
ctl="$BUILD/magsyncctl"

work=$(mktemp -d /tmp/magsync-demo.XXXXXX)
chmod 0755 "$work"
fake_pid=
cleanup() {
	rc=$?
	set +e
	if [ "${DEMO_KEEP:-}" = 1 ]; then
		echo
		echo "Kept (DEMO_KEEP=1): $work"
		echo "  psql:   PGHOST=$work/pg PGPORT=${DEMO_PGPORT:-55491} PGUSER=magsync psql -d demo"
		echo "  ctl:    $ctl -c $work/magsync.ini status"
		echo "  stop:   kill $fake_pid; $top/tests/pg.sh stop $work/pg; rm -rf $work"
		exit $rc
	fi
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	"$top/tests/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

step_no=0
bold= plain=
if [ -t 1 ]; then bold=$(printf '\033[1m') plain=$(printf '\033[0m'); fi
step() {
	step_no=$((step_no + 1))
	printf '\n%s%d. %s%s\n' "$bold" "$step_no" "$*" "$plain"
}
say() { printf '   %s\n' "$@"; }
fail() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	[ -f "$work/fake.log" ] && tail -n 20 "$work/fake.log" >&2
	exit 1
}
indent() { sed -e 's/^./     &/'; }
# Run magsyncctl with the demo's config, showing the command first.
ctl_show() {
	printf '   $ magsyncctl %s\n' "$*"
	"$ctl" -c "$cfg" "$@" 2>&1 | indent
}
sql() {
	psql -X -q -v ON_ERROR_STOP=1 -P pager=off -P footer=off -d demo "$@"
}
sql_show() {
	sql -c "$1" | sed -e '${/^$/d;}' | indent
}
value() {
	sql -A -t -c "$1"
}

echo "magsync demo: the catalogue and orders in from Magento, shipments back out"
echo "(a fake Magento store and a throwaway PostgreSQL; nothing outside"
echo " $work is touched)"

# ---------------------------------------------------------------------------
step "Build"
if [ -x "$ctl" ] && [ -x "$BUILD/magsyncd" ]; then
	say "using the binaries in $BUILD"
else
	make -s BUILD="$BUILD" || fail "the build failed"
	say "built into $BUILD"
fi

# ---------------------------------------------------------------------------
step "Start a throwaway PostgreSQL"
eval "$(PGTEST_PORT=${DEMO_PGPORT:-55491} "$top/tests/pg.sh" start "$work/pg")" ||
    fail "PostgreSQL did not start"
export PGHOST PGPORT PGUSER
psql -X -q -d postgres -c "CREATE DATABASE demo" || fail "createdb"
say "PostgreSQL $(value 'SHOW server_version' 2>/dev/null || echo '?') on a unix socket in $work/pg, database 'demo'"

# ---------------------------------------------------------------------------
step "Start a fake Magento store"
token=demo-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
printf '%s\n' "$token" >"$work/shop.token"
chmod 600 "$work/shop.token"
"$PYTHON" "$top/tests/fake/magento.py" --port 0 --seed 7 --products 40 \
    --orders 30 --admin-token "$token" >"$work/fake.log" 2>&1 &
fake_pid=$!
i=0
while ! grep -q '^listening on' "$work/fake.log"; do
	i=$((i + 1))
	[ $i -gt 300 ] || kill -0 "$fake_pid" 2>/dev/null || fail "the fake did not start"
	[ $i -gt 300 ] && fail "the fake did not start"
	sleep 0.1
done
port=$(sed -n 's/^listening on \([0-9]*\).*/\1/p' "$work/fake.log")
store="http://127.0.0.1:$port"
say "$store: 40 products, 30 orders of the last 30 days in every status," \
    "Magento 2.4's REST API (tests/fake/README.md)"

# ---------------------------------------------------------------------------
step "Write a configuration and create the schema"
cat >"$work/magsync.ini" <<EOF
[magsync]
database = host=$PGHOST port=$PGPORT user=$PGUSER dbname=demo
timezone = UTC

[channel shop]
store_url = $store
access_token_file = shop.token      ; the secret stays in its own file

[job shop get_orders]
schedule = */5 * * * *              ; for magsyncd; the demo runs it by hand
days_back = 30
statuses = pending, processing
pii_retention = 30                  ; days after shipment
acknowledge = comment               ; tell Magento we have the order

[job shop sync_orders]
schedule = */10 * * * *
notify_customer = yes
EOF
sed -e '/^database/d' -e 's/^/     /' "$work/magsync.ini"
cfg="$work/magsync.ini"
"$ctl" -c "$cfg" check >"$work/check.out" 2>&1 ||
    { cat "$work/check.out" >&2; fail "magsyncctl check"; }
say "" "\$ magsyncctl check magsync.ini      (no problems; it also lists" \
    "                                      each job's next run times)" \
    "\$ magsyncctl migrate"
"$ctl" -c "$cfg" migrate 2>&1 | indent
[ "$(value "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'magsync'")" -gt 0 ] ||
    fail "magsyncctl migrate"

# ---------------------------------------------------------------------------
# The catalogue (import_listings, issue #6): an admin's first step with a
# new store. Self-contained: it adds its own job to the configuration.
step "Import the catalogue: magsyncctl run shop import_listings"
cat >>"$work/magsync.ini" <<'EOF'

[job shop import_listings]
schedule = manual                   ; on demand (a cron schedule works too)
master_sku = sku                    ; link each listing to products.master_sku
manage = create_update              ; create_only never changes a listing
EOF
sed -n '/^\[job shop import_listings\]/,$p' "$work/magsync.ini" | sed -e 's/^/     /'
"$ctl" -c "$cfg" check >"$work/check-il.out" 2>&1 ||
    { cat "$work/check-il.out" >&2; fail "magsyncctl check"; }
rc=0
"$ctl" -c "$cfg" run shop import_listings >"$work/il.out" 2>"$work/il.err" || rc=$?
indent <"$work/il.out"
[ $rc -eq 0 ] || { cat "$work/il.err" >&2; fail "import_listings exited $rc"; }
listings=$(value "SELECT count(*) FROM magsync.listings")
variants=$(value "SELECT count(*) FROM magsync.listing_variants")
[ "$listings" -gt 0 ] && [ "$variants" -gt 0 ] ||
    fail "import_listings wrote $listings listings and $variants variants"
say "" "$listings listings (one per configurable or standalone product) and" \
    "$variants variants (the configurables' children), with quantities summed" \
    "over the store's stock sources, category names and image URLs. A few:"
sql_show "SELECT sku, left(name, 28) AS name, price, quantity AS qty,
	category_one || ' > ' || category_two ||
	coalesce(' > ' || category_three, '') AS categories,
	cardinality(images) AS images, status FROM magsync.listings
	ORDER BY sku LIMIT 5"
say "" "A configurable and its variants:"
sql_show "SELECT l.sku AS listing, v.sku AS variant, v.upc, v.price,
	v.quantity AS qty FROM magsync.listing_variants v
	JOIN magsync.listings l ON l.id = v.listing_id
	WHERE l.id = (SELECT min(listing_id) FROM magsync.listing_variants)
	ORDER BY v.sku"
say "" "Run it again any time: listings are updated in place, and those the" \
    "store no longer has get removed_at."

# ---------------------------------------------------------------------------
step "Import the orders: magsyncctl run shop get_orders"
rc=0
"$ctl" -c "$cfg" run shop get_orders >"$work/go.out" 2>"$work/go.err" || rc=$?
indent <"$work/go.out"
[ $rc -eq 0 ] || { cat "$work/go.err" >&2; fail "get_orders exited $rc"; }
orders=$(value "SELECT count(*) FROM magsync.orders")
[ "$orders" -gt 3 ] || fail "get_orders imported $orders orders"
say "" "$orders pending and processing orders are now rows, with their items" \
    "and addresses; each got one acknowledgement comment in Magento. A few:"
sql_show "SELECT o.increment_id AS \"order\", o.status, o.grand_total AS total,
	count(i.*) AS lines, sum(i.qty_ordered) AS qty,
	a.city || ', ' || a.country_code AS ship_to
	FROM magsync.orders o JOIN magsync.order_items i ON i.order_id = o.id
	LEFT JOIN magsync.order_addresses a ON a.order_id = o.id AND a.kind = 'shipping'
	GROUP BY o.id, a.city, a.country_code ORDER BY o.id LIMIT 5"

# ---------------------------------------------------------------------------
step "A warehouse ships three orders (plain SQL, as a WMS would)"
set -- $(value "SELECT increment_id FROM magsync.orders ORDER BY id LIMIT 3")
o1=$1 o2=$2 o3=$3
wms="$work/wms.sql"
cat >"$wms" <<EOF
-- $o1: everything, by UPS (no shipment_items rows = the whole order)
INSERT INTO magsync.shipments (order_id, carrier, tracking_number, method)
SELECT id, 'UPS', '1Z999AA10123456784', 'Ground'
FROM magsync.orders WHERE increment_id = '$o1';

-- $o2: a partial shipment: one piece of its first line, by DHL Express
WITH s AS (
    INSERT INTO magsync.shipments (order_id, carrier, tracking_number, note)
    SELECT id, 'DHL Express', '1234567890', 'First box, the rest follows'
    FROM magsync.orders WHERE increment_id = '$o2' RETURNING id, order_id)
INSERT INTO magsync.shipment_items (shipment_id, order_item_id, qty)
SELECT s.id, min(i.id), 1 FROM s
JOIN magsync.order_items i ON i.order_id = s.order_id GROUP BY s.id;

-- $o3: a typo in the tracking number (FedEx numbers have 12, 15, 20 or
-- 22 digits): magsync will refuse to send it
INSERT INTO magsync.shipments (order_id, carrier, tracking_number)
SELECT id, 'FedEx', '12345678901'
FROM magsync.orders WHERE increment_id = '$o3';
EOF
indent <"$wms"
sql -f "$wms" || fail "inserting the shipments"

# ---------------------------------------------------------------------------
step "Send them to Magento: magsyncctl run shop sync_orders"
rc=0
"$ctl" -c "$cfg" run shop sync_orders >"$work/so.out" 2>"$work/so.err" || rc=$?
indent <"$work/so.out"
# 2 = partial: one shipment was refused on purpose.
[ $rc -eq 2 ] || { cat "$work/so.err" >&2; fail "sync_orders exited $rc (2, partial, expected)"; }
say "" "(exit status 2: partial - one shipment failed, the others went.)" \
    "Each shipment was marked 'sending' and committed before its request;" \
    "after a crash it is looked up in Magento, never sent twice." \
    "" "The shipments now (magsync.shipments):"
sql_show "SELECT s.id, o.increment_id AS \"order\", s.carrier, s.tracking_number,
	s.status, s.magento_shipment_id AS magento_id, s.last_error
	FROM magsync.shipments s JOIN magsync.orders o ON o.id = s.order_id
	ORDER BY s.id"
synced=$(value "SELECT count(*) FROM magsync.shipments WHERE status = 'synced'")
invalid=$(value "SELECT count(*) FROM magsync.shipments WHERE status = 'invalid'")
[ "$synced" = 2 ] && [ "$invalid" = 1 ] ||
    fail "expected 2 synced and 1 invalid shipments, got $synced and $invalid"

say "" "What Magento received for $o2 (POST /V1/order/{id}/ship):"
"$PYTHON" - "$store" <<'EOF' | indent || fail "reading the fake's state"
import json, sys, urllib.request
state = json.load(urllib.request.urlopen(sys.argv[1] + "/__state"))
reqs = state["ship_requests"]
print(json.dumps(reqs[-1], indent=2))
print("(%d shipment requests in all; the invalid one was never sent)"
      % len(reqs))
if len(reqs) != 2:
    sys.exit(1)
EOF
say "" "Order lines shipped so far, and the orders' shipped and purge times:"
sql_show "SELECT o.increment_id AS \"order\", i.sku, i.qty_ordered AS ordered,
	i.qty_shipped AS shipped FROM magsync.order_items i
	JOIN magsync.orders o ON o.id = i.order_id
	WHERE o.increment_id IN ('$o1', '$o2') ORDER BY o.id, i.id"
echo
sql_show "SELECT increment_id AS \"order\", status,
	to_char(shipped_at, 'YYYY-MM-DD HH24:MI') AS shipped_at,
	to_char(pii_purge_at, 'YYYY-MM-DD HH24:MI') AS pii_purge_at
	FROM magsync.orders WHERE increment_id IN ('$o1', '$o2', '$o3') ORDER BY id"
say "$o1 is fully shipped: its customer's name and address are purged on" \
    "pii_purge_at by the pii_retention job. $o2 still waits for its other" \
    "lines; $o3 waits for a corrected tracking number (fix the row and set" \
    "status back to 'pending')."

# ---------------------------------------------------------------------------
step "The job runs, as ops see them"
ctl_show status shop
runid=$(value "SELECT max(id) FROM magsync.job_runs WHERE process = 'sync_orders'")
ctl_show logs "$runid"
say "" "The same in SQL:"
sql_show "SELECT channel, process, status, items_ok AS ok, items_failed AS failed,
	requests FROM magsync.last_runs WHERE run_id IS NOT NULL ORDER BY process"

# ---------------------------------------------------------------------------
step "Where to look next"
say "README.md                   what magsync is, installing, operating" \
    "etc/magsync.ini.example     every setting, annotated" \
    "etc/templates/*.ini         the field mappings, and how to change them" \
    "magsyncctl check FILE       validate a config, see each job's next runs" \
    "magsyncd -c FILE            the daemon: runs every job on its schedule" \
    "SQL views                   magsync.last_runs, magsync.recent_failures," \
    "                            magsync.pii_purge_due" \
    "DEMO_KEEP=1 make demo       keep this database and store to explore"
echo
echo "demo: ok"
