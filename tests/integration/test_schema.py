"""The data model of SPEC section 6, as migrate creates it: every table and
column with its type, status CHECKs, unique keys, cascades, defaults a WMS
relies on, the ops views on seeded data, and comments."""
import subprocess

import harness

# Column types as information_schema spells them ("text[]" for arrays).
TS, NUM, TXT, BIG, INT, BOOL, JSON = ("timestamp with time zone", "numeric",
                                      "text", "bigint", "integer", "boolean",
                                      "jsonb")

SCHEMA = {
    "jobs": {
        "id": BIG, "channel": TXT, "process": TXT, "schedule": TXT,
        "enabled": BOOL, "next_run_at": TS, "last_run_id": BIG,
        "last_tick_at": TS, "updated_at": TS,
    },
    "job_runs": {
        "id": BIG, "channel": TXT, "process": TXT, "trigger": TXT,
        "status": TXT, "scheduled_for": TS, "started_at": TS,
        "finished_at": TS, "heartbeat_at": TS, "host": TXT, "pid": INT,
        "items_total": INT, "items_ok": INT, "items_failed": INT,
        "requests": INT, "error": TXT,
    },
    "job_log": {
        "id": BIG, "run_id": BIG, "at": TS, "level": TXT, "entity": TXT,
        "http_method": TXT, "http_path": TXT, "http_status": INT,
        "duration_ms": INT, "message": TXT, "detail": JSON,
    },
    "products": {
        "id": BIG, "master_sku": TXT, "name": TXT, "created_at": TS,
        "updated_at": TS,
    },
    "listings": {
        "id": BIG, "channel": TXT, "sku": TXT, "product_id": BIG,
        "magento_id": BIG, "name": TXT, "description": TXT,
        "short_description": TXT, "price": NUM, "special_price": NUM,
        "quantity": NUM, "in_stock": BOOL, "status": TXT,
        "magento_status": INT, "visibility": INT, "weight": NUM,
        "product_type": TXT, "category_one": TXT, "category_two": TXT,
        "category_three": TXT, "images": "text[]", "max_sale_qty": NUM,
        "attributes": JSON, "magento_updated_at": TS, "imported_at": TS,
        "updated_at": TS, "removed_at": TS, "published_at": TS,
        "synced_at": TS, "sync_hash": TXT, "last_error": TXT,
    },
    "listing_variants": {
        "id": BIG, "listing_id": BIG, "sku": TXT, "upc": TXT,
        "quantity": NUM, "price": NUM, "magento_id": BIG, "attributes": JSON,
        "synced_at": TS, "sync_hash": TXT,
    },
    "listing_images": {
        "id": BIG, "listing_id": BIG, "url": TXT, "magento_entry_id": BIG,
        "file": TXT, "content_hash": TXT, "uploaded_at": TS,
    },
    "orders": {
        "id": BIG, "channel": TXT, "magento_entity_id": BIG,
        "increment_id": TXT, "status": TXT, "magento_created_at": TS,
        "grand_total": NUM, "shipping_amount": NUM, "coupon_code": TXT,
        "customer_note": TXT, "customer_email": TXT, "currency": TXT,
        "shipping_method": TXT, "shipping_method_name": TXT,
        "imported_at": TS, "updated_at": TS, "acknowledged_at": TS,
        "shipped_at": TS, "pii_purge_at": TS, "pii_purged_at": TS,
    },
    "order_addresses": {
        "order_id": BIG, "kind": TXT, "first_name": TXT, "last_name": TXT,
        "company": TXT, "address_line_1": TXT, "address_line_2": TXT,
        "city": TXT, "state": TXT, "post_code": TXT, "country_code": TXT,
        "telephone": TXT, "email": TXT,
    },
    "order_items": {
        "id": BIG, "order_id": BIG, "magento_item_id": BIG,
        "parent_item_id": BIG, "sku": TXT, "name": TXT, "product_type": TXT,
        "price": NUM, "qty_ordered": NUM, "qty_shipped": NUM, "weight": NUM,
        "discount_amount": NUM,
    },
    "shipments": {
        "id": BIG, "order_id": BIG, "carrier": TXT, "tracking_number": TXT,
        "tracking_url": TXT, "method": TXT, "note": TXT, "shipped_at": TS,
        "shipping_cost": NUM, "fulfillment_request_number": TXT,
        "extension_attributes": JSON, "status": TXT,
        "magento_shipment_id": BIG, "attempts": INT, "last_error": TXT,
        "created_at": TS, "synced_at": TS,
    },
    "shipment_items": {
        "shipment_id": BIG, "order_item_id": BIG, "qty": NUM,
    },
    "schema_migrations": {
        "version": INT, "name": TXT, "applied_at": TS,
    },
}

