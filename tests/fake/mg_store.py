"""mg_store.py - the fake Magento's state and its REST behaviour.

Generated data (mg_gen) is never copied wholesale: a product or order is
materialised into `mut` / `order_mut` only when something writes to it, and
explicit data (POST /__state/...) lives beside it.  Every write goes through
one lock; readers get immutable snapshots (writers copy, modify, replace).

Each handler returns (status, payload) where payload is a JSON-able object
or a `Raw` (already serialised JSON text, used by the fast list path)."""
import base64
import copy
import json
import re
import threading
import time

import mg_gen
from mg_search import TYPE_INVALID, BadRequest, Criteria, apply_sorts

PRODUCT_404 = "The product that was requested doesn't exist. Verify the product and try again."
ENTITY_404 = "The entity that was requested doesn't exist. Verify the entity and try again."

# product fields a write through a store view stores as store-view values
STORE_SCOPED = {"name", "status", "visibility"}
STORE_SCOPED_ATTRS = {"description", "short_description", "url_key", "meta_title",
                      "meta_keyword", "meta_description", "special_price",
                      "special_from_date", "special_to_date", "image_label",
                      "small_image_label", "thumbnail_label"}


class Raw:
    """Serialised JSON text the server sends as is."""
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


class NotFound(BadRequest):
    def __init__(self, message, parameters=None):
        super().__init__(message, parameters, 404)


def now_str():
    return mg_gen.fmt_time(time.time())


def attr(product, code):
    for a in product.get("custom_attributes") or ():
        if a.get("attribute_code") == code:
            return a.get("value")
    return None


def strip_stock(p):
    ext = p.get("extension_attributes")
    if not ext or "stock_item" not in ext:
        return p
    q = dict(p)
    ext = dict(ext)
    del ext["stock_item"]
    q["extension_attributes"] = ext
    return q


def dict_field(d, field):
    """A record's value for a searchCriteria field (None when absent)."""
    if field in d:
        return d[field]
    if field == "entity_id" and "id" in d:
        return d["id"]
    if field == "category_id":
        links = (d.get("extension_attributes") or {}).get("category_links") or []
        return [l.get("category_id") for l in links]
    for a in d.get("custom_attributes") or ():
        if a.get("attribute_code") == field:
            return a.get("value")
    return None


class FragCache:
    """Serialised list items of unmodified generated products, bounded by
    bytes; cleared whole when full (cheap and thread-safe enough)."""

    def __init__(self, max_bytes):
        self.max = max_bytes
        self.d = {}
        self.size = 0
        self.lock = threading.Lock()

    def get(self, k):
        return self.d.get(k)

    def put(self, k, text):
        if self.max <= 0:
            return
        with self.lock:
            if self.size + len(text) > self.max:
                self.d.clear()
                self.size = 0
            if k not in self.d:
                self.d[k] = text
                self.size += len(text)


class ResultCache:
    """The last few filtered/sorted id lists, so paging through a filtered
    scan costs one scan, not one per page."""

    def __init__(self, n=8):
        self.n = n
        self.d = {}
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            return self.d.get(key)

    def put(self, key, value):
        with self.lock:
            if len(self.d) >= self.n:
                self.d.pop(next(iter(self.d)))
            self.d[key] = value


class Config:
    def __init__(self):
        self.msi = True
        self.legacy_last_page = False
        self.input_limit = False
        self.max_page_size = 300
        self.default_page_size = 20
        self.put_unknown = "create"      # or "404"
        self.scalar_ids = "string"       # or "number"
        self.encoded_slash = "route"     # route | apache | allow
        self.stores = ["default"]
        self.sources = ["default"]
        self.timezone = "America/Chicago"

    SETTABLE = {"msi": bool, "legacy_last_page": bool, "input_limit": bool,
                "max_page_size": int, "default_page_size": int,
                "put_unknown": str, "scalar_ids": str, "encoded_slash": str}

    def describe(self):
        return {k: getattr(self, k) for k in list(self.SETTABLE) + ["stores", "sources"]}


