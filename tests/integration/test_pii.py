"""test_pii.py - pii_retention through `magsyncctl run`: exactly the due
orders of the channel lose their personal data, in batches, and only counts
are logged."""
import re

TOKEN = "tok-SECRET-5be2c1"

# Personal values that must vanish and never reach a log.
FIRST, LAST = "Zebulon", "Quillfeather"
STREET, PHONE = "17 Lantern Row", "+44 20 7946 0958"
EMAIL_DOMAIN = "pii-example.test"
NOTE = "ring twice, Zebulon"

PERSONAL_ADDR = ["first_name", "last_name", "company", "address_line_1",
                 "address_line_2", "city", "state", "post_code",
                 "telephone", "email"]


def setup(t, batch_size=3):
    conninfo = t.createdb()
    t.write("shop.token", TOKEN + "\n", mode=0o600)
    cfg = t.write("magsync.ini",
                  "[magsync]\ndatabase = %s\ntimezone = UTC\n\n"
                  "[channel shop]\nstore_url = http://127.0.0.1:9\n"
                  "access_token_file = shop.token\n\n"
                  "[channel other]\nstore_url = http://127.0.0.1:9\n"
                  "access_token_file = shop.token\n\n"
                  "[job shop pii_retention]\nschedule = @hourly\n"
                  "batch_size = %d\n" % (conninfo, batch_size))
    r = t.ctl("migrate", config=cfg)
    t.eq(r.returncode, 0, "migrate (%s)" % r.stderr)
    return cfg


def seed(t, channel, first_id, n, purge_at, purged_at="NULL"):
    """n orders with both addresses; ids first_id..; returns the ids."""
    t.psql("INSERT INTO magsync.orders (channel, magento_entity_id, "
           "increment_id, status, grand_total, customer_email, "
           "customer_note, shipped_at, pii_purge_at, pii_purged_at) "
           "SELECT '%s', g, 'INC' || g, 'complete', 10.5, "
           "'buyer' || g || '@%s', '%s', now() - interval '40 days', "
           "%s, %s FROM generate_series(%d, %d) g"
           % (channel, EMAIL_DOMAIN, NOTE, purge_at, purged_at, first_id,
              first_id + n - 1))
    t.psql("INSERT INTO magsync.order_addresses (order_id, kind, "
           "first_name, last_name, company, address_line_1, address_line_2, "
           "city, state, post_code, country_code, telephone, email) "
           "SELECT o.id, k, '%s', '%s' || o.magento_entity_id, 'Acme', "
           "'%s', 'Flat 2', 'London', 'Greater London', 'EC1A 1BB', 'GB', "
           "'%s', 'addr' || o.magento_entity_id || '@%s' "
           "FROM magsync.orders o, unnest(ARRAY['billing', 'shipping']) k "
           "WHERE o.magento_entity_id BETWEEN %d AND %d AND o.channel = '%s'"
           % (FIRST, LAST, STREET, PHONE, EMAIL_DOMAIN, first_id,
              first_id + n - 1, channel))
    t.psql("INSERT INTO magsync.order_items (order_id, magento_item_id, "
           "sku, name, qty_ordered) SELECT id, magento_entity_id, 'SKU-1', "
           "'Widget', 1 FROM magsync.orders WHERE magento_entity_id BETWEEN "
           "%d AND %d AND channel = '%s'" % (first_id, first_id + n - 1,
                                            channel))


def intact(t, where):
    """Orders matching where whose personal data is all still there."""
    cols = " AND ".join("a.%s IS NOT NULL" % c for c in PERSONAL_ADDR)
    return int(t.one("SELECT count(DISTINCT o.id) FROM magsync.orders o "
                     "JOIN magsync.order_addresses a ON a.order_id = o.id "
                     "WHERE %s AND o.customer_email IS NOT NULL AND "
                     "o.customer_note IS NOT NULL AND %s" % (cols, where)))


