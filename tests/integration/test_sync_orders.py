"""test_sync_orders.py - sync_orders against the fake Magento and a real
PostgreSQL, through `magsyncctl run` and the daemon.

Orders are seeded twice, the way get_orders would leave them: in the fake
(POST /__state/orders, known item ids) and in magsync.orders/order_items
(SQL). Shipments are inserted the way a WMS does (SQL). Each scenario then
reads what the fake received (its journal: the exact request bodies,
checked against Magento's schema) and what the rows say."""
import json
import os
import re
import signal
import time
import urllib.error
import urllib.request

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "tok-SECRET-so-7f3a91"
SHIP_PATH = re.compile(r"/rest/default/V1/order/(\d+)/ship$")

UPS = "1Z999AA10123456784"
UPS2 = "1Z879E930346834440"
FEDEX = "123456789012"
USPS_INTL = "EA123456785US"
DHL = "1234567890"


# -- the fake -------------------------------------------------------------------
def http(base, path, body=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data,
                                 method=method or ("POST" if data else "GET"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read().decode())


def journal(base):
    return http(base, "/__journal?limit=100000")["entries"]


def ship_posts(base):
    """(order entity id, body, status) of every ship request, in order."""
    out = []
    for e in journal(base):
        m = SHIP_PATH.search(e["path"])
        if e["method"] == "POST" and m:
            out.append((int(m.group(1)), json.loads(e["body"]), e["status"]))
    return out


def fake_shipments(base):
    return http(base, "/__state")["shipments"]


def check_ship_body(body):
    sch = harness.fake_schema()["paths"]["/V1/order/{orderId}/ship"]["post"]
    harness.check_shape(body, sch["body"], "ship body")


# -- setup ----------------------------------------------------------------------
def setup(t, settings="", channel=None, get_orders="pii_retention = 10\n",
          fake_args=(), extra="", schedule="manual"):
    p, base = t.fake_magento("--admin-token", TOKEN, "--orders", "0",
                             "--products", "5", *fake_args)
    conninfo = t.createdb()
    t.write("shop.token", TOKEN + "\n", mode=0o600)
    ch = {"retry_attempts": "3", "request_timeout": "10s"}
    ch.update(channel or {})
    text = ("[magsync]\ndatabase = %s\ntimezone = UTC\n\n"
            "[channel shop]\nstore_url = %s\naccess_token_file = shop.token\n"
            "%s\n[job shop sync_orders]\nschedule = %s\n%s\n"
            % (conninfo, base, "".join("%s = %s\n" % kv for kv in ch.items()),
               schedule, settings))
    if get_orders is not None:
        text += "[job shop get_orders]\nschedule = manual\n%s\n" % get_orders
    text += extra
    cfg = t.write("magsync.ini", text)
    r = t.ctl("migrate", config=cfg)
    t.eq(r.returncode, 0, "migrate (%s)" % r.stderr)
    return cfg, base, p


def seed_order(t, base, entity_id, lines, status="processing", note=None,
               invoiced=True):
    """One order in the fake and in magsync. lines: (item_id, sku, qty)
    or dicts for the fake with "ours" overriding what our row says."""
    fake_items, ours = [], []
    total = 0
    for ln in lines:
        if isinstance(ln, tuple):
            item_id, sku, qty = ln
            ln = {"item_id": item_id, "sku": sku, "qty_ordered": qty, "price": 10}
        row = dict(ln.pop("ours", {}))
        if ln is not None and ln.get("item_id") is not None:
            fake_items.append(ln)
        total += ln.get("price", 0) * ln.get("qty_ordered", 0)
        if row.get("skip"):
            continue
        ours.append({"magento_item_id": row.get("magento_item_id", ln["item_id"]),
                     "parent_item_id": row.get("parent_item_id"),
                     "sku": ln["sku"], "qty": row.get("qty", ln["qty_ordered"]),
                     "type": row.get("product_type", ln.get("product_type", "simple"))})
    state = {"processing": "processing", "canceled": "canceled",
             "pending": "new", "holded": "holded"}[status]
    http(base, "/__state/orders", {"orders": [{
        "entity_id": entity_id, "status": status, "state": state,
        "grand_total": total, "total_invoiced": total if invoiced else 0,
        "items": fake_items}]})
    oid = t.one("INSERT INTO magsync.orders (channel, magento_entity_id, "
                "increment_id, status, customer_note, customer_email) VALUES "
                "('shop', %d, '%09d', '%s', %s, 'buyer@example.test') "
                "RETURNING id" % (entity_id, entity_id, status,
                                  "'%s'" % note if note else "NULL"))
    ids = {}
    for it in ours:
        ids[it["magento_item_id"]] = t.one(
            "INSERT INTO magsync.order_items (order_id, magento_item_id, "
            "parent_item_id, sku, product_type, qty_ordered) VALUES "
            "(%s, %d, %s, '%s', '%s', %s) RETURNING id"
            % (oid, it["magento_item_id"], it["parent_item_id"] or "NULL",
               it["sku"], it["type"], it["qty"]))
    return oid, ids


def add_shipment(t, order_id, carrier, number, items=None, note=None,
                 method=None, ext=None, status="pending", attempts=0,
                 shipped_at=None):
    """A shipment as a WMS writes it; items: {order_items.id: qty}."""
    def lit(v):
        return "NULL" if v is None else "'%s'" % str(v).replace("'", "''")
    sid = t.one("INSERT INTO magsync.shipments (order_id, carrier, "
                "tracking_number, note, method, extension_attributes, status, "
                "attempts, shipped_at) VALUES (%s, %s, %s, %s, %s, %s, '%s', "
                "%d, %s) RETURNING id"
                % (order_id, lit(carrier), lit(number), lit(note), lit(method),
                   lit(json.dumps(ext)) if ext else "NULL", status, attempts,
                   lit(shipped_at)))
    for oi, qty in (items or {}).items():
        t.psql("INSERT INTO magsync.shipment_items (shipment_id, "
               "order_item_id, qty) VALUES (%s, %s, %s)" % (sid, oi, qty))
    return sid


def run(t, cfg, want_rc=None, channel="shop"):
    r = t.ctl("run", channel, "sync_orders", config=cfg, timeout=200)
    assert TOKEN not in r.stdout + r.stderr, "token printed"
    if want_rc is not None:
        t.eq(r.returncode, want_rc, "magsyncctl run exit status\n%s\n%s"
             % (r.stdout, r.stderr[-3000:]))
    return r


def row(t, sid):
    r = t.psql("SELECT status, magento_shipment_id, attempts, last_error, "
               "synced_at IS NOT NULL FROM magsync.shipments WHERE id = %s" % sid)
    return tuple(r[0])


def last_run(t):
    return tuple(t.psql("SELECT status, items_total, items_ok, items_failed, "
                        "error FROM magsync.job_runs WHERE process = "
                        "'sync_orders' ORDER BY id DESC LIMIT 1")[0])


def fake_ids_by_track(base):
    out = {}
    for s in fake_shipments(base):
        for tr in s["tracks"]:
            out.setdefault(tr["track_number"], []).append(str(s["entity_id"]))
    return out


# -- tests ----------------------------------------------------------------------
def test_full_and_partial_shipments(t):
    cfg, base, _ = setup(t, "notify_customer = yes\nvisible_on_front = yes\n"
                            "append_comment = yes\n"
                            "extension_attributes = {\"source_code\": \"default\"}\n")
    a, ai = seed_order(t, base, 100, [(1001, "SKU-A", 2), (1002, "SKU-B", 1)],
                       note="please knock")
    b, bi = seed_order(t, base, 101, [(1011, "SKU-C", 3)])
    # A configurable pair as get_orders keeps it with use_parent_item_id =
    # no: the child line's id, and the parent line's beside it. Magento
    # ships the parent line.
    c, ci = seed_order(t, base, 102, [
        {"item_id": 1021, "sku": "CH-1", "product_type": "configurable",
         "price": 30, "qty_ordered": 1, "ours": {"skip": True}},
        {"item_id": 1022, "sku": "CH-1", "product_type": "simple",
         "price": 0, "qty_ordered": 1, "parent_item_id": 1021,
         "ours": {"parent_item_id": 1021}},
        (1023, "SKU-D", 2)])
    d, di = seed_order(t, base, 103, [(1031, "SKU-E", 1), (1032, "SKU-F", 1)])
    # A virtual line is never shipped and does not keep an order open.
    e, ei = seed_order(t, base, 104, [
        (1041, "SKU-G", 1),
        {"item_id": 1042, "sku": "GIFT", "product_type": "virtual",
         "qty_ordered": 1, "price": 5}])

    s1 = add_shipment(t, a, "UPS", " " + UPS.lower() + " ")   # everything
    s2 = add_shipment(t, b, "FedEx Ground", FEDEX, items={bi[1011]: 1},
                      note="box 1 of 2", method="Home Delivery")
    s3 = add_shipment(t, b, "U.S. Postal Service", USPS_INTL,
                      items={bi[1011]: 2})
    s4 = add_shipment(t, c, "dhl", DHL, ext={"source_code": "eu_warehouse"},
                      shipped_at="2024-02-03 04:05:06+00")
    s5 = add_shipment(t, d, "DPD", "05222618000123", items={di[1031]: 1})
    s6 = add_shipment(t, e, "ups", UPS2)

    r = run(t, cfg, 0)
    assert re.search(r"succeeded", r.stdout), r.stdout
    t.eq(last_run(t), ("succeeded", "6", "6", "0", None), "run row")

    posts = ship_posts(base)
    t.eq(sorted(p[0] for p in posts), [100, 101, 101, 102, 103, 104],
         "one request per shipment")
    two = [e for e in journal(base) if e["path"].endswith("/order/101/ship")]
    assert two[0]["t_end"] <= two[1]["t_start"], \
        "an order's shipments go one after the other: %r" % two
    for _, body, status in posts:
        check_ship_body(body)
        t.eq(status, 200, "answered")
    by = {}
    for oid, body, _ in posts:
        by.setdefault(oid, []).append(body)

    t.eq(by[100][0], {
        "items": [{"order_item_id": 1001, "qty": 2},
                  {"order_item_id": 1002, "qty": 1}],
        "notify": True, "appendComment": True,
        "comment": {"comment": "please knock", "is_visible_on_front": 1},
        "tracks": [{"track_number": UPS, "title": "United Parcel Service",
                    "carrier_code": "ups"}],
        "arguments": {"extension_attributes": {"source_code": "default"}}},
        "full shipment of order 100: the order's note as the comment")
    t.eq(by[101][0]["items"], [{"order_item_id": 1011, "qty": 1}], "partial 1")
    t.eq(by[101][0]["tracks"], [{"track_number": FEDEX, "title": "Home Delivery",
                                 "carrier_code": "fedex"}], "fedex track")
    t.eq(by[101][0]["comment"]["comment"], "box 1 of 2", "shipment's note")
    t.eq(by[101][1]["items"], [{"order_item_id": 1011, "qty": 2}], "partial 2")
    t.eq(by[101][1]["tracks"][0]["carrier_code"], "usps", "usps")
    t.eq(by[102][0]["items"], [{"order_item_id": 1021, "qty": 1},
                               {"order_item_id": 1023, "qty": 2}],
         "the configurable's parent line id, and the simple line")
    t.eq(by[102][0]["arguments"], {"extension_attributes":
                                   {"source_code": "eu_warehouse"}},
         "the shipment's extension_attributes win over the setting")
    assert "comment" not in by[102][0], "no note: no comment"
    t.eq(by[103][0]["tracks"], [{"track_number": "05222618000123",
                                 "title": "DPD", "carrier_code": "custom"}],
         "other carriers go as custom, titled with their name")
    t.eq(by[104][0]["items"], [{"order_item_id": 1041, "qty": 1}],
         "the virtual line is not shipped")

    ids = fake_ids_by_track(base)
    for sid, num in ((s1, UPS), (s2, FEDEX), (s3, USPS_INTL), (s4, DHL),
                     (s5, "05222618000123"), (s6, UPS2)):
        st = row(t, sid)
        t.eq(st, ("synced", ids[num][0], "1", None, "t"), "shipment %s" % sid)
    t.eq(len(fake_shipments(base)), 6, "six shipments in Magento")

    t.eq(t.psql("SELECT o.magento_entity_id, i.magento_item_id, "
                "i.qty_shipped FROM magsync.order_items i JOIN magsync.orders "
                "o ON o.id = i.order_id ORDER BY 1, 2"),
         [["100", "1001", "2"], ["100", "1002", "1"], ["101", "1011", "3"],
          ["102", "1022", "1"], ["102", "1023", "2"], ["103", "1031", "1"],
          ["103", "1032", "0"], ["104", "1041", "1"], ["104", "1042", "0"]],
         "qty_shipped")
    # Fully shipped orders: shipped_at and pii_purge_at 10 days later
    # (the channel's get_orders pii_retention); 103 is not.
    t.eq(t.psql("SELECT magento_entity_id, shipped_at IS NOT NULL, "
                "pii_purge_at - shipped_at FROM magsync.orders ORDER BY 1"),
         [["100", "t", "10 days"], ["101", "t", "10 days"],
          ["102", "t", "10 days"], ["103", "f", None],
          ["104", "t", "10 days"]], "shipped_at and pii_purge_at")
    t.eq(t.one("SELECT shipped_at FROM magsync.orders WHERE "
               "magento_entity_id = 102"), "2024-02-03 04:05:06+00",
         "the order was shipped when its last package left")
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE "
               "magento_entity_id IN (100, 101) AND shipped_at > now() - "
               "interval '1 minute'"), "2", "else now")
    o = http(base, "/__state/orders/101")
    t.eq([i["qty_shipped"] for i in o["items"]], [3], "Magento's side")

    # Nothing left: a second run sends nothing.
    run(t, cfg, 0)
    t.eq(len(ship_posts(base)), 6, "no second request")
    t.eq(last_run(t)[:2], ("succeeded", "0"), "empty run")


