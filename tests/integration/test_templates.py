"""test_templates.py - the shipped default templates in etc/templates/.

They are rendered from lib/fields.c (tmpl_default_text); these tests keep
the files in the repository identical to that rendering, and load them the
way an admin's ini would be loaded (inih, then tmpl_check_conf), so they
can neither drift from the catalogue nor stop loading."""
import glob
import os
import subprocess

import harness

PROCESSES = ["import_listings", "sync_listings", "publish_listings",
             "get_orders", "sync_orders"]
TEMPLATES = os.path.join(harness.TOP, "etc", "templates")


def dump(t, *args):
    return subprocess.run([t.bin(os.path.join("tests", "tmpl_dump"))] +
                          list(args), capture_output=True, text=True,
                          timeout=60)


def test_shipped_templates_match_catalogue(t):
    files = sorted(os.path.basename(p)
                   for p in glob.glob(os.path.join(TEMPLATES, "*.ini")))
    t.eq(files, sorted("%s.default.ini" % p for p in PROCESSES),
         "files in etc/templates")
    for p in PROCESSES:
        r = dump(t, p)
        t.eq(r.returncode, 0, "tmpl_dump %s: %s" % (p, r.stderr))
        with open(os.path.join(TEMPLATES, "%s.default.ini" % p)) as f:
            shipped = f.read()
        assert shipped == r.stdout, (
            "etc/templates/%s.default.ini differs from lib/fields.c; "
            "regenerate it: build/tests/tmpl_dump %s > "
            "etc/templates/%s.default.ini" % (p, p, p))
        assert "[template %s.default]\nprocess = %s\n" % (p, p) in shipped


test_shipped_templates_match_catalogue.limit = 60


def test_shipped_templates_load(t):
    files = sorted(glob.glob(os.path.join(TEMPLATES, "*.ini")))
    r = dump(t, "--check", *files)
    t.eq(r.stderr, "", "problems")
    t.eq(r.returncode, 0, "exit status")
    t.eq(r.stdout.strip(), "5 templates, 0 mapping sets, 0 errors",
         "summary")


test_shipped_templates_load.limit = 60


def test_admin_template_on_shipped_base(t):
    """An admin's template built on a shipped file, with its mistakes
    reported at their lines."""
    good = t.write("mine.ini", """\
[template my_listings]
process = sync_listings
base = sync_listings.default
price = field:price
special_price = skip
status = set:status_map:status
visibility = value:4

[mapping_set status_map]
active = 1
paused = 2
*      = 2
""")
    shipped = os.path.join(TEMPLATES, "sync_listings.default.ini")
    r = dump(t, "--check", shipped, good)
    t.eq((r.returncode, r.stderr), (0, ""), "a good template")

    bad = t.write("bad.ini", """\
[template broken]
process = sync_listings
base = sync_listings.default
sku = skip
colour = field:name
price = value:cheap
status = set:nowhere:status
""")
    r = dump(t, "--check", shipped, bad)
    t.eq(r.returncode, 1, "exit status")
    lines = r.stderr.splitlines()
    for want in ["%s:4: sku: a required field cannot be skip" % bad,
                 "%s:5: unknown field 'colour' for sync_listings" % bad,
                 "%s:6: price: value 'cheap' is not a number" % bad,
                 "%s:7: status: unknown mapping set 'nowhere'" % bad]:
        assert want in lines, "missing %r in:\n%s" % (want, r.stderr)
    t.eq(len(lines), 4, "one line per problem:\n" + r.stderr)


test_admin_template_on_shipped_base.limit = 60
