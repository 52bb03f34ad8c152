"""`magsyncctl test-connection CHANNEL` against the fake Magento: a good
store passes; a wrong token, an integration token refused as a bearer
token, a missing ACL resource, a TLS certificate that does not verify, a
closed port, a name that does not resolve and a store answering 500 each
fail with an explanation of what to do; OAuth 1.0a works; a store without
MSI falls back to the legacy stock listing. No credential is ever printed."""
import os
import subprocess
import uuid

import harness

TOKEN = "tok-" + uuid.uuid4().hex
OAUTH = {"consumer_key": "ck-" + uuid.uuid4().hex[:16],
         "consumer_secret": "cs-" + uuid.uuid4().hex,
         "access_token": "at" + uuid.uuid4().hex[:30],
         "access_token_secret": "as-" + uuid.uuid4().hex}
SECRETS = [TOKEN] + list(OAUTH.values())

JOBS = ("import_listings", "sync_listings", "get_orders", "sync_orders")


def config(t, url, token=TOKEN, oauth=False, jobs=JOBS, extra=""):
    if oauth:
        creds = "auth = oauth1\n"
        for k, v in OAUTH.items():
            t.write(k + ".f", v + "\n", mode=0o600)
            creds += "%s_file = %s.f\n" % (k, k)
    else:
        t.write("shop.token", token + "\n", mode=0o600)
        creds = "access_token_file = shop.token\n"
    text = ("[magsync]\ndatabase = dbname=unused\n\n"
            "[channel shop]\nstore_url = %s\n%s%s\n" % (url, creds, extra))
    for j in jobs:
        text += "[job shop %s]\nschedule = manual\n\n" % j
    text += "[job shop publish_listings]\nschedule = manual\nenabled = no\n"
    return t.write("magsync.ini", text)


def tc(t, cfg, want_rc):
    r = t.ctl("test-connection", "shop", config=cfg, timeout=120)
    out = r.stdout + r.stderr
    for s in SECRETS:
        assert s not in out, "a credential was printed:\n" + out
    t.eq(r.returncode, want_rc, "exit status; output:\n" + out)
    return out


def line(out, start):
    """The line starting with start (verdict and check name), and its
    continuation lines."""
    lines = out.splitlines()
    for i, ln in enumerate(lines):
        if ln.startswith(start):
            rest = []
            for more in lines[i + 1:]:
                if not more.startswith("        "):
                    break
                rest.append(more.strip())
            return " ".join([ln] + rest)
    raise harness.Fail("no line starting %r in:\n%s" % (start, out))


def test_tc_good_store(t):
    _, url = t.fake_magento("--admin-token", TOKEN, "--products", "10")
    out = tc(t, config(t, url), 0)
    for check in ("URL:", "DNS:", "TCP:", "token: accepted"):
        line(out, "ok      " + check)
    line(out, "warning TLS: not used")
    for what in ("import_listings, sync_listings: may read products",
                 "import_listings: may read categories",
                 "import_listings: may read stock (MSI source items)",
                 "get_orders: may read orders",
                 "sync_orders: may read shipments"):
        line(out, "ok      " + what)
    # sync_listings shares the products probe (one request, one line);
    # its writes are named, not tried.
    assert "Magento_Catalog::products" in line(out, "note    sync_listings"), \
        out
    assert "Magento_Sales::ship" in line(out, "note    sync_orders"), out
    assert "publish_listings" not in out, "a disabled job was probed"
    assert out.rstrip().endswith("Result: ok"), out


def test_tc_wrong_token(t):
    _, url = t.fake_magento("--admin-token", TOKEN)
    out = tc(t, config(t, url, token="wrong-" + uuid.uuid4().hex), 1)
    msg = line(out, "FAILED  token:")
    assert "refused" in msg and "401" in msg, msg
    assert "wrong, revoked or expired" in msg, msg
    line(out, "skipped import_listings")


def test_tc_integration_token_as_bearer(t):
    integ = ["--consumer-key", OAUTH["consumer_key"],
             "--consumer-secret", OAUTH["consumer_secret"],
             "--access-token", OAUTH["access_token"],
             "--access-token-secret", OAUTH["access_token_secret"]]
    _, url = t.fake_magento(*integ)
    # 2.4.4+ default: refused, and the fix is named.
    out = tc(t, config(t, url, token=OAUTH["access_token"]), 1)
    msg = line(out, "FAILED  token:")
    assert "integration" in msg and "2.4.4" in msg, msg
    assert "oauth/consumer/enable_integration_as_bearer" in msg, msg
    assert "auth = oauth1" in msg, msg
    # The fix, either way: OAuth 1.0a signatures ...
    out = tc(t, config(t, url, oauth=True), 0)
    line(out, "ok      token: accepted")
    assert "OAuth 1.0a" in line(out, "ok      URL:"), out
    # ... or the store setting.
    _, url2 = t.fake_magento("--integration-bearer", "on", *integ)
    tc(t, config(t, url2, token=OAUTH["access_token"]), 0)