def test_invalid_tracking_never_sent(t):
    cfg, base, _ = setup(t)
    a, ai = seed_order(t, base, 200, [(2001, "SKU-A", 1)])
    b, bi = seed_order(t, base, 201, [(2011, "SKU-B", 2)])
    c, ci = seed_order(t, base, 202, [(2021, "SKU-C", 1)])
    bad = [
        (a, "ups", "1Z999AA10123456785", {},
         "not a UPS tracking number: the check digit is wrong"),
        (a, "ups", UPS + "," + UPS2, {},
         "more than one tracking number: a comma inside"),
        (a, "FedEx", "1234567890", {}, "not a FedEx tracking number"),
        (a, "usps", "9400 1000 0000 0000 0000 01", {},
         "more than one tracking number: a space inside"),
        (a, "dhl", "JJD000390007", {}, "not a DHL Express waybill number"),
        (a, "Parcelforce", "X" * 41, {},
         "tracking number too long: 41 characters, at most 40"),
        (a, "Parcelforce", "AB/12", {}, "4 to 40 letters, digits and dashes"),
        (a, "Parcelforce", "  ", {}, "no tracking number"),
        (b, "dhl", DHL, {"over": 3}, "SKU SKU-B: 3 to ship, but only 2 left "
                                      "unshipped"),
        (b, "dhl", DHL, {"other": 1}, "is not an item of this shipment's "
                                       "order"),
    ]
    sids = []
    for oid, carrier, num, items, _ in bad:
        its = {}
        if "over" in items:
            its = {bi[2011]: items["over"]}
        if "other" in items:
            its = {ci[2021]: 1}
        sids.append(add_shipment(t, oid, carrier, num, items=its))
    good = add_shipment(t, a, "ups", UPS)
    r = run(t, cfg, 2)
    assert "partial" in r.stdout, r.stdout
    t.eq(last_run(t)[:4], ("partial", str(len(bad) + 1), "1",
                           str(len(bad))), "run row")
    for sid, (_, _, _, _, reason) in zip(sids, bad):
        st, mid, attempts, err, _ = row(t, sid)
        t.eq((st, mid, attempts), ("invalid", None, "0"), "shipment %s" % sid)
        assert reason in err, "%r in %r" % (reason, err)
        t.eq(t.one("SELECT count(*) FROM magsync.job_log WHERE entity = "
                   "'shipment %s' AND level = 'error' AND message LIKE "
                   "'invalid, not sent: %%'" % sid), "1", "log row")
    posts = ship_posts(base)
    t.eq([(p[0], p[1]["tracks"][0]["track_number"]) for p in posts],
         [(200, UPS)], "only the valid shipment was sent")
    t.eq(row(t, good)[0], "synced", "the valid one")

    # Everything shipped: a shipment of an order with nothing left is
    # invalid too, and not sent.
    late = add_shipment(t, a, "ups", UPS2)
    run(t, cfg, 1)
    st = row(t, late)
    t.eq((st[0], st[3]), ("invalid", "nothing left to ship: every item of "
                          "the order is shipped"), "nothing left")
    t.eq(len(ship_posts(base)), 1, "still one request")
    # Invalid rows are not picked up again.
    run(t, cfg, 0)
    t.eq(len(ship_posts(base)), 1, "invalid rows stay unsent")


