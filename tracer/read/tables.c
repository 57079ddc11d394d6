/* tracer/read/tables.c: the reader's two hash tables.
 * The string table interns names, `at` and messages so an event stores a
 * 4-byte id instead of a pointer per field; the map turns task / object ids
 * (sparse uint64 keys) into dense array indices. Both use open addressing
 * with power-of-two sizes and grow at 50% load. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tr_format_int.h"
#include "tr_int.h"

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a: strings here are short */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

int tr__strtab_init(tr__strtab *st)
{
    memset(st, 0, sizeof *st);
    st->cap = 4096;
    st->buf = malloc(st->cap);
    st->offcap = 256;
    st->off = malloc(st->offcap * sizeof *st->off);
    st->mask = 511;
    st->slots = calloc(st->mask + 1, sizeof *st->slots);
    if (!st->buf || !st->off || !st->slots) {
        tr__strtab_free(st);
        return -ENOMEM;
    }
    st->buf[0] = '\0'; /* id 0: "" */
    st->len = 1;
    st->off[0] = 0;
    st->n = 1;
    return 0;
}

/* A copy of n bytes of p (at least one byte allocated), or NULL. */
static void *dup_bytes(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

int tr__strtab_copy(tr__strtab *dst, const tr__strtab *src)
{
    memset(dst, 0, sizeof *dst);
    dst->buf = dup_bytes(src->buf, src->cap);
    dst->off = dup_bytes(src->off, (size_t)src->offcap * sizeof *src->off);
    dst->slots = dup_bytes(src->slots, ((size_t)src->mask + 1) * sizeof *src->slots);
    if (!dst->buf || !dst->off || !dst->slots) {
        tr__strtab_free(dst);
        return -ENOMEM;
    }
    dst->len = src->len;
    dst->cap = src->cap;
    dst->n = src->n;
    dst->offcap = src->offcap;
    dst->mask = src->mask;
    return 0;
}

void tr__strtab_free(tr__strtab *st)
{
    free(st->buf);
    free(st->off);
    free(st->slots);
    memset(st, 0, sizeof *st);
}

static int grow_slots(tr__strtab *st)
{
    uint32_t mask = st->mask * 2 + 1;
    uint32_t *slots = calloc((size_t)mask + 1, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    for (uint32_t id = 1; id < st->n; id++) {
        const char *s = st->buf + st->off[id];
        uint32_t h = hash_bytes(s, strlen(s)) & mask;
        while (slots[h])
            h = (h + 1) & mask;
        slots[h] = id;
    }
    free(st->slots);
    st->slots = slots;
    st->mask = mask;
    return 0;
}

int tr__intern(tr__strtab *st, const char *s, size_t n, uint32_t *id)
{
    if (n == 0) {
        *id = 0;
        return 0;
    }
    uint32_t h = hash_bytes(s, n) & st->mask;
    for (uint32_t cur; (cur = st->slots[h]) != 0; h = (h + 1) & st->mask) {
        const char *t = st->buf + st->off[cur];
        /* strncmp stops at t's NUL: a shorter t may end the buffer */
        if (strncmp(t, s, n) == 0 && t[n] == '\0') {
            *id = cur;
            return 0;
        }
    }
    if (!tr__utf8_valid(s, n))
        return -EILSEQ;
    if (st->len + n + 1 > UINT32_MAX || st->n == UINT32_MAX - 1)
        return -ENOMEM;
    if (st->len + n + 1 > st->cap) {
        size_t cap = st->cap * 2;
        while (cap < st->len + n + 1)
            cap *= 2;
        char *buf = realloc(st->buf, cap);
        if (!buf)
            return -ENOMEM;
        st->buf = buf;
        st->cap = cap;
    }
    if (st->n == st->offcap) {
        uint32_t *off = realloc(st->off, (size_t)st->offcap * 2 * sizeof *off);
        if (!off)
            return -ENOMEM;
        st->off = off;
        st->offcap *= 2;
    }
    uint32_t nid = st->n++;
    st->off[nid] = (uint32_t)st->len;
    memcpy(st->buf + st->len, s, n);
    st->buf[st->len + n] = '\0';
    st->len += n + 1;
    st->slots[h] = nid;
    if ((size_t)st->n * 2 > st->mask && grow_slots(st) != 0)
        return -ENOMEM;
    *id = nid;
    return 0;
}

