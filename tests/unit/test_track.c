/* test_track.c - carrier names and tracking-number formats: hundreds of
 * table cases, every reason text, and the UPS check digit against numbers
 * computed by an independent implementation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "track.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	enum track_carrier want;
} carrier_cases[] = {
	{ "ups", TRACK_UPS },
	{ "UPS", TRACK_UPS },
	{ "Ups", TRACK_UPS },
	{ " ups ", TRACK_UPS },
	{ "U.P.S.", TRACK_UPS },
	{ "United Parcel Service", TRACK_UPS },
	{ "UNITED PARCEL SERVICE", TRACK_UPS },
	{ "united  parcel\tservice", TRACK_UPS },
	{ "United-Parcel-Service", TRACK_UPS },
	{ "United Parcel Service of America", TRACK_UPS },
	{ "UPS Ground", TRACK_UPS },
	{ "UPS_Ground", TRACK_UPS },
	{ "ups-ground", TRACK_UPS },
	{ "UPS Next Day Air", TRACK_UPS },
	{ "UPS 2nd Day Air", TRACK_UPS },
	{ "UPS Second Day Air", TRACK_UPS },
	{ "UPS 3 Day Select", TRACK_UPS },
	{ "UPS Worldwide Express", TRACK_UPS },
	{ "UPS Worldwide Saver", TRACK_UPS },
	{ "UPS Standard", TRACK_UPS },
	{ "UPS Express Saver", TRACK_UPS },
	{ "fedex", TRACK_FEDEX },
	{ "FedEx", TRACK_FEDEX },
	{ "FEDEX", TRACK_FEDEX },
	{ "Fed Ex", TRACK_FEDEX },
	{ "Fed-Ex", TRACK_FEDEX },
	{ "Federal Express", TRACK_FEDEX },
	{ "FedEx Ground", TRACK_FEDEX },
	{ "fedex ground", TRACK_FEDEX },
	{ "FedEx Home Delivery", TRACK_FEDEX },
	{ "FedEx Express", TRACK_FEDEX },
	{ "FedEx SmartPost", TRACK_FEDEX },
	{ "FedEx Smart Post", TRACK_FEDEX },
	{ "FedEx Priority Overnight", TRACK_FEDEX },
	{ "FedEx 2Day", TRACK_FEDEX },
	{ "FedEx International Priority", TRACK_FEDEX },
	{ "usps", TRACK_USPS },
	{ "USPS", TRACK_USPS },
	{ "U.S.P.S.", TRACK_USPS },
	{ "U.S. Postal Service", TRACK_USPS },
	{ "US Postal Service", TRACK_USPS },
	{ "United States Postal Service", TRACK_USPS },
	{ "US Mail", TRACK_USPS },
	{ "U.S. Mail", TRACK_USPS },
	{ "USPS Priority Mail", TRACK_USPS },
	{ "USPS Priority Mail Express", TRACK_USPS },
	{ "USPS First-Class Mail", TRACK_USPS },
	{ "USPS First Class Package", TRACK_USPS },
	{ "USPS Ground Advantage", TRACK_USPS },
	{ "USPS Media Mail", TRACK_USPS },
	{ "dhl", TRACK_DHL },
	{ "DHL", TRACK_DHL },
	{ "DHL Express", TRACK_DHL },
	{ "dhl express", TRACK_DHL },
	{ "DHL Express Worldwide", TRACK_DHL },
	{ "DHL Worldwide Express", TRACK_DHL },
	{ "DHL International", TRACK_DHL },
	/* Other carriers, and other services with other numbering. */
	{ "DHL eCommerce", TRACK_CUSTOM },
	{ "DHL Parcel", TRACK_CUSTOM },
	{ "DHL Paket", TRACK_CUSTOM },
	{ "UPS Mail Innovations", TRACK_CUSTOM },
	{ "UPS SurePost", TRACK_CUSTOM },
	{ "FedEx Freight", TRACK_CUSTOM },
	{ "DPD", TRACK_CUSTOM },
	{ "Royal Mail", TRACK_CUSTOM },
	{ "Canada Post", TRACK_CUSTOM },
	{ "OnTrac", TRACK_CUSTOM },
	{ "GLS", TRACK_CUSTOM },
	{ "Hermes", TRACK_CUSTOM },
	{ "PostNL", TRACK_CUSTOM },
	{ "custom", TRACK_CUSTOM },
	{ "upsx", TRACK_CUSTOM },
	{ "xups", TRACK_CUSTOM },
	{ "fedexx", TRACK_CUSTOM },
	{ "usp", TRACK_CUSTOM },
	{ "dh l", TRACK_CUSTOM },
	{ "ups ground saver plus extra", TRACK_CUSTOM },
	{ "", TRACK_CUSTOM },
	{ "   ", TRACK_CUSTOM },
	{ "...", TRACK_CUSTOM },
	{ "Ünited Parcel Service", TRACK_CUSTOM },
	{ "a very long carrier name that goes on and on and on and on and "
	    "on and on and on", TRACK_CUSTOM },
};