def test_item_id_mismatch(t):
    cfg, base, _ = setup(t)
    # Our row carries an item id this order does not have in Magento.
    a, ai = seed_order(t, base, 300, [
        {"item_id": 3001, "sku": "SKU-A", "qty_ordered": 1, "price": 5,
         "ours": {"magento_item_id": 3999}}])
    sid = add_shipment(t, a, "dhl", DHL)
    run(t, cfg, 1)
    st, mid, attempts, err, _ = row(t, sid)
    t.eq((st, mid, attempts, err),
         ("failed", None, "1", "External Order Item ID Mismatch"), "row")
    t.eq(t.psql("SELECT level, http_method, http_path, http_status, message "
                "FROM magsync.job_log WHERE entity = 'shipment %s'" % sid),
         [["error", "POST", "/rest/default/V1/order/300/ship", "400",
           "Shipment Document Validation Error(s): You can't create a "
           "shipment without products."]],
         "Magento's own message in the log")
    posts = ship_posts(base)
    t.eq([p[1]["items"] for p in posts], [[{"order_item_id": 3999, "qty": 1}]],
         "the id we had")
    t.eq(len(fake_shipments(base)), 0, "nothing shipped")


def test_failures_retried_up_to_the_limit(t):
    cfg, base, _ = setup(t, "max_attempts = 3\n")
    a, _ = seed_order(t, base, 400, [(4001, "SKU-A", 1)], status="holded")
    sid = add_shipment(t, a, "dhl", DHL)
    for n in (1, 2, 3):
        run(t, cfg, 1)
        st, _, attempts, err, _ = row(t, sid)
        t.eq((st, attempts), ("failed", str(n)), "after run %d" % n)
        assert "A shipment cannot be created when an order has a status " \
               "of holded" in err, err
    run(t, cfg, 0)
    t.eq(len(ship_posts(base)), 3, "three attempts, no fourth")
    t.eq(row(t, sid)[:3], ("failed", None, "3"), "stays failed")
    t.eq(last_run(t)[:2], ("succeeded", "0"), "nothing to do")

    # Once the store allows it, a failed row with attempts left goes.
    b, _ = seed_order(t, base, 401, [(4011, "SKU-B", 1)], status="holded")
    sid2 = add_shipment(t, b, "dhl", DHL)
    run(t, cfg, 1)
    http(base, "/__state/orders", {"orders": [{
        "entity_id": 401, "status": "processing", "state": "processing",
        "items": [{"item_id": 4011, "sku": "SKU-B", "qty_ordered": 1}]}]})
    run(t, cfg, 0)
    t.eq(row(t, sid2)[:3], ("synced", fake_ids_by_track(base)[DHL][0], "2"),
         "synced on the second attempt")


