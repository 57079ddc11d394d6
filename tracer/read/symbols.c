/* tracer/read/symbols.c: pcs -> frames (function, file:line) with libdw.
 * Each module the header names gets its own Dwfl, reported with the load
 * bias it had in the recorded process, so a recorded pc is looked up as
 * it is. A module whose file is gone, unreadable, or whose build id is not
 * the recorded one (rebuilt since) is not used: its pcs stay addresses
 * (with module + offset). A pc inside inlined code becomes one frame per
 * inlined call (DWARF's inlined-subroutine scopes), innermost first, so a
 * helper inlined into its caller still shows the caller's line. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tr_int.h"

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

typedef struct mod {
    Dwfl *dwfl;
    Dwfl_Module *dm;
    uint64_t lo, hi;
    uint32_t name; /* base name, in tr->sym */
} mod;

static int same_build_id(Dwfl_Module *dm, const char *want)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int len = dwfl_module_build_id(dm, &bits, &vaddr);
    if (!want || !*want)
        return 1; /* nothing recorded to compare */
    if (len <= 0 || strlen(want) != (size_t)len * 2)
        return 0;
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < len; i++)
        if (want[2 * i] != hex[bits[i] >> 4] || want[2 * i + 1] != hex[bits[i] & 15])
            return 0;
    return 1;
}

static void open_module(const tr_trace *tr, const tr__module *m, mod *out)
{
    const char *path = tr__str(&tr->st, m->path);
    out->lo = m->base;
    out->hi = m->base + m->size;
    /* The path comes from an untrusted file: only a regular file is opened
     * (a FIFO would block the load, a device could be anything). */
    struct stat sb;
    int fd = *path ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
    int regular = fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
    if (fd >= 0)
        close(fd);
    if (!regular)
        return;
    Dwfl *d = dwfl_begin(&callbacks);
    if (!d)
        return;
    const char *base = strrchr(path, '/');
    Dwfl_Module *dm = dwfl_report_elf(d, base ? base + 1 : path, path, -1, m->base, true);
    dwfl_report_end(d, NULL, NULL);
    if (!dm || !same_build_id(dm, tr__str(&tr->st, m->build_id))) {
        dwfl_end(d);
        return;
    }
    out->dwfl = d;
    out->dm = dm;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
    return n;
}

static int intern(tr_trace *tr, const char *s, uint32_t *id)
{
    *id = 0;
    if (!s || !*s)
        return 0;
    int rc = tr__intern(&tr->sym, s, strlen(s), id);
    return rc == -EILSEQ ? 0 : rc; /* a name that is not UTF-8: left out */
}

static int push_frame(tr_trace *tr, size_t *cap, const tr__frame *f)
{
    return tr__grow_push((void **)&tr->frames, &tr->nframes, cap, sizeof *f, f);
}

/* The compile unit holding addr. Through .debug_aranges when there is one;
 * clang does not write it (DWARF 5) and libdw 0.188 does not fall back, so
 * else each unit's own ranges are asked. */
static Dwarf_Die *cu_of(Dwfl_Module *dm, Dwarf_Addr addr, Dwarf_Addr *bias)
{
    Dwarf_Die *cu = dwfl_module_addrdie(dm, addr, bias);
    if (cu)
        return cu;
    Dwarf_Addr b = 0;
    for (cu = dwfl_module_nextcu(dm, NULL, &b); cu; cu = dwfl_module_nextcu(dm, cu, &b))
        if (dwarf_haspc(cu, addr - b) > 0) {
            *bias = b;
            return cu;
        }
    return NULL;
}

/* The frames of one pc: inlined calls first, then the function holding
 * them. The line of each outer frame is the call site of the inner one. */