TEST(carrier_names)
{
	size_t i;

	for (i = 0; i < N(carrier_cases); i++) {
		enum track_carrier got = track_carrier_find(carrier_cases[i].name);

		if (got != carrier_cases[i].want)
			UNIT_FAIL("carrier '%s': got %s, want %s",
			    carrier_cases[i].name, track_carrier_code(got),
			    track_carrier_code(carrier_cases[i].want));
	}
	CHECK_INT(track_carrier_find(NULL), TRACK_CUSTOM);
}

TEST(carrier_codes_titles)
{
	CHECK_STR(track_carrier_code(TRACK_UPS), "ups");
	CHECK_STR(track_carrier_code(TRACK_FEDEX), "fedex");
	CHECK_STR(track_carrier_code(TRACK_USPS), "usps");
	CHECK_STR(track_carrier_code(TRACK_DHL), "dhl");
	CHECK_STR(track_carrier_code(TRACK_CUSTOM), "custom");
	CHECK_STR(track_carrier_code(TRACK_NCARRIERS), NULL);
	CHECK_STR(track_carrier_code((enum track_carrier)-1), NULL);
	CHECK_STR(track_carrier_title(TRACK_UPS), "United Parcel Service");
	CHECK_STR(track_carrier_title(TRACK_FEDEX), "Federal Express");
	CHECK_STR(track_carrier_title(TRACK_USPS),
	    "United States Postal Service");
	CHECK_STR(track_carrier_title(TRACK_DHL), "DHL");
	CHECK_STR(track_carrier_title(TRACK_CUSTOM), NULL);
	CHECK_STR(track_carrier_title(TRACK_NCARRIERS), NULL);
	CHECK_STR(track_carrier_format(TRACK_DHL), "10 digits");
	CHECK_STR(track_carrier_format(TRACK_NCARRIERS), NULL);
	/* Every code and title finds its own carrier. */
	CHECK_INT(track_carrier_find(track_carrier_title(TRACK_UPS)), TRACK_UPS);
	CHECK_INT(track_carrier_find(track_carrier_title(TRACK_FEDEX)),
	    TRACK_FEDEX);
	CHECK_INT(track_carrier_find(track_carrier_title(TRACK_USPS)),
	    TRACK_USPS);
	CHECK_INT(track_carrier_find(track_carrier_title(TRACK_DHL)), TRACK_DHL);
	CHECK_INT(track_carrier_find("custom"), TRACK_CUSTOM);
}

/* Valid UPS numbers: published ones, and random ones whose check digit an
 * independent implementation (Python) computed. */