def test_lost_answers_are_looked_up_never_sent_twice(t):
    """Answers lost after Magento created the shipment (a reset, a 502
    from a gateway, a 500 after the commit): the row stays `sending`, the
    next run finds it in Magento instead of sending it again. A 500
    before anything was created: the next run finds nothing and sends."""
    cfg, base, _ = setup(t)
    o1, _ = seed_order(t, base, 500, [(5001, "SKU-A", 1)])
    o2, _ = seed_order(t, base, 501, [(5011, "SKU-B", 1)])
    o3, _ = seed_order(t, base, 502, [(5021, "SKU-C", 1)])
    o4, _ = seed_order(t, base, 503, [(5031, "SKU-D", 1)])
    http(base, "/__faults", {"set": [
        {"kind": "reset", "after": 1, "path": "/order/500/ship$"},
        {"kind": "status", "status": 502, "after": 1,
         "path": "/order/501/ship$"},
        {"kind": "status", "status": 500, "after": 1,
         "path": "/order/502/ship$"},
        {"kind": "status", "status": 500, "first": 1,
         "path": "/order/503/ship$"}]})
    s = [add_shipment(t, o, "dhl", DHL) for o in (o1, o2, o3, o4)]
    run(t, cfg, 1)
    for sid in s:
        st, mid, attempts, err, _ = row(t, sid)
        t.eq((st, mid, attempts), ("sending", None, "1"), "shipment %s" % sid)
        assert "looked up in Magento before it is sent again" in err, err
    t.eq(len(fake_shipments(base)), 3, "three were created")
    t.eq(last_run(t)[:4], ("failed", "4", "0", "4"), "run row")

    http(base, "/__faults", {"clear": True})
    http(base, "/__reset-journal", {})
    run(t, cfg, 0)
    created = {sh["order_id"]: str(sh["entity_id"])
               for sh in fake_shipments(base)}
    t.eq(sorted(created), [500, 501, 502, 503], "one shipment per order")
    t.eq(len(fake_shipments(base)), 4, "never twice")
    for sid, oid in zip(s, (500, 501, 502, 503)):
        t.eq(row(t, sid)[:2], ("synced", created[oid]), "shipment %s" % sid)
    t.eq([p[0] for p in ship_posts(base)], [503], "only 503 was sent again")
    gets = [e for e in journal(base) if e["route"] and "shipments" in e["path"]]
    t.eq(len(gets), 4, "each `sending` row looked up once")
    t.eq(t.psql("SELECT magento_entity_id, shipped_at IS NOT NULL FROM "
                "magsync.orders ORDER BY 1"),
         [["500", "t"], ["501", "t"], ["502", "t"], ["503", "t"]],
         "orders fully shipped")
    t.eq(t.one("SELECT sum(qty_shipped)::int FROM magsync.order_items"), "4",
         "quantities counted once")
    assert t.one("SELECT count(*) FROM magsync.job_log WHERE message LIKE "
                 "'found in Magento as shipment %'") == "3"


