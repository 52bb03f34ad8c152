"""cron_diff.py - differential testing of `magsyncctl next-runs` against
python3-croniter (Debian's package, imported from /usr/bin/python3).

Generates random cron expressions and start times from a seed, runs the
real binary and croniter on each, and reports the first disagreement.

The generated language is where croniter and Vixie cron agree:
- a day field (day-of-month, day-of-week) is either exactly "*" or holds
  no "*": Vixie cron decides "both must match" vs "either may" by the
  first character ("*/2" counts as "*"), croniter by whether the field is
  literally "*", and croniter steps "19,*/10" from the 19th;
- a day-of-month field has no step: croniter skips a stepped day after a
  short month's end ("1/10" after Feb 28 gives Mar 11, not Mar 1);
- croniter's answers strictly increase (it can stick at a time next to a
  transition and repeat it);
- a day field that is not "*" never covers its whole range ("1-31",
  "0-7/1"): croniter folds those into "*" and so switches to AND;
- ranges run forwards ("fri-sun" is refused by cronie and by us);
- in a DST zone the start and every expected run lie in one stretch of
  constant offset, so how each side treats skipped and repeated wall times
  does not enter; DST behaviour is tested separately, by hand.

Usable standalone: /usr/bin/python3 tests/integration/cron_diff.py
BUILD_DIR [N] [SEED]."""
import datetime
import os
import random
import subprocess
import sys
import zoneinfo
from concurrent.futures import ThreadPoolExecutor

from croniter import croniter

UTC = datetime.timezone.utc
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
          "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# field: (low, high) as written; day-of-week writes Sunday as 0 or 7
RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney",
         "Asia/Kolkata", "America/St_Johns"]
FIRST = datetime.datetime(2000, 1, 1, tzinfo=UTC).timestamp()
LAST = datetime.datetime(2037, 1, 1, tzinfo=UTC).timestamp()


def _value(r, field):
    lo, hi = RANGES[field]
    v = r.randint(lo, hi)
    if field == 3 and r.random() < 0.25:
        return _case(r, MONTHS[v - 1]), v
    if field == 4 and v < 7 and r.random() < 0.25:
        return _case(r, DAYS[v]), v
    return str(v), v


def _case(r, name):
    return r.choice([name, name.upper(), name.capitalize()])