def test_purges_exactly_the_due_orders(t):
    cfg = setup(t, batch_size=3)
    seed(t, "shop", 1, 7, "now() - interval '1 day'")            # due
    seed(t, "shop", 101, 3, "now() + interval '5 days'")         # not yet
    seed(t, "shop", 201, 2, "NULL")                              # not shipped
    seed(t, "shop", 301, 2, "now() - interval '9 days'",
         "'2020-01-02 03:04:05+00'")                             # done before
    seed(t, "other", 1, 4, "now() - interval '1 day'")           # other channel
    r = t.ctl("run", "shop", "pii_retention", config=cfg)
    t.eq(r.returncode, 0, "exit status (%s %s)" % (r.stdout, r.stderr))
    assert re.search(r"^run \d+ \(shop pii_retention\): succeeded", r.stdout,
                     re.M), r.stdout
    assert "items: 7 total, 7 ok, 0 failed" in r.stdout, r.stdout

    due = "o.channel = 'shop' AND o.magento_entity_id BETWEEN 1 AND 7"
    t.eq(t.one("SELECT count(*) FROM magsync.orders o WHERE %s AND "
               "o.pii_purged_at > now() - interval '1 minute' AND "
               "o.customer_email IS NULL AND o.customer_note IS NULL" % due),
         "7", "due orders purged and stamped")
    for c in PERSONAL_ADDR:
        t.eq(t.one("SELECT count(*) FROM magsync.order_addresses a JOIN "
                   "magsync.orders o ON o.id = a.order_id WHERE %s AND "
                   "a.%s IS NOT NULL" % (due, c)), "0", "address %s" % c)
    t.eq(t.one("SELECT count(*) FROM magsync.order_addresses a JOIN "
               "magsync.orders o ON o.id = a.order_id WHERE %s AND "
               "a.country_code = 'GB'" % due), "14", "country kept")
    t.eq(t.one("SELECT count(*) FROM magsync.orders o WHERE %s AND "
               "o.increment_id = 'INC' || o.magento_entity_id AND "
               "o.grand_total = 10.5 AND o.status = 'complete'" % due),
         "7", "non-personal order fields kept")
    t.eq(t.one("SELECT count(*) FROM magsync.order_items WHERE name = "
               "'Widget'"), "18", "order items untouched")

    t.eq(intact(t, "o.channel = 'shop' AND o.magento_entity_id > 100"), 7,
         "not due, unshipped and already purged orders untouched")
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE channel = 'shop' "
               "AND magento_entity_id > 300 AND pii_purged_at = "
               "'2020-01-02 03:04:05+00'"), "2", "old purge stamp kept")
    t.eq(intact(t, "o.channel = 'other'"), 4, "other channel untouched")

    run_id = t.one("SELECT max(id) FROM magsync.job_runs")
    t.eq(t.psql("SELECT status, trigger, items_total, items_ok, "
                "items_failed, error FROM magsync.job_runs WHERE id = %s"
                % run_id),
         [["succeeded", "manual", "7", "7", "0", None]], "run row")
    t.eq(t.psql("SELECT level, message FROM magsync.job_log WHERE run_id = "
                "%s" % run_id),
         [["info", "purged personal data of 7 orders"]], "log rows")
    leaks = t.one("SELECT count(*) FROM magsync.job_log WHERE "
                  "concat_ws(' ', entity, message, detail::text, "
                  "http_path) ~* '%s|%s|%s|%s|lantern|0958'"
                  % (FIRST, LAST, EMAIL_DOMAIN, "ring twice"))
    t.eq(leaks, "0", "personal values in job_log")
    out = r.stdout + r.stderr
    for v in (FIRST, LAST, STREET, PHONE, EMAIL_DOMAIN, NOTE, TOKEN):
        assert v not in out, "%r printed:\n%s" % (v, out)

    # Nothing left: the next run purges nothing and says so.
    r = t.ctl("run", "shop", "pii_retention", config=cfg)
    t.eq(r.returncode, 0, "second run")
    assert "items: 0 total" in r.stdout, r.stdout
    t.eq(t.one("SELECT message FROM magsync.job_log ORDER BY id DESC "
               "LIMIT 1"), "purged personal data of 0 orders", "log")


def test_other_channel_runs_alone(t):
    """The implicit job of a channel without a [job] section purges that
    channel only, with the default batch size."""
    cfg = setup(t)
    seed(t, "shop", 1, 2, "now() - interval '1 day'")
    seed(t, "other", 1, 1200, "now() - interval '1 day'")
    r = t.ctl("run", "other", "pii_retention", config=cfg)
    t.eq(r.returncode, 0, "exit status (%s)" % r.stderr)
    assert "items: 1200 total, 1200 ok" in r.stdout, r.stdout
    t.eq(intact(t, "o.channel = 'shop'"), 2, "shop untouched")
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE channel = "
               "'other' AND pii_purged_at IS NULL"), "0", "other purged")