class Store:
    def __init__(self, cfg, catalog, orders, cache_mb=256):
        self.cfg = cfg
        self.cat = catalog
        self.gen_orders = orders
        self.lock = threading.RLock()
        self.version = 0
        self.mut = {}            # eid -> admin product dict (with stock_item)
        self.created = set()     # eids beyond the generated range
        self.extra_sku = {}      # casefold sku -> eid (created / explicit)
        self.deleted = set()
        self.store_over = {}     # store code -> {eid: {"fields": {}, "attrs": {}}}
        self.source_over = {}    # eid -> {source_code: [qty, status]}
        self.next_eid = catalog.n + 1
        self.next_media = (catalog.n + 2) * 4 + 1000
        self.next_option = (catalog.n + 2) * 2 + 1000
        self.order_mut = {}      # order id -> dict
        self.order_extra = set()
        self.next_order = orders.count + 1
        self.next_history = 1
        self.shipments = []      # created through the API (and explicit)
        self.ship_by_order = {}  # order id -> [shipment]
        self.next_shipment = len(orders.shipped_index()) + 1
        self.product_writes = []  # every catalogue write, in order
        self.comments = []
        self.frags = FragCache(cache_mb * 1024 * 1024)
        self.results = ResultCache()
        self.delay_ship = None   # {"ms": N, "reset": bool}

    # -- helpers ------------------------------------------------------------
    def scalar(self, n):
        return str(n) if self.cfg.scalar_ids == "string" else n

    def bump(self):
        self.version += 1

    def find(self, sku):
        """Entity id of a SKU (case-insensitive like Magento), or None."""
        if not isinstance(sku, str) or sku == "":
            return None
        eid = self.extra_sku.get(sku.casefold())
        if eid is not None:
            return None if eid in self.deleted else eid
        i = self.cat.index_of_sku(sku)
        if i < 0:
            return None
        eid = i + 1
        if eid in self.deleted:
            return None
        p = self.mut.get(eid)
        if p is not None and p["sku"].casefold() != sku.casefold():
            return None     # an explicit product took over this entity id
        return eid

    def admin(self, eid):
        p = self.mut.get(eid)
        if p is not None:
            return p
        return self.cat.product(eid - 1)

    def view(self, eid, scope):
        """The product as read through a scope ("all" or a store code)."""
        p = self.admin(eid)
        if scope != "all":
            over = self.store_over.get(scope, {}).get(eid)
            if over:
                p = copy.deepcopy(p)
                p.update(over["fields"])
                for code, v in over["attrs"].items():
                    _set_attr(p, code, v)
        return p

    def product_ids(self):
        """Every live product id in entity order (list, or range when the
        generated range is untouched)."""
        n = self.cat.n
        if not self.deleted and not self.created:
            return range(1, n + 1)
        key = ("ids", self.version)
        hit = self.results.get(key)
        if hit is not None:
            return hit
        if self.deleted:
            ids = [e for e in range(1, n + 1) if e not in self.deleted]
        else:
            ids = list(range(1, n + 1))
        ids.extend(sorted(e for e in self.created if e not in self.deleted))
        self.results.put(key, ids)
        return ids

    def pristine(self, eid, scope):
        return (eid <= self.cat.n and eid not in self.mut and
                (scope == "all" or eid not in self.store_over.get(scope, {})))

    def pfield(self, eid, field, scope):
        if self.pristine(eid, scope):
            i = eid - 1
            c = self.cat
            if field == "sku":
                return c.sku(i)
            if field in ("entity_id", "id"):
                return eid
            if field == "type_id":
                return c.type_id(i)
            if field == "name":
                return c.name(i)
            if field == "price":
                return mg_gen.money(c.price_cents(i))
            if field == "status":
                return c.status(i)
            if field == "visibility":
                return c.visibility(i)
            if field == "created_at":
                return mg_gen.fmt_time(c.created_ts(i))
            if field == "updated_at":
                return mg_gen.fmt_time(c.updated_ts(i))
            if field == "attribute_set_id":
                return c.attribute_set_id(i)
            if field == "category_id":
                return [str(x) for x in c.category_ids(i)]
            if field == "url_key":
                return c.url_key(i)
        return dict_field(self.view(eid, scope), field)

    # -- paging ---------------------------------------------------------
    def criteria(self, query, required=True):
        # getList(SearchCriteriaInterface $searchCriteria) has no default in
        # most repositories: Magento refuses a request without the parameter
        # (clients send "searchCriteria=" for everything).
        if required and "searchCriteria" not in query:
            raise BadRequest('"%fieldName" is required. Enter and try again.',
                             {"fieldName": "searchCriteria"})
        crit = Criteria.from_query(query)
        cfg = self.cfg
        if cfg.input_limit:
            if crit.page_size is not None and crit.page_size > cfg.max_page_size:
                raise BadRequest("Maximum SearchCriteria pageSize is %max",
                                 {"max": cfg.max_page_size})
            if crit.page_size is None:
                crit.page_size = cfg.default_page_size
        return crit

    def _select(self, kind, crit, ids, get, sku_lookup=None, scope=""):
        """Filter and sort ids; cached per (criteria, state version)."""
        if not crit.groups and not crit.sorts:
            return ids
        key = (kind, scope, self.version,
               repr([[(f.field, f.value, f.condition) for f in g] for g in crit.groups]),
               repr(crit.sorts))
        hit = self.results.get(key)
        if hit is not None:
            return hit
        cand = None
        if sku_lookup is not None:
            cand = sku_lookup(crit)
        src = cand if cand is not None else ids
        out = [x for x in src if crit.match(lambda f, x=x: get(x, f))]
        if crit.sorts:
            apply_sorts(out, crit.sorts, get)
        self.results.put(key, out)
        return out

    def _page(self, crit, ids):
        start, end = crit.window(len(ids), self.cfg.legacy_last_page)
        return ids[start:end], len(ids)

    # -- products -------------------------------------------------------------
    def _sku_candidates(self, crit):
        """Ids from a group that only filters sku/entity_id with eq/in: the
        other groups are AND-ed, so these candidates suffice."""
        for g in crit.groups:
            if not g:
                continue
            out = set()
            ok = True
            for f in g:
                if f.condition not in ("eq", "in") or f.field not in ("sku", "entity_id", "id"):
                    ok = False
                    break
                vals = f.value.split(",") if f.condition == "in" else [f.value]
                for v in vals:
                    if f.field == "sku":
                        eid = self.find(v.rstrip(" "))
                    else:
                        try:
                            eid = int(float(v))
                        except ValueError:
                            eid = None
                        if eid is not None and not self.exists(eid):
                            eid = None
                    if eid is not None:
                        out.add(eid)
            if ok:
                return sorted(out)
        return None

    def exists(self, eid):
        if eid in self.deleted:
            return False
        return eid <= self.cat.n or eid in self.created

    def list_products(self, scope, query, fields=None):
        crit = self.criteria(query)
        with self.lock:
            ids = self.product_ids()
            sel = self._select("products", crit, ids,
                               lambda e, f: self.pfield(e, f, scope),
                               self._sku_candidates, scope)
            page, total = self._page(crit, sel)
            pristine = [self.pristine(e, scope) for e in page]
            views = {e: strip_stock(self.view(e, scope))
                     for e, pr in zip(page, pristine) if not pr or fields}
        if fields is not None:
            items = [views[e] if e in views else strip_stock(self.view(e, scope)) for e in page]
            return 200, {"items": items, "search_criteria": crit.echo(), "total_count": total}
        frags = []
        for e, pr in zip(page, pristine):
            if pr:
                t = self.frags.get(e)
                if t is None:
                    t = self.cat.product_json(e - 1)
                    self.frags.put(e, t)
                frags.append(t)
            else:
                frags.append(json.dumps(views[e], separators=(",", ":")))
        text = ('{"items":[' + ",".join(frags) + '],"search_criteria":' +
                json.dumps(crit.echo(), separators=(",", ":")) +
                ',"total_count":' + str(total) + "}")
        return 200, Raw(text)

    def warm(self):
        for e in range(1, self.cat.n + 1):
            if self.frags.size + 65536 > self.frags.max:
                break       # full: stop before put() would clear the cache
            self.frags.put(e, self.cat.product_json(e - 1))

    def get_product(self, scope, sku):
        with self.lock:
            eid = self.find(sku)
            if eid is None:
                raise NotFound(PRODUCT_404)
            return 200, self.view(eid, scope)

    def delete_product(self, scope, sku):
        with self.lock:
            eid = self.find(sku)
            if eid is None:
                raise NotFound(PRODUCT_404)
            self.deleted.add(eid)
            self.extra_sku.pop(sku.casefold(), None)
            self._log_write("DELETE", sku, scope, {})
            self.bump()
        return 200, True

    def save_product(self, scope, sku_path, body, method):
        """PUT /V1/products/{sku} and POST /V1/products."""
        prod = body.get("product") if isinstance(body, dict) else None
        if not isinstance(prod, dict):
            raise BadRequest('"%fieldName" is required. Enter and try again.', {"fieldName": "product"})
        prod = dict(prod)
        if sku_path is not None:
            prod["sku"] = sku_path      # the path wins (webapi force="true")
        sku = prod.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            raise BadRequest('"%fieldName" is required. Enter and try again.', {"fieldName": "sku"})
        with self.lock:
            eid = self.find(sku)
            if eid is None:
                if method == "PUT" and self.cfg.put_unknown == "404":
                    raise NotFound(PRODUCT_404)
                eid = self._create(prod, scope)
            else:
                self._update(eid, prod, scope)
            self._log_write(method, sku, scope, prod)
            self.bump()
            return 200, self.view(eid, scope)

    def _log_write(self, method, sku, scope, payload):
        fields = sorted(k for k in payload if k not in ("sku",))
        attrs = sorted(a.get("attribute_code") for a in payload.get("custom_attributes") or ()
                       if isinstance(a, dict))
        ext = sorted((payload.get("extension_attributes") or {}).keys())
        self.product_writes.append({"seq": len(self.product_writes) + 1, "at": time.time(),
                                    "method": method, "sku": sku, "scope": scope,
                                    "fields": fields, "custom_attributes": attrs,
                                    "extension_attributes": ext})

    def _url_key_taken(self, key, eid):
        m = re.search(r"-(\d+)$", key)
        if m:
            other = int(m.group(1))
            if other != eid and other <= self.cat.n and self.exists(other) and \
                    other not in self.mut and self.cat.url_key(other - 1) == key:
                return True
        for e, p in self.mut.items():
            if e != eid and self.exists(e) and attr(p, "url_key") == key:
                return True
        return False

    def _create(self, prod, scope):
        name = prod.get("name")
        ptype = prod.get("type_id") or "simple"
        if not name:
            raise BadRequest('The "%1" attribute value is empty. Set the attribute and try again.', ["name"])
        if prod.get("price") is None and ptype not in ("configurable", "bundle", "grouped"):
            raise BadRequest('The "%1" attribute value is empty. Set the attribute and try again.', ["price"])
        eid = self.next_eid
        key = attr(prod, "url_key") or "%s" % mg_gen.slug(name)
        if self._url_key_taken(key, eid):
            raise BadRequest("URL key for specified store already exists.")
        self.next_eid += 1
        ts = now_str()
        p = {"id": eid, "sku": prod["sku"], "name": name,
             "attribute_set_id": prod.get("attribute_set_id", 4),
             "price": prod.get("price", 0), "status": prod.get("status", 1),
             "visibility": prod.get("visibility", 4), "type_id": ptype,
             "created_at": ts, "updated_at": ts}
        if ptype in ("simple",):
            p["weight"] = prod.get("weight", 1)
        p["extension_attributes"] = {"website_ids": [1], "category_links": [],
                                     "stock_item": self._new_stock(eid)}
        p["product_links"] = []
        p["options"] = []
        p["media_gallery_entries"] = []
        p["tier_prices"] = []
        p["custom_attributes"] = [{"attribute_code": "url_key", "value": key},
                                  {"attribute_code": "options_container", "value": "container2"},
                                  {"attribute_code": "required_options", "value": "0"},
                                  {"attribute_code": "has_options", "value": "0"},
                                  {"attribute_code": "tax_class_id", "value": "2"},
                                  {"attribute_code": "category_ids", "value": []}]
        self.mut[eid] = p
        self.created.add(eid)
        self.extra_sku[prod["sku"].casefold()] = eid
        self.source_over[eid] = {self.cfg.sources[0]: [0, 0]}
        self._update(eid, {k: v for k, v in prod.items() if k not in ("id",)}, scope, creating=True)
        return eid

    def _new_stock(self, eid):
        s = self.cat.stock_item(0, qty=0, in_stock=False)
        s["item_id"] = eid
        s["product_id"] = eid
        return s

    def _update(self, eid, prod, scope, creating=False):
        p = copy.deepcopy(self.admin(eid))
        over = None
        if scope != "all":
            over = self.store_over.setdefault(scope, {}).setdefault(eid, {"fields": {}, "attrs": {}})
        for k, v in prod.items():
            if k in ("sku", "id", "created_at", "updated_at"):
                continue
            if k in STORE_SCOPED and over is not None:
                over["fields"][k] = v
                if creating:
                    p[k] = v
                continue
            if k == "custom_attributes":
                for a in v or ():
                    if not isinstance(a, dict) or "attribute_code" not in a:
                        continue
                    code = a["attribute_code"]
                    if code in STORE_SCOPED_ATTRS and over is not None:
                        over["attrs"][code] = a.get("value")
                        if creating:
                            _set_attr(p, code, a.get("value"))
                        continue
                    if code == "url_key" and a.get("value") and self._url_key_taken(a["value"], eid):
                        raise BadRequest("URL key for specified store already exists.")
                    _set_attr(p, code, a.get("value"))
                continue
            if k == "extension_attributes":
                self._update_ext(eid, p, v or {})
                continue
            if k == "media_gallery_entries":
                p[k] = self._sync_media(p, v or [])
                continue
            p[k] = v
        p["updated_at"] = now_str()
        self.mut[eid] = p
        if over is not None and not over["fields"] and not over["attrs"]:
            del self.store_over[scope][eid]

    def _update_ext(self, eid, p, ext):
        cur = dict(p.get("extension_attributes") or {})
        for k, v in ext.items():
            if k == "stock_item" and isinstance(v, dict):
                st = dict(cur.get("stock_item") or self._new_stock(eid))
                st.update({kk: vv for kk, vv in v.items() if kk not in ("item_id", "product_id")})
                if "qty" in v and "is_in_stock" not in v and st.get("qty") is not None:
                    st["is_in_stock"] = bool(st.get("is_in_stock")) or float(st["qty"]) > 0
                if "max_sale_qty" in v and "use_config_max_sale_qty" not in v:
                    st["use_config_max_sale_qty"] = False
                cur["stock_item"] = st
                self._sync_default_source(eid, st)
            elif k == "category_links":
                cur[k] = [{"position": l.get("position", 0), "category_id": str(l.get("category_id"))}
                          for l in v or () if isinstance(l, dict)]
                _set_attr(p, "category_ids", [l["category_id"] for l in cur[k]])
            elif k == "configurable_product_options":
                opts = []
                for o in v or ():
                    o = dict(o)
                    if "id" not in o:
                        o["id"] = self.next_option
                        self.next_option += 1
                    o["product_id"] = eid
                    opts.append(o)
                cur[k] = opts
            else:
                cur[k] = v
        p["extension_attributes"] = cur

    def _sync_default_source(self, eid, st):
        srcs = self.sources_of(eid)
        q = st.get("qty") or 0
        srcs[self.cfg.sources[0]] = [q, 1 if st.get("is_in_stock") else 0]
        self.source_over[eid] = srcs

    def _sync_media(self, p, entries):
        """Magento replaces the gallery with the given entries: known ids are
        kept (and updated), new ones need content, others are removed."""
        old = {m["id"]: m for m in p.get("media_gallery_entries") or ()}
        out = []
        for e in entries:
            if not isinstance(e, dict):
                continue
            if e.get("id") in old:
                m = dict(old[e["id"]])
                for k in ("label", "position", "disabled", "types"):
                    if k in e:
                        m[k] = e[k]
                out.append(m)
            else:
                out.append(self._new_media(p, e, [x["file"] for x in out]))
        return out

    def _new_media(self, p, e, taken):
        content = e.get("content")
        if not isinstance(content, dict) or not content.get("base64_encoded_data"):
            raise BadRequest("The image content is invalid. Verify the content and try again.")
        try:
            data = base64.b64decode(content["base64_encoded_data"], validate=True)
        except (ValueError, TypeError):
            raise BadRequest("The image content must be valid base64 encoded data.")
        if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")
                or data[:6] in (b"GIF87a", b"GIF89a") or data[:4] == b"RIFF"):
            raise BadRequest("The image MIME type is not valid or not supported.")
        name = content.get("name") or "image.jpg"
        if re.search(r"[^A-Za-z0-9_.\-]", name):
            raise BadRequest("Provided image name contains forbidden characters.")
        base = name.lower()
        path = "/%s/%s/%s" % (base[0], base[1] if len(base) > 1 else "_", base)
        stem, dot, ext = path.rpartition(".")
        k = 1
        existing = set(taken) | {m["file"] for m in p.get("media_gallery_entries") or ()}
        while path in existing:
            path = "%s_%d.%s" % (stem, k, ext)
            k += 1
        mid = self.next_media
        self.next_media += 1
        return {"id": mid, "media_type": e.get("media_type", "image"),
                "label": e.get("label"), "position": e.get("position", 0),
                "disabled": bool(e.get("disabled", False)),
                "types": list(e.get("types") or []), "file": path}

    # -- media --------------------------------------------------------------
    def media_list(self, scope, sku):
        with self.lock:
            eid = self._need(sku)
            return 200, self.view(eid, scope).get("media_gallery_entries") or []

    def media_get(self, scope, sku, entry_id):
        with self.lock:
            eid = self._need(sku)
            for m in self.admin(eid).get("media_gallery_entries") or ():
                if str(m["id"]) == entry_id:
                    return 200, m
        raise NotFound("The image doesn't exist. Verify and try again.")

    def media_add(self, scope, sku, body):
        entry = body.get("entry") if isinstance(body, dict) else None
        if not isinstance(entry, dict):
            raise BadRequest('"%fieldName" is required. Enter and try again.', {"fieldName": "entry"})
        with self.lock:
            eid = self._need(sku)
            p = copy.deepcopy(self.admin(eid))
            m = self._new_media(p, entry, [])
            gallery = p.get("media_gallery_entries") or []
            for other in gallery:
                other["types"] = [t for t in other.get("types") or () if t not in m["types"]]
            gallery.append(m)
            p["media_gallery_entries"] = gallery
            for t in m["types"]:
                if t in ("image", "small_image", "thumbnail", "swatch_image"):
                    _set_attr(p, t, m["file"])
            self.mut[eid] = p
            self._log_write("POST media", sku, scope, {"media_gallery_entries": [m]})
            self.bump()
            return 200, self.scalar(m["id"])

    def media_delete(self, scope, sku, entry_id):
        with self.lock:
            eid = self._need(sku)
            p = copy.deepcopy(self.admin(eid))
            gallery = p.get("media_gallery_entries") or []
            keep = [m for m in gallery if str(m["id"]) != entry_id]
            if len(keep) == len(gallery):
                raise NotFound("No image with the provided ID was found. Verify the ID and try again.")
            p["media_gallery_entries"] = keep
            self.mut[eid] = p
            self._log_write("DELETE media", sku, scope, {"media_gallery_entries": []})
            self.bump()
            return 200, True

    def _need(self, sku):
        eid = self.find(sku)
        if eid is None:
            raise NotFound(PRODUCT_404)
        return eid

    # -- configurable products ---------------------------------------------
    def children(self, scope, sku):
        with self.lock:
            eid = self._need(sku)
            p = self.view(eid, scope)
            if p.get("type_id") != "configurable":
                return 200, []
            out = []
            for cid in (p.get("extension_attributes") or {}).get("configurable_product_links") or ():
                if self.exists(cid):
                    out.append(strip_stock(self.view(cid, scope)))
            return 200, out

    def add_child(self, scope, sku, body):
        child_sku = body.get("childSku") if isinstance(body, dict) else None
        if not isinstance(child_sku, str):
            raise BadRequest('"%fieldName" is required. Enter and try again.', {"fieldName": "childSku"})
        with self.lock:
            eid = self._need(sku)
            cid = self._need(child_sku)
            p = copy.deepcopy(self.admin(eid))
            ext = p.setdefault("extension_attributes", {})
            opts = ext.get("configurable_product_options") or []
            if not opts:
                raise BadRequest("The parent product doesn't have configurable product options.")
            links = list(ext.get("configurable_product_links") or [])
            if cid in links:
                raise BadRequest("The product is already attached.")
            child = self.admin(cid)
            codes = {str(mg_gen.COLOR_ATTR_ID): "color", str(mg_gen.SIZE_ATTR_ID): "size"}
            for o in opts:
                code = codes.get(str(o.get("attribute_id")), str(o.get("attribute_id")))
                if attr(child, code) is None:
                    raise BadRequest('The child product doesn\'t have the "%1" attribute value. '
                                     'Verify the value and try again.', [code])
            links.append(cid)
            ext["configurable_product_links"] = links
            p["type_id"] = "configurable"
            self.mut[eid] = p
            self._log_write("POST child", sku, scope, {"extension_attributes": {"configurable_product_links": links}})
            self.bump()
            return 200, True

    def options_all(self, scope, sku):
        with self.lock:
            p = self.admin(self._need(sku))
            if p.get("type_id") != "configurable":
                raise BadRequest('This is implemented for the "%1" configurable product only.', [sku])
            return 200, (p.get("extension_attributes") or {}).get("configurable_product_options") or []

    def option_get(self, scope, sku, oid):
        with self.lock:
            p = self.admin(self._need(sku))
            for o in (p.get("extension_attributes") or {}).get("configurable_product_options") or ():
                if str(o.get("id")) == oid:
                    return 200, o
        raise NotFound('The "%1" entity that was requested doesn\'t exist. Verify the entity and try again.', [oid])

    def option_add(self, scope, sku, body):
        opt = body.get("option") if isinstance(body, dict) else None
        if not isinstance(opt, dict):
            raise BadRequest('"%fieldName" is required. Enter and try again.', {"fieldName": "option"})
        if not opt.get("attribute_id"):
            raise BadRequest('"%fieldName" is required. Enter and try again.', {"fieldName": "attribute_id"})
        with self.lock:
            eid = self._need(sku)
            p = copy.deepcopy(self.admin(eid))
            if p.get("type_id") not in ("simple", "virtual", "configurable"):
                raise BadRequest("This is implemented for the \"%1\" configurable product only.", [sku])
            ext = p.setdefault("extension_attributes", {})
            opts = list(ext.get("configurable_product_options") or [])
            o = {k: v for k, v in opt.items() if k != "id"}
            o["attribute_id"] = str(o["attribute_id"])
            o["product_id"] = eid
            for k, old in enumerate(opts):
                if str(old.get("attribute_id")) == o["attribute_id"]:
                    o["id"] = old["id"]
                    opts[k] = o
                    break
            else:
                o["id"] = self.next_option
                self.next_option += 1
                opts.append(o)
            ext["configurable_product_options"] = opts
            ext.setdefault("configurable_product_links", [])
            p["type_id"] = "configurable"
            self.mut[eid] = p
            self._log_write("POST option", sku, scope, {"extension_attributes": {"configurable_product_options": [o]}})
            self.bump()
            return 200, self.scalar(o["id"])

    # -- stock --------------------------------------------------------------
    def sources_of(self, eid):
        """{source_code: [qty, status]} for a product (copy)."""
        over = self.source_over.get(eid)
        if over is not None:
            return {k: list(v) for k, v in over.items()}
        out = {}
        mutated_parent = eid in self.mut and self.mut[eid].get("type_id") == "configurable"
        if eid <= self.cat.n and self.cat.has_stock(eid - 1) and not mutated_parent:
            i = eid - 1
            q = self.cat.qty(i)
            out[self.cfg.sources[0]] = [q, 1 if q > 0 else 0]
            q2 = self.cat.second_qty(i)
            if q2 is not None:
                out[self.cfg.sources[1]] = [q2, 1 if q2 > 0 else 0]
        return out

    def stock_item(self, eid):
        p = self.mut.get(eid)
        if p is not None:
            st = (p.get("extension_attributes") or {}).get("stock_item")
            return st or self._new_stock(eid)
        return self.cat.stock_item(eid - 1)

    def get_stock(self, sku):
        with self.lock:
            return 200, self.stock_item(self._need(sku))

    def put_stock(self, scope, sku, item_id, body):
        st = body.get("stockItem") if isinstance(body, dict) else None
        if not isinstance(st, dict):
            raise BadRequest('"%fieldName" is required. Enter and try again.', {"fieldName": "stockItem"})
        with self.lock:
            eid = self._need(sku)
            p = copy.deepcopy(self.admin(eid))
            self._update_ext(eid, p, {"stock_item": st})
            p["updated_at"] = now_str()
            self.mut[eid] = p
            self._log_write("PUT stockItems", sku, scope, {"extension_attributes": {"stock_item": st}})
            self.bump()
            return 200, self.scalar(self.stock_item(eid).get("item_id", eid))

    def low_stock(self, query):
        flat = {k: v for k, v in query.items() if isinstance(v, str)}
        if "qty" not in flat:
            raise BadRequest('"%fieldName" is required. Enter and try again.', {"fieldName": "qty"})
        try:
            limit = float(flat["qty"])
            page = int(flat.get("currentPage") or 1)
            size = int(flat.get("pageSize") or 0)
        except ValueError:
            raise BadRequest(TYPE_INVALID, [flat.get("qty"), "float"])
        with self.lock:
            key = ("lowstock", self.version, limit)
            ids = self.results.get(key)
            if ids is None:
                ids = []
                for e in self.product_ids():
                    if self.pristine(e, "all"):
                        if not self.cat.has_stock(e - 1) or self.cat.qty(e - 1) > limit:
                            continue
                        ids.append(e)
                    else:
                        p = self.admin(e)
                        if p.get("type_id") == "configurable":
                            continue
                        if float(self.stock_item(e).get("qty") or 0) <= limit:
                            ids.append(e)
                self.results.put(key, ids)
            total = len(ids)
            if size > 0:
                page = max(1, page)
                start = (page - 1) * size
                if start >= total and self.cfg.legacy_last_page and total:
                    start = ((total + size - 1) // size - 1) * size
                sel = ids[start:start + size]
            else:
                sel = ids
            items = [self.stock_item(e) for e in sel]
        mapper = "Magento\\CatalogInventory\\Model\\ResourceModel\\Stock\\Item\\StockItemCriteriaMapper"
        crit = {"mapper_interface_name": mapper,
                "criteria_list": [], "filters": [], "orders": [],
                "limit": [str(page), str(size)] if size > 0 else []}
        return 200, {"items": items, "search_criteria": crit, "total_count": total}

    # -- MSI source items ---------------------------------------------------
    def _source_pairs(self):
        """[(eid, source number)] in source_item_id order (lazy)."""
        key = ("srcpairs", self.version)
        hit = self.results.get(key)
        if hit is not None:
            return hit
        if not self.deleted and not self.created and not self.source_over:
            prods, srcs = self.cat.stock_index()
            hit = _Pairs(prods, srcs, self.cfg.sources)
        else:
            prods, srcs = self.cat.stock_index()
            out = []
            for k in range(len(prods)):
                e = prods[k] + 1
                if e in self.deleted or e in self.source_over:
                    continue
                out.append((e, self.cfg.sources[srcs[k]]))
            for e in sorted(self.source_over):
                if e in self.deleted:
                    continue
                for code in self.source_over[e]:
                    out.append((e, code))
            hit = out
        self.results.put(key, hit)
        return hit

    def source_item(self, e, code):
        q, status = self.sources_of(e).get(code, [0, 0])
        return {"sku": self.sku_of(e), "source_code": code, "quantity": q, "status": status}

    def sku_of(self, e):
        p = self.mut.get(e)
        if p is not None:
            return p["sku"]
        return self.cat.sku(e - 1)

    def list_source_items(self, query):
        if not self.cfg.msi:
            raise NotFound("Request does not match any route.")
        crit = self.criteria(query)
        with self.lock:
            pairs = self._source_pairs()

            def get(pair, field):
                e, code = pair
                if field == "sku":
                    return self.sku_of(e)
                if field == "source_code":
                    return code
                return self.source_item(e, code).get(field)

            def by_sku(c):
                for g in c.groups:
                    if g and all(f.field == "sku" and f.condition in ("eq", "in") for f in g):
                        out = []
                        for f in g:
                            for v in (f.value.split(",") if f.condition == "in" else [f.value]):
                                eid = self.find(v.rstrip(" "))
                                if eid is not None:
                                    for code in self.sources_of(eid):
                                        out.append((eid, code))
                        return sorted(set(out), key=lambda x: (x[0], self.cfg.sources.index(x[1])
                                                              if x[1] in self.cfg.sources else 99))
                return None
            sel = self._select("source-items", crit, pairs, get, by_sku)
            page, total = self._page(crit, sel)
            items = [self.source_item(e, code) for e, code in page]
        return 200, {"items": items, "search_criteria": crit.echo(), "total_count": total}

    def list_sources(self, query):
        if not self.cfg.msi:
            raise NotFound("Request does not match any route.")
        crit = self.criteria(query, required=False)
        items = []
        for k, code in enumerate(self.cfg.sources):
            name = "Default Source" if code == "default" else code.replace("_", " ").title()
            items.append({"source_code": code, "name": name, "enabled": True,
                          "description": name, "latitude": 0, "longitude": 0,
                          "country_id": "US", "postcode": "%05d" % (k * 11111),
                          "use_default_carrier_config": True, "carrier_links": [],
                          "extension_attributes": {"is_pickup_location_active": False,
                                                   "frontend_name": name,
                                                   "frontend_description": None}})
        sel = [i for i in items if crit.match(lambda f, i=i: dict_field(i, f))]
        if crit.sorts:
            apply_sorts(sel, crit.sorts, lambda i, f: dict_field(i, f))
        page, total = self._page(crit, sel)
        return 200, {"items": page, "search_criteria": crit.echo(), "total_count": total}

    # -- categories ---------------------------------------------------------
    def category_tree(self, query):
        root = query.get("rootCategoryId")
        depth = query.get("depth")
        try:
            root = int(root) if isinstance(root, str) and root else 2
            depth = int(depth) if isinstance(depth, str) and depth else None
        except ValueError:
            raise BadRequest(TYPE_INVALID, [query.get("rootCategoryId"), "int"])
        c = self.cat.cats.by_id.get(root)
        if c is None:
            raise NotFound('No such entity with %fieldName = %fieldValue',
                           {"fieldName": "id", "fieldValue": root})
        counts = self.cat.category_counts()

        def node(cat, d):
            kids = []
            if depth is None or d < depth:
                kids = [node(k, d + 1) for k in cat.children]
            return {"id": cat.id, "parent_id": cat.parent_id, "name": cat.name,
                    "is_active": cat.is_active, "position": cat.position,
                    "level": cat.level, "product_count": counts.get(cat.id, 0),
                    "children_data": kids}
        return 200, node(c, 0)

    def category_list(self, query):
        crit = self.criteria(query)
        items = []
        for c in sorted(self.cat.cats.by_id.values(), key=lambda x: x.id):
            items.append({"id": c.id, "parent_id": c.parent_id, "name": c.name,
                          "is_active": c.is_active, "position": c.position,
                          "level": c.level,
                          "children": ",".join(str(k.id) for k in c.children),
                          "created_at": c.created_at, "updated_at": c.created_at,
                          "path": c.path, "include_in_menu": c.include_in_menu,
                          "custom_attributes": [
                              {"attribute_code": "url_key", "value": mg_gen.slug(c.name)},
                              {"attribute_code": "url_path", "value": "/".join(
                                  mg_gen.slug(x.name) for x in self.cat.cats.chain(c.id))},
                              {"attribute_code": "is_anchor", "value": "1"},
                              {"attribute_code": "children_count", "value": str(len(c.children))}]})
        sel = [i for i in items if crit.match(lambda f, i=i: dict_field(i, f))]
        if crit.sorts:
            apply_sorts(sel, crit.sorts, lambda i, f: dict_field(i, f))
        page, total = self._page(crit, sel)
        return 200, {"items": page, "search_criteria": crit.echo(), "total_count": total}

    # -- orders -------------------------------------------------------------
    def order(self, oid):
        o = self.order_mut.get(oid)
        if o is not None:
            return o
        if 1 <= oid <= self.gen_orders.count:
            return self.gen_orders.order(oid - 1)
        return None

    def order_ids(self):
        if not self.order_extra:
            return range(1, self.gen_orders.count + 1)
        return list(range(1, self.gen_orders.count + 1)) + sorted(self.order_extra)

    def ofield(self, oid, field):
        if oid not in self.order_mut and oid <= self.gen_orders.count:
            j = oid - 1
            g = self.gen_orders
            if field == "entity_id":
                return oid
            if field == "increment_id":
                return g.increment_id(j)
            if field == "status":
                return g.status(j)
            if field == "state":
                return mg_gen.STATUS_STATE.get(g.status(j))
            if field == "created_at":
                return mg_gen.fmt_time(g.created_ts(j))
            if field == "updated_at":
                return mg_gen.fmt_time(g.updated_ts(j))
            if field == "store_id":
                return 1
            if field == "is_virtual":
                return 1 if g.is_virtual(j) else 0
        o = self.order(oid)
        return dict_field(o, field) if o is not None else None

    def list_orders(self, query):
        crit = self.criteria(query)
        with self.lock:
            def ids_of(c):
                for g in c.groups:
                    if g and all(f.field in ("entity_id", "increment_id") and f.condition in ("eq", "in")
                                 for f in g):
                        out = set()
                        for f in g:
                            for v in (f.value.split(",") if f.condition == "in" else [f.value]):
                                try:
                                    oid = int(v)
                                except ValueError:
                                    continue
                                if self.order(oid) is not None:
                                    out.add(oid)
                        return sorted(out)
                return None
            sel = self._select("orders", crit, self.order_ids(), self.ofield, ids_of)
            page, total = self._page(crit, sel)
            items = [self.order(o) for o in page]
        text = ('{"items":[' + ",".join(json.dumps(o, separators=(",", ":")) for o in items) +
                '],"search_criteria":' + json.dumps(crit.echo(), separators=(",", ":")) +
                ',"total_count":' + str(total) + "}")
        return 200, Raw(text)

    def get_order(self, oid):
        with self.lock:
            o = self.order(_int(oid))
            if o is None:
                raise NotFound(ENTITY_404)
            return 200, o

    def order_comments(self, oid):
        with self.lock:
            o = self.order(_int(oid))
            if o is None:
                raise NotFound(ENTITY_404)
            hist = o.get("status_histories") or []
            return 200, {"items": hist, "search_criteria": {"filter_groups": []},
                         "total_count": len(hist)}

    def add_comment(self, oid, body):
        h = body.get("statusHistory") if isinstance(body, dict) else None
        if not isinstance(h, dict):
            raise BadRequest('"%fieldName" is required. Enter and try again.', {"fieldName": "statusHistory"})
        with self.lock:
            o = self.order(_int(oid))
            if o is None:
                raise NotFound(ENTITY_404)
            o = copy.deepcopy(o)
            status = h.get("status")
            entry = {"comment": h.get("comment"), "created_at": now_str(),
                     "entity_id": self.next_history, "entity_name": "order",
                     "is_customer_notified": _int(h.get("is_customer_notified", 0)),
                     "is_visible_on_front": _int(h.get("is_visible_on_front", 0)),
                     "parent_id": o["entity_id"], "status": status}
            self.next_history += 1
            o["status_histories"] = [entry] + list(o.get("status_histories") or [])
            # Magento stores the history's status on the order as given:
            # a comment without one leaves the order with status null.
            o["status"] = status
            o["updated_at"] = now_str()
            self.order_mut[o["entity_id"]] = o
            self.comments.append(dict(entry, order_id=o["entity_id"]))
            self.bump()
            return 200, True

    def ship(self, oid, body):
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise BadRequest("Decoding error.")
        with self.lock:
            o = self.order(_int(oid))
            if o is None:
                raise NotFound(ENTITY_404)
            o = copy.deepcopy(o)
            msgs = []
            state = o.get("state")
            items = o.get("items") or []

            def to_ship(it):
                return (it.get("qty_ordered") or 0) - (it.get("qty_shipped") or 0) - \
                    (it.get("qty_canceled") or 0) - (it.get("qty_refunded") or 0)
            shippable = [it for it in items if not it.get("parent_item_id") and not it.get("is_virtual")]
            if state in ("holded", "canceled", "payment_review") or o.get("is_virtual"):
                msgs.append("A shipment cannot be created when an order has a status of %s" % o.get("status"))
            elif not any(to_ship(it) > 0 for it in shippable):
                msgs.append("The order does not allow a shipment to be created.")
            req = body.get("items") or []
            by_id = {it.get("item_id"): it for it in shippable}
            lines = []
            if not req:
                lines = [(it, to_ship(it)) for it in shippable if to_ship(it) > 0]
            else:
                for r in req:
                    if not isinstance(r, dict):
                        continue
                    it = by_id.get(_int(r.get("order_item_id")))
                    qty = _num(r.get("qty"))
                    if it is None or qty is None or qty <= 0:
                        continue    # unknown or child lines: dropped like Magento's factory
                    lines.append((it, qty))
            total = 0
            for it, qty in lines:
                if qty > to_ship(it):
                    msgs.append('The quantity to ship must not be greater than the unshipped quantity '
                                'for product SKU "%s".' % it.get("sku"))
                else:
                    total += qty
            if total <= 0:
                msgs.append("You can't create a shipment without products.")
            tracks = body.get("tracks") or []
            for t in tracks:
                if not isinstance(t, dict) or not t.get("track_number"):
                    msgs.append("Please enter a tracking number.")
            if msgs:
                raise BadRequest("Shipment Document Validation Error(s):\n" + "\n".join(msgs))
            sid = self.next_shipment
            self.next_shipment += 1
            ts = now_str()
            sitems = []
            for it, qty in lines:
                it["qty_shipped"] = (it.get("qty_shipped") or 0) + qty
                for child in items:
                    if child.get("parent_item_id") == it.get("item_id"):
                        child["qty_shipped"] = (child.get("qty_shipped") or 0) + qty
                sitems.append({"entity_id": sid * 16 + len(sitems) + 1, "parent_id": sid,
                               "order_item_id": it["item_id"], "qty": qty, "sku": it.get("sku"),
                               "name": it.get("name"), "price": it.get("price"),
                               "product_id": it.get("product_id"), "weight": it.get("weight")})
            comments = []
            c = body.get("comment")
            if isinstance(c, dict) and c.get("comment"):
                comments.append({"is_customer_notified": 1 if body.get("notify") else 0,
                                 "parent_id": sid, "comment": c.get("comment"),
                                 "is_visible_on_front": _int(c.get("is_visible_on_front", 0)),
                                 "created_at": ts, "entity_id": sid * 4})
            shipment = {
                "billing_address_id": o.get("billing_address_id"), "created_at": ts,
                "customer_id": o.get("customer_id"), "email_sent": 1 if body.get("notify") else 0,
                "entity_id": sid, "increment_id": "%09d" % sid, "order_id": o["entity_id"],
                "packages": [], "shipping_address_id": o["entity_id"] * 2, "store_id": o.get("store_id", 1),
                "total_qty": total, "updated_at": ts, "items": sitems,
                "tracks": [{"order_id": o["entity_id"], "created_at": ts, "entity_id": sid * 8 + k,
                            "parent_id": sid, "updated_at": ts, "weight": None, "qty": None,
                            "description": None, "track_number": t.get("track_number"),
                            "title": t.get("title"), "carrier_code": t.get("carrier_code")}
                           for k, t in enumerate(tracks)],
                "comments": comments,
                "extension_attributes": {"source_code": ((body.get("arguments") or {}).get(
                    "extension_attributes") or {}).get("source_code", self.cfg.sources[0])},
            }
            fully = all(to_ship(it) <= 0 for it in shippable)
            invoiced = (o.get("total_invoiced") or 0) >= (o.get("grand_total") or 0) > 0
            if fully and invoiced:
                o["state"], o["status"] = "complete", "complete"
            elif o.get("state") == "new":
                o["state"], o["status"] = "processing", "processing"
            o["updated_at"] = ts
            self.order_mut[o["entity_id"]] = o
            self.shipments.append({"request": body, "shipment": shipment})
            self.ship_by_order.setdefault(o["entity_id"], []).append(shipment)
            self.bump()
            delay = self.delay_ship
            self.delay_ship = None
        return 200, self.scalar(sid), delay

    def shipment_ids(self):
        n = len(self.gen_orders.shipped_index())
        return list(range(1, n + 1)) + [s["shipment"]["entity_id"] for s in self.shipments]

    def shipment(self, sid):
        idx = self.gen_orders.shipped_index()
        if 1 <= sid <= len(idx):
            j = idx[sid - 1]
            return self.gen_orders.shipment(sid - 1, self.gen_orders.order(j))
        for s in self.shipments:
            if s["shipment"]["entity_id"] == sid:
                return s["shipment"]
        return None

    def list_shipments(self, query):
        crit = self.criteria(query)
        with self.lock:
            def by_order(c):
                for g in c.groups:
                    if g and all(f.field == "order_id" and f.condition in ("eq", "in") for f in g):
                        out = []
                        idx = self.gen_orders.shipped_index()
                        for f in g:
                            for v in (f.value.split(",") if f.condition == "in" else [f.value]):
                                oid = _int(v)
                                lo, hi = 0, len(idx)
                                while lo < hi:
                                    mid = (lo + hi) // 2
                                    if idx[mid] < oid - 1:
                                        lo = mid + 1
                                    else:
                                        hi = mid
                                if lo < len(idx) and idx[lo] == oid - 1:
                                    out.append(lo + 1)
                                out.extend(s["entity_id"] for s in self.ship_by_order.get(oid, ()))
                        return sorted(set(out))
                return None
            sel = self._select("shipments", crit, self.shipment_ids(),
                               lambda s, f: dict_field(self.shipment(s), f), by_order)
            page, total = self._page(crit, sel)
            items = [self.shipment(s) for s in page]
        return 200, {"items": items, "search_criteria": crit.echo(), "total_count": total}

    # -- stores -------------------------------------------------------------
    def store_views(self):
        out = [{"id": 0, "code": "admin", "name": "Admin", "website_id": 0,
                "store_group_id": 0, "is_active": 1}]
        for k, code in enumerate(self.cfg.stores):
            out.append({"id": k + 1, "code": code,
                        "name": "Default Store View" if code == "default" else code.title() + " Store View",
                        "website_id": 1, "store_group_id": 1, "is_active": 1})
        return 200, out

    def store_configs(self, query, base_url):
        codes = [v for k, v in query.items() if k == "storeCodes" and isinstance(v, str)]
        sc = query.get("storeCodes")
        if isinstance(sc, dict):
            codes = list(sc.values())
        out = []
        for k, code in enumerate(self.cfg.stores):
            if codes and code not in codes:
                continue
            out.append({"id": k + 1, "code": code, "website_id": 1, "locale": "en_US",
                        "base_currency_code": "USD", "default_display_currency_code": "USD",
                        "timezone": self.cfg.timezone, "weight_unit": "lbs",
                        "base_url": base_url, "base_link_url": base_url,
                        "base_static_url": base_url + "static/version1709720000/",
                        "base_media_url": base_url + "media/",
                        "secure_base_url": base_url, "secure_base_link_url": base_url,
                        "secure_base_static_url": base_url + "static/version1709720000/",
                        "secure_base_media_url": base_url + "media/"})
        return 200, out

    # -- /__state -----------------------------------------------------------
    def describe(self):
        with self.lock:
            over = {}
            for code, per in self.store_over.items():
                for eid, o in per.items():
                    if not o["fields"] and not o["attrs"]:
                        continue
                    d = dict(o["fields"])
                    if o["attrs"]:
                        d["custom_attributes"] = dict(o["attrs"])
                    over.setdefault(code, {})[self.sku_of(eid)] = d
            return {
                "config": self.cfg.describe(),
                "counts": {"generated_products": self.cat.n,
                           "products": len(self.product_ids()),
                           "generated_orders": self.gen_orders.count,
                           "orders": len(self.order_ids()),
                           "shipments": len(self.shipment_ids())},
                "product_writes": list(self.product_writes),
                "products_created": [self.sku_of(e) for e in sorted(self.created)
                                     if e not in self.deleted],
                "products_deleted": [self.sku_of(e) if e in self.mut or e <= self.cat.n else e
                                     for e in sorted(self.deleted)],
                "store_overrides": over,
                "comments": list(self.comments),
                "shipments": [s["shipment"] for s in self.shipments],
                "ship_requests": [s["request"] for s in self.shipments],
            }

    def state_product(self, sku, scope):
        with self.lock:
            eid = self._need(sku)
            return self.view(eid, scope)

    def add_products(self, products):
        """Explicit products (POST /__state/products): each a product dict;
        missing fields get defaults; an "id" <= the generated range replaces
        that generated product.  Optional "qty", "sources" {code: qty}."""
        out = []
        with self.lock:
            for spec in products:
                spec = dict(spec)
                qty = spec.pop("qty", None)
                sources = spec.pop("sources", None)
                sku = spec.get("sku")
                if not isinstance(sku, str) or not sku:
                    raise BadRequest("every product needs a sku")
                eid = spec.get("id")
                if eid is None:
                    eid = self.find(sku)
                if eid is None:
                    eid = self.next_eid
                    self.next_eid += 1
                eid = int(eid)
                if eid <= self.cat.n:
                    old = self.cat.sku(eid - 1)
                    if old.casefold() != sku.casefold():
                        # the generated SKU disappears with it
                        self.extra_sku.pop(old.casefold(), None)
                else:
                    self.created.add(eid)
                    self.next_eid = max(self.next_eid, eid + 1)
                self.deleted.discard(eid)
                p = _default_product(eid, spec, self._new_stock(eid))
                if qty is not None:
                    p["extension_attributes"]["stock_item"].update(
                        {"qty": qty, "is_in_stock": float(qty) > 0})
                self.mut[eid] = p
                self.extra_sku[sku.casefold()] = eid
                if p["type_id"] != "configurable":
                    srcs = {self.cfg.sources[0]: [qty or 0, 1 if (qty or 0) > 0 else 0]}
                    for code, q in (sources or {}).items():
                        srcs[code] = [q, 1 if q > 0 else 0]
                    self.source_over[eid] = srcs
                else:
                    self.source_over[eid] = {}
                out.append({"sku": sku, "id": eid})
            self.bump()
        return out

    def add_orders(self, orders):
        out = []
        with self.lock:
            for spec in orders:
                oid = spec.get("entity_id")
                if oid is None:
                    oid = self.next_order
                oid = int(oid)
                self.next_order = max(self.next_order, oid + 1)
                o = _default_order(oid, spec)
                self.order_mut[oid] = o
                if oid > self.gen_orders.count:
                    self.order_extra.add(oid)
                out.append({"entity_id": oid, "increment_id": o["increment_id"]})
            self.bump()
        return out


class _Pairs:
    """The generated source-item enumeration as a read-only sequence."""

    def __init__(self, prods, srcs, names):
        self.prods = prods
        self.srcs = srcs
        self.names = list(names)

    def __len__(self):
        return len(self.prods)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self.prods)))]
        return (self.prods[k] + 1, self.names[self.srcs[k]])

    def __iter__(self):
        names = self.names
        for p, s in zip(self.prods, self.srcs):
            yield (p + 1, names[s])


