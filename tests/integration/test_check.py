"""test_check.py - the real `magsyncctl check`: the shipped example passes
and shows three runs per job; broken files fail with FILE:LINE lines; a
secret never reaches the output, whatever goes wrong."""
import os
import re
import shutil

import harness

EXAMPLE = os.path.join(harness.TOP, "etc", "magsync.ini.example")
TOKEN = "tok-SECRET-7f3a9c"
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"
JOB_LINE = re.compile(r"^(\S+) (\S+)  schedule=(.+?)  next: (.*)$")


def example(t, token_dir=None):
    """The example in t's directory with a token file beside it (or in
    token_dir); returns the ini's path."""
    ini = t.path("magsync.ini")
    shutil.copyfile(EXAMPLE, ini)
    os.chmod(ini, 0o600)
    d = token_dir or t.dir
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "shop-eu.token"), "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(os.path.join(d, "shop-eu.token"), 0o600)
    return ini


def no_secret(t, r):
    assert TOKEN not in r.stdout and TOKEN not in r.stderr, \
        "the token was printed:\n%s%s" % (r.stdout, r.stderr)
    assert "SECRET" not in r.stdout + r.stderr, \
        "a secret was printed:\n%s%s" % (r.stdout, r.stderr)


def jobs(stdout):
    out = {}
    for line in stdout.splitlines():
        m = JOB_LINE.match(line)
        if m:
            out[(m.group(1), m.group(2))] = (m.group(3), m.group(4))
    return out


def test_example_passes(t):
    ini = example(t)
    r = t.ctl("check", config=ini)
    t.eq(r.returncode, 0, "exit status (stderr: %s)" % r.stderr)
    t.eq(r.stderr, "", "stderr")
    no_secret(t, r)
    lines = r.stdout.splitlines()
    t.eq(lines[0], "timezone: UTC", "first line")
    t.eq(lines[-1], "OK: 1 channel, 6 jobs", "last line")
    js = jobs(r.stdout)
    t.eq(sorted(p for _, p in js), sorted([
        "import_listings", "sync_listings", "publish_listings",
        "get_orders", "sync_orders", "pii_retention"]), "jobs")
    t.eq(js[("shop-eu", "import_listings")],
         ("manual", "manual (on demand only)"), "manual job")
    for (ch, proc), (sched, nxt) in js.items():
        if proc == "import_listings":
            continue
        times = re.findall(ISO, nxt)
        t.eq(len(times), 3, "next runs of %s %s in %r" % (ch, proc, nxt))
        t.eq(times, sorted(times), "runs in order")
    assert js[("shop-eu", "publish_listings")][1].startswith("disabled"), \
        "the disabled job is marked"


def test_example_at_a_fixed_time(t):
    """FILE as an argument (overrides -c), --from for a known 'now', and
    the times in the configured zone across a DST change."""
    ini = example(t)
    with open(ini) as f:
        text = f.read()
    text = re.sub(r"(?m)^timezone\s*=.*$", "timezone = Europe/Berlin", text)
    with open(ini, "w") as f:
        f.write(text)
    r = t.ctl("check", ini, "--from", "2026-03-29T00:00:00Z",
              config="/nonexistent.ini")
    t.eq(r.returncode, 0, "exit status (stderr: %s)" % r.stderr)
    js = jobs(r.stdout)
    t.eq(js[("shop-eu", "get_orders")],
         ("*/5 * * * *", "2026-03-29T01:05:00+01:00, "
          "2026-03-29T01:10:00+01:00, 2026-03-29T01:15:00+01:00"),
         "get_orders")
    # 02:30 does not exist on 2026-03-29 in Berlin: one run at the jump
    t.eq(js[("shop-eu", "publish_listings")][1],
         "disabled (enabled = no; would run 2026-03-29T03:00:00+02:00, "
         "2026-03-30T02:30:00+02:00, 2026-03-31T02:30:00+02:00)",
         "publish_listings")
    # 02:15 does not exist either: that hour's run comes at 03:00
    t.eq(js[("shop-eu", "pii_retention")][1],
         "2026-03-29T01:15:00+01:00, 2026-03-29T03:00:00+02:00, "
         "2026-03-29T03:15:00+02:00", "pii_retention")


BROKEN = """\
[magsync]
database = postgresql://magsync:SECRET-PW@localhost/magsync
timezone = Nowhere/Special
[channel shop-eu]
store_url = ftp://shop.example.com
access_token = %(token)s
page_size = 0
[channel other]
store_url = https://other.example.com
access_token_file = junk.token
[job shop-eu get_orders]
schedule = 61 * * * *
shipping_methods = nothing
[job ghost sync_orders]
schedule = @daily
[template mine]
price = field:price
%(token)s
""" % {"token": TOKEN}


