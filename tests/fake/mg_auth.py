"""mg_auth.py - who is calling, and may they: bearer tokens, OAuth 1.0a
(RFC 5849, HMAC-SHA256 and optionally HMAC-SHA1) and ACL resources.

Magento facts reproduced here:
- an admin token works as a bearer token;
- an integration's access token works as a bearer token only when
  oauth/consumer/enable_integration_as_bearer is on (off by default since
  2.4.4); otherwise the request is anonymous and fails the ACL check with the
  same 401 a missing permission gives;
- OAuth 1.0a requests are checked in Magento's order (version, required
  parameters, signature method, consumer, timestamp, nonce, token,
  signature) with Magento's messages;
- a principal lacking the route's resource gets 401 "The consumer isn't
  authorized to access %resources." with {"resources": "..."}."""
import base64
import hashlib
import hmac
import threading
import time
from urllib.parse import quote, unquote, unquote_plus

ALL = "Magento_Backend::all"

# child -> parent, so that granting a parent grants its children (as the
# admin role editor does when a parent is ticked).
PARENT = {
    "Magento_Catalog::catalog": ALL,
    "Magento_Catalog::catalog_inventory": "Magento_Catalog::catalog",
    "Magento_Catalog::products": "Magento_Catalog::catalog_inventory",
    "Magento_Catalog::categories": "Magento_Catalog::catalog_inventory",
    "Magento_Sales::sales": ALL,
    "Magento_Sales::sales_operation": "Magento_Sales::sales",
    "Magento_Sales::sales_order": "Magento_Sales::sales_operation",
    "Magento_Sales::actions": "Magento_Sales::sales_order",
    "Magento_Sales::actions_view": "Magento_Sales::actions",
    "Magento_Sales::comment": "Magento_Sales::actions",
    "Magento_Sales::ship": "Magento_Sales::actions",
    "Magento_Sales::shipment": "Magento_Sales::sales_operation",
    "Magento_Cms::cms": ALL,
    "Magento_InventoryApi::inventory": ALL,
    "Magento_InventoryApi::source": "Magento_InventoryApi::inventory",
    "Magento_Backend::stores": ALL,
    "Magento_Backend::stores_settings": "Magento_Backend::stores",
    "Magento_Backend::store": "Magento_Backend::stores_settings",
    "Magento_CatalogInventory::cataloginventory": "Magento_Backend::stores_settings",
}

NOT_AUTHORIZED = "The consumer isn't authorized to access %resources."


class AuthError(Exception):
    def __init__(self, status, message, parameters=None, errors=None, detail=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameters = parameters
        self.errors = errors
        self.detail = detail    # for the journal; never holds a secret


class Principal:
    __slots__ = ("kind", "label", "acl")

    def __init__(self, kind, label, acl):
        self.kind = kind        # "admin" | "integration" | "oauth"
        self.label = label      # never the secret
        self.acl = acl          # set of resources, or None for everything

    def allowed(self, resource):
        if self.acl is None or ALL in self.acl:
            return True
        r = resource
        while r is not None:
            if r in self.acl:
                return True
            r = PARENT.get(r)
        return False


def pct(s):
    """RFC 5849 3.6 percent-encoding (unreserved: ALPHA DIGIT - . _ ~)."""
    return quote(s, safe="-._~")


def parse_oauth_header(value):
    """OAuth realm="x", oauth_consumer_key="..." -> dict (values decoded)."""
    out = {}
    rest = value.strip()[5:].strip() if value.strip()[:5].lower() == "oauth" else ""
    for part in _split_params(rest):
        if "=" not in part:
            continue
        k, v = part.split("=", 1)
        k = k.strip()
        v = v.strip()
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1]
        out[unquote(k)] = unquote(v)
    return out


def _split_params(s):
    parts, cur, quoted = [], [], False
    for ch in s:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if cur:
        parts.append("".join(cur))
    return parts


def base_string(method, base_uri, params):
    """RFC 5849 3.4.1: METHOD&enc(base URI)&enc(normalized parameters)."""
    enc = sorted((pct(k), pct(v)) for k, v in params)
    norm = "&".join("%s=%s" % kv for kv in enc)
    return "&".join((method.upper(), pct(base_uri), pct(norm)))


def sign(method, base_uri, params, consumer_secret, token_secret, algo="HMAC-SHA256"):
    key = (pct(consumer_secret) + "&" + pct(token_secret or "")).encode()
    digest = hashlib.sha256 if algo == "HMAC-SHA256" else hashlib.sha1
    mac = hmac.new(key, base_string(method, base_uri, params).encode(), digest)
    return base64.b64encode(mac.digest()).decode()