static const char *const ups_valid[] = {
	"1Z999AA10123456784",
	"1Z879E930346834440",
	"1Z2203480342495730",
	"1ZWX0692YP40636269",
	"1Z648616E192760718",
	"1ZQW7B3PDKHX4PY8G8",
	"1ZPAN0RLYKEI2IIAA5",
	"1ZNNKKSUM8NLMYTBX6",
	"1Z0KJQEVTAVETWT4U7",
	"1ZL44LDQBWZB90XYA6",
	"1Z2CLMHP3W6W7Q3GX4",
	"1ZSC1FNV6XJVR8FTU7",
	"1ZTLFJT4KDF8ZCPWQ2",
	"1Z30JDC5VNII0GK1X4",
	"1ZJD0SJ3K735U4RS40",
	"1ZZJHY8L5VLF5R6965",
	"1ZXEWCTX9R5QSVLA45",
	"1Z9QUR3S6WWRW0WL20",
	"1ZXV7J7KMX4SF0K708",
	"1ZT9RBMK2LOLC4OKD1",
	"1ZIHUL4M9C03WYENP0",
	"1ZXAWZR0H9XC9TGS87",
	"1Z6VSWI008X3JKY4M0",
	"1ZIFWAYGU8JUY11O57",
	"1ZS4YYKQT5Q0BUT5S9",
	"1ZJ4BH2PSCIZA489R7",
	"1ZP4CP5RJSS547HBI0",
	"1ZTS8VS7B3WXICAQ93",
	"1Z3G8MA114Y4ZMS3E1",
	"1ZTA1S4TJK495V8J19",
	"1Z8DEORFEBV1EZ5DH0",
	"1ZHOHIS2JLL0KENC90",
	"1ZGYERDHZIA1FU55W2",
	"1ZXDISJ6S99OQE9PQ2",
	"1ZS7IPX3YLIBVFCFH9",
};

TEST(ups_valid_and_every_wrong_check_digit)
{
	char out[TRACK_NUMBER_MAX + 1], reason[TRACK_REASON_MAX];
	char num[32];
	size_t i;
	int d, rc;

	for (i = 0; i < N(ups_valid); i++) {
		rc = track_check(TRACK_UPS, ups_valid[i], out, sizeof(out),
		    reason, sizeof(reason));
		if (rc != 0)
			UNIT_FAIL("%s refused: %s", ups_valid[i], reason);
		else
			CHECK_STR(out, ups_valid[i]);
		CHECK_INT(track_ups_check_digit(ups_valid[i] + 2, 15),
		    ups_valid[i][17] - '0');
		/* Every other final digit is refused, with the reason. */
		for (d = 0; d <= 9; d++) {
			if ('0' + d == ups_valid[i][17])
				continue;
			snprintf(num, sizeof(num), "%.17s%d", ups_valid[i], d);
			rc = track_check(TRACK_UPS, num, out, sizeof(out),
			    reason, sizeof(reason));
			if (rc != -1)
				UNIT_FAIL("%s accepted", num);
			else
				CHECK_HAS(reason, "check digit is wrong");
			CHECK_STR(out, "");
		}
	}
}

/* The UPS developer documentation's sample numbers do not carry valid
 * check digits: they must be refused. */
static const char *const ups_doc_samples[] = {
	"1Z12345E0205271688",
	"1Z12345E6205277936",
	"1Z12345E1505270452",
	"1Z12345E0305271640",
	"1Z12345E1305277940",
};

TEST(ups_documentation_samples)
{
	char out[TRACK_NUMBER_MAX + 1], reason[TRACK_REASON_MAX];
	size_t i;

	for (i = 0; i < N(ups_doc_samples); i++) {
		CHECK_INT(track_check(TRACK_UPS, ups_doc_samples[i], out,
		    sizeof(out), reason, sizeof(reason)), -1);
		CHECK_HAS(reason, "check digit");
	}
}

TEST(ups_check_digit_function)
{
	CHECK_INT(track_ups_check_digit("999AA1012345678", 15), 4);
	CHECK_INT(track_ups_check_digit("999aa1012345678", 15), 4);
	CHECK_INT(track_ups_check_digit("000000000000000", 15), 0);
	CHECK_INT(track_ups_check_digit("100000000000000", 15), 9);
	CHECK_INT(track_ups_check_digit("010000000000000", 15), 8);
	CHECK_INT(track_ups_check_digit("A00000000000000", 15), 8);
	CHECK_INT(track_ups_check_digit("I00000000000000", 15), 0);
	CHECK_INT(track_ups_check_digit("S00000000000000", 15), 0);
	CHECK_INT(track_ups_check_digit("Z00000000000000", 15), 3);
	CHECK_INT(track_ups_check_digit("0Z0000000000000", 15), 6);
	CHECK_INT(track_ups_check_digit("99999999999999", 14), -1);
	CHECK_INT(track_ups_check_digit("9999999999999999", 16), -1);
	CHECK_INT(track_ups_check_digit("99999999999999-", 15), -1);
	CHECK_INT(track_ups_check_digit("99999999999999 ", 15), -1);
	CHECK_INT(track_ups_check_digit(NULL, 15), -1);
}