def test_tc_oauth_wrong_secret(t):
    _, url = t.fake_magento("--consumer-key", OAUTH["consumer_key"],
                            "--consumer-secret", "other-secret",
                            "--access-token", OAUTH["access_token"],
                            "--access-token-secret",
                            OAUTH["access_token_secret"])
    out = tc(t, config(t, url, oauth=True), 1)
    msg = line(out, "FAILED  token:")
    assert "signature is invalid" in msg and "clock" in msg, msg


def test_tc_missing_permission(t):
    acl = "%s=Magento_Backend::store,Magento_Catalog::products," \
          "Magento_Catalog::categories,Magento_InventoryApi::source," \
          "Magento_Sales::shipment" % TOKEN
    _, url = t.fake_magento("--admin-token", TOKEN, "--acl", acl)
    out = tc(t, config(t, url), 1)
    line(out, "ok      token: accepted")
    line(out, "ok      import_listings, sync_listings: may read products")
    line(out, "ok      sync_orders: may read shipments")
    msg = line(out, "FAILED  get_orders: may not read orders")
    assert "Magento_Sales::actions_view" in msg, msg
    assert "Grant Magento_Sales::actions_view" in msg, msg
    t.eq(out.count("FAILED"), 2, "one failure (and the result line)")


def test_tc_token_without_store_read(t):
    """Only Magento_Backend::store missing: no job needs it, so ok."""
    acl = "%s=Magento_Catalog::catalog,Magento_Sales::sales," \
          "Magento_InventoryApi::inventory" % TOKEN
    _, url = t.fake_magento("--admin-token", TOKEN, "--acl", acl)
    out = tc(t, config(t, url), 0)
    assert "Magento_Backend::store" in line(out, "ok      token:"), out


def test_tc_tls_failure(t):
    cert, key = t.path("cert.pem"), t.path("key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=localhost"], capture_output=True)
    t.eq(r.returncode, 0, "openssl: %s" % r.stderr)
    _, url = t.fake_magento("--admin-token", TOKEN, "--tls-cert", cert,
                            "--tls-key", key)
    https = url.replace("http://", "https://")
    out = tc(t, config(t, https), 1)
    msg = line(out, "FAILED  TLS:")
    assert "certificate of 127.0.0.1" in msg, msg
    assert "self-signed" in msg or "self signed" in msg, msg
    assert "verify_tls" in msg, msg
    line(out, "skipped token and permissions")
    # verify_tls = no gets through, with a warning.
    out = tc(t, config(t, https, extra="verify_tls = no\n"), 0)
    assert "NOT verified" in line(out, "warning TLS:"), out


def test_tc_unreachable_host(t):
    port = harness.free_port()
    out = tc(t, config(t, "http://127.0.0.1:%d" % port), 1)
    msg = line(out, "FAILED  TCP:")
    assert "refused the connection" in msg and str(port) in msg, msg
    line(out, "skipped token and permissions")


def test_tc_unknown_host(t):
    out = tc(t, config(t, "https://no-such-store.invalid"), 1)
    msg = line(out, "FAILED  DNS:")
    assert "no-such-store.invalid" in msg, msg


def test_tc_store_answers_500(t):
    _, url = t.fake_magento("--admin-token", TOKEN, "--fault",
                            "status,status=500")
    out = tc(t, config(t, url), 1)
    msg = line(out, "FAILED  token:")
    assert "the store answers 500" in msg, msg
    assert "exception.log" in msg, msg


def test_tc_store_without_msi(t):
    _, url = t.fake_magento("--admin-token", TOKEN, "--no-msi")
    out = tc(t, config(t, url, jobs=("import_listings",)), 0)
    line(out, "note    import_listings: no MSI")
    line(out, "ok      import_listings: may read stock (stock items)")


def test_tc_usage_and_unknown_channel(t):
    _, url = t.fake_magento("--admin-token", TOKEN)
    cfg = config(t, url)
    r = t.ctl("test-connection", config=cfg)
    t.eq(r.returncode, 1, "no channel given")
    assert "usage" in r.stderr, r.stderr
    r = t.ctl("test-connection", "nope", config=cfg)
    t.eq(r.returncode, 1, "unknown channel")
    assert 'no channel "nope"' in r.stderr, r.stderr
    os.unlink(t.path("shop.token"))
    r = t.ctl("test-connection", "shop", config=cfg)
    t.eq(r.returncode, 1, "unreadable token file")
