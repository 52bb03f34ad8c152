"""mg_faults.py - fault injection per route.

A fault is a dict (or the compact text form "kind,key=value,...", see
README.md):
  path     regex searched in the request path (default: every /rest path)
  method   optional HTTP method
  kind     latency | status | 429 | reset | truncate | malformed | drip |
           huge | hang
  when     first=N (the first N matching requests), skip=N (let N pass
           first), p=F with seed=S (each matching request with probability
           F, reproducible), default every matching request
  ...      the kind's own parameters (ms, status, retry_after, bytes, mb,
           chunked, mode, keep)

Several faults may match one request: every firing latency adds to the
minimum response time, and the first firing fault of any other kind decides
the response."""
import json
import random
import re
import threading

KINDS = {"latency", "status", "429", "reset", "truncate", "malformed",
         "drip", "huge", "hang"}
INT_KEYS = {"ms", "status", "first", "skip", "seed", "bytes", "keep"}
FLOAT_KEYS = {"p", "mb"}


class FaultError(ValueError):
    pass


def parse(spec):
    """A fault from its text form or a JSON object; raises FaultError."""
    if isinstance(spec, dict):
        d = dict(spec)
    else:
        text = spec.strip()
        if text.startswith("{"):
            try:
                d = json.loads(text)
            except ValueError as e:
                raise FaultError("bad fault JSON: %s" % e)
        else:
            d = {}
            for part in text.split(","):
                part = part.strip()
                if not part:
                    continue
                if "=" not in part:
                    if part.isdigit():
                        d["kind"] = "429" if part == "429" else "status"
                        d["status"] = int(part)
                    else:
                        d["kind"] = part
                    continue
                k, v = part.split("=", 1)
                d[k.strip()] = v.strip()
    return Fault(d)


class Fault:
    def __init__(self, d):
        d = dict(d)
        kind = str(d.pop("kind", "")).lower()
        if kind not in KINDS:
            raise FaultError("unknown fault kind %r (one of %s)" % (kind, ", ".join(sorted(KINDS))))
        self.kind = kind
        self.path_src = d.pop("path", None)
        try:
            self.path = re.compile(self.path_src) if self.path_src else None
        except re.error as e:
            raise FaultError("bad path regex %r: %s" % (self.path_src, e))
        m = d.pop("method", None)
        self.method = m.upper() if m else None
        self.args = {}
        for k, v in d.items():
            try:
                if k in INT_KEYS:
                    v = int(v)
                elif k in FLOAT_KEYS:
                    v = float(v)
            except (TypeError, ValueError):
                raise FaultError("fault %s: %s=%r is not a number" % (kind, k, v))
            self.args[k] = v
        if kind == "429":
            self.args.setdefault("status", 429)
        if kind == "status":
            self.args.setdefault("status", 503)
        self.first = self.args.get("first")
        self.skip = self.args.get("skip", 0)
        self.p = self.args.get("p")
        self.rng = random.Random(self.args.get("seed", 0))
        self.seen = 0
        self.fired = 0

    def matches(self, method, path):
        if self.method and self.method != method:
            return False
        return self.path is None or self.path.search(path) is not None

    def decide(self):
        """Called once per matching request (under the set's lock)."""
        self.seen += 1
        if self.seen <= self.skip:
            return False
        if self.first is not None and self.seen > self.skip + self.first:
            return False
        if self.p is not None and self.rng.random() >= self.p:
            return False
        self.fired += 1
        return True

    def describe(self):
        d = {"kind": self.kind, "seen": self.seen, "fired": self.fired}
        if self.path_src:
            d["path"] = self.path_src
        if self.method:
            d["method"] = self.method
        d.update(self.args)
        return d


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, fault):
        with self.lock:
            self.items.append(fault)

    def clear(self):
        with self.lock:
            self.items = []

    def describe(self):
        with self.lock:
            return [f.describe() for f in self.items]

    def pick(self, method, path):
        """(total latency ms, the deciding fault or None, fired kinds)."""
        latency = 0
        chosen = None
        fired = []
        with self.lock:
            for f in self.items:
                if not f.matches(method, path):
                    continue
                if f.kind == "latency":
                    if f.decide():
                        latency += f.args.get("ms", 0)
                        fired.append("latency")
                    continue
                if chosen is not None:
                    continue
                if f.decide():
                    chosen = f
                    fired.append(f.kind)
        return latency, chosen, fired
