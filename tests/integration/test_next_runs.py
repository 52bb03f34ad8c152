"""magsyncctl next-runs: the real binary against python3-croniter, its
output format and options, its errors, and DST through real zoneinfo."""
import datetime
import os
import re
import subprocess

import cron_diff

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def runs(t, *args, env=None):
    """stdout lines of a successful next-runs; fails on exit or stderr."""
    p = t.ctl("next-runs", *args, env=env)
    assert p.returncode == 0, "next-runs %r: exit %d: %s" % (
        args, p.returncode, p.stderr)
    t.eq(p.stderr, "", "stderr of next-runs %r" % (args,))
    return p.stdout.splitlines()


def fails(t, args, message, env=None):
    """next-runs exits 1, prints nothing on stdout, and says `message`."""
    p = t.ctl("next-runs", *args, env=env)
    t.eq(p.returncode, 1, "exit of next-runs %r (stderr %r)" % (
        args, p.stderr))
    t.eq(p.stdout, "", "stdout of next-runs %r" % (args,))
    assert message in p.stderr, "next-runs %r: %r lacks %r" % (
        args, p.stderr, message)


def test_differential(t):
    """Thousands of generated schedules and start times: the binary and
    croniter must agree on every run (see cron_diff.py for the language)."""
    seed = int(os.environ.get("CRON_DIFF_SEED", "20260329"))
    # The ASan build starts ~3x slower; the plain build carries the
    # coverage, the sanitizer run the memory checking.
    default = 1000 if "asan" in os.path.basename(t.build.rstrip("/")) \
        else 3000
    n = int(os.environ.get("CRON_DIFF_CASES", default))

    def run(args):
        return t.ctl(*args, timeout=60)

    cases, comparisons, first, nbad = cron_diff.compare(run, seed, n)
    print("  differential: seed %d, %d cases, %d comparisons, "
          "%d disagreements" % (seed, cases, comparisons, nbad))
    assert first is None, "seed %d: %d of %d cases disagree; first:\n%s" % (
        seed, nbad, cases, first)


test_differential.limit = 240


# Vixie's day rule where croniter departs from it: a day field starting
# with "*" (also "*/N" and "*,N") means both day fields must match.
HAND = [
    # a stepped day of the month after a short month's end (Feb 28 2006)
    ("7 0 1/10,19 2-5,Feb-Jun *", "2006-02-28T17:41:51Z", "UTC",
     ["2006-03-01T00:07:00+00:00", "2006-03-11T00:07:00+00:00",
      "2006-03-19T00:07:00+00:00", "2006-03-21T00:07:00+00:00",
      "2006-03-31T00:07:00+00:00"]),
    # a stepped star inside a list is not a leading star: the day of the
    # month alone decides, and 31 skips the short months
    ("0 12 19,*/10 * *", "2028-02-22T15:00:00Z", "UTC",
     ["2028-03-01T12:00:00+00:00", "2028-03-11T12:00:00+00:00",
      "2028-03-19T12:00:00+00:00", "2028-03-21T12:00:00+00:00",
      "2028-03-31T12:00:00+00:00"]),
    ("0 0 */2 * 1", "2026-01-01T00:00:00Z", "UTC",
     ["2026-01-05T00:00:00+00:00", "2026-01-19T00:00:00+00:00",
      "2026-02-09T00:00:00+00:00", "2026-02-23T00:00:00+00:00",
      "2026-03-09T00:00:00+00:00"]),
    ("0 0 */3 * fri", "2026-01-01T00:00:00Z", "UTC",
     ["2026-01-16T00:00:00+00:00", "2026-02-13T00:00:00+00:00",
      "2026-03-13T00:00:00+00:00", "2026-04-10T00:00:00+00:00",
      "2026-05-01T00:00:00+00:00"]),
    ("0 0 1 * */2", "2026-01-01T00:00:00Z", "UTC",
     ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00",
      "2026-08-01T00:00:00+00:00", "2026-09-01T00:00:00+00:00",
      "2026-10-01T00:00:00+00:00"]),
    ("0 0 13 * */7", "2026-01-01T00:00:00Z", "UTC",
     ["2026-09-13T00:00:00+00:00", "2026-12-13T00:00:00+00:00",
      "2027-06-13T00:00:00+00:00"]),
    ("0 0 *,13 * 5", "2026-01-01T00:00:00Z", "UTC",
     ["2026-01-02T00:00:00+00:00", "2026-01-09T00:00:00+00:00"]),
    ("0 9 */2 * 1-5", "2026-01-01T00:00:00Z", "Europe/Berlin",
     ["2026-01-01T09:00:00+01:00", "2026-01-05T09:00:00+01:00",
      "2026-01-07T09:00:00+01:00", "2026-01-09T09:00:00+01:00"]),
    # neither starts with "*": either may match
    ("0 0 13 * 5", "2026-01-01T00:00:00Z", "UTC",
     ["2026-01-02T00:00:00+00:00", "2026-01-09T00:00:00+00:00",
      "2026-01-13T00:00:00+00:00", "2026-01-16T00:00:00+00:00"]),
]


