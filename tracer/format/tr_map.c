/* tr_map.c: uint64 key -> uint32 value, open addressing with linear
 * probing, at most half full: the reader's task and object indexes and the
 * flight recorder's live tasks (which also remove: a removal shifts the
 * probe run after it back, so no tombstones build up in a long run). */
#include "tr_map_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_u64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

int tr__map_init(tr__map *m, size_t expect)
{
    size_t size = 64;
    while (size < expect * 2)
        size *= 2;
    m->keys = malloc(size * sizeof *m->keys);
    m->vals = malloc(size * sizeof *m->vals);
    m->used = calloc(size, 1);
    m->n = 0;
    m->mask = size - 1;
    if (!m->keys || !m->vals || !m->used) {
        tr__map_free(m);
        return -ENOMEM;
    }
    return 0;
}

void tr__map_free(tr__map *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

static int map_grow(tr__map *m)
{
    size_t size = (m->mask + 1) * 2;
    uint64_t *keys = malloc(size * sizeof *keys);
    uint32_t *vals = malloc(size * sizeof *vals);
    uint8_t *used = calloc(size, 1);
    if (!keys || !vals || !used) {
        free(keys);
        free(vals);
        free(used);
        return -ENOMEM;
    }
    for (size_t i = 0; i <= m->mask; i++) {
        if (!m->used[i])
            continue;
        size_t h = hash_u64(m->keys[i]) & (size - 1);
        while (used[h])
            h = (h + 1) & (size - 1);
        used[h] = 1;
        keys[h] = m->keys[i];
        vals[h] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    free(m->used);
    m->keys = keys;
    m->vals = vals;
    m->used = used;
    m->mask = size - 1;
    return 0;
}

uint32_t *tr__map_get(tr__map *m, uint64_t key, int add)
{
    if (!m->keys)
        return NULL;
    size_t h = hash_u64(key) & m->mask;
    for (; m->used[h]; h = (h + 1) & m->mask)
        if (m->keys[h] == key)
            return &m->vals[h];
    if (!add)
        return NULL;
    if ((m->n + 1) * 2 > m->mask + 1) {
        if (map_grow(m) != 0)
            return NULL;
        h = hash_u64(key) & m->mask;
        while (m->used[h])
            h = (h + 1) & m->mask;
    }
    m->used[h] = 1;
    m->keys[h] = key;
    m->vals[h] = UINT32_MAX;
    m->n++;
    return &m->vals[h];
}

void tr__map_del(tr__map *m, uint64_t key)
{
    if (!m->keys)
        return;
    size_t i = hash_u64(key) & m->mask;
    while (m->used[i] && m->keys[i] != key)
        i = (i + 1) & m->mask;
    if (!m->used[i])
        return;
    m->used[i] = 0;
    m->n--;
    /* Refill the hole from the run after it: an entry may move into it
     * unless its home lies cyclically in (hole, its slot]. */
    for (size_t j = (i + 1) & m->mask; m->used[j]; j = (j + 1) & m->mask) {
        size_t h = hash_u64(m->keys[j]) & m->mask;
        if (i <= j ? (h > i && h <= j) : (h > i || h <= j))
            continue;
        m->keys[i] = m->keys[j];
        m->vals[i] = m->vals[j];
        m->used[i] = 1;
        m->used[j] = 0;
        i = j;
    }
}
