"""test_get_orders.py - get_orders through `magsyncctl run` against the fake
Magento and a real PostgreSQL: every field of the field table where the
template says (default and custom), re-runs and overlapping windows without
duplicates, configurable lines both ways of use_parent_item_id, virtual
orders, the status/date filters as the fake's journal saw them,
acknowledgement comments once with the status, catalogue prices in one
batched request, per-order failures (conversion, comment, a row PostgreSQL
refuses), purged orders that must not get their personal data back, a run
that cannot start, SIGKILL / SIGTERM / a second SIGTERM in the middle of
paging, 429 storms and 5xx bursts.

The expected rows are computed here from the orders the fake serves, by
rules written out independently of lib/orders.c."""
import json
import re
import signal
import time
import urllib.parse
import urllib.request
from decimal import Decimal

TOKEN = "tok-orders-SECRET-77f1"
CHANNEL = "shop"

ADDR = [("first_name", "firstname"), ("last_name", "lastname"),
        ("company", "company"), ("address_line_1", "street.0"),
        ("address_line_2", "street.1"), ("city", "city"),
        ("state", "region"), ("post_code", "postcode"),
        ("country_code", "country_id"), ("telephone", "telephone"),
        ("email", "email")]


# ---- setup ---------------------------------------------------------------

class Env:
    pass


def start(t, *fake_args, job="", extra="", page_size=None, conc=4,
          days_back=40):
    e = Env()
    e.conninfo = t.createdb()
    e.fake, e.url = t.fake_magento("--admin-token", TOKEN, *fake_args)
    t.write("shop.token", TOKEN + "\n", mode=0o600)
    e.job = job
    e.extra = extra
    e.conc = conc
    e.page_size = page_size
    e.days_back = days_back
    e.cfg = write_cfg(t, e)
    r = t.ctl("migrate", config=e.cfg)
    t.eq(r.returncode, 0, "migrate (%s)" % r.stderr)
    return e


def write_cfg(t, e, job=None):
    if job is not None:
        e.job = job
    ps = "page_size = %d\n" % e.page_size if e.page_size else ""
    return t.write("magsync.ini",
                   "[magsync]\ndatabase = %s\ntimezone = UTC\n\n"
                   "[channel %s]\nstore_url = %s\n"
                   "access_token_file = shop.token\nmax_concurrency = %d\n"
                   "retry_attempts = 6\n\n"
                   "[job %s get_orders]\nschedule = manual\n"
                   "days_back = %d\n%s%s\n%s"
                   % (e.conninfo, CHANNEL, e.url, e.conc, CHANNEL,
                      e.days_back, ps, e.job, e.extra))


def run(t, e, want=0):
    r = t.ctl("run", CHANNEL, "get_orders", config=e.cfg, timeout=200)
    if want is not None:
        t.eq(r.returncode, want, "exit status of run (%s|%s)" %
             (r.stdout, r.stderr[-3000:]))
    assert TOKEN not in r.stdout + r.stderr, "token leaked"
    return r


def last_run(t):
    rows = t.psql("SELECT id, status, items_total, items_ok, items_failed, "
                  "requests, error FROM magsync.job_runs WHERE process = "
                  "'get_orders' ORDER BY id DESC LIMIT 1")
    return rows[0]


def logs(t, run_id):
    return t.psql("SELECT level, coalesce(entity, ''), message FROM "
                  "magsync.job_log WHERE run_id = %s ORDER BY id" % run_id)


# ---- the fake --------------------------------------------------------------

def http(url, method="GET", body=None, auth=True):
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = "Bearer " + TOKEN
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read().decode("utf-8"))


def control(e, path, body=None):
    if body is None:
        return http(e.url + path, auth=False)
    return http(e.url + path, "POST", body, auth=False)


def store_orders(e):
    """Every order the store has, as /V1/orders serves them."""
    q = urllib.parse.urlencode({"searchCriteria[pageSize]": 100000,
                                "searchCriteria[currentPage]": 1})
    return http(e.url + "/rest/default/V1/orders?" + q)["items"]


def journal(e, route=None, method=None):
    out = []
    since = 0
    while True:
        j = control(e, "/__journal?since=%d&limit=5000" % since)
        for en in j["entries"]:
            if route is not None and not re.search(route, en["path"]):
                continue
            if method is not None and en["method"] != method:
                continue
            out.append(en)
        if not j["entries"] or j["last_seq"] <= since:
            return out
        since = j["last_seq"]