/* One table for everything else: carrier, input, 0 and the number sent,
 * or -1 and a piece of the reason. */
static const struct {
	enum track_carrier c;
	const char *in;
	int rc;
	const char *want;	/* the number sent, or part of the reason */
} cases[] = {
	/* Trimming and case. */
	{ TRACK_UPS, "  1Z999AA10123456784  ", 0, "1Z999AA10123456784" },
	{ TRACK_UPS, "\t1Z999AA10123456784\n", 0, "1Z999AA10123456784" },
	{ TRACK_UPS, "1z999aa10123456784", 0, "1Z999AA10123456784" },
	{ TRACK_UPS, "1Z999aa10123456784", 0, "1Z999AA10123456784" },
	/* UPS shapes. */
	{ TRACK_UPS, "1Z999AA1012345678", -1, "not a UPS tracking number" },
	{ TRACK_UPS, "1Z999AA101234567840", -1, "1Z and 16 letters" },
	{ TRACK_UPS, "2Z999AA10123456784", -1, "not a UPS tracking number" },
	{ TRACK_UPS, "1Y999AA10123456784", -1, "not a UPS tracking number" },
	{ TRACK_UPS, "Z1999AA10123456784", -1, "not a UPS tracking number" },
	{ TRACK_UPS, "1Z999AA1012345678A", -1, "check digit" },
	{ TRACK_UPS, "1Z999AA-0123456784", -1, "not a UPS tracking number" },
	{ TRACK_UPS, "1Z999AA_0123456784", -1, "not a UPS tracking number" },
	{ TRACK_UPS, "1Z999AA.0123456784", -1, "not a UPS tracking number" },
	{ TRACK_UPS, "123456789012", -1, "not a UPS tracking number" },
	{ TRACK_UPS, "1Z", -1, "not a UPS tracking number" },
	{ TRACK_UPS, "1Z999AA1012345678\xc3\xa4", -1, "not a UPS" },
	{ TRACK_UPS, "1Z 999 AA1 01 2345 678 4", -1, "a space inside" },
	/* FedEx: 12, 15, 20, 22 digits. */
	{ TRACK_FEDEX, "123456789012", 0, "123456789012" },
	{ TRACK_FEDEX, "449044304137821", 0, "449044304137821" },
	{ TRACK_FEDEX, "61299995669352455464", 0, "61299995669352455464" },
	{ TRACK_FEDEX, "9611020987654312345672", 0,
	    "9611020987654312345672" },
	{ TRACK_FEDEX, " 123456789012 ", 0, "123456789012" },
	{ TRACK_FEDEX, "12345678901", -1, "12, 15, 20 or 22 digits" },
	{ TRACK_FEDEX, "1234567890123", -1, "not a FedEx tracking number" },
	{ TRACK_FEDEX, "12345678901234", -1, "not a FedEx" },
	{ TRACK_FEDEX, "1234567890123456", -1, "not a FedEx" },
	{ TRACK_FEDEX, "1234567890123456789", -1, "not a FedEx" },
	{ TRACK_FEDEX, "123456789012345678901", -1, "not a FedEx" },
	{ TRACK_FEDEX, "12345678901234567890123", -1, "not a FedEx" },
	{ TRACK_FEDEX, "12345678901A", -1, "not a FedEx" },
	{ TRACK_FEDEX, "1234-5678-9012", -1, "not a FedEx" },
	{ TRACK_FEDEX, "1Z999AA10123456784", -1, "not a FedEx" },
	{ TRACK_FEDEX, "-12345678901", -1, "not a FedEx" },
	/* USPS: 20-22 digits, or the international form. */
	{ TRACK_USPS, "94001000000000000000", 0, "94001000000000000000" },
	{ TRACK_USPS, "940010000000000000001", 0, "940010000000000000001" },
	{ TRACK_USPS, "9400100000000000000001", 0, "9400100000000000000001" },
	{ TRACK_USPS, "EA123456785US", 0, "EA123456785US" },
	{ TRACK_USPS, "ea123456785us", 0, "EA123456785US" },
	{ TRACK_USPS, "RB123456785GB", 0, "RB123456785GB" },
	{ TRACK_USPS, "LZ000000000US", 0, "LZ000000000US" },
	{ TRACK_USPS, "9400100000000000001", -1, "not a USPS tracking number" },
	{ TRACK_USPS, "94001000000000000000011", -1, "20 to 22 digits" },
	{ TRACK_USPS, "E1123456785US", -1, "not a USPS" },
	{ TRACK_USPS, "EA12345678US", -1, "not a USPS" },
	{ TRACK_USPS, "EA1234567851US", -1, "not a USPS" },
	{ TRACK_USPS, "EA123456785U1", -1, "not a USPS" },
	{ TRACK_USPS, "EA12345678AUS", -1, "not a USPS" },
	{ TRACK_USPS, "EA123456785USA", -1, "not a USPS" },
	{ TRACK_USPS, "123456789012", -1, "not a USPS" },
	{ TRACK_USPS, "9400 1000 0000 0000 0000 00", -1, "a space inside" },
	/* DHL Express: 10 digits. */
	{ TRACK_DHL, "1234567890", 0, "1234567890" },
	{ TRACK_DHL, "0000000000", 0, "0000000000" },
	{ TRACK_DHL, "123456789", -1, "not a DHL Express waybill number" },
	{ TRACK_DHL, "12345678901", -1, "10 digits expected" },
	{ TRACK_DHL, "JJD000390007", -1, "not a DHL Express" },
	{ TRACK_DHL, "123456789A", -1, "not a DHL Express" },
	{ TRACK_DHL, "GM1234567890123", -1, "not a DHL Express" },
	/* Other carriers: 4-40 letters, digits and dashes. */
	{ TRACK_CUSTOM, "ABCD", 0, "ABCD" },
	{ TRACK_CUSTOM, "abcd", 0, "abcd" },
	{ TRACK_CUSTOM, "1234", 0, "1234" },
	{ TRACK_CUSTOM, "AB-12", 0, "AB-12" },
	{ TRACK_CUSTOM, "----", 0, "----" },
	{ TRACK_CUSTOM, "JJD000390007", 0, "JJD000390007" },
	{ TRACK_CUSTOM, "05222618000123", 0, "05222618000123" },
	{ TRACK_CUSTOM, "1Z999AA10123456785", 0, "1Z999AA10123456785" },
	{ TRACK_CUSTOM, "1234567890123456789012345678901234567890", 0,
	    "1234567890123456789012345678901234567890" },
	{ TRACK_CUSTOM, "ABC", -1, "4 to 40 letters, digits and dashes" },
	{ TRACK_CUSTOM, "A", -1, "not a tracking number" },
	{ TRACK_CUSTOM, "ABC_123", -1, "not a tracking number" },
	{ TRACK_CUSTOM, "ABC/123", -1, "not a tracking number" },
	{ TRACK_CUSTOM, "ABC.123", -1, "not a tracking number" },
	{ TRACK_CUSTOM, "ABC#123", -1, "not a tracking number" },
	{ TRACK_CUSTOM, "ABC+123", -1, "not a tracking number" },
	{ TRACK_CUSTOM, "ABC'123", -1, "not a tracking number" },
	{ TRACK_CUSTOM, "ABC\"123", -1, "not a tracking number" },
	{ TRACK_CUSTOM, "ABC<12>", -1, "not a tracking number" },
	{ TRACK_CUSTOM, "\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f", -1,
	    "not a tracking number" },
	{ TRACK_CUSTOM, "ABC\x01" "123", -1, "not a tracking number" },
	{ TRACK_CUSTOM, "ABC\x7f" "123", -1, "not a tracking number" },
	/* Exactly one number. */
	{ TRACK_CUSTOM, "ABCD EFGH", -1, "more than one tracking number: a "
	    "space inside" },
	{ TRACK_CUSTOM, "ABCD\tEFGH", -1, "a space inside" },
	{ TRACK_CUSTOM, "ABCD\nEFGH", -1, "a space inside" },
	{ TRACK_CUSTOM, "ABCD\r\nEFGH", -1, "a space inside" },
	{ TRACK_CUSTOM, "ABCD,EFGH", -1, "a comma inside" },
	{ TRACK_CUSTOM, "ABCD, EFGH", -1, "a comma inside" },
	{ TRACK_CUSTOM, "ABCD;EFGH", -1, "a semicolon inside" },
	{ TRACK_UPS, "1Z999AA10123456784,1Z879E930346834440", -1,
	    "a comma inside" },
	{ TRACK_FEDEX, "123456789012,123456789013", -1, "a comma inside" },
	{ TRACK_DHL, "1234567890 1234567891", -1, "a space inside" },
	{ TRACK_USPS, "EA123456785US;EA123456786US", -1, "semicolon" },
	{ TRACK_CUSTOM, "ABCD,", -1, "a comma inside" },
	{ TRACK_CUSTOM, ",ABCD", -1, "a comma inside" },
	/* Empty. */
	{ TRACK_CUSTOM, "", -1, "no tracking number" },
	{ TRACK_CUSTOM, "   ", -1, "no tracking number" },
	{ TRACK_CUSTOM, "\t\n\r ", -1, "no tracking number" },
	{ TRACK_UPS, "", -1, "no tracking number" },
	{ TRACK_FEDEX, " ", -1, "no tracking number" },
	{ TRACK_USPS, "", -1, "no tracking number" },
	{ TRACK_DHL, "\n", -1, "no tracking number" },
	{ TRACK_CUSTOM, NULL, -1, "no tracking number" },
	/* Length. */
	{ TRACK_CUSTOM, "12345678901234567890123456789012345678901", -1,
	    "tracking number too long: 41 characters, at most 40" },
	{ TRACK_CUSTOM, "  1234567890123456789012345678901234567890  ", 0,
	    "1234567890123456789012345678901234567890" },
	{ TRACK_FEDEX, "123456789012345678901234567890123456789012345", -1,
	    "too long: 45 characters" },
	{ TRACK_UPS, "1Z999AA101234567841Z999AA101234567841Z999", -1,
	    "too long: 41 characters" },
	{ TRACK_CUSTOM, "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4", -1,
	    "too long: 21 characters" },
};

