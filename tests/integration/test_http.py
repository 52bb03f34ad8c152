"""test_http.py - the HTTP engine (daemon/http.c) through tests/tools/httpdrive.

Each test starts a small fault-injecting HTTP/1.1 server in this process (the
standard library's ThreadingHTTPServer), drives requests through the real
engine with httpdrive, and checks both sides: what httpdrive reports per
request, and what the server's journal saw (how many attempts, when, on how
many connections, how many at once). Routes, all under the server's root:

  /sleep/MS              200 after MS milliseconds
  /status/CODE/N         CODE for the first N requests of that exact URL, then 200
  /ra/SECS/N             429 + "Retry-After: SECS" the first N times
  /radate/SECS/N         429 + Retry-After as an HTTP-date SECS ahead
  /reset/N               connection reset (RST) the first N times
  /truncate/N            Content-Length 100 but 10 bytes, then close
  /malformed             200 with a body that is not valid JSON
  /drip                  Content-Length 1000, one byte every 100 ms
  /big/SIZE              SIZE bytes with Content-Length
  /bigchunk/SIZE         SIZE bytes chunked, no Content-Length
  /echo                  the request as JSON (never the Authorization value)

Every run passes a bearer token and asserts it never shows in httpdrive's
output, while the server saw it on every request."""
import email.utils
import http.server
import json
import math
import os
import socket
import ssl
import struct
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid

import harness

TOKEN = "tok-" + uuid.uuid4().hex


class Journal:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []
        self.hits = {}
        self.inflight = 0
        self.max_inflight = 0
        self.per_c = {}           # c= query value -> [now, max]

    def enter(self, entry):
        with self.lock:
            self.entries.append(entry)
            self.hits[entry["url"]] = self.hits.get(entry["url"], 0) + 1
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            c = entry["c"]
            if c is not None:
                now_max = self.per_c.setdefault(c, [0, 0])
                now_max[0] += 1
                now_max[1] = max(now_max[1], now_max[0])
            return self.hits[entry["url"]]

    def leave(self, entry):
        with self.lock:
            self.inflight -= 1
            if entry["c"] is not None:
                self.per_c[entry["c"]][0] -= 1

    def of(self, path):
        with self.lock:
            return [e for e in self.entries if e["path"] == path]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle
        # and the client's delayed ACK add 40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def dispatch(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        entry = {"t": time.time(), "method": self.command, "url": self.path,
                 "path": u.path, "c": (q.get("c") or [None])[0],
                 "auth": self.headers.get("Authorization"),
                 "conn": self.client_address[1], "body": body}
        j = self.server.journal
        hit = j.enter(entry)
        try:
            self.route(u.path.strip("/").split("/"), hit, entry)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            j.leave(entry)

    def send(self, code, body, headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def route(self, parts, hit, entry):
        kind = parts[0]
        arg = lambda i: int(parts[i])  # noqa: E731
        if kind == "sleep":
            time.sleep(arg(1) / 1000.0)
            self.send(200, '{"slept":%d}' % arg(1))
        elif kind == "status":
            if hit <= arg(2):
                self.send(arg(1), '{"message":"fault %d"}' % arg(1))
            else:
                self.send(200, '{"ok":true}')
        elif kind in ("ra", "radate"):
            if hit <= arg(2):
                if kind == "ra":
                    value = str(arg(1))
                else:
                    when = math.ceil(time.time()) + arg(1)
                    entry["ra_date"] = when
                    value = email.utils.formatdate(when, usegmt=True)
                self.send(429, '{"message":"slow down"}',
                          [("Retry-After", value)])
            else:
                self.send(200, '{"ok":true}')
        elif kind == "reset":
            if hit <= arg(1):
                self.reset()
            else:
                self.send(200, '{"ok":true}')
        elif kind == "truncate":
            if hit <= arg(1):
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
                self.close_connection = True
            else:
                self.send(200, '{"ok":true}')
        elif kind == "malformed":
            self.send(200, MALFORMED)
        elif kind == "drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        elif kind == "big":
            self.send(200, b"y" * arg(1))
        elif kind == "bigchunk":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            left = arg(1)
            while left > 0:
                n = min(left, 1024)
                self.wfile.write(b"%x\r\n" % n + b"z" * n + b"\r\n")
                left -= n
            self.wfile.write(b"0\r\n\r\n")
        elif kind == "echo":
            self.send(200, json.dumps({
                "method": self.command,
                "body": entry["body"].decode("utf-8", "replace"),
                "content_type": self.headers.get("Content-Type"),
                "accept": self.headers.get("Accept"),
                "user_agent": self.headers.get("User-Agent"),
                "expect": self.headers.get("Expect"),
                "has_auth": entry["auth"] is not None}))
        else:
            self.send(404, '{"message":"no route"}')


MALFORMED = '{"items": [{"sku": "a"}, {"sku": '


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def start_server(tls_dir=None):
    srv = Server(("127.0.0.1", 0), Handler)
    srv.journal = Journal()
    scheme = "http"
    if tls_dir:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(tls_dir, "cert.pem"),
                            os.path.join(tls_dir, "key.pem"))
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        scheme = "https"
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    base = "%s://127.0.0.1:%d" % (scheme, srv.server_address[1])
    return srv, base