def test_sigkill_between_post_and_commit(t):
    cfg, base, _ = setup(t)
    o1, _ = seed_order(t, base, 600, [(6001, "SKU-A", 2)])
    sid = add_shipment(t, o1, "ups", UPS)
    # Magento commits, then holds its answer: we are killed meanwhile.
    http(base, "/__delay-next-ship", {"ms": 3000})
    p = t.spawn([t.bin("magsyncctl"), "-c", cfg, "run", "shop",
                 "sync_orders"], name="ctl")
    t.wait_for(lambda: len(fake_shipments(base)) == 1, 20,
               "the fake to commit the shipment")
    t.eq(row(t, sid)[0], "sending", "marked sending before the request")
    p.signal(signal.SIGKILL)
    p.wait(10)
    t.eq(row(t, sid)[:2], ("sending", None), "the answer never arrived")

    r = run(t, cfg, 0)
    t.eq(len(fake_shipments(base)), 1, "no second shipment in Magento")
    t.eq(len(http(base, "/__state")["ship_requests"]), 1,
         "one ship request in all")
    mid = str(fake_shipments(base)[0]["entity_id"])
    t.eq(row(t, sid)[:4], ("synced", mid, "1", None), "synced, right id")
    t.eq(t.one("SELECT qty_shipped::int FROM magsync.order_items"), "2",
         "quantities from Magento's shipment")
    t.eq(t.one("SELECT shipped_at IS NOT NULL FROM magsync.orders"), "t",
         "fully shipped")
    assert "items: 1 total, 1 ok" in r.stdout, r.stdout