def criteria(entry):
    """searchCriteria of a journal entry: {groups: [[(field, cond, value)]],
    sorts: [(field, dir)], pageSize, currentPage}."""
    groups, sorts, rest = {}, {}, {}
    for k, v in entry["params"]:
        m = re.match(r"searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]"
                     r"\[(\d+)\]\[(\w+)\]$", k)
        if m:
            groups.setdefault(int(m.group(1)), {}).setdefault(
                int(m.group(2)), {})[m.group(3)] = v
            continue
        m = re.match(r"searchCriteria\[sortOrders\]\[(\d+)\]\[(\w+)\]$", k)
        if m:
            sorts.setdefault(int(m.group(1)), {})[m.group(2)] = v
            continue
        m = re.match(r"searchCriteria\[(\w+)\]$", k)
        if m:
            rest[m.group(1)] = v
        else:
            rest[k] = v
    return {
        "groups": [[(f["field"], f.get("condition_type", "eq"), f["value"])
                    for _, f in sorted(g.items())]
                   for _, g in sorted(groups.items())],
        "sorts": [(s["field"], s.get("direction")) for _, s in
                  sorted(sorts.items())],
        "pageSize": rest.get("pageSize"), "currentPage":
        rest.get("currentPage"), "fields": rest.get("fields")}


# ---- expected rows -------------------------------------------------------------

def dec(v):
    if v is None or v == "":
        return None
    return Decimal(str(v)).normalize()


def path_get(obj, path):
    for seg in path.split("."):
        if isinstance(obj, list):
            i = int(seg)
            obj = obj[i] if i < len(obj) else None
        elif isinstance(obj, dict):
            obj = obj.get(seg)
        else:
            return None
    return obj


def ship_of(o):
    sa = (o.get("extension_attributes") or {}).get("shipping_assignments")
    return (sa or [{}])[0].get("shipping") or {}


def want_order(o, names=None):
    ship = ship_of(o)
    method = ship.get("method")
    return {
        "increment_id": o["increment_id"], "status": o["status"],
        "grand_total": dec(o.get("grand_total")),
        "shipping_amount": dec(o.get("shipping_amount")),
        "coupon_code": o.get("coupon_code"),
        "customer_note": o.get("customer_note"),
        "magento_created_at": o["created_at"].replace(" ", "T") + "+00:00",
        "customer_email": o.get("customer_email"),
        "currency": o.get("order_currency_code"),
        "shipping_method": method,
        "shipping_method_name": (names or {}).get(method) if method else None,
    }


def want_address(a):
    return {col: path_get(a, src) for col, src in ADDR}


def want_items(o, use_parent):
    items = o.get("items") or []
    by_id = {int(i["item_id"]): i for i in items}
    kids = {}
    for i in items:
        if i.get("parent_item_id"):
            kids.setdefault(int(i["parent_item_id"]), []).append(i)
    rows = {}
    for i in items:
        iid, pid = int(i["item_id"]), i.get("parent_item_id")
        if pid and int(pid) in by_id and len(kids[int(pid)]) == 1:
            continue
        ch = kids.get(iid, [])
        if len(ch) == 1:
            c = ch[0]
            row = {"sku": c["sku"], "name": c.get("name"),
                   "price": dec(i.get("price")),
                   "qty_ordered": dec(c["qty_ordered"]),
                   "weight": dec(c.get("weight") if c.get("weight")
                                 is not None else i.get("weight")),
                   "discount_amount": dec(i.get("discount_amount")),
                   "product_type": c.get("product_type")}
            if use_parent:
                key, parent = iid, None
            else:
                key, parent = int(c["item_id"]), iid
        else:
            row = {"sku": i["sku"], "name": i.get("name"),
                   "price": dec(i.get("price")),
                   "qty_ordered": dec(i["qty_ordered"]),
                   "weight": dec(i.get("weight")),
                   "discount_amount": dec(i.get("discount_amount")),
                   "product_type": i.get("product_type")}
            key, parent = iid, int(pid) if pid else None
        row["parent_item_id"] = parent
        rows[key] = row
    return rows


# ---- what the database holds ------------------------------------------------------

def qjson(t, sql):
    return json.loads(t.one("SELECT coalesce(jsonb_agg(x), '[]')::text FROM (%s) x"
                            % sql))


def db_orders(t):
    rows = qjson(t, "SELECT id, magento_entity_id, increment_id, status, "
                    "grand_total::text, shipping_amount::text, coupon_code, "
                    "customer_note, to_char(magento_created_at AT TIME ZONE "
                    "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"') AS "
                    "magento_created_at, customer_email, currency, "
                    "shipping_method, shipping_method_name, acknowledged_at "
                    "FROM magsync.orders WHERE channel = '%s'" % CHANNEL)
    out = {}
    for r in rows:
        assert r["magento_entity_id"] not in out, "duplicate order"
        r["grand_total"] = dec(r["grand_total"])
        r["shipping_amount"] = dec(r["shipping_amount"])
        out[r["magento_entity_id"]] = r
    return out


def db_addresses(t):
    rows = qjson(t, "SELECT o.magento_entity_id AS e, a.* FROM "
                    "magsync.order_addresses a JOIN magsync.orders o ON "
                    "o.id = a.order_id")
    out = {}
    for r in rows:
        k = (r.pop("e"), r.pop("kind"))
        r.pop("order_id")
        assert k not in out, "duplicate address %r" % (k,)
        out[k] = r
    return out


