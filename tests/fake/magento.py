#!/usr/bin/env python3
"""magento.py - a stateful fake Magento 2 REST server for magsync's tests.

Python 3 standard library only; reads nothing outside this directory.
Usage and the control API: tests/fake/README.md.  Prints "listening on PORT"
once it accepts connections."""
import argparse
import json
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mg_auth  # noqa: E402
import mg_faults  # noqa: E402
import mg_gen  # noqa: E402
import mg_http  # noqa: E402
import mg_store  # noqa: E402

DEFAULT_TOKEN = "magsync-test-token"


def parse_time(s):
    if s is None:
        return None
    try:
        return int(float(s))
    except ValueError:
        pass
    import datetime
    t = s.replace("Z", "+00:00")
    d = datetime.datetime.fromisoformat(t)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp())


def split_acl(text):
    if text is None or text == "all":
        return None
    return [r.strip() for r in text.split(",") if r.strip()]


def build_parser():
    ap = argparse.ArgumentParser(description="fake Magento 2 REST server")
    a = ap.add_argument
    a("--host", default="127.0.0.1")
    a("--port", type=int, default=0, help="0: any free port")
    a("--tls-cert")
    a("--tls-key")
    a("--verbose", action="store_true")
    # generator
    a("--seed", type=int, default=1)
    a("--products", type=int, default=100)
    a("--configurable-share", type=float, default=0.3,
      help="fraction of products inside configurable families")
    a("--children", type=int, default=3, help="children per configurable")
    a("--layout", choices=("scattered", "adjacent"), default="scattered")
    a("--virtual-share", type=float, default=0.02)
    a("--disabled-share", type=float, default=0.03)
    a("--categories-depth", type=int, default=3)
    a("--categories-breadth", type=int, default=0, help="0: the Luma-like tree")
    a("--orders", type=int, default=50)
    a("--order-days", type=int, default=30)
    a("--order-statuses", help="pending=30,processing=35,complete=20,canceled=8,holded=7")
    a("--virtual-orders", type=float, default=0.05)
    a("--now", help="generator clock (epoch or ISO-8601); default: start time")
    a("--sources", default="default,eu_warehouse", help="MSI source codes, default source first")
    a("--second-source-share", type=float, default=0.4)
    a("--stores", default="default", help="store view codes")
    # Magento behaviour switches
    a("--no-msi", action="store_true", help="/V1/inventory/* answer 404 (no MSI)")
    a("--legacy-last-page", action="store_true", help="pages past the end repeat the last page")
    a("--input-limit", action="store_true", help="2.4 input limits: pageSize capped")
    a("--max-page-size", type=int, default=300)
    a("--default-page-size", type=int, default=20)
    a("--put-unknown", choices=("create", "404"), default="create")
    a("--scalar-ids", choices=("string", "number"), default="string")
    a("--encoded-slash", choices=("route", "apache", "allow"), default="route")
    # auth
    a("--admin-token", action="append", default=[], help="TOKEN (repeatable)")
    a("--consumer-key")
    a("--consumer-secret")
    a("--access-token")
    a("--access-token-secret")
    a("--integration-bearer", choices=("on", "off"), default="off")
    a("--oauth-sha1", action="store_true", help="also accept HMAC-SHA1")
    a("--acl", action="append", default=[], help="TOKEN=RES,RES (or TOKEN=all)")
    a("--state", help="JSON file: tokens, integrations, products, orders, faults, config")
    # faults, journal, speed
    a("--fault", action="append", default=[], help="fault spec (repeatable)")
    a("--journal-max", type=int, default=200000)
    a("--journal-body-max", type=int, default=65536)
    a("--cache-mb", type=int, default=256)
    a("--warm", action="store_true", help="pre-render list items before listening")
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    state = {}
    if args.state:
        with open(args.state) as f:
            state = json.load(f)
    now = parse_time(args.now) or int(time.time())
    sources = [s.strip() for s in args.sources.split(",") if s.strip()] or ["default"]
    cats = mg_gen.Categories(args.categories_depth, args.categories_breadth)
    catalog = mg_gen.Catalog(args.seed, args.products, args.configurable_share,
                             args.children, args.layout, args.virtual_share,
                             args.disabled_share, cats, now, sources,
                             args.second_source_share)
    weights = None
    if args.order_statuses:
        weights = []
        for part in args.order_statuses.split(","):
            k, _, v = part.partition("=")
            weights.append((k.strip(), int(v or 1)))
    orders = mg_gen.Orders(args.seed, args.orders, catalog, args.order_days, now,
                           weights, args.virtual_orders)
    cfg = mg_store.Config()
    cfg.msi = not args.no_msi
    cfg.legacy_last_page = args.legacy_last_page
    cfg.input_limit = args.input_limit
    cfg.max_page_size = args.max_page_size
    cfg.default_page_size = args.default_page_size
    cfg.put_unknown = args.put_unknown
    cfg.scalar_ids = args.scalar_ids
    cfg.encoded_slash = args.encoded_slash
    cfg.stores = [s.strip() for s in args.stores.split(",") if s.strip()] or ["default"]
    cfg.sources = sources
    for k, v in (state.get("config") or {}).items():
        typ = cfg.SETTABLE.get(k)
        if typ is None:
            sys.exit("magento.py: unknown config key %s in --state" % k)
        setattr(cfg, k, typ(v))
    store = mg_store.Store(cfg, catalog, orders, args.cache_mb)

    auth = mg_auth.Auth(integration_bearer=args.integration_bearer == "on",
                        allow_sha1=args.oauth_sha1)
    if "integration_bearer" in state:
        auth.integration_bearer = bool(state["integration_bearer"])
    for tok in args.admin_token:
        auth.add_admin(tok)
    for tok in state.get("admin_tokens") or []:
        if isinstance(tok, str):
            auth.add_admin(tok)
        else:
            auth.add_admin(tok["token"], split_acl(tok.get("acl")) if isinstance(tok.get("acl"), str)
                           else tok.get("acl"))
    if args.access_token:
        if not (args.consumer_key and args.consumer_secret and args.access_token_secret):
            sys.exit("magento.py: --access-token needs --consumer-key, --consumer-secret "
                     "and --access-token-secret")
        auth.add_integration(args.consumer_key, args.consumer_secret,
                             args.access_token, args.access_token_secret)
    for it in state.get("integrations") or []:
        acl = it.get("acl")
        auth.add_integration(it["consumer_key"], it["consumer_secret"], it["access_token"],
                             it["access_token_secret"], split_acl(acl) if isinstance(acl, str) else acl)
    if not auth.admin and not auth.integrations:
        auth.add_admin(DEFAULT_TOKEN)
    for spec in args.acl:
        tok, _, res = spec.partition("=")
        if not auth.set_acl(tok, split_acl(res)):
            sys.exit("magento.py: --acl names a token that is not configured")

    faults = mg_faults.Faults()
    try:
        for spec in list(state.get("faults") or []) + args.fault:
            faults.add(mg_faults.parse(spec))
    except mg_faults.FaultError as e:
        sys.exit("magento.py: %s" % e)
    if state.get("products"):
        store.add_products(state["products"])
    if state.get("orders"):
        store.add_orders(state["orders"])

    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    app = mg_http.App(store, auth, faults, args.verbose, args.journal_max,
                      args.journal_body_max)
    server = mg_http.Server((args.host, args.port), app, tls)
    if args.warm:
        t0 = time.time()
        store.warm()
        sys.stdout.write("warmed %d list items in %.1f s\n" % (len(store.frags.d), time.time() - t0))
    port = server.server_address[1]
    sys.stdout.write("listening on %d (%s, %d products, %d orders)\n" % (
        port, "https" if tls else "http", catalog.n, orders.count))
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