VIEWS = ["last_runs", "recent_failures", "pii_purge_due"]


def migrated(t):
    t.createdb()
    r = t.ctl("migrate", "--database", t.conninfo)
    if r.returncode != 0:
        raise harness.Fail("migrate failed: %s%s" % (r.stdout, r.stderr))


def sql_error(t, query):
    """Run query; return psql's error text, or None if it succeeded."""
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                        t.dbname, "-c", query], capture_output=True,
                       text=True)
    return r.stderr if r.returncode != 0 else None


def must_fail(t, query, why):
    err = sql_error(t, query)
    assert err is not None, "accepted: %s" % query
    assert why in err, "%s: wanted %r in %r" % (query, why, err)


def must_pass(t, query):
    err = sql_error(t, query)
    assert err is None, "%s: %s" % (query, err)


# A small world: one order with two items, a listing, a job with runs.
SEED = """
INSERT INTO magsync.products (id, master_sku, name) VALUES (1, 'M1', 'Mug');
INSERT INTO magsync.listings (id, channel, sku, product_id, price)
    VALUES (1, 'eu', 'MUG-1', 1, 9.5);
INSERT INTO magsync.listing_variants (listing_id, sku) VALUES (1, 'MUG-1-R');
INSERT INTO magsync.orders (id, channel, magento_entity_id, increment_id,
    status, grand_total) VALUES (1, 'eu', 100, '000000100', 'processing', 19);
INSERT INTO magsync.order_addresses (order_id, kind, last_name)
    VALUES (1, 'billing', 'Doe'), (1, 'shipping', 'Doe');
INSERT INTO magsync.order_items (id, order_id, magento_item_id, sku,
    qty_ordered, price) VALUES (1, 1, 500, 'MUG-1', 2, 9.5),
    (2, 1, 501, 'MUG-2', 1, 0);
SELECT setval(pg_get_serial_sequence('magsync.' || t, 'id'), 100)
    FROM unnest(ARRAY['products', 'listings', 'orders', 'order_items']) t;
"""


def test_tables_and_columns(t):
    migrated(t)
    rows = t.psql("""
        SELECT table_name, column_name,
               CASE WHEN data_type = 'ARRAY' THEN substr(udt_name, 2) || '[]'
                    ELSE data_type END
        FROM information_schema.columns
        WHERE table_schema = 'magsync'""")
    have = {}
    for table, col, typ in rows:
        have.setdefault(table, {})[col] = typ
    problems = []
    for table, cols in SCHEMA.items():
        if table not in have:
            problems.append("table %s missing" % table)
            continue
        for col, typ in cols.items():
            got = have[table].get(col)
            if got != typ:
                problems.append("%s.%s: %s, want %s" % (table, col, got, typ))
    assert not problems, "\n".join(problems)
    # Money is numeric and every *_at is timestamptz, extra columns too.
    for table, cols in have.items():
        for col, typ in cols.items():
            if col.endswith("_at") or col == "at":
                assert typ == TS, "%s.%s is %s" % (table, col, typ)
            if col in ("price", "special_price", "grand_total",
                       "shipping_amount", "shipping_cost",
                       "discount_amount"):
                assert typ == NUM, "%s.%s is %s" % (table, col, typ)


