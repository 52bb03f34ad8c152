"""test_import_listings.py - import_listings through `magsyncctl run` against
the fake Magento and a real PostgreSQL: every field of the import field
table where the default and a custom template put it, configurables whose
children sit on other pages, categories three levels deep, image URLs from
a prefix and from the store's media URL, paused, master SKU linking and
none, create_only, removed products marked and unmarked, hostile SKUs,
null prices and missing attributes, MSI (all sources and the channel's)
and legacy stock, the request count in the fake's journal, per-product
failures, a progress line on a terminal, and SIGKILL in the middle of an
import followed by a re-run.

The expected rows are computed here from what the fake serves (products,
category tree, store configs, stock), by rules written out independently
of lib/listing.c."""
import json
import math
import os
import pty
import re
import select
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from decimal import Decimal

TOKEN = "tok-import-SECRET-41c9"
CHANNEL = "shop"


# ---- setup ---------------------------------------------------------------

class Env:
    pass


def start(t, *fake_args, job="", extra="", page_size=7, conc=3,
          channel="", schedule="manual"):
    e = Env()
    e.conninfo = t.createdb()
    e.fake, e.url = t.fake_magento("--admin-token", TOKEN, "--seed", "5",
                                   *fake_args)
    t.write("shop.token", TOKEN + "\n", mode=0o600)
    e.page_size = page_size
    e.conc = conc
    e.channel = channel
    e.extra = extra
    e.schedule = schedule
    e.cfg = write_cfg(t, e, job)
    r = t.ctl("migrate", config=e.cfg)
    t.eq(r.returncode, 0, "migrate (%s)" % r.stderr)
    return e


def write_cfg(t, e, job):
    e.job = job
    return t.write("magsync.ini",
                   "[magsync]\ndatabase = %s\ntimezone = UTC\n\n"
                   "[channel %s]\nstore_url = %s\n"
                   "access_token_file = shop.token\nmax_concurrency = %d\n"
                   "page_size = %d\nretry_attempts = 3\n%s\n"
                   "[job %s import_listings]\nschedule = %s\n%s\n%s"
                   % (e.conninfo, CHANNEL, e.url, e.conc, e.page_size,
                      e.channel, CHANNEL, e.schedule, job, e.extra))


def run(t, e, want=0):
    r = t.ctl("run", CHANNEL, "import_listings", config=e.cfg, timeout=200)
    if want is not None:
        t.eq(r.returncode, want, "exit status of run (%s|%s)" %
             (r.stdout, r.stderr[-3000:]))
    assert TOKEN not in r.stdout + r.stderr, "token leaked"
    return r


def last_run(t):
    rows = t.psql("SELECT id, status, items_total, items_ok, items_failed, "
                  "requests, error FROM magsync.job_runs WHERE process = "
                  "'import_listings' ORDER BY id DESC LIMIT 1")
    return rows[0]


def logs(t, run_id):
    return t.psql("SELECT level, coalesce(entity, ''), message FROM "
                  "magsync.job_log WHERE run_id = %s ORDER BY id" % run_id)


# ---- the fake ----------------------------------------------------------------

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


def add_products(e, products):
    return control(e, "/__state/products", {"products": products})


def delete_product(e, sku):
    http(e.url + "/rest/all/V1/products/" + urllib.parse.quote(sku, safe=""),
         "DELETE")


def store_products(e):
    q = urllib.parse.urlencode({"searchCriteria[pageSize]": 100000,
                                "searchCriteria[currentPage]": 1})
    return http(e.url + "/rest/default/V1/products?" + q)["items"]


def store_tree(e):
    return http(e.url + "/rest/default/V1/categories")


def store_media(e):
    for c in http(e.url + "/rest/default/V1/store/storeConfigs"):
        if c["code"] == "default":
            return c["base_media_url"]
    raise AssertionError("no default store config")


def store_source_items(e):
    q = urllib.parse.urlencode({"searchCriteria[pageSize]": 100000,
                                "searchCriteria[currentPage]": 1})
    return http(e.url + "/rest/default/V1/inventory/source-items?" +
                q)["items"]


def store_legacy_stock(e):
    out = {}
    page = 1
    while True:
        r = http(e.url + "/rest/default/V1/stockItems/lowStock?scopeId=0&"
                 "qty=100000000&pageSize=500&currentPage=%d" % page)
        for it in r["items"]:
            out[it["product_id"]] = (Decimal(str(it["qty"])),
                                     bool(it["is_in_stock"]))
        if not r["items"] or page * 500 >= r["total_count"]:
            return out
        page += 1


def journal(e):
    out = []
    since = 0
    while True:
        j = control(e, "/__journal?since=%d&limit=5000" % since)
        out.extend(j["entries"])
        if not j["entries"] or j["last_seq"] <= since:
            return out
        since = j["last_seq"]


