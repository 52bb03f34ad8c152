"""test_fake.py - the fake Magento itself, through plain HTTP (urllib and
raw sockets).  No PostgreSQL, no binaries: shapes against the committed
schema subset, searchCriteria semantics with hostile values, paging both
ways, bearer and OAuth 1.0a, ACL, every fault kind, the journal and the
in-flight count, seed determinism, scopes of writes, shipping, scale."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(os.path.dirname(HERE), "fake", "schema_subset.json")
TOKEN = "tok-admin-0123456789"
NOT_AUTH = "The consumer isn't authorized to access %resources."
PRODUCT_404 = "The product that was requested doesn't exist. Verify the product and try again."
ENTITY_404 = "The entity that was requested doesn't exist. Verify the entity and try again."
CK, CS, AT, AS = "ck" * 16, "cs" * 16, "at" * 16, "as" * 16


# -- HTTP helpers ---------------------------------------------------------------
class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


def call(base, path, method="GET", body=None, token=TOKEN, headers=None, timeout=30):
    """One request; path may carry a query.  body: JSON-able or bytes."""
    h = dict(headers or {})
    if token is not None:
        h.setdefault("Authorization", "Bearer " + token)
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Resp(r.status, dict(r.headers), r.read())
    except urllib.error.HTTPError as e:
        return Resp(e.code, dict(e.headers), e.read())


def ok(base, path, **kw):
    r = call(base, path, **kw)
    assert r.status == 200, "%s %s -> %d %s" % (kw.get("method", "GET"), path, r.status, r.body[:300])
    return r.json


def control(base, path, body=None):
    return ok(base, path, method="POST" if body is not None else "GET", body=body, token=None)


def sc(filters=(), sorts=(), size=None, page=None, camel=False):
    """searchCriteria query: filters = [[(field, value, cond), ...], ...]."""
    fg, fl, ct = ("filterGroups", "filters", "conditionType") if camel else \
        ("filter_groups", "filters", "condition_type")
    q = []
    for g, group in enumerate(filters):
        for f, (field, value, cond) in enumerate(group):
            pre = "searchCriteria[%s][%d][%s][%d]" % (fg, g, fl, f)
            q.append((pre + "[field]", field))
            q.append((pre + "[value]", value))
            if cond is not None:
                q.append((pre + "[%s]" % ct, cond))
    for k, (field, d) in enumerate(sorts):
        so = "sortOrders" if camel else "sortOrders"
        q.append(("searchCriteria[%s][%d][field]" % (so, k), field))
        q.append(("searchCriteria[%s][%d][direction]" % (so, k), d))
    if size is not None:
        q.append(("searchCriteria[pageSize]", str(size)))
    if page is not None:
        q.append(("searchCriteria[currentPage]", str(page)))
    if not q:
        return "searchCriteria="
    return urllib.parse.urlencode(q, quote_via=urllib.parse.quote)


def start(t, *args):
    p, url = t.fake_magento("--admin-token", TOKEN, *args)
    return p, url


# -- schema -------------------------------------------------------------------------
_SCHEMA = None


def schema():
    global _SCHEMA
    if _SCHEMA is None:
        with open(SCHEMA) as f:
            _SCHEMA = json.load(f)
    return _SCHEMA


def check_shape(value, sch, where="$"):
    """Every key must be a declared property, required ones present, types
    right; null is accepted anywhere (Magento emits nulls Swagger 2 cannot
    declare).  custom_attributes values may be arrays (category_ids)."""
    defs = schema()["definitions"]
    if "$ref" in sch:
        name = sch["$ref"].split("/")[-1]
        sch = dict(defs[name], _name=name)
    if value is None:
        return
    typ = sch.get("type")
    if typ == "object" or "properties" in sch:
        assert isinstance(value, dict), "%s: want object, got %r" % (where, value)
        props = sch.get("properties", {})
        for k, v in value.items():
            assert k in props, "%s: %r is not in %s" % (where, k, sch.get("_name", "schema"))
            check_shape(v, props[k], "%s.%s" % (where, k))
        for k in sch.get("required", []):
            assert k in value, "%s: required %r missing (%s)" % (where, k, sch.get("_name"))
        return
    if typ == "array":
        assert isinstance(value, list), "%s: want array, got %r" % (where, value)
        for i, v in enumerate(value):
            check_shape(v, sch.get("items", {}), "%s[%d]" % (where, i))
        return
    if typ == "string":
        if isinstance(value, list) and where.endswith(".value"):
            assert all(isinstance(x, str) for x in value), where
            return
        assert isinstance(value, str), "%s: want string, got %r" % (where, value)
    elif typ == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), \
            "%s: want integer, got %r" % (where, value)
    elif typ == "number":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), \
            "%s: want number, got %r" % (where, value)
    elif typ == "boolean":
        assert isinstance(value, bool), "%s: want boolean, got %r" % (where, value)


def check_path(value, path, method="get"):
    check_shape(value, schema()["paths"][path][method]["response"], "%s %s" % (method.upper(), path))


def check_error(r, status, message, parameters=None):
    """Magento's error body.  The schema declares `parameters` as a list of
    {resources, fieldName, fieldValue} objects; real Magento sends either a
    positional array (%1, %2) or one object keyed by the %names, which is
    what the daemon must decode, so that part is checked by that rule."""
    assert r.status == status, "want %d, got %d %s" % (status, r.status, r.body[:300])
    d = r.json
    params = d.pop("parameters", None)
    check_shape(d, {"$ref": "#/definitions/error-response"}, "error")
    if params is not None:
        if isinstance(params, dict):
            for k, v in params.items():
                assert isinstance(k, str) and "%" + k in d["message"], (k, d["message"])
                assert isinstance(v, (str, int, float)), params
        else:
            assert isinstance(params, list) and all(isinstance(v, (str, int, float)) for v in params), params
            for n in range(1, len(params) + 1):
                assert "%%%d" % n in d["message"], (params, d["message"])
        d["parameters"] = params
    assert d["message"] == message, "message %r, want %r" % (d["message"], message)
    if parameters is not None:
        assert d.get("parameters") == parameters, "parameters %r, want %r" % (d.get("parameters"), parameters)


# -- tests ----------------------------------------------------------------------------
def test_shapes(t):
    """Every endpoint answers in the schema's shapes; Magento's own habits
    (no stock_item in lists, configurable links, order lines)."""
    p, base = start(t, "--products", "80", "--orders", "40", "--seed", "7")
    pl = ok(base, "/rest/all/V1/products?" + sc(size=40))
    check_path(pl, "/V1/products")
    t.eq(pl["total_count"], 80, "total_count")
    t.eq(len(pl["items"]), 40, "page size")
    assert all("stock_item" not in (i.get("extension_attributes") or {}) for i in pl["items"]), \
        "a product list carries stock_item"
    parents = [i for i in pl["items"] if i["type_id"] == "configurable"]
    assert parents, "no configurable parent on the first page"
    par = parents[0]
    links = par["extension_attributes"]["configurable_product_links"]
    assert links and par["extension_attributes"]["configurable_product_options"], par
    one = ok(base, "/rest/all/V1/products/" + urllib.parse.quote(par["sku"], safe=""))
    check_path(one, "/V1/products/{sku}")
    assert "stock_item" in one["extension_attributes"], "single GET lacks stock_item"
    codes = {a["attribute_code"] for a in one["custom_attributes"]}
    assert {"description", "url_key", "category_ids"} <= codes, codes
    kids = ok(base, "/rest/all/V1/configurable-products/%s/children" % urllib.parse.quote(par["sku"]))
    check_path(kids, "/V1/configurable-products/{sku}/children")
    t.eq(sorted(k["id"] for k in kids), sorted(links), "children ids = configurable_product_links")
    for k in kids:
        assert k["sku"].startswith(par["sku"] + "-"), k["sku"]
        kc = {a["attribute_code"]: a["value"] for a in k["custom_attributes"]}
        assert "color" in kc and "size" in kc and len(kc["upc"]) == 12, kc
        t.eq(k["visibility"], 1, "child visibility")
    opts = ok(base, "/rest/all/V1/configurable-products/%s/options/all" % par["sku"])
    check_path(opts, "/V1/configurable-products/{sku}/options/all")
    o1 = ok(base, "/rest/all/V1/configurable-products/%s/options/%d" % (par["sku"], opts[0]["id"]))
    check_path(o1, "/V1/configurable-products/{sku}/options/{id}")
    media = ok(base, "/rest/all/V1/products/%s/media" % par["sku"])
    check_path(media, "/V1/products/{sku}/media")
    assert media and media[0]["file"].startswith("/"), media
    m1 = ok(base, "/rest/all/V1/products/%s/media/%d" % (par["sku"], media[0]["id"]))
    check_path(m1, "/V1/products/{sku}/media/{entryId}")
    simple = [i for i in pl["items"] if i["type_id"] == "simple"][0]
    st = ok(base, "/rest/all/V1/stockItems/" + simple["sku"])
    check_path(st, "/V1/stockItems/{productSku}")
    check_path(ok(base, "/rest/all/V1/stockItems/lowStock?scopeId=0&qty=100000&pageSize=5&currentPage=1"),
               "/V1/stockItems/lowStock/")
    tree = ok(base, "/rest/all/V1/categories")
    check_path(tree, "/V1/categories")
    t.eq((tree["id"], tree["name"], tree["level"]), (2, "Default Category", 1), "tree root")
    depth = 0
    node = tree
    while node["children_data"]:
        node = node["children_data"][0]
        depth += 1
    t.eq(depth, 3, "levels under the root")
    check_path(ok(base, "/rest/all/V1/categories/list?" + sc(size=5)), "/V1/categories/list")
    check_path(ok(base, "/rest/all/V1/inventory/source-items?" + sc(size=5)), "/V1/inventory/source-items")
    check_path(ok(base, "/rest/all/V1/inventory/sources"), "/V1/inventory/sources")
    ol = ok(base, "/rest/default/V1/orders?" + sc(size=40))
    check_path(ol, "/V1/orders")
    t.eq(ol["total_count"], 40, "orders")
    statuses = {o["status"] for o in ol["items"]}
    assert {"pending", "processing", "complete"} <= statuses, statuses
    conf = virt = 0
    for o in ol["items"]:
        sa = o["extension_attributes"]["shipping_assignments"][0]["shipping"]
        if o["is_virtual"]:
            virt += 1
            assert "address" not in sa, "virtual order with a shipping address"
        else:
            assert sa["address"]["address_type"] == "shipping" and sa["method"], sa
        by_id = {i["item_id"]: i for i in o["items"]}
        for it in o["items"]:
            if it.get("parent_item_id"):
                conf += 1
                par_line = by_id[it["parent_item_id"]]
                t.eq(par_line["product_type"], "configurable", "parent line type")
                t.eq(par_line["sku"], it["sku"], "parent line carries the child's SKU")
                t.eq(it["price"], 0, "child line price")
                assert par_line["price"] > 0, par_line
    assert conf > 0, "no configurable order lines generated"
    one_o = ok(base, "/rest/default/V1/orders/%d" % ol["items"][0]["entity_id"])
    check_path(one_o, "/V1/orders/{id}")
    check_path(ok(base, "/rest/default/V1/orders/1/comments"), "/V1/orders/{id}/comments")
    sh = ok(base, "/rest/default/V1/shipments?" + sc(size=5))
    check_path(sh, "/V1/shipments")
    assert sh["total_count"] > 0, "complete orders have shipments"
    check_path(ok(base, "/rest/default/V1/store/storeConfigs"), "/V1/store/storeConfigs")
    cfgs = ok(base, "/rest/default/V1/store/storeConfigs")
    assert cfgs[0]["base_media_url"] == base + "/media/", cfgs[0]["base_media_url"]
    check_path(ok(base, "/rest/default/V1/store/storeViews"), "/V1/store/storeViews")
    check_error(call(base, "/rest/all/V1/products/NO-SUCH-SKU"), 404, PRODUCT_404)
    check_error(call(base, "/rest/all/V1/orders/999999"), 404, ENTITY_404)
    check_error(call(base, "/rest/all/V1/nothing/here"), 404, "Request does not match any route.")
    check_error(call(base, "/rest/nostore/V1/products"), 404, "Request does not match any route.")
    check_error(call(base, "/rest/all/V1/products"), 400, '"%fieldName" is required. Enter and try again.',
                {"fieldName": "searchCriteria"})


def test_search_hostile(t):
    """searchCriteria: hostile values round-trip, every condition type,
    AND across groups, OR within a group, sorts, both spellings."""
    p, base = start(t, "--products", "30", "--orders", "0")
    hostile = ["a&b=c", "x[0]%y", "ünï cødé", "plus+sign", "sp ace", "semi;colon",
               "#hash?q", "100%", "quote\"'", "tab\tx", "emoji-😀", "back\\slash", "=lead"]
    prods = [{"sku": s, "name": "Hostile %d" % k, "price": 10 + k, "qty": k}
             for k, s in enumerate(hostile)]
    control(base, "/__state/products", {"products": prods})
    for s in hostile:
        r = ok(base, "/rest/all/V1/products?" + sc([[("sku", s, "eq")]]))
        t.eq([i["sku"] for i in r["items"]], [s], "sku eq %r" % s)
        # '+' for spaces (form encoding) must work too
        q = urllib.parse.urlencode([("searchCriteria[filter_groups][0][filters][0][field]", "sku"),
                                    ("searchCriteria[filter_groups][0][filters][0][value]", s)])
        r = ok(base, "/rest/all/V1/products?" + q)
        t.eq([i["sku"] for i in r["items"]], [s], "sku eq (form-encoded) %r" % s)
        t.eq(r["search_criteria"]["filter_groups"][0]["filters"][0]["value"], s, "echoed value")
    # case-insensitive like MySQL
    r = ok(base, "/rest/all/V1/products?" + sc([[("sku", "ÜNÏ CØDÉ", "eq")]]))
    t.eq([i["sku"] for i in r["items"]], ["ünï cødé"], "case-insensitive eq")
    r = ok(base, "/rest/all/V1/products?" + sc([[("sku", "a&b=c,100%,nope", "in")]]))
    t.eq(sorted(i["sku"] for i in r["items"]), ["100%", "a&b=c"], "in list")
    r = ok(base, "/rest/all/V1/products?" + sc([[("name", "Hostile 1%", "like")]]))
    t.eq(sorted(i["name"] for i in r["items"]),
         sorted(["Hostile 1"] + ["Hostile %d" % k for k in range(10, 13)]), "like")
    r = ok(base, "/rest/all/V1/products?" + sc([[("name", "Hostile%", "like")], [("price", "20", "gteq")]]))
    t.eq(sorted(i["price"] for i in r["items"]), [20, 21, 22], "two groups AND")
    r = ok(base, "/rest/all/V1/products?" + sc([[("price", "10", "eq"), ("price", "22", "eq")]]))
    t.eq(sorted(i["price"] for i in r["items"]), [10, 22], "one group OR")
    r = ok(base, "/rest/all/V1/products?" + sc([[("name", "Hostile%", "like")], [("price", "12", "gt")],
                                                [("price", "15", "lt")]]))
    t.eq(sorted(i["price"] for i in r["items"]), [13, 14], "gt/lt")
    r = ok(base, "/rest/all/V1/products?" + sc([[("name", "Hostile%", "like")], [("price", "12", "from")],
                                                [("price", "13", "to")]]))
    t.eq(sorted(i["price"] for i in r["items"]), [12, 13], "from/to")
    r = ok(base, "/rest/all/V1/products?" + sc([[("name", "Hostile%", "like")], [("sku", "%a%", "nlike")],
                                                [("price", "10,11,12,13,14,15,16", "nin")]]))
    assert all("a" not in i["sku"].lower() and i["price"] > 16 for i in r["items"]) and r["items"], r["items"]
    r = ok(base, "/rest/all/V1/products?" + sc([[("name", "Hostile%", "like")], [("price", "10", "neq")],
                                                [("price", "12", "lteq")]]))
    t.eq(sorted(i["price"] for i in r["items"]), [11, 12], "neq/lteq")
    r = ok(base, "/rest/all/V1/products?" + sc([[("special_price", "", "notnull")]]))
    assert all(any(a["attribute_code"] == "special_price" for a in i["custom_attributes"]) for i in r["items"])
    r2 = ok(base, "/rest/all/V1/products?" + sc([[("special_price", "", "null")]]))
    t.eq(r["total_count"] + r2["total_count"], 30 + len(hostile), "null + notnull = all")
    leaf = ok(base, "/rest/all/V1/products?" + sc(size=1))["items"][0]["extension_attributes"]["category_links"][0]["category_id"]
    r = ok(base, "/rest/all/V1/products?" + sc([[("category_id", leaf, "eq")]]))
    assert r["total_count"] > 0 and all(any(l["category_id"] == leaf for l in
                                            i["extension_attributes"]["category_links"]) for i in r["items"])
    r = ok(base, "/rest/all/V1/products?" + sc([[("category_ids", leaf, "finset")]]))
    t.eq(r["total_count"] > 0, True, "finset on a multi-valued attribute")
    r = ok(base, "/rest/all/V1/products?" + sc([[("name", "Hostile%", "like")]],
                                               [("price", "DESC")], size=3))
    t.eq([i["price"] for i in r["items"]], [22, 21, 20], "sort DESC")
    r = ok(base, "/rest/all/V1/products?" + sc([[("name", "Hostile%", "like")]],
                                               [("type_id", "ASC"), ("name", "DESC")], size=2, camel=True))
    t.eq([i["name"] for i in r["items"]], ["Hostile 9", "Hostile 8"], "two sort keys, camelCase")
    # a literal '&' that is not encoded splits the parameter, as in any server
    r = ok(base, "/rest/all/V1/products?searchCriteria[filter_groups][0][filters][0][field]=sku"
                 "&searchCriteria[filter_groups][0][filters][0][value]=a&b=c")
    t.eq(r["items"], [], "unencoded & breaks the value")


def test_paging(t):
    """Modern empty page past the end, the old repetition behind a switch,
    no pageSize = everything, 2.4 input limits."""
    p, base = start(t, "--products", "53", "--orders", "0")
    seen = []
    for page in range(1, 7):
        r = ok(base, "/rest/all/V1/products?" + sc(size=10, page=page))
        t.eq(r["total_count"], 53, "total_count")
        seen.extend(i["sku"] for i in r["items"])
    t.eq(len(seen), 53, "all items once")
    t.eq(len(set(seen)), 53, "no duplicates")
    r = ok(base, "/rest/all/V1/products?" + sc(size=10, page=7))
    t.eq(r["items"], [], "past the end: empty")
    t.eq(len(ok(base, "/rest/all/V1/products?searchCriteria=")["items"]), 53, "no pageSize: all")
    control(base, "/__state/config", {"legacy_last_page": True})
    last = ok(base, "/rest/all/V1/products?" + sc(size=10, page=6))
    r = ok(base, "/rest/all/V1/products?" + sc(size=10, page=9))
    t.eq([i["sku"] for i in r["items"]], [i["sku"] for i in last["items"]], "legacy: last page repeated")
    t.eq(len(r["items"]), 3, "legacy last page size")
    src = ok(base, "/rest/all/V1/inventory/source-items?" + sc(size=1000, page=5))
    assert src["items"], "legacy paging also applies to source items"
    control(base, "/__state/config", {"legacy_last_page": False, "input_limit": True})
    check_error(call(base, "/rest/all/V1/products?" + sc(size=301)), 400,
                "Maximum SearchCriteria pageSize is %max", {"max": 300})
    t.eq(len(ok(base, "/rest/all/V1/products?" + sc(size=300))["items"]), 53, "300 allowed")
    t.eq(len(ok(base, "/rest/all/V1/products?searchCriteria=")["items"]), 20, "input limits: default 20")
    # low stock listing pages the same way
    control(base, "/__state/config", {"input_limit": False})
    a = ok(base, "/rest/all/V1/stockItems/lowStock?scopeId=0&qty=1000000&pageSize=10&currentPage=1")
    b = ok(base, "/rest/all/V1/stockItems/lowStock?scopeId=0&qty=1000000&pageSize=10&currentPage=99")
    assert a["total_count"] > 10 and a["items"] and b["items"] == [], (a["total_count"], b)
    assert all(i["qty"] <= 1000000 for i in a["items"])


def oauth_header(method, url, ck=CK, cs=CS, at=AT, ts_secret=AS, algo="HMAC-SHA256",
                 nonce=None, timestamp=None, tamper=False):
    """Our own RFC 5849 signer (independent of the fake's)."""
    enc = lambda s: urllib.parse.quote(s, safe="-._~")  # noqa: E731
    u = urllib.parse.urlsplit(url)
    params = {"oauth_consumer_key": ck, "oauth_token": at, "oauth_signature_method": algo,
              "oauth_timestamp": str(timestamp or int(time.time())),
              "oauth_nonce": nonce or base64.b16encode(os.urandom(8)).decode(),
              "oauth_version": "1.0"}
    pairs = list(params.items()) + urllib.parse.parse_qsl(u.query, keep_blank_values=True)
    norm = "&".join("%s=%s" % kv for kv in sorted((enc(k), enc(v)) for k, v in pairs))
    base_uri = "%s://%s%s" % (u.scheme, u.netloc.lower(), u.path)
    bs = "&".join([method, enc(base_uri), enc(norm)])
    key = (enc(cs) + "&" + enc(ts_secret)).encode()
    dig = hashlib.sha256 if algo == "HMAC-SHA256" else hashlib.sha1
    sig = base64.b64encode(hmac.new(key, bs.encode(), dig).digest()).decode()
    if tamper:
        sig = sig[:-2] + ("A=" if sig[-2] != "A" else "B=")
    params["oauth_signature"] = sig
    return "OAuth realm=\"x\"," + ",".join('%s="%s"' % (k, enc(v)) for k, v in params.items())


def test_auth(t):
    """Bearer admin tokens, integration tokens refused as bearer (2.4.4+
    default) and accepted when enabled, OAuth 1.0a HMAC-SHA256 with hostile
    query parameters, bad signature, nonce replay, SHA1 refused."""
    p, base = start(t, "--products", "10", "--orders", "3",
                    "--consumer-key", CK, "--consumer-secret", CS,
                    "--access-token", AT, "--access-token-secret", AS)
    path = "/rest/all/V1/products?" + sc([[("sku", "a&b=c ü+%", "neq")]], size=2)
    t.eq(call(base, path).status, 200, "admin bearer")
    check_error(call(base, path, token="wrong"), 401, NOT_AUTH, {"resources": "Magento_Catalog::products"})
    check_error(call(base, path, token=None), 401, NOT_AUTH, {"resources": "Magento_Catalog::products"})
    check_error(call(base, path, token=AT), 401, NOT_AUTH, {"resources": "Magento_Catalog::products"})
    url = base + path
    r = call(base, path, token=None, headers={"Authorization": oauth_header("GET", url)})
    t.eq(r.status, 200, "OAuth1 HMAC-SHA256: %s" % r.body[:200])
    check_error(call(base, path, token=None, headers={"Authorization": oauth_header("GET", url, tamper=True)}),
                401, "The signature is invalid. Verify and try again.")
    check_error(call(base, path, token=None,
                     headers={"Authorization": oauth_header("GET", url, cs="other")}),
                401, "The signature is invalid. Verify and try again.")
    bs = control(base, "/__journal")["entries"][-1]["auth"]["expected_base_string"]
    assert bs.startswith("GET&http%3A%2F%2F127.0.0.1%3A") and "searchCriteria%255Bfilter_groups" in bs \
        and "REDACTED" in bs and AT not in bs and CK not in bs, bs
    h = oauth_header("GET", url, nonce="fixed-nonce-1")
    t.eq(call(base, path, token=None, headers={"Authorization": h}).status, 200, "first use of a nonce")
    check_error(call(base, path, token=None, headers={"Authorization": h}), 401,
                "The nonce is already being used by the consumer with ID %1", [1])
    check_error(call(base, path, token=None,
                     headers={"Authorization": oauth_header("GET", url, algo="HMAC-SHA1")}),
                400, "Signature method %1 is not supported", ["HMAC-SHA1"])
    check_error(call(base, path, token=None,
                     headers={"Authorization": oauth_header("GET", url, ck="nobody")}),
                401, "A consumer having the specified key does not exist")
    check_error(call(base, path, token=None,
                     headers={"Authorization": oauth_header("GET", url, timestamp=int(time.time()) + 3600)}),
                400, "Incorrect timestamp value in the oauth_timestamp parameter")
    # a POST with a JSON body: the body is not part of the signature
    purl = base + "/rest/all/V1/orders/1/comments"
    r = call(base, "/rest/all/V1/orders/1/comments", method="POST", token=None,
             body={"statusHistory": {"comment": "hi", "status": "pending"}},
             headers={"Authorization": oauth_header("POST", purl)})
    t.eq(r.status, 200, "OAuth1 POST: %s" % r.body[:200])
    control(base, "/__state/auth", {"integration_bearer": True, "allow_sha1": True})
    t.eq(call(base, path, token=AT).status, 200, "integration bearer when enabled")
    r = call(base, path, token=None, headers={"Authorization": oauth_header("GET", url, algo="HMAC-SHA1")})
    t.eq(r.status, 200, "HMAC-SHA1 when enabled")
    j = control(base, "/__journal")["entries"]
    blob = json.dumps(j)
    for secret in (TOKEN, AT, AS, CS):
        assert secret not in blob, "a secret is in the journal"
    schemes = {e["headers"].get("Authorization") for e in j}
    assert {"Bearer", "OAuth"} <= schemes, schemes


def test_permissions(t):
    """Per-token ACL: a missing resource is a 401 naming it; a parent
    resource grants its children."""
    p, base = start(t, "--products", "5", "--orders", "5", "--admin-token", "tok-limited",
                    "--admin-token", "tok-sales", "--acl", "tok-limited=Magento_Catalog::products",
                    "--acl", "tok-sales=Magento_Sales::sales")
    t.eq(call(base, "/rest/all/V1/products?" + sc(size=1), token="tok-limited").status, 200, "catalog ok")
    check_error(call(base, "/rest/all/V1/orders?" + sc(size=1), token="tok-limited"), 401, NOT_AUTH,
                {"resources": "Magento_Sales::actions_view"})
    check_error(call(base, "/rest/all/V1/order/1/ship", method="POST", body={}, token="tok-limited"),
                401, NOT_AUTH, {"resources": "Magento_Sales::ship"})
    check_error(call(base, "/rest/all/V1/inventory/source-items?" + sc(size=1), token="tok-limited"),
                401, NOT_AUTH, {"resources": "Magento_InventoryApi::source"})
    check_error(call(base, "/rest/all/V1/categories", token="tok-limited"),
                401, NOT_AUTH, {"resources": "Magento_Catalog::categories"})
    t.eq(call(base, "/rest/all/V1/orders?" + sc(size=1), token="tok-sales").status, 200, "parent grants")
    t.eq(call(base, "/rest/all/V1/shipments?" + sc(size=1), token="tok-sales").status, 200, "parent grants")
    check_error(call(base, "/rest/all/V1/products/x", token="tok-sales"), 401, NOT_AUTH,
                {"resources": "Magento_Catalog::products"})
    control(base, "/__state/auth", {"acl": {"tok-limited": "all"}})
    t.eq(call(base, "/rest/all/V1/orders?" + sc(size=1), token="tok-limited").status, 200, "acl changed")


def _raw(base, path, timeout=10):
    """A raw HTTP/1.1 exchange; returns (status line, headers, body, error)."""
    host, port = base[len("http://"):].split(":")
    s = socket.create_connection((host, int(port)), timeout=timeout)
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\n\r\n"
               % (path, host, port, TOKEN)).encode())
    data = b""
    err = None
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError as e:
        err = e
    except socket.timeout as e:
        err = e
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    return (lines[0] if data else ""), hdrs, body, err


