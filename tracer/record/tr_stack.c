/* tr_stack.c: caller chains for spawn and yield lines. A frame-pointer walk
 * (bounded by the stack the runtime names, never faulting), interned so a
 * chain seen before costs a hash lookup and the trace holds it once as a
 * `stack` line; and, for the header, the modules loaded at start (path,
 * load address, size, build id) that a reader needs to symbolise pcs.
 * Loop thread only, like every trace point but the work ones. */
#include "tr_rec_int.h"

#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the intern table ----
 * Open addressing on the chain's hash; allocated at the first walk of a
 * recording. When it is 3/4 full, new chains still get an id (and a line)
 * each time they are seen: correct, only no longer deduplicated. */
#define SLOTS (1u << 13)

typedef struct slot {
    uint64_t hash;
    uint32_t id; /* 0: empty */
    uint8_t n;
    uintptr_t pcs[TR__STACK_MAX];
} slot;

static struct {
    int on;        /* COSCOPE_STACKS is not "0" */
    slot *table;
    uint32_t used;
    uint32_t next_id;
} S;

/* ---- the memo ----
 * A few chains seen lately, direct-mapped on their first two pcs (one
 * helper's wait reached from two callers is two hot chains), looked at
 * before the table: a wait at a place seen before costs one compare of its
 * words, without the hash and the table's slot, which the program's own
 * memory has usually pushed out of the cache between two waits (the load of
 * a slot's id was a fifth of the walk's samples in perf, http_hello). */
#define MEMO 16

typedef struct memo {
    uint32_t id; /* 0: empty */
    uint8_t n;
    uintptr_t pcs[TR__STACK_MAX];
} memo;

static memo M[MEMO];

static inline memo *memo_of(const uintptr_t *pcs, int n)
{
    uintptr_t k = pcs[0] ^ (n > 1 ? pcs[1] << 3 : 0) ^ (uintptr_t)n;
    return &M[(k ^ k >> 4 ^ k >> 9) & (MEMO - 1)];
}

/* ---- modules ---- */
#define MODS_MAX 32 /* TR__MODULES_MAX holds this many */
#define PATH_MAX_KEPT 1024

typedef struct module {
    char path[PATH_MAX_KEPT + 1];
    uint64_t base, size;
    unsigned char build_id[32];
    size_t build_id_len;
} module;

static module mods[MODS_MAX];
static int nmods;

/* The NT_GNU_BUILD_ID note of a loaded object, from its PT_NOTE segments. */
static void find_build_id(const struct dl_phdr_info *info, module *m)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        size_t left = ph->p_memsz;
        while (left >= sizeof(ElfW(Nhdr))) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t name = (nh->n_namesz + 3) & ~(size_t)3, desc = (nh->n_descsz + 3) & ~(size_t)3;
            size_t len = sizeof *nh + name + desc;
            if (len > left)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                memcmp(p + sizeof *nh, "GNU", 4) == 0 && nh->n_descsz <= sizeof m->build_id) {
                memcpy(m->build_id, p + sizeof *nh + name, nh->n_descsz);
                m->build_id_len = nh->n_descsz;
                return;
            }
            p += len;
            left -= len;
        }
    }
}

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    int *first = arg;
    if (nmods >= MODS_MAX)
        return 1;
    module *m = &mods[nmods];
    memset(m, 0, sizeof *m);
    if (*first) { /* the main program: dlpi_name is "" */
        *first = 0;
        ssize_t n = readlink("/proc/self/exe", m->path, PATH_MAX_KEPT);
        if (n <= 0)
            return 0;
        m->path[n] = '\0';
    } else {
        /* the vDSO and other objects without a file cannot be symbolised */
        if (!info->dlpi_name || info->dlpi_name[0] != '/')
            return 0;
        strncpy(m->path, info->dlpi_name, PATH_MAX_KEPT);
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        if (ph->p_vaddr < lo)
            lo = ph->p_vaddr;
        if (ph->p_vaddr + ph->p_memsz > hi)
            hi = ph->p_vaddr + ph->p_memsz;
    }
    if (hi <= lo)
        return 0;
    m->base = info->dlpi_addr; /* the load bias: file address + base = pc */
    m->size = hi;              /* pcs in [base + lo, base + hi) are its */
    find_build_id(info, m);
    nmods++;
    return 0;
}

void tr__stack_start(void)
{
    const char *env = getenv("COSCOPE_STACKS");
    S.on = !(env && strcmp(env, "0") == 0);
    S.used = 0;
    S.next_id = 1;
    memset(M, 0, sizeof M); /* ids start again */
    if (S.table)
        memset(S.table, 0, SLOTS * sizeof *S.table);
    nmods = 0;
    if (S.on) {
        int first = 1;
        dl_iterate_phdr(add_module, &first);
    }
}

void tr__stack_stop(void)
{
    free(S.table);
    S.table = NULL;
}

/* ---- formatting the header's modules ---- */

static char *put_str(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static char *put_u(char *o, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *o++ = tmp[--n];
    return o;
}

/* A path as a JSON string body: quote, backslash and control bytes escaped
 * (paths are bytes; invalid UTF-8 becomes U+FFFD as in every string). */
static char *put_path(char *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            o = put_str(o, "\\u00");
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        } else if (*p >= 0x80) {
            o = put_str(o, "\xEF\xBF\xBD"); /* module paths: ASCII in practice */
        } else {
            *o++ = (char)*p;
        }
    }
    return o;
}

