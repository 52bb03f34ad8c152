/* track.h - carriers and tracking numbers of shipments (SPEC §7,
 * sync_orders): which of Magento's carrier codes a carrier name means, and
 * whether a tracking number can be what that carrier issues.
 *
 * A shipment carries exactly one tracking number. A bad one is recorded as
 * `invalid` with the reason this module gives and is never sent: Magento
 * would accept almost anything and show the customer a dead link.
 *
 * Carriers are matched case-insensitively, ignoring dots and treating runs
 * of spaces, dashes and underscores as one space, against Magento's codes
 * (ups, fedex, usps, dhl) and a closed list of their usual names and
 * service names ("United Parcel Service", "FedEx Ground", "U.S. Postal
 * Service", "DHL Express"). Names of other services of the same companies
 * with other numbering ("DHL eCommerce", "UPS Mail Innovations", "FedEx
 * Freight") are deliberately not in the list: they go as custom carriers,
 * checked by the generic rule, rather than being refused by a format they
 * do not use. */
#ifndef MS_TRACK_H
#define MS_TRACK_H

#include <stddef.h>

#include "export.h"

enum track_carrier {
	TRACK_CUSTOM,		/* any other carrier: Magento's "custom" */
	TRACK_UPS,
	TRACK_FEDEX,
	TRACK_USPS,
	TRACK_DHL,
	TRACK_NCARRIERS
};

/* The longest tracking number accepted, in bytes. */
#define TRACK_NUMBER_MAX	40
/* A useful size for the reason buffer of track_check. */
#define TRACK_REASON_MAX	160

/* The carrier a name (a code or a usual name) means; TRACK_CUSTOM for
 * anything else, including NULL and "". */
MS_EXPORT enum track_carrier track_carrier_find(const char *name);

/* Magento's carrier code: "ups", "fedex", "usps", "dhl", "custom"; NULL
 * out of range. Static. */
MS_EXPORT const char *track_carrier_code(enum track_carrier c);

/* Magento's default title of the carrier ("United Parcel Service",
 * "Federal Express", "United States Postal Service", "DHL"); NULL for
 * TRACK_CUSTOM and out of range. Static. */
MS_EXPORT const char *track_carrier_title(enum track_carrier c);

/* The format the carrier's numbers have, in words, for messages: "1Z and
 * 16 letters or digits with a valid check digit". Static; NULL out of
 * range. */
MS_EXPORT const char *track_carrier_format(enum track_carrier c);

/* Check one tracking number for carrier c. Outer whitespace is trimmed;
 * then the number must be non-empty, hold no whitespace, comma or
 * semicolon (exactly one number), have at most TRACK_NUMBER_MAX bytes and
 * match the carrier's format:
 *   UPS    "1Z" + 16 letters or digits, the last the check digit of the
 *          15 before it
 *   FedEx  12, 15, 20 or 22 digits
 *   USPS   20 to 22 digits, or the 13-character international form:
 *          2 letters, 9 digits, 2 letters (EA123456785US)
 *   DHL    10 digits (DHL Express waybills)
 *   custom 4 to 40 letters, digits and dashes
 * Letters may be in either case; UPS and USPS numbers are written upper
 * case into out. On success returns 0 with the number to send in out
 * (outlen bytes, NUL-terminated; TRACK_NUMBER_MAX + 1 is always enough)
 * and reason untouched. Otherwise returns -1 with one line in reason
 * (rlen bytes; TRACK_REASON_MAX fits every message) saying what is wrong,
 * which never repeats the number itself; out is then "". -EINVAL for NULL
 * buffers, outlen < TRACK_NUMBER_MAX + 1 or c out of range. */
MS_EXPORT int track_check(enum track_carrier c, const char *number, char *out,
    size_t outlen, char *reason, size_t rlen);

/* The UPS check digit (0..9) of the 15 characters after "1Z" (letters in
 * either case, digits), or -1 if s has another length or character. */
MS_EXPORT int track_ups_check_digit(const char *s, size_t len);

#endif