def db_items(t):
    rows = qjson(t, "SELECT o.magento_entity_id AS e, i.magento_item_id, "
                    "i.parent_item_id, i.sku, i.name, i.product_type, "
                    "i.price::text, i.qty_ordered::text, i.weight::text, "
                    "i.discount_amount::text FROM magsync.order_items i "
                    "JOIN magsync.orders o ON o.id = i.order_id")
    out = {}
    for r in rows:
        e = r.pop("e")
        k = r.pop("magento_item_id")
        for c in ("price", "qty_ordered", "weight", "discount_amount"):
            r[c] = dec(r[c])
        assert k not in out.setdefault(e, {}), "duplicate item"
        out[e][k] = r
    return out


def check_all(t, orders, use_parent=False, names=None):
    """The database holds exactly orders, field by field."""
    got = db_orders(t)
    t.eq(sorted(got), sorted(int(o["entity_id"]) for o in orders),
         "orders imported")
    addrs = db_addresses(t)
    items = db_items(t)
    nship = 0
    for o in orders:
        e = int(o["entity_id"])
        g = {k: v for k, v in got[e].items() if k not in
             ("id", "magento_entity_id", "acknowledged_at")}
        t.eq(g, want_order(o, names), "order %s" % e)
        t.eq(addrs.get((e, "billing")), want_address(o["billing_address"]),
             "billing address of %s" % e)
        sa = ship_of(o).get("address")
        if sa is None:
            assert (e, "shipping") not in addrs, "virtual order %s has a " \
                "shipping row" % e
        else:
            nship += 1
            t.eq(addrs.get((e, "shipping")), want_address(sa),
                 "shipping address of %s" % e)
        t.eq(items.get(e, {}), want_items(o, use_parent), "items of %s" % e)
    return nship


# ---- the tests ---------------------------------------------------------------------

def test_default_template_every_field(t):
    e = start(t, "--orders", "120", "--products", "300",
              "--virtual-orders", "0.2", "--configurable-share", "0.6",
              job="shipping_methods = ships\n",
              extra="[mapping_set ships]\nflatrate_flatrate = Flat\n"
                    "* = Other\n", page_size=25)
    r = run(t, e)
    assert re.search(r"succeeded", r.stdout), r.stdout
    ours = journal(e)
    orders = store_orders(e)
    assert len(orders) == 120
    names = {}
    for o in orders:
        m = ship_of(o).get("method")
        if m:
            names[m] = "Flat" if m == "flatrate_flatrate" else "Other"
    nship = check_all(t, orders, names=names)
    assert 0 < nship < 120, "virtual orders in the sample (%d)" % nship
    assert any(len(o["items"]) > len(want_items(o, False)) for o in orders), \
        "configurable pairs in the sample"
    rid, status, total, ok, failed, requests, err = last_run(t)
    t.eq((status, total, ok, failed, err), ("succeeded", "120", "120", "0",
                                            None), "run row")
    # Pages only: 120 / 25 = 5 pages, no other request.
    t.eq(int(requests), 5, "requests")
    t.eq(len(ours), 5, "requests in the journal")
    # Only what the template reads is asked for.
    f = criteria(ours[0])["fields"] or ""
    assert f.startswith("items[entity_id,increment_id,status,") and \
        f.endswith("],total_count") and "payment" not in f, f


def test_custom_template(t):
    e = start(t, "--orders", "40", "--products", "200",
              "--virtual-orders", "0.2",
              job="template = mine\n",
              extra="[template mine]\nprocess = get_orders\n"
                    "base = get_orders.default\n"
                    "grand_total = skip\n"
                    "coupon_code = empty\n"
                    "customer_note = value:see the WMS\n"
                    "status = set:stat:status\n"
                    "shipping_amount = field:json:base_grand_total\n"
                    "date_created = field:json:updated_at\n"
                    "item.name = field:json:product_type\n"
                    "item.weight = empty\n"
                    "item.discount_amount = value:1.5\n"
                    "billing.company = empty\n"
                    "billing.email = skip\n"
                    "shipping.city = value:Springfield\n"
                    "shipping.state = field:json:extension_attributes."
                    "shipping_assignments[0].shipping.address.region_code\n"
                    "\n[mapping_set stat]\npending = new\n* = other\n")
    # A value the template skips must survive the import untouched.
    run(t, e)
    t.psql("UPDATE magsync.orders SET grand_total = 4242")
    t.psql("UPDATE magsync.order_addresses SET email = 'kept@x.test' "
           "WHERE kind = 'billing'")
    run(t, e)
    orders = store_orders(e)
    got, addrs, items = db_orders(t), db_addresses(t), db_items(t)
    t.eq(len(got), 40, "orders")
    for o in orders:
        eid = int(o["entity_id"])
        g = got[eid]
        t.eq(g["grand_total"], Decimal(4242), "skip leaves the column")
        t.eq(g["coupon_code"], None, "empty")
        t.eq(g["customer_note"], "see the WMS", "value:")
        t.eq(g["status"], "new" if o["status"] == "pending" else "other",
             "set:")
        t.eq(g["shipping_amount"], dec(o["base_grand_total"]), "json:")
        t.eq(g["magento_created_at"], o["updated_at"].replace(" ", "T") +
             "+00:00", "date_created from json:updated_at")
        b = addrs[(eid, "billing")]
        t.eq(b["company"], None, "billing.company empty")
        t.eq(b["email"], "kept@x.test", "billing.email skip")
        t.eq(b["city"], o["billing_address"]["city"], "billing.city default")
        sa = ship_of(o).get("address")
        if sa is not None:
            s = addrs[(eid, "shipping")]
            t.eq(s["city"], "Springfield", "shipping.city value:")
            t.eq(s["state"], sa.get("region_code"), "shipping.state json:")
            t.eq(s["company"], sa.get("company"), "shipping.company")
        for k, it in items[eid].items():
            t.eq(it["name"], it["product_type"], "item.name json:")
            t.eq(it["weight"], None, "item.weight empty")
            t.eq(it["discount_amount"], Decimal("1.5"), "item value:")
    # The comment is not asked for; nothing was sent but pages.
    t.eq(len(journal(e, method="POST")), 0, "no POST")
    # json: paths need whole orders: no fields= filter.
    for en in journal(e, route=r"/V1/orders$"):
        if ("searchCriteria[pageSize]", "100000") not in \
                [tuple(x) for x in en["params"]]:
            t.eq(criteria(en)["fields"], None, "fields=")


