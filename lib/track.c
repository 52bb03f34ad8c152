/* track.c - carriers and tracking numbers (see track.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "track.h"
#include "utf8.h"

struct track_info {
	const char *code;
	const char *title;
	const char *format;
};

static const struct track_info infos[TRACK_NCARRIERS] = {
	[TRACK_CUSTOM] = { "custom", NULL,
	    "4 to 40 letters, digits and dashes" },
	[TRACK_UPS] = { "ups", "United Parcel Service",
	    "1Z and 16 letters or digits with a valid check digit" },
	[TRACK_FEDEX] = { "fedex", "Federal Express",
	    "12, 15, 20 or 22 digits" },
	[TRACK_USPS] = { "usps", "United States Postal Service",
	    "20 to 22 digits, or 2 letters, 9 digits and 2 letters" },
	[TRACK_DHL] = { "dhl", "DHL", "10 digits" },
};

/* Names as track_carrier_find normalises them: lower case, no dots, one
 * space between words. Only names whose numbers follow the carrier's
 * format (track.h says why the others are missing). */
static const struct {
	const char *name;
	enum track_carrier carrier;
} names[] = {
	{ "ups", TRACK_UPS },
	{ "united parcel service", TRACK_UPS },
	{ "united parcel service of america", TRACK_UPS },
	{ "ups ground", TRACK_UPS },
	{ "ups standard", TRACK_UPS },
	{ "ups express", TRACK_UPS },
	{ "ups express saver", TRACK_UPS },
	{ "ups saver", TRACK_UPS },
	{ "ups worldwide express", TRACK_UPS },
	{ "ups worldwide express plus", TRACK_UPS },
	{ "ups worldwide saver", TRACK_UPS },
	{ "ups worldwide expedited", TRACK_UPS },
	{ "ups next day air", TRACK_UPS },
	{ "ups next day air saver", TRACK_UPS },
	{ "ups next day air early", TRACK_UPS },
	{ "ups 2nd day air", TRACK_UPS },
	{ "ups second day air", TRACK_UPS },
	{ "ups 3 day select", TRACK_UPS },
	{ "ups three day select", TRACK_UPS },
	{ "fedex", TRACK_FEDEX },
	{ "fed ex", TRACK_FEDEX },
	{ "federal express", TRACK_FEDEX },
	{ "fedex ground", TRACK_FEDEX },
	{ "fedex home delivery", TRACK_FEDEX },
	{ "fedex express", TRACK_FEDEX },
	{ "fedex express saver", TRACK_FEDEX },
	{ "fedex smartpost", TRACK_FEDEX },
	{ "fedex smart post", TRACK_FEDEX },
	{ "fedex ground economy", TRACK_FEDEX },
	{ "fedex priority overnight", TRACK_FEDEX },
	{ "fedex standard overnight", TRACK_FEDEX },
	{ "fedex first overnight", TRACK_FEDEX },
	{ "fedex 2day", TRACK_FEDEX },
	{ "fedex 2 day", TRACK_FEDEX },
	{ "fedex international", TRACK_FEDEX },
	{ "fedex international priority", TRACK_FEDEX },
	{ "fedex international economy", TRACK_FEDEX },
	{ "usps", TRACK_USPS },
	{ "us postal service", TRACK_USPS },
	{ "united states postal service", TRACK_USPS },
	{ "us mail", TRACK_USPS },
	{ "usps priority mail", TRACK_USPS },
	{ "usps priority mail express", TRACK_USPS },
	{ "usps priority mail international", TRACK_USPS },
	{ "usps first class", TRACK_USPS },
	{ "usps first class mail", TRACK_USPS },
	{ "usps first class package", TRACK_USPS },
	{ "usps ground advantage", TRACK_USPS },
	{ "usps parcel select", TRACK_USPS },
	{ "usps media mail", TRACK_USPS },
	{ "dhl", TRACK_DHL },
	{ "dhl express", TRACK_DHL },
	{ "dhl express worldwide", TRACK_DHL },
	{ "dhl worldwide express", TRACK_DHL },
	{ "dhl international", TRACK_DHL },
};

#define NAME_MAX_LEN	64

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char
to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char
to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* Lower case, dots dropped, runs of blanks, dashes and underscores as one
 * space, none at the ends. -1 when the result does not fit. */
static int
normalise(const char *in, char *out, size_t len)
{
	size_t n = 0;
	int gap = 0;

	for (; *in != '\0'; in++) {
		if (*in == '.')
			continue;
		if (is_space(*in) || *in == '-' || *in == '_') {
			gap = n > 0;
			continue;
		}
		if (n + (size_t)gap + 1 >= len)
			return -1;
		if (gap)
			out[n++] = ' ';
		gap = 0;
		out[n++] = to_lower(*in);
	}
	out[n] = '\0';
	return 0;
}

enum track_carrier
track_carrier_find(const char *name)
{
	char norm[NAME_MAX_LEN];
	size_t i;

	if (name == NULL || normalise(name, norm, sizeof(norm)) < 0)
		return TRACK_CUSTOM;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(norm, names[i].name) == 0)
			return names[i].carrier;
	return TRACK_CUSTOM;
}

const char *
track_carrier_code(enum track_carrier c)
{
	if ((int)c < 0 || c >= TRACK_NCARRIERS)
		return NULL;
	return infos[c].code;
}

const char *
track_carrier_title(enum track_carrier c)
{
	if ((int)c < 0 || c >= TRACK_NCARRIERS)
		return NULL;
	return infos[c].title;
}

