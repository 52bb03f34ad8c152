"""test_oauth1_py.py - the independent check of lib/oauth1.c.

tests/tools/oauth1_sign prints the Authorization header lib/oauth1.c makes
for a request; this file recomputes every signature with Python's own
hmac/hashlib/urllib (an RFC 5849 implementation written here, sharing no
code with the C one) over seeded random requests: Magento searchCriteria
queries with bracketed names (encoded and raw), hostile values, '+' as a
space, odd hosts and ports, secrets with reserved characters and UTF-8.

It also checks the reason for MAGE_CRITERIA_MAX in lib/mage.h: the orders
in which RFC 5849, Guzzle's oauth-subscriber (recent Magento 2.4) and
Zend/Laminas OAuth (older Magento 2.x) sort the signed parameters agree for
one-digit searchCriteria indices and disagree once "[10]" appears."""
import base64
import hashlib
import hmac
import os
import random
import re
import subprocess
import urllib.parse as up

SEED = int(os.environ.get("OAUTH1_SEED", "5849"))


def enc(s):
    """RFC 3986 percent-encoding of UTF-8 bytes, unreserved kept."""
    if isinstance(s, str):
        s = s.encode("utf-8", "surrogateescape")
    return up.quote(s, safe=b"-._~")


def form_pairs(s):
    """application/x-www-form-urlencoded pairs, decoded to bytes."""
    out = []
    for part in s.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        out.append((up.unquote_to_bytes(name.replace("+", " ")),
                    up.unquote_to_bytes(value.replace("+", " "))))
    return out


def base_uri(url):
    u = up.urlsplit(url)
    scheme = u.scheme.lower()
    host = u.netloc.lower()
    m = re.match(r"^(.*?)(?::(\d*))?$", host)
    if host.startswith("["):
        m = re.match(r"^(\[[^\]]*\])(?::(\d*))?$", host)
    hostname, port = m.group(1), m.group(2)
    if port is not None and port != "":
        port = str(int(port))
    if not port or (scheme, port) in (("http", "80"), ("https", "443")):
        port = None
    return "%s://%s%s%s" % (scheme, hostname, ":" + port if port else "",
                             u.path or "/")


def base_string(method, url, oauth):
    query = up.urlsplit(url).query
    pairs = form_pairs(query) + [(k.encode(), v.encode("utf-8"))
                                 for k, v in oauth.items()]
    norm = "&".join("%s=%s" % nv for nv in
                    sorted((enc(n), enc(v)) for n, v in pairs))
    return "%s&%s&%s" % (method.upper(), enc(base_uri(url)), enc(norm))


def signature(bs, consumer_secret, token_secret):
    key = (enc(consumer_secret) + "&" + enc(token_secret)).encode()
    return base64.b64encode(hmac.new(key, bs.encode(),
                                     hashlib.sha256).digest()).decode()


def parse_header(h):
    assert h.startswith("OAuth "), h
    out = {}
    for part in h[6:].split(", "):
        name, _, value = part.partition("=")
        assert value.startswith('"') and value.endswith('"'), part
        out[name] = up.unquote(value[1:-1])
    return out


ALPHABET = (list("abcXYZ019-._~") +
            [" ", "+", "%", "&", "=", "[", "]", "/", "?", "#", "*", "'", "(",
             ")", ",", ";", ":", "@", "!", "$", "\t", "é", "€", "😀", '"'])


def hostile(rng, lo=0, hi=12):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(lo, hi)))


def criteria_query(rng):
    """A searchCriteria query as lib/mage.c writes it, sometimes with raw
    brackets or '+' for spaces as other clients would."""
    params = []
    for g in range(rng.randint(0, 3)):
        for f in range(rng.randint(1, 3)):
            pre = "searchCriteria[filter_groups][%d][filters][%d]" % (g, f)
            params += [(pre + "[field]", rng.choice(["sku", "status",
                                                     "created_at"])),
                       (pre + "[value]", hostile(rng)),
                       (pre + "[condition_type]", rng.choice(
                           ["eq", "in", "like", "gteq", "nfinset"]))]
    if rng.random() < 0.5:
        params += [("searchCriteria[sortOrders][0][field]", "created_at"),
                   ("searchCriteria[sortOrders][0][direction]", "ASC")]
    params += [("searchCriteria[pageSize]", str(rng.randint(1, 300))),
               ("searchCriteria[currentPage]", str(rng.randint(1, 99)))]
    style = rng.choice(["encoded", "raw-brackets", "plus"])
    parts = []
    for n, v in params:
        if style == "raw-brackets":
            parts.append(up.quote(n, safe="[]") + "=" + enc(v))
        elif style == "plus":
            parts.append(up.quote_plus(n) + "=" + up.quote_plus(v))
        else:
            parts.append(enc(n) + "=" + enc(v))
    return "&".join(parts)


