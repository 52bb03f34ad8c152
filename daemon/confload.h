/* confload.h - load magsync.ini from the file system: the I/O half of
 * lib/conf (which parses and checks, but never touches a file). */
#ifndef MS_CONFLOAD_H
#define MS_CONFLOAD_H

struct conf;
struct diag_list;

/* Load path, the files it includes, the secret files its channels name
 * (relative ones from $CREDENTIALS_DIRECTORY first, then the directory of
 * the ini file naming them) and its time zone, then check every template
 * and every job's use of one (tmpl_check_conf). Every error and warning is
 * appended to dl. Returns a new conf (conf_free), or NULL when there was
 * an error. */
struct conf *confload(const char *path, struct diag_list *dl);

#endif
