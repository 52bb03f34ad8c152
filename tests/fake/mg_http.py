"""mg_http.py - the fake Magento's HTTP side: routing under /rest, Magento's
error bodies, authentication and ACL, fault injection, the request journal
and the control API under /__ (see README.md)."""
import email.utils
import json
import math
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import mg_faults
from mg_auth import NOT_AUTHORIZED, AuthError
from mg_search import INTERNAL, BadRequest, nest, parse_query
from mg_store import Raw

ROUTE_404 = "Request does not match any route."
CATALOG = "Magento_Catalog::products"
MEDIA = "Magento_Catalog::catalog"
STOCK = "Magento_CatalogInventory::cataloginventory"
SALES_VIEW = "Magento_Sales::actions_view"
STORE = "Magento_Backend::store"

# (method, path after /V1/, handler, ACL resource); literal segments are
# tried before placeholders, as Magento prefers the more specific route.
ROUTES = [
    ("GET", "products", "r_list_products", CATALOG),
    ("POST", "products", "r_post_product", CATALOG),
    ("GET", "products/{sku}", "r_get_product", CATALOG),
    ("PUT", "products/{sku}", "r_put_product", CATALOG),
    ("DELETE", "products/{sku}", "r_delete_product", CATALOG),
    ("GET", "products/{sku}/media", "r_media_list", MEDIA),
    ("POST", "products/{sku}/media", "r_media_add", MEDIA),
    ("GET", "products/{sku}/media/{id}", "r_media_get", MEDIA),
    ("DELETE", "products/{sku}/media/{id}", "r_media_delete", MEDIA),
    ("PUT", "products/{sku}/stockItems/{id}", "r_put_stock", STOCK),
    ("GET", "stockItems/lowStock", "r_low_stock", STOCK),
    ("GET", "stockItems/{sku}", "r_get_stock", STOCK),
    ("GET", "categories", "r_category_tree", "Magento_Catalog::categories"),
    ("GET", "categories/list", "r_category_list", "Magento_Catalog::categories"),
    ("GET", "inventory/source-items", "r_source_items", "Magento_InventoryApi::source"),
    ("GET", "inventory/sources", "r_sources", "Magento_InventoryApi::source"),
    ("GET", "configurable-products/{sku}/children", "r_children", CATALOG),
    ("POST", "configurable-products/{sku}/child", "r_add_child", CATALOG),
    ("GET", "configurable-products/{sku}/options/all", "r_options_all", CATALOG),
    ("POST", "configurable-products/{sku}/options", "r_option_add", CATALOG),
    ("GET", "configurable-products/{sku}/options/{id}", "r_option_get", CATALOG),
    ("GET", "orders", "r_list_orders", SALES_VIEW),
    ("GET", "orders/{id}", "r_get_order", SALES_VIEW),
    ("GET", "orders/{id}/comments", "r_order_comments", SALES_VIEW),
    ("POST", "orders/{id}/comments", "r_add_comment", "Magento_Sales::comment"),
    ("POST", "order/{id}/ship", "r_ship", "Magento_Sales::ship"),
    ("GET", "shipments", "r_list_shipments", "Magento_Sales::shipment"),
    ("GET", "store/storeConfigs", "r_store_configs", STORE),
    ("GET", "store/storeViews", "r_store_views", STORE),
]
_COMPILED = [(m, tuple(p.split("/")), h, r) for m, p, h, r in ROUTES]

STATUS_TEXT = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
               429: "Too Many Requests", 500: "Internal Server Error",
               502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def match_route(method, segs):
    """(handler, resource, params) or None; `segs` are decoded segments."""
    best = None
    for m, pat, h, r in _COMPILED:
        if m != method or len(pat) != len(segs):
            continue
        params = {}
        lits = 0
        for p, s in zip(pat, segs):
            if p.startswith("{"):
                if s == "":
                    break
                params[p[1:-1]] = s
            elif p != s:
                break
            else:
                lits += 1
        else:
            if best is None or lits > best[0]:
                best = (lits, h, r, params, "/".join(pat))
    return best[1:] if best else None