def test_status_checks(t):
    migrated(t)
    t.psql(SEED)
    cases = [
        ("job_runs", "status",
         ["running", "succeeded", "partial", "failed", "interrupted",
          "skipped"], "done"),
        ("job_runs", "trigger", ["schedule", "manual", "catch_up"], "cron"),
        ("job_log", "level", ["info", "warning", "error"], "debug"),
        ("listings", "status", ["active", "paused"], "deleted"),
        ("shipments", "status",
         ["pending", "sending", "synced", "failed", "invalid"], "shipped"),
        ("order_addresses", "kind", ["billing", "shipping"], "home"),
    ]
    insert = {
        "job_runs": "INSERT INTO magsync.job_runs (channel, process, "
                    "trigger, status) VALUES ('eu', 'get_orders', %s, %s)",
        "job_log": "INSERT INTO magsync.job_log (run_id, level, message) "
                   "SELECT max(id), %s, 'm' FROM magsync.job_runs",
        "listings": "INSERT INTO magsync.listings (channel, sku, status) "
                    "VALUES ('eu', 'S' || md5(random()::text), %s)",
        "shipments": "INSERT INTO magsync.shipments (order_id, carrier, "
                     "tracking_number, status) VALUES (1, 'ups', '1Z', %s)",
        "order_addresses": "INSERT INTO magsync.order_addresses (order_id, "
                           "kind) VALUES (1, %s)",
    }
    must_pass(t, "DELETE FROM magsync.order_addresses")
    for table, col, good, bad in cases:
        for v in good + [bad]:
            q = insert[table]
            if table == "job_runs":
                vals = ("'schedule'", "'%s'" % v) if col == "status" else \
                    ("'%s'" % v, "'succeeded'")
                q = q % vals
            else:
                q = q % ("'%s'" % v)
            if v == bad:
                must_fail(t, q, "violates check constraint")
            else:
                must_pass(t, q)
    # Processes are a closed set too.
    must_fail(t, "INSERT INTO magsync.jobs (channel, process, schedule) "
              "VALUES ('eu', 'get_order', 'manual')",
              "violates check constraint")
    must_fail(t, "INSERT INTO magsync.listings (channel, sku, "
              "magento_status) VALUES ('eu', 'X', 3)",
              "violates check constraint")
    must_fail(t, "INSERT INTO magsync.shipments (order_id, carrier, "
              "tracking_number, attempts) VALUES (1, 'ups', '1Z', -1)",
              "violates check constraint")


def test_unique_keys(t):
    migrated(t)
    t.psql(SEED)
    dups = [
        "INSERT INTO magsync.listings (channel, sku) VALUES ('eu', 'MUG-1')",
        "INSERT INTO magsync.listing_variants (listing_id, sku) "
        "VALUES (1, 'MUG-1-R')",
        "INSERT INTO magsync.orders (channel, magento_entity_id, "
        "increment_id, status) VALUES ('eu', 100, 'x', 'new')",
        "INSERT INTO magsync.order_items (order_id, magento_item_id, sku, "
        "qty_ordered) VALUES (1, 500, 'x', 1)",
        "INSERT INTO magsync.order_addresses (order_id, kind) "
        "VALUES (1, 'billing')",
        "INSERT INTO magsync.products (master_sku) VALUES ('M1')",
    ]
    for q in dups:
        must_fail(t, q, "duplicate key value")
    # The same keys on another channel / order are fine.
    must_pass(t, "INSERT INTO magsync.listings (channel, sku) "
              "VALUES ('us', 'MUG-1')")
    must_pass(t, "INSERT INTO magsync.orders (channel, magento_entity_id, "
              "increment_id, status) VALUES ('us', 100, 'x', 'new')")
    must_pass(t, "INSERT INTO magsync.jobs (channel, process, schedule) "
              "VALUES ('eu', 'get_orders', '*/5 * * * *')")
    must_fail(t, "INSERT INTO magsync.jobs (channel, process, schedule) "
              "VALUES ('eu', 'get_orders', '@hourly')", "duplicate key value")
    # Upserts by the documented keys work (what the processes do).
    must_pass(t, "INSERT INTO magsync.listings (channel, sku, price) "
              "VALUES ('eu', 'MUG-1', 11) ON CONFLICT (channel, sku) "
              "DO UPDATE SET price = excluded.price")
    t.eq(t.one("SELECT price FROM magsync.listings WHERE channel = 'eu' "
               "AND sku = 'MUG-1'"), "11", "upserted price")


def test_wms_shipment_defaults(t):
    """A WMS inserts only what it knows; magsync's columns default."""
    migrated(t)
    t.psql(SEED)
    sid = t.one("INSERT INTO magsync.shipments (order_id, carrier, "
                "tracking_number) VALUES (1, 'UPS', '1Z999AA10123456784') "
                "RETURNING id")
    row = t.psql("SELECT status, attempts, created_at > now() - "
                 "interval '1 minute', synced_at IS NULL, "
                 "magento_shipment_id IS NULL FROM magsync.shipments "
                 "WHERE id = %s" % sid)
    t.eq(row, [["pending", "0", "t", "t", "t"]], "defaults")
    must_pass(t, "INSERT INTO magsync.shipment_items (shipment_id, "
              "order_item_id, qty) VALUES (%s, 1, 1)" % sid)
    must_fail(t, "INSERT INTO magsync.shipment_items (shipment_id, "
              "order_item_id, qty) VALUES (%s, 2, 0)" % sid,
              "violates check constraint")
    must_fail(t, "INSERT INTO magsync.shipment_items (shipment_id, "
              "order_item_id, qty) VALUES (%s, 999, 1)" % sid,
              "violates foreign key constraint")
    must_fail(t, "INSERT INTO magsync.shipments (order_id, carrier, "
              "tracking_number) VALUES (999, 'ups', '1Z')",
              "violates foreign key constraint")