# ---- what the rows should be -------------------------------------------------

def attr(p, code):
    for a in p.get("custom_attributes") or []:
        if a.get("attribute_code") == code:
            return a.get("value")
    return None


def category_names(tree):
    """id -> [names at levels 2, 3, 4 on the way down]."""
    out = {}

    def walk(node, path):
        if not isinstance(node, dict) or "id" not in node:
            return
        here = path
        if 2 <= node.get("level", 0) <= 4:
            here = path + [node["name"]]
        out[int(node["id"])] = here
        for c in node.get("children_data") or []:
            walk(c, here)
    walk(tree, [])
    return out


def first_category(p):
    links = (p.get("extension_attributes") or {}).get("category_links")
    if links:
        return int(links[0]["category_id"])
    ids = attr(p, "category_ids")
    if ids:
        return int(ids[0])
    return None


def num(v):
    if v is None:
        return None
    return Decimal(str(v))


def dec(s):
    return None if s is None else Decimal(s)


def image_urls(p, base):
    out = []
    for m in p.get("media_gallery_entries") or []:
        if m.get("media_type", "image") != "image" or not m.get("file"):
            continue
        f = m["file"]
        if base.endswith("/") and f.startswith("/"):
            f = f[1:]
        elif not base.endswith("/") and not f.startswith("/"):
            f = "/" + f
        out.append(base + f)
    return out


class Expect:
    """The store as import_listings should see it."""

    def __init__(self, e, sources=None, legacy=False, image_base=None):
        self.products = store_products(e)
        self.by_id = {p["id"]: p for p in self.products}
        self.cats = category_names(store_tree(e))
        self.image_base = image_base or (store_media(e) + "catalog/product")
        self.stock = {}
        if legacy:
            st = store_legacy_stock(e)
            for p in self.products:
                if p["id"] in st:
                    self.stock[p["sku"].lower()] = st[p["id"]]
        else:
            for it in store_source_items(e):
                if sources is not None and it["source_code"] not in sources:
                    continue
                q, s = self.stock.get(it["sku"].lower(), (Decimal(0), False))
                self.stock[it["sku"].lower()] = (
                    q + Decimal(str(it["quantity"])), s or it["status"] == 1)
        self.parents = [p for p in self.products
                        if p["type_id"] == "configurable"]
        self.child_ids = set()
        for p in self.parents:
            for c in p["extension_attributes"].get(
                    "configurable_product_links") or []:
                self.child_ids.add(int(c))
        self.listings = [p for p in self.products
                         if p["type_id"] == "configurable"
                         or p["id"] not in self.child_ids]

    def qty(self, p):
        s = self.stock.get(p["sku"].lower())
        return (s[0], s[1]) if s else (None, None)

    def listing_row(self, p):
        names = self.cats.get(first_category(p)) or []
        names = names + [None] * (3 - len(names))
        q, s = self.qty(p)
        status = p.get("status") if p.get("status") in (1, 2) else None
        vis = p.get("visibility") if p.get("visibility") in (1, 2, 3, 4) \
            else None
        return {
            "sku": p["sku"], "magento_id": p["id"], "name": p["name"],
            "description": attr(p, "description"),
            "price": num(p.get("price")), "quantity": q, "in_stock": s,
            "images": image_urls(p, self.image_base),
            "category_one": names[0], "category_two": names[1],
            "category_three": names[2], "magento_status": status,
            "visibility": vis, "weight": num(p.get("weight")),
            "product_type": p["type_id"], "master": p["sku"],
            "updated_at": p.get("updated_at"),
        }

    def variant_rows(self, upc="upc"):
        out = {}
        for p in self.parents:
            for c in p["extension_attributes"].get(
                    "configurable_product_links") or []:
                ch = self.by_id.get(int(c))
                if ch is None:
                    continue
                out[(p["sku"], ch["sku"])] = {
                    "upc": attr(ch, upc) if upc else None,
                    "quantity": self.qty(ch)[0],
                    "price": num(ch.get("price")), "magento_id": ch["id"]}
        return out


def rows_json(t, query):
    """Rows of query as dicts (one JSON value: texts may hold newlines)."""
    v = t.one("SELECT coalesce(jsonb_agg(x), '[]') FROM (%s) x" % query)
    return json.loads(v)


