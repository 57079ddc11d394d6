/* cli_table.c: aligned text tables for the human output of `stalls` and
 * `stats`. Rows are collected first so every column gets the width of its
 * widest cell; widths count UTF-8 characters, not bytes ("µs"). */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cli_table {
    int ncols;
    char *align;
    char **cells; /* row-major, row 0 is the header */
    size_t nrows, cap;
};

static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) /* not a continuation byte */
            w++;
    return w;
}

void cli__table_free(cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->align);
    free(t);
}

cli_table *cli__table_new(int ncols, const char *align,
                          const char *const *headers)
{
    cli_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->align = strdup(align);
    if (!t->align || cli__table_add(t, headers) != 0) {
        cli__table_free(t);
        return NULL;
    }
    return t;
}

int cli__table_add(cli_table *t, const char *const *cells)
{
    size_t nc = (size_t)t->ncols;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **c = realloc(t->cells, cap * nc * sizeof *c);
        if (!c)
            return -ENOMEM;
        t->cells = c;
        t->cap = cap;
    }
    for (size_t i = 0; i < nc; i++) {
        char *s = strdup(cells[i] ? cells[i] : "");
        if (!s) {
            while (i-- > 0)
                free(t->cells[t->nrows * nc + i]);
            return -ENOMEM;
        }
        t->cells[t->nrows * nc + i] = s;
    }
    t->nrows++;
    return 0;
}

void cli__table_print(const cli_table *t, FILE *f)
{
    size_t nc = (size_t)t->ncols, width[32] = {0};
    if (nc > 32)
        nc = 32;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < nc; c++) {
            size_t w = text_width(t->cells[r * (size_t)t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < nc; c++) {
            const char *s = t->cells[r * (size_t)t->ncols + c];
            size_t pad = width[c] - text_width(s);
            int last = c + 1 == nc;
            if (c > 0)
                fputs("  ", f);
            if (t->align[c] == 'r')
                fprintf(f, "%*s", (int)pad, "");
            fputs(s, f);
            if (t->align[c] != 'r' && !last)
                fprintf(f, "%*s", (int)pad, "");
        }
        fputc('\n', f);
    }
}
