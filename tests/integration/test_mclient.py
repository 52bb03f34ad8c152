"""daemon/mclient.c and daemon/pager.c against the fake Magento, through
tests/tools/mclient_drive: pages in flight never exceed max_concurrency
(the store's own count), every page arrives exactly once (also with the
pre-2.4 last-page repetition), paging stops by the rule, a slow consumer
holds back requests instead of piling pages up, a malformed page ends the
pager with a clear error, 429 and 5xx are retried, OAuth 1.0a requests
(hostile query values included) are accepted, errors are Magento's
messages, and no credential ever shows in the output."""
import json
import subprocess
import urllib.parse
import urllib.request
import uuid

import harness

TOKEN = "tok-" + uuid.uuid4().hex
OAUTH = {"consumer_key": "ck-" + uuid.uuid4().hex[:16],
         "consumer_secret": "cs-" + uuid.uuid4().hex,
         "access_token": "at-" + uuid.uuid4().hex,
         "access_token_secret": "as-" + uuid.uuid4().hex}
SECRETS = [TOKEN] + list(OAUTH.values())


def channel_ini(t, url, extra="", oauth=False):
    if oauth:
        files = ""
        for k, v in OAUTH.items():
            t.write(k + ".f", v + "\n", mode=0o600)
            files += "%s_file = %s.f\n" % (k, k)
        auth = "auth = oauth1\n" + files
    else:
        t.write("shop.token", TOKEN + "\n", mode=0o600)
        auth = "access_token_file = shop.token\n"
    return t.write("magsync.ini", "[magsync]\ndatabase = dbname=unused\n\n"
                   "[channel shop]\nstore_url = %s\n%s%s" % (url, auth,
                                                             extra))


def fake(t, *args):
    return t.fake_magento("--admin-token", TOKEN, "--orders", "0", *args)