def db_listings(t):
    """sku -> row dict, with the master SKU of the linked product."""
    rows = rows_json(t, "SELECT l.sku, l.magento_id, l.name, l.description, "
                     "l.price::text, l.quantity::text, l.in_stock, l.images, "
                     "l.category_one, l.category_two, l.category_three, "
                     "l.magento_status, l.visibility, l.weight::text, "
                     "l.product_type, to_char(l.magento_updated_at AT TIME "
                     "ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS updated_at, "
                     "p.master_sku AS master, l.status, "
                     "l.removed_at IS NOT NULL AS removed "
                     "FROM magsync.listings l LEFT JOIN magsync.products p "
                     "ON p.id = l.product_id WHERE l.channel = '%s'" % CHANNEL)
    out = {}
    for d in rows:
        for k in ("price", "quantity", "weight"):
            d[k] = dec(d[k])
        out[d["sku"]] = d
    return out


def db_variants(t):
    rows = rows_json(t, "SELECT l.sku AS parent, v.sku, v.upc, "
                     "v.quantity::text, v.price::text, v.magento_id FROM "
                     "magsync.listing_variants v JOIN magsync.listings l "
                     "ON l.id = v.listing_id")
    return {(r["parent"], r["sku"]): {"upc": r["upc"],
                                      "quantity": dec(r["quantity"]),
                                      "price": dec(r["price"]),
                                      "magento_id": r["magento_id"]}
            for r in rows}


def check_listings(t, want, got, what="listing"):
    t.eq(sorted(got), sorted(want), "%s SKUs" % what)
    for sku, w in want.items():
        g = got[sku]
        for k, v in w.items():
            t.eq(g[k], v, "%s %r: %s" % (what, sku, k))


# ---- tests --------------------------------------------------------------------

