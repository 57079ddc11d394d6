/* examples/ex_util.h: small helpers the example programs share: option
 * parsing, a seeded PRNG, a buffered line reader over a co_tcp, checksums
 * and a monotonic clock. Kept out of the runtime on purpose: they are what
 * an application would write for itself. */
#ifndef EX_UTIL_H
#define EX_UTIL_H

#include <coscope/co.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- command line ---- */

/* Matches argv[*i] against `name` ("--port"), taking the value from the next
 * argument or from "--port=N". Returns 1 when matched (value checked against
 * [min, max] and stored, *i advanced past it), 0 when argv[*i] is another
 * option, -1 on a missing or bad value (a message is printed). */
int ex_opt_long(int argc, char **argv, int *i, const char *name, long min,
                long max, long *out);
/* 1 when argv[i] is exactly `name`. */
int ex_opt_flag(char **argv, int i, const char *name);

/* ---- PRNG (splitmix64: deterministic across machines) ---- */
typedef struct ex_rng {
    uint64_t s;
} ex_rng;
void ex_rng_seed(ex_rng *r, uint64_t seed);
uint64_t ex_rng_next(ex_rng *r);
/* A number in [0, n), n > 0. */
uint32_t ex_rng_below(ex_rng *r, uint32_t n);

/* ---- checksums ---- */
/* FNV-1a over len bytes, continuing from h (start with EX_FNV_INIT). */
#define EX_FNV_INIT 14695981039346656037ull
uint64_t ex_fnv(uint64_t h, const void *buf, size_t len);

/* ---- time ---- */
uint64_t ex_now_ns(void); /* CLOCK_MONOTONIC */
/* Spins for ms milliseconds of the thread's CPU time without yielding: a
 * blocked loop. */
void ex_busy_ms(unsigned ms);

/* ---- buffered reading over a co_tcp ---- */
#define EX_RBUF_SIZE 16384
typedef struct ex_rbuf {
    size_t start, end; /* unread bytes are data[start, end) */
    char data[EX_RBUF_SIZE];
} ex_rbuf;

static inline size_t ex_rbuf_len(const ex_rbuf *rb)
{
    return rb->end - rb->start;
}
static inline const char *ex_rbuf_peek(const ex_rbuf *rb)
{
    return rb->data + rb->start;
}
/* Drops n unread bytes (n <= ex_rbuf_len). */
void ex_rbuf_take(ex_rbuf *rb, size_t n);
/* Reads more from s after what is buffered (moving it to the front first).
 * Returns the bytes read (>0), 0 at EOF, CO_E2BIG when the buffer is full,
 * or co_read's error. */
ssize_t ex_rbuf_fill(co_tcp *s, ex_rbuf *rb);
/* Reads one '\n'-terminated line into out (without the '\n' or a trailing
 * '\r', NUL-terminated). Returns its length (>= 0), CO_EOF when the peer
 * closed before a whole line, CO_E2BIG for a line longer than cap-1, or
 * co_read's error. */
ssize_t ex_read_line(co_tcp *s, ex_rbuf *rb, char *out, size_t cap);
/* Reads exactly len bytes (buffered ones first). len, or <0 (CO_EOF when
 * the peer closed early). */
ssize_t ex_read_exact(co_tcp *s, ex_rbuf *rb, void *out, size_t len);

#endif