test_sigkill_between_post_and_commit.limit = 120


def test_429_storm_and_5xx_bursts(t):
    """Rate limiting and 503s (retried by the engine), resets before the
    store acts (retried: never sent) and 500s: every shipment ends synced
    exactly once, within a few runs; rows say what happened between."""
    cfg, base, _ = setup(t, channel={"max_concurrency": "4",
                                     "retry_attempts": "4"})
    sids = []
    for k in range(30):
        oid, _ = seed_order(t, base, 700 + k, [(7000 + 10 * k, "SKU", 1)])
        sids.append(add_shipment(t, oid, "dhl", "%010d" % (4200000000 + k)))
    http(base, "/__faults", {"set": [
        {"kind": "429", "retry_after": "0", "p": 0.3, "seed": 11,
         "path": "/ship$"},
        {"kind": "status", "status": 503, "p": 0.2, "seed": 12},
        {"kind": "status", "status": 500, "p": 0.15, "seed": 13,
         "path": "/ship$"},
        {"kind": "status", "status": 502, "after": 1, "p": 0.1, "seed": 14,
         "path": "/ship$"}]})
    statuses = []
    for attempt in range(6):
        r = run(t, cfg)
        assert r.returncode in (0, 1, 2), r.stdout + r.stderr
        statuses.append(last_run(t)[0])
        if t.one("SELECT count(*) FROM magsync.shipments WHERE status <> "
                 "'synced'") == "0":
            break
        # Every row not synced says why.
        t.eq(t.one("SELECT count(*) FROM magsync.shipments WHERE status <> "
                   "'synced' AND last_error IS NULL"), "0", "reasons")
        if attempt == 3:
            http(base, "/__faults", {"clear": True})
    t.eq(t.one("SELECT count(*) FROM magsync.shipments WHERE status = "
               "'synced'"), "30", "all synced (runs: %s)" % statuses)
    print("  runs: %s; faults fired: %s" % (statuses, [
        (f["kind"], f.get("status"), f["fired"])
        for f in http(base, "/__stats")["faults"]]))
    per_order = {}
    for sh in fake_shipments(base):
        per_order[sh["order_id"]] = per_order.get(sh["order_id"], 0) + 1
    t.eq(sorted(per_order.values()), [1] * 30, "exactly one shipment per order")
    t.eq(t.one("SELECT count(DISTINCT magento_shipment_id) FROM "
               "magsync.shipments"), "30", "distinct ids")
    ids = fake_ids_by_track(base)
    bad = t.psql("SELECT tracking_number, magento_shipment_id FROM "
                 "magsync.shipments")
    for num, mid in bad:
        t.eq(ids[num], [mid], "id of %s" % num)