def test_faults(t):
    """Each fault kind, from the command line and the control API."""
    p, base = start(t, "--products", "20", "--orders", "2",
                    "--fault", "status,status=503,first=2,path=/V1/orders$")
    q = "/rest/all/V1/orders?" + sc(size=1)
    t.eq([call(base, q).status for _ in range(3)], [503, 503, 200], "503 twice then 200")
    j = control(base, "/__journal")["entries"]
    t.eq([(e["route"], e["scope"], e.get("fault")) for e in j],
         [("/V1/orders", "all", "status")] * 2 + [("/V1/orders", "all", None)], "journal of faults")
    control(base, "/__faults", {"set": ["latency,ms=300,path=/V1/products$"]})
    t0 = time.time()
    t.eq(call(base, "/rest/all/V1/products?" + sc(size=1)).status, 200, "latency status")
    assert time.time() - t0 >= 0.3, "latency not applied"
    control(base, "/__faults", {"set": [{"kind": "429", "retry_after": "2", "first": 1},
                                        {"kind": "status", "status": 503, "retry_after": "date:3", "first": 1,
                                         "path": "categories"}]})
    r = call(base, q)
    t.eq((r.status, r.headers.get("Retry-After")), (429, "2"), "429 with Retry-After seconds")
    r = call(base, "/rest/all/V1/categories")
    t.eq(r.status, 503, "503")
    import email.utils
    when = email.utils.parsedate_to_datetime(r.headers["Retry-After"]).timestamp()
    assert 1 <= when - time.time() <= 4, r.headers["Retry-After"]
    t.eq(call(base, q).status, 200, "first=1 exhausted")
    control(base, "/__faults", {"set": ["reset,first=1"]})
    line, hdrs, body, err = _raw(base, q)
    assert line == "" and (err is not None or body == b""), (line, err)
    t.eq(call(base, q).status, 200, "after the reset")
    control(base, "/__faults", {"set": ["truncate,first=1"]})
    try:
        call(base, q)
        raise AssertionError("truncated body read whole")
    except http.client.IncompleteRead:
        pass
    control(base, "/__faults", {"set": ["malformed,first=1"]})
    r = call(base, q)
    t.eq(r.status, 200, "malformed status")
    try:
        r.json
        raise AssertionError("malformed body parsed")
    except ValueError:
        pass
    control(base, "/__faults", {"set": ["drip,bytes=200,ms=50,first=1"]})
    t0 = time.time()
    r = call(base, q)
    n = len(r.body)
    assert r.status == 200 and r.json["items"], "drip delivers the real body"
    assert time.time() - t0 >= (n // 200) * 0.05 * 0.9, "drip was not slow (%d bytes)" % n
    control(base, "/__faults", {"set": ["huge,mb=3,first=1"]})
    r = call(base, q)
    t.eq(len(r.body), 3 * 1024 * 1024, "huge body size")
    control(base, "/__faults", {"set": ["huge,mb=1,chunked=1,first=1"]})
    r = call(base, q)
    t.eq((len(r.body), r.headers.get("Transfer-Encoding")), (1024 * 1024, "chunked"), "huge chunked")
    control(base, "/__faults", {"set": ["hang,ms=1500,first=1"]})
    try:
        call(base, q, timeout=0.5)
        raise AssertionError("hang answered")
    except (socket.timeout, TimeoutError, urllib.error.URLError):
        pass
    # probability with a seed is reproducible
    runs = []
    for _ in range(2):
        control(base, "/__faults", {"set": ["status,status=500,p=0.5,seed=42"]})
        runs.append([call(base, q).status for _ in range(12)])
    t.eq(runs[0], runs[1], "same seed, same faults")
    assert 500 in runs[0] and 200 in runs[0], runs[0]
    control(base, "/__faults", {"set": ["status,status=500,first=1"]})
    r = call(base, q)
    assert r.status == 500 and r.json["message"].startswith("Internal Error."), r.body
    st = control(base, "/__stats")
    assert st["faults"][0]["fired"] == 1, st["faults"]
    # a fault that happens after the work: the shipment exists, the answer is lost
    control(base, "/__faults", {"set": ["reset,after=1,first=1,path=/ship$"]})
    oid = ok(base, "/rest/all/V1/orders?" + sc([[("status", "pending,processing", "in")]], size=1))
    if oid["items"]:
        o = oid["items"][0]["entity_id"]
        try:
            call(base, "/rest/all/V1/order/%d/ship" % o, method="POST", body={})
        except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
            pass
        shipped = control(base, "/__state")["shipments"]
        t.eq([s["order_id"] for s in shipped], [o], "work done before the reset")


def test_journal_inflight(t):
    """The journal records every request (no secrets) and the highest
    number in flight is exact."""
    p, base = start(t, "--products", "20", "--orders", "0", "--fault", "latency,ms=300")
    control(base, "/__reset-journal", {})
    barrier = threading.Barrier(8)
    errs = []

    def worker(k):
        try:
            barrier.wait()
            call(base, "/rest/default/V1/products?" + sc(size=1, page=k + 1))
        except Exception as e:  # noqa: B902
            errs.append(e)
    th = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    assert not errs, errs
    st = control(base, "/__stats")
    t.eq(st["max_in_flight"], 8, "max in flight")
    t.eq(st["requests"], 8, "requests counted")
    j = control(base, "/__journal")["entries"]
    t.eq(len(j), 8, "journal entries")
    e = j[0]
    for k in ("seq", "t_start", "t_end", "method", "path", "query", "params", "headers", "body",
              "status", "scope", "in_flight", "route"):
        assert k in e, "journal lacks %s: %r" % (k, e)
    t.eq((e["method"], e["scope"], e["route"], e["headers"]["Authorization"]),
         ("GET", "default", "/V1/products", "Bearer"), "journal fields")
    assert TOKEN not in json.dumps(j), "token in the journal"
    assert max(x["in_flight"] for x in j) == 8
    # overlapping windows confirm the count
    ev = sorted([(x["t_start"], 1) for x in j] + [(x["t_end"], -1) for x in j])
    cur = best = 0
    for _, d in ev:
        cur += d
        best = max(best, cur)
    t.eq(best, 8, "overlap from the journal times")
    since = control(base, "/__journal")["last_seq"]
    call(base, "/rest/all/V1/products/none")
    new = control(base, "/__journal?since=%d" % since)["entries"]
    t.eq([(x["path"], x["status"]) for x in new], [("/rest/all/V1/products/none", 404)], "since")
    control(base, "/__reset-journal", {})
    t.eq(control(base, "/__stats")["max_in_flight"], 0, "reset")


def test_seed_determinism(t):
    args = ["--products", "300", "--orders", "30", "--now", "2025-06-01T12:00:00Z"]
    p1, b1 = start(t, "--seed", "5", *args)
    p2, b2 = start(t, "--seed", "5", *args)
    p3, b3 = start(t, "--seed", "6", *args)
    for path in ("/rest/all/V1/products?" + sc(size=50, page=3),
                 "/rest/all/V1/orders?" + sc(size=30),
                 "/rest/all/V1/inventory/source-items?" + sc(size=50),
                 "/rest/all/V1/categories"):
        t.eq(call(b1, path).body, call(b2, path).body, "same seed, same answer: " + path[:30])
    assert call(b1, "/rest/all/V1/products?" + sc(size=50)).body != \
        call(b3, "/rest/all/V1/products?" + sc(size=50)).body, "another seed, another catalogue"
    o = ok(b1, "/rest/all/V1/orders?" + sc(size=30))["items"]
    assert all("2025-05-02" <= x["created_at"] <= "2025-06-01 12:00:00" for x in o), \
        [x["created_at"] for x in o][:3]


def test_writes_and_scope(t):
    """Writes through all vs a store view, SKUs with '/', POST updates an
    existing SKU, PUT of an unknown SKU, url_key clash, delete, stock."""
    p, base = start(t, "--products", "20", "--orders", "0", "--stores", "default,fr")
    sku = ok(base, "/rest/all/V1/products?" + sc([[("type_id", "simple", "eq")]], size=1))["items"][0]["sku"]
    r = ok(base, "/rest/all/V1/products/" + sku, method="PUT",
           body={"product": {"name": "Global Name", "price": 12.5,
                             "extension_attributes": {"stock_item": {"qty": 7, "is_in_stock": True}}}})
    t.eq((r["name"], r["price"], r["extension_attributes"]["stock_item"]["qty"]), ("Global Name", 12.5, 7), "PUT all")
    st = control(base, "/__state")
    t.eq(st["store_overrides"], {}, "no store-view overrides after an all-scope write")
    t.eq([(w["scope"], w["sku"]) for w in st["product_writes"]], [("all", sku)], "write journal")
    src = ok(base, "/rest/all/V1/inventory/source-items?" + sc([[("sku", sku, "eq")]]))
    t.eq([i["quantity"] for i in src["items"] if i["source_code"] == "default"], [7], "default source follows")
    ok(base, "/rest/fr/V1/products/" + sku, method="PUT",
       body={"product": {"name": "Nom Français", "price": 13,
                         "custom_attributes": [{"attribute_code": "description", "value": "<p>fr</p>"}]}})
    st = control(base, "/__state")
    t.eq(st["store_overrides"], {"fr": {sku: {"name": "Nom Français",
                                              "custom_attributes": {"description": "<p>fr</p>"}}}},
         "store-view override recorded")
    t.eq(ok(base, "/rest/all/V1/products/" + sku)["name"], "Global Name", "admin value kept")
    t.eq(ok(base, "/rest/fr/V1/products/" + sku)["name"], "Nom Français", "store view sees its value")
    t.eq(ok(base, "/rest/all/V1/products/" + sku)["price"], 13, "price is global")
    ok(base, "/rest/V1/products/" + sku, method="PUT", body={"product": {"status": 2}})
    st = control(base, "/__state")
    assert st["store_overrides"]["default"][sku] == {"status": 2}, st["store_overrides"]
    t.eq(st["product_writes"][-1]["scope"], "default", "/rest/V1 writes the default store view")
    # SKUs with a slash
    control(base, "/__state/products", {"products": [{"sku": "AB/12", "name": "Slash", "price": 5}]})
    for path in ("/rest/all/V1/products/AB/12", "/rest/all/V1/products/AB%2F12"):
        check_error(call(base, path), 404, "Request does not match any route.")
        check_error(call(base, path, method="PUT", body={"product": {"price": 6}}), 404,
                    "Request does not match any route.")
    r = ok(base, "/rest/all/V1/products", method="POST", body={"product": {"sku": "AB/12", "price": 6}})
    t.eq((r["sku"], r["price"]), ("AB/12", 6), "POST updates an existing SKU")
    t.eq(ok(base, "/rest/all/V1/products?" + sc([[("sku", "AB/12", "eq")]]))["total_count"], 1, "no duplicate")
    control(base, "/__state/config", {"encoded_slash": "apache"})
    r = call(base, "/rest/all/V1/products/AB%2F12")
    assert r.status == 404 and r.body.startswith(b"<!DOCTYPE HTML"), r.body[:80]
    control(base, "/__state/config", {"encoded_slash": "allow"})
    t.eq(ok(base, "/rest/all/V1/products/AB%2F12")["sku"], "AB/12", "AllowEncodedSlashes NoDecode")
    control(base, "/__state/config", {"encoded_slash": "route"})
    # create
    r = call(base, "/rest/all/V1/products", method="POST",
             body={"product": {"sku": "NEW-1", "name": "New One", "price": 9, "attribute_set_id": 4,
                               "custom_attributes": [{"attribute_code": "url_key", "value": "new-one"}]}})
    t.eq(r.status, 200, "create: %s" % r.body[:200])
    check_path(r.json, "/V1/products", "post")
    check_error(call(base, "/rest/all/V1/products", method="POST",
                     body={"product": {"sku": "NEW-2", "name": "New Two", "price": 9,
                                       "custom_attributes": [{"attribute_code": "url_key", "value": "new-one"}]}}),
                400, "URL key for specified store already exists.")
    check_error(call(base, "/rest/all/V1/products", method="POST", body={"product": {"sku": "NEW-3"}}),
                400, 'The "%1" attribute value is empty. Set the attribute and try again.', ["name"])
    check_error(call(base, "/rest/all/V1/products", method="POST", body={"nope": 1}),
                400, '"%fieldName" is required. Enter and try again.', {"fieldName": "product"})
    check_error(call(base, "/rest/all/V1/products", method="POST", body=b"{bad json"),
                400, "Decoding error.")
    r = call(base, "/rest/all/V1/products", method="POST", body=b'{"product":{}}',
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    check_error(r, 400, "Server cannot understand Content-Type HTTP header media type %1",
                ["application/x-www-form-urlencoded"])
    r = ok(base, "/rest/all/V1/products/GHOST-1", method="PUT",
           body={"product": {"name": "Ghost", "price": 3}})
    t.eq(r["sku"], "GHOST-1", "PUT of an unknown SKU creates it (Magento)")
    control(base, "/__state/config", {"put_unknown": "404"})
    check_error(call(base, "/rest/all/V1/products/GHOST-2", method="PUT",
                     body={"product": {"name": "Ghost", "price": 3}}), 404, PRODUCT_404)
    t.eq(ok(base, "/rest/all/V1/products/NEW-1", method="DELETE"), True, "delete")
    check_error(call(base, "/rest/all/V1/products/NEW-1"), 404, PRODUCT_404)
    st = control(base, "/__state")
    assert "NEW-1" in st["products_deleted"] and "GHOST-1" in st["products_created"], st["products_created"]
    # stock item endpoints
    si = ok(base, "/rest/all/V1/stockItems/" + sku)
    got = ok(base, "/rest/all/V1/products/%s/stockItems/%d" % (sku, si["item_id"]), method="PUT",
             body={"stockItem": {"qty": 42, "is_in_stock": True}})
    t.eq(got, str(si["item_id"]), "stock item id (string, as Magento)")
    t.eq(ok(base, "/rest/all/V1/stockItems/" + sku)["qty"], 42, "stock updated")
    low = ok(base, "/rest/all/V1/stockItems/lowStock?scopeId=0&qty=41&pageSize=100&currentPage=1")
    assert si["product_id"] not in [i["product_id"] for i in low["items"]], "qty 42 > 41"
    control(base, "/__state/config", {"msi": False})
    check_error(call(base, "/rest/all/V1/inventory/source-items?" + sc(size=1)), 404,
                "Request does not match any route.")


def test_configurable_and_media(t):
    p, base = start(t, "--products", "10", "--orders", "0", "--configurable-share", "0")
    control(base, "/__state/products", {"products": [
        {"sku": "P-1", "name": "Parent", "type_id": "configurable", "price": 0},
        {"sku": "P-1-S", "name": "Parent S", "price": 20,
         "custom_attributes": [{"attribute_code": "size", "value": "167"}]},
        {"sku": "P-1-M", "name": "Parent M", "price": 20}]})
    check_error(call(base, "/rest/all/V1/configurable-products/P-1/child", method="POST",
                     body={"childSku": "P-1-S"}), 400,
                "The parent product doesn't have configurable product options.")
    oid = ok(base, "/rest/all/V1/configurable-products/P-1/options", method="POST",
             body={"option": {"attribute_id": "144", "label": "Size", "position": 0,
                              "values": [{"value_index": 167}]}})
    assert isinstance(oid, str) and oid.isdigit(), oid
    t.eq(ok(base, "/rest/all/V1/configurable-products/P-1/child", method="POST",
            body={"childSku": "P-1-S"}), True, "child linked")
    check_error(call(base, "/rest/all/V1/configurable-products/P-1/child", method="POST",
                     body={"childSku": "P-1-S"}), 400, "The product is already attached.")
    check_error(call(base, "/rest/all/V1/configurable-products/P-1/child", method="POST",
                     body={"childSku": "P-1-M"}), 400,
                'The child product doesn\'t have the "%1" attribute value. Verify the value and try again.',
                ["size"])
    kids = ok(base, "/rest/all/V1/configurable-products/P-1/children")
    t.eq([k["sku"] for k in kids], ["P-1-S"], "children")
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
    entry = {"media_type": "image", "label": "front", "position": 1, "disabled": False,
             "types": ["image", "small_image", "thumbnail"],
             "content": {"base64_encoded_data": png, "type": "image/png", "name": "p1-front.png"}}
    mid = ok(base, "/rest/all/V1/products/P-1-S/media", method="POST", body={"entry": entry})
    mid2 = ok(base, "/rest/all/V1/products/P-1-S/media", method="POST", body={"entry": entry})
    media = ok(base, "/rest/all/V1/products/P-1-S/media")
    t.eq([m["file"] for m in media], ["/p/1/p1-front.png", "/p/1/p1-front_1.png"], "media files")
    t.eq(media[0]["types"], [], "roles moved to the newest image")
    t.eq(ok(base, "/rest/all/V1/products/P-1-S/media/%s" % mid, method="DELETE"), True, "media delete")
    check_error(call(base, "/rest/all/V1/products/P-1-S/media/%s" % mid, method="DELETE"), 404,
                "No image with the provided ID was found. Verify the ID and try again.")
    bad = dict(entry, content=dict(entry["content"], base64_encoded_data="!!notbase64"))
    check_error(call(base, "/rest/all/V1/products/P-1-S/media", method="POST", body={"entry": bad}),
                400, "The image content must be valid base64 encoded data.")
    # PUT with media_gallery_entries replaces the gallery
    ok(base, "/rest/all/V1/products/P-1-S", method="PUT",
       body={"product": {"media_gallery_entries": []}})
    t.eq(ok(base, "/rest/all/V1/products/P-1-S/media"), [], "empty gallery replaces")
    assert mid2


def test_ship_and_comments(t):
    p, base = start(t, "--products", "40", "--orders", "0")
    control(base, "/__state/products", {"products": [{"sku": "CH-1", "name": "Child", "price": 30}]})
    control(base, "/__state/orders", {"orders": [
        {"entity_id": 100, "status": "processing", "state": "processing", "grand_total": 65,
         "total_invoiced": 65, "items": [
             {"item_id": 1001, "sku": "CH-1", "product_type": "configurable", "price": 30, "qty_ordered": 2},
             {"item_id": 1002, "sku": "CH-1", "product_type": "simple", "price": 0, "qty_ordered": 2,
              "parent_item_id": 1001},
             {"item_id": 1003, "sku": "SIMPLE-9", "price": 5, "qty_ordered": 1}]},
        {"entity_id": 101, "status": "canceled", "state": "canceled",
         "items": [{"item_id": 1011, "sku": "X", "qty_ordered": 1}]},
        {"entity_id": 102, "status": "pending", "state": "new", "is_virtual": 1,
         "items": [{"item_id": 1021, "sku": "V", "qty_ordered": 1, "product_type": "virtual"}]}]})
    o = ok(base, "/rest/all/V1/orders/100")
    check_path(o, "/V1/orders/{id}")
    t.eq(o["items"][1]["parent_item"]["item_id"], 1001, "child line carries parent_item")
    v = ok(base, "/rest/all/V1/orders/102")
    assert "address" not in v["extension_attributes"]["shipping_assignments"][0]["shipping"], v
    VE = "Shipment Document Validation Error(s):\n"
    check_error(call(base, "/rest/all/V1/order/100/ship", method="POST",
                     body={"items": [{"order_item_id": 1002, "qty": 2}]}), 400,
                VE + "You can't create a shipment without products.")
    check_error(call(base, "/rest/all/V1/order/100/ship", method="POST",
                     body={"items": [{"order_item_id": 999, "qty": 1}]}), 400,
                VE + "You can't create a shipment without products.")
    check_error(call(base, "/rest/all/V1/order/100/ship", method="POST",
                     body={"items": [{"order_item_id": 1001, "qty": 3}]}), 400,
                VE + 'The quantity to ship must not be greater than the unshipped quantity for product SKU "CH-1".'
                + "\nYou can't create a shipment without products.")
    check_error(call(base, "/rest/all/V1/order/101/ship", method="POST", body={}), 400,
                VE + "A shipment cannot be created when an order has a status of canceled")
    check_error(call(base, "/rest/all/V1/order/102/ship", method="POST", body={}), 400,
                VE + "A shipment cannot be created when an order has a status of pending"
                + "\nYou can't create a shipment without products.")
    check_error(call(base, "/rest/all/V1/order/555/ship", method="POST", body={}), 404, ENTITY_404)
    body = {"items": [{"order_item_id": 1001, "qty": 1}], "notify": True, "appendComment": True,
            "comment": {"comment": "first box", "is_visible_on_front": 1},
            "tracks": [{"track_number": "1Z999AA10123456784", "title": "UPS", "carrier_code": "ups"}],
            "arguments": {"extension_attributes": {"source_code": "default"}}}
    sid = ok(base, "/rest/all/V1/order/100/ship", method="POST", body=body)
    assert isinstance(sid, str) and sid.isdigit(), "shipment id is a JSON string like Magento: %r" % sid
    o = ok(base, "/rest/all/V1/orders/100")
    t.eq([i["qty_shipped"] for i in o["items"]], [1, 1, 0], "qty_shipped on both lines")
    t.eq(o["status"], "processing", "partly shipped")
    control(base, "/__delay-next-ship", {"ms": 800})
    t0 = time.time()
    result = {}

    def ship_rest():
        result["r"] = call(base, "/rest/all/V1/order/100/ship", method="POST",
                           body={"tracks": [{"track_number": "1Z999AA10123456785", "title": "UPS",
                                             "carrier_code": "ups"}]})
    th = threading.Thread(target=ship_rest)
    th.start()
    time.sleep(0.4)
    committed = control(base, "/__state")["shipments"]
    t.eq(len(committed), 2, "committed before the delayed answer")
    th.join()
    assert time.time() - t0 >= 0.8 and result["r"].status == 200, result
    o = ok(base, "/rest/all/V1/orders/100")
    t.eq((o["status"], [i["qty_shipped"] for i in o["items"]]), ("complete", [2, 2, 1]), "fully shipped")
    check_error(call(base, "/rest/all/V1/order/100/ship", method="POST", body={}), 400,
                VE + "The order does not allow a shipment to be created.\nYou can't create a shipment without products.")
    sh = ok(base, "/rest/all/V1/shipments?" + sc([[("order_id", "100", "eq")]]))
    check_path(sh, "/V1/shipments")
    t.eq([s["tracks"][0]["track_number"] for s in sh["items"]],
         ["1Z999AA10123456784", "1Z999AA10123456785"], "tracks")
    t.eq(sh["items"][0]["comments"][0]["comment"], "first box", "shipment comment")
    t.eq(ok(base, "/rest/all/V1/orders/100/comments", method="POST",
            body={"statusHistory": {"comment": "ack", "is_customer_notified": 0,
                                    "is_visible_on_front": 0, "parent_id": 100, "status": "complete"}}),
         True, "comment")
    t.eq(ok(base, "/rest/all/V1/orders/100")["status"], "complete", "status kept when given")
    ok(base, "/rest/all/V1/orders/100/comments", method="POST", body={"statusHistory": {"comment": "no status"}})
    o = ok(base, "/rest/all/V1/orders/100")
    t.eq(o["status"], None, "a comment without status nulls the order status (Magento)")
    t.eq([h["comment"] for h in o["status_histories"]], ["no status", "ack"], "newest first")
    check_error(call(base, "/rest/all/V1/orders/555/comments", method="POST",
                     body={"statusHistory": {"comment": "x"}}), 404, ENTITY_404)


def test_generator_consistency(t):
    """In process: the text renderer of list items equals json.dumps of the
    product dict, field accessors agree with the records, and the OAuth
    base string matches RFC 5849's worked example (3.4.1.1)."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fake"))
    import mg_auth
    import mg_gen
    for seed, n, layout in ((1, 3000, "scattered"), (9, 400, "adjacent")):
        c = mg_gen.Catalog(seed, n, layout=layout,
                           categories=mg_gen.Categories(2 if seed == 9 else 3, 3 if seed == 9 else 0))
        for i in range(n):
            p = c.product(i, with_stock=False)
            t.eq(c.product_json(i), json.dumps(p, separators=(",", ":")), "product_json(%d)" % i)
            t.eq((c.sku(i), c.name(i), c.index_of_sku(p["sku"].lower())), (p["sku"], p["name"], i),
                 "accessors %d" % i)
            if c.role[i] == mg_gen.ROLE_CHILD:
                assert i + 1 in c.product(c.parent[i])["extension_attributes"]["configurable_product_links"]
    params = [("oauth_consumer_key", "9djdj82h48djs9d2"), ("oauth_token", "kkk9d7dh3k39sjv7"),
              ("oauth_signature_method", "HMAC-SHA1"), ("oauth_timestamp", "137131201"),
              ("oauth_nonce", "7d8f3e4a"),
              ("b5", "=%3D"), ("a3", "a"), ("c@", ""), ("a2", "r b"), ("c2", ""), ("a3", "2 q")]
    want = ("POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
            "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
            "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
            "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
            "9d7dh3k39sjv7")
    uri = mg_auth.base_uri("http", "Example.COM:80", "/request")
    t.eq(mg_auth.base_string("POST", uri, params), want, "RFC 5849 base string")
    t.eq(mg_auth.base_uri("https", "h:443", "/a%20b"), "https://h/a%20b", "default port dropped")


def test_tls(t):
    cert, key = t.path("cert.pem"), t.path("key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       capture_output=True)
    if r.returncode != 0:
        print("test_tls: openssl unavailable, skipped")
        return
    p, base = start(t, "--products", "5", "--orders", "0", "--tls-cert", cert, "--tls-key", key)
    https = base.replace("http://", "https://")
    import ssl
    ctx = ssl.create_default_context(cafile=cert)
    ctx.check_hostname = False
    req = urllib.request.Request(https + "/rest/all/V1/store/storeConfigs",
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        d = json.loads(resp.read())
    assert d[0]["base_url"].startswith("https://"), d[0]["base_url"]
    try:
        urllib.request.urlopen(https + "/rest/all/V1/store/storeViews", timeout=10)
        raise AssertionError("an untrusted certificate was accepted")
    except urllib.error.URLError as e:
        assert "CERTIFICATE_VERIFY_FAILED" in str(e), e
    # the plain and broken handshakes do not stall the server
    s = socket.create_connection(base[len("http://"):].split(":"), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\n\r\n")
    s.close()
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        t.eq(resp.status, 200, "still serving")


def test_scale(t):
    """A million products, generated on demand: fast start, flat memory,
    deep pages and SKU lookups as fast as the first ones."""
    t0 = time.time()
    p, base = start(t, "--products", "1000000", "--orders", "100000")
    started = time.time() - t0
    times = []
    for page in (1, 2000, 3999):
        a = time.time()
        r = ok(base, "/rest/all/V1/products?" + sc(size=250, page=page))
        times.append(time.time() - a)
        t.eq(len(r["items"]), 250, "page %d" % page)
    sku = r["items"][-1]["sku"]
    a = time.time()
    one = ok(base, "/rest/all/V1/products?" + sc([[("sku", sku, "eq")]]))
    lookup = time.time() - a
    t.eq(one["total_count"], 1, "sku lookup in a million")
    orders = ok(base, "/rest/all/V1/orders?" + sc([[("created_at", "2000-01-01 00:00:00", "gteq")],
                                                    [("status", "pending,processing", "in")]],
                                                   [("created_at", "ASC")], size=50, page=3))
    assert len(orders["items"]) == 50, orders["total_count"]
    with open("/proc/%d/status" % p.pid) as f:
        rss = [int(ln.split()[1]) for ln in f if ln.startswith("VmRSS")][0] // 1024
    print("test_scale: start %.1fs, page of 250: %s ms, sku lookup %.0f ms, RSS %d MB" % (
        started, ", ".join("%.0f" % (x * 1000) for x in times), lookup * 1000, rss))
    assert rss < 600, "RSS %d MB" % rss
    assert max(times) < 2.0 and lookup < 0.5, times


test_scale.limit = 120
