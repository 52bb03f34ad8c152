"""test_secrets.py - no credential reaches a row, a log or an output.

Every process that talks to Magento runs against the fake with OAuth 1.0a
credentials and with a bearer token, through retries, 429s, a refused
signature and a refused token, through `magsyncctl run` and the daemon.
Then every row of every table in schema magsync, every command's output
and the daemon's log are searched for each secret (and for the parts of
an OAuth header that would carry them)."""
import json
import signal
import urllib.request
import uuid

OAUTH = {"consumer_key": "ck-" + uuid.uuid4().hex[:16],
         "consumer_secret": "cs-" + uuid.uuid4().hex,
         "access_token": "at" + uuid.uuid4().hex[:30],
         "access_token_secret": "as-" + uuid.uuid4().hex}
TOKEN = "tok-" + uuid.uuid4().hex
WRONG = "wrong-" + uuid.uuid4().hex
SECRETS = [TOKEN, WRONG] + list(OAUTH.values())
JOBS = ("import_listings", "get_orders", "sync_orders")


def control(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read().decode())


def config(t, conninfo, url, oauth, schedule="manual"):
    if oauth:
        creds = "auth = oauth1\n"
        for k, v in OAUTH.items():
            t.write(k + ".f", v + "\n", mode=0o600)
            creds += "%s_file = %s.f\n" % (k, k)
    else:
        creds = "access_token_file = shop.token\n"
    text = ("[magsync]\ndatabase = %s\ntimezone = UTC\n\n"
            "[channel shop]\nstore_url = %s\n%smax_concurrency = 2\n"
            "retry_attempts = 4\n\n" % (conninfo, url, creds))
    for j in JOBS:
        text += "[job shop %s]\nschedule = %s\n" % (j, schedule)
        if j == "get_orders":
            text += "acknowledge = comment\ndays_back = 60\n"
        text += "\n"
    return t.write("magsync.ini", text)


def clean(what, text):
    for s in SECRETS:
        assert s not in text, "a secret in %s:\n%s" % (what, text[-4000:])
    for k in ("oauth_signature=", "oauth_token=", "Bearer "):
        assert k not in text, "%r in %s:\n%s" % (k, what, text[-4000:])


def run(t, cfg, process, want):
    r = t.ctl("run", "shop", process, config=cfg, timeout=180)
    clean("magsyncctl run %s" % process, r.stdout + r.stderr)
    t.eq(r.returncode, want, "exit status of %s (%s)" %
         (process, r.stderr[-2000:]))


def every_row(t):
    """All rows of all magsync tables, as text."""
    tables = [r[0] for r in t.psql(
        "SELECT table_name FROM information_schema.tables WHERE "
        "table_schema = 'magsync' AND table_type = 'BASE TABLE'")]
    assert "job_log" in tables and "job_runs" in tables, tables
    out = []
    for name in tables:
        out += [r[0] for r in t.psql(
            "SELECT x::text FROM magsync.%s x" % name)]
    return "\n".join(out)


def test_no_secret_anywhere(t):
    conninfo = t.createdb()
    t.write("shop.token", TOKEN + "\n", mode=0o600)
    _, url = t.fake_magento(
        "--products", "60", "--orders", "12", "--seed", "5",
        "--consumer-key", OAUTH["consumer_key"],
        "--consumer-secret", OAUTH["consumer_secret"],
        "--access-token", OAUTH["access_token"],
        "--access-token-secret", OAUTH["access_token_secret"],
        "--admin-token", TOKEN,
        "--fault", "status,status=503,first=3",
        "--fault", "429,retry_after=1,first=2,skip=4")
    cfg = config(t, conninfo, url, oauth=True)
    r = t.ctl("migrate", config=cfg)
    t.eq(r.returncode, 0, "migrate (%s)" % r.stderr)
    clean("magsyncctl migrate", r.stdout + r.stderr)

    run(t, cfg, "import_listings", 0)
    run(t, cfg, "get_orders", 0)
    order = t.one("SELECT id FROM magsync.orders WHERE status IN "
                  "('pending', 'processing') ORDER BY id LIMIT 1")
    assert order is not None, "an order to ship"
    t.psql("INSERT INTO magsync.shipments (order_id, carrier, "
           "tracking_number) VALUES (%s, 'ups', '1Z999AA10123456784')"
           % order)
    run(t, cfg, "sync_orders", 0)

    # A signature Magento refuses (wrong access token secret), then a
    # bearer token it refuses: the errors are recorded, the secrets not.
    t.write("access_token_secret.f", WRONG + "\n", mode=0o600)
    run(t, cfg, "get_orders", 1)
    t.write("shop.token", WRONG + "\n", mode=0o600)
    cfg = config(t, conninfo, url, oauth=False)
    run(t, cfg, "import_listings", 1)
    errors = t.psql("SELECT error FROM magsync.job_runs WHERE status = "
                    "'failed' ORDER BY id")
    t.eq(len(errors), 2, "failed runs")
    assert "signature is invalid" in errors[0][0], errors
    assert "isn't authorized" in errors[1][0], errors

    # The daemon, on a schedule, with the refused token.
    cfg = config(t, conninfo, url, oauth=False, schedule="@every 1s")
    d = t.daemon(cfg)
    t.wait_for(lambda: int(t.one(
        "SELECT count(*) FROM magsync.job_runs WHERE trigger = 'schedule' "
        "AND status = 'failed'")) >= 3, 30, "scheduled failed runs")
    d.signal(signal.SIGTERM)
    t.eq(d.wait(20), 0, "magsyncd exit status")
    clean("magsyncd's log", d.output())

    for cmd in (("logs", "--limit", "1000"), ("logs", "--errors"),
                ("status",)):
        r = t.ctl(*cmd, config=cfg)
        t.eq(r.returncode, 0, "magsyncctl %s (%s)" % (cmd[0], r.stderr))
        clean("magsyncctl %s" % " ".join(cmd), r.stdout + r.stderr)
    rows = every_row(t)
    assert "signature is invalid" in rows, "the refusals are recorded"
    clean("the magsync tables", rows)


test_no_secret_anywhere.limit = 240