def stop_server(srv):
    srv.shutdown()
    srv.server_close()


def drive(t, base, template="/", wait=60, token=True, expect_rc=0,
          **opts):
    """Run httpdrive; return (per-request results by i, total line)."""
    argv = [t.bin("tests/httpdrive"), "--url", base,
            "--path-template", template]
    if token:
        tf = t.write("token", TOKEN + "\n", mode=0o600)
        argv += ["--token-file", tf]
    for k, v in opts.items():
        flag = "--" + k.replace("_", "-")
        argv += [flag] if v is True else [flag, str(v)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=wait,
                       env=t.env())
    assert TOKEN not in r.stdout and TOKEN not in r.stderr, \
        "token leaked into httpdrive output"
    t.eq(r.returncode, expect_rc, "httpdrive exit status (stderr: %s)" %
         r.stderr[-2000:])
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    total = lines[-1]
    t.eq(total["loop_close"], 0, "uv_loop_close")
    results = {x["i"]: x for x in lines[:-1]}
    t.eq(len(results), total["total"], "one line per request")
    return results, total


def with_server(fn):
    """Decorator: start the plain server, pass (t, srv, base), stop it."""
    def run(t):
        srv, base = start_server()
        try:
            fn(t, srv, base)
        finally:
            stop_server(srv)
    run.__name__ = fn.__name__
    run.__code__ = run.__code__.replace(
        co_firstlineno=fn.__code__.co_firstlineno)
    return run


def auth_seen(t, srv):
    for e in srv.journal.entries:
        t.eq(e["auth"], "Bearer " + TOKEN, "Authorization on the wire")


@with_server
def test_concurrency_limit_1000(t, srv, base):
    res, total = drive(t, base, "/sleep/2?i={i}", count=1000, concurrency=8)
    t.eq(total["ok"], 1000, "all succeed")
    assert all(r["attempts"] == 1 for r in res.values()), "no retries"
    j = srv.journal
    t.eq(len(j.entries), 1000, "requests seen")
    assert 2 <= j.max_inflight <= 8, \
        "in flight at the server: %d, limit 8" % j.max_inflight
    assert total["max_running"] <= 8, total
    conns = {e["conn"] for e in j.entries}
    assert len(conns) <= 8, "%d connections for 8 slots: no reuse" % len(conns)
    auth_seen(t, srv)


test_concurrency_limit_1000.limit = 120


@with_server
def test_per_channel_limits(t, srv, base):
    res, total = drive(t, base, "/sleep/20?i={i}&c={c}", count=90,
                       concurrency=2, clients=3)
    t.eq(total["ok"], 90, "all succeed")
    for c, (now, mx) in sorted(srv.journal.per_c.items()):
        assert mx <= 2, "channel %s had %d in flight, limit 2" % (c, mx)
    assert srv.journal.max_inflight > 2, \
        "channels should not share one limit (max %d)" % \
        srv.journal.max_inflight
    assert srv.journal.max_inflight <= 6


@with_server
def test_5xx_burst_retried(t, srv, base):
    for code in (500, 502, 503, 504):
        path = "/status/%d/2" % code
        res, _ = drive(t, base, path, attempts=5)
        r = res[1]
        t.eq((r["status"], r["attempts"], r["err"], r["error"]),
             (200, 3, "none", ""), "burst of two %d" % code)
        t.eq(len(srv.journal.of(path)), 3, "attempts in the journal")


