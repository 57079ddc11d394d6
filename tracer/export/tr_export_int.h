/* tr_export_int.h: private helpers of tr_export that the CLI shares: JSON
 * writing (printed with fprintf, never built as a DOM, so key order is fixed
 * and numbers are exact integers) and model look-ups both need. */
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

/* The wake-up that made `task` ready within [t0, t1] (the first one) into
 * *out: returns 1, or 0 when there is none. A ready span may begin at the
 * spawn line, before its ready line, so the span's ev0 alone does not say
 * who woke the task. */
int tr__wakeup_in(const tr_trace *tr, uint32_t task, int64_t t0, int64_t t1,
                  tr_wakeup *out);

#endif