def _set_attr(p, code, value):
    ca = [a for a in p.get("custom_attributes") or () if a.get("attribute_code") != code]
    if value is not None:
        ca.append({"attribute_code": code, "value": value})
    p["custom_attributes"] = ca


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return int(float(v))
        except (TypeError, ValueError):
            return -1


def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _default_product(eid, spec, stock):
    ts = now_str()
    ptype = spec.get("type_id", "simple")
    p = {"id": eid, "sku": spec["sku"], "name": spec.get("name", spec["sku"]),
         "attribute_set_id": 4, "price": 10, "status": 1,
         "visibility": 4, "type_id": ptype, "created_at": ts, "updated_at": ts}
    if ptype == "simple":
        p["weight"] = 1
    p["extension_attributes"] = {"website_ids": [1], "category_links": [], "stock_item": stock}
    if ptype == "configurable":
        p["extension_attributes"]["configurable_product_options"] = []
        p["extension_attributes"]["configurable_product_links"] = []
    p["product_links"] = []
    p["options"] = []
    p["media_gallery_entries"] = []
    p["tier_prices"] = []
    p["custom_attributes"] = [{"attribute_code": "url_key",
                               "value": "%s-%d" % (mg_gen.slug(p["name"]) or "product", eid)}]
    for k, v in spec.items():
        if k == "extension_attributes":
            ext = dict(p["extension_attributes"])
            for kk, vv in v.items():
                if kk == "stock_item":
                    st = dict(stock)
                    st.update(vv)
                    ext[kk] = st
                else:
                    ext[kk] = vv
            p[k] = ext
        elif k == "custom_attributes":
            for a in v:
                _set_attr(p, a["attribute_code"], a.get("value"))
        else:
            p[k] = v
    p["id"] = eid
    return p


