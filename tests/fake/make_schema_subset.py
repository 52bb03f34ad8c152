#!/usr/bin/env python3
"""make_schema_subset.py - derive tests/fake/schema_subset.json from the
official Magento admin REST schema (development time only).

    /usr/bin/python3 tests/fake/make_schema_subset.py \
        ../shared/magento/admin-schema-2.4.8.json > tests/fake/schema_subset.json

The subset keeps, for every (method, path) the fake serves, the 200 response
schema and the body parameter schema, plus every definition they reference
(transitively), unchanged.  tests/integration/test_fake.py checks the fake's
answers against it, so the tests never need the shared folder."""
import json
import sys

# (method, schema path) served by tests/fake/magento.py
SERVED = [
    ("get", "/V1/products"), ("post", "/V1/products"),
    ("get", "/V1/products/{sku}"), ("put", "/V1/products/{sku}"),
    ("delete", "/V1/products/{sku}"),
    ("get", "/V1/categories"), ("get", "/V1/categories/list"),
    ("get", "/V1/inventory/source-items"), ("get", "/V1/inventory/sources"),
    ("get", "/V1/stockItems/lowStock/"), ("get", "/V1/stockItems/{productSku}"),
    ("put", "/V1/products/{productSku}/stockItems/{itemId}"),
    ("get", "/V1/configurable-products/{sku}/children"),
    ("post", "/V1/configurable-products/{sku}/child"),
    ("get", "/V1/configurable-products/{sku}/options/all"),
    ("get", "/V1/configurable-products/{sku}/options/{id}"),
    ("post", "/V1/configurable-products/{sku}/options"),
    ("get", "/V1/products/{sku}/media"), ("post", "/V1/products/{sku}/media"),
    ("get", "/V1/products/{sku}/media/{entryId}"),
    ("delete", "/V1/products/{sku}/media/{entryId}"),
    ("get", "/V1/orders"), ("get", "/V1/orders/{id}"),
    ("get", "/V1/orders/{id}/comments"), ("post", "/V1/orders/{id}/comments"),
    ("post", "/V1/order/{orderId}/ship"), ("get", "/V1/shipments"),
    ("get", "/V1/store/storeConfigs"), ("get", "/V1/store/storeViews"),
]


def refs(node, out):
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith("#/definitions/"):
            out.add(r[len("#/definitions/"):])
        for v in node.values():
            refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def main():
    src = json.load(open(sys.argv[1]))
    paths = {}
    want = set()
    for method, path in SERVED:
        op = src["paths"][path][method]
        entry = {"response": op["responses"]["200"].get("schema")}
        for p in op.get("parameters", []):
            if p.get("in") == "body":
                entry["body"] = p["schema"]
        refs(entry, want)
        refs(op["responses"].get("default", {}), want)
        paths.setdefault(path, {})[method] = entry
    defs = {}
    todo = list(want)
    while todo:
        name = todo.pop()
        if name in defs:
            continue
        defs[name] = src["definitions"][name]
        more = set()
        refs(defs[name], more)
        todo.extend(more - set(defs))
    out = {
        "source": "admin-schema-2.4.8 (AdobeDocs/commerce-webapi), subset",
        "paths": paths,
        "definitions": dict(sorted(defs.items())),
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
