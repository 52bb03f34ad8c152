/* oauth1.h - OAuth 1.0a request signing (RFC 5849) with HMAC-SHA256.
 *
 * Magento 2.4.4+ refuses integration access tokens as bearer tokens by
 * default; an integration then signs each request with its consumer key and
 * secret and its access token and secret, using HMAC-SHA256 (2.4.8 accepts
 * no other method). lib/ has no clock and no randomness: the caller passes
 * the nonce and the timestamp. Magento stores at most 32 characters of
 * nonce, remembers each one per consumer, and refuses timestamps more than
 * 600 s away from its clock: use 32 random hex digits and the current time.
 *
 * Where the verifiers Magento has shipped (Zend OAuth, Laminas OAuth,
 * later Guzzle's oauth-subscriber) disagree with RFC 5849 - parameter order
 * with two-digit index numbers, percent-escapes normalised in the path -
 * the requests lib/mage.c builds avoid the difference (see mage.h); this
 * module is plain RFC 5849. */
#ifndef MS_OAUTH1_H
#define MS_OAUTH1_H

#include <stdint.h>

#include "export.h"

/* Everything a signature covers. All strings borrowed for the call. */
struct oauth1_req {
	const char *method;		/* "GET", "PUT", ...; upper-cased */
	const char *url;		/* absolute http(s) URL as sent, with query */
	/* An application/x-www-form-urlencoded body, whose parameters are
	 * signed (RFC 5849 §3.4.1.3.1); NULL otherwise. JSON bodies are not
	 * signed. */
	const char *form_body;
	const char *consumer_key, *consumer_secret;
	const char *token;		/* NULL: no oauth_token parameter */
	const char *token_secret;	/* NULL: "" */
	const char *nonce;
	int64_t timestamp;		/* seconds since the epoch, >= 0 */
	/* NULL: "HMAC-SHA256". Another name is only good for
	 * oauth1_base_string (reproducing RFC examples); signing refuses it. */
	const char *signature_method;
	const char *version;		/* NULL: "1.0"; "": no oauth_version */
};

/* The signature base string (RFC 5849 §3.4.1). *out new on success.
 * Returns 0, -EINVAL (missing field, URL not absolute http/https, URL
 * with user info, bad method) or -ENOMEM. */
MS_EXPORT int oauth1_base_string(const struct oauth1_req *r, char **out);

/* The oauth_signature value: base64 of HMAC-SHA256 over the base string,
 * keyed enc(consumer_secret)&enc(token_secret). *out new. Errors as above,
 * and -ENOTSUP for a signature method other than HMAC-SHA256. */
MS_EXPORT int oauth1_signature(const struct oauth1_req *r, char **out);

/* The Authorization header value (RFC 5849 §3.5.1), without the
 * "Authorization: " name:
 *   OAuth oauth_consumer_key="...", oauth_nonce="...", oauth_signature="...",
 *   oauth_signature_method="HMAC-SHA256", oauth_timestamp="...",
 *   oauth_token="...", oauth_version="1.0"
 * No realm (Magento ignores it). *out new; it carries the signature but no
 * secret - still, it is a credential: never log it. Errors as above. */
MS_EXPORT int oauth1_header(const struct oauth1_req *r, char **out);

#endif