def test_broken_file(t):
    ini = t.write("broken.ini", BROKEN, mode=0o644)
    t.write("junk.token", TOKEN + " and more\n", mode=0o600)
    r = t.ctl("check", config=ini)
    t.eq(r.returncode, 1, "exit status")
    t.eq(r.stdout, "", "stdout")
    no_secret(t, r)
    want = [
        (3, "timezone: cannot load 'Nowhere/Special'"),
        (5, "store_url: 'ftp://shop.example.com' is not an http"),
        (6, "warning: access_token is written inline"),
        (7, "page_size: 0 is out of range 1..10000"),
        (10, "junk.token must hold the secret alone"),
        (12, "schedule: "),
        (13, "unknown mapping set 'nothing'"),
        (14, "job for unknown channel 'ghost'"),
        (16, "missing required key 'process'"),
        (18, "expected 'key = value'"),
    ]
    lines = r.stderr.splitlines()
    for line, frag in want:
        prefix = "%s:%d: " % (ini, line)
        assert any(l.startswith(prefix) and frag in l for l in lines), \
            "no %r...%r in:\n%s" % (prefix, frag, r.stderr)
    diag = [l for l in lines if l.startswith(ini + ":")]
    t.eq(len(diag), len(want), "one line per problem:\n%s" % r.stderr)
    t.eq(lines[-1], "magsyncctl: check: %s: 9 errors" % ini, "summary")


def test_includes_and_credentials(t):
    """Errors in included files carry their name; relative secret files
    come from $CREDENTIALS_DIRECTORY first."""
    creds = t.path("creds")
    ini = example(t, token_dir=creds)
    with open(ini) as f:
        text = f.read()
    text = text.replace("; include = conf.d/*.ini", "include = conf.d/*.ini")
    with open(ini, "w") as f:
        f.write(text)
    t.write("conf.d/b.ini", "[channel b]\nstore_url = https://b.example\n"
            "access_token_file = b.token\n")
    t.write("conf.d/a.ini", "\n[job shop-eu sync_orders]\n"
            "schedule = @daily\n")
    # no token anywhere: errors name the files
    r = t.ctl("check", config=ini)
    t.eq(r.returncode, 1, "exit status")
    assert "%s:44: access_token_file: cannot read %s/shop-eu.token" % (
        ini, t.dir) in r.stderr, r.stderr
    assert re.search(r"(?m)^%s/conf.d/a.ini:2: duplicate section \[job\]"
                     % re.escape(t.dir), r.stderr), r.stderr
    assert re.search(r"(?m)^%s/conf.d/b.ini:3: access_token_file: cannot "
                     r"read %s/conf.d/b.token" % (re.escape(t.dir),
                                                  re.escape(t.dir)),
                     r.stderr), r.stderr
    # with the credentials directory, and the duplicate gone
    t.write("conf.d/a.ini", "\n[mapping_set extra]\nx = y\n")
    t.write("creds/b.token", TOKEN + "-b\n", mode=0o600)
    r = t.ctl("check", config=ini, env={"CREDENTIALS_DIRECTORY": creds})
    t.eq(r.returncode, 0, "exit status (stderr: %s)" % r.stderr)
    no_secret(t, r)
    t.eq(r.stdout.splitlines()[-1], "OK: 2 channels, 7 jobs", "summary")
    assert "b pii_retention  schedule=@hourly  next: " in r.stdout, r.stdout


def test_usage(t):
    ini = example(t)
    r = t.ctl("check", ini, "extra", config=ini)
    t.eq(r.returncode, 1, "exit status")
    assert "usage: magsyncctl check" in r.stderr, r.stderr
    r = t.ctl("check", "--from", "yesterday", config=ini)
    t.eq(r.returncode, 1, "exit status")
    r = t.ctl("check", config=t.path("missing.ini"))
    t.eq(r.returncode, 1, "exit status")
    assert "missing.ini: cannot read: No such file or directory" in \
        r.stderr, r.stderr


def test_template_errors(t):
    """check also checks every template against its process's fields, once
    the ini itself is sound."""
    ini = example(t)
    with open(ini) as f:
        lines = f.read().split("\n")
    n = next(i for i, l in enumerate(lines) if l.startswith("price "))
    lines[n] = "price = field:no_such_field"
    with open(ini, "w") as f:
        f.write("\n".join(lines))
    r = t.ctl("check", config=ini)
    t.eq(r.returncode, 1, "exit status")
    t.eq(r.stdout, "", "stdout")
    assert r.stderr.startswith("%s:%d: price: " % (ini, n + 1)), r.stderr
    no_secret(t, r)
