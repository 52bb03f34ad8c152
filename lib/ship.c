/* ship.c - the ship request and its answers (see ship.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mage.h"
#include "ship.h"

static int
invalid(char *reason, size_t rlen, const char *msg)
{
	snprintf(reason, rlen, "%s", msg);
	return SHIP_EINVALID;
}

/* The string at key of obj, or NULL (absent, null, not a string). */
static const char *
str_at(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static int
is_blank(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* s without outer blanks, as a new JSON string; NULL on OOM. */
static json_t *
trimmed_string(const char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return json_stringn(s, len);
}

/* A quantity as PostgreSQL prints a numeric: a JSON integer when whole,
 * else a real. NULL when it is not a positive finite number. */
static json_t *
qty_json(const char *text)
{
	char *end;
	double d;

	if (text == NULL || *text == '\0')
		return NULL;
	errno = 0;
	d = strtod(text, &end);
	if (*end != '\0' || errno != 0 || !isfinite(d) || d <= 0)
		return NULL;
	if (d == floor(d) && d < 9e15)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static int
add_items(json_t *body, const struct ship_item *items, size_t n,
    char *reason, size_t rlen)
{
	json_t *arr, *it, *q;
	size_t i;

	if (n == 0)
		return invalid(reason, rlen, "nothing to ship: no items");
	if ((arr = json_array()) == NULL ||
	    json_object_set_new(body, "items", arr) < 0)
		return SHIP_ENOMEM;
	for (i = 0; i < n; i++) {
		if (items[i].order_item_id <= 0) {
			snprintf(reason, rlen, "item %zu has no Magento order "
			    "item id", i + 1);
			return SHIP_EINVALID;
		}
		if ((q = qty_json(items[i].qty)) == NULL) {
			snprintf(reason, rlen, "item %lld: quantity '%.32s' is "
			    "not a positive number",
			    (long long)items[i].order_item_id,
			    items[i].qty ? items[i].qty : "");
			return SHIP_EINVALID;
		}
		it = json_pack("{s:I,s:o}", "order_item_id",
		    (json_int_t)items[i].order_item_id, "qty", q);
		if (it == NULL || json_array_append_new(arr, it) < 0)
			return SHIP_ENOMEM;
	}
	return 0;
}

int
ship_track(const json_t *payload, struct ship_track *tr, char *reason,
    size_t rlen)
{
	const json_t *t0;
	const char *carrier;

	t0 = json_array_get(json_object_get(payload, "tracks"), 0);
	carrier = str_at(t0, "carrier_code");
	if (is_blank(carrier))
		return invalid(reason, rlen, "no carrier");
	tr->carrier = track_carrier_find(carrier);
	if (track_check(tr->carrier, str_at(t0, "track_number"), tr->number,
	    sizeof(tr->number), reason, rlen) < 0)
		return SHIP_EINVALID;
	return 0;
}

/* The one track: carrier code, title, checked number. */
static int
add_track(json_t *body, const json_t *payload, struct ship_track *tr,
    char *reason, size_t rlen)
{
	const json_t *t0;
	const char *carrier, *method;
	json_t *title, *track, *arr;

	if (ship_track(payload, tr, reason, rlen) < 0)
		return SHIP_EINVALID;
	t0 = json_array_get(json_object_get(payload, "tracks"), 0);
	carrier = str_at(t0, "carrier_code");
	method = str_at(t0, "title");
	if (tr->carrier == TRACK_CUSTOM)
		title = trimmed_string(carrier);
	else if (!is_blank(method))
		title = trimmed_string(method);
	else
		title = json_string(track_carrier_title(tr->carrier));
	if (title == NULL)
		return SHIP_ENOMEM;
	track = json_pack("{s:s,s:o,s:s}", "track_number", tr->number,
	    "title", title, "carrier_code", track_carrier_code(tr->carrier));
	if (track == NULL)
		return SHIP_ENOMEM;
	/* Both calls steal their argument, even when they fail. */
	if ((arr = json_array()) == NULL) {
		json_decref(track);
		return SHIP_ENOMEM;
	}
	if (json_array_append_new(arr, track) < 0) {
		json_decref(arr);
		return SHIP_ENOMEM;
	}
	return json_object_set_new(body, "tracks", arr) < 0 ? SHIP_ENOMEM : 0;
}

static int
add_comment(json_t *body, const json_t *payload, int visible)
{
	const char *text;
	json_t *c;

	text = str_at(json_object_get(payload, "comment"), "comment");
	if (is_blank(text))
		return 0;
	c = json_pack("{s:s,s:i}", "comment", text, "is_visible_on_front",
	    visible ? 1 : 0);
	if (c == NULL || json_object_set_new(body, "comment", c) < 0)
		return SHIP_ENOMEM;
	return 0;
}

/* One source of extension attributes merged into ext: NULL or JSON null
 * adds nothing, an object overrides key by key, anything else is refused. */
static int
merge_ext(json_t *ext, const json_t *src, const char *what, char *reason,
    size_t rlen)
{
	if (src == NULL || json_is_null(src))
		return 0;
	if (!json_is_object(src)) {
		snprintf(reason, rlen, "%s extension_attributes is not a JSON "
		    "object", what);
		return SHIP_EINVALID;
	}
	return json_object_update(ext, (json_t *)src) < 0 ? SHIP_ENOMEM : 0;
}

static int
add_arguments(json_t *body, const json_t *payload, const struct ship_opts *o,
    char *reason, size_t rlen)
{
	const json_t *mapped;
	json_t *ext;
	int rc;

	if ((ext = json_object()) == NULL)
		return SHIP_ENOMEM;
	mapped = json_object_get(json_object_get(payload, "arguments"),
	    "extension_attributes");
	if ((rc = merge_ext(ext, o->ext_setting, "the job's", reason,
	    rlen)) < 0 ||
	    (rc = merge_ext(ext, o->ext_row, "the shipment's", reason,
	    rlen)) < 0 ||
	    (rc = merge_ext(ext, mapped, "the template's", reason, rlen)) < 0) {
		json_decref(ext);
		return rc;
	}
	if (json_object_size(ext) == 0) {
		json_decref(ext);
		return 0;
	}
	if (json_object_set_new(body, "arguments",
	    json_pack("{s:o}", "extension_attributes", ext)) < 0)
		return SHIP_ENOMEM;
	return 0;
}

static int
add_flags(json_t *body, const struct ship_opts *o)
{
	if (json_object_set_new(body, "notify", json_boolean(o->notify)) < 0 ||
	    json_object_set_new(body, "appendComment",
	    json_boolean(o->append_comment)) < 0)
		return SHIP_ENOMEM;
	return 0;
}

int
ship_body(const json_t *payload, const struct ship_item *items,
    size_t nitems, const struct ship_opts *o, json_t **body,
    struct ship_track *track, char *reason, size_t rlen)
{
	static const struct ship_opts none;
	char why[SHIP_REASON_MAX];
	json_t *b;
	int rc;

	*body = NULL;
	if (o == NULL)
		o = &none;
	if ((b = json_object()) == NULL)
		return SHIP_ENOMEM;
	/* The tracking number first: it is what a WMS gets wrong most. */
	if ((rc = add_track(b, payload, track, why, sizeof(why))) < 0 ||
	    (rc = add_items(b, items, nitems, why, sizeof(why))) < 0 ||
	    (rc = add_flags(b, o)) < 0 ||
	    (rc = add_comment(b, payload, o->visible_on_front)) < 0 ||
	    (rc = add_arguments(b, payload, o, why, sizeof(why))) < 0) {
		json_decref(b);
		if (rc == SHIP_EINVALID) {
			snprintf(reason, rlen, "%s", why);
			return SHIP_EINVALID;
		}
		return SHIP_ENOMEM;
	}
	*body = b;
	return 0;
}

/* ---- answers ------------------------------------------------------------ */

/* Magento's texts when an order item id is not the order's. Older
 * releases validate each line ("not part of the original order"); 2.4's
 * document factory drops unknown lines first, and with none left refuses
 * the shipment as empty. */
static const char *const mismatch_texts[] = {
	"not part of the original order",
	"can't create a shipment without products",
	"cannot create a shipment without products",
};

static int
is_mismatch(const char *body, size_t len)
{
	char msg[MAGE_ERROR_MAX];
	size_t i;

	if (body == NULL || mage_error_text(body, len, msg, sizeof(msg)) < 0)
		return 0;
	for (i = 0; i < sizeof(mismatch_texts) / sizeof(mismatch_texts[0]);
	    i++)
		if (strstr(msg, mismatch_texts[i]) != NULL)
			return 1;
	return 0;
}

/* A positive id from a JSON integer or a JSON string of digits. */
static int
json_id(const json_t *v, int64_t *id)
{
	const char *s;
	char *end;
	long long n;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if ((s = json_string_value(v)) != NULL) {
		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		n = strtoll(s, &end, 10);
		if (*end != '\0' || errno != 0)
			return -1;
	} else {
		return -1;
	}
	if (n <= 0)
		return -1;
	*id = n;
	return 0;
}

static enum ship_outcome
created(const char *body, size_t len, int64_t *id)
{
	json_t *v;
	int rc;

	if (body == NULL)
		return SHIP_UNKNOWN;
	v = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	rc = json_id(v, id);
	json_decref(v);
	return rc == 0 ? SHIP_CREATED : SHIP_UNKNOWN;
}

enum ship_outcome
ship_outcome(enum ship_transport t, int status, const char *body, size_t len,
    int64_t *id)
{
	if (t == SHIP_T_NOT_SENT)
		return SHIP_REFUSED;
	if (t != SHIP_T_RESPONSE || status <= 0)
		return SHIP_UNKNOWN;
	if (status >= 200 && status <= 299)
		return created(body, len, id);
	/* The store said it did not act (and the engine gave up waiting). */
	if (status == 408 || status == 429 || status == 503)
		return SHIP_REFUSED;
	if (status >= 400 && status <= 499)
		return is_mismatch(body, len) ? SHIP_MISMATCH : SHIP_REFUSED;
	/* 500, 502, 504: PHP may have committed before the error, or a
	 * gateway gave up on a backend that is still working. */
	if (status >= 500)
		return SHIP_UNKNOWN;
	/* 1xx/3xx: curl follows nothing; the request never reached the
	 * ship controller. */
	return SHIP_REFUSED;
}

const char *
ship_outcome_name(enum ship_outcome o)
{
	static const char *const names[] = {
		[SHIP_CREATED] = "created",
		[SHIP_MISMATCH] = "mismatch",
		[SHIP_REFUSED] = "refused",
		[SHIP_UNKNOWN] = "unknown",
	};

	if ((int)o < 0 || (size_t)o >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[o];
}

/* Compare tracking numbers ignoring case and outer blanks. */
static int
same_number(const char *a, const char *b)
{
	size_t la, lb;

	while (*a == ' ' || *a == '\t')
		a++;
	while (*b == ' ' || *b == '\t')
		b++;
	la = strlen(a);
	lb = strlen(b);
	while (la > 0 && (a[la - 1] == ' ' || a[la - 1] == '\t'))
		la--;
	while (lb > 0 && (b[lb - 1] == ' ' || b[lb - 1] == '\t'))
		lb--;
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

static int
has_track(const json_t *shipment, const char *number)
{
	const json_t *t;
	const char *n;
	size_t i;

	json_array_foreach(json_object_get(shipment, "tracks"), i, t) {
		n = str_at(t, "track_number");
		if (n != NULL && same_number(n, number))
			return 1;
	}
	return 0;
}

/* [{order_item_id, qty}] of an items array, as compact text. Lines
 * without a usable id or quantity are left out. */
static char *
items_text(const json_t *arr)
{
	const json_t *it, *q;
	json_t *out, *line;
	int64_t id;
	char *text = NULL;
	size_t i;

	if ((out = json_array()) == NULL)
		return NULL;
	json_array_foreach(arr, i, it) {
		q = json_object_get(it, "qty");
		if (json_id(json_object_get(it, "order_item_id"), &id) < 0 ||
		    !json_is_number(q))
			continue;
		line = json_pack("{s:I,s:O}", "order_item_id", (json_int_t)id,
		    "qty", (json_t *)q);
		if (line == NULL || json_array_append_new(out, line) < 0)
			goto done;
	}
	text = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(15));
done:
	json_decref(out);
	return text;
}

int
ship_find(const char *body, size_t len, const char *number,
    const int64_t *skip, size_t nskip, int64_t *id, char **items)
{
	const json_t *list, *s;
	json_t *root;
	int64_t sid;
	size_t i, k;
	int rc = 0;

	*items = NULL;
	if (body == NULL || number == NULL)
		return -EBADMSG;
	root = json_loadb(body, len, 0, NULL);
	list = json_object_get(root, "items");
	if (!json_is_array(list)) {
		json_decref(root);
		return -EBADMSG;
	}
	json_array_foreach(list, i, s) {
		if (json_id(json_object_get(s, "entity_id"), &sid) < 0 ||
		    !has_track(s, number))
			continue;
		for (k = 0; k < nskip && skip[k] != sid; k++)
			;
		if (k < nskip)
			continue;
		*items = items_text(json_object_get(s, "items"));
		rc = *items != NULL ? 1 : -ENOMEM;
		*id = sid;
		break;
	}
	json_decref(root);
	return rc;
}

char *
ship_items_text(const json_t *body)
{
	const json_t *arr = json_object_get(body, "items");

	return json_is_array(arr) ? items_text(arr) : NULL;
}
