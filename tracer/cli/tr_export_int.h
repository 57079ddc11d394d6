/* tr_json_out.h: the few JSON writing helpers shared by the Chrome exporter
 * and the CLI's --json output. Output is printed with fprintf, never built as
 * a DOM, so key order is fixed and numbers are exact integers. */
#ifndef TR_JSON_OUT_H
#define TR_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

/* Writes s as a quoted JSON string: quotes, backslashes and control bytes
 * escaped, invalid UTF-8 replaced by U+FFFD so the output always parses.
 * NULL writes "". */
void tr__json_str(FILE *f, const char *s);

/* Writes ns as microseconds with exactly three decimals ("1234.567"), using
 * integer arithmetic only so no rounding can make two slices overlap.
 * Negative values are written as 0.000. */
void tr__json_us(FILE *f, int64_t ns);

#endif