TEST(table)
{
	char out[TRACK_NUMBER_MAX + 1], reason[TRACK_REASON_MAX];
	size_t i;
	int rc;

	for (i = 0; i < N(cases); i++) {
		strcpy(reason, "untouched");
		rc = track_check(cases[i].c, cases[i].in, out, sizeof(out),
		    reason, sizeof(reason));
		if (rc != cases[i].rc) {
			UNIT_FAIL("case %zu (%s '%s'): rc %d, want %d (%s)", i,
			    track_carrier_code(cases[i].c),
			    cases[i].in ? cases[i].in : "(null)", rc,
			    cases[i].rc, rc < 0 ? reason : out);
			continue;
		}
		if (rc == 0) {
			CHECK_STR(out, cases[i].want);
			CHECK_STR(reason, "untouched");
		} else {
			CHECK_HAS(reason, cases[i].want);
			CHECK_STR(out, "");
		}
	}
}

/* The generic rule at every length from 0 to 45 and the bounds of each
 * digit-only format at every length from 1 to 45. */
TEST(lengths)
{
	char out[TRACK_NUMBER_MAX + 1], reason[TRACK_REASON_MAX];
	char num[64];
	size_t len;
	int rc, want;

	for (len = 0; len <= 45; len++) {
		memset(num, '7', len);
		num[len] = '\0';
		rc = track_check(TRACK_CUSTOM, num, out, sizeof(out), reason,
		    sizeof(reason));
		want = len >= 4 && len <= 40 ? 0 : -1;
		if (rc != want)
			UNIT_FAIL("custom, %zu digits: rc %d", len, rc);
		rc = track_check(TRACK_FEDEX, num, out, sizeof(out), reason,
		    sizeof(reason));
		want = len == 12 || len == 15 || len == 20 || len == 22 ? 0 :
		    -1;
		if (rc != want)
			UNIT_FAIL("fedex, %zu digits: rc %d", len, rc);
		rc = track_check(TRACK_USPS, num, out, sizeof(out), reason,
		    sizeof(reason));
		want = len >= 20 && len <= 22 ? 0 : -1;
		if (rc != want)
			UNIT_FAIL("usps, %zu digits: rc %d", len, rc);
		rc = track_check(TRACK_DHL, num, out, sizeof(out), reason,
		    sizeof(reason));
		want = len == 10 ? 0 : -1;
		if (rc != want)
			UNIT_FAIL("dhl, %zu digits: rc %d", len, rc);
		if (rc == 0)
			CHECK_STR(out, num);
		/* Too long always says so, whatever the carrier. */
		if (len > 40)
			CHECK_HAS(reason, "too long");
	}
}

