/* tr_format_int.h: the format layer's text primitives, shared by the
 * recorder (tracer/record), the reader (tracer/read), the exporters
 * (tracer/export), the CLI and the viewer: the one strict UTF-8 check and
 * the JSON writers of the tracer (string escaper, integer and microsecond
 * digits). The escaper and the digit writers write into caller memory with
 * no malloc, no locks and no stdio, so a crash handler can use them; the
 * FILE writers (tr__json_str, tr__json_us) are for the CLI's --json. */
#ifndef COSCOPE_TR_FORMAT_INT_H
#define COSCOPE_TR_FORMAT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The length of the UTF-8 sequence that starts at s[0] (n > 0 bytes
 * available): 1 for an ASCII byte (NUL included), 2-4 for a valid
 * multi-byte sequence, or 0 when s does not start a valid one. Strict, as
 * Unicode 15 table 3-7: no overlong forms, no surrogates, nothing past
 * U+10FFFF, no sequence cut short by the end of the n bytes. */
size_t tr__utf8_len(const char *s, size_t n);

/* 1 if all n bytes of s are valid UTF-8 (tr__utf8_len's rules), else 0. */
int tr__utf8_valid(const char *s, size_t n);

/* The most bytes tr__json_esc writes for n input bytes (a control byte
 * becomes the six bytes \u00XX). */
#define TR__JSON_ESC_MAX(n) (6 * (size_t)(n))

/* Writes the body of a JSON string (no quotes) for the n bytes of s at out,
 * which has TR__JSON_ESC_MAX(n) bytes of room, and returns the end. '"' and
 * '\' get a backslash, bytes below 0x20 become \u00XX, valid UTF-8 is
 * copied, and each byte that is not part of valid UTF-8 becomes U+FFFD
 * (EF BF BD), so the result always parses whatever s held. Async-signal-
 * safe: it only reads s and writes out. */
char *tr__json_esc(char *out, const char *s, size_t n);

/* How many of the n bytes of s to escape as one piece of at most chunk
 * (> 3) bytes: n if it fits, else chunk less the bytes of a UTF-8 sequence
 * it would cut, so pieces escape as the whole string does. */
size_t tr__json_cut(const char *s, size_t n, size_t chunk);

/* Writes s (NUL-terminated; NULL is "") to f as a quoted JSON string,
 * escaped by tr__json_esc. */
void tr__json_str(FILE *f, const char *s);

/* Writes the decimal digits of v at out (at most 20 bytes, no NUL) and
 * returns the end. Async-signal-safe. */
char *tr__put_u64(char *out, uint64_t v);

/* Writes v < 10^8 as exactly 8 digits (leading zeros kept) at out and
 * returns the end. Async-signal-safe. */
char *tr__put_8(char *out, uint32_t v);

/* The most bytes tr__put_us writes. */
#define TR__US_MAX 24
/* Writes ns as microseconds with exactly three decimals ("1234.567") at out
 * (at most TR__US_MAX bytes, no NUL) and returns the end; integer
 * arithmetic only, so no rounding can make two slices overlap. A negative
 * value is written as 0.000. Async-signal-safe. */
char *tr__put_us(char *out, int64_t ns);
/* tr__put_us's text, written to f. */
void tr__json_us(FILE *f, int64_t ns);
/* ---- amounts a user writes (tr_amount.c) ---- */

/* The duration grammar of tr_parse_dur (coscope/tr_args.h): decimal digits
 * with an optional fraction, then ns, us, \u00b5s, ms or s with no space;
 * with bare_ms a bare number is ms, else it is -EINVAL. Exact (integer
 * arithmetic). 0 with *ns, -EINVAL, or -ERANGE past INT64_MAX ns. */
int tr__parse_dur(const char *s, int64_t *ns, int bare_ms);
/* COSCOPE_FLIGHT's grammar, shared by the recorder and `coscope record
 * --flight`: a duration with its unit ("2s", "500ms": *ns, *bytes 0) or a
 * size ("64MB", "1.5GB", units KB, MB, GB of 1024: *bytes, *ns 0), greater
 * than 0. Returns 0, -EINVAL or -ERANGE (outputs untouched on error). */
int tr__parse_amount(const char *s, int64_t *ns, uint64_t *bytes);

/* The `err` token of a negative errno / UV_E* code, as libuv's uv_err_name
 * spells it ("ECONNRESET", "EOF", "EAI_NONAME", "ENOTSUP"); a code with no
 * known name becomes "E" and its magnitude ("E9999"), written in buf (24
 * bytes). Async-signal-safe (tracer/format/tr_errname.c). */
const char *tr__errname(int64_t res, char *buf);

#endif