@with_server
def test_5xx_gives_up_at_limit(t, srv, base):
    path = "/status/500/99"
    res, _ = drive(t, base, path, attempts=4)
    r = res[1]
    t.eq((r["status"], r["attempts"], r["err"]), (500, 4, "none"), "result")
    t.eq(r["error"], "gave up after 4 attempts: HTTP 500", "error")
    t.eq(len(srv.journal.of(path)), 4, "attempts in the journal")
    t.eq(r["body"] if "body" in r else None, None, "no body unless asked")
    res, _ = drive(t, base, "/status/503/99", attempts=1, print_body=True)
    t.eq(res[1]["error"], "HTTP 503", "single attempt: no 'gave up'")
    t.eq(res[1]["body"], '{"message":"fault 503"}', "error body delivered")


@with_server
def test_backoff_grows(t, srv, base):
    path = "/status/503/3"
    drive(t, base, path, attempts=5)
    ts = [e["t"] for e in srv.journal.of(path)]
    t.eq(len(ts), 4, "attempts")
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    # Full jitter: each wait is within [0, 0.5 * 2^(n-1)] s.
    for n, g in enumerate(gaps, 1):
        assert g <= 0.5 * 2 ** (n - 1) + 0.25, "wait %d was %.3fs" % (n, g)


@with_server
def test_429_retry_after_seconds(t, srv, base):
    path = "/ra/1/2"
    res, _ = drive(t, base, path, attempts=5)
    r = res[1]
    t.eq((r["status"], r["attempts"]), (200, 3), "result")
    ts = [e["t"] for e in srv.journal.of(path)]
    for a, b in zip(ts, ts[1:]):
        assert b - a >= 1.0, "Retry-After 1 s not honoured: %.3fs" % (b - a)
        assert b - a < 2.0, "waited far longer than asked: %.3fs" % (b - a)
    res, _ = drive(t, base, "/ra/2/99", attempts=2)
    r = res[1]
    t.eq((r["status"], r["retry_after_ms"], r["error"]),
         (429, 2000, "gave up after 2 attempts: HTTP 429"), "gives up")


@with_server
def test_429_retry_after_date(t, srv, base):
    path = "/radate/2/1"
    res, _ = drive(t, base, path, attempts=3)
    t.eq((res[1]["status"], res[1]["attempts"]), (200, 2), "result")
    first, second = srv.journal.of(path)
    # The client waits until the date itself (same clock on both sides).
    assert second["t"] >= first["ra_date"] - 0.02, \
        "retried %.3fs before the Retry-After date" % \
        (first["ra_date"] - second["t"])
    assert second["t"] - first["ra_date"] < 1.0, "waited too long"


@with_server
def test_connection_reset_retried(t, srv, base):
    res, _ = drive(t, base, "/reset/2", attempts=5)
    t.eq((res[1]["status"], res[1]["attempts"]), (200, 3), "recovers")
    t.eq(len(srv.journal.of("/reset/2")), 3, "attempts in the journal")
    res, _ = drive(t, base, "/reset/99", attempts=3)
    r = res[1]
    t.eq((r["status"], r["err"], r["attempts"]), (0, "transfer", 3), "result")
    assert r["error"].startswith("gave up after 3 attempts: "), r["error"]
    t.eq(len(srv.journal.of("/reset/99")), 3, "attempts in the journal")


@with_server
def test_truncated_body_retried(t, srv, base):
    res, _ = drive(t, base, "/truncate/1", attempts=3, print_body=True)
    t.eq((res[1]["status"], res[1]["attempts"]), (200, 2), "recovers")
    t.eq(res[1]["body"], '{"ok":true}', "the complete body, not the stub")
    res, _ = drive(t, base, "/truncate/99", attempts=2)
    r = res[1]
    t.eq((r["status"], r["err"], r["bytes"]), (0, "transfer", 0), "result")
    assert r["error"].startswith("gave up after 2 attempts: response "
                                 "truncated"), r["error"]
    t.eq(len(srv.journal.of("/truncate/99")), 2, "attempts in the journal")


@with_server
def test_malformed_json_delivered_intact(t, srv, base):
    res, _ = drive(t, base, "/malformed", attempts=3, print_body=True)
    r = res[1]
    t.eq((r["status"], r["attempts"], r["err"]), (200, 1, "none"), "result")
    t.eq(r["body"], MALFORMED, "body as sent; JSON checks are the caller's")
    t.eq(r["bytes"], len(MALFORMED), "bytes")