TEST(small_buffers_and_bad_arguments)
{
	char out[TRACK_NUMBER_MAX + 1], reason[TRACK_REASON_MAX];
	char tiny[8];

	CHECK_INT(track_check(TRACK_UPS, "1Z999AA10123456784", out,
	    TRACK_NUMBER_MAX, reason, sizeof(reason)), -EINVAL);
	CHECK_INT(track_check(TRACK_UPS, "1Z999AA10123456784", NULL,
	    sizeof(out), reason, sizeof(reason)), -EINVAL);
	CHECK_INT(track_check(TRACK_UPS, "1Z999AA10123456784", out,
	    sizeof(out), NULL, sizeof(reason)), -EINVAL);
	CHECK_INT(track_check(TRACK_UPS, "1Z999AA10123456784", out,
	    sizeof(out), reason, 0), -EINVAL);
	CHECK_INT(track_check(TRACK_NCARRIERS, "1234", out, sizeof(out),
	    reason, sizeof(reason)), -EINVAL);
	CHECK_INT(track_check((enum track_carrier)-1, "1234", out,
	    sizeof(out), reason, sizeof(reason)), -EINVAL);
	/* A short reason buffer is cut, never overrun. */
	CHECK_INT(track_check(TRACK_UPS, "nope", out, sizeof(out), tiny,
	    sizeof(tiny)), -1);
	CHECK_INT((long long)strlen(tiny), 7);
	CHECK_STR(tiny, "not a U");
}