def test_reruns_and_overlapping_windows(t):
    e = start(t, "--orders", "90", "--products", "200", "--seed", "5",
              days_back=10, page_size=20)
    run(t, e)
    first = db_orders(t)
    assert 0 < len(first) < 90, "a 10-day window of 30 days (%d)" % len(first)
    stamp = t.psql("SELECT magento_entity_id, updated_at, xmin::text FROM "
                   "magsync.orders ORDER BY 1")
    nitems = t.one("SELECT count(*) FROM magsync.order_items")
    # The same window again: nothing changes, nothing is touched.
    run(t, e)
    t.eq(t.psql("SELECT magento_entity_id, updated_at, xmin::text FROM "
                "magsync.orders ORDER BY 1"), stamp, "untouched rows")
    t.eq(t.one("SELECT count(*) FROM magsync.order_items"), nitems, "items")
    # A wider, overlapping window; and a status changed in Magento.
    some = sorted(first)[0]
    http(e.url + "/rest/default/V1/orders/%d/comments" % some, "POST",
         {"statusHistory": {"comment": "x", "is_customer_notified": 0,
                            "is_visible_on_front": 0, "parent_id": some,
                            "status": "holded"}})
    e.days_back = 40
    e.cfg = write_cfg(t, e)
    run(t, e)
    run(t, e)
    orders = store_orders(e)
    check_all(t, orders)
    t.eq(db_orders(t)[some]["status"], "holded", "status updated")
    t.eq(t.one("SELECT count(*) FROM (SELECT order_id, magento_item_id FROM "
               "magsync.order_items GROUP BY 1, 2 HAVING count(*) > 1) d"),
         "0", "no duplicate items")


def test_configurable_lines_both_ways(t):
    e = start(t, "--orders", "60", "--products", "100",
              "--configurable-share", "0.9", "--virtual-orders", "0",
              job="use_parent_item_id = yes\n")
    run(t, e)
    orders = store_orders(e)
    pairs = sum(len(o["items"]) - len(want_items(o, True)) for o in orders)
    assert pairs > 10, "pairs in the sample (%d)" % pairs
    check_all(t, orders, use_parent=True)
    t.eq(t.one("SELECT count(*) FROM magsync.order_items WHERE "
               "parent_item_id IS NOT NULL"), "0", "no parent ids with yes")
    ids = t.psql("SELECT id FROM magsync.order_items ORDER BY id")
    # The setting flips: rows are re-keyed, never duplicated.
    write_cfg(t, e, job="use_parent_item_id = no\n")
    run(t, e)
    check_all(t, orders, use_parent=False)
    t.eq(int(t.one("SELECT count(*) FROM magsync.order_items WHERE "
                   "parent_item_id IS NOT NULL")), pairs, "child ids kept")
    t.eq(t.psql("SELECT id FROM magsync.order_items ORDER BY id"), ids,
         "the same rows")


def test_virtual_orders(t):
    e = start(t, "--orders", "50", "--virtual-orders", "0.5")
    run(t, e)
    orders = store_orders(e)
    virtual = [int(o["entity_id"]) for o in orders
               if "address" not in ship_of(o)]
    assert len(virtual) > 5, virtual
    check_all(t, orders)
    t.eq(t.one("SELECT count(*) FROM magsync.order_addresses a JOIN "
               "magsync.orders o ON o.id = a.order_id WHERE a.kind = "
               "'shipping' AND o.magento_entity_id IN (%s)" %
               ",".join(map(str, virtual))), "0", "no shipping rows")
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE shipping_method "
               "IS NULL"), str(len(virtual)), "no method")