def test_vixie_day_rule(t):
    for expr, frm, zone, want in HAND:
        got = runs(t, expr, "--from", frm, "--count", str(len(want)),
                   "--tz", zone)
        t.eq(got, want, "next-runs '%s' --from %s --tz %s" % (expr, frm,
                                                              zone))


def test_dst_berlin(t):
    """Real zoneinfo: Europe/Berlin springs forward 2026-03-29 02:00 CET
    and falls back 2026-10-25 03:00 CEST."""
    z = ["--tz", "Europe/Berlin"]
    # the skipped 02:30 runs once, at the jump (03:00 CEST)
    t.eq(runs(t, "30 2 * * *", "--from", "2026-03-27T12:00:00Z",
              "--count", "3", *z),
         ["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00",
          "2026-03-30T02:30:00+02:00"], "spring forward 02:30")
    # every quarter hour: 02:00-02:45 collapse into one run at 03:00
    t.eq(runs(t, "*/15 * * * *", "--from", "2026-03-29T00:20:00Z",
              "--count", "4", *z),
         ["2026-03-29T01:30:00+01:00", "2026-03-29T01:45:00+01:00",
          "2026-03-29T03:00:00+02:00", "2026-03-29T03:15:00+02:00"],
         "spring forward */15")
    # the repeated 02:30 runs once, at its first occurrence (CEST)
    t.eq(runs(t, "30 2 * * *", "--from", "2026-10-24T12:00:00Z",
              "--count", "2", *z),
         ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"],
         "fall back 02:30")
    # hourly: 02:00 fires in CEST only, then 03:00 CET
    t.eq(runs(t, "0 * * * *", "--from", "2026-10-24T22:30:00Z",
              "--count", "3", *z),
         ["2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00",
          "2026-10-25T03:00:00+01:00"], "fall back hourly")
    # far past the table in the file: the footer rule takes over
    t.eq(runs(t, "30 2 * * *", "--from", "2050-03-26T12:00:00Z",
              "--count", "2", *z),
         ["2050-03-27T03:00:00+02:00", "2050-03-28T02:30:00+02:00"],
         "spring forward 2050")


def test_dst_other_zones(t):
    t.eq(runs(t, "30 2 * * *", "--from", "2026-03-07T12:00:00Z", "--count",
              "2", "--tz", "America/New_York"),
         ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"],
         "New York spring forward")
    t.eq(runs(t, "30 1 * * *", "--from", "2026-10-31T12:00:00Z", "--count",
              "2", "--tz", "America/New_York"),
         ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"],
         "New York fall back")
    t.eq(runs(t, "0 * * * *", "--from", "2026-10-03T14:30:00Z", "--count",
              "3", "--tz", "Australia/Sydney"),
         ["2026-10-04T01:00:00+10:00", "2026-10-04T03:00:00+11:00",
          "2026-10-04T04:00:00+11:00"], "Sydney spring forward")
    t.eq(runs(t, "0 12 * * *", "--from", "2026-01-01T00:00:00Z", "--count",
              "1", "--tz", "Asia/Kolkata"),
         ["2026-01-01T12:00:00+05:30"], "half-hour offset")


def test_format_and_count(t):
    lines = runs(t, "*/5 * * * *", "--from", "2026-01-01T00:00:00Z")
    t.eq(len(lines), 5, "default count")
    for line in lines:
        assert LINE.match(line), "bad line %r" % line
    t.eq(lines[0], "2026-01-01T00:05:00+00:00", "first run")
    t.eq(len(runs(t, "* * * * *", "--from", "2026-01-01T00:00:00Z",
                  "--count", "1")), 1, "--count 1")
    big = runs(t, "* * * * *", "--from", "2026-01-01T00:00:00Z", "--count",
               "1000")
    t.eq(len(big), 1000, "--count 1000")
    t.eq(big[-1], "2026-01-01T16:40:00+00:00", "1000th minute")
    t.eq(runs(t, "@hourly", "--from=2026-01-01T00:00:00Z", "--count=2",
              "--tz=Europe/Berlin"),
         ["2026-01-01T02:00:00+01:00", "2026-01-01T03:00:00+01:00"],
         "--opt=value forms")
    # options before the expression; the expression as separate words
    t.eq(runs(t, "--count", "2", "--from", "2026-01-01T00:00:00Z", "0", "9",
              "*", "*", "mon-fri"),
         ["2026-01-01T09:00:00+00:00", "2026-01-02T09:00:00+00:00"],
         "words")
    # --from with an offset, strictly after
    t.eq(runs(t, "0 * * * *", "--from", "2026-01-01T10:30:00+05:30",
              "--count", "1"), ["2026-01-01T06:00:00+00:00"], "offset")
    t.eq(runs(t, "0 * * * *", "--from", "2026-01-01T05:00:00Z", "--count",
              "1"), ["2026-01-01T06:00:00+00:00"], "strictly after")
    t.eq(runs(t, "@every 90m", "--from", "2026-01-01T00:00:00Z", "--count",
              "2", "--tz", "Asia/Kolkata"),
         ["2026-01-01T07:00:00+05:30", "2026-01-01T08:30:00+05:30"],
         "@every")