def test_cascades(t):
    migrated(t)
    t.psql(SEED)
    t.psql("INSERT INTO magsync.shipments (id, order_id, carrier, "
           "tracking_number) VALUES (7, 1, 'ups', '1Z'); "
           "INSERT INTO magsync.shipment_items VALUES (7, 1, 1); "
           "INSERT INTO magsync.job_runs (id, channel, process, trigger) "
           "VALUES (1, 'eu', 'get_orders', 'manual'); "
           "INSERT INTO magsync.job_log (run_id, message) VALUES (1, 'x'); "
           "INSERT INTO magsync.jobs (channel, process, schedule, "
           "last_run_id) VALUES ('eu', 'get_orders', 'manual', 1)")
    must_pass(t, "DELETE FROM magsync.orders WHERE id = 1")
    for table in ("order_items", "order_addresses", "shipments",
                  "shipment_items"):
        t.eq(t.one("SELECT count(*) FROM magsync.%s" % table), "0",
             "%s after deleting the order" % table)
    must_pass(t, "DELETE FROM magsync.listings WHERE id = 1")
    t.eq(t.one("SELECT count(*) FROM magsync.listing_variants"), "0",
         "variants after deleting the listing")
    t.eq(t.one("SELECT count(*) FROM magsync.products"), "1",
         "products stay")
    # Pruning history: the log goes with its run, the job forgets it.
    must_pass(t, "DELETE FROM magsync.job_runs WHERE id = 1")
    t.eq(t.one("SELECT count(*) FROM magsync.job_log"), "0", "job_log")
    t.eq(t.one("SELECT last_run_id IS NULL FROM magsync.jobs"), "t",
         "jobs.last_run_id")


def test_updated_at_is_kept_current(t):
    migrated(t)
    t.psql(SEED)
    t.psql("UPDATE magsync.listings SET updated_at = '2020-01-01Z'")
    t.eq(t.one("SELECT updated_at = '2020-01-01Z' FROM magsync.listings"),
         "t", "an explicit updated_at is kept")
    t.psql("UPDATE magsync.listings SET price = 12")
    t.eq(t.one("SELECT updated_at > now() - interval '1 minute' "
               "FROM magsync.listings"), "t", "updated_at touched")


def test_view_last_runs(t):
    migrated(t)
    t.psql("""
        INSERT INTO magsync.jobs (channel, process, schedule)
            VALUES ('eu', 'get_orders', '*/5 * * * *'),
                   ('eu', 'sync_orders', '*/5 * * * *');
        INSERT INTO magsync.job_runs (id, channel, process, trigger, status,
                started_at, finished_at, items_total, items_ok, items_failed,
                error)
            VALUES (1, 'eu', 'get_orders', 'schedule', 'succeeded',
                    now() - interval '10 min', now() - interval '9 min',
                    5, 5, 0, NULL),
                   (2, 'eu', 'get_orders', 'schedule', 'partial',
                    now() - interval '5 min', now() - interval '4 min',
                    7, 6, 1, NULL),
                   (3, 'eu', 'get_orders', 'schedule', 'skipped',
                    now() - interval '1 min', now() - interval '1 min',
                    0, 0, 0, 'already running'),
                   (4, 'us', 'import_listings', 'manual', 'failed',
                    now() - interval '2 days', now() - interval '2 days',
                    0, 0, 0, 'HTTP 401');
        """)
    rows = t.psql("SELECT channel, process, run_id, status, items_ok, "
                  "items_failed, error FROM magsync.last_runs")
    t.eq(rows, [
        ["eu", "get_orders", "2", "partial", "6", "1", None],
        ["eu", "sync_orders", None, None, None, None, None],
        ["us", "import_listings", "4", "failed", "0", "0", "HTTP 401"],
    ], "last_runs")