def test_filters_in_the_journal(t):
    e = start(t, "--orders", "200", "--seed", "3",
              job="statuses = pending, processing\n", days_back=9,
              page_size=7)
    t0 = time.time()
    run(t, e)
    t1 = time.time()
    gets = journal(e, route=r"/V1/orders$")
    assert gets, "requests"
    for en in gets:
        c = criteria(en)
        t.eq(len(c["groups"]), 2, "two filter groups")
        t.eq(c["groups"][0], [("status", "in", "pending,processing")],
             "status group")
        f, cond, value = c["groups"][1][0]
        t.eq((f, cond, len(c["groups"][1])), ("created_at", "gteq", 1),
             "created_at group")
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", value), value
        cut = time.mktime(time.strptime(value, "%Y-%m-%d %H:%M:%S")) - \
            time.timezone
        assert t0 - 9 * 86400 - 5 <= cut <= t1 - 9 * 86400 + 5, value
        t.eq(c["sorts"][0], ("created_at", "ASC"), "sorted by created_at")
        t.eq(c["pageSize"], "7", "page size")
    pages = sorted(int(criteria(en)["currentPage"]) for en in gets)
    t.eq(pages, list(range(1, len(pages) + 1)), "each page once")
    want = [o for o in store_orders(e)
            if o["status"] in ("pending", "processing") and
            time.mktime(time.strptime(o["created_at"], "%Y-%m-%d %H:%M:%S"))
            - time.timezone >= cut]
    got = db_orders(t)
    t.eq(sorted(got), sorted(int(o["entity_id"]) for o in want),
         "exactly the orders the filters select")
    t.eq(len(pages), -(-len(want) // 7), "pages")

    # A status filter nothing matches: a warning, not a silent success.
    write_cfg(t, e, job="statuses = shipped_elsewhere\n")
    r = run(t, e)
    rid = last_run(t)[0]
    warn = [m for lvl, ent, m in logs(t, rid) if lvl == "warning"]
    assert any("matched none" in m and "shipped_elsewhere" in m
               for m in warn), logs(t, rid)
    assert "0 total" in r.stdout, r.stdout


def test_acknowledge_comments_once_with_status(t):
    e = start(t, "--orders", "45", "--seed", "11",
              job="acknowledge = comment\nacknowledge_comment = Got it, "
                  "thanks\n", page_size=10)
    before = {int(o["entity_id"]): o["status"] for o in store_orders(e)}
    run(t, e)
    posts = journal(e, route=r"/V1/orders/\d+/comments$", method="POST")
    t.eq(len(posts), 45, "one comment per order")
    seen = set()
    for p in posts:
        eid = int(re.search(r"/orders/(\d+)/comments", p["path"]).group(1))
        assert eid not in seen, "second comment for %d" % eid
        seen.add(eid)
        h = json.loads(p["body"])["statusHistory"]
        t.eq(h, {"comment": "Got it, thanks", "is_customer_notified": 0,
                 "is_visible_on_front": 0, "parent_id": eid,
                 "status": before[eid]}, "comment body")
    # Magento kept every status (a comment without one would null it).
    t.eq({int(o["entity_id"]): o["status"] for o in store_orders(e)}, before,
         "statuses in Magento")
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE acknowledged_at "
               "IS NOT NULL"), "45", "acknowledged_at")
    rid, status, total, ok, failed, requests, err = last_run(t)
    t.eq((status, total, ok, failed, requests), ("succeeded", "45", "45",
                                                 "0", "50"), "run row")
    # A comment only ever after the order was committed: every POST came
    # after the GET of its page.
    gets = journal(e, route=r"/V1/orders$")
    first_get_end = min(g["t_end"] for g in gets)
    assert all(p["t_start"] >= first_get_end for p in posts)
    control(e, "/__reset-journal", {})
    run(t, e)
    t.eq(len(journal(e, method="POST")), 0, "second run sends none")


def test_acknowledge_failure_is_per_order(t):
    e = start(t, "--orders", "12",
              "--fault", "status,status=400,path=/orders/5/comments$",
              job="acknowledge = comment\n")
    r = run(t, e, want=2)
    rid, status, total, ok, failed, requests, err = last_run(t)
    t.eq((status, total, ok, failed), ("partial", "12", "11", "1"), "run")
    rows = [x for x in logs(t, rid) if x[0] == "error"]
    t.eq(len(rows), 1, "one error row: %r" % logs(t, rid))
    t.eq(rows[0][1], "order 000000005", "entity")
    assert "comment" in rows[0][2], rows
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE acknowledged_at "
               "IS NULL"), "1", "the failed one stays unacknowledged")
    control(e, "/__faults", {"clear": True})
    control(e, "/__reset-journal", {})
    run(t, e)
    posts = journal(e, method="POST")
    t.eq([p["path"] for p in posts],
         ["/rest/default/V1/orders/5/comments"], "only the missing one")
    assert "partial" in r.stdout, r.stdout