def test_default_from_and_zone(t):
    before = datetime.datetime.now(datetime.timezone.utc).timestamp()
    lines = runs(t, "* * * * *", "--count", "1")
    first = datetime.datetime.fromisoformat(lines[0]).timestamp()
    assert before - 1 < first <= before + 61, "default --from is now: %s" % (
        lines[0],)
    # the system zone: $TZ when set (the harness sets UTC) ...
    t.eq(runs(t, "0 0 1 1 *", "--from", "2026-06-01T00:00:00Z", "--count",
              "1"), ["2027-01-01T00:00:00+00:00"], "TZ=UTC")
    t.eq(runs(t, "0 0 1 1 *", "--from", "2026-06-01T00:00:00Z", "--count",
              "1", env={"TZ": "Europe/Berlin"}),
         ["2027-01-01T00:00:00+01:00"], "TZ=Europe/Berlin")
    t.eq(runs(t, "0 0 1 1 *", "--from", "2026-06-01T00:00:00Z", "--count",
              "1", env={"TZ": ":America/New_York"}),
         ["2027-01-01T00:00:00-05:00"], "TZ=:America/New_York")
    t.eq(runs(t, "0 0 1 7 *", "--from", "2026-01-01T00:00:00Z", "--count",
              "1", env={"TZ": "CET-1CEST,M3.5.0,M10.5.0/3"}),
         ["2026-07-01T00:00:00+02:00"], "TZ as a POSIX rule")
    # ... --tz wins over it, and no config file is needed
    p = t.ctl("-c", t.path("missing.ini"), "next-runs", "@daily", "--from",
              "2026-01-01T00:00:00Z", "--count", "1", "--tz", "Asia/Tokyo",
              env={"TZ": "Europe/Berlin"})
    t.eq((p.returncode, p.stdout, p.stderr),
         (0, "2026-01-02T00:00:00+09:00\n", ""), "--tz over TZ, no config")
    # ... and /etc/localtime when TZ is unset
    env = t.env()
    env.pop("TZ", None)
    p = subprocess.run([t.bin("magsyncctl"), "next-runs", "@daily",
                        "--count", "1"], capture_output=True, text=True,
                       env=env)
    t.eq(p.returncode, 0, "system zone: %s" % p.stderr)
    assert LINE.match(p.stdout.strip()), p.stdout


def test_manual_and_never(t):
    p = t.ctl("next-runs", "manual", "--from", "2026-01-01T00:00:00Z")
    t.eq((p.returncode, p.stdout), (0, ""), "manual")
    assert "manual" in p.stderr and "on demand" in p.stderr, p.stderr
    fails(t, ["0 0 30 2 *", "--from", "2026-01-01T00:00:00Z"], "never fires")
    t.eq(runs(t, "0 0 29 2 *", "--from", "2096-03-01T00:00:00Z", "--count",
              "1"), ["2104-02-29T00:00:00+00:00"], "8 years to Feb 29")


def test_bad_input(t):
    frm = ["--from", "2026-01-01T00:00:00Z"]
    fails(t, ["61 * * * *"] + frm, "minute field: 61 is out of range 0-59")
    fails(t, ["* * * *"] + frm, "expected 5 fields")
    fails(t, ["* * * * fri-sun"] + frm, "range 5-0 is backwards")
    fails(t, ["@fortnightly"] + frm, "unknown macro")
    fails(t, ["@every 0"] + frm, "@every")
    fails(t, [] + frm, "no schedule given")
    fails(t, [], "no schedule given")
    fails(t, ["@daily", "--from", "2026-01-01"], "--from \"2026-01-01\"")
    fails(t, ["@daily", "--from", "2026-01-01T00:00:00"], "with Z or an offset")
    fails(t, ["@daily", "--from", "yesterday"], "--from")
    fails(t, ["@daily", "--from", "2026-02-30T00:00:00Z"], "--from")
    fails(t, ["@daily", "--from"], "--from needs a value")
    fails(t, ["@daily", "--tz", "Mars/Olympus_Mons"] + frm,
          "unknown time zone \"Mars/Olympus_Mons\"")
    fails(t, ["@daily", "--tz", "../../etc/passwd"] + frm,
          "invalid time zone name")
    fails(t, ["@daily", "--tz", "/etc/localtime"] + frm,
          "invalid time zone name")
    fails(t, ["@daily", "--tz", ""] + frm, "invalid time zone name")
    fails(t, ["@daily", "--tz", "Europe"] + frm, "/Europe is a directory")
    t.write("zi/Bad/Zone", "not a TZif file\n")
    fails(t, ["@daily", "--tz", "Bad/Zone"] + frm, "not TZif",
          env={"TZDIR": t.path("zi")})
    for count in ["0", "1001", "-1", "x", "", "5x", "99999999999999999999"]:
        fails(t, ["@daily", "--count", count] + frm, "--count")
    fails(t, ["@daily", "--frmo", "2026-01-01T00:00:00Z"],
          "unknown option --frmo")
    fails(t, ["@daily"] + frm, "TZ=\"Nowhere/Special\" is neither",
          env={"TZ": "Nowhere/Special"})
