/* tr_map_int.h: uint64 key -> uint32 value (tr_map.c), for the reader's
 * indexes and the flight recorder's live tasks. Open addressing, at most
 * half full; it allocates (not for a signal handler). */
#ifndef COSCOPE_TR_MAP_INT_H
#define COSCOPE_TR_MAP_INT_H

#include <stddef.h>
#include <stdint.h>

typedef struct tr__map {
    uint64_t *keys;
    uint32_t *vals;
    uint8_t *used; /* slot taken */
    size_t n, mask;
} tr__map;
/* Room for about `expect` keys: 0 or -ENOMEM (then *m is empty: every
 * call on it finds nothing and adds nothing). */
int tr__map_init(tr__map *m, size_t expect);
void tr__map_free(tr__map *m);
/* Returns a pointer to the value of key, adding it (value UINT32_MAX) when
 * absent if `add`; NULL when absent and !add, or on ENOMEM. */
uint32_t *tr__map_get(tr__map *m, uint64_t key, int add);
/* Removes key if present. */
void tr__map_del(tr__map *m, uint64_t key);

#endif
