/* orders.c - get_orders' rules (see orders.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "isotime.h"
#include "jpath.h"
#include "mage.h"
#include "orders.h"
#include "tmpl.h"

#define BIT(i)	(UINT64_C(1) << (i))
#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* Where Magento keeps what the shipping address and method are. */
#define SHIPPING_PATH	"extension_attributes.shipping_assignments"

/* The money fields of a configurable pair that come from the parent line:
 * it carries the price, the child line carries 0. */
static const char *const pair_money[] = {
	"price", "base_price", "original_price", "base_original_price",
	"price_incl_tax", "base_price_incl_tax", "row_total",
	"base_row_total", "row_total_incl_tax", "base_row_total_incl_tax",
	"discount_amount", "base_discount_amount", "discount_percent",
	"tax_amount", "base_tax_amount", "tax_percent",
};

/* SQL type of each catalogue type, for jsonb_to_recordset. */
static const char *const sql_type[FIELDS_NTYPES] = {
	[FIELDS_TEXT] = "text",
	[FIELDS_NUMBER] = "numeric",
	[FIELDS_INTEGER] = "bigint",
	[FIELDS_BOOLEAN] = "boolean",
	[FIELDS_TIMESTAMP] = "timestamptz",
	[FIELDS_TEXT_ARRAY] = "text[]",
	[FIELDS_JSON] = "jsonb",
};

/* A growing text; nomem sticks once an append failed. */
struct sb {
	char *p;
	size_t len, cap;
	int nomem;
};

struct orders_conv {
	const struct tmpl *t;
	const struct fields_proc *fp;
	struct orders_settings s;
	struct tmpl_out *out;
	uint64_t mapped;
	int wants_prices;
	/* One order's rows, written before they join a page (an order
	 * that fails adds nothing), and its item ids. */
	struct sb to, ta, ti;
	int64_t *ids;
	size_t nids, capids;
};

/* JSON arrays of rows, as text without their brackets. */
struct orders_page {
	struct sb orders, addresses, items;
	size_t count;
	json_t *seen;			/* entity ids in the page, as keys */
};

/* One row of order_items in the making. */
struct line {
	/* The row's line: a merged copy for a pair (own = 1), else the
	 * order's line itself, copied only when a price is filled in. */
	json_t *m;
	int own;
	int64_t item_id;		/* magento_item_id before the template */
	int64_t alt_id;			/* the pair's other line, or 0 */
	int64_t parent_id;		/* parent_item_id, or 0 */
	int pair;			/* made of a configurable pair */
};

struct lines {
	struct line *v;
	size_t n;
};

/* ---- small helpers ----------------------------------------------------- */

static void
fmsg(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fmsg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* A Magento id: a positive JSON integer or a string of digits. */
static int
get_id(const json_t *v, int64_t *out)
{
	const char *s;
	char *end;
	long long n;

	if (json_is_integer(v)) {
		if (json_integer_value(v) <= 0)
			return -1;
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return -1;
	*out = n;
	return 0;
}

/* The text of a JSON string, else NULL. */
static const char *
str_of(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A price that is there: a number or a numeric string. *zero says if it
 * is 0. Absent, null or anything else is missing (0 returned). */
static int
price_present(const json_t *v, int *zero)
{
	const char *s;
	char *end;
	double d;

	if (json_is_number(v)) {
		*zero = json_number_value(v) == 0;
		return 1;
	}
	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	d = strtod(s, &end);
	if (end == s || *end != '\0')
		return 0;
	*zero = d == 0;
	return 1;
}

/* Lower-case ASCII copy of s into buf; NULL when it does not fit. */
static const char *
lower(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i + 1 >= len)
			return NULL;
		buf[i] = (char)tolower((unsigned char)s[i]);
	}
	buf[i] = '\0';
	return buf;
}

static const json_t *
shipping_of(const json_t *order)
{
	const json_t *sa = json_object_get(order, "extension_attributes");

	sa = json_object_get(sa, "shipping_assignments");
	return json_object_get(json_array_get(sa, 0), "shipping");
}

/* ---- the order list and the comment ------------------------------------ */

int
orders_cutoff(int64_t now, int64_t days_back, char *buf, size_t len)
{
	struct civil c;

	if (days_back < 0 || days_back > 100000 || len < ORDERS_TIME_MAX)
		return -1;
	isotime_to_civil(now - days_back * 86400, &c);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month,
	    c.day, c.hour, c.min, c.sec);
	return 0;
}

char *
orders_list_query(const char *statuses, const char *cutoff,
    const char *fields, int page_size, int page)
{
	struct mage_criteria *mc;
	char *q = NULL;

	if (cutoff == NULL || *cutoff == '\0' ||
	    (mc = mage_criteria_new()) == NULL)
		return NULL;
	if (statuses != NULL && *statuses != '\0') {
		if (mage_criteria_group(mc) < 0 ||
		    mage_criteria_filter(mc, "status", MAGE_IN, statuses) < 0)
			goto out;
	}
	/* A group of its own: filters in one group are OR-ed. */
	if (mage_criteria_group(mc) < 0 ||
	    mage_criteria_filter(mc, "created_at", MAGE_GTEQ, cutoff) < 0 ||
	    mage_criteria_sort(mc, "created_at", MAGE_ASC) < 0 ||
	    mage_criteria_sort(mc, "entity_id", MAGE_ASC) < 0 ||
	    mage_criteria_page(mc, page_size, page) < 0 ||
	    (fields != NULL && mage_criteria_fields(mc, fields) < 0))
		goto out;
	q = mage_criteria_query(mc);
out:
	mage_criteria_free(mc);
	return q;
}

json_t *
orders_ack_body(int64_t entity_id, const char *status, const char *comment)
{
	json_t *h;

	h = json_pack("{s:s, s:i, s:i, s:I, s:o}", "comment",
	    comment ? comment : "", "is_customer_notified", 0,
	    "is_visible_on_front", 0, "parent_id", (json_int_t)entity_id,
	    "status", status ? json_string(status) : json_null());
	if (h == NULL)
		return NULL;
	return json_pack("{s:o}", "statusHistory", h);
}