@with_server
def test_slow_drip_times_out(t, srv, base):
    res, _ = drive(t, base, "/drip", attempts=1, timeout=1)
    r = res[1]
    t.eq((r["status"], r["err"], r["attempts"]), (0, "timeout", 1), "result")
    assert r["error"].startswith("timed out: "), r["error"]
    assert 900 <= r["duration_ms"] <= 2500, r["duration_ms"]
    res, _ = drive(t, base, "/drip", attempts=2, timeout=0.5)
    t.eq(res[1]["attempts"], 2, "a timeout is retried for GET")
    t.eq(len(srv.journal.of("/drip")), 3, "journal: 1 + 2 attempts")


@with_server
def test_body_over_cap_refused(t, srv, base):
    for path in ("/big/5000", "/bigchunk/5000"):
        res, _ = drive(t, base, path, attempts=3, max_bytes=1000)
        r = res[1]
        t.eq((r["status"], r["err"], r["attempts"]), (0, "too_big", 1), path)
        t.eq(r["error"], "response larger than 1000 bytes", path)
        t.eq(len(srv.journal.of(path)), 1, "not retried: " + path)
    res, _ = drive(t, base, "/big/5000", method="HEAD", max_bytes=1000)
    t.eq((res[1]["status"], res[1]["bytes"], res[1]["err"]), (200, 0, "none"),
         "HEAD: the announced length is not a body")
    for path in ("/big/1000", "/bigchunk/1000"):
        res, _ = drive(t, base, path, max_bytes=1000)
        t.eq((res[1]["status"], res[1]["bytes"]), (200, 1000),
             "exactly at the cap: " + path)


@with_server
def test_4xx_not_retried(t, srv, base):
    for code in (400, 401, 403, 404, 405, 409, 422):
        path = "/status/%d/99" % code
        res, _ = drive(t, base, path, attempts=5)
        r = res[1]
        t.eq((r["status"], r["attempts"], r["err"], r["error"]),
             (code, 1, "none", ""), "HTTP %d" % code)
        t.eq(len(srv.journal.of(path)), 1, "journal for %d" % code)
    res, _ = drive(t, base, "/status/408/1", attempts=5)
    t.eq((res[1]["status"], res[1]["attempts"]), (200, 2), "408 is retried")


@with_server
def test_post_only_retried_when_not_acted_on(t, srv, base):
    body = '{"entity":{"comment":"x"}}'
    res, _ = drive(t, base, "/status/500/1", method="POST", body=body)
    t.eq((res[1]["status"], res[1]["attempts"]), (500, 1), "POST 500")
    res, _ = drive(t, base, "/status/503/1", method="POST", body=body)
    t.eq((res[1]["status"], res[1]["attempts"]), (200, 2), "POST 503")
    res, _ = drive(t, base, "/ra/1/1", method="POST", body=body)
    t.eq((res[1]["status"], res[1]["attempts"]), (200, 2), "POST 429")
    res, _ = drive(t, base, "/reset/1", method="POST", body=body)
    t.eq((res[1]["err"], res[1]["attempts"]), ("transfer", 1), "POST reset")
    res, _ = drive(t, base, "/status/502/1", method="POST", body=body,
                   idempotent="yes")
    t.eq((res[1]["status"], res[1]["attempts"]), (200, 2),
         "POST marked idempotent")
    for e in srv.journal.entries:
        t.eq(e["body"], body.encode(), "body on every attempt")


@with_server
def test_request_shape(t, srv, base):
    res, _ = drive(t, base, "/echo?x=1", method="PUT", body='{"a":1}',
                   print_body=True)
    r = res[1]
    t.eq((r["method"], r["path"], r["status"]), ("PUT", "/echo?x=1", 200),
         "result")
    echo = json.loads(r["body"])
    t.eq(echo["method"], "PUT", "method")
    t.eq(echo["body"], '{"a":1}', "body")
    t.eq(echo["content_type"], "application/json", "Content-Type")
    t.eq(echo["accept"], "application/json", "Accept")
    t.eq(echo["expect"], None, "no Expect: 100-continue")
    assert echo["user_agent"].startswith("magsync/"), echo["user_agent"]
    auth_seen(t, srv)
    res, _ = drive(t, base, "/echo", token=False, print_body=True)
    echo = json.loads(res[1]["body"])
    t.eq((echo["method"], echo["content_type"], echo["has_auth"]),
         ("GET", None, False), "plain GET")
    res, _ = drive(t, base, "/echo", method="DELETE", print_body=True)
    t.eq(json.loads(res[1]["body"])["method"], "DELETE", "DELETE")


