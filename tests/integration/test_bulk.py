"""daemon/bulk.c against a real PostgreSQL, through tests/tools/bulkbench:
upserts are idempotent, the written mask keeps `skip`-mapped columns,
BULK_KEEP columns are set on insert only, hostile values round-trip
byte for byte with every strategy, and a PostgreSQL stop in the middle of a
write stream ends it with a clear error while the next stream succeeds.

Scenarios are data: the rows we upsert (JSON files) and the rows we expect
(read back with psql, values hex-encoded so tabs and newlines survive)."""
import json
import subprocess
import time

import harness

STRATEGIES = ("arrays", "values", "stage")


def setup(t):
    conninfo = t.createdb()
    cfg = t.write("magsync.ini", "[magsync]\ndatabase = %s\n" % conninfo)
    r = t.ctl("migrate", config=cfg)
    t.eq(r.returncode, 0, "migrate (%s)" % r.stderr)
    return conninfo


def upsert(t, rows, strategy="arrays", nothing=False, page=None, fail=False):
    path = t.write("rows-%d.json" % time.monotonic_ns(), json.dumps(rows))
    argv = [t.bin("tests/bulkbench"), t.conninfo, "upsert", path,
            "--strategy", strategy]
    if nothing:
        argv.append("--nothing")
    if page:
        argv += ["--page", str(page)]
    r = subprocess.run(argv, capture_output=True, text=True, env=t.env(),
                       timeout=120)
    if fail:
        assert r.returncode != 0, "expected a failure:\n" + r.stdout
        return r
    assert r.returncode == 0, "bulkbench %s: exit %d\n%s\n%s" % (
        strategy, r.returncode, r.stdout, r.stderr)
    return json.loads(r.stdout.splitlines()[0])


def listing(t, sku, cols):
    """cols of the listing (channel 'c1'), each hex-encoded text or None."""
    sel = ", ".join("encode(convert_to(%s::text, 'UTF8'), 'hex')" % c
                    for c in cols)
    rows = t.psql("SELECT %s FROM magsync.listings WHERE channel = 'c1' "
                  "AND sku = convert_from(decode('%s', 'hex'), 'UTF8')" %
                  (sel, sku.encode().hex()))
    if not rows:
        return None
    return [None if v is None else bytes.fromhex(v).decode() for v in rows[0]]


def test_bulk_upsert_idempotent(t):
    setup(t)
    for s in STRATEGIES:
        t.psql("TRUNCATE magsync.listings CASCADE")
        rows = [{"channel": "c1", "sku": "SKU-%d" % i, "name": "n%d" % i,
                 "price": "%d.50" % i, "quantity": "7",
                 "images": "{https://x/%d.jpg}" % i,
                 "attributes": '{"color": "red"}'} for i in range(1, 6)]
        r1 = upsert(t, rows, s)
        t.eq(r1["affected"], 5, "%s: first upsert inserts" % s)
        t.eq(r1["returned"], 5, "%s: RETURNING rows" % s)
        ids = t.psql("SELECT sku, id FROM magsync.listings ORDER BY sku")
        r2 = upsert(t, rows, s)
        t.eq(r2["affected"], 5, "%s: second upsert updates in place" % s)
        t.eq(t.psql("SELECT sku, id FROM magsync.listings ORDER BY sku"),
             ids, "%s: same rows, same ids" % s)
        # A changed value lands; nothing is duplicated.
        rows[2]["price"] = "99.99"
        upsert(t, rows, s)
        t.eq(t.one("SELECT count(*) FROM magsync.listings"), "5", s)
        t.eq(t.one("SELECT price FROM magsync.listings WHERE sku = "
                   "'SKU-3'"), "99.99", "%s: updated price" % s)
        t.eq(t.one("SELECT images[1] || ' ' || (attributes->>'color') FROM "
                   "magsync.listings WHERE sku = 'SKU-1'"),
             "https://x/1.jpg red", "%s: array and jsonb columns" % s)


def test_bulk_written_mask_and_keep(t):
    setup(t)
    for s in STRATEGIES:
        t.psql("TRUNCATE magsync.listings CASCADE")
        upsert(t, [{"channel": "c1", "sku": "A", "name": "first",
                    "price": "1", "description": "keep me",
                    "status": "paused"}], s)
        # description and name not written (a template's `skip`): they
        # keep their values; price is written; status is BULK_KEEP.
        upsert(t, [{"channel": "c1", "sku": "A", "name": "IGNORED",
                    "price": "2", "status": "active", "description": None,
                    "written": ["channel", "sku", "price", "status"]}], s)
        t.eq(listing(t, "A", ["name", "price", "description", "status"]),
             ["first", "2", "keep me", "paused"], "%s: mask and keep" % s)
        # A new row with status not written gets the column default;
        # rows with different masks in one batch are grouped.
        upsert(t, [{"channel": "c1", "sku": "B", "name": "b",
                    "written": ["channel", "sku", "name"]},
                   {"channel": "c1", "sku": "C", "name": "c",
                    "price": "3"},
                   {"channel": "c1", "sku": "D", "name": "d",
                    "written": ["channel", "sku", "name"]}], s)
        t.eq(listing(t, "B", ["name", "status", "price"]),
             ["b", "active", None], "%s: default on insert" % s)
        t.eq(listing(t, "C", ["name", "price"]), ["c", "3"], s)
        t.eq(listing(t, "D", ["name"]), ["d"], s)
        # create_only: existing rows are left alone, new ones go in.
        r = upsert(t, [{"channel": "c1", "sku": "A", "name": "changed"},
                       {"channel": "c1", "sku": "E", "name": "e"}], s,
                   nothing=True)
        t.eq(r["affected"], 1, "%s: DO NOTHING counts the insert only" % s)
        t.eq(listing(t, "A", ["name"]), ["first"], "%s: untouched" % s)
        t.eq(listing(t, "E", ["name"]), ["e"], s)
        # A key column must be written and not NULL: refused up front.
        r = upsert(t, [{"channel": "c1", "sku": None, "name": "x"}], s,
                   fail=True)
        assert "Invalid argument" in r.stderr, r.stderr