def test_catalogue_price_fallback(t):
    e = start(t, "--orders", "0", "--products", "50")
    q = urllib.parse.urlencode({"searchCriteria[pageSize]": 50,
                                "searchCriteria[currentPage]": 1})
    prods = [p for p in http(e.url + "/rest/default/V1/products?" + q)
             ["items"] if p["type_id"] == "simple" and p.get("price")][:4]
    a, b, c, d = prods
    control(e, "/__state/orders", {"orders": [
        {"entity_id": 501, "status": "pending", "items": [
            {"item_id": 1, "sku": a["sku"], "price": None},
            {"item_id": 2, "sku": b["sku"], "price": 0,
             "product_type": "configurable"},
            {"item_id": 3, "sku": b["sku"], "price": 0,
             "parent_item_id": 2},
            {"item_id": 4, "sku": "FREE-GIFT", "price": 0}]},
        {"entity_id": 502, "status": "pending", "items": [
            {"item_id": 5, "sku": c["sku"].lower(), "price": None},
            {"item_id": 6, "sku": a["sku"], "price": None},
            {"item_id": 7, "sku": "NOT-IN-CATALOGUE", "price": None}]},
        {"entity_id": 503, "status": "pending", "items": [
            {"item_id": 8, "sku": d["sku"], "price": 3.5}]}]})
    control(e, "/__reset-journal", {})
    run(t, e)
    got = {r[0]: r[1] for r in t.psql(
        "SELECT magento_item_id, price::text FROM magsync.order_items")}
    t.eq(dec(got["1"]), dec(a["price"]), "missing price")
    t.eq(dec(got["3"]), dec(b["price"]), "pair at 0")
    t.eq(dec(got["4"]), Decimal(0), "a free line stays free")
    t.eq(dec(got["5"]), dec(c["price"]), "SKUs match without case")
    t.eq(dec(got["6"]), dec(a["price"]), "cached")
    t.eq(got["7"], None, "unknown SKU")
    t.eq(dec(got["8"]), Decimal("3.5"), "priced line")
    looks = journal(e, route=r"/V1/products$")
    t.eq(len(looks), 1, "one batched catalogue request")
    c0 = criteria(looks[0])
    t.eq(len(c0["groups"]), 1, "one group")
    (field, cond, value), = c0["groups"][0]
    t.eq((field, cond), ("sku", "in"), "sku in")
    t.eq(sorted(value.split(",")), sorted([a["sku"], b["sku"],
                                           c["sku"].lower(),
                                           "NOT-IN-CATALOGUE"]), "SKUs")
    rid = last_run(t)[0]
    warn = [x for x in logs(t, rid) if x[0] == "warning"]
    t.eq(len(warn), 1, "a warning for the unknown SKU: %r" % logs(t, rid))
    t.eq(warn[0][1], "order 000000502", "entity")
    assert "NOT-IN-CATALOGUE" in warn[0][2], warn


def test_per_order_failure_logged_and_run_goes_on(t):
    e = start(t, "--orders", "20",
              job="shipping_methods = ships\n",
              extra="[mapping_set ships]\nflatrate_flatrate = Flat\n"
                    "freeshipping_freeshipping = Free\n"
                    "tablerate_bestway = Best\nups_GND = Ground\n"
                    "ups_1DA = Air\nfedex_FEDEX_GROUND = FX\n"
                    "usps_1 = Priority\ndhl_P = DHL\n")
    control(e, "/__state/orders", {"orders": [
        {"entity_id": 901, "increment_id": "BAD-TOTAL",
         "grand_total": "12,50", "items": [{"sku": "A"}]},
        {"entity_id": 902, "increment_id": "BAD-METHOD",
         "shipping": {"method": "carrier_pigeon"}, "items": [{"sku": "B"}]},
        {"entity_id": 903, "increment_id": "BAD-QTY",
         "items": [{"sku": "C", "qty_ordered": "lots"}]}]})
    r = run(t, e, want=2)
    rid, status, total, ok, failed, requests, err = last_run(t)
    t.eq((status, total, ok, failed), ("partial", "23", "20", "3"), "run")
    errs = {ent: m for lvl, ent, m in logs(t, rid) if lvl == "error"}
    assert "grand_total: '12,50' is not a number" in \
        errs.get("order BAD-TOTAL", ""), errs
    assert "'carrier_pigeon' is not in mapping set 'ships'" in \
        errs.get("order BAD-METHOD", ""), errs
    assert "item C: item.quantity_ordered: 'lots'" in \
        errs.get("order BAD-QTY", ""), errs
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE magento_entity_id "
               "> 900"), "0", "nothing of a failed order")
    check_all(t, [o for o in store_orders(e) if int(o["entity_id"]) < 900],
              names={"flatrate_flatrate": "Flat",
                     "freeshipping_freeshipping": "Free",
                     "tablerate_bestway": "Best", "ups_GND": "Ground",
                     "ups_1DA": "Air", "fedex_FEDEX_GROUND": "FX",
                     "usps_1": "Priority", "dhl_P": "DHL"})
    assert "partial" in r.stdout, r.stdout