class Auth:
    """Tokens and integrations, configured at start or through /__state."""

    def __init__(self, integration_bearer=False, allow_sha1=False):
        self.lock = threading.Lock()
        self.admin = {}           # token -> Principal
        self.integrations = []    # dicts: consumer_key, consumer_secret, token, token_secret, acl, id
        self.integration_bearer = integration_bearer
        self.allow_sha1 = allow_sha1
        self.nonces = set()       # (consumer id, nonce)
        self.deviation = 600      # Magento's TIME_DEVIATION

    def add_admin(self, token, acl=None, label=None):
        with self.lock:
            n = len(self.admin) + 1
            self.admin[token] = Principal("admin", label or "admin#%d" % n,
                                          set(acl) if acl is not None else None)

    def add_integration(self, consumer_key, consumer_secret, token, token_secret,
                        acl=None, label=None):
        with self.lock:
            n = len(self.integrations) + 1
            self.integrations.append({
                "id": n, "consumer_key": consumer_key,
                "consumer_secret": consumer_secret, "token": token,
                "token_secret": token_secret,
                "label": label or "integration#%d" % n,
                "acl": set(acl) if acl is not None else None})

    def set_acl(self, token, acl):
        """Replace the resources of an admin or integration access token."""
        with self.lock:
            acl = set(acl) if acl is not None else None
            if token in self.admin:
                self.admin[token].acl = acl
                return True
            for it in self.integrations:
                if it["token"] == token:
                    it["acl"] = acl
                    return True
        return False

    def describe(self):
        """Configuration without secrets (for /__state)."""
        with self.lock:
            return {
                "integration_bearer": self.integration_bearer,
                "allow_sha1": self.allow_sha1,
                "admin": [{"label": p.label, "acl": sorted(p.acl) if p.acl is not None else "all"}
                          for p in self.admin.values()],
                "integrations": [{"label": it["label"],
                                  "acl": sorted(it["acl"]) if it["acl"] is not None else "all"}
                                 for it in self.integrations],
            }

    def authenticate(self, method, scheme, host, raw_path, raw_query, header,
                     form_body=None):
        """Principal for the request, or None (anonymous).  Raises AuthError
        for OAuth requests Magento rejects before the ACL check."""
        if not header:
            return None
        h = header.strip()
        low = h[:7].lower()
        if low.startswith("bearer"):
            tok = h[6:].strip()
            with self.lock:
                p = self.admin.get(tok)
                if p is not None:
                    return p
                for it in self.integrations:
                    if hmac.compare_digest(it["token"], tok):
                        if self.integration_bearer:
                            return Principal("integration", it["label"], it["acl"])
                        return None
            return None
        if low.startswith("oauth"):
            return self._oauth(method, scheme, host, raw_path, raw_query,
                               parse_oauth_header(h), form_body)
        return None

    def _oauth(self, method, scheme, host, raw_path, raw_query, op, form_body):
        if "oauth_version" in op and op["oauth_version"] != "1.0":
            raise AuthError(400, 'The "%1" Oauth version isn\'t supported.', [op["oauth_version"]])
        required = ["oauth_consumer_key", "oauth_signature", "oauth_signature_method",
                    "oauth_nonce", "oauth_timestamp", "oauth_token"]
        missing = [r for r in required if r not in op]
        if len(missing) == 1:
            raise AuthError(400, '"%fieldName" is required. Enter and try again.',
                            {"fieldName": missing[0]})
        if missing:
            raise AuthError(400, "One or more input exceptions have occurred.", None,
                            [{"message": '"%fieldName" is required. Enter and try again.',
                              "parameters": {"fieldName": m}} for m in missing])
        algo = op["oauth_signature_method"]
        ok_algos = ("HMAC-SHA256", "HMAC-SHA1") if self.allow_sha1 else ("HMAC-SHA256",)
        if algo not in ok_algos:
            raise AuthError(400, "Signature method %1 is not supported", [algo])
        with self.lock:
            consumer = None
            for it in self.integrations:
                if hmac.compare_digest(it["consumer_key"], op["oauth_consumer_key"]):
                    consumer = it
                    break
            if consumer is None:
                raise AuthError(401, "A consumer having the specified key does not exist")
            try:
                ts = int(op["oauth_timestamp"])
            except ValueError:
                ts = 0
            if ts <= 0 or ts > time.time() + self.deviation:
                raise AuthError(400, "Incorrect timestamp value in the oauth_timestamp parameter")
            key = (consumer["id"], op["oauth_nonce"])
            if key in self.nonces:
                raise AuthError(401, "The nonce is already being used by the consumer with ID %1",
                                [consumer["id"]])
            self.nonces.add(key)
            token = None
            for it in self.integrations:
                if hmac.compare_digest(it["token"], op["oauth_token"]):
                    token = it
                    break
            if token is None:
                raise AuthError(401, "Specified token does not exist")
            if token is not consumer:
                raise AuthError(401, "Token is not associated with the specified consumer")
        params = [(k, v) for k, v in op.items() if k not in ("oauth_signature", "realm")]
        if raw_query:
            for part in raw_query.split("&"):
                if not part:
                    continue
                k, _, v = part.partition("=")
                params.append((unquote_plus(k), unquote_plus(v)))
        if form_body:
            for part in form_body.split("&"):
                if part:
                    k, _, v = part.partition("=")
                    params.append((unquote_plus(k), unquote_plus(v)))
        uri = base_uri(scheme, host, raw_path)
        want = sign(method, uri, params, consumer["consumer_secret"],
                    consumer["token_secret"], algo)
        if not hmac.compare_digest(want, op["oauth_signature"]):
            # the base string we expected, token and key masked, so a
            # client's author can diff it against theirs
            bs = base_string(method, uri, params)
            for v in (op["oauth_token"], op["oauth_consumer_key"]):
                bs = bs.replace(pct(pct(v)), "REDACTED")
            raise AuthError(401, "The signature is invalid. Verify and try again.",
                            detail=bs)
        return Principal("oauth", consumer["label"], consumer["acl"])


def base_uri(scheme, host, raw_path):
    """RFC 5849 3.4.1.2: lower-case scheme and host, default port dropped,
    the path as sent, no query."""
    scheme = scheme.lower()
    host = (host or "").strip()
    hostname, port = host, ""
    if host.startswith("["):
        end = host.find("]")
        hostname, port = host[:end + 1], host[end + 2:] if host[end + 1:end + 2] == ":" else ""
    elif ":" in host:
        hostname, port = host.rsplit(":", 1)
    hostname = hostname.lower()
    if (scheme == "http" and port == "80") or (scheme == "https" and port == "443"):
        port = ""
    return "%s://%s%s%s" % (scheme, hostname, ":" + port if port else "", raw_path or "/")
