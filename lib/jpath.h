/* jpath.h - paths into Magento's JSON: what `json:PATH` sources read and
 * where a template's destinations land in a payload.
 *
 * Syntax: segments separated by '.', each a key (any characters but
 * '.', '[', ']'), each optionally followed by indexes "[N]" (0-based) or
 * "[]" (every element):
 *     sku
 *     extension_attributes.stock_item.qty
 *     media_gallery_entries[0].file
 *     media_gallery_entries[].file
 *     custom_attributes.color
 * A key applied to an array finds the element whose "attribute_code" is the
 * key and stands for that element's "value": that is how Magento lists
 * custom attributes, so custom_attributes.color reads the colour. */
#ifndef MS_JPATH_H
#define MS_JPATH_H

#include <stddef.h>
#include <jansson.h>

#include "export.h"

struct jpath;

/* Longest path text and most segments accepted. */
#define JPATH_TEXT_MAX	512
#define JPATH_SEG_MAX	32

/* Compile text. New (jpath_free), or NULL with a message in err. */
MS_EXPORT struct jpath *jpath_new(const char *text, char *err, size_t errlen);
MS_EXPORT void jpath_free(struct jpath *p);

/* The text the path was compiled from; borrowed, lives as long as p. */
MS_EXPORT const char *jpath_text(const struct jpath *p);

/* 1 if the path has a "[]" segment (it yields an array of matches). */
MS_EXPORT int jpath_is_multi(const struct jpath *p);

/* Resolve p in root. Returns a new reference (json_decref it), or NULL when
 * the path does not exist (a missing key, an index past the end, a key on
 * a scalar). A "[]" path yields a new array of every element's match,
 * possibly empty; elements without a match (or matching null) are left
 * out. Never fails otherwise except out of memory (NULL too). root may be
 * NULL. */
MS_EXPORT json_t *jpath_get(const struct jpath *p, const json_t *root);

/* Set p in root (an object) to value, creating the objects and arrays on the
 * way: a missing container is an array when the next segment is an index
 * or when its key is "custom_attributes", else an object; an index past
 * the end pads with nulls; a key on an array updates the "value" of the
 * element with that "attribute_code" or appends {"attribute_code": KEY,
 * "value": value}. Steals value, even on failure. Returns 0, or -1 when the
 * path has "[]", when an existing value on the way has the wrong shape, or
 * out of memory. */
MS_EXPORT int jpath_set(const struct jpath *p, json_t *root, json_t *value);

#endif
