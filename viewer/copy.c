/* copy.c: the selection as text, for Ctrl+C — the selected cause, else
 * stall, else span, else the event at the cursor, in the words the panels and
 * the CLI use. The state keeps the text (vw_state.clip) and the window
 * hands it to the clipboard, so copying is tested without a display. */
#include <stdio.h>
#include <string.h>

#include "vw_int.h"

static size_t stall_text(const vw_model *m, const tr_stall *s, char *buf,
                         size_t n)
{
    char task[96], t[32], d[32], why[320];
    return (size_t)snprintf(buf, n, "stall: %s %s at %s for %s: %s",
                            tr_stall_label(s),
                            vw__fmt_task(task, sizeof task, m, s->task),
                            tr_fmt_dur(t, sizeof t, s->t),
                            tr_fmt_dur(d, sizeof d, s->dur),
                            tr_stall_describe(m->tr, s, why, sizeof why));
}

static size_t span_text(const vw_model *m, size_t si, char *buf, size_t n)
{
    const tr_span *sp = &tr_spans(m->tr)[si];
    char task[96], what[64], a[32], b[32], d[32];
    const char *name = vw__state_name(sp->state, sp->why);
    int64_t fd = tr_span_fd(m->tr, sp);
    uint32_t site = tr_span_site(m->tr, sp);
    if (sp->state == TR_ST_WAITING && sp->why == TR_WAIT_IO && sp->op &&
        fd >= 0)
        snprintf(what, sizeof what, "waiting: io %s fd %lld",
                 tr_op_name(sp->op), (long long)fd);
    else if (sp->state == TR_ST_WAITING && sp->why == TR_WAIT_IO && sp->op)
        snprintf(what, sizeof what, "waiting: io %s", tr_op_name(sp->op));
    else if (sp->state == TR_ST_WAITING)
        snprintf(what, sizeof what, "waiting: %s", name);
    else
        snprintf(what, sizeof what, "%s", name);
    return (size_t)snprintf(
        buf, n, "%s %s %s (%s \xe2\x86\x92 %s)%s%s",
        vw__fmt_task(task, sizeof task, m, tr_span_task(m->tr, sp)), what,
        tr_fmt_dur(d, sizeof d, sp->t1 - sp->t0),
        tr_fmt_dur(a, sizeof a, sp->t0), tr_fmt_dur(b, sizeof b, sp->t1),
        site ? " at " : "", site ? tr_str(m->tr, site) : "");
}

/* s as one shell word: as it is when made of characters no shell treats
 * specially, else in single quotes (a ' inside as '\''). Cut short, never
 * past n. */
static size_t shell_word(char *buf, size_t n, const char *s)
{
    size_t o = 0;
    int plain = *s != '\0';
    for (const char *p = s; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || strchr("_./-+:@%,=", *p);
    for (const char *p = plain ? "" : "'"; *p && o + 1 < n; p++)
        buf[o++] = *p;
    for (const char *p = s; *p && o + 1 < n; p++) {
        const char *w = !plain && *p == '\'' ? "'\\''" : NULL;
        for (; w && *w && o + 1 < n; w++)
            buf[o++] = *w;
        if (!w)
            buf[o++] = *p;
    }
    if (!plain && o + 1 < n)
        buf[o++] = '\'';
    buf[o] = '\0';
    return o;
}

size_t vw__replay_text(const vw_state *st, const vw_model *m, char *buf, size_t n)
{
    if (n == 0)
        return 0;
    buf[0] = '\0';
    uint64_t no = st->cursor >= 0
                      ? tr_replay_index_event(m->replay, m->tr, (size_t)st->cursor)
                      : 0;
    if (no == 0)
        return 0;
    char path[256], prog[160];
    const char *name = tr_head(m->tr)->program;
    shell_word(path, sizeof path, tr_trace_path(m->tr));
    shell_word(prog, sizeof prog, name && *name ? name : "PROG");
    int w = snprintf(buf, n, "coscope replay %s --stop-at %llu -- %s", path,
                     (unsigned long long)no, prog);
    return w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
}

size_t vw__selection_text(const vw_state *st, const vw_model *m, char *buf,
                          size_t n)
{
    if (n == 0)
        return 0;
    buf[0] = '\0';
    if (st->sel_cause >= 0 && (size_t)st->sel_cause < tr_ncauses(m->tr)) {
        char what[400];
        return (size_t)snprintf(
            buf, n, "cause: %s",
            tr_cause_describe(m->tr, &tr_causes(m->tr)[st->sel_cause], what,
                              sizeof what));
    }
    if (st->sel_stall >= 0 && (size_t)st->sel_stall < tr_nstalls(m->tr))
        return stall_text(m, &tr_stalls(m->tr)[st->sel_stall], buf, n);
    if (st->sel_span >= 0 && (size_t)st->sel_span < tr_nspans(m->tr))
        return span_text(m, (size_t)st->sel_span, buf, n);
    if (st->cursor >= 0 && (size_t)st->cursor < tr_nevents(m->tr)) {
        char t[32], ev[220];
        const tr_event *e = &tr_events(m->tr)[st->cursor];
        return (size_t)snprintf(
            buf, n, "%s %s", vw__fmt_time(t, sizeof t, e->t),
            vw__fmt_event(ev, sizeof ev, m, (size_t)st->cursor));
    }
    return 0;
}