def test_default_template_every_field(t):
    e = start(t, "--products", "90", "--configurable-share", "0.5",
              "--children", "3", "--layout", "scattered")
    x = Expect(e)
    assert len(x.parents) >= 5 and x.child_ids, "the store has families"
    stock_rows = len(store_source_items(e))
    media = store_media(e)
    control(e, "/__reset-journal", {})
    r = run(t, e)
    assert "succeeded" in r.stdout, r.stdout
    want = {p["sku"]: x.listing_row(p) for p in x.listings}
    got = db_listings(t)
    check_listings(t, want, got)
    for sku, g in got.items():
        t.eq(g["status"], "active", "status of %s" % sku)
        t.eq(g["removed"], False, "removed_at of %s" % sku)
    t.eq(db_variants(t), x.variant_rows(), "variants")
    # Children on other pages than their parent: the layout is scattered.
    pos = {p["id"]: i // e.page_size for i, p in enumerate(x.products)}
    apart = sum(1 for p in x.parents for c in
                p["extension_attributes"]["configurable_product_links"]
                if pos[int(c)] != pos[p["id"]])
    assert apart > 0, "some children sit on another page than their parent"
    # Category One/Two/Three: some listing has all three levels.
    assert any(g["category_three"] for g in got.values()), "three levels"
    assert all(g["images"][0].startswith(media + "catalog/product/")
               for g in got.values() if g["images"])
    # A products row per master SKU, created by the import.
    t.eq(int(t.one("SELECT count(*) FROM magsync.products")), len(want),
         "products created")
    # Requests: product pages (+1: two lists) + stock pages + 2.
    ps = e.page_size
    ncfg = len(x.parents)
    want_pages = (math.ceil(ncfg / ps) + math.ceil((len(x.products) - ncfg)
                  / ps))
    want_stock = math.ceil(stock_rows / ps)
    j = journal(e)
    routes = {}
    for en in j:
        routes[en["route"]] = routes.get(en["route"], 0) + 1
    t.eq(routes.get("/V1/products"), want_pages, "product pages")
    assert want_pages <= math.ceil(len(x.products) / ps) + 1
    t.eq(routes.get("/V1/inventory/source-items"), want_stock,
         "stock pages")
    t.eq(routes.get("/V1/categories"), 1, "category tree requests")
    t.eq(routes.get("/V1/store/storeConfigs"), 1, "store config requests")
    t.eq(len(j), want_pages + want_stock + 2, "requests in all")
    run_id, status, total, ok, failed, requests, err = last_run(t)
    t.eq((status, int(total), int(ok), int(failed)),
         ("succeeded", len(x.products), len(x.products), 0), "counts")
    t.eq(int(requests), len(j), "job_runs.requests")
    # The filters the two lists went out with.
    lists = [en for en in j if en["route"] == "/V1/products"]
    conds = set()
    for en in lists:
        p = dict(en["params"])
        conds.add((p.get("searchCriteria[filter_groups][0][filters][0]"
                         "[field]"),
                   p.get("searchCriteria[filter_groups][0][filters][0]"
                         "[condition_type]")))
        t.eq(p.get("searchCriteria[pageSize]"), str(ps), "pageSize")
    t.eq(conds, {("type_id", "eq"), ("type_id", "neq")}, "the two lists")
    # A re-run changes nothing and finds the same.
    run(t, e)
    check_listings(t, want, db_listings(t))
    t.eq(db_variants(t), x.variant_rows(), "variants after a re-run")
    t.eq(int(t.one("SELECT count(*) FROM magsync.listings")), len(want),
         "no duplicates")


def test_custom_template(t):
    job = ("template = mine\nmaster_sku = json:custom_attributes.url_key\n"
           "upc_attribute = ean\n"
           "image_url_prefix = https://cdn.example.test/img/\n")
    extra = ("[template mine]\nprocess = import_listings\n"
             "base = import_listings.default\n"
             "name = field:json:custom_attributes.url_key\n"
             "description = skip\n"
             "price = value:9.5\n"
             "category_one = field:category_three\n"
             "category_two = empty\n"
             "category_three = skip\n"
             "quantity = field:json:weight\n"
             "variant.price = skip\n"
             "variant.quantity = value:7\n")
    e = start(t, "--products", "40", "--configurable-share", "0.5",
              job=job, extra=extra)
    x = Expect(e, image_base="https://cdn.example.test/img")
    # A listing imported before keeps what the template skips.
    some = x.listings[0]
    t.psql("INSERT INTO magsync.listings (channel, sku, description, "
           "category_three) VALUES ('%s', '%s', 'kept', 'kept too')"
           % (CHANNEL, some["sku"]))
    run(t, e)
    got = db_listings(t)
    t.eq(sorted(got), sorted(p["sku"] for p in x.listings), "SKUs")
    for p in x.listings:
        g = got[p["sku"]]
        w = x.listing_row(p)
        t.eq(g["name"], attr(p, "url_key"), "name of %s" % p["sku"])
        t.eq(g["price"], Decimal("9.5"), "price")
        t.eq(g["category_one"], w["category_three"], "category_one")
        t.eq(g["category_two"], None, "category_two (empty)")
        t.eq(g["quantity"], num(p.get("weight")), "quantity from weight")
        t.eq(g["images"], image_urls(p, "https://cdn.example.test/img/"),
             "images with the prefix")
        t.eq(g["master"], attr(p, "url_key"), "master SKU from url_key")
        if p is some:
            t.eq(g["description"], "kept", "skipped description")
            t.eq(g["category_three"], "kept too", "skipped category_three")
        else:
            t.eq(g["description"], None, "skip on a new listing")
            t.eq(g["category_three"], None, "skip on a new listing")
    # Variant UPC from the ean attribute (the fake has none: missing),
    # variant.price skipped, variant.quantity a constant.
    vs = db_variants(t)
    want = x.variant_rows(upc="ean")
    t.eq(sorted(vs), sorted(want), "variants")
    for k, v in vs.items():
        t.eq(v["upc"], None, "upc of %s" % (k,))
        t.eq(v["price"], None, "skipped variant price")
        t.eq(v["quantity"], Decimal(7), "constant variant quantity")
    # No store configs request: the prefix is given.
    routes = [en["route"] for en in journal(e)]
    assert "/V1/store/storeConfigs" not in routes, routes


def test_paused_and_master_sku_linking(t):
    e = start(t, "--products", "30", "--configurable-share", "0.4",
              job="paused = yes\n")
    x = Expect(e)
    keep = x.listings[0]["sku"]
    t.psql("INSERT INTO magsync.listings (channel, sku, status) VALUES "
           "('%s', '%s', 'active')" % (CHANNEL, keep))
    t.psql("INSERT INTO magsync.products (master_sku, name) VALUES "
           "('%s', 'from the ERP')" % x.listings[1]["sku"])
    run(t, e)
    got = db_listings(t)
    for sku, g in got.items():
        t.eq(g["status"], "active" if sku == keep else "paused",
             "status of %s" % sku)
        t.eq(g["master"], sku, "master SKU of %s" % sku)
    t.eq(t.one("SELECT name FROM magsync.products WHERE master_sku = '%s'"
               % x.listings[1]["sku"]), "from the ERP",
         "an existing product is linked, not replaced")
    t.eq(int(t.one("SELECT count(*) FROM magsync.products")), len(got),
         "one product per master SKU")
    # Children never become products.
    kids = [x.by_id[i]["sku"] for i in x.child_ids]
    t.eq(int(t.one("SELECT count(*) FROM magsync.products WHERE master_sku "
                   "IN (%s)" % ",".join("'%s'" % k for k in kids))), 0,
         "no product for a child")


def test_master_sku_none(t):
    e = start(t, "--products", "20", job="master_sku = none\n")
    t.psql("INSERT INTO magsync.products (master_sku) VALUES ('P-1')")
    pid = t.one("SELECT id FROM magsync.products")
    x = Expect(e)
    linked = x.listings[0]["sku"]
    t.psql("INSERT INTO magsync.listings (channel, sku, product_id) VALUES "
           "('%s', '%s', %s)" % (CHANNEL, linked, pid))
    run(t, e)
    t.eq(int(t.one("SELECT count(*) FROM magsync.products")), 1,
         "no products created")
    t.eq(t.one("SELECT count(*) FROM magsync.listings WHERE product_id IS "
               "NOT NULL"), "1", "the link made by hand stays")
    t.eq(int(t.one("SELECT count(*) FROM magsync.listings")),
         len(x.listings), "listings")


def test_create_only_leaves_existing_listings(t):
    e = start(t, "--products", "40", "--configurable-share", "0.5",
              job="manage = create_only\n")
    x = Expect(e)
    parent = x.parents[0]
    simple = [p for p in x.listings if p["type_id"] != "configurable"][0]
    for p in (parent, simple):
        t.psql("INSERT INTO magsync.listings (channel, sku, name, price, "
               "quantity, status, removed_at) VALUES ('%s', '%s', 'old', 1, "
               "2, 'paused', '2020-01-01') " % (CHANNEL, p["sku"]))
    before = t.psql("SELECT * FROM magsync.listings ORDER BY id")
    run(t, e)
    after = {r[0]: r for r in t.psql("SELECT * FROM magsync.listings "
                                     "ORDER BY id")}
    cols = [r[0] for r in t.psql(
        "SELECT column_name FROM information_schema.columns WHERE "
        "table_schema = 'magsync' AND table_name = 'listings' "
        "ORDER BY ordinal_position")]
    for row in before:
        a = dict(zip(cols, after[row[0]]))
        b = dict(zip(cols, row))
        # The store lists it: removed_at goes (and updated_at with it).
        t.eq(a["removed_at"], None, "removed_at of %s" % b["sku"])
        for c in cols:
            if c not in ("removed_at", "updated_at"):
                t.eq(a[c], b[c], "%s of the existing %s" % (c, b["sku"]))
    t.eq(int(t.one("SELECT count(*) FROM magsync.listings")),
         len(x.listings), "the others are created")
    pid = t.one("SELECT id FROM magsync.listings WHERE sku = '%s'"
                % parent["sku"])
    t.eq(t.one("SELECT count(*) FROM magsync.listing_variants WHERE "
               "listing_id = %s" % pid), "0",
         "an existing configurable gets no variants")
    others = [p for p in x.parents[1:]]
    want = {k: v for k, v in x.variant_rows().items()
            if k[0] in {p["sku"] for p in others}}
    t.eq(db_variants(t), want, "new configurables get their variants")
    t.eq(int(t.one("SELECT count(*) FROM magsync.products WHERE master_sku "
                   "IN ('%s', '%s')" % (parent["sku"], simple["sku"]))), 0,
         "no product for listings create_only leaves alone")
    # A second create_only run changes nothing at all.
    snap = t.psql("SELECT * FROM magsync.listings ORDER BY id")
    run(t, e)
    t.eq(t.psql("SELECT * FROM magsync.listings ORDER BY id"), snap,
         "a second create_only run")


def test_removed_marked_and_unmarked(t):
    e = start(t, "--products", "30", "--configurable-share", "0.4")
    x = Expect(e)
    gone = [p for p in x.listings if p["type_id"] == "simple"][0]
    run(t, e)
    t.psql("INSERT INTO magsync.listings (channel, sku) VALUES "
           "('other', '%s')" % gone["sku"])
    delete_product(e, gone["sku"])
    # A child that loses its parent link disappears from the variants.
    parent = x.parents[0]
    kid = parent["extension_attributes"]["configurable_product_links"][0]
    links = [c for c in parent["extension_attributes"]
             ["configurable_product_links"] if c != kid]
    add_products(e, [{"sku": parent["sku"], "id": parent["id"],
                      "name": parent["name"], "type_id": "configurable",
                      "extension_attributes":
                      {"configurable_product_links": links}}])
    # An interrupted (failed) run marks nothing.
    control(e, "/__faults", {"set": ["status,status=404,path=/V1/products,"
                                     "skip=1"]})
    run(t, e, want=1)
    t.eq(t.one("SELECT count(*) FROM magsync.listings WHERE removed_at IS "
               "NOT NULL"), "0", "a failed run marks nothing")
    control(e, "/__faults", {"clear": True})
    run(t, e)
    got = db_listings(t)
    t.eq(got[gone["sku"]]["removed"], True, "the deleted product")
    assert not any(g["removed"] for s, g in got.items()
                   if s != gone["sku"]), "only it"
    t.eq(t.one("SELECT removed_at FROM magsync.listings WHERE channel = "
               "'other'"), None, "another channel's listing")
    kid_sku = x.by_id[int(kid)]["sku"]
    vs = db_variants(t)
    assert (parent["sku"], kid_sku) not in vs, "the unlinked variant goes"
    # The unlinked child is a listing of its own now.
    t.eq(got[kid_sku]["removed"], False, "the former child is listed")
    # The product comes back: removed_at goes.
    add_products(e, [dict(gone, qty=3)])
    run(t, e)
    t.eq(db_listings(t)[gone["sku"]]["removed"], False, "it came back")
    r = last_run(t)
    msgs = " ".join(m for _, _, m in logs(t, r[0]))
    assert "0 listings marked removed" in msgs, msgs


def test_hostile_skus_null_prices_missing_attributes(t):
    e = start(t, "--products", "6", "--configurable-share", "0")
    skus = ["WITH SPACE 1", "Ünïcødé-雪-Ω", "quo\"te's", "slash/sku/1",
            "back\\slash", "semi;colon,comma {brace}", "NULL"]
    add_products(e, [{"sku": s, "name": "n " + s, "price": None,
                      "qty": 4} for s in skus])
    add_products(e, [{"sku": "cfg/\"parent\" ü", "name": "Parent",
                      "type_id": "configurable", "price": None}])
    x = Expect(e)
    ids = [x.by_id[i]["id"] for i in x.by_id if x.by_id[i]["sku"] in skus]
    add_products(e, [{"sku": "cfg/\"parent\" ü", "name": "Parent",
                      "type_id": "configurable",
                      "extension_attributes":
                      {"configurable_product_links": ids[:3]}}])
    x = Expect(e)
    run(t, e)
    want = {p["sku"]: x.listing_row(p) for p in x.listings}
    got = db_listings(t)
    check_listings(t, want, got)
    for s in skus[3:]:
        t.eq(got[s]["price"], None, "null price of %r" % s)
        t.eq(got[s]["description"], None, "no description attribute")
        t.eq(got[s]["quantity"], Decimal(4), "quantity of %r" % s)
    t.eq(db_variants(t), x.variant_rows(), "variants with odd SKUs")
    assert all(v["upc"] is None for k, v in db_variants(t).items()
               if k[1] in skus), "missing upc attribute"
    t.eq(sorted(r[0] for r in t.psql("SELECT master_sku FROM "
                                     "magsync.products")),
         sorted(want), "master SKUs verbatim")


def test_per_product_failures(t):
    extra = ("[template odd]\nprocess = import_listings\n"
             "base = import_listings.default\n"
             "description = field:json:custom_attributes.odd\n")
    e = start(t, "--products", "12", "--configurable-share", "0",
              job="template = odd\n", extra=extra)
    add_products(e, [
        {"sku": "BAD-DESC", "name": "bad",
         "custom_attributes": [{"attribute_code": "odd",
                                "value": {"not": "text"}}]},
        {"sku": "NEG-PRICE", "name": "neg", "price": -4},
        {"sku": "NEG-CHILD", "name": "neg child", "price": -2},
        {"sku": "OK-CHILD", "name": "ok child", "price": 2},
        {"sku": "GOOD", "name": "good", "price": 3}])
    x = Expect(e)
    kids = [p["id"] for p in x.products if p["sku"] in ("NEG-CHILD",
                                                         "OK-CHILD")]
    add_products(e, [{"sku": "PARENT", "name": "parent",
                      "type_id": "configurable", "extension_attributes":
                      {"configurable_product_links": kids}}])
    r = run(t, e, want=2)
    assert "partial" in r.stdout, r.stdout
    run_id, status, total, ok, failed, _, _ = last_run(t)
    t.eq((status, int(failed)), ("partial", 3), "status and failures")
    t.eq(int(total), 12 + 6, "every product counted once")
    t.eq(int(total), int(ok) + 3, "counts")
    errs = {ent: msg for lvl, ent, msg in logs(t, run_id) if lvl == "error"}
    t.eq(sorted(errs), ["sku BAD-DESC", "sku NEG-CHILD", "sku NEG-PRICE"],
         "failed products")
    assert "description" in errs["sku BAD-DESC"], errs
    assert "price: '-4' is negative" in errs["sku NEG-PRICE"], errs
    assert "variant.price: '-2' is negative" in errs["sku NEG-CHILD"], errs
    got = db_listings(t)
    assert "GOOD" in got and "BAD-DESC" not in got and \
        "NEG-PRICE" not in got and "NEG-CHILD" not in got, sorted(got)
    t.eq(sorted(k[1] for k in db_variants(t)), ["OK-CHILD"], "variants")
    # Failed products are still the store's: not marked removed later.
    run(t, e, want=2)
    t.eq(t.one("SELECT count(*) FROM magsync.listings WHERE removed_at IS "
               "NOT NULL"), "0", "nothing marked removed")


def test_msi_channel_sources(t):
    e = start(t, "--products", "40", "--sources", "default,eu_warehouse",
              "--second-source-share", "0.6",
              channel="sources = eu_warehouse\n")
    x = Expect(e, sources={"eu_warehouse"})
    control(e, "/__reset-journal", {})
    run(t, e)
    want = {p["sku"]: {"quantity": x.qty(p)[0], "in_stock": x.qty(p)[1]}
            for p in x.listings}
    check_listings(t, want, db_listings(t))
    assert any(v["quantity"] for v in want.values()), "some eu stock"
    for en in journal(e):
        if en["route"] == "/V1/inventory/source-items":
            p = dict(en["params"])
            t.eq(p.get("searchCriteria[filter_groups][0][filters][0]"
                       "[value]"), "eu_warehouse", "source filter")


def test_legacy_stock(t):
    for inventory, fake in (("auto", ["--no-msi"]), ("legacy", [])):
        e = start(t, "--products", "30", "--configurable-share", "0.4",
                  *fake, channel="inventory = %s\n" % inventory)
        x = Expect(e, legacy=True)
        control(e, "/__reset-journal", {})
        run(t, e)
        want = {p["sku"]: {"quantity": x.qty(p)[0], "in_stock": x.qty(p)[1]}
                for p in x.listings}
        check_listings(t, want, db_listings(t))
        t.eq(db_variants(t), x.variant_rows(), "variants (%s)" % inventory)
        routes = [en["route"] for en in journal(e)]
        assert "/V1/stockItems/lowStock" in routes, routes
        if inventory == "legacy":
            assert "/V1/inventory/source-items" not in routes
        e.fake.kill()
        t.psql("DELETE FROM magsync.listings")
        t.psql("DELETE FROM magsync.products")
    # The channel says MSI, the store has none: a clear failure.
    e = start(t, "--products", "5", "--no-msi", channel="inventory = msi\n")
    r = run(t, e, want=1)
    assert "stock listing" in r.stdout + r.stderr, r.stdout + r.stderr


test_legacy_stock.limit = 120


def test_progress_line_on_a_terminal(t):
    e = start(t, "--products", "40", "--fault", "latency,ms=20")
    master, slave = pty.openpty()
    p = subprocess.Popen([t.bin("magsyncctl"), "-c", e.cfg, "run", CHANNEL,
                          "import_listings"], stdout=slave, stderr=slave,
                         stdin=subprocess.DEVNULL, env=t.env(), cwd=t.dir)
    os.close(slave)
    out = b""
    deadline = time.time() + 60
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    p.wait(timeout=30)
    os.close(master)
    text = out.decode("utf-8", "replace")
    assert re.search(r"stock: \d+/\d+ pages", text), text
    assert re.search(r"other products: \d+/\d+ pages; products: \d+/40 "
                     r"items", text), text
    assert "\r" in text, "one line, rewritten"


def dump(t):
    """The import's result, without ids and times."""
    return (rows_json(t, "SELECT l.sku, p.master_sku, l.magento_id, l.name, "
                      "l.description, l.price, l.quantity, l.in_stock, "
                      "l.status, l.magento_status, l.visibility, l.weight, "
                      "l.product_type, l.category_one, l.category_two, "
                      "l.category_three, l.images, l.magento_updated_at, "
                      "l.removed_at IS NULL AS present FROM magsync.listings "
                      "l LEFT JOIN magsync.products p ON p.id = l.product_id "
                      "ORDER BY 1"),
            rows_json(t, "SELECT l.sku AS parent, v.sku, v.upc, v.quantity, "
                      "v.price, v.magento_id FROM magsync.listing_variants v "
                      "JOIN magsync.listings l ON l.id = v.listing_id "
                      "ORDER BY 1, 2"),
            rows_json(t, "SELECT master_sku, name FROM magsync.products "
                      "ORDER BY 1"))


def test_sigkill_then_rerun_equals_uninterrupted(t):
    e = start(t, "--products", "400", "--configurable-share", "0.5",
              "--children", "4", page_size=10, conc=2)
    run(t, e)
    clean = dump(t)
    assert len(clean[1]) > 50, "variants"
    t.psql("TRUNCATE magsync.listings, magsync.products CASCADE")
    control(e, "/__faults", {"set": ["latency,ms=120"]})
    p = t.spawn([t.bin("magsyncctl"), "-c", e.cfg, "run", CHANNEL,
                 "import_listings"], name="ctl")
    t.wait_for(lambda: int(t.one("SELECT count(*) FROM "
                                 "magsync.listing_variants")) >= 30,
               timeout=90, what="some pages of the second list written")
    p.signal(signal.SIGKILL)
    p.wait()
    n = int(t.one("SELECT count(*) FROM magsync.listings"))
    assert 0 < n < len(clean[0]), "killed in the middle (%d)" % n
    t.eq(t.one("SELECT status FROM magsync.job_runs ORDER BY id DESC "
               "LIMIT 1"), "running", "the killed run's row")
    control(e, "/__faults", {"clear": True})
    run(t, e)
    t.eq(dump(t), clean, "re-run after SIGKILL = uninterrupted import")


test_sigkill_then_rerun_equals_uninterrupted.limit = 180


def stop_in_the_middle(t, signals):
    e = start(t, "--products", "300", "--configurable-share", "0.5",
              "--children", "4", "--fault", "latency,ms=100",
              page_size=10, conc=2)
    t.psql("INSERT INTO magsync.listings (channel, sku) VALUES ('%s', "
           "'NOT-IN-THE-STORE')" % CHANNEL)
    p = t.spawn([t.bin("magsyncctl"), "-c", e.cfg, "run", CHANNEL,
                 "import_listings"], name="ctl")
    t.wait_for(lambda: int(t.one("SELECT count(*) FROM "
                                 "magsync.listing_variants")) >= 20,
               timeout=90, what="some pages of the second list written")
    for _ in range(signals):
        p.signal(signal.SIGTERM)
        time.sleep(0.05)
    t.eq(p.wait(timeout=60), 1, "exit status of a stopped run")
    run_id, status, _, _, _, _, err = last_run(t)
    t.eq(status, "interrupted", "status (%s)" % err)
    t.eq(t.one("SELECT count(*) FROM magsync.listings WHERE removed_at IS "
               "NOT NULL"), "0", "a stopped run marks nothing")
    control(e, "/__faults", {"clear": True})
    run(t, e)
    x = Expect(e)
    want = {p["sku"]: x.listing_row(p) for p in x.listings}
    got = db_listings(t)
    t.eq(got.pop("NOT-IN-THE-STORE")["removed"], True,
         "the complete re-run marks it")
    check_listings(t, want, got)
    t.eq(db_variants(t), x.variant_rows(), "variants after the re-run")


def test_sigterm_stops_at_a_page_boundary(t):
    stop_in_the_middle(t, 1)


test_sigterm_stops_at_a_page_boundary.limit = 150


def test_second_signal_stops_at_once(t):
    stop_in_the_middle(t, 2)


test_second_signal_stops_at_once.limit = 150


def test_a_value_the_database_refuses_fails_one_product(t):
    # A rule of the database the import cannot know (ops added a check):
    # the page's statement is refused, the page is written again one
    # product at a time, and only that product fails.
    e = start(t, "--products", "15", "--configurable-share", "0",
              page_size=50)
    t.psql("ALTER TABLE magsync.listings ADD CONSTRAINT no_poison "
           "CHECK (name <> 'poison')")
    add_products(e, [{"sku": "POISON", "name": "poison"},
                     {"sku": "FINE", "name": "fine", "price": "12.5"},
                     {"sku": "YEAR-ZERO", "name": "odd",
                      "updated_at": "0000-01-01 00:00:00"}])
    r = run(t, e, want=2)
    run_id, status, total, ok, failed, _, _ = last_run(t)
    t.eq((status, int(total), int(failed)), ("partial", 18, 1), "counts")
    errs = {ent: msg for lvl, ent, msg in logs(t, run_id) if lvl == "error"}
    t.eq(sorted(errs), ["sku POISON"], "the failed product")
    assert "not written" in errs["sku POISON"] and \
        "no_poison" in errs["sku POISON"], errs
    got = db_listings(t)
    t.eq(len(got), 17, "the others are written")
    t.eq(got["FINE"]["price"], Decimal("12.5"), "its page neighbour")
    t.eq(got["YEAR-ZERO"]["updated_at"], None, "a time PostgreSQL cannot hold")
    assert "one product at a time" in r.stderr, r.stderr


def test_on_the_daemons_schedule(t):
    e = start(t, "--products", "30", "--configurable-share", "0.4",
              schedule="@every 2s")
    d = t.daemon(e.cfg)
    d.wait_log(r"magsyncd ready")
    t.wait_for(lambda: int(t.one("SELECT count(*) FROM magsync.job_runs "
                                 "WHERE process = 'import_listings' AND "
                                 "status = 'succeeded'")) >= 2, 30,
               "two scheduled imports")
    d.signal(signal.SIGTERM)
    t.eq(d.wait(timeout=30), 0, "daemon exit status")
    rows = t.psql("SELECT DISTINCT trigger FROM magsync.job_runs WHERE "
                  "process = 'import_listings'")
    assert ["schedule"] in rows, rows
    x = Expect(e)
    want = {p["sku"]: x.listing_row(p) for p in x.listings}
    check_listings(t, want, db_listings(t))
    t.eq(db_variants(t), x.variant_rows(), "variants")


test_on_the_daemons_schedule.limit = 90