def test_connection_refused(t):
    port = harness.free_port()
    res, total = drive(t, "http://127.0.0.1:%d" % port, "/x", attempts=3)
    r = res[1]
    t.eq((r["status"], r["err"], r["attempts"]), (0, "connect", 3), "result")
    assert r["error"].startswith("gave up after 3 attempts: connection "
                                 "failed: "), r["error"]
    res, _ = drive(t, "http://127.0.0.1:%d" % port, "/x", attempts=3,
                   method="POST", body="{}")
    t.eq(res[1]["attempts"], 3, "refused POST never reached the store")


def test_dns_failure(t):
    res, _ = drive(t, "http://no-such-host.invalid", "/x", attempts=1,
                   timeout=10)
    r = res[1]
    t.eq((r["status"], r["err"]), (0, "dns"), "result")
    assert r["error"].startswith("DNS lookup failed: "), r["error"]


def make_cert(d):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-keyout", os.path.join(d, "key.pem"),
                    "-out", os.path.join(d, "cert.pem")],
                   check=True, capture_output=True)


def test_tls_self_signed(t):
    make_cert(t.dir)
    srv, base = start_server(tls_dir=t.dir)
    try:
        res, _ = drive(t, base, "/status/200/0", attempts=3)
        r = res[1]
        t.eq((r["status"], r["err"], r["attempts"]), (0, "tls", 1),
             "verification failure is final")
        assert r["error"].startswith(
            "TLS certificate verification failed: "), r["error"]
        res, _ = drive(t, base, "/status/200/0", insecure=True)
        t.eq(res[1]["status"], 200, "verify_tls = no")
    finally:
        stop_server(srv)


@with_server
def test_cancel(t, srv, base):
    t0 = time.time()
    res, total = drive(t, base, "/sleep/3000?i={i}", count=40,
                       concurrency=4, cancel_after=300)
    assert time.time() - t0 < 2.5, "cancel did not end the requests"
    t.eq(set(r["err"] for r in res.values()), {"cancelled"}, "all cancelled")
    t.eq(set(r["error"] for r in res.values()), {"cancelled"}, "message")
    t.eq(total["max_running"], 4, "in flight before the cancel")


@with_server
def test_cancel_during_backoff(t, srv, base):
    res, _ = drive(t, base, "/ra/5/9?i={i}", count=6, concurrency=2,
                   attempts=3, cancel_after=500)
    t.eq(set(r["err"] for r in res.values()), {"cancelled"}, "cancelled")
    t.eq(set(r["attempts"] for r in res.values()), {1}, "one attempt each")


# -- the same contract against the fake Magento (tests/fake/magento.py) -----

PRODUCTS = "/rest/default/V1/products?searchCriteria[pageSize]=5" \
    "&searchCriteria[currentPage]={i}"


