/* test_oauth1.c - RFC 5849 signature base strings and HMAC-SHA256
 * signatures.
 *
 * The RFC's examples use HMAC-SHA1. Their base strings are checked byte for
 * byte (the §1.2 one is also the string whose HMAC-SHA1 is the RFC's
 * published signature MdpQcU8iPSUjWoN/UDMsK2sui9I=, checked with Python at
 * development time); the SHA-256 signatures of the same requests were
 * computed independently with Python's hmac/hashlib and are embedded here.
 * tests/integration/test_oauth1_py.py recomputes many more at test time. */
#include <errno.h>
#include <stdlib.h>

#include "oauth1.h"
#include "unit.h"

/* RFC 5849 §1.2: the printer fetching Jane's photo. */
static struct oauth1_req
photos(void)
{
	struct oauth1_req r;

	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
	r.consumer_key = "dpf43f3p2l4k3l03";
	r.consumer_secret = "kd94hf93k423kf44";
	r.token = "nnch734d00sl2jdk";
	r.token_secret = "pfkkdhi9sl3r4s00";
	r.nonce = "chapoH";
	r.timestamp = 137131202;
	r.version = "";		/* the RFC's request has no oauth_version */
	return r;
}

/* RFC 5849 §3.1: the request whose base string §3.4.1.1 shows. */
static struct oauth1_req
example_3_1(void)
{
	struct oauth1_req r;

	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b";
	r.form_body = "c2&a3=2+q";
	r.consumer_key = "9djdj82h48djs9d2";
	r.consumer_secret = "j49sk3j29djd";
	r.token = "kkk9d7dh3k39sjv7";
	r.token_secret = "dh893hdasih9";
	r.nonce = "7d8f3e4a";
	r.timestamp = 137131201;
	r.version = "";
	return r;
}

static char *
base(const struct oauth1_req *r)
{
	char *s = NULL;
	int rc = oauth1_base_string(r, &s);

	if (rc != 0)
		UNIT_FAIL("oauth1_base_string: %d", rc);
	return s;
}

static char *
sig(const struct oauth1_req *r)
{
	char *s = NULL;
	int rc = oauth1_signature(r, &s);

	if (rc != 0)
		UNIT_FAIL("oauth1_signature: %d", rc);
	return s;
}

TEST(rfc_3_4_1_base_string)
{
	struct oauth1_req r = example_3_1();
	char *s;

	r.signature_method = "HMAC-SHA1";
	s = base(&r);
	CHECK_STR(s, "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3"
	    "%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth"
	    "_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_"
	    "signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth"
	    "_token%3Dkkk9d7dh3k39sjv7");
	free(s);
}

TEST(rfc_1_2_base_string)
{
	struct oauth1_req r = photos();
	char *s;

	r.signature_method = "HMAC-SHA1";
	s = base(&r);
	CHECK_STR(s, "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacati"
	    "on.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dcha"
	    "poH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D13713"
	    "1202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal");
	free(s);
	/* We sign only with HMAC-SHA256. */
	CHECK_INT(oauth1_signature(&r, &s), -ENOTSUP);
	CHECK(s == NULL);
	CHECK_INT(oauth1_header(&r, &s), -ENOTSUP);
}

TEST(rfc_examples_sha256)
{
	struct oauth1_req r = photos();
	char *s;

	s = base(&r);
	CHECK_STR(s, "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacati"
	    "on.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dcha"
	    "poH%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D137"
	    "131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal");
	free(s);
	s = sig(&r);
	CHECK_STR(s, "HtMwoX2zenlFjgGg/SNEoKEQmL7CzxYFEKzs7er044Y=");
	free(s);

	r.version = NULL;	/* default: oauth_version=1.0 is signed */
	s = sig(&r);
	CHECK_STR(s, "rAAvYu1BQL0v7E7CJl81nKGKZdQr4XFo7E7vbGJxPz4=");
	free(s);

	r = example_3_1();
	s = sig(&r);
	CHECK_STR(s, "ypAxjNip++Dm0fTM+gCl8wAo6ufSnseu1WHxL7py3BU=");
	free(s);
}

TEST(header_format)
{
	struct oauth1_req r = photos();
	char *h = NULL;

	r.version = NULL;
	CHECK_INT(oauth1_header(&r, &h), 0);
	CHECK_STR(h, "OAuth oauth_consumer_key=\"dpf43f3p2l4k3l03\", "
	    "oauth_nonce=\"chapoH\", "
	    "oauth_signature=\"rAAvYu1BQL0v7E7CJl81nKGKZdQr4XFo7E7vbGJxPz4%3D\", "
	    "oauth_signature_method=\"HMAC-SHA256\", "
	    "oauth_timestamp=\"137131202\", oauth_token=\"nnch734d00sl2jdk\", "
	    "oauth_version=\"1.0\"");
	free(h);

	/* No token: no oauth_token, and the key ends in a bare '&'. */
	r.token = NULL;
	r.token_secret = NULL;
	r.version = "";
	CHECK_INT(oauth1_header(&r, &h), 0);
	CHECK(h != NULL && strstr(h, "oauth_token") == NULL);
	CHECK(h != NULL && strstr(h, "oauth_version") == NULL);
	free(h);
}

