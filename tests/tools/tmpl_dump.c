/* tmpl_dump - the shipped default templates, for etc/templates/ and its
 * test.
 *
 *     tmpl_dump PROCESS...        print each process's default template
 *                                 (tmpl_default_text), one after another
 *     tmpl_dump --check FILE...   read the [template] and [mapping_set]
 *                                 sections of the files with inih, as
 *                                 conf does, validate them
 *                                 (tmpl_check_conf) and compile each
 *                                 template; print FILE:LINE: message per
 *                                 problem; exit 1 on any error
 *
 * tests/integration/test_templates.py compares etc/templates/ with the
 * output, so the shipped files cannot drift from lib/fields.c. */
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"

#define MAX_SECT 64
#define MAX_LINES 128

struct reader {
	FILE *f;
	const char *path;
	int line;		/* of the line inih is handling */
	int header_line;	/* of the last [section] line */
	char section[256];	/* inih's current section, as last seen */
	struct conf *c;
	int kind;		/* 't', 's' or 0: a section we skip */
	size_t idx;
	int errors;
};

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL) {
		perror("tmpl_dump");
		exit(2);
	}
	return p;
}

/* inih reads through this: count lines and note where sections start. */
static char *
read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	char *s = fgets(str, num, r->f);

	if (s != NULL) {
		r->line++;
		s += strspn(s, " \t");
		if (*s == '[')
			r->header_line = r->line;
	}
	return s == NULL ? NULL : str;
}

static struct conf_kv *
add_kv(struct conf_kv **kv, size_t *n, const char *k, const char *v,
    struct reader *r)
{
	if (*n == MAX_LINES)
		return NULL;
	if (*kv == NULL && (*kv = calloc(MAX_LINES, sizeof(**kv))) == NULL)
		exit(2);
	(*kv)[*n].key = xstrdup(k);
	(*kv)[*n].value = xstrdup(v);
	(*kv)[*n].file = r->path;
	(*kv)[*n].line = r->line;
	return &(*kv)[(*n)++];
}

static void
new_section(struct reader *r, const char *section)
{
	const char *name = strchr(section, ' ');
	struct conf *c = r->c;

	snprintf(r->section, sizeof(r->section), "%s", section);
	r->kind = 0;
	if (name == NULL)
		return;
	name++;
	if (strncmp(section, "template ", 9) == 0 && c->ntemplates < MAX_SECT) {
		struct conf_template *t = &c->templates[c->ntemplates];

		t->name = xstrdup(name);
		t->process = PROC_NONE;
		t->file = r->path;
		t->line = r->header_line;
		r->kind = 't';
		r->idx = c->ntemplates++;
	} else if (strncmp(section, "mapping_set ", 12) == 0 &&
	    c->nsets < MAX_SECT) {
		struct conf_mapping_set *s = &c->sets[c->nsets];

		s->name = xstrdup(name);
		s->file = r->path;
		s->line = r->header_line;
		r->kind = 's';
		r->idx = c->nsets++;
	}
}

static int
on_key(void *user, const char *section, const char *key, const char *value)
{
	struct reader *r = user;

	if (strcmp(section, r->section) != 0)
		new_section(r, section);
	if (r->kind == 't') {
		struct conf_template *t = &r->c->templates[r->idx];

		if (strcmp(key, "process") == 0) {
			t->process = proc_from_name(value);
			if (t->process == PROC_NONE) {
				fprintf(stderr, "%s:%d: unknown process '%s'\n",
				    r->path, r->line, value);
				r->errors++;
			}
		} else if (strcmp(key, "base") == 0) {
			free(t->base);
			t->base = xstrdup(value);
		} else {
			add_kv(&t->lines, &t->nlines, key, value, r);
		}
	} else if (r->kind == 's') {
		struct conf_mapping_set *s = &r->c->sets[r->idx];

		add_kv(&s->entries, &s->nentries, key, value, r);
	}
	return 1;
}

static int
load(struct conf *c, const char *path)
{
	struct reader r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.path = path;
	r.c = c;
	if ((r.f = fopen(path, "r")) == NULL) {
		perror(path);
		return 1;
	}
	rc = ini_parse_stream(read_line, &r, on_key, &r);
	fclose(r.f);
	if (rc != 0) {
		fprintf(stderr, "%s:%d: cannot parse\n", path, rc);
		return 1;
	}
	return r.errors;
}

static int
check(int argc, char **argv)
{
	struct diag_list dl = { NULL, 0, 0 };
	char buf[DIAG_MSG_MAX + 256];
	struct conf c;
	struct tmpl *t;
	int i, errors = 0;
	size_t k;

	memset(&c, 0, sizeof(c));
	c.templates = calloc(MAX_SECT, sizeof(*c.templates));
	c.sets = calloc(MAX_SECT, sizeof(*c.sets));
	if (c.templates == NULL || c.sets == NULL)
		return 2;
	for (i = 0; i < argc; i++)
		errors += load(&c, argv[i]);
	tmpl_check_conf(&c, &dl);
	for (k = 0; k < c.ntemplates; k++)
		if (c.templates[k].process != PROC_NONE) {
			/* compile errors repeat the check's; count, do not
			 * print them twice */
			struct diag_list quiet = { NULL, 0, 0 };

			t = tmpl_compile(&c, c.templates[k].name, &quiet);
			if (t == NULL && diag_errors(&dl) == 0) {
				for (i = 0; (size_t)i < quiet.n; i++)
					fprintf(stderr, "%s\n", diag_format(
					    &quiet, (size_t)i, buf, sizeof(buf)));
				errors++;
			}
			tmpl_free(t);
			diag_clear(&quiet);
		}
	for (k = 0; k < dl.n; k++)
		fprintf(stderr, "%s\n", diag_format(&dl, k, buf, sizeof(buf)));
	errors += (int)diag_errors(&dl);
	diag_clear(&dl);
	for (k = 0; k < c.ntemplates; k++) {
		free(c.templates[k].name);
		free(c.templates[k].base);
		for (i = 0; (size_t)i < c.templates[k].nlines; i++) {
			free(c.templates[k].lines[i].key);
			free(c.templates[k].lines[i].value);
		}
		free(c.templates[k].lines);
	}
	for (k = 0; k < c.nsets; k++) {
		free(c.sets[k].name);
		for (i = 0; (size_t)i < c.sets[k].nentries; i++) {
			free(c.sets[k].entries[i].key);
			free(c.sets[k].entries[i].value);
		}
		free(c.sets[k].entries);
	}
	free(c.templates);
	free(c.sets);
	printf("%zu templates, %zu mapping sets, %d errors\n", c.ntemplates,
	    c.nsets, errors);
	return errors ? 1 : 0;
}

int
main(int argc, char **argv)
{
	enum proc p;
	char *text;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: tmpl_dump PROCESS...\n"
		    "       tmpl_dump --check FILE...\n");
		return 2;
	}
	if (strcmp(argv[1], "--check") == 0)
		return check(argc - 2, argv + 2);
	for (i = 1; i < argc; i++) {
		p = proc_from_name(argv[i]);
		if ((text = tmpl_default_text(p)) == NULL) {
			fprintf(stderr, "tmpl_dump: no template for '%s'\n",
			    argv[i]);
			return 2;
		}
		fputs(text, stdout);
		free(text);
	}
	return 0;
}
