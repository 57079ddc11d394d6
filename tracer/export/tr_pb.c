/* tr_pb.c: the protobuf encoding primitives (tr_pb.h): base-128 varints,
 * little-endian fixed64 and length-prefixed fields, per the protobuf
 * encoding spec. */
#include "tr_pb.h"

#include <stdlib.h>
#include <string.h>

static int grow(tr_pb *p, size_t need)
{
    if (p->oom)
        return -1;
    if (p->n + need <= p->cap)
        return 0;
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

static void put_varint(tr_pb *p, uint64_t v)
{
    if (grow(p, 10) != 0)
        return;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        p->b[p->n++] = byte | (v ? 0x80 : 0);
    } while (v);
}

static void put_tag(tr_pb *p, uint32_t field, int wire)
{
    put_varint(p, (uint64_t)field << 3 | (uint64_t)wire);
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
    put_tag(p, field, TR_PB_VARINT);
    put_varint(p, v);
}

void tr__pb_fixed64(tr_pb *p, uint32_t field, uint64_t v)
{
    put_tag(p, field, TR_PB_I64);
    if (grow(p, 8) != 0)
        return;
    for (int i = 0; i < 8; i++)
        p->b[p->n++] = (uint8_t)(v >> (8 * i));
}

void tr__pb_bytes(tr_pb *p, uint32_t field, const void *s, size_t n)
{
    put_tag(p, field, TR_PB_LEN);
    put_varint(p, n);
    if (n == 0 || grow(p, n) != 0)
        return;
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
