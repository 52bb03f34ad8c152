/* ship.h - sync_orders' rules (SPEC §7): the body of Magento's ship
 * request (salesShipOrderV1, POST /V1/order/{id}/ship) and what Magento's
 * answers mean for the shipment row.
 *
 * The body. The sync_orders template (tmpl.h) maps the shipment row to a
 * payload holding tracks[0].carrier_code (the carrier as the WMS wrote
 * it), tracks[0].track_number, tracks[0].title (the method), comment.comment
 * and arguments.extension_attributes.*. ship_body finishes it:
 *   - the carrier becomes Magento's code (track.h); a known carrier's
 *     title is the method, else Magento's carrier title; any other carrier
 *     goes as "custom" titled with its own name (what the customer sees);
 *   - the tracking number is checked (track_check) and sent trimmed;
 *   - items [{order_item_id, qty}] are the caller's (the shipment's rows,
 *     or everything not yet shipped);
 *   - notify, appendComment, and comment {comment, is_visible_on_front}
 *     unless the comment is empty;
 *   - arguments.extension_attributes: the job's extension_attributes
 *     setting, overridden key by key by the shipment's own
 *     extension_attributes column, overridden by the template's mapped
 *     fields; left out when empty.
 * A shipment that cannot make a valid body is `invalid` with the reason,
 * and is never sent.
 *
 * The answers. A shipment is never created twice: what an answer proves
 * decides whether the row may be sent again (ship_outcome). */
#ifndef MS_SHIP_H
#define MS_SHIP_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "export.h"
#include "track.h"

/* Return codes. */
#define SHIP_EINVALID	(-1)	/* the shipment cannot be sent: see reason */
#define SHIP_ENOMEM	(-2)

#define SHIP_REASON_MAX	256

/* The text of last_error for an item id Magento does not know. */
#define SHIP_MISMATCH_TEXT	"External Order Item ID Mismatch"

/* One line of the request: Magento's order item id and the quantity as
 * PostgreSQL writes a numeric ("2", "1.5000"). Borrowed. */
struct ship_item {
	int64_t order_item_id;
	const char *qty;
};

struct ship_opts {
	int notify;			/* notify_customer */
	int append_comment;		/* append_comment */
	int visible_on_front;		/* visible_on_front */
	/* The job's extension_attributes setting and the shipment's column,
	 * each a JSON object or NULL; borrowed. */
	const json_t *ext_setting;
	const json_t *ext_row;
};

/* What ship_body settled on, for the row and the log. */
struct ship_track {
	enum track_carrier carrier;
	char number[TRACK_NUMBER_MAX + 1];	/* as sent */
};

/* Build the ship request from the template's payload (borrowed, not
 * changed) and items (nitems >= 1). Returns 0 with *body new (json_decref)
 * and *track filled; SHIP_EINVALID with one line in reason (no carrier or
 * tracking number, a tracking number track_check refuses, no items, an
 * item id <= 0, a quantity that is not a positive number, an
 * extension_attributes value that is not an object); SHIP_ENOMEM. reason
 * (rlen bytes, SHIP_REASON_MAX fits every message) is untouched on
 * success. */
MS_EXPORT int ship_body(const json_t *payload, const struct ship_item *items,
    size_t nitems, const struct ship_opts *o, json_t **body,
    struct ship_track *track, char *reason, size_t rlen);

/* Only the track of the payload: the carrier and the checked number, as
 * ship_body would send them (to look a shipment up in Magento). 0, or
 * SHIP_EINVALID with reason. */
MS_EXPORT int ship_track(const json_t *payload, struct ship_track *track,
    char *reason, size_t rlen);

/* How the request ended, as far as the engine can tell. */
enum ship_transport {
	SHIP_T_RESPONSE,	/* a complete HTTP response */
	SHIP_T_NOT_SENT,	/* never reached the store (DNS, connect, TLS,
				 * no credentials) */
	SHIP_T_LOST		/* sent, answer lost (timeout, reset, cut,
				 * cancelled in flight): maybe created */
};

enum ship_outcome {
	SHIP_CREATED,		/* 2xx with the new shipment's id */
	SHIP_MISMATCH,		/* refused: an item id Magento does not know */
	SHIP_REFUSED,		/* certainly not created (4xx, 408/429/503
				 * after the engine's retries, not sent):
				 * `failed`, sent again on a later run */
	SHIP_UNKNOWN		/* maybe created (answer lost, 500/502/504,
				 * a 2xx without an id): stays `sending`, and
				 * is looked up in Magento before it is ever
				 * sent again */
};

/* Classify an answer. status: the HTTP status (0: none); body, len: the
 * response body (may be NULL). On SHIP_CREATED *id is the shipment id
 * (Magento sends it as a JSON string, "17", or a number). */
MS_EXPORT enum ship_outcome ship_outcome(enum ship_transport t, int status,
    const char *body, size_t len, int64_t *id);

/* "created", "mismatch", "refused", "unknown"; NULL out of range. */
MS_EXPORT const char *ship_outcome_name(enum ship_outcome o);

/* Look for our shipment in a GET /V1/shipments answer (the order's
 * shipments): the one with a track whose number equals number (ignoring
 * case and outer spaces), skipping ids in skip (nskip; shipments already
 * recorded for other rows). Returns 1 with *id and *items (new text,
 * free(): the shipment's lines as [{"order_item_id":N,"qty":Q},...]), 0
 * when there is none, -EBADMSG when body is not a search result,
 * -ENOMEM. */
MS_EXPORT int ship_find(const char *body, size_t len, const char *number,
    const int64_t *skip, size_t nskip, int64_t *id, char **items);

/* The lines of a built body as the same text as ship_find's items: what
 * the row records as shipped. New (free()), or NULL on -ENOMEM or a body
 * without items. */
MS_EXPORT char *ship_items_text(const json_t *body);

#endif