def error_body(message, parameters=None, errors=None):
    d = {"message": message}
    if errors:
        d["errors"] = errors
    if parameters not in (None, [], {}):
        d["parameters"] = parameters
    return d


def dumps(obj):
    if isinstance(obj, Raw):
        return obj.text.encode()
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class App:
    """Everything a request handler needs; one per server."""

    def __init__(self, store, auth, faults, verbose=False, journal_max=200000,
                 journal_body_max=65536):
        self.store = store
        self.auth = auth
        self.faults = faults
        self.verbose = verbose
        self.lock = threading.Lock()
        self.journal = []
        self.seq = 0
        self.journal_max = journal_max
        self.body_max = journal_body_max
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests = 0
        self.by_status = {}
        self.tls = False

    def enter(self):
        with self.lock:
            self.in_flight += 1
            self.requests += 1
            if self.in_flight > self.max_in_flight:
                self.max_in_flight = self.in_flight
            return self.in_flight

    def leave(self, entry):
        with self.lock:
            self.in_flight -= 1
            if entry is not None:
                st = str(entry.get("status") or "none")
                self.by_status[st] = self.by_status.get(st, 0) + 1

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.journal.append(entry)
            if len(self.journal) > self.journal_max:
                del self.journal[:len(self.journal) - self.journal_max]

    def update(self, entry, **kw):
        """Change a recorded entry (readers copy entries under the lock)."""
        with self.lock:
            entry.update(kw)

    def reset_journal(self):
        with self.lock:
            self.journal = []
            self.max_in_flight = self.in_flight
            self.requests = 0
            self.by_status = {}

    def stats(self):
        with self.lock:
            routes = {}
            for e in self.journal:
                k = "%s %s" % (e["method"], e.get("route") or "?")
                routes[k] = routes.get(k, 0) + 1
            return {"requests": self.requests, "max_in_flight": self.max_in_flight,
                    "in_flight": self.in_flight, "by_status": dict(self.by_status),
                    "by_route": routes, "journal_entries": len(self.journal),
                    "last_seq": self.seq, "faults": self.faults.describe()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 600

    def log_message(self, fmt, *args):
        if self.server.app.verbose:
            sys.stderr.write("fake: " + (fmt % args) + "\n")

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # -- plumbing --------------------------------------------------------------
    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    break
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                out += self.rfile.read(size)
                self.rfile.readline(65537)
            return bytes(out)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send_raw(self, status, body, ctype="application/json; charset=utf-8",
                 extra=None, length=None):
        head = ["HTTP/1.1 %d %s" % (status, STATUS_TEXT.get(status, "Status")),
                "Server: nginx", "Date: " + email.utils.formatdate(usegmt=True),
                "Content-Type: " + ctype,
                "Content-Length: %d" % (len(body) if length is None else length)]
        for k, v in (extra or {}).items():
            head.append("%s: %s" % (k, v))
        if self.close_connection:
            head.append("Connection: close")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            data += body
        self.commit()
        self.wfile.write(data)
        return len(body)

    def commit(self):
        """Journal the request just before its answer leaves, so a client
        that has the answer always finds the entry; t_end is corrected once
        the answer is written."""
        e = getattr(self, "_entry", None)
        if e is not None and not self._committed:
            now = time.time()
            e["t_end"] = now
            e["duration_ms"] = round((now - e["t_start"]) * 1000, 3)
            self._committed = True
            self.server.app.record(e)

    def reset_connection(self):
        """Close with RST: no response at all."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    # -- one request ------------------------------------------------------------
    def dispatch(self):
        app = self.server.app
        raw_path, _, raw_query = self.path.partition("?")
        if raw_path.startswith("/__"):
            return self.control(raw_path, raw_query)
        t0 = time.time()
        inflight = app.enter()
        entry = {"t_start": t0, "method": self.command, "path": raw_path,
                 "query": raw_query, "in_flight": inflight}
        self._entry = entry
        self._committed = False
        try:
            self.rest(app, raw_path, raw_query, entry, t0)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError) as e:
            app.update(entry, error="connection: %s" % e.__class__.__name__)
            self.close_connection = True
        finally:
            now = time.time()
            fin = {"t_end": now, "duration_ms": round((now - t0) * 1000, 3)}
            if self._committed:
                app.update(entry, **fin)
            else:
                entry.update(fin)
                app.record(entry)
            self._entry = None
            app.leave(entry)
            if app.verbose:
                sys.stderr.write("fake: %s %s -> %s (%s ms)%s\n" % (
                    self.command, self.path, entry.get("status"), entry["duration_ms"],
                    " fault=" + entry["fault"] if entry.get("fault") else ""))

    def rest(self, app, raw_path, raw_query, entry, t0):
        body = self.read_body()
        hdrs = {}
        auth_header = None
        for k, v in self.headers.items():
            if k.lower() == "authorization":
                auth_header = v
                hdrs[k] = v.strip().split(" ", 1)[0] if v.strip() else ""
            else:
                hdrs[k] = v
        entry["headers"] = hdrs
        text = body.decode("utf-8", "replace")
        if len(text) > app.body_max:
            entry["body"] = text[:app.body_max]
            entry["body_truncated"] = True
        else:
            entry["body"] = text
        pairs = parse_query(raw_query)
        entry["params"] = [list(p) for p in pairs]
        latency, fault, fired = app.faults.pick(self.command, raw_path)
        deadline = t0 + latency / 1000.0
        if fired:
            entry["fault"] = ",".join(fired)
        if latency:
            entry["latency_ms"] = latency
        pre = fault is not None and fault.kind in ("status", "429", "reset", "hang") \
            and not fault.args.get("after")
        if pre:
            self.classify(app.store, raw_path, entry)
            return self.apply_fault(fault, None, deadline, entry)
        status, payload, extra = self.compute(app, raw_path, raw_query, pairs, body,
                                              auth_header, entry)
        if fault is not None and fault.kind in ("status", "429", "reset", "hang"):
            return self.apply_fault(fault, None, deadline, entry)
        data = dumps(payload) if not isinstance(payload, bytes) else payload
        delay = extra.pop("_delay", None) if extra else None
        if fault is not None:
            return self.apply_fault(fault, (status, data, extra), deadline, entry)
        _sleep_until(deadline)
        if delay:
            time.sleep(delay.get("ms", 0) / 1000.0)
            entry["delayed_ms"] = delay.get("ms", 0)
            if delay.get("reset"):
                entry["status"] = None
                entry["fault"] = "delay-next-ship reset"
                return self.reset_connection()
        ctype = extra.pop("_ctype", None) if extra else None
        entry["status"] = status
        entry["bytes"] = len(data)
        self.send_raw(status, data, ctype or "application/json; charset=utf-8", extra or None)

    def classify(self, store, raw_path, entry):
        """Scope and route of a /rest path, recorded in the journal entry.
        Returns (scope, decoded segments, route match or None, early answer
        or None)."""
        segs = raw_path.split("/")
        # ['', 'rest', scope?, 'V1', ...]
        if len(segs) < 3 or segs[1] != "rest":
            return None, None, None, (404, error_body(ROUTE_404), {})
        if segs[2] == "V1":
            scope, rest = "default", segs[3:]
            entry["scope"] = "default"
            entry["store_in_path"] = False
        elif len(segs) > 3 and segs[3] == "V1" and (segs[2] == "all" or segs[2] in store.cfg.stores):
            scope, rest = segs[2], segs[4:]
            entry["scope"] = scope
        else:
            return None, None, None, (404, error_body(ROUTE_404), {})
        while rest and rest[-1] == "":
            rest = rest[:-1]        # Magento trims the trailing slash
        decoded = [unquote(s, errors="replace") for s in rest]
        if any("/" in s for s in decoded):
            mode = store.cfg.encoded_slash
            if mode == "apache":
                page = (b"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n"
                        b"<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n"
                        b"<p>The requested URL was not found on this server.</p>\n</body></html>\n")
                return scope, decoded, None, (404, page, {"_ctype": "text/html; charset=iso-8859-1"})
            if mode != "allow":
                return scope, decoded, None, (404, error_body(ROUTE_404), {})
        m = match_route(self.command, decoded)
        if m is None:
            return scope, decoded, None, (404, error_body(ROUTE_404), {})
        entry["route"] = "/V1/" + m[3]
        return scope, decoded, m, None

    def compute(self, app, raw_path, raw_query, pairs, body, auth_header, entry):
        """(status, payload, extra headers) of the Magento behaviour."""
        store = app.store
        scope, decoded, m, early = self.classify(store, raw_path, entry)
        if early is not None:
            return early
        handler, resource, params, pattern = m
        scheme = "https" if app.tls else "http"
        form = None
        ctype = (self.headers.get("Content-Type") or "").lower()
        if ctype.startswith("application/x-www-form-urlencoded"):
            form = body.decode("utf-8", "replace")
        try:
            principal = app.auth.authenticate(self.command, scheme, self.headers.get("Host"),
                                              raw_path, raw_query, auth_header, form)
        except AuthError as e:
            entry["auth"] = {"scheme": "OAuth", "error": e.message}
            if e.detail:
                entry["auth"]["expected_base_string"] = e.detail
            return e.status, error_body(e.message, e.parameters, e.errors), {}
        scheme_name = (auth_header or "").strip().split(" ", 1)[0] if auth_header else None
        entry["auth"] = {"scheme": scheme_name,
                         "principal": principal.kind if principal else None,
                         "label": principal.label if principal else None}
        if principal is None or not principal.allowed(resource):
            return 401, error_body(NOT_AUTHORIZED, {"resources": resource}), {}
        data = None
        if self.command in ("POST", "PUT"):
            if body.strip():
                if not ctype:
                    return 400, error_body("Content-Type header is empty."), {}
                media = ctype.split(";", 1)[0].strip()
                if media not in ("application/json", "text/json"):
                    return 400, error_body("Server cannot understand Content-Type HTTP header media type %1",
                                           [media]), {}
                try:
                    data = json.loads(body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    return 400, error_body("Decoding error."), {}
        query = nest(pairs)
        try:
            res = getattr(self, handler)(store, scope, params, query, data)
        except BadRequest as e:
            return e.status, error_body(e.message, e.parameters), {}
        except Exception as e:  # a fake bug: answer like Magento, log it
            sys.stderr.write("fake: internal error in %s: %r\n" % (handler, e))
            import traceback
            traceback.print_exc()
            return 500, error_body(INTERNAL % "fakebug"), {}
        if len(res) == 3:
            status, payload, delay = res
            return status, payload, {"_delay": delay} if delay else {}
        return res[0], res[1], {}

    # -- fault responses --------------------------------------------------------
    def apply_fault(self, f, real, deadline, entry):
        kind = f.kind
        a = f.args
        entry["fault"] = ",".join([x for x in (entry.get("fault") or "").split(",") if x and x != kind] + [kind])
        if kind == "hang":
            time.sleep(a.get("ms", 3600000) / 1000.0)
            entry["status"] = None
            self.close_connection = True
            return
        _sleep_until(deadline)
        if kind == "reset":
            entry["status"] = None
            return self.reset_connection()
        if kind in ("status", "429"):
            st = int(a.get("status", 503))
            extra = {}
            ra = a.get("retry_after")
            if ra is not None:
                ra = str(ra)
                if ra.startswith("date"):
                    secs = float(ra.split(":", 1)[1]) if ":" in ra else 1.0
                    # whole seconds, rounded up: never earlier than asked
                    extra["Retry-After"] = email.utils.formatdate(math.ceil(time.time() + secs),
                                                                  usegmt=True)
                else:
                    extra["Retry-After"] = ra
            if st == 500:
                body = dumps(error_body(INTERNAL % ("%08x" % (int(time.time() * 1000) & 0xFFFFFFFF))))
                ctype = "application/json; charset=utf-8"
            else:
                title = "%d %s" % (st, STATUS_TEXT.get(st, "Error"))
                body = ("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n"
                        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" % (title, title)).encode()
                ctype = "text/html"
            entry["status"] = st
            entry["bytes"] = len(body)
            self.send_raw(st, body, ctype, extra)
            return
        status, data, extra = real
        extra = {k: v for k, v in (extra or {}).items() if not k.startswith("_")}
        entry["status"] = status
        if kind == "truncate":
            keep = a.get("keep", len(data) // 2)
            keep = max(0, min(keep, max(0, len(data) - 1)))
            self.close_connection = True
            entry["bytes"] = keep
            self.send_raw(status, data[:keep], extra=extra, length=len(data))
            return
        if kind == "malformed":
            mode = a.get("mode", "cut")
            if mode == "html":
                bad = b"<html><body><h1>Service temporarily unavailable</h1></body></html>"
            elif mode == "garbage":
                bad = b"{\"items\":[{\"sku\":\"\x00\xff\xfe" + data[:64] + b"]]]}}"
            else:
                bad = data[:max(1, len(data) // 2)]
                if bad.endswith(b"}"):
                    bad = bad[:-1]
            entry["status"] = 200
            entry["bytes"] = len(bad)
            self.send_raw(200, bad, extra=extra)
            return
        if kind == "drip":
            step = max(1, a.get("bytes", 16))
            pause = a.get("ms", 100) / 1000.0
            head = self._head(status, len(data), "application/json; charset=utf-8", extra)
            entry["bytes"] = len(data)
            self.commit()
            self.wfile.write(head)
            sent = 0
            while sent < len(data):
                time.sleep(pause)
                self.wfile.write(data[sent:sent + step])
                sent += step
            return
        if kind == "huge":
            size = int(a.get("mb", 64) * 1024 * 1024)
            chunked = str(a.get("chunked", "0")) in ("1", "true", "yes")
            prefix = b'{"message":"'
            suffix = b'"}'
            pad = size - len(prefix) - len(suffix)
            block = b"x" * 65536
            entry["status"] = 200
            entry["bytes"] = size
            self.commit()
            if chunked:
                head = self._head(200, None, "application/json; charset=utf-8", extra, chunked=True)
                self.wfile.write(head)
                self._chunk(prefix)
                left = pad
                while left > 0:
                    n = min(left, len(block))
                    self._chunk(block[:n])
                    left -= n
                self._chunk(suffix)
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(self._head(200, size, "application/json; charset=utf-8", extra))
                self.wfile.write(prefix)
                left = pad
                while left > 0:
                    n = min(left, len(block))
                    self.wfile.write(block[:n])
                    left -= n
                self.wfile.write(suffix)
            return

    def _head(self, status, length, ctype, extra, chunked=False):
        head = ["HTTP/1.1 %d %s" % (status, STATUS_TEXT.get(status, "Status")),
                "Server: nginx", "Date: " + email.utils.formatdate(usegmt=True),
                "Content-Type: " + ctype]
        if chunked:
            head.append("Transfer-Encoding: chunked")
        else:
            head.append("Content-Length: %d" % length)
        for k, v in (extra or {}).items():
            head.append("%s: %s" % (k, v))
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")

    def _chunk(self, b):
        self.wfile.write(b"%x\r\n" % len(b) + b + b"\r\n")

    # -- REST handlers ------------------------------------------------------------
    def r_list_products(self, s, scope, p, q, data):
        fields = q.get("fields") if isinstance(q.get("fields"), str) else None
        status, payload = s.list_products(scope, q, fields)
        if fields:
            payload = apply_fields(payload, fields)
        return status, payload

    def r_post_product(self, s, scope, p, q, data):
        return s.save_product(scope, None, data, "POST")

    def r_get_product(self, s, scope, p, q, data):
        st, prod = s.get_product(scope, p["sku"])
        fields = q.get("fields") if isinstance(q.get("fields"), str) else None
        return st, apply_fields(prod, fields) if fields else prod

    def r_put_product(self, s, scope, p, q, data):
        return s.save_product(scope, p["sku"], data, "PUT")

    def r_delete_product(self, s, scope, p, q, data):
        return s.delete_product(scope, p["sku"])

    def r_media_list(self, s, scope, p, q, data):
        return s.media_list(scope, p["sku"])

    def r_media_add(self, s, scope, p, q, data):
        return s.media_add(scope, p["sku"], data)

    def r_media_get(self, s, scope, p, q, data):
        return s.media_get(scope, p["sku"], p["id"])

    def r_media_delete(self, s, scope, p, q, data):
        return s.media_delete(scope, p["sku"], p["id"])

    def r_put_stock(self, s, scope, p, q, data):
        return s.put_stock(scope, p["sku"], p["id"], data)

    def r_low_stock(self, s, scope, p, q, data):
        return s.low_stock(q)

    def r_get_stock(self, s, scope, p, q, data):
        return s.get_stock(p["sku"])

    def r_category_tree(self, s, scope, p, q, data):
        return s.category_tree(q)

    def r_category_list(self, s, scope, p, q, data):
        return s.category_list(q)

    def r_source_items(self, s, scope, p, q, data):
        return s.list_source_items(q)

    def r_sources(self, s, scope, p, q, data):
        return s.list_sources(q)

    def r_children(self, s, scope, p, q, data):
        return s.children(scope, p["sku"])

    def r_add_child(self, s, scope, p, q, data):
        return s.add_child(scope, p["sku"], data)

    def r_options_all(self, s, scope, p, q, data):
        return s.options_all(scope, p["sku"])

    def r_option_add(self, s, scope, p, q, data):
        return s.option_add(scope, p["sku"], data)

    def r_option_get(self, s, scope, p, q, data):
        return s.option_get(scope, p["sku"], p["id"])

    def r_list_orders(self, s, scope, p, q, data):
        return s.list_orders(q)

    def r_get_order(self, s, scope, p, q, data):
        return s.get_order(p["id"])

    def r_order_comments(self, s, scope, p, q, data):
        return s.order_comments(p["id"])

    def r_add_comment(self, s, scope, p, q, data):
        return s.add_comment(p["id"], data)

    def r_ship(self, s, scope, p, q, data):
        return s.ship(p["id"], data)

    def r_list_shipments(self, s, scope, p, q, data):
        return s.list_shipments(q)

    def r_store_configs(self, s, scope, p, q, data):
        host = self.headers.get("Host") or "localhost"
        base = "%s://%s/" % ("https" if self.server.app.tls else "http", host)
        return s.store_configs(q, base)

    def r_store_views(self, s, scope, p, q, data):
        return s.store_views()

    # -- control API ------------------------------------------------------------
    def control(self, raw_path, raw_query):
        app = self.server.app
        body = self.read_body()
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError as e:
            return self.send_raw(400, dumps({"error": "bad JSON: %s" % e}))
        q = dict(parse_query(raw_query))
        m = self.command
        try:
            status, out = self.control_route(app, m, raw_path, q, data)
        except (BadRequest, mg_faults.FaultError) as e:
            status, out = 400, {"error": getattr(e, "message", str(e))}
        self.send_raw(status, dumps(out))

    def control_route(self, app, m, path, q, data):
        st = app.store
        if path == "/__health":
            return 200, {"ok": True}
        if path == "/__journal" and m == "GET":
            since = int(q.get("since", 0) or 0)
            with app.lock:
                entries = [dict(e) for e in app.journal if e["seq"] > since]
            if "limit" in q:
                entries = entries[:int(q["limit"])]
            return 200, {"entries": entries, "last_seq": app.seq}
        if path == "/__reset-journal" and m == "POST":
            app.reset_journal()
            return 200, {"ok": True}
        if path == "/__stats" and m == "GET":
            return 200, app.stats()
        if path == "/__faults":
            if m == "GET":
                return 200, {"faults": app.faults.describe()}
            if m == "POST":
                if data.get("clear") or "set" in data:
                    app.faults.clear()
                for spec in (data.get("set") or []) + (data.get("add") or []):
                    app.faults.add(mg_faults.parse(spec))
                return 200, {"faults": app.faults.describe()}
        if path == "/__delay-next-ship" and m == "POST":
            with st.lock:
                st.delay_ship = {"ms": int(data.get("ms", 1000)), "reset": bool(data.get("reset"))}
            return 200, {"ok": True, "delay": st.delay_ship}
        if path == "/__state" and m == "GET":
            out = st.describe()
            out["auth"] = app.auth.describe()
            return 200, out
        if path.startswith("/__state/products/") and m == "GET":
            sku = unquote(path[len("/__state/products/"):])
            return 200, st.state_product(sku, q.get("scope", "all"))
        if path.startswith("/__state/orders/") and m == "GET":
            o = st.order(int(path[len("/__state/orders/"):]))
            return (200, o) if o is not None else (404, {"error": "no such order"})
        if path == "/__state/products" and m == "POST":
            return 200, {"products": st.add_products(data.get("products") or [])}
        if path == "/__state/orders" and m == "POST":
            return 200, {"orders": st.add_orders(data.get("orders") or [])}
        if path == "/__state/config" and m == "POST":
            for k, v in data.items():
                typ = st.cfg.SETTABLE.get(k)
                if typ is None:
                    raise BadRequest("unknown setting %s" % k)
                setattr(st.cfg, k, typ(v))
            with st.lock:
                st.bump()
            return 200, st.cfg.describe()
        if path == "/__state/auth" and m == "POST":
            if "integration_bearer" in data:
                app.auth.integration_bearer = bool(data["integration_bearer"])
            if "allow_sha1" in data:
                app.auth.allow_sha1 = bool(data["allow_sha1"])
            for tok in data.get("admin_tokens") or []:
                app.auth.add_admin(tok["token"], tok.get("acl"))
            for it in data.get("integrations") or []:
                app.auth.add_integration(it["consumer_key"], it["consumer_secret"],
                                         it["access_token"], it["access_token_secret"], it.get("acl"))
            for tok, acl in (data.get("acl") or {}).items():
                if not app.auth.set_acl(tok, None if acl == "all" else acl):
                    raise BadRequest("unknown token in acl")
            return 200, app.auth.describe()
        return 404, {"error": "no such control endpoint: %s %s" % (m, path)}


def apply_fields(obj, spec):
    """Magento's ?fields= filter: items[sku,name,extension_attributes[stock_item[qty]]],total_count"""
    tree = _parse_fields(spec)
    return _pick(obj, tree)


def _parse_fields(spec):
    tree = {}
    stack = [tree]
    name = []
    for ch in spec + ",":
        if ch in ",[]":
            n = "".join(name).strip()
            name = []
            if n:
                stack[-1][n] = {}
            if ch == "[":
                last = list(stack[-1].keys())[-1] if stack[-1] else None
                if last is None:
                    continue
                stack.append(stack[-1][last])
            elif ch == "]" and len(stack) > 1:
                stack.pop()
        else:
            name.append(ch)
    return tree


def _pick(obj, tree):
    if not tree:
        return obj
    if isinstance(obj, list):
        return [_pick(x, tree) for x in obj]
    if not isinstance(obj, dict):
        return obj
    return {k: _pick(obj[k], sub) for k, sub in tree.items() if k in obj}


def _sleep_until(deadline):
    d = deadline - time.time()
    if d > 0:
        time.sleep(d)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, addr, app, tls_ctx=None):
        self.app = app
        self.tls_ctx = tls_ctx
        app.tls = tls_ctx is not None
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # the TLS handshake happens in the connection's own thread, so a
        # client that never finishes it cannot stall the accept loop
        if self.tls_ctx is not None:
            try:
                request.settimeout(30)
                request = self.tls_ctx.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (ssl.SSLError, OSError):
                try:
                    request.close()
                except OSError:
                    pass
                return
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            if self.tls_ctx is not None:
                try:
                    request.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        if self.app.verbose:
            super().handle_error(request, client_address)