def _item(r, field):
    lo, hi = RANGES[field]
    span = hi - lo + 1
    k = r.random()
    if k < 0.4:
        return _value(r, field)[0]
    if k < 0.65:
        a_txt, a = _value(r, field)
        b_txt, b = _value(r, field)
        if b < a:
            a_txt, b_txt = b_txt, a_txt
        return "%s-%s" % (a_txt, b_txt)
    step = r.randint(1, max(2, span // 3))
    if k < 0.8:
        a = r.randint(lo, hi)
        return "%d-%d/%d" % (a, r.randint(a, hi), step)
    if k < 0.9:
        return "%s/%d" % (_value(r, field)[0], step)
    return "*/%d" % step


def _expand(text, field):
    """The set of values a (generated) field names; 7 folded to 0."""
    lo, hi = RANGES[field]
    names = MONTHS if field == 3 else DAYS if field == 4 else []
    base = 1 if field == 3 else 0

    def val(tok):
        return int(tok) if tok.isdigit() else names.index(tok.lower()) + base

    out = set()
    for item in text.split(","):
        step, has_step = 1, "/" in item
        if has_step:
            item, st = item.split("/")
            step = int(st)
        if item == "*":
            a, b = lo, hi
        elif "-" in item:
            a, b = (val(x) for x in item.split("-"))
        else:
            a = val(item)
            b = hi if has_step else a
        out.update(range(a, b + 1, step))
    if field == 4 and 7 in out:
        out = (out - {7}) | {0}
    return out


def _field(r, field):
    if r.random() < 0.3:
        return "*"
    while True:
        text = ",".join(_item(r, field) for _ in range(r.choice([1, 1, 2, 3])))
        if field in (2, 4):
            full = set(range(1, 32)) if field == 2 else set(range(7))
            # croniter reads a '*' anywhere in a day field its own way
            # ("19,*/10" steps from the 19th): those go to the hand cases.
            if "*" in text or _expand(text, field) >= full:
                continue
            # croniter also loses a stepped day of the month at the end of
            # a short month ("1/10,19" after Feb 28 gives Mar 11, not
            # Mar 1): stepped days of the month are hand cases too.
            if field == 2 and "/" in text:
                continue
        return text


def expression(r):
    if r.random() < 0.04:
        return r.choice(["@yearly", "@annually", "@monthly", "@weekly",
                         "@daily", "@midnight", "@hourly"])
    return " ".join(_field(r, i) for i in range(5))


def _stable(zone, start, end):
    """True if zone keeps one UTC offset over [start, end]."""
    if zone.key == "UTC":
        return True
    off = datetime.datetime.fromtimestamp(start, zone).utcoffset()
    t = start
    while t < end:
        t = min(t + 6 * 3600, end)
        if datetime.datetime.fromtimestamp(t, zone).utcoffset() != off:
            return False
    return True


def expected(expr, zone, start, count):
    it = croniter(expr, datetime.datetime.fromtimestamp(start, zone))
    return [int(it.get_next(datetime.datetime).timestamp())
            for _ in range(count)]


def cases(seed, n):
    """n (expr, zone name, start, [expected instants]) from the seed."""
    r = random.Random(seed)
    out = []
    while len(out) < n:
        expr = expression(r)
        zname = ZONES[0] if r.random() < 0.5 else r.choice(ZONES[1:])
        zone = zoneinfo.ZoneInfo(zname)
        start = r.randint(int(FIRST), int(LAST))
        start -= start % r.choice([1, 60, 60, 3600, 86400])
        count = r.choice([1, 3, 5, 10, 20])
        try:
            want = expected(expr, zone, start, count)
        except Exception:  # croniter gives up on sparse schedules
            continue
        # croniter can stick at a time next to a transition and repeat it
        # (America/St_Johns' 00:01 changes): that is croniter failing, and
        # a sign the case is not outside DST transitions after all.
        if any(b <= a for a, b in zip(want, want[1:])):
            continue
        if not _stable(zone, start, want[-1] + 86400):
            continue
        out.append((expr, zname, start, want))
    return out


def iso(t, zone="UTC"):
    return datetime.datetime.fromtimestamp(t, zoneinfo.ZoneInfo(zone)) \
        .isoformat()


def run_case(run, case):
    """Run one case through `run(argv) -> CompletedProcess`; return None if
    the binary agrees, else a description of the disagreement."""
    expr, zname, start, want = case
    from_txt = datetime.datetime.fromtimestamp(start, UTC) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    p = run(["next-runs", expr, "--from", from_txt, "--count",
             str(len(want)), "--tz", zname])
    lines = p.stdout.splitlines()
    zone = zoneinfo.ZoneInfo(zname)
    got = []
    for line in lines:
        dt = datetime.datetime.fromisoformat(line)
        got.append(int(dt.timestamp()))
        # the printed offset is the zone's offset at that instant
        if dt.utcoffset() != datetime.datetime.fromtimestamp(
                dt.timestamp(), zone).utcoffset():
            got[-1] = "bad offset in %s" % line
    if p.returncode != 0 or got != want:
        return ("next-runs '%s' --from %s --count %d --tz %s\n"
                "  exit %d, stderr %r\n  magsyncctl: %s\n  croniter:   %s"
                % (expr, from_txt, len(want), zname, p.returncode,
                   p.stderr.strip(), lines,
                   [iso(t, zname) for t in want]))
    return None


def compare(run, seed, n, workers=8):
    """Returns (cases, comparisons, first disagreement or None)."""
    todo = cases(seed, n)
    with ThreadPoolExecutor(max_workers=workers) as ex:
        results = list(ex.map(lambda c: run_case(run, c), todo))
    bad = [x for x in results if x is not None]
    return len(todo), sum(len(c[3]) for c in todo), \
        (bad[0] if bad else None), len(bad)


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    binary = os.path.join(build, "magsyncctl")
    env = dict(os.environ, TZ="UTC")

    def run(args):
        return subprocess.run([binary] + args, capture_output=True,
                              text=True, env=env, timeout=60)

    total, comparisons, first, nbad = compare(run, seed, n)
    print("seed %d: %d cases, %d comparisons, %d disagreements"
          % (seed, total, comparisons, nbad))
    if first:
        print(first)
    return 1 if first else 0


if __name__ == "__main__":
    sys.exit(main())