/* A Magento order search: host case and the default port go, bracketed
 * names are decoded then re-encoded, and secrets with reserved characters
 * are encoded in the key. Signature from Python at development time. */
TEST(magento_search_query)
{
	static const char *q =
	    "searchCriteria%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5B"
	    "field%5D=status&searchCriteria%5Bfilter_groups%5D%5B0%5D%5Bfilters"
	    "%5D%5B0%5D%5Bvalue%5D=pending%2Cprocessing&searchCriteria%5Bfilter_"
	    "groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bcondition_type%5D=in&search"
	    "Criteria%5BpageSize%5D=50&searchCriteria%5BcurrentPage%5D=1";
	static const char *raw =
	    "searchCriteria[filter_groups][0][filters][0][field]=status&"
	    "searchCriteria[filter_groups][0][filters][0][value]=pending%2C"
	    "processing&searchCriteria[filter_groups][0][filters][0]"
	    "[condition_type]=in&searchCriteria[pageSize]=50&"
	    "searchCriteria[currentPage]=1";
	char url[1024], url2[1024], *a, *b, *s;
	struct oauth1_req r;

	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url),
	    "https://Shop.Example.com:443/rest/default/V1/orders?%s", q);
	r.method = "get";
	r.url = url;
	r.consumer_key = "ck1";
	r.consumer_secret = "c&s=1 %";
	r.token = "tok";
	r.token_secret = "t+s/2";
	r.nonce = "0123456789abcdef0123456789abcdef";
	r.timestamp = 1700000000;
	a = base(&r);
	CHECK_STR(a, "GET&https%3A%2F%2Fshop.example.com%2Frest%2Fdefault%2FV1%2F"
	    "orders&oauth_consumer_key%3Dck1%26oauth_nonce%3D0123456789abcdef01"
	    "23456789abcdef%26oauth_signature_method%3DHMAC-SHA256%26oauth_time"
	    "stamp%3D1700000000%26oauth_token%3Dtok%26oauth_version%3D1.0%26sea"
	    "rchCriteria%255BcurrentPage%255D%3D1%26searchCriteria%255Bfilter_g"
	    "roups%255D%255B0%255D%255Bfilters%255D%255B0%255D%255Bcondition_ty"
	    "pe%255D%3Din%26searchCriteria%255Bfilter_groups%255D%255B0%255D%25"
	    "5Bfilters%255D%255B0%255D%255Bfield%255D%3Dstatus%26searchCriteria"
	    "%255Bfilter_groups%255D%255B0%255D%255Bfilters%255D%255B0%255D%255B"
	    "value%255D%3Dpending%252Cprocessing%26searchCriteria%255BpageSize%"
	    "255D%3D50");
	s = sig(&r);
	CHECK_STR(s, "FU+XHGynxZuQqc44OrqxUepyiNSstGolvuK0YUmzUCQ=");
	free(s);

	/* The same request with raw brackets signs the same: parameters are
	 * compared decoded. */
	snprintf(url2, sizeof(url2),
	    "https://shop.example.com/rest/default/V1/orders?%s#frag", raw);
	r.url = url2;
	b = base(&r);
	CHECK_STR(b, a);
	free(a);
	free(b);
}

/* §3.4.1.2 examples and the edges of the base string URI. */
TEST(base_string_uri)
{
	static const struct {
		const char *url, *want;	/* want: the encoded base URI */
	} cases[] = {
		{ "http://EXAMPLE.COM:80/r%20v/X?id=123",
		  "http%3A%2F%2Fexample.com%2Fr%2520v%2FX" },
		{ "https://www.example.net:8080/?q=1",
		  "https%3A%2F%2Fwww.example.net%3A8080%2F" },
		{ "HTTPS://h.example:443", "https%3A%2F%2Fh.example%2F" },
		{ "http://h.example:443/x", "http%3A%2F%2Fh.example%3A443%2Fx" },
		{ "https://h.example:80/x", "https%3A%2F%2Fh.example%3A80%2Fx" },
		{ "http://h.example:/x", "http%3A%2F%2Fh.example%2Fx" },
		{ "http://h.example?a=1", "http%3A%2F%2Fh.example%2F" },
		{ "http://h.example#f", "http%3A%2F%2Fh.example%2F" },
		{ "http://[::1]:8080/p", "http%3A%2F%2F%5B%3A%3A1%5D%3A8080%2Fp" },
		{ "http://[::1]/p", "http%3A%2F%2F%5B%3A%3A1%5D%2Fp" },
		{ "http://h/a%2fb/%7E", "http%3A%2F%2Fh%2Fa%252fb%2F%257E" },
	};
	struct oauth1_req r = photos();
	char want[512], *s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.url = cases[i].url;
		s = base(&r);
		snprintf(want, sizeof(want), "GET&%s&", cases[i].want);
		if (s == NULL || strncmp(s, want, strlen(want)) != 0)
			UNIT_FAIL("%s: %s does not start with %s", cases[i].url,
			    s ? s : "(null)", want);
		free(s);
	}
}