static int frames_of(tr_trace *tr, const mod *m, uint64_t pc, size_t *cap)
{
    tr__frame f = {pc, pc - m->lo, 0, 0, m->name, 0, 0};
    if (!m->dm)
        return push_frame(tr, cap, &f);
    Dwarf_Addr addr = pc - 1; /* a return address: the call is just before */
    Dwarf_Addr bias = 0;
    int line = 0, rc;
    const char *file = NULL;
    Dwarf_Die *cu = cu_of(m->dm, addr, &bias);
    Dwarf_Line *ln = cu ? dwarf_getsrc_die(cu, addr - bias) : NULL;
    if (ln) {
        file = dwarf_linesrc(ln, NULL, NULL);
        dwarf_lineno(ln, &line);
    }
    Dwarf_Die *scopes = NULL;
    int n = cu ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
    if (n > 0) {
        /* dwarf_getscopes goes on from an inlined call into the inlined
         * function's own (abstract) scopes; the concrete nesting, inlined
         * call inside inlined call inside the function, is what the
         * innermost scope's DIE path gives (as eu-addr2line -i does). */
        Dwarf_Die inner = scopes[0], *path = NULL;
        int depth = dwarf_getscopes_die(&inner, &path);
        free(scopes);
        scopes = path;
        n = depth > 0 ? depth : 0;
    }
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    if (cu)
        dwarf_getsrcfiles(cu, &files, &nfiles);
    int pushed = 0;
    for (int i = 0; i < n; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;
        f.inlined = tag == DW_TAG_inlined_subroutine;
        f.line = line > 0 ? (uint32_t)line : 0;
        if ((rc = intern(tr, die_name(&scopes[i]), &f.func)) ||
            (rc = intern(tr, file, &f.file)) || (rc = push_frame(tr, cap, &f))) {
            free(scopes);
            return rc;
        }
        pushed = 1;
        if (tag == DW_TAG_subprogram)
            break;
        /* the next frame out is where this one was inlined */
        Dwarf_Attribute a;
        Dwarf_Word cf = 0, cl = 0;
        dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &a), &cf);
        dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &cl);
        file = files && cf < nfiles ? dwarf_filesrc(files, cf, NULL, NULL) : NULL;
        line = (int)cl;
    }
    free(scopes);
    if (pushed)
        return 0;
    /* No DWARF for it (a system library): the symbol table's name. */
    f.inlined = 0;
    f.line = 0;
    if ((rc = intern(tr, dwfl_module_addrname(m->dm, addr), &f.func)))
        return rc;
    return push_frame(tr, cap, &f);
}

int tr__symbolize(tr_trace *tr)
{
    tr__stackdata *d = &tr->sd;
    mod *mods = calloc(d->nmods ? d->nmods : 1, sizeof *mods);
    if (!mods)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < d->nmods && rc == 0; i++) {
        const char *path = tr__str(&tr->st, d->mods[i].path);
        const char *base = strrchr(path, '/');
        rc = intern(tr, base ? base + 1 : path, &mods[i].name);
        if (rc == 0)
            open_module(tr, &d->mods[i], &mods[i]);
    }
    /* Outer frames recur in most stacks: each distinct pc is looked up
     * once, later uses copy its frames (pc -> index in `seen`). */
    size_t cap = 0, nseen = 0, capseen = 0;
    struct seen_pc {
        uint32_t f0, n;
    } *seen = NULL;
    tr__map cache = {0};
    if (rc == 0 && tr__map_init(&cache, 256) != 0)
        rc = -ENOMEM;
    for (size_t k = 0; k < d->ndefs && rc == 0; k++) {
        tr__stackdef *s = &d->defs[k];
        s->f0 = (uint32_t)tr->nframes;
        for (uint32_t j = 0; j < s->npcs && rc == 0; j++) {
            uint64_t pc = d->pcs[s->pc0 + j];
            uint32_t *v = tr__map_get(&cache, pc, 1);
            if (!v) {
                rc = -ENOMEM;
                break;
            }
            if (*v != UINT32_MAX) { /* seen: copy its frames */
                for (uint32_t i = 0; i < seen[*v].n && rc == 0; i++) {
                    tr__frame f = tr->frames[seen[*v].f0 + i];
                    rc = push_frame(tr, &cap, &f);
                }
                continue;
            }
            struct seen_pc e = {(uint32_t)tr->nframes, 0};
            const mod *m = NULL;
            for (size_t i = 0; i < d->nmods && !m; i++)
                if (pc >= mods[i].lo && pc < mods[i].hi)
                    m = &mods[i];
            if (m) {
                rc = frames_of(tr, m, pc, &cap);
            } else {
                tr__frame f = {pc, 0, 0, 0, 0, 0, 0};
                rc = push_frame(tr, &cap, &f);
            }
            e.n = (uint32_t)(tr->nframes - e.f0);
            *v = (uint32_t)nseen;
            if (rc == 0)
                rc = tr__grow_push((void **)&seen, &nseen, &capseen, sizeof e, &e);
        }
        s->nframes = (uint32_t)(tr->nframes - s->f0);
    }
    free(seen);
    tr__map_free(&cache);
    for (size_t i = 0; i < d->nmods; i++)
        if (mods[i].dwfl)
            dwfl_end(mods[i].dwfl);
    free(mods);
    return rc;
}