test_429_storm_and_5xx_bursts.limit = 200


def test_daemon_schedule_and_template(t):
    """On the daemon's schedule, with a custom template: the comment from
    the shipment's note only, the method mapped through a set, extension
    attributes from a mapped field."""
    extra = ("\n[template my_ship]\nprocess = sync_orders\n"
             "base = sync_orders.default\ncomment = field:shipment_note\n"
             "method = set:methods:method\n"
             "fulfillment_request_number = field:fulfillment_request_number\n"
             "\n[mapping_set methods]\nexp = Express Saver\n* = Standard\n")
    cfg, base, _ = setup(t, "template = my_ship\n", get_orders=None,
                         extra=extra, schedule="@every 1s")
    r = t.ctl("check", config=cfg)
    t.eq(r.returncode, 0, "check: %s" % r.stderr)
    a, _ = seed_order(t, base, 800, [(8001, "SKU-A", 1)], note="order note")
    b, _ = seed_order(t, base, 801, [(8011, "SKU-B", 1)], note="order note")
    s1 = add_shipment(t, a, "fedex", FEDEX, method="exp")
    t.psql("UPDATE magsync.shipments SET fulfillment_request_number = "
           "'FR-17' WHERE id = %s" % s1)
    s2 = add_shipment(t, b, "ups", UPS, note="fragile", method="other")
    d = t.daemon(cfg)
    t.wait_for(lambda: t.one("SELECT count(*) FROM magsync.shipments WHERE "
                             "status = 'synced'") == "2", 30, "both synced")
    d.signal(signal.SIGTERM)
    t.eq(d.wait(30), 0, "daemon exit")
    assert TOKEN not in d.output()
    bodies = {p[0]: p[1] for p in ship_posts(base)}
    t.eq(sorted(bodies), [800, 801], "one request each")
    assert "comment" not in bodies[800], "no shipment note: no comment"
    t.eq(bodies[801]["comment"], {"comment": "fragile",
                                  "is_visible_on_front": 0}, "comment")
    t.eq(bodies[800]["tracks"][0]["title"], "Express Saver", "mapped method")
    t.eq(bodies[801]["tracks"][0]["title"], "Standard", "default entry")
    t.eq(bodies[800]["arguments"], {"extension_attributes":
                                    {"fulfillment_request_number": "FR-17"}},
         "mapped extension attribute")
    t.eq(bodies[800]["notify"], False, "notify_customer defaults to no")
    t.eq(bodies[800]["appendComment"], True, "append_comment defaults to yes")
    # No get_orders job: pii_retention's default of 30 days.
    t.eq(t.one("SELECT DISTINCT pii_purge_at - shipped_at FROM "
               "magsync.orders"), "30 days", "default retention")
    t.eq(t.one("SELECT count(*) FROM magsync.job_runs WHERE process = "
               "'sync_orders' AND status NOT IN ('succeeded', 'skipped')"),
         "0", "runs")


def test_retention_indefinitely(t):
    cfg, base, _ = setup(t, get_orders="pii_retention = indefinitely\n")
    a, _ = seed_order(t, base, 900, [(9001, "SKU-A", 1)])
    add_shipment(t, a, "dhl", DHL)
    run(t, cfg, 0)
    t.eq(t.psql("SELECT shipped_at IS NOT NULL, pii_purge_at FROM "
                "magsync.orders"), [["t", None]], "kept indefinitely")


def _stop_case(t, signals):
    cfg, base, _ = setup(t, channel={"max_concurrency": "2"})
    for k in range(40):
        oid, _ = seed_order(t, base, 1000 + k, [(10000 + 10 * k, "SKU", 1)])
        add_shipment(t, oid, "dhl", "%010d" % (5100000000 + k))
    http(base, "/__faults", {"set": [{"kind": "latency", "ms": 300,
                                      "path": "/ship$"}]})
    p = t.spawn([t.bin("magsyncctl"), "-c", cfg, "run", "shop",
                 "sync_orders"], name="ctl")
    t.wait_for(lambda: int(t.one("SELECT count(*) FROM magsync.shipments "
                                 "WHERE status = 'synced'")) >= 3, 30,
               "3 synced")
    for _ in range(signals):
        p.signal(signal.SIGINT)
        time.sleep(0.05)
    t.eq(p.wait(30), 1, "exit status (interrupted):\n%s" % p.output()[-2000:])
    t.eq(t.one("SELECT status FROM magsync.job_runs ORDER BY id DESC "
               "LIMIT 1"), "interrupted", "run row")
    left = t.one("SELECT count(*) FROM magsync.shipments WHERE status <> "
                 "'synced'")
    assert left != "0", "stopped before the end"
    sending = t.one("SELECT count(*) FROM magsync.shipments WHERE status = "
                    "'sending'")
    http(base, "/__faults", {"clear": True})
    run(t, cfg, 0)
    t.eq(t.one("SELECT count(*) FROM magsync.shipments WHERE status = "
               "'synced'"), "40", "all synced by the next run")
    per_order = {}
    for sh in fake_shipments(base):
        per_order[sh["order_id"]] = per_order.get(sh["order_id"], 0) + 1
    t.eq(sorted(per_order.values()), [1] * 40, "exactly one shipment each")
    return sending