def drive(t, cfg, *args, timeout=120):
    r = subprocess.run([t.bin("tests/mclient_drive"), cfg, "shop"] +
                       list(args), capture_output=True, text=True,
                       env=t.env(), cwd=t.dir, timeout=timeout)
    for s in SECRETS:
        assert s not in r.stdout and s not in r.stderr, "a secret leaked"
    assert r.returncode == 0, "mclient_drive: exit %d\n%s\n%s" % (
        r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    t.eq(lines[-1], {"loop_close": 0}, "the loop closes")
    return lines[:-1]


def get_json(url, path):
    with urllib.request.urlopen(url + path, timeout=30) as f:
        return json.load(f)


def post_json(url, path, body):
    req = urllib.request.Request(url + path, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as f:
        return json.load(f)


def journal(url):
    return get_json(url, "/__journal?limit=100000")["entries"]


def pages_asked(url):
    """currentPage of every products request, in order."""
    out = []
    for e in journal(url):
        if e["method"] == "GET" and e["route"] == "/V1/products":
            out.append(int(dict(e["params"])["searchCriteria[currentPage]"]))
    return out


def split(lines):
    pages = [x for x in lines if "page" in x]
    end = [x for x in lines if x.get("end")]
    assert len(end) == 1, "one end line: %r" % lines[-3:]
    return pages, end[0]


def check_all_once(t, pages, end, total, size):
    n = -(-total // size)
    t.eq(sorted(p["page"] for p in pages), list(range(1, n + 1)),
         "every page exactly once")
    skus = [s for p in pages for s in p["values"]]
    t.eq(len(skus), total, "items")
    t.eq(len(set(skus)), total, "distinct items")
    t.eq(end["error"], None, "pager error")


def test_pager_in_flight_bounded(t):
    _, url = fake(t, "--products", "2000", "--fault", "latency,ms=20")
    cfg = channel_ini(t, url, "page_size = 20\nmax_concurrency = 4\n")
    lines = drive(t, cfg, "page", "/V1/products", "--field", "sku")
    pages, end = split(lines)
    check_all_once(t, pages, end, 2000, 20)
    stats = get_json(url, "/__stats")
    assert 2 <= stats["max_in_flight"] <= 4, stats["max_in_flight"]
    assert end["max_in_flight"] <= 4, end
    t.eq(end["requests"], 100, "one request per page")
    # Page 1 went alone: it takes >= 20 ms (the latency fault), and no
    # other request started within its first 15 ms. (Its t_end is taken by
    # another thread than the next request's t_start: no exact order.)
    j = journal(url)
    first = j[0]
    t.eq(dict(first["params"])["searchCriteria[currentPage]"], "1",
         "page 1 first")
    assert all(e["t_start"] >= first["t_start"] + 0.015 for e in j[1:]), \
        "a request started before page 1 was answered"


def test_pager_slow_consumer_holds_back(t):
    _, url = fake(t, "--products", "600")
    cfg = channel_ini(t, url, "page_size = 20\nmax_concurrency = 3\n")
    lines = drive(t, cfg, "page", "/V1/products", "--field", "sku",
                  "--slow-ms", "100", "--window", "2")
    pages, end = split(lines)
    check_all_once(t, pages, end, 600, 20)
    # 3 in flight + 2 waiting, counting the page with the consumer: the
    # store answers far faster than 100 ms, so without backpressure all 30
    # pages would pile up; with it the pager sits at its limit.
    assert 4 <= end["max_held"] <= 5, end
    assert end["max_in_flight"] <= 3, end
    t.eq(len(pages_asked(url)), 30, "pages asked")


def test_pager_legacy_last_page_and_stop_rule(t):
    _, url = fake(t, "--products", "1000", "--legacy-last-page")
    for size in (300, 250, 1000, 2000):
        post_json(url, "/__reset-journal", {})
        cfg = channel_ini(t, url, "page_size = %d\nmax_concurrency = 4\n" %
                          size)
        pages, end = split(drive(t, cfg, "page", "/V1/products", "--field",
                                 "sku"))
        check_all_once(t, pages, end, 1000, size)
        n = -(-1000 // size)
        t.eq(sorted(pages_asked(url)), list(range(1, n + 1)),
             "size %d: no page past the end asked" % size)


def test_pager_empty_store(t):
    _, url = fake(t, "--products", "0")
    cfg = channel_ini(t, url, "page_size = 50\n")
    pages, end = split(drive(t, cfg, "page", "/V1/products"))
    t.eq(pages, [], "no page handed over")
    t.eq(end["error"], None, "empty is not an error")
    t.eq(pages_asked(url), [1], "one request")


def test_pager_malformed_page(t):
    _, url = fake(t, "--products", "500", "--fault",
                  "malformed,mode=cut,skip=2,first=1")
    cfg = channel_ini(t, url, "page_size = 50\nmax_concurrency = 2\n")
    pages, end = split(drive(t, cfg, "page", "/V1/products"))
    assert end["error"].startswith("page "), end
    assert "malformed JSON from Magento: " in end["error"], end
    f = end["failed"]
    t.eq(f["status"], 200, "the bad page's status")
    assert "/V1/products?" in f["path"], f
    assert len(f["detail"].encode()) <= 2048, len(f["detail"])
    assert json.loads(f["detail"])["excerpt"].startswith('{"items":'), f
    assert len(pages) < 10, "paging stopped"
    # Garbage and HTML too.
    for mode in ("garbage", "html"):
        post_json(url, "/__faults", {"set": [{"kind": "malformed",
                                              "mode": mode, "skip": 1,
                                              "first": 1}]})
        pages, end = split(drive(t, cfg, "page", "/V1/products"))
        assert "malformed JSON from Magento" in (end["error"] or ""), end


def test_pager_retries_then_gives_up(t):
    _, url = fake(t, "--products", "400",
                  "--fault", "status,status=503,first=3,skip=1",
                  "--fault", "429,retry_after=1,first=2,skip=6")
    cfg = channel_ini(t, url, "page_size = 40\nmax_concurrency = 2\n")
    pages, end = split(drive(t, cfg, "page", "/V1/products", "--field",
                             "sku"))
    check_all_once(t, pages, end, 400, 40)
    t.eq(end["requests"], 10, "requests")
    t.eq(end["attempts"], 15, "attempts: 10 + 3 x 503 + 2 x 429")
    # The store counts an answer once it is sent: poll past that race.
    t.wait_for(lambda: sum(get_json(url, "/__stats")["by_status"]
                           .values()) == 15, timeout=10,
               what="the store's count")
    by = get_json(url, "/__stats")["by_status"]
    t.eq((by.get("503"), by.get("429"), by.get("200")), (3, 2, 10),
         "statuses at the store")
    # A page that keeps failing ends the pager after the attempt limit.
    post_json(url, "/__faults", {"set": [{"kind": "status", "status": 502,
                                          "skip": 1}]})
    cfg = channel_ini(t, url, "page_size = 40\nmax_concurrency = 2\n"
                      "retry_attempts = 2\n")
    pages, end = split(drive(t, cfg, "page", "/V1/products"))
    t.eq(len(pages), 1, "page 1 got through")
    assert end["error"].startswith("page "), end
    assert "gave up after 2 attempts" in end["error"], end
    t.eq(end["failed"]["status"], 502, "failed status")


test_pager_retries_then_gives_up.limit = 120


def test_pager_stop_at_page_boundary(t):
    _, url = fake(t, "--products", "1000", "--fault", "latency,ms=10")
    cfg = channel_ini(t, url, "page_size = 20\nmax_concurrency = 4\n")
    pages, end = split(drive(t, cfg, "page", "/V1/products",
                             "--stop-after", "3"))
    t.eq(end["error"], "stopped by the driver", "reason")
    t.eq(len(pages), 3, "no page handed over after the stop")
    assert len(pages_asked(url)) <= 3 + 4 + 2, "requests after the stop"


def test_mclient_oauth1_and_hostile_query(t):
    _, url = t.fake_magento(
        "--products", "300", "--orders", "0",
        "--consumer-key", OAUTH["consumer_key"],
        "--consumer-secret", OAUTH["consumer_secret"],
        "--access-token", OAUTH["access_token"],
        "--access-token-secret", OAUTH["access_token_secret"])
    cfg = channel_ini(t, url, "page_size = 40\n", oauth=True)
    pages, end = split(drive(t, cfg, "page", "/V1/products", "--field",
                             "sku"))
    check_all_once(t, pages, end, 300, 40)
    # A search with hostile values, signed over the exact URL.
    hostile = "a&b=c [1] 100% ü+x"
    q = ("searchCriteria%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D"
         "%5Bfield%5D=name&searchCriteria%5Bfilter_groups%5D%5B0%5D"
         "%5Bfilters%5D%5B0%5D%5Bvalue%5D=" +
         urllib.parse.quote(hostile, safe="") +
         "&searchCriteria%5BpageSize%5D=5")
    res = drive(t, cfg, "get", "/V1/products", "--query", q)[0]
    t.eq((res["ok"], res["status"]), (True, 200), "signed search: %r" % res)
    crit = res["json"]["search_criteria"]["filter_groups"][0]["filters"][0]
    t.eq(crit["value"], hostile, "the store decoded the value")
    entries = journal(url)
    assert entries and all(e["auth"]["scheme"].lower() == "oauth" and
                           e["status"] == 200 for e in entries), entries[-1]
    # Nonces are fresh: a replay would be a 401.
    res = drive(t, cfg, "get", "/V1/products", "--query", q)[0]
    t.eq(res["status"], 200, "second signed request")


def test_mclient_errors_scopes_and_paths(t):
    _, url = fake(t, "--products", "20")
    cfg = channel_ini(t, url, "store_code = default\n")
    res = drive(t, cfg, "get", "/V1/products/{sku}", "--arg", "NO-SUCH")[0]
    t.eq((res["ok"], res["status"]), (False, 404), "unknown SKU")
    assert res["error"].startswith("The product that was requested "
                                   "doesn't exist"), res["error"]
    assert "%" not in res["error"], res["error"]
    assert json.loads(res["detail"])["excerpt"].startswith('{"message"')
    t.eq(res["path"], "/rest/default/V1/products/NO-SUCH", "path, no host")
    # Magento's %1 parameters filled in (an array here).
    res = drive(t, cfg, "get", "/V1/products/{sku}", "--arg", "NEW-2",
                "--op", "write", "--method", "PUT", "--body",
                json.dumps({"product": {"sku": "NEW-2", "price": 1}}))[0]
    t.eq(res["status"], 400, "validation error")
    t.eq(res["error"], 'The "name" attribute value is empty. Set the '
         'attribute and try again.', "filled-in message")
    # A SKU that cannot be a path segment is refused before sending.
    res = drive(t, cfg, "get", "/V1/products/{sku}", "--arg", "a/b")[0]
    t.eq(res, {"refused": -10001}, "MAGE_EPATH")
    # Catalogue writes go to /rest/all, reads to the store view.
    body = json.dumps({"product": {"sku": "NEW-1", "name": "New one",
                                   "price": 12.5, "attribute_set_id": 4}})
    res = drive(t, cfg, "get", "/V1/products/{sku}", "--arg", "NEW-1",
                "--op", "write", "--method", "PUT", "--body", body)[0]
    t.eq((res["ok"], res["path"]), (True, "/rest/all/V1/products/NEW-1"),
         "write scope")
    t.eq(res["json"]["price"], 12.5, "the answer parsed")
    scopes = [(e["method"], e["scope"]) for e in journal(url)]
    assert ("PUT", "all") in scopes and ("GET", "default") in scopes, scopes
    # A transport failure is a clear error with no HTTP status.
    cfg = channel_ini(t, "http://127.0.0.1:%d" % harness.free_port(),
                      "retry_attempts = 1\n")
    res = drive(t, cfg, "get", "/V1/products")[0]
    t.eq((res["ok"], res["status"], res["err"]), (False, 0, "connect"),
         "refused connection")
    assert res["error"].startswith("connection failed"), res["error"]