def random_url(rng):
    scheme = rng.choice(["http", "https"])
    host = rng.choice(["Shop.Example.COM", "127.0.0.1", "[::1]",
                       "magento.test"])
    port = rng.choice(["", ":80", ":443", ":8080", ":08080"])
    sku = enc(hostile(rng, 1, 8).replace("/", "-"))
    path = rng.choice(["/rest/default/V1/products",
                       "/rest/all/V1/products/%s" % sku,
                       "/shop/rest/de/V1/orders", ""])
    q = criteria_query(rng) if rng.random() < 0.8 else ""
    return "%s://%s%s%s%s" % (scheme, host, port, path, "?" + q if q else "")


def sign_c(t, method, url, ck, cs, tok, ts_, nonce, stamp, flag=None):
    argv = [t.bin("tests/oauth1_sign")]
    if flag:
        argv.append(flag)
    if tok is None:
        argv.append("-N")
    argv += ["--", method, url, ck, cs, tok or "", ts_, nonce, str(stamp)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, "oauth1_sign failed (%d): %s" % (
        r.returncode, r.stderr)
    return r.stdout.rstrip("\n")


def test_oauth1_signatures_match_python(t):
    rng = random.Random(SEED)
    for i in range(150):
        method = rng.choice(["GET", "PUT", "POST", "delete"])
        url = random_url(rng)
        ck, cs = hostile(rng, 1, 32), hostile(rng, 0, 32)
        tok, ts_ = hostile(rng, 1, 32), hostile(rng, 0, 32)
        if rng.random() < 0.1:
            tok = None      # two-legged: no oauth_token
        nonce = "%032x" % rng.getrandbits(128)
        stamp = rng.randint(0, 2 ** 40)
        what = "case %d (seed %d): %s %s" % (i, SEED, method, url)

        header = sign_c(t, method, url, ck, cs, tok, ts_, nonce, stamp)
        got = parse_header(header)
        oauth = {"oauth_consumer_key": ck, "oauth_nonce": nonce,
                 "oauth_signature_method": "HMAC-SHA256",
                 "oauth_timestamp": str(stamp), "oauth_token": tok,
                 "oauth_version": "1.0"}
        if tok is None:
            del oauth["oauth_token"]
        for k, v in oauth.items():
            t.eq(got.get(k), v, "%s: %s" % (what, k))
        t.eq(sorted(got), sorted(list(oauth) + ["oauth_signature"]),
             what + ": header parameters")
        bs = base_string(method, url, oauth)
        t.eq(sign_c(t, method, url, ck, cs, tok, ts_, nonce, stamp, "-b"),
             bs, what + ": base string")
        t.eq(got.get("oauth_signature"), signature(bs, cs, ts_),
             what + ": signature")
        assert cs not in header or len(cs) < 4, what + ": secret in header"


def test_oauth1_known_vector(t):
    """One fixed request, so a change in the random generator cannot hide
    a regression: Magento's order search from tests/unit/test_oauth1.c."""
    url = ("https://Shop.Example.com:443/rest/default/V1/orders?"
           "searchCriteria[filter_groups][0][filters][0][field]=status&"
           "searchCriteria[filter_groups][0][filters][0][value]=pending%2C"
           "processing&searchCriteria[filter_groups][0][filters][0]"
           "[condition_type]=in&searchCriteria[pageSize]=50&"
           "searchCriteria[currentPage]=1")
    args = ("GET", url, "ck1", "c&s=1 %", "tok", "t+s/2",
            "0123456789abcdef0123456789abcdef", 1700000000)
    got = parse_header(sign_c(t, *args))
    oauth = {"oauth_consumer_key": "ck1",
             "oauth_nonce": "0123456789abcdef0123456789abcdef",
             "oauth_signature_method": "HMAC-SHA256",
             "oauth_timestamp": "1700000000", "oauth_token": "tok",
             "oauth_version": "1.0"}
    want = signature(base_string("GET", url, oauth), "c&s=1 %", "t+s/2")
    t.eq(want, "FU+XHGynxZuQqc44OrqxUepyiNSstGolvuK0YUmzUCQ=", "python")
    t.eq(got["oauth_signature"], want, "C")


# -- the parameter orders of the three server implementations -------------

def php_strnatcmp(a, b):
    """PHP's strnatcmp_ex (ext/standard/strnatcmp.c) on byte strings, as
    Zend/Laminas OAuth sorts parameter names with uksort()."""
    if not a or not b:
        return (len(a) > len(b)) - (len(a) < len(b))
    ai = bi = 0
    leading = True
    while True:
        ca = a[ai] if ai < len(a) else 0
        cb = b[bi] if bi < len(b) else 0
        while leading and ca == 0x30 and ai + 1 < len(a) and \
                chr(a[ai + 1]).isdigit():
            ai += 1
            ca = a[ai]
        while leading and cb == 0x30 and bi + 1 < len(b) and \
                chr(b[bi + 1]).isdigit():
            bi += 1
            cb = b[bi]
        leading = False
        if chr(ca).isdigit() and chr(cb).isdigit():
            ea, eb = ai, bi
            while ea < len(a) and chr(a[ea]).isdigit():
                ea += 1
            while eb < len(b) and chr(b[eb]).isdigit():
                eb += 1
            da, db = a[ai:ea], b[bi:eb]
            if ca == 0x30 or cb == 0x30:    # "fractional": left-aligned
                for x, y in zip(da, db):
                    if x != y:
                        return -1 if x < y else 1
                if len(da) != len(db):
                    return -1 if len(da) < len(db) else 1
            else:                           # integers: longer is larger
                if len(da) != len(db):
                    return -1 if len(da) < len(db) else 1
                if da != db:
                    return -1 if da < db else 1
            ai, bi = ea, eb
            if ai >= len(a) and bi >= len(b):
                return 0
            if ai >= len(a):
                return -1
            if bi >= len(b):
                return 1
            continue
        if ca != cb:
            return -1 if ca < cb else 1
        ai += 1
        bi += 1
        if ai >= len(a) and bi >= len(b):
            return 0
        if ai >= len(a):
            return -1
        if bi >= len(b):
            return 1


def orders(names):
    import functools
    rfc = sorted(names, key=lambda n: enc(n))
    guzzle = sorted(names, key=lambda n: n.encode())
    laminas = [up.unquote(x) for x in sorted(
        (enc(n) for n in names),
        key=functools.cmp_to_key(lambda x, y: php_strnatcmp(x.encode(),
                                                            y.encode())))]
    return rfc, guzzle, laminas


def criteria_names(groups, filters, sorts):
    names = ["oauth_consumer_key", "oauth_nonce", "oauth_signature_method",
             "oauth_timestamp", "oauth_token", "oauth_version",
             "searchCriteria[pageSize]", "searchCriteria[currentPage]",
             "fields"]
    for g in range(groups):
        for f in range(filters):
            for k in ("field", "value", "condition_type"):
                names.append("searchCriteria[filter_groups][%d][filters][%d]"
                             "[%s]" % (g, f, k))
    for s in range(sorts):
        for k in ("field", "direction"):
            names.append("searchCriteria[sortOrders][%d][%s]" % (s, k))
    return names


def test_oauth1_server_orders_agree_below_ten(t):
    assert php_strnatcmp(b"img12", b"img10") == 1
    assert php_strnatcmp(b"img2", b"img10") == -1
    assert php_strnatcmp(b"a", b"a") == 0
    rfc, guzzle, laminas = orders(criteria_names(10, 10, 10))
    t.eq(guzzle, rfc, "Guzzle order, indices 0-9")
    t.eq(laminas, rfc, "Laminas order, indices 0-9")
    rfc, guzzle, laminas = orders(criteria_names(1, 11, 1))
    assert rfc != guzzle and rfc != laminas and guzzle != laminas, \
        "with index 10 the three orders should all differ"


test_oauth1_signatures_match_python.limit = 120
test_oauth1_known_vector.limit = 30
test_oauth1_server_orders_agree_below_ten.limit = 30
