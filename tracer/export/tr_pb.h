/* tr_pb.h: a minimal protocol-buffers writer for the Perfetto exporter:
 * varints, fixed64, length-delimited strings and nested messages, into a
 * growable byte buffer. A nested message is built in its own tr_pb and then
 * appended with its length (protobuf needs the length before the bytes).
 * Allocation failure is sticky: every later call is a no-op and `oom` says
 * so once at the end. No libprotobuf. */
#ifndef COSCOPE_TR_PB_H
#define COSCOPE_TR_PB_H

#include <stddef.h>
#include <stdint.h>

typedef struct tr_pb {
    uint8_t *b;
    size_t n, cap;
    int oom;
} tr_pb;

/* Wire types. */
enum { TR_PB_VARINT = 0, TR_PB_I64 = 1, TR_PB_LEN = 2 };

void tr__pb_reset(tr_pb *p); /* n = 0, keeps the memory */
void tr__pb_free(tr_pb *p);
void tr__pb_uint(tr_pb *p, uint32_t field, uint64_t v);     /* varint */
void tr__pb_fixed64(tr_pb *p, uint32_t field, uint64_t v);
void tr__pb_bytes(tr_pb *p, uint32_t field, const void *s, size_t n);
void tr__pb_str(tr_pb *p, uint32_t field, const char *s);   /* NULL: "" */
void tr__pb_msg(tr_pb *p, uint32_t field, const tr_pb *sub); /* sub whole */

#endif