def test_sigkill_in_the_middle_of_paging(t):
    e = start(t, "--orders", "400", "--fault", "latency,ms=150",
              page_size=10, conc=2)
    p = t.spawn([t.bin("magsyncctl"), "-c", e.cfg, "run", CHANNEL,
                 "get_orders"], name="ctl")
    t.wait_for(lambda: int(t.one("SELECT count(*) FROM magsync.orders"))
               >= 40, timeout=60, what="some pages written")
    p.signal(signal.SIGKILL)
    p.wait()
    n = int(t.one("SELECT count(*) FROM magsync.orders"))
    assert n < 400, "killed in the middle (%d)" % n
    t.eq(t.one("SELECT status FROM magsync.job_runs ORDER BY id DESC "
               "LIMIT 1"), "running", "the killed run's row")
    control(e, "/__faults", {"clear": True})
    run(t, e)
    check_all(t, store_orders(e))
    t.eq(t.one("SELECT status FROM magsync.job_runs ORDER BY id DESC "
               "LIMIT 1"), "succeeded", "the re-run")


test_sigkill_in_the_middle_of_paging.limit = 120


def test_429_storms_and_5xx_bursts(t):
    e = start(t, "--orders", "150", "--products", "200",
              "--fault", "429,retry_after=0,p=0.3,seed=4",
              "--fault", "status,status=503,p=0.2,seed=8",
              "--fault", "reset,p=0.05,seed=2",
              job="acknowledge = comment\n", page_size=10)
    r = run(t, e, want=None)
    assert r.returncode in (0, 2), r.stdout + r.stderr
    rid, status, total, ok, failed, requests, err = last_run(t)
    assert status in ("succeeded", "partial"), status
    if status == "partial":
        for lvl, ent, m in logs(t, rid):
            if lvl == "error":
                assert ent.startswith("order ") or "page" in m, (ent, m)
    stats = control(e, "/__stats")
    assert stats["by_status"].get("429", 0) > 0, stats
    # Whatever a storm left undone, the next runs finish; nothing twice.
    control(e, "/__faults", {"clear": True})
    run(t, e)
    check_all(t, store_orders(e))
    posts = journal(e, method="POST")
    done = [p for p in posts if p["status"] == 200]
    eids = [int(re.search(r"/orders/(\d+)/", p["path"]).group(1))
            for p in done]
    t.eq(len(eids), len(set(eids)), "no order acknowledged twice")
    t.eq(len(set(eids)), 150, "every order acknowledged")
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE acknowledged_at "
               "IS NULL"), "0", "acknowledged_at")


test_429_storms_and_5xx_bursts.limit = 180


def test_5xx_page_lost_then_recovered(t):
    # Page 2 answers 503 to every attempt: the run says so and is partial;
    # the next run imports what it missed.
    e = start(t, "--orders", "40",
              "--fault", "status,status=503,path=/V1/orders$,"
                         "method=GET,first=50,skip=1",
              page_size=10, conc=1)
    r = run(t, e, want=None)
    rid, status, total, ok, failed, requests, err = last_run(t)
    assert status in ("partial", "failed"), (status, r.stdout)
    errs = [x for x in logs(t, rid) if x[0] == "error"]
    assert errs and any("page" in m and "503" in m for _, _, m in errs), errs
    control(e, "/__faults", {"clear": True})
    run(t, e)
    check_all(t, store_orders(e))


def accepted_comments(e):
    """Entity ids of the comments Magento accepted, in order."""
    return [int(re.search(r"/orders/(\d+)/comments", p["path"]).group(1))
            for p in journal(e, route=r"/comments$", method="POST")
            if p["status"] == 200]


def stop_in_the_middle(t, signals):
    e = start(t, "--orders", "300", "--fault", "latency,ms=40",
              job="acknowledge = comment\n", page_size=10, conc=2)
    p = t.spawn([t.bin("magsyncctl"), "-c", e.cfg, "run", CHANNEL,
                 "get_orders"], name="ctl")
    t.wait_for(lambda: int(t.one("SELECT count(*) FROM magsync.orders "
                                 "WHERE acknowledged_at IS NOT NULL")) >= 20,
               timeout=60, what="some orders acknowledged")
    for _ in range(signals):
        p.signal(signal.SIGTERM)
        time.sleep(0.01)
    t.eq(p.wait(timeout=30), 1, "exit status")
    row = t.psql("SELECT status, error FROM magsync.job_runs ORDER BY id "
                 "DESC LIMIT 1")[0]
    t.eq(row[0], "interrupted", "run status (%r)" % row)
    want = "stopped at once" if signals > 1 else "stopped by magsyncctl"
    assert want in (row[1] or ""), row
    n = int(t.one("SELECT count(*) FROM magsync.orders"))
    assert n < 300, "stopped in the middle (%d)" % n
    return e


def test_sigterm_stops_at_a_page_boundary(t):
    e = stop_in_the_middle(t, 1)
    # A soft stop waits for the comments in flight and records them: the
    # database and Magento agree on every acknowledgement.
    acked = sorted(int(x[0]) for x in t.psql(
        "SELECT magento_entity_id FROM magsync.orders WHERE "
        "acknowledged_at IS NOT NULL"))
    t.eq(acked, sorted(accepted_comments(e)), "acknowledgements recorded")
    # Every written page is whole: items of each order are all there.
    orders = {int(o["entity_id"]): o for o in store_orders(e)}
    items = db_items(t)
    for eid in db_orders(t):
        t.eq(items.get(eid, {}), want_items(orders[eid], False),
             "items of %d" % eid)
    control(e, "/__faults", {"clear": True})
    run(t, e)
    check_all(t, list(orders.values()))
    got = accepted_comments(e)
    t.eq(sorted(got), sorted(orders), "each order commented exactly once")


