/* oauth1_sign.c - print what lib/oauth1.c makes of one request, so that
 * tests/integration/test_oauth1_py.py can check it against Python's hmac.
 *
 *   oauth1_sign [-b | -s] [-N] [-m METHOD_NAME] [-V VERSION] [-f FORM_BODY]
 *       [--] HTTP_METHOD URL CONSUMER_KEY CONSUMER_SECRET TOKEN TOKEN_SECRET
 *       NONCE TIMESTAMP
 *
 * Prints the Authorization header value (default), the signature base
 * string (-b) or the signature (-s). -N: no oauth_token (TOKEN ignored).
 * Put "--" before the operands when they may start with a dash.
 * Test inputs only: real secrets do not belong on a command line. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oauth1.h"

static void
usage(void)
{
	fprintf(stderr, "usage: oauth1_sign [-b | -s] [-N] [-m NAME] [-V VERSION] "
	    "[-f BODY] [--] METHOD URL CONSUMER_KEY CONSUMER_SECRET TOKEN "
	    "TOKEN_SECRET NONCE TIMESTAMP\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct oauth1_req r;
	char *out = NULL, *end;
	int ch, what = 'h', rc, no_token = 0;

	memset(&r, 0, sizeof(r));
	while ((ch = getopt(argc, argv, "bsNm:V:f:")) != -1) {
		switch (ch) {
		case 'b':
		case 's':
			what = ch;
			break;
		case 'N':
			no_token = 1;
			break;
		case 'm':
			r.signature_method = optarg;
			break;
		case 'V':
			r.version = optarg;
			break;
		case 'f':
			r.form_body = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 8)
		usage();
	r.method = argv[0];
	r.url = argv[1];
	r.consumer_key = argv[2];
	r.consumer_secret = argv[3];
	r.token = no_token ? NULL : argv[4];
	r.token_secret = argv[5];
	r.nonce = argv[6];
	errno = 0;
	r.timestamp = strtoll(argv[7], &end, 10);
	if (errno != 0 || *end != '\0' || end == argv[7]) {
		fprintf(stderr, "oauth1_sign: bad timestamp\n");
		return 2;
	}
	if (what == 'b')
		rc = oauth1_base_string(&r, &out);
	else if (what == 's')
		rc = oauth1_signature(&r, &out);
	else
		rc = oauth1_header(&r, &out);
	if (rc != 0) {
		fprintf(stderr, "oauth1_sign: %s\n", strerror(-rc));
		return 1;
	}
	if (printf("%s\n", out) < 0 || fflush(stdout) != 0) {
		free(out);
		return 1;
	}
	free(out);
	return 0;
}