size_t tr__fmt_modules(char *out)
{
    static const char hex[] = "0123456789abcdef";
    if (!S.on || nmods == 0)
        return 0;
    char *o = put_str(out, ",\"modules\":[");
    for (int i = 0; i < nmods; i++) {
        const module *m = &mods[i];
        o = put_str(o, i ? ",{\"path\":\"" : "{\"path\":\"");
        o = put_path(o, m->path);
        o = put_u(put_str(o, "\",\"base\":"), m->base);
        o = put_u(put_str(o, ",\"size\":"), m->size);
        if (m->build_id_len) {
            o = put_str(o, ",\"build_id\":\"");
            for (size_t k = 0; k < m->build_id_len; k++) {
                *o++ = hex[m->build_id[k] >> 4];
                *o++ = hex[m->build_id[k] & 15];
            }
            *o++ = '"';
        }
        *o++ = '}';
    }
    *o++ = ']';
    return (size_t)(o - out);
}

/* ---- the walk ---- */

static uint64_t hash_pcs(const uintptr_t *pcs, int n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    return h ? h : 1;
}

/* Word by word, inline: a chain is a few words, and a call to memcmp per
 * wait was an eighth of a traced co_yield's samples (perf, bench_linerate). */
static inline int same_pcs(const uintptr_t *a, const uintptr_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* The id of this chain in the table, emitting its `stack` line the first
 * time. */
static uint32_t intern_slow(const uintptr_t *pcs, int n)
{
    uint64_t h = hash_pcs(pcs, n);
    if (!S.table)
        S.table = calloc(SLOTS, sizeof *S.table); /* once per recording */
    if (S.table) {
        for (uint32_t i = (uint32_t)h & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
            slot *sl = &S.table[i];
            if (sl->id == 0) {
                if (S.used >= SLOTS / 4 * 3)
                    break; /* full enough: no more deduplication */
                sl->hash = h;
                sl->id = S.next_id++;
                sl->n = (uint8_t)n;
                memcpy(sl->pcs, pcs, (size_t)n * sizeof *pcs);
                S.used++;
                tr__emit_stack(sl->id, pcs, n);
                return sl->id;
            }
            if (sl->hash == h && sl->n == n && same_pcs(sl->pcs, pcs, n))
                return sl->id;
        }
    }
    uint32_t id = S.next_id++;
    tr__emit_stack(id, pcs, n);
    return id;
}

/* The id of this chain: the memo's, else the table's (then memoised). */
static inline uint32_t intern(const uintptr_t *pcs, int n)
{
    memo *m = memo_of(pcs, n);
    if (m->id && m->n == n && same_pcs(m->pcs, pcs, n))
        return m->id;
    uint32_t id = intern_slow(pcs, n);
    m->id = id;
    m->n = (uint8_t)n;
    memcpy(m->pcs, pcs, (size_t)n * sizeof *pcs);
    return id;
}

static int frame_ok(uintptr_t fp, uintptr_t lo, uintptr_t hi)
{
    return fp >= lo && fp <= hi - 2 * sizeof(uintptr_t) && (fp & (sizeof(uintptr_t) - 1)) == 0;
}

/* The frame record at next is a step up from a valid one at fp: above it
 * (so above lo), aligned, its two words at or below top (hi less two
 * words). With frame_ok's three bounds a frame, a walk took 6-8 % more
 * instructions (callgrind, http_hello). */
static inline int climbs(uintptr_t fp, uintptr_t next, uintptr_t top)
{
    return next > fp && next <= top && (next & (sizeof(uintptr_t) - 1)) == 0;
}

/* Word k of the frame record at fp. Not instrumented: a caller's frame
 * record is not a variable ASan knows, and a pooled task stack may still
 * carry the shadow of frames that never returned (a task switched out for
 * good), so an instrumented read could report a walk as a bug. The walk
 * below is not instrumented either, so this inlines into it (a call per
 * word was a fifth of the walk's instructions). */
__attribute__((no_sanitize_address)) static inline uintptr_t frame_word(uintptr_t fp, int k)
{
    return ((const uintptr_t *)fp)[k];
}

/* Frame records are {saved frame pointer, return address} on both x86-64
 * and aarch64. Each frame read lies inside [lo, hi), which the runtime
 * guarantees is mapped (the task's stack), and the chain must climb, so a
 * frame pointer clobbered by code built without frame pointers ends the
 * walk instead of faulting. */
__attribute__((noinline, no_sanitize_address)) uint32_t tr_rec_stack(const void *anchor,
                                                                     const void *lo,
                                                                     const void *hi)
{
    if (!TR_ON() || !S.on || !lo || !hi)
        return 0;
    uintptr_t l = (uintptr_t)lo, h = (uintptr_t)hi, a = (uintptr_t)anchor;
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    if (!frame_ok(fp, l, h))
        return 0;
    if (a < l || a >= h) /* no anchor on this stack: start at our caller's caller */
        a = frame_word(fp, 0);
    const uintptr_t top = h - 2 * sizeof(uintptr_t);
    /* The frames below the anchor are the runtime's own (the blocking call,
     * the park, this walk): skip them. */
    while (fp < a) {
        uintptr_t next = frame_word(fp, 0);
        if (!climbs(fp, next, top))
            return 0;
        fp = next;
    }
    uintptr_t pcs[TR__STACK_MAX];
    int n = 0;
    while (n < TR__STACK_MAX) {
        uintptr_t next = frame_word(fp, 0), pc = frame_word(fp, 1);
        if (pc == 0)
            break;
        int next_ok = climbs(fp, next, top);
        /* A frame whose own saved frame pointer is 0 is the stack's root
         * (a task's entry): the pc returning into it says nothing. */
        if (next_ok && frame_word(next, 0) == 0)
            break;
        pcs[n++] = pc;
        if (!next_ok)
            break;
        fp = next;
    }
    return n ? intern(pcs, n) : 0;
}