def test_stop_at_a_safe_point(t):
    """A stop request: shipments in hand finish, nothing is left
    `sending`, the rest waits for the next run."""
    t.eq(_stop_case(t, 1), "0", "nothing left sending")


def test_stop_at_once(t):
    """A second signal cancels the requests in flight: those rows stay
    `sending` and the next run looks them up, never sending twice."""
    sending = _stop_case(t, 2)
    print("  left sending by the abort: %s" % sending)


test_stop_at_a_safe_point.limit = 120
test_stop_at_once.limit = 120


def _after_get_orders(t, use_parent):
    cfg, base, _ = setup(
        t, get_orders="days_back = 60\nstatuses = pending, processing\n"
                      "use_parent_item_id = %s\n" % use_parent,
        fake_args=("--orders", "60", "--seed", "5", "--products", "60",
                   "--configurable-share", "0.6", "--virtual-orders", "0.1"))
    r = t.ctl("run", "shop", "get_orders", config=cfg)
    t.eq(r.returncode, 0, "get_orders: %s %s" % (r.stdout, r.stderr[-2000:]))
    n = int(t.one("SELECT count(*) FROM magsync.orders"))
    pairs = int(t.one("SELECT count(*) FROM magsync.order_items WHERE "
                      "product_type = 'simple' AND sku ~ '-'"))
    assert n > 10 and pairs > 0, (n, pairs)
    print("  %d orders, %d configurable rows" % (n, pairs))
    t.psql("INSERT INTO magsync.shipments (order_id, carrier, "
           "tracking_number) SELECT id, 'DHL Express', lpad(id::text, 10, "
           "'7') FROM magsync.orders")
    run(t, cfg)
    virtual = t.one("SELECT count(*) FROM magsync.orders o WHERE NOT EXISTS "
                    "(SELECT 1 FROM magsync.order_items i WHERE i.order_id = "
                    "o.id AND coalesce(i.product_type, '') NOT IN "
                    "('virtual', 'downloadable'))")
    t.eq(t.psql("SELECT status, count(*) FROM magsync.shipments GROUP BY 1 "
                "ORDER BY 1"),
         [x for x in (["invalid", virtual], ["synced", str(n - int(virtual))])
          if x[1] != "0"], "virtual-only orders invalid, the rest synced")
    t.eq(len(fake_shipments(base)), n - int(virtual), "one per order")
    print("  %s virtual-only orders" % virtual)
    # Magento now has every shippable line of those orders shipped.
    for (eid,) in t.psql("SELECT o.magento_entity_id FROM magsync.orders o "
                         "JOIN magsync.shipments s ON s.order_id = o.id "
                         "WHERE s.status = 'synced'"):
        o = http(base, "/__state/orders/%s" % eid)
        left = [(i["sku"], i["qty_ordered"], i.get("qty_shipped"))
                for i in o["items"] if not i.get("parent_item_id")
                and not i.get("is_virtual")
                and i["qty_ordered"] != i.get("qty_shipped")]
        t.eq(left, [], "order %s fully shipped in Magento" % eid)
    t.eq(t.one("SELECT count(*) FROM magsync.order_items WHERE "
               "coalesce(product_type, '') NOT IN ('virtual', 'downloadable') "
               "AND qty_shipped <> qty_ordered"), "0", "our quantities")


def test_after_get_orders_parent_ids(t):
    """Orders as get_orders imports them with use_parent_item_id = yes:
    the rows carry the parent line's id, which is what Magento ships."""
    _after_get_orders(t, "yes")


def test_after_get_orders_child_ids(t):
    """use_parent_item_id = no: the rows keep the child line's id and the
    parent's beside it; the parent's is sent."""
    _after_get_orders(t, "no")