def test_view_recent_failures(t):
    migrated(t)
    t.psql("""
        INSERT INTO magsync.job_runs (id, channel, process, trigger, status,
                started_at, finished_at, error)
            VALUES (1, 'eu', 'get_orders', 'schedule', 'partial',
                    now() - interval '2 h', now() - interval '2 h', NULL),
                   (2, 'eu', 'sync_orders', 'schedule', 'failed',
                    now() - interval '1 h', now() - interval '1 h',
                    'cannot connect'),
                   (3, 'eu', 'get_orders', 'schedule', 'succeeded',
                    now() - interval '1 h', now(), NULL),
                   (4, 'eu', 'get_orders', 'schedule', 'failed',
                    now() - interval '30 h', now() - interval '30 h', 'old');
        INSERT INTO magsync.job_log (run_id, level, entity, message)
            VALUES (1, 'info', NULL, 'page 1'),
                   (1, 'error', 'order 000000007', 'first'),
                   (1, 'error', 'order 000000008', 'second');
        """)
    rows = t.psql("SELECT run_id, status, error, first_error_entity, "
                  "first_error FROM magsync.recent_failures")
    t.eq(rows, [
        ["2", "failed", "cannot connect", None, None],
        ["1", "partial", None, "order 000000007", "first"],
    ], "recent_failures")


def test_view_pii_purge_due(t):
    migrated(t)
    t.psql("""
        INSERT INTO magsync.orders (id, channel, magento_entity_id,
                increment_id, status, pii_purge_at, pii_purged_at)
            VALUES (1, 'eu', 1, '1', 'complete', now() - interval '1 d',
                    NULL),
                   (2, 'eu', 2, '2', 'complete', now() + interval '1 d',
                    NULL),
                   (3, 'eu', 3, '3', 'complete', now() - interval '2 d',
                    now() - interval '1 d'),
                   (4, 'eu', 4, '4', 'processing', NULL, NULL);
        """)
    t.eq(t.psql("SELECT order_id, increment_id FROM magsync.pii_purge_due "
                "ORDER BY 1"), [["1", "1"]], "pii_purge_due")
    cols = [r[0] for r in t.psql(
        "SELECT column_name FROM information_schema.columns WHERE "
        "table_schema = 'magsync' AND table_name = 'pii_purge_due'")]
    for c in cols:
        assert "email" not in c and "name" not in c, \
            "the view shows no PII: %s" % c


def test_comments(t):
    migrated(t)
    rows = t.psql("""
        SELECT c.relname, obj_description(c.oid, 'pg_class')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'magsync' AND c.relkind IN ('r', 'v')""")
    have = {name: comment for name, comment in rows}
    for name in list(SCHEMA) + VIEWS:
        assert have.get(name), "no comment on %s" % name
    # The columns ops read most.
    for table, col in [("job_runs", "status"), ("job_runs", "heartbeat_at"),
                       ("shipments", "status"), ("orders", "pii_purge_at"),
                       ("jobs", "last_tick_at"), ("listings", "sync_hash"),
                       ("job_log", "http_path")]:
        c = t.one("SELECT col_description('magsync.%s'::regclass, "
                  "(SELECT attnum FROM pg_attribute WHERE attrelid = "
                  "'magsync.%s'::regclass AND attname = '%s'))"
                  % (table, table, col))
        assert c, "no comment on %s.%s" % (table, col)


def test_indexes_serve_the_hot_queries(t):
    """The processes' and ops' frequent lookups have an index (checked on
    the plan with sequential scans discouraged)."""
    migrated(t)
    queries = {
        "pending shipments": "SELECT s.id FROM magsync.shipments s "
        "JOIN magsync.orders o ON o.id = s.order_id "
        "WHERE o.channel = 'eu' AND s.status = 'pending'",
        "runs of a job": "SELECT id FROM magsync.job_runs WHERE "
        "channel = 'eu' AND process = 'get_orders' "
        "ORDER BY started_at DESC LIMIT 10",
        "running on a host": "SELECT id FROM magsync.job_runs WHERE "
        "status = 'running' AND host = 'h1'",
        "log of a run": "SELECT id FROM magsync.job_log WHERE run_id = 5 "
        "ORDER BY id",
        "pii due": "SELECT id FROM magsync.orders WHERE channel = 'eu' AND "
        "pii_purge_at <= now() AND pii_purged_at IS NULL",
        "listing by magento id": "SELECT id FROM magsync.listings WHERE "
        "channel = 'eu' AND magento_id = 42",
    }
    for what, q in queries.items():
        plan = "\n".join(r[0] for r in t.psql(
            "SET enable_seqscan = off; EXPLAIN " + q))
        assert "Seq Scan" not in plan, "%s: %s" % (what, plan)