def _default_order(oid, spec):
    """An explicit order: the caller's fields over a minimal valid order."""
    ts = now_str()
    o = {"entity_id": oid, "increment_id": "%09d" % oid, "state": "processing",
         "status": "processing", "created_at": ts, "updated_at": ts,
         "customer_email": "customer@example.com", "customer_firstname": "Test",
         "customer_lastname": "Customer", "base_grand_total": 0, "grand_total": 0,
         "subtotal": 0, "shipping_amount": 0, "order_currency_code": "USD",
         "store_id": 1, "is_virtual": 0, "items": [], "status_histories": [],
         "billing_address": {"address_type": "billing", "city": "Calder", "country_id": "US",
                             "firstname": "Test", "lastname": "Customer", "postcode": "49628-7978",
                             "street": ["6146 Honey Bluff Parkway"], "telephone": "(555) 229-3326",
                             "region": "Michigan", "region_code": "MI", "region_id": 33,
                             "email": "customer@example.com", "entity_id": oid * 2 - 1,
                             "parent_id": oid},
         "payment": {"account_status": None, "additional_information": ["Check / Money order"],
                     "cc_last4": None, "method": "checkmo", "entity_id": oid, "parent_id": oid}}
    o.update({k: v for k, v in spec.items() if k != "shipping"})
    o["entity_id"] = oid
    items = []
    for k, it in enumerate(o.get("items") or []):
        it = dict(it)
        it.setdefault("item_id", oid * 16 + k + 1)
        it.setdefault("order_id", oid)
        it.setdefault("qty_ordered", 1)
        it.setdefault("qty_shipped", 0)
        it.setdefault("qty_canceled", 0)
        it.setdefault("qty_refunded", 0)
        it.setdefault("product_type", "simple")
        it.setdefault("is_virtual", 1 if it["product_type"] == "virtual" else 0)
        it.setdefault("price", 0)
        it.setdefault("name", it.get("sku"))
        items.append(it)
    by_id = {it["item_id"]: it for it in items}
    for it in items:
        pid = it.get("parent_item_id")
        if pid in by_id and "parent_item" not in it:
            it["parent_item"] = dict(by_id[pid])
    o["items"] = items
    if o.get("is_virtual"):
        shipping = {"total": {"shipping_amount": 0}}
    else:
        shipping = {"address": dict(o["billing_address"], address_type="shipping", entity_id=oid * 2),
                    "method": "flatrate_flatrate", "total": {"shipping_amount": o.get("shipping_amount", 0)}}
        ship_spec = spec.get("shipping")
        if isinstance(ship_spec, dict):
            shipping.update(ship_spec)
    o.setdefault("extension_attributes", {})
    o["extension_attributes"] = dict(o["extension_attributes"])
    o["extension_attributes"].setdefault("shipping_assignments", [{"shipping": shipping, "items": items}])
    return o
