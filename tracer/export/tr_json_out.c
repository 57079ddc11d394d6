/* tr_json_out.c: exact microsecond printing for the exporter and the CLI
 * (strings are escaped by the format layer's tr__json_str). */
#include "tr_export_int.h"

#include <inttypes.h>

void tr__json_us(FILE *f, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    fprintf(f, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
}
