/* tr_export_int.h: private helpers of tr_export that the CLI shares: JSON
 * writing (printed with fprintf, never built as a DOM, so key order is fixed
 * and numbers are exact integers). */
#ifndef TR_EXPORT_INT_H
#define TR_EXPORT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "coscope/trace.h"
#include "tr_format_int.h"

/* tr__json_str (a quoted, escaped JSON string) comes from the format
 * layer. */

/* Writes ns as microseconds with exactly three decimals ("1234.567"), using
 * integer arithmetic only so no rounding can make two slices overlap.
 * Negative values are written as 0.000. */
void tr__json_us(FILE *f, int64_t ns);

#endif
