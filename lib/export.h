/* export.h - the one export macro of libmagsync.
 *
 * libmagsync.so is built with -fvisibility=hidden; only declarations marked
 * MS_EXPORT form its ABI, so the ABI is exactly the public headers. */
#ifndef MS_EXPORT_H
#define MS_EXPORT_H

#define MS_EXPORT __attribute__((visibility("default")))

#endif