void
orders_entity(const json_t *order, char *buf, size_t len)
{
	const char *inc = str_of(order, "increment_id");
	int64_t id;

	if (inc != NULL && *inc != '\0')
		fmsg(buf, len, "order %.60s", inc);
	else if (get_id(json_object_get(order, "entity_id"), &id) == 0)
		fmsg(buf, len, "order #%" PRId64, id);
	else
		fmsg(buf, len, "order");
}

/* ---- lines ------------------------------------------------------------- */

static void
lines_free(struct lines *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		json_decref(ls->v[i].m);
	free(ls->v);
	ls->v = NULL;
	ls->n = 0;
}

/* How many lines name id as their parent. */
static size_t
children_of(const json_t *items, int64_t id, size_t *last)
{
	const json_t *it;
	size_t i, n = 0;
	int64_t p;

	json_array_foreach(items, i, it) {
		if (get_id(json_object_get(it, "parent_item_id"), &p) == 0 &&
		    p == id) {
			n++;
			*last = i;
		}
	}
	return n;
}

/* The line with item_id id, or NULL. */
static const json_t *
line_by_id(const json_t *items, int64_t id)
{
	const json_t *it;
	size_t i;
	int64_t v;

	json_array_foreach(items, i, it)
		if (get_id(json_object_get(it, "item_id"), &v) == 0 && v == id)
			return it;
	return NULL;
}

static int
set_id(json_t *m, const char *key, int64_t id)
{
	if (id == 0)
		return json_object_set_new(m, key, json_null());
	return json_object_set_new(m, key, json_integer(id));
}

/* The child line with the parent line's money and what only it has. */
static json_t *
merge_pair(const json_t *parent, const json_t *child)
{
	const char *key;
	json_t *m, *v;
	size_t i;

	if ((m = json_copy((json_t *)child)) == NULL)
		return NULL;
	/* The parent line again, nested: no use in a row. */
	(void)json_object_del(m, "parent_item");
	for (i = 0; i < N(pair_money); i++) {
		v = json_object_get(parent, pair_money[i]);
		if (v != NULL && !json_is_null(v) &&
		    json_object_set(m, pair_money[i], v) < 0)
			goto fail;
	}
	json_object_foreach((json_t *)parent, key, v) {
		if (strcmp(key, "parent_item") == 0)
			continue;
		if ((json_object_get(m, key) == NULL ||
		    json_is_null(json_object_get(m, key))) &&
		    json_object_set(m, key, v) < 0)
			goto fail;
	}
	return m;
fail:
	json_decref(m);
	return NULL;
}

/* Add a row; steals m (a new merged line for a pair, else a reference to
 * the order's own line, which is never written to). */
static int
add_line(struct lines *ls, json_t *m, int64_t item_id, int64_t alt_id,
    int64_t parent_id, int pair)
{
	struct line *nv;

	if (m == NULL)
		return ORDERS_ENOMEM;
	if ((nv = realloc(ls->v, (ls->n + 1) * sizeof(*nv))) == NULL) {
		json_decref(m);
		return ORDERS_ENOMEM;
	}
	ls->v = nv;
	if (pair && (set_id(m, "item_id", item_id) < 0 ||
	    set_id(m, "parent_item_id", parent_id) < 0)) {
		json_decref(m);
		return ORDERS_ENOMEM;
	}
	ls->v[ls->n++] = (struct line){ m, pair, item_id, alt_id, parent_id,
	    pair };
	return 0;
}

/* Set the row's price, copying the order's line first if need be. */
static int
line_set_price(struct line *l, const json_t *price)
{
	json_t *m;

	if (!l->own) {
		if ((m = json_copy(l->m)) == NULL)
			return -1;
		json_decref(l->m);
		l->m = m;
		l->own = 1;
	}
	return json_object_set(l->m, "price", (json_t *)price);
}

/* The rows an order's lines become (see orders.h). 0, ORDERS_EFAIL with
 * msg, or ORDERS_ENOMEM. */
static int
order_lines(const struct orders_conv *c, const json_t *order,
    struct lines *ls, char *msg, size_t len)
{
	const json_t *items = json_object_get(order, "items"), *it, *other;
	size_t i, last = 0;
	int64_t id, pid;
	int rc;

	ls->v = NULL;
	ls->n = 0;
	if (items == NULL || json_is_null(items))
		return 0;
	if (!json_is_array(items)) {
		fmsg(msg, len, "items is not a list");
		return ORDERS_EFAIL;
	}
	json_array_foreach(items, i, it) {
		if (!json_is_object(it) ||
		    get_id(json_object_get(it, "item_id"), &id) < 0) {
			fmsg(msg, len, "order line %zu has no item_id", i + 1);
			goto fail;
		}
	}
	json_array_foreach(items, i, it) {
		get_id(json_object_get(it, "item_id"), &id);
		if (get_id(json_object_get(it, "parent_item_id"), &pid) < 0)
			pid = 0;
		/* A child of a pair travels with its parent line. */
		if (pid != 0 && (other = line_by_id(items, pid)) != NULL &&
		    children_of(items, pid, &last) == 1)
			continue;
		if (children_of(items, id, &last) == 1) {
			other = json_array_get(items, last);
			get_id(json_object_get(other, "item_id"), &pid);
			rc = c->s.use_parent_item_id ?
			    add_line(ls, merge_pair(it, other), id, pid, 0, 1) :
			    add_line(ls, merge_pair(it, other), pid, id, id, 1);
		} else {
			rc = add_line(ls, json_incref((json_t *)it), id, 0,
			    pid, 0);
		}
		if (rc < 0) {
			lines_free(ls);
			return rc;
		}
	}
	return 0;
fail:
	lines_free(ls);
	return ORDERS_EFAIL;
}

/* 1 if the row needs a price from the catalogue. */
static int
needs_price(const struct line *l)
{
	int zero = 0;

	if (!price_present(json_object_get(l->m, "price"), &zero))
		return 1;
	return l->pair && zero;
}

/* ---- conversion -------------------------------------------------------- */