def fake_call(base, path, data=None):
    req = urllib.request.Request(
        base + path, method="POST" if data is not None else "GET",
        data=json.dumps(data).encode() if data is not None else None,
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def fake_faults(base, *specs):
    """Replace the fake's faults and start a fresh journal."""
    fake_call(base, "/__faults", {"set": list(specs)})
    fake_call(base, "/__reset-journal", {})


def fake_journal(base, want):
    """The journal once it holds want entries (the fake records a request
    after answering it, so the client can be faster), checked again a
    moment later for extra ones."""
    deadline = time.time() + 10
    while True:
        entries = fake_call(base, "/__journal")["entries"]
        if len(entries) >= want or time.time() > deadline:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    entries = fake_call(base, "/__journal")["entries"]
    return sorted(entries, key=lambda e: e["t_start"])


def start_fake(t, *args):
    return t.fake_magento("--admin-token", TOKEN, "--products", "200",
                          "--orders", "0", *args)


def test_fake_1000_requests_8_in_flight(t):
    _, base = start_fake(t, "--fault", "latency,ms=3")
    fake_call(base, "/__reset-journal", {})
    res, total = drive(t, base, PRODUCTS, count=1000, concurrency=8)
    t.eq(total["ok"], 1000, "all succeed")
    stats = fake_call(base, "/__stats")
    t.eq(stats["requests"], 1000, "requests at the store")
    assert 2 <= stats["max_in_flight"] <= 8, \
        "max in flight at the store: %d, limit 8" % stats["max_in_flight"]


test_fake_1000_requests_8_in_flight.limit = 120


def test_fake_faults_retried(t):
    _, base = start_fake(t)
    one = "/rest/default/V1/products?searchCriteria[pageSize]=5"
    # (fault, httpdrive options, want status, attempts, err, journal count)
    cases = [
        ("status,status=503,first=2", {}, 200, 3, "none", 3),
        ("status,status=502,first=1", {}, 200, 2, "none", 2),
        ("status,status=500", {"attempts": 3}, 500, 3, "none", 3),
        ("reset,first=2", {}, 200, 3, "none", 3),
        ("reset", {"attempts": 2}, 0, 2, "transfer", 2),
        ("truncate,first=1", {}, 200, 2, "none", 2),
        ("truncate", {"attempts": 3}, 0, 3, "transfer", 3),
        ("malformed", {}, 200, 1, "none", 1),
        ("huge,mb=2", {"max_bytes": 1000000}, 0, 1, "too_big", 1),
        ("huge,mb=2,chunked=1", {"max_bytes": 1000000}, 0, 1, "too_big", 1),
        ("drip,ms=300,bytes=1", {"timeout": 1, "attempts": 2}, 0, 2,
         "timeout", 2),
    ]
    for spec, opts, status, attempts, err, seen in cases:
        fake_faults(base, spec)
        res, _ = drive(t, base, one, **dict({"attempts": 5}, **opts))
        r = res[1]
        t.eq((r["status"], r["attempts"], r["err"]), (status, attempts, err),
             spec)
        t.eq(len(fake_journal(base, seen)), seen, "journal for " + spec)
        if attempts > 1 and status != 200:
            assert r["error"].startswith("gave up after %d attempts: " %
                                         attempts), r["error"]
        if err == "too_big":
            t.eq(r["error"], "response larger than 1000000 bytes", spec)


def test_fake_retry_after(t):
    _, base = start_fake(t)
    one = "/rest/default/V1/products?searchCriteria[pageSize]=5"
    fake_faults(base, "429,retry_after=1,first=1")
    res, _ = drive(t, base, one)
    t.eq((res[1]["status"], res[1]["attempts"]), (200, 2), "seconds")
    a, b = fake_journal(base, 2)
    assert b["t_start"] - a["t_end"] >= 0.99, \
        "Retry-After 1 s: retried after %.3fs" % (b["t_start"] - a["t_end"])
    fake_faults(base, "429,retry_after=date:3,first=1")
    res, _ = drive(t, base, one)
    t.eq((res[1]["status"], res[1]["attempts"]), (200, 2), "HTTP-date")
    a, b = fake_journal(base, 2)
    # The date has whole seconds: floor(response time + 3).
    date = math.floor(a["t_end"] + 3)
    assert b["t_start"] >= date - 0.02, \
        "retried %.3fs before the date" % (date - b["t_start"])
    fake_faults(base, "429,retry_after=1")
    res, _ = drive(t, base, one, attempts=3)
    r = res[1]
    t.eq((r["status"], r["retry_after_ms"], r["error"]),
         (429, 1000, "gave up after 3 attempts: HTTP 429"), "gives up")
    t.eq(len(fake_journal(base, 3)), 3, "journal")


def test_fake_4xx_not_retried(t):
    _, base = start_fake(t)
    fake_faults(base)
    res, _ = drive(t, base, "/rest/default/V1/products/NO-SUCH-SKU")
    t.eq((res[1]["status"], res[1]["attempts"]), (404, 1), "404")
    res, _ = drive(t, base, "/rest/default/V1/products/x", method="PUT",
                   body="{not json")
    t.eq((res[1]["status"], res[1]["attempts"]), (400, 1), "400")
    res, _ = drive(t, base, "/rest/default/V1/products?searchCriteria=",
                   token=False)
    t.eq((res[1]["status"], res[1]["attempts"]), (401, 1), "401")
    t.eq(len(fake_journal(base, 3)), 3, "one request each")