const char *
track_carrier_format(enum track_carrier c)
{
	if ((int)c < 0 || c >= TRACK_NCARRIERS)
		return NULL;
	return infos[c].format;
}

/* UPS: digits count as themselves, letters as (position in the alphabet
 * + 1) mod 10 (A = 2 ... I = 0, S = 0, Z = 7); the digits in odd positions
 * are added once, those in even positions twice, and the check digit
 * brings the sum to a multiple of ten. */
int
track_ups_check_digit(const char *s, size_t len)
{
	int sum = 0, v;
	size_t i;

	if (s == NULL || len != 15)
		return -1;
	for (i = 0; i < len; i++) {
		if (is_digit(s[i]))
			v = s[i] - '0';
		else if (is_alpha(s[i]))
			v = (to_upper(s[i]) - 'A' + 2) % 10;
		else
			return -1;
		sum += i % 2 == 0 ? v : 2 * v;
	}
	return (10 - sum % 10) % 10;
}

static int
all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

static int
bad_format(enum track_carrier c, char *reason, size_t rlen)
{
	static const char *const who[TRACK_NCARRIERS] = {
		[TRACK_CUSTOM] = "a tracking number",
		[TRACK_UPS] = "a UPS tracking number",
		[TRACK_FEDEX] = "a FedEx tracking number",
		[TRACK_USPS] = "a USPS tracking number",
		[TRACK_DHL] = "a DHL Express waybill number",
	};

	snprintf(reason, rlen, "not %s: %s expected", who[c], infos[c].format);
	return -1;
}

static int
check_ups(const char *s, size_t len, char *reason, size_t rlen)
{
	size_t i;
	int want;

	if (len != 18 || to_upper(s[0]) != '1' || to_upper(s[1]) != 'Z')
		return bad_format(TRACK_UPS, reason, rlen);
	for (i = 2; i < len; i++)
		if (!is_digit(s[i]) && !is_alpha(s[i]))
			return bad_format(TRACK_UPS, reason, rlen);
	want = track_ups_check_digit(s + 2, 15);
	if (!is_digit(s[17]) || s[17] - '0' != want) {
		snprintf(reason, rlen, "not a UPS tracking number: the check "
		    "digit is wrong (a typing error?)");
		return -1;
	}
	return 0;
}

static int
check_usps(const char *s, size_t len, char *reason, size_t rlen)
{
	if (len >= 20 && len <= 22 && all_digits(s, len))
		return 0;
	if (len == 13 && is_alpha(s[0]) && is_alpha(s[1]) &&
	    all_digits(s + 2, 9) && is_alpha(s[11]) && is_alpha(s[12]))
		return 0;
	return bad_format(TRACK_USPS, reason, rlen);
}

static int
check_generic(const char *s, size_t len, char *reason, size_t rlen)
{
	size_t i;

	if (len < 4)
		return bad_format(TRACK_CUSTOM, reason, rlen);
	for (i = 0; i < len; i++)
		if (!is_digit(s[i]) && !is_alpha(s[i]) && s[i] != '-')
			return bad_format(TRACK_CUSTOM, reason, rlen);
	return 0;
}

static int
check_format(enum track_carrier c, const char *s, size_t len, char *reason,
    size_t rlen)
{
	switch (c) {
	case TRACK_UPS:
		return check_ups(s, len, reason, rlen);
	case TRACK_FEDEX:
		if ((len == 12 || len == 15 || len == 20 || len == 22) &&
		    all_digits(s, len))
			return 0;
		return bad_format(c, reason, rlen);
	case TRACK_USPS:
		return check_usps(s, len, reason, rlen);
	case TRACK_DHL:
		if (len == 10 && all_digits(s, len))
			return 0;
		return bad_format(c, reason, rlen);
	default:
		return check_generic(s, len, reason, rlen);
	}
}

/* Where a second number starts: whitespace, comma or semicolon inside. */
static const char *
separator(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (is_space(s[i]))
			return "a space";
		if (s[i] == ',')
			return "a comma";
		if (s[i] == ';')
			return "a semicolon";
	}
	return NULL;
}

int
track_check(enum track_carrier c, const char *number, char *out,
    size_t outlen, char *reason, size_t rlen)
{
	const char *s, *sep;
	size_t len, i;

	if (out == NULL || reason == NULL || rlen == 0 ||
	    outlen < TRACK_NUMBER_MAX + 1 || (int)c < 0 ||
	    c >= TRACK_NCARRIERS)
		return -EINVAL;
	out[0] = '\0';
	s = number != NULL ? number : "";
	while (is_space(*s))
		s++;
	len = strlen(s);
	while (len > 0 && is_space(s[len - 1]))
		len--;
	if (len == 0) {
		snprintf(reason, rlen, "no tracking number");
		return -1;
	}
	if ((sep = separator(s, len)) != NULL) {
		snprintf(reason, rlen, "more than one tracking number: %s "
		    "inside (one number per shipment)", sep);
		return -1;
	}
	if (len > TRACK_NUMBER_MAX) {
		snprintf(reason, rlen, "tracking number too long: %zu "
		    "characters, at most %d", utf8_chars(s, len),
		    TRACK_NUMBER_MAX);
		return -1;
	}
	if (check_format(c, s, len, reason, rlen) < 0)
		return -1;
	for (i = 0; i < len; i++)
		out[i] = c == TRACK_UPS || c == TRACK_USPS ? to_upper(s[i]) :
		    s[i];
	out[len] = '\0';
	return 0;
}
