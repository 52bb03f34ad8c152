/* tmpl.h - mapping templates (SPEC §5): how a record crosses between
 * Magento and PostgreSQL, destination field by destination field.
 *
 * A template maps each destination of its process's catalogue (fields.h)
 * to one rule:
 *     skip                 Don't Map: not written at all
 *     empty                Set To Empty (see "Empty" below)
 *     field:SOURCE         copy a source field
 *     value:TEXT           a constant
 *     set:SETNAME:SOURCE   look SOURCE's value up in a mapping set
 * SOURCE is a catalogue source of the process or, for processes reading
 * Magento, json:PATH into Magento's JSON (jpath.h). Templates come from
 * [template NAME] sections (base = NAME builds on another and overrides it
 * line by line) and from the shipped defaults "<process>.default", built
 * in. Mapping sets come from [mapping_set NAME] sections ("*" is the
 * default entry) and one built-in set, listing_status (active = 1,
 * paused = 2), which a [mapping_set listing_status] replaces.
 *
 * Values are converted to the destination's type:
 *   text       strings as they are; numbers in their shortest exact form;
 *              booleans "true"/"false"; arrays and objects fail
 *   number     JSON numbers, or text like "29.99", "-1", "1e3"
 *   integer    like number, with no fraction ("5.0000" is 5)
 *   boolean    true/false, 1/0, and the words 1 0 true false yes no on
 *              off t f y n in any case
 *   timestamp  ISO-8601 with or without a zone, Magento's
 *              "YYYY-MM-DD HH:MM:SS" and PostgreSQL's text form, all
 *              without a zone read as UTC
 *   text array a JSON array of scalars (nulls dropped); in text (columns,
 *              value:, mapping sets) a PostgreSQL literal {a,"b c"} or a
 *              JSON array [..]; any other text or JSON scalar is a
 *              one-element array, "" the empty array
 *   json       any JSON; in text, JSON text
 * A value that cannot be converted fails that field of that record with
 * the field and the value named (tmpl_out_err); the record's other fields
 * are still produced.
 *
 * A source that is missing (no such key, JSON null, SQL NULL) writes the
 * destination as empty, except that a Required destination then fails.
 *
 * Output. Processes writing PostgreSQL get one text parameter per column
 * (tmpl_out_value) in PostgreSQL's input syntax, and a "written" mask: a
 * skipped column is not written; an empty one is written as NULL. Processes
 * writing Magento get a JSON object (tmpl_out_payload: the product object
 * of PUT/POST /V1/products without its {"product": …} wrapper, or the
 * body of POST /V1/order/{id}/ship) holding only the mapped destinations
 * at their catalogue paths. Empty, in a payload, is: text "" ; text array
 * [] (images: media_gallery_entries [] removes every image; categories:
 * category_links [] unassigns every category); a custom attribute value
 * ""; anything else null; a destination with a companion (max sale qty)
 * sets it true when empty and false when written. Two destinations hold
 * values the process must finish before sending: media_gallery_entries
 * holds the image URLs and category_links the category names.
 * Numbers are JSON integers when whole, else reals: dump payloads with
 * JSON_REAL_PRECISION(15) or so to print 29.99 rather than
 * 29.989999999999998. */
#ifndef MS_TMPL_H
#define MS_TMPL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "conf.h"
#include "diag.h"
#include "export.h"
#include "fields.h"
#include "proc.h"

struct tmpl;
struct tmpl_out;

enum tmpl_rule_kind {
	TMPL_SKIP,
	TMPL_EMPTY,
	TMPL_FIELD,
	TMPL_VALUE,
	TMPL_SET
};

/* Return codes of tmpl_apply. */
#define TMPL_ENOMEM	(-1)	/* out of memory; the output is unusable */
#define TMPL_EFIELD	(-2)	/* some fields failed: see tmpl_out_err */

/* Validate every [template] of c and the template of every job, appending
 * each problem to dl as FILE:LINE: an unknown destination or source for
 * the process, json: on a process that reads PostgreSQL, a bad rule or
 * path, a value: or mapping set entry not convertible to the destination's
 * type, an unknown mapping set, a Required destination left skip or empty,
 * an unknown base, a base of another process, a base cycle, a field mapped
 * twice in one template, a mapping set key given twice, a job naming an
 * unknown template or one of another process, an import_listings job
 * whose master_sku setting is not a source (or whose template skips
 * master_sku without master_sku = none) or whose upc_attribute is not an
 * attribute code, json:PATH or none, a sync_listings job whose fields
 * setting names an unknown field. Errors at a template's own lines or
 * header, never once per template built on it. Returns the number of
 * errors added. */
MS_EXPORT int tmpl_check_conf(const struct conf *c, struct diag_list *dl);

/* Compile template name: a [template] of c (c may be NULL) or a shipped
 * default. New (tmpl_free), or NULL with every error in dl. The template
 * does not borrow from c. */
MS_EXPORT struct tmpl *tmpl_compile(const struct conf *c, const char *name,
    struct diag_list *dl);

/* Compile the template of job j (its template, else
 * "<process>.default") with the job's settings that name fields applied,
 * as written in j->settings: import_listings' master_sku = SOURCE replaces
 * the master_sku rule with field:SOURCE, master_sku = none with skip;
 * upc_attribute = CODE makes the source variant.upc read the child's
 * custom attribute CODE (json:PATH: that path; none: nothing). New, or
 * NULL with errors in dl (also when the template is for another
 * process). */