HOSTILE = [
    "tab\there", "new\nline", "cr\rlf\r\n", "back\\slash", "\\.", "\\N",
    "NULL", "", " ", "quote ' and \" and `", "'); DROP TABLE "
    "magsync.listings; --", "$1 $2 ::text", "{a,b}", "{\"a\":1}",
    "comma, separated", "ünïcödé 日本語 🛒", "%s %d %n", "\\\\server\\share",
    "\t\n\r\\", "trailing backslash \\",
]


def test_bulk_hostile_values_round_trip(t):
    setup(t)
    rows = []
    for i, v in enumerate(HOSTILE):
        rows.append({"channel": "c1", "sku": "h%d %s" % (i, v),
                     "name": v, "description": v + v,
                     "images": "{\"%s\",plain}" % v.replace("\\", "\\\\")
                     .replace("\"", "\\\""),
                     "attributes": json.dumps({"v": v})})
    # Duplicate keys in one batch: the last one wins.
    rows.append(dict(rows[0], name="last one wins"))
    for s in STRATEGIES:
        t.psql("TRUNCATE magsync.listings CASCADE")
        r = upsert(t, rows, s)
        t.eq(r["affected"], len(HOSTILE), "%s: rows written" % s)
        for i, v in enumerate(HOSTILE):
            got = listing(t, "h%d %s" % (i, v), ["name", "description",
                                                 "images[1]",
                                                 "attributes->>'v'"])
            want = ["last one wins" if i == 0 else v, v + v, v, v]
            t.eq(got, want, "%s: value %r" % (s, v))
        t.eq(t.one("SELECT count(*) FROM magsync.listings"),
             str(len(HOSTILE)), "%s: the table survived" % s)


def test_bulk_large_page_splits(t):
    """More rows than 65535 parameters allow in one VALUES statement."""
    setup(t)
    rows = [{"channel": "c1", "sku": "L%05d" % i, "name": "n",
             "price": "1"} for i in range(17000)]
    for s in STRATEGIES:
        t.psql("TRUNCATE magsync.listings CASCADE")
        r = upsert(t, rows, s)
        t.eq(r["affected"], 17000, s)
        t.eq(t.one("SELECT count(*) FROM magsync.listings"), "17000", s)


test_bulk_large_page_splits.limit = 120



def test_bulk_pg_restart_mid_stream(t):
    setup(t)
    argv = [t.bin("tests/bulkbench"), t.conninfo, "stream", "--rows",
            "200000", "--page", "250"]
    p = t.spawn(argv, name="stream")
    p.wait_log(r"^page 20 committed$", timeout=60)
    halted = False
    try:
        harness.pg_ctl("halt")
        halted = True
        rc = p.wait(timeout=60)
    finally:
        if halted:
            harness.pg_ctl("resume")
    out = p.output()
    t.eq(rc, 1, "the stream ends failed:\n" + out[-2000:])
    errs = [ln for ln in out.splitlines() if ln.startswith("bulkbench: ")]
    t.eq(len(errs), 1, "one clear error line: %r" % errs)
    # db.c's words: the server's "terminating connection ...", libpq's
    # "server closed the connection ...", or - when libuv sees the hang-up
    # first - "socket error: ...".
    assert any(w in errs[0] for w in ("terminat", "connection",
                                      "server closed", "socket error")), \
        errs[0]
    assert errs[0].startswith("bulkbench: page "), errs[0]
    # Every committed page is there, whole: pages are transactions.
    n = int(t.one("SELECT count(*) FROM magsync.listings"))
    assert n % 250 == 0 and n >= 20 * 250, "rows after the stop: %d" % n
    # The next run succeeds.
    r = subprocess.run([t.bin("tests/bulkbench"), t.conninfo, "stream",
                        "--rows", "5000", "--page", "250"],
                       capture_output=True, text=True, env=t.env(),
                       timeout=120)
    t.eq(r.returncode, 0, "next stream: %s" % r.stderr)
    assert "stream ok: 5000 rows" in r.stdout, r.stdout[-500:]
    t.eq(t.one("SELECT count(*) FROM magsync.listings"), "5000", "rows")


test_bulk_pg_restart_mid_stream.limit = 180