/* Query parameters: form decoding, duplicates, odd shapes. Names sort
 * before "oauth_" so each case is a prefix of the parameter string. */
TEST(query_parameters)
{
	static const struct {
		const char *query;
		const char *params;	/* encoded, before the oauth_ ones */
	} cases[] = {
		/* '+' is a space, %2B a plus */
		{ "b=a+b%2Bc", "b%3Da%2520b%252Bc" },
		{ "a+b%2B=1", "a%2520b%252B%3D1" },
		/* a name without '=' has an empty value; empty pairs vanish */
		{ "b&&a=", "a%3D%26b%3D" },
		/* same name: sorted by value */
		{ "a=z&a=10&a=2", "a%3D10%26a%3D2%26a%3Dz" },
		/* a broken escape stays literal, then is encoded */
		{ "a=%zz%4", "a%3D%2525zz%25254" },
		/* UTF-8 travels as its bytes; lower-case hex comes out upper */
		{ "n=%c3%a9", "n%3D%25C3%25A9" },
		{ "n=\xc3\xa9", "n%3D%25C3%25A9" },
		/* '=' inside a value */
		{ "k=a=b", "k%3Da%253Db" },
		/* reserved characters in names */
		{ "a%5B0%5D=1&a[1]=2", "a%255B0%255D%3D1%26a%255B1%255D%3D2" },
	};
	struct oauth1_req r = photos();
	char url[256], want[512], *s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(url, sizeof(url), "http://h.example/p?%s",
		    cases[i].query);
		r.url = url;
		s = base(&r);
		snprintf(want, sizeof(want),
		    "GET&http%%3A%%2F%%2Fh.example%%2Fp&%s%%26oauth_consumer_key",
		    cases[i].params);
		if (s == NULL || strncmp(s, want, strlen(want)) != 0)
			UNIT_FAIL("%s: %s does not start with %s",
			    cases[i].query, s ? s : "(null)", want);
		free(s);
	}
}

TEST(bad_requests)
{
	static const char *bad_urls[] = {
		"ftp://h/p", "h/p", "http://", "http:///p", "http://u@h/p",
		"http://u:pw@h/p", "http://h:8x/p", "http://:80/p", "",
	};
	struct oauth1_req r = photos(), t;
	char *s = (char *)"x";
	size_t i;

	for (i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		r.url = bad_urls[i];
		if (oauth1_base_string(&r, &s) != -EINVAL || s != NULL)
			UNIT_FAIL("url %s accepted", bad_urls[i]);
	}
	t = photos(); t.method = "GE T";
	CHECK_INT(oauth1_signature(&t, &s), -EINVAL);
	t = photos(); t.method = "";
	CHECK_INT(oauth1_signature(&t, &s), -EINVAL);
	t = photos(); t.method = NULL;
	CHECK_INT(oauth1_signature(&t, &s), -EINVAL);
	t = photos(); t.nonce = NULL;
	CHECK_INT(oauth1_header(&t, &s), -EINVAL);
	t = photos(); t.consumer_secret = NULL;
	CHECK_INT(oauth1_header(&t, &s), -EINVAL);
	t = photos(); t.timestamp = -1;
	CHECK_INT(oauth1_header(&t, &s), -EINVAL);
	CHECK_INT(oauth1_header(NULL, &s), -EINVAL);
	CHECK(s == NULL);
}

/* Everything that can change the signature does. */
TEST(signature_sensitivity)
{
	struct oauth1_req r = photos(), t;
	char *ref = sig(&r), *s;

	t = r; t.method = "POST";
	s = sig(&t); CHECK(s && ref && strcmp(s, ref) != 0); free(s);
	t = r; t.timestamp++;
	s = sig(&t); CHECK(s && ref && strcmp(s, ref) != 0); free(s);
	t = r; t.nonce = "chapoh";
	s = sig(&t); CHECK(s && ref && strcmp(s, ref) != 0); free(s);
	t = r; t.token_secret = "pfkkdhi9sl3r4s01";
	s = sig(&t); CHECK(s && ref && strcmp(s, ref) != 0); free(s);
	t = r; t.consumer_secret = "kd94hf93k423kf45";
	s = sig(&t); CHECK(s && ref && strcmp(s, ref) != 0); free(s);
	t = r; t.url = "http://photos.example.net/photos?file=vacation.jpg";
	s = sig(&t); CHECK(s && ref && strcmp(s, ref) != 0); free(s);
	/* lower-case method and upper-case host sign the same */
	t = r; t.method = "get";
	t.url = "http://PHOTOS.example.net:80/photos?size=original&"
	    "file=vacation.jpg";
	s = sig(&t); CHECK_STR(s, ref); free(s);
	free(ref);
}

int
main(void)
{
	RUN(rfc_3_4_1_base_string);
	RUN(rfc_1_2_base_string);
	RUN(rfc_examples_sha256);
	RUN(header_format);
	RUN(magento_search_query);
	RUN(base_string_uri);
	RUN(query_parameters);
	RUN(bad_requests);
	RUN(signature_sensitivity);
	return unit_done("test_oauth1");
}
