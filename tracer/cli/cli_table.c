/* cli_table.c: aligned text tables for the human output of `stalls` and
 * `stats`. Rows are collected first so every column gets the width of its
 * widest cell; widths count UTF-8 characters, not bytes ("µs").
 * Also the one escaping of trace text for a terminal (cli__esc): every cell
 * goes through it, so no trace string reaches the screen raw. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr_format_int.h"

char *cli__esc(char *buf, size_t n, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t j = 0;
    if (n == 0)
        return buf;
    while (*p) {
        char tmp[8];
        size_t len;
        /* the format layer's strict check; 4 bytes are safe to offer: it
         * stops at the first byte that is not a continuation (the NUL) */
        size_t k = tr__utf8_len((const char *)p, 4);
        if (k == 1 && (*p < 0x20 || *p == 0x7F)) {
            len = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", *p); /* C0, DEL */
        } else if (k == 0) {
            len = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", *p); /* not UTF-8 */
            k = 1;
        } else if (k == 2 && p[0] == 0xC2 && p[1] <= 0x9F) {
            /* C1: U+0080..U+009F */
            len = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)(p[1] & 0x3F) | 0x80u);
        } else {
            memcpy(tmp, p, k);
            len = k;
        }
        if (j + len >= n) /* cut before what does not fit whole */
            break;
        memcpy(buf + j, tmp, len);
        j += len;
        p += k;
    }
    buf[j] = '\0';
    return buf;
}

void cli__fput_esc(const char *s, FILE *f)
{
    char buf[256];
    const char *p = s;
    while (*p) { /* in pieces that escape to at most 6 x 32 bytes */
        char piece[40];
        size_t k = 0;
        while (p[k] && k < 32)
            k++;
        while (k < 36 && p[k] && ((unsigned char)p[k] & 0xC0) == 0x80)
            k++; /* do not split a UTF-8 sequence */
        memcpy(piece, p, k);
        piece[k] = '\0';
        fputs(cli__esc(buf, sizeof buf, piece), f);
        p += k;
    }
}

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
        const char *c = cells[i] ? cells[i] : "";
        size_t cap = strlen(c) * 4 + 1; /* at most \xHH per byte */
        char *s = malloc(cap);
        if (s)
            cli__esc(s, cap, c);
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
