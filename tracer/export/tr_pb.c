/* tr_pb.c: the protobuf encoding primitives (tr_pb.h): base-128 varints,
 * little-endian fixed64 and length-prefixed fields, per the protobuf
 * encoding spec. */
#include "tr_pb.h"

#include <stdlib.h>
#include <string.h>

/* Room for `need` more bytes: the buffer doubled. -1 (and p->oom) when
 * that fails, or failed before. */
static int grow_slow(tr_pb *p, size_t need)
{
    if (p->oom)
        return -1;
    size_t cap = p->cap ? p->cap : 256;
    while (cap < p->n + need)
        cap *= 2;
    uint8_t *b = realloc(p->b, cap);
    if (!b) {
        p->oom = 1;
        return -1;
    }
    p->b = b;
    p->cap = cap;
    return 0;
}

/* The check every field makes once, kept inline: the export writes some
 * 40 M fields for a 1 M-event trace, and a call per byte group showed as a
 * sixth of its profile. */
static inline int room(tr_pb *p, size_t need)
{
    return p->n + need <= p->cap && !p->oom ? 0 : grow_slow(p, need);
}

/* A varint into room already made (at most 10 bytes). */
static inline void varint(tr_pb *p, uint64_t v)
{
    while (v >= 0x80) {
        p->b[p->n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p->b[p->n++] = (uint8_t)v;
}

static inline void tag(tr_pb *p, uint32_t field, int wire)
{
    varint(p, (uint64_t)field << 3 | (uint64_t)wire);
}

void tr__pb_reset(tr_pb *p)
{
    p->n = 0;
}

void tr__pb_free(tr_pb *p)
{
    free(p->b);
    memset(p, 0, sizeof *p);
}

void tr__pb_uint(tr_pb *p, uint32_t field, uint64_t v)
{
    if (room(p, 20) != 0)
        return;
    tag(p, field, TR_PB_VARINT);
    varint(p, v);
}

void tr__pb_fixed64(tr_pb *p, uint32_t field, uint64_t v)
{
    if (room(p, 18) != 0)
        return;
    tag(p, field, TR_PB_I64);
    for (int i = 0; i < 8; i++)
        p->b[p->n++] = (uint8_t)(v >> (8 * i));
}

void tr__pb_bytes(tr_pb *p, uint32_t field, const void *s, size_t n)
{
    if (n > SIZE_MAX - 20 || room(p, 20 + n) != 0)
        return;
    tag(p, field, TR_PB_LEN);
    varint(p, n);
    if (n)
        memcpy(p->b + p->n, s, n);
    p->n += n;
}

void tr__pb_str(tr_pb *p, uint32_t field, const char *s)
{
    tr__pb_bytes(p, field, s ? s : "", s ? strlen(s) : 0);
}

void tr__pb_msg(tr_pb *p, uint32_t field, const tr_pb *sub)
{
    if (sub->oom)
        p->oom = 1;
    tr__pb_bytes(p, field, sub->b, sub->n);
}