/* Every reason fits TRACK_REASON_MAX and never echoes the number. */
TEST(reasons_fit_and_hide_the_number)
{
	static const char *const bad[] = {
		"QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", "QQ", "QQ QQ",
		"QQ,QQ", "QQ_QQQ", "1ZQQQQQQQQQQQQQQQ_",
	};
	char out[TRACK_NUMBER_MAX + 1], reason[TRACK_REASON_MAX + 8];
	size_t i;
	int c;

	for (c = 0; c < TRACK_NCARRIERS; c++) {
		for (i = 0; i < N(bad); i++) {
			memset(reason, 0, sizeof(reason));
			if (track_check((enum track_carrier)c, bad[i], out,
			    sizeof(out), reason, sizeof(reason)) != -1) {
				UNIT_FAIL("%s accepted %s",
				    track_carrier_code(c), bad[i]);
				continue;
			}
			CHECK(strlen(reason) + 1 < TRACK_REASON_MAX);
			CHECK(strstr(reason, "QQ") == NULL);
		}
	}
}

int
main(void)
{
	RUN(carrier_names);
	RUN(carrier_codes_titles);
	RUN(ups_valid_and_every_wrong_check_digit);
	RUN(ups_documentation_samples);
	RUN(ups_check_digit_function);
	RUN(table);
	RUN(lengths);
	RUN(small_buffers_and_bad_arguments);
	RUN(reasons_fit_and_hide_the_number);
	return unit_done("test_track");
}