MS_EXPORT struct tmpl *tmpl_compile_job(const struct conf *c,
    const struct conf_job *j, struct diag_list *dl);

MS_EXPORT void tmpl_free(struct tmpl *t);

MS_EXPORT enum proc tmpl_proc(const struct tmpl *t);
MS_EXPORT const char *tmpl_name(const struct tmpl *t);	/* borrowed */
MS_EXPORT enum tmpl_rule_kind tmpl_rule(const struct tmpl *t, int dest);
/* Destinations whose rule is not skip (bit i: catalogue destination i). */
MS_EXPORT uint64_t tmpl_mapped(const struct tmpl *t);
/* Sources the rules of group g read (bit i: catalogue source i), so a
 * process can select only those columns. */
MS_EXPORT uint64_t tmpl_sources(const struct tmpl *t, enum fields_group g);

/* Check a setting that names a source field (import_listings master_sku =
 * sku): a catalogue source of p, or json:PATH for processes reading
 * Magento. 0, or -1 with a message in err. */
MS_EXPORT int tmpl_source_check(enum proc p, const char *text, char *err,
    size_t errlen);

/* The shipped default template of p as ini text, a [template
 * <process>.default] section with a comment per field: what
 * etc/templates/<process>.default.ini holds. New (free), or NULL for
 * processes without templates or out of memory. */
MS_EXPORT char *tmpl_default_text(enum proc p);

/* The record a template reads. Processes reading Magento fill root (the
 * product or the order) and, for the variant and item groups, sub (the
 * child product, the order item); address sources are paths from root.
 * extra, when not NULL, has one entry per catalogue source: a non-NULL
 * entry replaces that source's path (FIELDS_COMPUTED sources: category
 * names, summed quantities, image URLs). Processes reading PostgreSQL fill
 * text with one entry per catalogue source (FIELDS_*S_* order), each the
 * column's text as libpq returns it or NULL for SQL NULL; for the variant
 * group, the listing's columns too. Everything is borrowed, and must
 * outlive the use of the output (values may point into it). */
struct tmpl_src {
	const json_t *root;
	const json_t *sub;
	json_t *const *extra;
	const char *const *text;
};

#define TMPL_ERR_MAX	8	/* errors kept per record; more are counted */
#define TMPL_VALUE_MAX	64	/* excerpt of the offending value */
#define TMPL_MSG_MAX	160

/* One field that failed. */
struct tmpl_err {
	int dest;			/* catalogue destination index */
	const char *field;		/* its name; static */
	char value[TMPL_VALUE_MAX];	/* excerpt, "" when there was none */
	char msg[TMPL_MSG_MAX];		/* e.g. "is not a number" */
};

/* An output, reused record after record so the buffers are allocated
 * once. New, or NULL out of memory. tmpl_out_free(NULL) is a no-op. */
MS_EXPORT struct tmpl_out *tmpl_out_new(void);
MS_EXPORT void tmpl_out_free(struct tmpl_out *o);

/* Apply t's rules for the destinations of group g to src, replacing what o
 * held. Returns 0, TMPL_EFIELD when some fields failed (the others are in
 * o; the process fails the item), or TMPL_ENOMEM. */
MS_EXPORT int tmpl_apply(const struct tmpl *t, enum fields_group g,
    const struct tmpl_src *src, struct tmpl_out *o);

/* Destinations written by the last apply, as empty or with a value; and
 * those written as empty. */
MS_EXPORT uint64_t tmpl_out_written(const struct tmpl_out *o);
MS_EXPORT uint64_t tmpl_out_empty(const struct tmpl_out *o);

/* Processes writing PostgreSQL: the text parameter of destination dest,
 * NULL when empty (SQL NULL) or not written. Borrowed from o, t or src;
 * valid until the next apply on o. */
MS_EXPORT const char *tmpl_out_value(const struct tmpl_out *o, int dest);

/* Processes writing Magento: the payload, borrowed (valid until the next
 * apply on o), or taken (new; o then holds none). NULL for processes
 * writing PostgreSQL. */
MS_EXPORT json_t *tmpl_out_payload(const struct tmpl_out *o);
MS_EXPORT json_t *tmpl_out_take_payload(struct tmpl_out *o);

/* Errors of the last apply: how many failed (may exceed TMPL_ERR_MAX) and
 * the first TMPL_ERR_MAX of them (NULL past those). */
MS_EXPORT size_t tmpl_out_nerr(const struct tmpl_out *o);
MS_EXPORT const struct tmpl_err *tmpl_out_err(const struct tmpl_out *o,
    size_t i);

/* "price: '29,99' is not a number" into buf; returns buf. */
MS_EXPORT char *tmpl_err_format(const struct tmpl_err *e, char *buf,
    size_t len);

/* One value converted to type t, from JSON (in) or, when in is NULL, from
 * text: as a new payload value (NULL with err on failure; a missing value
 * converts to JSON null), or as PostgreSQL text into buf (0, or -1 with
 * err; a missing value is -1 with err "missing", too long a result -1 with
 * err "too long"). What tmpl_apply does per field. */
MS_EXPORT json_t *tmpl_to_json(enum fields_type t, const json_t *in,
    const char *text, char *err, size_t errlen);
MS_EXPORT int tmpl_to_sql(enum fields_type t, const json_t *in,
    const char *text, char *buf, size_t len, char *err, size_t errlen);

#endif
