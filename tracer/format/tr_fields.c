/* tr_fields.c: the field names of trace format v1 (TR_FIELDS in
 * coscope/tr_kinds.h) as a table, and the key -> field lookup the reader
 * runs for every key of every line: candidates by first byte (an index
 * built once from the one table), then a byte compare on those few (an
 * inline loop: keys are a few bytes, a strcmp call cost more than that). */
#include "coscope/tr_kinds.h"

#include <pthread.h>
#include <string.h>

static const char *const names[TR_FLD__COUNT] = {
#define NAME(f) [TR_FLD_##f] = TR_FIELD_##f,
    TR_FIELDS(NAME)
#undef NAME
};

/* by_first[c]: the fields whose key starts with byte c, ending with -1. No
 * first byte is shared by more than MAXSAME keys (a test keeps it so). */
enum { MAXSAME = 7 };
static signed char by_first[256][MAXSAME + 1];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void build_index(void)
{
    memset(by_first, -1, sizeof by_first);
    for (int f = 0; f < TR_FLD__COUNT; f++) {
        signed char *slot = by_first[(unsigned char)names[f][0]];
        int i = 0;
        while (slot[i] >= 0)
            i++;
        if (i < MAXSAME) /* tr_field_parse then misses the key: tested */
            slot[i] = (signed char)f;
    }
}

const char *tr_field_name(int f)
{
    return f >= 0 && f < TR_FLD__COUNT ? names[f] : "?";
}

/* Is a the same string as b? */
static int same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

int tr_field_parse(const char *k)
{
    if (!k)
        return -1;
    pthread_once(&index_once, build_index);
    for (const signed char *f = by_first[(unsigned char)k[0]]; *f >= 0; f++)
        if (same(names[*f], k))
            return *f;
    return -1;
}