test_sigterm_stops_at_a_page_boundary.limit = 120


def test_second_signal_stops_at_once(t):
    e = stop_in_the_middle(t, 2)
    acked = set(int(x[0]) for x in t.psql(
        "SELECT magento_entity_id FROM magsync.orders WHERE "
        "acknowledged_at IS NOT NULL"))
    assert acked <= set(accepted_comments(e)), "recorded only if accepted"
    control(e, "/__faults", {"clear": True})
    run(t, e)
    orders = store_orders(e)
    check_all(t, orders)
    t.eq(set(accepted_comments(e)), set(int(o["entity_id"]) for o in orders),
         "every order commented")
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE acknowledged_at "
               "IS NULL"), "0", "all recorded")


test_second_signal_stops_at_once.limit = 120


def test_purged_orders_stay_purged(t):
    e = start(t, "--orders", "15")
    run(t, e)
    # pii_retention's doing: personal data gone, pii_purged_at stamped.
    t.psql("UPDATE magsync.orders SET customer_email = NULL, customer_note "
           "= NULL, pii_purged_at = now() WHERE magento_entity_id <= 5")
    t.psql("UPDATE magsync.order_addresses a SET first_name = NULL, "
           "last_name = NULL, company = NULL, address_line_1 = NULL, "
           "address_line_2 = NULL, city = NULL, state = NULL, post_code = "
           "NULL, telephone = NULL, email = NULL FROM magsync.orders o "
           "WHERE o.id = a.order_id AND o.magento_entity_id <= 5")
    http(e.url + "/rest/default/V1/orders/3/comments", "POST",
         {"statusHistory": {"comment": "x", "is_customer_notified": 0,
                            "is_visible_on_front": 0, "parent_id": 3,
                            "status": "closed"}})
    run(t, e)
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE magento_entity_id "
               "<= 5 AND (customer_email IS NOT NULL OR customer_note IS "
               "NOT NULL)"), "0", "no personal data back on the order")
    t.eq(t.one("SELECT count(*) FROM magsync.order_addresses a JOIN "
               "magsync.orders o ON o.id = a.order_id WHERE "
               "o.magento_entity_id <= 5 AND concat(a.first_name, "
               "a.last_name, a.company, a.address_line_1, a.address_line_2, "
               "a.city, a.state, a.post_code, a.telephone, a.email) <> ''"),
         "0", "no personal data back in the addresses")
    t.eq(t.one("SELECT status FROM magsync.orders WHERE magento_entity_id "
               "= 3"), "closed", "the rest is still updated")
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE magento_entity_id "
               "> 5 AND customer_email IS NOT NULL"), "10", "others intact")


def test_database_refusal_fails_one_order(t):
    # PostgreSQL refuses year 0 in a timestamp: that page is written again
    # one order at a time, so only that order fails.
    e = start(t, "--orders", "0", job="template = upd\n",
              extra="[template upd]\nprocess = get_orders\n"
                    "base = get_orders.default\n"
                    "date_created = field:json:updated_at\n", page_size=5)
    control(e, "/__state/orders", {"orders": [
        {"entity_id": 700 + k, "status": "pending",
         "updated_at": "0000-01-01 00:00:00" if k == 3 else
         "2024-05-01 10:00:00", "items": [{"sku": "S%d" % k, "price": 1}]}
        for k in range(8)]})
    r = run(t, e, want=2)
    rid, status, total, ok, failed, requests, err = last_run(t)
    t.eq((status, total, ok, failed), ("partial", "8", "7", "1"), "run")
    errs = [(ent, m) for lvl, ent, m in logs(t, rid) if lvl == "error"]
    t.eq(len(errs), 1, "one error: %r" % errs)
    t.eq(errs[0][0], "order 000000703", "entity")
    assert "the database refused the order" in errs[0][1], errs
    t.eq(t.one("SELECT count(*) FROM magsync.orders"), "7", "the others")
    t.eq(t.one("SELECT count(*) FROM magsync.order_items"), "7", "items")
    assert "partial" in r.stdout


def test_run_that_cannot_start_fails_clearly(t):
    e = start(t, "--orders", "5")
    t.write("shop.token", "not-the-token\n", mode=0o600)
    r = run(t, e, want=1)
    rid, status, total, ok, failed, requests, err = last_run(t)
    t.eq(status, "failed", "status")
    assert err and "page 1" in err and "authorized" in err, err
    assert "not-the-token" not in r.stdout + r.stderr
    t.eq(t.one("SELECT count(*) FROM magsync.job_log WHERE run_id = %s AND "
               "level = 'error' AND http_status = 401" % rid), "1",
         "one error row with the HTTP status")
