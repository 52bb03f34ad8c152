"""test_demo.py - `make demo` (tests/demo.sh) runs start to end against the
build under test, says what it promises, and leaves nothing behind."""
import os
import re
import subprocess

import harness


def test_demo(t):
    demo = os.path.join(harness.TOP, "tests", "demo.sh")
    env = t.env({"BUILD": t.build, "DEMO_PGPORT": "55492"})
    env.pop("DEMO_KEEP", None)
    r = subprocess.run([demo], env=env, cwd=t.dir, capture_output=True,
                       text=True, timeout=200)
    out = r.stdout + r.stderr
    t.eq(r.returncode, 0, "demo exit status:\n%s" % out[-4000:])
    assert r.stdout.rstrip().endswith("demo: ok"), r.stdout[-2000:]
    for want in ("magsyncctl run shop import_listings",
                 "(shop import_listings): succeeded",
                 "listings (one per configurable or standalone product)",
                 "A configurable and its variants:",
                 "magsyncctl run shop get_orders",
                 "(shop get_orders): succeeded",
                 "(shop sync_orders): partial",
                 "items: 3 total, 2 ok, 1 failed",
                 "not a FedEx tracking number",
                 "(2 shipment requests in all; the invalid one was never sent)",
                 "$ magsyncctl status shop",
                 "Where to look next"):
        assert want in r.stdout, "%r missing from:\n%s" % (want, r.stdout)
    # The catalogue: every product imported, and variant rows shown.
    m = re.search(r"items: (\d+) total, (\d+) ok, 0 failed; requests: (\d+)",
                  r.stdout)
    assert m and m.group(1) == m.group(2) != "0", r.stdout[:3000]
    assert int(m.group(3)) < 10, "pages, not a request per product"
    variants = re.findall(r"^\s+(\w+) \| \1-\S+\s+\| \d{12} \|", r.stdout,
                          re.M)
    assert len(variants) >= 2, "variant rows shown:\n" + r.stdout[:4000]
    # Two shipments synced with Magento's ids, one invalid.
    rows = re.findall(r"^\s+\d+ \| \d{9} \| .* \| (synced|invalid)\s+\|",
                      r.stdout, re.M)
    t.eq(rows, ["synced", "synced", "invalid"], "shipment rows shown")
    assert not re.search(r"demo-[0-9a-f]{16}", out), "the token was printed"
    m = re.search(r"(/tmp/magsync-demo\.[A-Za-z0-9]+)", r.stdout)
    assert m, "the demo names its directory"
    assert not os.path.exists(m.group(1)), "%s left behind" % m.group(1)


test_demo.limit = 240