struct orders_conv *
orders_conv_new(const struct tmpl *t, const struct orders_settings *s)
{
	struct orders_conv *c;

	if (t == NULL || s == NULL || tmpl_proc(t) != PROC_GET_ORDERS)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->t = t;
	c->fp = fields_proc(PROC_GET_ORDERS);
	c->s = *s;
	c->mapped = tmpl_mapped(t);
	c->wants_prices = (tmpl_sources(t, FIELDS_ITEM) &
	    BIT(FIELDS_GO_ITEM_PRICE)) != 0;
	if (c->fp == NULL || (c->out = tmpl_out_new()) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
orders_conv_free(struct orders_conv *c)
{
	if (c == NULL)
		return;
	tmpl_out_free(c->out);
	free(c->to.p);
	free(c->ta.p);
	free(c->ti.p);
	free(c->ids);
	free(c);
}

int
orders_conv_wants_prices(const struct orders_conv *c)
{
	return c->wants_prices;
}

/* 0 when no line of items can lack a price: every line priced, and a
 * line at 0 neither a child of a line at 0 (or without a price) nor a
 * parent. The common case, decided without building the rows. */
static int
may_lack_price(const json_t *items)
{
	const json_t *it, *p;
	size_t i, last;
	int64_t id, pid;
	int zero, pz;

	json_array_foreach(items, i, it) {
		if (!price_present(json_object_get(it, "price"), &zero))
			return 1;
		if (!zero)
			continue;
		if (get_id(json_object_get(it, "parent_item_id"), &pid) == 0 &&
		    (p = line_by_id(items, pid)) != NULL &&
		    (!price_present(json_object_get(p, "price"), &pz) || pz))
			return 1;
		if (get_id(json_object_get(it, "item_id"), &id) == 0 &&
		    children_of(items, id, &last) > 0)
			return 1;
	}
	return 0;
}

int
orders_need_prices(const struct orders_conv *c, const json_t *order,
    const json_t *cache, json_t *want)
{
	struct lines ls;
	const char *sku;
	char key[512], msg[ORDERS_MSG_MAX];
	size_t i;
	int added = 0;

	if (!c->wants_prices || !json_is_object(order) ||
	    !json_is_array(json_object_get(order, "items")) ||
	    !may_lack_price(json_object_get(order, "items")))
		return 0;
	if (order_lines(c, order, &ls, msg, sizeof(msg)) < 0)
		return 0;
	for (i = 0; i < ls.n; i++) {
		if (!needs_price(&ls.v[i]) ||
		    (sku = str_of(ls.v[i].m, "sku")) == NULL || *sku == '\0' ||
		    lower(sku, key, sizeof(key)) == NULL)
			continue;
		if (json_object_get(cache, key) != NULL ||
		    json_object_get(want, sku) != NULL)
			continue;
		if (json_object_set_new(want, sku, json_null()) < 0) {
			lines_free(&ls);
			return ORDERS_ENOMEM;
		}
		added++;
	}
	lines_free(&ls);
	return added;
}

/* ---- text building ------------------------------------------------------ */

/* Room for n more bytes and a NUL. */
static int
sb_room(struct sb *b, size_t n)
{
	size_t need = b->len + n + 1, cap;
	char *np;

	if (b->nomem)
		return -1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if ((np = realloc(b->p, cap)) == NULL) {
		b->nomem = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

static void
sb_put(struct sb *b, const char *s, size_t n)
{
	if (n == 0 || sb_room(b, n) < 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_add(struct sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_add(struct sb *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->nomem = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_put(b, small, (size_t)n);
		return;
	}
	if (sb_room(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* ---- the fields= filter ------------------------------------------------- */

/* A tree of field names: what fields= selects. */
struct fnode {
	char *name;
	struct fnode *kid, *next;
};

static void
fnode_free(struct fnode *n)
{
	struct fnode *next;

	for (; n != NULL; n = next) {
		next = n->next;
		fnode_free(n->kid);
		free(n->name);
		free(n);
	}
}

/* Add a jpath's keys ("a.b[0].c" -> a, b, c) under *list. 0 or -1. */
static int
fnode_add(struct fnode **list, const char *path)
{
	struct fnode *n;
	size_t len;

	while (*path != '\0') {
		len = strcspn(path, ".[");
		for (n = *list; n != NULL; n = n->next)
			if (strlen(n->name) == len &&
			    strncmp(n->name, path, len) == 0)
				break;
		if (n == NULL) {
			if ((n = calloc(1, sizeof(*n))) == NULL ||
			    (n->name = strndup(path, len)) == NULL) {
				free(n);
				return -1;
			}
			n->next = *list;
			*list = n;
		}
		path += len;
		while (*path == '[')
			path += strcspn(path, "]") + (path[strcspn(path, "]")] ?
			    1 : 0);
		if (*path == '.')
			path++;
		list = &n->kid;
	}
	return 0;
}

static void
fnode_text(const struct fnode *n, struct sb *b);

/* Fixed fields lib/orders reads whatever the template says. */
static const char *const fixed_fields[] = {
	"entity_id", "increment_id", "status", "customer_email",
	"order_currency_code", "items.item_id", "items.parent_item_id",
	"items.sku", "items.product_type", "billing_address.entity_id",
	SHIPPING_PATH ".shipping.address.entity_id",
	SHIPPING_PATH ".shipping.method",
};

/* 1 when every FIELD and SET rule reads a catalogue source of its own,
 * which then says the template reads no json: path. */
static int
catalogue_only(const struct orders_conv *c)
{
	size_t i, rules = 0, srcs = 0;
	int g;

	for (i = 0; i < c->fp->ndests; i++) {
		enum tmpl_rule_kind k = tmpl_rule(c->t, (int)i);

		rules += k == TMPL_FIELD || k == TMPL_SET;
	}
	for (g = 0; g < FIELDS_NGROUPS; g++)
		srcs += (size_t)__builtin_popcountll(tmpl_sources(c->t, g));
	return rules == srcs;
}

int
orders_fields(const struct orders_conv *c, char **out)
{
	struct fnode *root = NULL;
	struct sb b = { NULL, 0, 0, 0 };
	const struct fields_src *fs;
	char path[JPATH_TEXT_MAX + 8];
	uint64_t read = 0;
	size_t i;
	int g, rc = ORDERS_ENOMEM;

	*out = NULL;
	if (!catalogue_only(c))
		return 0;
	for (g = 0; g < FIELDS_NGROUPS; g++)
		read |= tmpl_sources(c->t, g);
	for (i = 0; i < N(fixed_fields); i++)
		if (fnode_add(&root, fixed_fields[i]) < 0)
			goto out;
	for (i = 0; i < N(pair_money); i++) {
		snprintf(path, sizeof(path), "items.%s", pair_money[i]);
		if (fnode_add(&root, path) < 0)
			goto out;
	}
	for (i = 0; i < c->fp->nsrcs; i++) {
		fs = &c->fp->srcs[i];
		if (!(read & BIT(i)) || fs->path == NULL)
			continue;
		snprintf(path, sizeof(path), "%s%s", fs->group == FIELDS_ITEM ?
		    "items." : "", fs->path);
		if (fnode_add(&root, path) < 0)
			goto out;
	}
	sb_add(&b, "items[");
	fnode_text(root, &b);
	sb_add(&b, "],total_count");
	if (!b.nomem) {
		*out = b.p;
		b.p = NULL;
		rc = 0;
	}
out:
	free(b.p);
	fnode_free(root);
	return rc;
}

/* ---- catalogue prices --------------------------------------------------- */

/* Past this much SKU text a query goes in the next batch: URLs stay well
 * under the 8 KB that web servers commonly accept. */
#define PRICE_QUERY_BYTES	6000

char *
orders_price_query(json_t *want, json_t *asked, size_t max)
{
	struct mage_criteria *mc = NULL;
	const char *sku;
	json_t *v, *tmp;
	char *list = NULL, *q = NULL;
	size_t n = 0, neq = 0, used = 0, cap = 0, l;

	if (json_object_size(want) == 0 || max == 0 ||
	    (mc = mage_criteria_new()) == NULL)
		return NULL;
	if (mage_criteria_group(mc) < 0)
		goto out;
	json_object_foreach_safe(want, tmp, sku, v) {
		l = strlen(sku);
		if (n == max || (n > 0 && used + l > PRICE_QUERY_BYTES))
			break;
		if (strchr(sku, ',') != NULL) {
			/* in (...) would split it: an eq of its own, OR-ed in
			 * the same group; the group holds 10 filters. */
			if (neq == MAGE_CRITERIA_MAX - 1)
				continue;
			if (mage_criteria_filter(mc, "sku", MAGE_EQ, sku) < 0)
				goto out;
			neq++;
		} else {
			if (used + l + 2 > cap) {
				char *nl;

				cap = (used + l + 2) * 2;
				if ((nl = realloc(list, cap)) == NULL)
					goto out;
				list = nl;
			}
			if (used > 0)
				list[used++] = ',';
			memcpy(list + used, sku, l + 1);
			used += l;
		}
		if (json_object_set_new(asked, sku, json_null()) < 0)
			goto out;
		if (json_object_del(want, sku) < 0)
			goto out;
		n++;
	}
	if (n == 0)
		goto out;
	if (used > 0 && mage_criteria_filter(mc, "sku", MAGE_IN, list) < 0)
		goto out;
	if (mage_criteria_page(mc, (int)n, 1) < 0 ||
	    mage_criteria_fields(mc, "items[sku,price],total_count") < 0)
		goto out;
	q = mage_criteria_query(mc);
out:
	free(list);
	mage_criteria_free(mc);
	return q;
}

int
orders_price_parse(const json_t *body, json_t *asked, json_t *cache)
{
	const json_t *items = json_object_get(body, "items"), *it, *price;
	const char *sku, *key;
	char lk[512];
	json_t *v, *tmp;
	size_t i;
	int found = 0, zero;

	if (!json_is_array(items))
		return -1;
	/* Every asked SKU is known from now on, even if not found. */
	json_object_foreach_safe(asked, tmp, key, v) {
		if (lower(key, lk, sizeof(lk)) != NULL &&
		    json_object_get(cache, lk) == NULL &&
		    json_object_set_new(cache, lk, json_null()) < 0)
			return -1;
	}
	json_array_foreach(items, i, it) {
		sku = str_of(it, "sku");
		price = json_object_get(it, "price");
		if (sku == NULL || lower(sku, lk, sizeof(lk)) == NULL ||
		    !price_present(price, &zero))
			continue;
		/* Only what was asked: the answer is no place to learn
		 * prices of other SKUs from. */
		if (json_object_get(cache, lk) == NULL)
			continue;
		if (json_is_string(price))
			v = json_real(strtod(json_string_value(price), NULL));
		else
			v = json_deep_copy(price);
		if (v == NULL || json_object_set_new(cache, lk, v) < 0)
			return -1;
		found++;
	}
	json_object_clear(asked);
	return found;
}

/* ---- rows as JSON text ---------------------------------------------------
 *
 * The page document is written as text straight away: building jansson
 * objects only to dump them cost a third of a run's CPU. */

/* Length of the valid UTF-8 sequence at s, 0 if none (overlong forms,
 * surrogates and code points past U+10FFFF are invalid). */
static size_t
utf8_len(const unsigned char *s)
{
	size_t len, i;
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

/* A JSON string of text (null for NULL). -1 when text is not UTF-8. */
static int
sb_jstr(struct sb *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)text, *run;
	size_t k;

	if (text == NULL) {
		sb_put(b, "null", 4);
		return 0;
	}
	sb_put(b, "\"", 1);
	for (run = p; *p != '\0'; ) {
		if (*p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0x80) {
			if ((k = utf8_len(p)) == 0)
				return -1;
			p += k;
			continue;
		}
		sb_put(b, (const char *)run, (size_t)(p - run));
		if (*p == '"' || *p == '\\')
			sb_add(b, "\\%c", *p);
		else
			sb_add(b, "\\u%04x", *p);
		run = ++p;
	}
	sb_put(b, (const char *)run, (size_t)(p - run));
	sb_put(b, "\"", 1);
	return 0;
}

/* One JSON object being written at the end of b (after a ',' when b
 * holds rows already). */
struct jw {
	struct sb *b;
	int n;
	const char *bad;		/* the key of a value not UTF-8 */
};

static void
jw_begin(struct jw *w, struct sb *b)
{
	w->b = b;
	w->n = 0;
	w->bad = NULL;
	if (b->len > 0)
		sb_put(b, ",", 1);
	sb_put(b, "{", 1);
}

static void
jw_key(struct jw *w, const char *key)
{
	sb_add(w->b, "%s\"%s\":", w->n++ ? "," : "", key);
}

static void
jw_text(struct jw *w, const char *key, const char *text)
{
	jw_key(w, key);
	if (sb_jstr(w->b, text) < 0) {
		if (w->bad == NULL)
			w->bad = key;
		sb_put(w->b, "null", 4);
	}
}

/* An id; 0 is null. */
static void
jw_id(struct jw *w, const char *key, int64_t id)
{
	jw_key(w, key);
	if (id == 0)
		sb_put(w->b, "null", 4);
	else
		sb_add(w->b, "%" PRId64, id);
}

/* Close the object: 0, ORDERS_EFAIL (a value not UTF-8, named in msg)
 * or ORDERS_ENOMEM. */
static int
jw_end(struct jw *w, const char *what, char *msg, size_t len)
{
	sb_put(w->b, "}", 1);
	if (w->b->nomem)
		return ORDERS_ENOMEM;
	if (w->bad != NULL) {
		fmsg(msg, len, "%s%s%s: is not valid UTF-8", what,
		    *what ? ": " : "", w->bad);
		return ORDERS_EFAIL;
	}
	return 0;
}

/* ---- conversion of one order ------------------------------------------- */

/* The first of the template's errors, for the note. */
static void
tmpl_fail(const struct tmpl_out *o, const char *what, char *msg,
    size_t len)
{
	const struct tmpl_err *e = tmpl_out_err(o, 0);
	char one[TMPL_MSG_MAX + TMPL_VALUE_MAX + 64];
	size_t n = tmpl_out_nerr(o);

	if (e == NULL) {
		fmsg(msg, len, "%s: cannot be converted", what);
		return;
	}
	tmpl_err_format(e, one, sizeof(one));
	if (n > 1)
		fmsg(msg, len, "%s%s%s (and %zu more)", what, *what ? ": " :
		    "", one, n - 1);
	else
		fmsg(msg, len, "%s%s%s", what, *what ? ": " : "", one);
}

/* Apply group g and write its mapped columns into w; skip is a
 * destination left out (the item id, which the caller handles). */
static int
apply_group(struct orders_conv *c, enum fields_group g,
    const struct tmpl_src *src, struct jw *w, int skip, const char *what,
    char *msg, size_t len)
{
	const struct fields_dest *d;
	size_t i;
	int rc;

	rc = tmpl_apply(c->t, g, src, c->out);
	if (rc == TMPL_ENOMEM)
		return ORDERS_ENOMEM;
	if (rc < 0) {
		tmpl_fail(c->out, what, msg, len);
		return ORDERS_EFAIL;
	}
	for (i = 0; i < c->fp->ndests; i++) {
		d = &c->fp->dests[i];
		if (d->group != g || (int)i == skip ||
		    !(c->mapped & BIT(i)))
			continue;
		jw_text(w, d->target, tmpl_out_value(c->out, (int)i));
	}
	return 0;
}

/* The shipping method's name through the mapping set. 0 with *name
 * (borrowed, NULL for none), or -1 with msg. */
static int
map_method(const struct orders_conv *c, const char *code, const char **name,
    char *msg, size_t len)
{
	const struct conf_mapping_set *ms = c->s.shipping_methods;
	const char *def = NULL;
	size_t i;

	*name = NULL;
	if (ms == NULL || code == NULL)
		return 0;
	for (i = 0; i < ms->nentries; i++) {
		if (strcmp(ms->entries[i].key, code) == 0) {
			*name = ms->entries[i].value;
			goto found;
		}
		if (strcmp(ms->entries[i].key, "*") == 0)
			def = ms->entries[i].value;
	}
	if (def == NULL) {
		fmsg(msg, len, "shipping method '%.100s' is not in mapping set "
		    "'%.100s', which has no * default", code, ms->name);
		return -1;
	}
	*name = def;
found:
	if (*name != NULL && **name == '\0')
		*name = NULL;
	return 0;
}

/* Fill missing prices from the catalogue cache; SKUs it does not know
 * are named in note (a warning). */
static void
fill_prices(const struct orders_conv *c, struct lines *ls,
    const json_t *prices, char *msg, size_t len)
{
	const char *sku;
	const json_t *v;
	char key[512];
	size_t i, used = 0;
	int nmiss = 0;

	if (!c->wants_prices)
		return;
	for (i = 0; i < ls->n; i++) {
		if (!needs_price(&ls->v[i]))
			continue;
		sku = str_of(ls->v[i].m, "sku");
		v = NULL;
		if (sku != NULL && lower(sku, key, sizeof(key)) != NULL)
			v = json_object_get(prices, key);
		if (json_is_number(v) && line_set_price(&ls->v[i], v) == 0)
			continue;
		if (nmiss++ == 0)
			used = (size_t)snprintf(msg, len, "no price on the order "
			    "line nor in the catalogue for SKU %.80s",
			    sku ? sku : "(none)");
		else if (used < len)
			used += (size_t)snprintf(msg + used, len - used,
			    ", %.80s", sku ? sku : "(none)");
	}
}

static int
fail(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return ORDERS_EFAIL;
}

/* The order row: fixed columns, then the template's. */
static int
order_row(struct orders_conv *c, const json_t *order, int64_t id,
    const char *method, const char *method_name, char *msg, size_t len)
{
	struct tmpl_src src = { order, NULL, NULL, NULL };
	struct jw w;
	int rc;

	jw_begin(&w, &c->to);
	jw_id(&w, "e", id);
	jw_text(&w, "inc", str_of(order, "increment_id"));
	jw_text(&w, "ack", str_of(order, "status"));
	jw_text(&w, "customer_email", str_of(order, "customer_email"));
	jw_text(&w, "currency", str_of(order, "order_currency_code"));
	jw_text(&w, "shipping_method", method);
	jw_text(&w, "shipping_method_name", method_name);
	if ((rc = apply_group(c, FIELDS_RECORD, &src, &w, -1, "", msg,
	    len)) < 0)
		return rc;
	return jw_end(&w, "", msg, len);
}

/* An address row of group g. */
static int
address_row(struct orders_conv *c, const json_t *order, int64_t id,
    enum fields_group g, char *msg, size_t len)
{
	struct tmpl_src src = { order, NULL, NULL, NULL };
	const char *what = g == FIELDS_BILLING ? "billing address" :
	    "shipping address";
	struct jw w;
	int rc;

	jw_begin(&w, &c->ta);
	jw_id(&w, "e", id);
	jw_text(&w, "kind", g == FIELDS_BILLING ? "billing" : "shipping");
	if ((rc = apply_group(c, g, &src, &w, -1, what, msg, len)) < 0)
		return rc;
	return jw_end(&w, what, msg, len);
}

/* magento_item_id: the template's value when it wrote one, else the
 * line's. -1 when the template's value is not a whole number. */
static int
item_id_of(const struct orders_conv *c, const struct line *l, int64_t *id)
{
	const char *v = tmpl_out_value(c->out, FIELDS_GO_ITEM_ITEM_ID);
	char *end;
	long long n;

	*id = l->item_id;
	if (!(c->mapped & BIT(FIELDS_GO_ITEM_ITEM_ID)) || v == NULL)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0')
		return -1;
	*id = n;
	return 0;
}

/* Remember an item id of the order: 0, 1 when the order has it already,
 * or ORDERS_ENOMEM. */
static int
item_id_once(struct orders_conv *c, int64_t id)
{
	int64_t *nv;
	size_t i;

	for (i = 0; i < c->nids; i++)
		if (c->ids[i] == id)
			return 1;
	if (c->nids == c->capids) {
		if ((nv = realloc(c->ids, (c->capids ? 2 * c->capids : 16) *
		    sizeof(*nv))) == NULL)
			return ORDERS_ENOMEM;
		c->ids = nv;
		c->capids = c->capids ? 2 * c->capids : 16;
	}
	c->ids[c->nids++] = id;
	return 0;
}

static int
item_row(struct orders_conv *c, const json_t *order, int64_t id,
    const struct line *l, char *msg, size_t len)
{
	struct tmpl_src src = { order, l->m, NULL, NULL };
	const char *sku = str_of(l->m, "sku"), *qty;
	char what[128];
	struct jw w;
	int64_t item_id;
	int rc;

	fmsg(what, sizeof(what), "item %.80s", sku ? sku : "(no sku)");
	jw_begin(&w, &c->ti);
	if ((rc = apply_group(c, FIELDS_ITEM, &src, &w,
	    FIELDS_GO_ITEM_ITEM_ID, what, msg, len)) < 0)
		return rc;
	qty = tmpl_out_value(c->out, FIELDS_GO_ITEM_QTY_ORDERED);
	if (qty != NULL && qty[0] == '-' && strtod(qty, NULL) != 0)
		return fail(msg, len, "%s: item.quantity_ordered: '%.40s' is "
		    "below 0", what, qty);
	if (item_id_of(c, l, &item_id) < 0)
		return fail(msg, len, "%s: item id '%.40s' is not a whole "
		    "number", what, tmpl_out_value(c->out,
		    FIELDS_GO_ITEM_ITEM_ID));
	if ((rc = item_id_once(c, item_id)) < 0)
		return rc;
	if (rc > 0)
		return fail(msg, len, "%s: item id %" PRId64 " is given to "
		    "two rows of the order", what, item_id);
	jw_id(&w, "e", id);
	jw_id(&w, "magento_item_id", item_id);
	jw_id(&w, "alt_item_id", l->alt_id);
	jw_id(&w, "parent_item_id", l->parent_id);
	jw_text(&w, "product_type", str_of(l->m, "product_type"));
	return jw_end(&w, what, msg, len);
}

/* Every row of one order into the converter's buffers. */
static int
order_rows(struct orders_conv *c, const json_t *order, int64_t id,
    struct lines *ls, char *msg, size_t len)
{
	const json_t *ship = shipping_of(order), *mv;
	const char *method = NULL, *name;
	size_t i;
	int rc;

	c->to.len = c->ta.len = c->ti.len = 0;
	c->nids = 0;
	mv = json_object_get(ship, "method");
	if (json_is_string(mv) && *json_string_value(mv) != '\0')
		method = json_string_value(mv);
	if (map_method(c, method, &name, msg, len) < 0)
		return ORDERS_EFAIL;
	if ((rc = order_row(c, order, id, method, name, msg, len)) < 0)
		return rc;
	if (json_is_object(json_object_get(order, "billing_address")) &&
	    (rc = address_row(c, order, id, FIELDS_BILLING, msg, len)) < 0)
		return rc;
	/* Virtual orders have no shipping address: no row. */
	if (json_is_object(json_object_get(ship, "address")) &&
	    (rc = address_row(c, order, id, FIELDS_SHIPPING, msg, len)) < 0)
		return rc;
	for (i = 0; i < ls->n; i++)
		if ((rc = item_row(c, order, id, &ls->v[i], msg, len)) < 0)
			return rc;
	return 0;
}

/* Append a buffer of rows to one of the page's arrays. */
static void
page_append(struct sb *to, const struct sb *rows)
{
	if (rows->len == 0)
		return;
	if (to->len > 0)
		sb_put(to, ",", 1);
	sb_put(to, rows->p, rows->len);
}

int
orders_convert(struct orders_conv *c, const json_t *order,
    const json_t *prices, struct orders_page *p, struct orders_note *note)
{
	struct lines ls = { NULL, 0 };
	char key[32], warn[ORDERS_MSG_MAX] = "";
	int64_t id;
	int rc;

	note->msg[0] = '\0';
	orders_entity(order, note->entity, sizeof(note->entity));
	if (!json_is_object(order))
		return fail(note->msg, sizeof(note->msg), "is not an order "
		    "object");
	if (get_id(json_object_get(order, "entity_id"), &id) < 0)
		return fail(note->msg, sizeof(note->msg), "has no entity_id");
	snprintf(key, sizeof(key), "%" PRId64, id);
	if (json_object_get(p->seen, key) != NULL)
		return ORDERS_EDUP;
	if ((rc = order_lines(c, order, &ls, note->msg,
	    sizeof(note->msg))) < 0)
		return rc;
	fill_prices(c, &ls, prices, warn, sizeof(warn));
	rc = order_rows(c, order, id, &ls, note->msg, sizeof(note->msg));
	lines_free(&ls);
	if (rc < 0)
		return rc;
	page_append(&p->orders, &c->to);
	page_append(&p->addresses, &c->ta);
	page_append(&p->items, &c->ti);
	if (p->orders.nomem || p->addresses.nomem || p->items.nomem ||
	    json_object_set_new(p->seen, key, json_true()) < 0) {
		orders_page_reset(p);
		return ORDERS_ENOMEM;
	}
	p->count++;
	memcpy(note->msg, warn, sizeof(warn));
	return 0;
}

/* ---- the page ------------------------------------------------------------ */

struct orders_page *
orders_page_new(void)
{
	struct orders_page *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	if ((p->seen = json_object()) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
orders_page_free(struct orders_page *p)
{
	if (p == NULL)
		return;
	free(p->orders.p);
	free(p->addresses.p);
	free(p->items.p);
	json_decref(p->seen);
	free(p);
}

void
orders_page_reset(struct orders_page *p)
{
	p->orders.len = p->addresses.len = p->items.len = 0;
	p->orders.nomem = p->addresses.nomem = p->items.nomem = 0;
	p->count = 0;
	json_object_clear(p->seen);
}

size_t
orders_page_count(const struct orders_page *p)
{
	return p->count;
}

char *
orders_page_json(const struct orders_page *p)
{
	static const char a[] = "{\"orders\":[", b[] = "],\"addresses\":[",
	    c[] = "],\"items\":[", d[] = "]}";
	size_t n = sizeof(a) + sizeof(b) + sizeof(c) + sizeof(d) +
	    p->orders.len + p->addresses.len + p->items.len;
	char *out, *w;

	/* One allocation: the document is the size of the page. */
	if ((out = malloc(n)) == NULL)
		return NULL;
	w = out;
	w = mempcpy(w, a, sizeof(a) - 1);
	if (p->orders.len)
		w = mempcpy(w, p->orders.p, p->orders.len);
	w = mempcpy(w, b, sizeof(b) - 1);
	if (p->addresses.len)
		w = mempcpy(w, p->addresses.p, p->addresses.len);
	w = mempcpy(w, c, sizeof(c) - 1);
	if (p->items.len)
		w = mempcpy(w, p->items.p, p->items.len);
	w = mempcpy(w, d, sizeof(d) - 1);
	*w = '\0';
	return out;
}

/* ---- the page statement ---------------------------------------------------
 *
 * Lookups of existing rows go through LATERAL subqueries (OFFSET 0, LIMIT
 * 1: never pulled up into a join), so each is an index probe whatever
 * the planner believes about the tables: with a plain join it hashed a
 * scan of the whole table for every page while the tables were young
 * (not analyzed yet, a few ten thousand rows), which made a first import
 * of 20,000 orders three times slower. */

/* A column of a statement: name, SQL type, and whether it holds personal
 * data that a purged order must not get back. */
struct col {
	const char *name, *type;
	int pii;
};

#define COLS_MAX	(FIELDS_MAX + 8)

struct cols {
	struct col v[COLS_MAX];
	size_t n;
};

static void
cols_add(struct cols *cs, const char *name, const char *type, int pii)
{
	if (cs->n < COLS_MAX)
		cs->v[cs->n++] = (struct col){ name, type, pii };
}

/* The template's mapped columns of group g, but skip. */
static void
cols_mapped(const struct orders_conv *c, enum fields_group g, int skip,
    struct cols *cs)
{
	const struct fields_dest *d;
	size_t i;

	for (i = 0; i < c->fp->ndests; i++) {
		d = &c->fp->dests[i];
		if (d->group == g && (int)i != skip && (c->mapped & BIT(i)))
			cols_add(cs, d->target, sql_type[d->type],
			    strcmp(d->target, "customer_note") == 0);
	}
}

/* "a, b, c" with each name prefixed by pre. */
static void
sb_list(struct sb *b, const struct cols *cs, const char *pre)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		sb_add(b, "%s%s%s", i ? ", " : "", pre, cs->v[i].name);
}

/* The new value of column i on update. */
static void
sb_newval(struct sb *b, const struct col *cl, const char *src)
{
	if (cl->pii)
		sb_add(b, "CASE WHEN t.pii_purged_at IS NULL THEN %s%s ELSE "
		    "t.%s END", src, cl->name, cl->name);
	else
		sb_add(b, "%s%s", src, cl->name);
}

/* SET a = new, ... WHERE (t.a, ...) IS DISTINCT FROM (new, ...): rows
 * that would not change are left alone. */
static void
sb_update(struct sb *b, const struct cols *cs, const char *src,
    const char *from)
{
	size_t i;

	sb_add(b, " SET ");
	for (i = 0; i < cs->n; i++) {
		sb_add(b, "%s%s = ", i ? ", " : "", cs->v[i].name);
		sb_newval(b, &cs->v[i], src);
	}
	if (from != NULL)
		sb_add(b, " %s", from);
	sb_add(b, " WHERE ROW(");
	sb_list(b, cs, "t.");
	sb_add(b, ") IS DISTINCT FROM ROW(");
	for (i = 0; i < cs->n; i++) {
		sb_add(b, "%s", i ? ", " : "");
		sb_newval(b, &cs->v[i], src);
	}
	sb_add(b, ")");
}

/* x(name type, ...) of jsonb_to_recordset. */
static void
sb_recdef(struct sb *b, const struct cols *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		sb_add(b, "%s%s %s", i ? ", " : "", cs->v[i].name,
		    cs->v[i].type);
}

static void
sql_orders(const struct orders_conv *c, struct sb *b)
{
	struct cols rec = { .n = 0 }, up = { .n = 0 };

	cols_add(&up, "customer_email", "text", 1);
	cols_add(&up, "currency", "text", 0);
	cols_add(&up, "shipping_method", "text", 0);
	cols_add(&up, "shipping_method_name", "text", 0);
	cols_mapped(c, FIELDS_RECORD, -1, &up);
	cols_add(&rec, "e", "bigint", 0);
	cols_add(&rec, "inc", "text", 0);
	cols_add(&rec, "ack", "text", 0);
	memcpy(rec.v + rec.n, up.v, up.n * sizeof(up.v[0]));
	rec.n += up.n;

	sb_add(b, "WITH p AS (SELECT $2::jsonb AS j), "
	    "xo AS (SELECT * FROM jsonb_to_recordset((SELECT j -> 'orders' "
	    "FROM p)) AS r(");
	sb_recdef(b, &rec);
	sb_add(b, ")), o AS (INSERT INTO magsync.orders AS t (channel, "
	    "magento_entity_id, ");
	sb_list(b, &up, "");
	sb_add(b, ") SELECT $1::text, x.e, ");
	sb_list(b, &up, "x.");
	sb_add(b, " FROM xo x ON CONFLICT (channel, magento_entity_id) DO "
	    "UPDATE");
	sb_update(b, &up, "EXCLUDED.", NULL);
	/* Unchanged orders are not in RETURNING: oe has them as they are. */
	sb_add(b, " RETURNING t.id, t.magento_entity_id, t.acknowledged_at, "
	    "t.pii_purged_at), "
	    "oe AS (SELECT t.* FROM xo CROSS JOIN LATERAL (SELECT t.id, "
	    "t.magento_entity_id, t.acknowledged_at, t.pii_purged_at FROM "
	    "magsync.orders t WHERE t.channel = $1::text AND "
	    "t.magento_entity_id = xo.e OFFSET 0) t), "
	    "oa AS (SELECT * FROM o UNION ALL SELECT * FROM oe WHERE NOT "
	    "EXISTS (SELECT 1 FROM o WHERE o.magento_entity_id = "
	    "oe.magento_entity_id)), ");
}

static void
sql_addresses(const struct orders_conv *c, struct sb *b, enum fields_group g,
    const char *cte, const char *kind)
{
	struct cols cs = { .n = 0 };

	cols_mapped(c, g, -1, &cs);
	sb_add(b, "%s AS (INSERT INTO magsync.order_addresses AS t (order_id, "
	    "kind%s", cte, cs.n ? ", " : "");
	sb_list(b, &cs, "");
	sb_add(b, ") SELECT oa.id, x.kind%s", cs.n ? ", " : "");
	sb_list(b, &cs, "x.");
	/* A purged order does not get its personal data back. */
	sb_add(b, " FROM xa x JOIN oa ON oa.magento_entity_id = x.e WHERE "
	    "x.kind = '%s' AND oa.pii_purged_at IS NULL ON CONFLICT "
	    "(order_id, kind) DO ", kind);
	if (cs.n == 0) {
		sb_add(b, "NOTHING RETURNING 1), ");
		return;
	}
	sb_add(b, "UPDATE");
	sb_update(b, &cs, "EXCLUDED.", NULL);
	sb_add(b, " RETURNING 1), ");
}

static void
sql_items(const struct orders_conv *c, struct sb *b)
{
	struct cols rec = { .n = 0 }, up = { .n = 0 }, addr = { .n = 0 };
	size_t i;

	cols_add(&up, "magento_item_id", "bigint", 0);
	cols_add(&up, "parent_item_id", "bigint", 0);
	cols_add(&up, "product_type", "text", 0);
	cols_mapped(c, FIELDS_ITEM, FIELDS_GO_ITEM_ITEM_ID, &up);
	cols_add(&rec, "e", "bigint", 0);
	cols_add(&rec, "alt_item_id", "bigint", 0);
	memcpy(rec.v + rec.n, up.v, up.n * sizeof(up.v[0]));
	rec.n += up.n;
	for (i = 0; i < c->fp->ndests; i++)
		if (c->fp->dests[i].group == FIELDS_BILLING)
			cols_add(&addr, c->fp->dests[i].target, "text", 0);

	sb_add(b, "xa AS (SELECT * FROM jsonb_to_recordset((SELECT j -> "
	    "'addresses' FROM p)) AS r(e bigint, kind text, ");
	sb_recdef(b, &addr);
	sb_add(b, ")), ");
	sql_addresses(c, b, FIELDS_BILLING, "ab", "billing");
	sql_addresses(c, b, FIELDS_SHIPPING, "as_", "shipping");

	sb_add(b, "xi AS (SELECT r.*, oa.id AS order_id FROM "
	    "jsonb_to_recordset((SELECT j -> 'items' FROM p)) AS r(");
	sb_recdef(b, &rec);
	sb_add(b, ") JOIN oa ON oa.magento_entity_id = r.e), ");
	/* ik: the existing row of each item, by its key or else by the
	 * pair's other line (use_parent_item_id changed: re-keyed). */
	sb_add(b, "ik AS (SELECT x.*, k.id AS tid FROM xi x CROSS JOIN "
	    "LATERAL (SELECT t.id FROM magsync.order_items t WHERE "
	    "t.order_id = x.order_id AND t.magento_item_id IN "
	    "(x.magento_item_id, x.alt_item_id) ORDER BY t.magento_item_id = "
	    "x.magento_item_id DESC LIMIT 1) k), ");
	sb_add(b, "iu AS (UPDATE magsync.order_items t");
	sb_update(b, &up, "x.", "FROM ik x");
	sb_add(b, " AND t.id = x.tid AND t.id = ANY (ARRAY(SELECT tid FROM "
	    "ik)) RETURNING 1), ");
	sb_add(b, "ii AS (INSERT INTO magsync.order_items (order_id, ");
	sb_list(b, &up, "");
	sb_add(b, ") SELECT x.order_id, ");
	sb_list(b, &up, "x.");
	sb_add(b, " FROM xi x WHERE NOT EXISTS (SELECT 1 FROM ik WHERE "
	    "ik.order_id = x.order_id AND ik.magento_item_id = "
	    "x.magento_item_id) ON CONFLICT (order_id, magento_item_id) DO "
	    "NOTHING RETURNING 1) ");
}

char *
orders_upsert_sql(const struct orders_conv *c)
{
	struct sb b = { NULL, 0, 0, 0 };

	sql_orders(c, &b);
	sql_items(c, &b);
	sb_add(&b, "SELECT oa.id, oa.magento_entity_id, xo.inc, xo.ack, "
	    "oa.acknowledged_at IS NULL FROM oa JOIN xo ON xo.e = "
	    "oa.magento_entity_id ORDER BY oa.magento_entity_id");
	if (b.nomem) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* "a,b[c,d]" of a tree, in the order the names were first added (the
 * lists are built by prepending). */
static void
fnode_text(const struct fnode *n, struct sb *b)
{
	if (n == NULL)
		return;
	if (n->next != NULL) {
		fnode_text(n->next, b);
		sb_add(b, ",");
	}
	sb_add(b, "%s", n->name);
	if (n->kid != NULL) {
		sb_add(b, "[");
		fnode_text(n->kid, b);
		sb_add(b, "]");
	}
}
