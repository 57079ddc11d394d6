/* layout_panels.c: the side panel (task stats, the selected span or event,
 * the event log around the playhead), the key help overlay and the loading
 * screen. Text lines only; the timeline itself is in layout.c. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vw_int.h"

char *vw__fmt_task(char *buf, size_t n, const vw_model *m, uint32_t id)
{
    if (id == 0) {
        snprintf(buf, n, "loop");
        return buf;
    }
    return tr_task_label(m->tr, id, buf, n); /* the CLI's label */
}

char *vw__fmt_obj(char *buf, size_t n, const vw_model *m, uint32_t obj)
{
    const char *name = tr_obj_name(m->tr, obj);
    if (name[0])
        snprintf(buf, n, "%s (obj %u)", name, obj); /* as the CLI */
    else
        snprintf(buf, n, "obj %u", obj);
    return buf;
}

/* What a yield waits on: an fd's I/O, a sleep's ms, an object, or the
 * wait's kind alone. */
static void yield_detail(char *extra, size_t n, const vw_model *m,
                         const tr_event *e, long long val)
{
    if (e->why == TR_WAIT_IO && (e->flags & TR_F_FD))
        snprintf(extra, n, "io %s fd %lld", tr_op_name(e->op), val);
    else if (e->why == TR_WAIT_IO)
        snprintf(extra, n, "io %s", tr_op_name(e->op));
    else if (e->flags & TR_F_MS)
        snprintf(extra, n, "%s %lld ms", tr_wait_name(e->why),
                 (long long)tr_ev_val2(m->tr, e));
    else if (e->flags & TR_F_OBJ)
        tr_describe_wait(m->tr, e->why, e->op, -1, e->arg, extra, n);
    else
        snprintf(extra, n, "%s", tr_wait_name(e->why));
}

/* An I/O event's op with its fd or result (str: the error's name). */
static void io_detail(char *extra, size_t n, const tr_event *e,
                      const char *str, long long val)
{
    const char *op = tr_op_name(e->op);
    int err = (e->flags & TR_F_ERR) != 0;
    if (e->ev == TR_EV_IO_BEGIN && (e->flags & TR_F_FD))
        snprintf(extra, n, "%s fd %lld", op, val);
    else if (e->ev == TR_EV_IO_BEGIN)
        snprintf(extra, n, "%s", op);
    else if (e->ev == TR_EV_IO_END && err)
        snprintf(extra, n, "%s %s", op, str);
    else if (e->ev == TR_EV_IO_END)
        snprintf(extra, n, "%s = %lld", op, val);
    else if (err) /* TR_EV_IO, completed at once: op, fd, result */
        snprintf(extra, n, "%s fd %u %s (no wait)", op, e->arg, str);
    else
        snprintf(extra, n, "%s fd %u = %lld (no wait)", op, e->arg, val);
}

/* The words after an event's kind and task, by kind ("" for none). */
static void event_detail(char *extra, size_t n, const vw_model *m,
                         const tr_event *e)
{
    const char *str = tr_str(m->tr, tr_ev_str(e));
    long long val = (long long)tr_ev_val(m->tr, e);
    char other[96];
    extra[0] = '\0';
    switch (e->ev) {
    case TR_EV_SPAWN:
        snprintf(extra, n, "by %s", vw__fmt_task(other, sizeof other, m, e->arg));
        break;
    case TR_EV_READY:
        snprintf(extra, n, "by %s (%s)", vw__fmt_task(other, sizeof other, m, e->arg),
                 tr_wake_name(e->why));
        break;
    case TR_EV_YIELD:
        yield_detail(extra, n, m, e, val);
        break;
    case TR_EV_IO_BEGIN:
    case TR_EV_IO_END:
    case TR_EV_IO:
        io_detail(extra, n, e, str, val);
        break;
    case TR_EV_WORK_BEGIN:
    case TR_EV_WORK_END:
        snprintf(extra, n, "%s on thread %u", str, e->arg);
        break;
    case TR_EV_EXIT:
        snprintf(extra, n, "%s", tr_status_name(e->why));
        break;
    case TR_EV_OBJ:
        snprintf(extra, n, "%u %s %s", e->arg, tr_objkind_name(e->why), str);
        break;
    case TR_EV_ACQUIRE:
    case TR_EV_RELEASE:
        vw__fmt_obj(extra, n, m, e->arg);
        break;
    case TR_EV_MARK:
        snprintf(extra, n, "\"%s\"", str);
        break;
    case TR_EV_FATAL: /* the runtime's message; a halt's signal name */
    case TR_EV_HALT:
        if (e->ev == TR_EV_HALT && (e->flags & TR_F_CODE))
            snprintf(extra, n, "exit(%lld)", val);
        else
            snprintf(extra, n, "%s", str);
        break;
    case TR_EV_POLL_END:
        if (e->flags & TR_F_EVENTS)
            snprintf(extra, n, "%lld events", val);
        break;
    default:
        break;
    }
}

char *vw__fmt_event(char *buf, size_t n, const vw_model *m, size_t i)
{
    const tr_event *e = &tr_events(m->tr)[i];
    char task[96], extra[160];
    vw__fmt_task(task, sizeof task, m, e->task);
    event_detail(extra, sizeof extra, m, e);
    int has_task = e->ev != TR_EV_POLL_BEGIN && e->ev != TR_EV_POLL_END &&
                   e->ev != TR_EV_END && e->ev != TR_EV_OBJ;
    snprintf(buf, n, "%s%s%s%s%s", tr_ev_name(e->ev), has_task ? " " : "",
             has_task ? task : "", extra[0] ? "  " : "", extra);
    return buf;
}

/* Copies s into out, cut with an ellipsis so that it fits in maxw px. */
const char *vw__fit_text(const vw_measure *ms, int font, const char *s,
                         int maxw, char *out, size_t n)
{
    if (ms->text_w(ms->ctx, font, s) <= maxw)
        return s;
    size_t lo = 0, hi = strlen(s);
    if (hi >= n - 4)
        hi = n - 4;
    /* the longest prefix (on a UTF-8 boundary) that fits with the "…" */
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        while (mid > lo && ((unsigned char)s[mid] & 0xC0) == 0x80)
            mid--;
        if (mid == lo) {
            break;
        }
        memcpy(out, s, mid);
        memcpy(out + mid, "\xe2\x80\xa6", 4);
        if (ms->text_w(ms->ctx, font, out) <= maxw)
            lo = mid;
        else
            hi = mid - 1;
    }
    while (lo > 0 && ((unsigned char)s[lo] & 0xC0) == 0x80)
        lo--;
    memcpy(out, s, lo);
    memcpy(out + lo, "\xe2\x80\xa6", 4);
    return out;
}

typedef struct panel {
    vw_drawlist *dl;
    const vw_measure *ms;
    int x, y, w, bottom;
    int key_w; /* the key column of a row, at the UI scale */
} panel;

static void heading(panel *p, const char *title)
{
    p->y += 6;
    vw__dl_text(p->dl, VW_R_PANEL, VW_FONT_SMALL, p->x, p->y, VW_C_ACCENT,
                title);
    p->y += p->ms->line_h + 2;
    vw__dl_line(p->dl, VW_R_PANEL, p->x, p->y, p->x + p->w, p->y, VW_C_GRID);
    p->y += 5;
}

/* "key      value" with the value in a second column. */
static void row(panel *p, const char *key, const char *value)
{
    if (p->y + p->ms->line_h > p->bottom)
        return;
    vw__dl_text(p->dl, VW_R_PANEL, VW_FONT_NORMAL, p->x, p->y, VW_C_TEXT_DIM,
                key);
    char buf[256];
    vw__dl_text(p->dl, VW_R_PANEL, VW_FONT_NORMAL, p->x + p->key_w, p->y, VW_C_TEXT,
                vw__fit_text(p->ms, VW_FONT_NORMAL, value, p->w - p->key_w, buf,
                             sizeof buf));
    p->y += p->ms->line_h + 4;
}

/* The latency histogram of the range as bars, one a log2 bucket from the
 * first to the last non-empty one, heights relative to the largest. */
static void range_hist(panel *p, const tr_hist *h)
{
    int lo = -1, hi = -1;
    uint64_t most = 0;
    for (int i = 0; i < TR_HIST_BUCKETS; i++)
        if (h->count[i]) {
            lo = lo < 0 ? i : lo;
            hi = i;
            most = h->count[i] > most ? h->count[i] : most;
        }
    if (lo < 0 || p->y + 40 > p->bottom)
        return;
    int bars = hi - lo + 1, bw = (p->w - p->key_w) / bars;
    bw = bw > 24 ? 24 : bw < 2 ? 2 : bw;
    for (int i = lo; i <= hi; i++) {
        int bh = (int)((h->count[i] * 32 + most - 1) / most);
        if (bh)
            vw__dl_rect(p->dl, VW_R_RANGE, p->x + p->key_w + (i - lo) * bw,
                        p->y + 32 - bh, bw - 1, bh,
                        vw__state_colour(TR_ST_READY, 0));
    }
    char lo_s[32], hi_s[32], buf[80];
    snprintf(buf, sizeof buf, "%s .. %s", tr_fmt_dur(lo_s, sizeof lo_s, tr_hist_lo(lo)),
             tr_fmt_dur(hi_s, sizeof hi_s, tr_hist_lo(hi + 1)));
    vw__dl_text(p->dl, VW_R_PANEL, VW_FONT_SMALL, p->x, p->y + 16,
                VW_C_TEXT_DIM, buf);
    p->y += 40;
}

/* "+N more" under a list the panel cut at VW_RANGE_ROWS. */
static void more_row(panel *p, size_t n)
{
    char buf[48];
    if (n <= VW_RANGE_ROWS)
        return;
    snprintf(buf, sizeof buf, "+%zu more", n - VW_RANGE_ROWS);
    row(p, "", buf);
}

/* The range's stalls and the causes they waited behind, the first few of
 * each, in the words `coscope stats --range` prints them. */
static void range_stalls(panel *p, const tr_range *r, const vw_model *m)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%zu", r->nstalls);
    row(p, "stalls", buf);
    for (size_t k = 0; k < r->nstalls && k < VW_RANGE_ROWS; k++) {
        const tr_stall *s = &tr_stalls(m->tr)[r->stalls[k]];
        row(p, tr_stall_label(s), tr_stall_brief(m->tr, s, buf, sizeof buf));
    }
    more_row(p, r->nstalls);
    snprintf(buf, sizeof buf, "%zu", r->ncauses);
    row(p, "causes", buf);
    for (size_t k = 0; k < r->ncauses && k < VW_RANGE_ROWS; k++) {
        const tr_cause *c = &tr_causes(m->tr)[r->causes[k].cause];
        row(p, tr_cause_kind_name(c->kind),
            tr_cause_share_brief(m->tr, &r->causes[k], buf, sizeof buf));
    }
    more_row(p, r->ncauses);
}

/* The Shift+drag range: the figures `coscope stats --range` prints, in the
 * same rows and words (tr_range_stats), the first few of each list. */
static void range_panel(panel *p, const vw_state *st, const vw_model *m)
{
    if (!st->has_range)
        return;
    const tr_range *r = &st->range;
    char a[32], b[32], d[32], pc[32], buf[160];
    heading(p, "RANGE");
    snprintf(buf, sizeof buf, "%s .. %s (%s)",
             tr_fmt_dur(a, sizeof a, st->range_t0),
             tr_fmt_dur(b, sizeof b, st->range_t1),
             tr_fmt_dur(d, sizeof d, vw__sub(st->range_t1, st->range_t0)));
    row(p, "range", buf);
    if (!st->range_ready)
        return; /* still dragging: figures when the button is let go */
    snprintf(buf, sizeof buf, "busy %s (%s)",
             tr_fmt_dur(a, sizeof a, r->loop_busy),
             tr_fmt_pct(pc, sizeof pc, r->loop_busy,
                        vw__add(r->loop_busy, r->loop_idle)));
    row(p, "loop", buf);
    row(p, "running", tr_fmt_dur(a, sizeof a, r->state_ns[TR_ST_RUNNING]));
    row(p, "ready", tr_fmt_dur(a, sizeof a, r->state_ns[TR_ST_READY]));
    row(p, "waiting", tr_fmt_dur(a, sizeof a, r->state_ns[TR_ST_WAITING]));
    range_stalls(p, r, m);
    if (r->ntasks)
        row(p, "tasks", "running / ready / waiting");
    for (size_t k = 0; k < r->ntasks && k < VW_RANGE_ROWS; k++) {
        char task[96];
        const int64_t *ns = r->tasks[k].ns;
        snprintf(buf, sizeof buf, "%s / %s / %s",
                 tr_fmt_dur(a, sizeof a, ns[TR_ST_RUNNING]),
                 tr_fmt_dur(b, sizeof b, ns[TR_ST_READY]),
                 tr_fmt_dur(d, sizeof d, ns[TR_ST_WAITING]));
        row(p, vw__fmt_task(task, sizeof task, m, r->tasks[k].task), buf);
    }
    more_row(p, r->ntasks);
    snprintf(buf, sizeof buf, "latency (%" PRIu64 ")", r->lat.total);
    vw__dl_text(p->dl, VW_R_PANEL, VW_FONT_NORMAL, p->x, p->y, VW_C_TEXT_DIM,
                buf);
    range_hist(p, &r->lat);
}

/* s in lines that fit the panel, broken at spaces (a word longer than a
 * line is cut with an ellipsis). */
static void wrapped(panel *p, const char *s, vw_rgba ink)
{
    char line[256], cut[256];
    while (*s && p->y + p->ms->line_h <= p->bottom) {
        size_t len = 0, best = 0;
        while (s[len] && len + 1 < sizeof line) {
            size_t e = len;
            while (s[e] && s[e] != ' ' && e + 1 < sizeof line)
                e++;
            memcpy(line, s, e);
            line[e] = '\0';
            if (best && p->ms->text_w(p->ms->ctx, VW_FONT_NORMAL, line) > p->w)
                break;
            best = len = e;
            if (s[len] == ' ')
                len++;
        }
        if (best == 0)
            best = len ? len : strlen(s);
        memcpy(line, s, best);
        line[best] = '\0';
        vw__dl_text(p->dl, VW_R_PANEL, VW_FONT_NORMAL, p->x, p->y, ink,
                    vw__fit_text(p->ms, VW_FONT_NORMAL, line, p->w, cut,
                                 sizeof cut));
        p->y += p->ms->line_h + 2;
        s += best;
        while (*s == ' ')
            s++;
    }
    p->y += 2;
}

/* The selected cause (n / N): what it was, in the tracer's words, how much
 * waited behind it, and its chain from the victim to the root. */
static void cause_panel(panel *p, const vw_state *st, const vw_model *m)
{
    if (st->sel_cause < 0 || (size_t)st->sel_cause >= tr_ncauses(m->tr))
        return;
    const tr_cause *c = &tr_causes(m->tr)[st->sel_cause];
    char buf[512], d[32];
    snprintf(buf, sizeof buf, "CAUSE %ld OF %zu: %s", st->sel_cause + 1,
             tr_ncauses(m->tr), tr_cause_kind_name(c->kind));
    heading(p, buf);
    wrapped(p, tr_cause_describe(m->tr, c, buf, sizeof buf), VW_C_TEXT);
    row(p, "blamed", tr_fmt_dur(d, sizeof d, c->blamed));
    snprintf(buf, sizeof buf, "%u task%s, %u stall%s", c->nvictims,
             c->nvictims == 1 ? "" : "s", c->nstalls,
             c->nstalls == 1 ? "" : "s");
    row(p, "behind it", buf);
    const tr_link *l = tr_cause_links(m->tr) + c->link0;
    for (uint32_t k = 0; k < c->nlinks; k++) {
        if (l[k].span >= tr_nspans(m->tr))
            continue;
        const tr_span *sp = &tr_spans(m->tr)[l[k].span];
        char task[96], what[128];
        if (sp->state == TR_ST_WAITING)
            tr_describe_wait(m->tr, sp->why, sp->op, tr_span_fd(m->tr, sp),
                             tr_span_obj(m->tr, sp), what, sizeof what);
        else
            snprintf(what, sizeof what, "%s",
                     vw__state_name(sp->state, sp->why));
        snprintf(buf, sizeof buf, "%s%s %s", k ? "\xe2\x86\x90 " : "",
                 vw__fmt_task(task, sizeof task, m, l[k].task), what);
        row(p, k ? "" : "chain", buf);
    }
    p->y += 6;
}

static void task_panel(panel *p, const vw_state *st, const vw_model *m)
{
    char a[32], b[32], c[32], buf[160];
    const tr_task *t = st->sel_task ? tr_task_by_id(m->tr, st->sel_task) : NULL;
    if (!t) {
        const tr_summary *s = tr_summarize(m->tr);
        heading(p, "TRACE");
        snprintf(buf, sizeof buf, "%s", tr_fmt_dur(a, sizeof a, s->duration));
        row(p, "duration", buf);
        snprintf(buf, sizeof buf, "%" PRIu64 " events, %" PRIu64 " tasks",
                 s->events, s->tasks);
        row(p, "size", buf);
        int64_t tot = s->loop_busy + s->loop_idle;
        snprintf(buf, sizeof buf, "%s busy (%.1f%%)",
                 tr_fmt_dur(a, sizeof a, s->loop_busy),
                 tot > 0 ? 100.0 * (double)s->loop_busy / (double)tot : 0.0);
        row(p, "loop", buf);
        snprintf(buf, sizeof buf, "%" PRIu64 " polls, %" PRIu64 " wakes",
                 s->polls, s->wakes);
        row(p, "scheduling", buf);
        snprintf(buf, sizeof buf, "p50 %s  p99 %s",
                 tr_fmt_dur(a, sizeof a, s->run_p50),
                 tr_fmt_dur(b, sizeof b, s->run_p99));
        row(p, "run slice", buf);
        snprintf(buf, sizeof buf, "p50 %s  p99 %s",
                 tr_fmt_dur(a, sizeof a, s->lat_p50),
                 tr_fmt_dur(b, sizeof b, s->lat_p99));
        row(p, "latency", buf);
        snprintf(buf, sizeof buf, "%zu (n / N to step)", tr_nstalls(m->tr));
        row(p, "stalls", buf);
        return;
    }
    heading(p, "TASK");
    vw__fmt_task(buf, sizeof buf, m, t->id);
    vw__dl_text(p->dl, VW_R_PANEL, VW_FONT_BOLD, p->x, p->y, VW_C_SELECT, buf);
    p->y += p->ms->line_h + 4;
    char par[96];
    snprintf(buf, sizeof buf, "%s at %s",
             vw__fmt_task(par, sizeof par, m, t->parent),
             tr_fmt_dur(a, sizeof a, t->spawn_t));
    row(p, "spawned by", buf);
    if (t->at)
        row(p, "spawned at", tr_str(m->tr, t->at));
    if (t->exit_t >= 0) {
        if (t->has_code)
            snprintf(buf, sizeof buf, "%s (code %lld) at %s",
                     tr_status_name(t->status), (long long)t->code,
                     tr_fmt_dur(a, sizeof a, t->exit_t));
        else
            snprintf(buf, sizeof buf, "%s at %s", tr_status_name(t->status),
                     tr_fmt_dur(a, sizeof a, t->exit_t));
    } else {
        snprintf(buf, sizeof buf, "never exited");
    }
    row(p, "exit", buf);
    snprintf(buf, sizeof buf, "%" PRIu64 " polls, %" PRIu64 " wakes", t->polls,
             t->wakes);
    row(p, "polls", buf);
    snprintf(buf, sizeof buf, "%s running, %s ready",
             tr_fmt_dur(a, sizeof a, t->busy),
             tr_fmt_dur(b, sizeof b, t->ready));
    row(p, "busy", buf);
    row(p, "waiting", tr_fmt_dur(c, sizeof c, t->waiting));
    snprintf(buf, sizeof buf, "p50 %s  p99 %s  max %s",
             tr_fmt_dur(a, sizeof a, t->run_p50),
             tr_fmt_dur(b, sizeof b, t->run_p99),
             tr_fmt_dur(c, sizeof c, t->run_max));
    row(p, "run slice", buf);
    snprintf(buf, sizeof buf, "p50 %s  p99 %s  max %s",
             tr_fmt_dur(a, sizeof a, t->lat_p50),
             tr_fmt_dur(b, sizeof b, t->lat_p99),
             tr_fmt_dur(c, sizeof c, t->lat_max));
    row(p, "latency", buf);
}

/* A caller chain, one frame a row under "stack", innermost first (the
 * tracer's one frame formatter); at most 8 rows, then "(N more)". */
static void stack_rows(panel *p, const vw_model *m, uint32_t stack)
{
    size_t depth = tr_stack_depth(m->tr, stack);
    char buf[256];
    for (size_t i = 0; i < depth; i++) {
        tr_frame f;
        if (i == 8) {
            snprintf(buf, sizeof buf, "(%zu more)", depth - i);
            row(p, "", buf);
            break;
        }
        if (tr_stack_frame(m->tr, stack, i, &f) != 0)
            break;
        row(p, i ? "" : "stack", tr_fmt_frame(buf, sizeof buf, &f));
    }
}

static void detail_panel(panel *p, const vw_state *st, const vw_model *m)
{
    char a[32], b[32], buf[200];
    if (st->sel_span >= 0 && (size_t)st->sel_span < tr_nspans(m->tr)) {
        const tr_span *sp = &tr_spans(m->tr)[st->sel_span];
        int64_t fd = tr_span_fd(m->tr, sp);
        uint32_t obj = tr_span_obj(m->tr, sp), site = tr_span_site(m->tr, sp);
        uint32_t ev1 = tr_span_end_ev(m->tr, (size_t)st->sel_span);
        heading(p, "SELECTED SPAN");
        const char *name = vw__state_name(sp->state, sp->why);
        if (sp->state == TR_ST_WAITING && sp->why == TR_WAIT_IO && sp->op)
            snprintf(buf, sizeof buf, "waiting on io %s", tr_op_name(sp->op));
        else if (sp->state == TR_ST_WAITING)
            snprintf(buf, sizeof buf, "waiting: %s", name);
        else
            snprintf(buf, sizeof buf, "%s", name);
        vw__dl_rect(p->dl, VW_R_PANEL, p->x, p->y + 2, 12, 12,
                    vw__state_colour(sp->state, sp->why));
        vw__dl_text(p->dl, VW_R_PANEL, VW_FONT_BOLD, p->x + 18, p->y, VW_C_TEXT,
                    buf);
        p->y += p->ms->line_h + 4;
        row(p, "duration", tr_fmt_dur(a, sizeof a, sp->t1 - sp->t0));
        snprintf(buf, sizeof buf, "%s \xe2\x86\x92 %s",
                 tr_fmt_dur(a, sizeof a, sp->t0),
                 tr_fmt_dur(b, sizeof b, sp->t1));
        row(p, "from / to", buf);
        if (fd >= 0) {
            snprintf(buf, sizeof buf, "%lld", (long long)fd);
            row(p, "fd", buf);
        }
        if (obj) {
            if (sp->why == TR_WAIT_JOIN)
                vw__fmt_task(buf, sizeof buf, m, obj);
            else
                vw__fmt_obj(buf, sizeof buf, m, obj);
            row(p, "on", buf);
        }
        if (site)
            row(p, "at", tr_str(m->tr, site));
        stack_rows(p, m, tr_span_stack(m->tr, (size_t)st->sel_span));
        if (sp->ev0 < tr_nevents(m->tr))
            row(p, "began with", vw__fmt_event(buf, sizeof buf, m, sp->ev0));
        if (ev1 < tr_nevents(m->tr))
            row(p, "ended with", vw__fmt_event(buf, sizeof buf, m, ev1));
        return;
    }
    if (st->cursor >= 0 && (size_t)st->cursor < tr_nevents(m->tr)) {
        const tr_event *e = &tr_events(m->tr)[st->cursor];
        heading(p, "CURRENT EVENT");
        char cut[512];
        vw__dl_text(p->dl, VW_R_PANEL, VW_FONT_BOLD, p->x, p->y, VW_C_TEXT,
                    vw__fit_text(p->ms, VW_FONT_BOLD,
                                 vw__fmt_event(buf, sizeof buf, m, (size_t)st->cursor), p->w,
                                 cut, sizeof cut));
        p->y += p->ms->line_h + 4;
        row(p, "time", vw__fmt_time(a, sizeof a, e->t));
        if (tr_ev_at(m->tr, e))
            row(p, "at", tr_str(m->tr, tr_ev_at(m->tr, e)));
        stack_rows(p, m, tr_ev_stack(m->tr, (size_t)st->cursor));
        snprintf(buf, sizeof buf, "%u", tr_ev_line(m->tr, (size_t)st->cursor));
        row(p, "trace line", buf);
        uint64_t no = tr_replay_index_event(m->replay, m->tr, (size_t)st->cursor);
        if (no) {
            snprintf(buf, sizeof buf, "--stop-at %llu  (Ctrl+R copies)", (unsigned long long)no);
            row(p, "replay", buf);
        }
    }
}

static void log_panel(panel *p, const vw_state *st, const vw_model *m)
{
    heading(p, "EVENT LOG");
    size_t n = tr_nevents(m->tr);
    int lh = p->ms->line_h + 3;
    int rows = (p->bottom - p->y) / lh;
    if (rows <= 0 || n == 0)
        return;
    /* the current event a third of the way down, like a debugger */
    long first = st->cursor - rows / 3;
    if (first + rows > (long)n)
        first = (long)n - rows;
    if (first < 0)
        first = 0;
    const tr_event *ev = tr_events(m->tr);
    char t[32], buf[220];
    vw__dl_clip(p->dl, p->x - 4, p->y, p->w + 8, p->bottom - p->y);
    for (long i = first; i < first + rows && (size_t)i < n; i++) {
        int cur = i == st->cursor;
        if (cur) {
            vw_rgba hl = {0x58, 0xa6, 0xff, 60};
            vw_cmd *c = vw__dl_rect(p->dl, VW_R_LOG_CURRENT, p->x - 4, p->y - 1,
                                    p->w + 8, lh, hl);
            if (c)
                c->task = ev[i].task;
        }
        double ms = (double)ev[i].t / 1e6;
        snprintf(t, sizeof t, "%.3f", ms);
        vw_rgba ink = i > st->cursor ? VW_C_TEXT_DIM : VW_C_TEXT;
        if (st->sel_task && ev[i].task == st->sel_task)
            ink = i > st->cursor ? (vw_rgba){0x4f, 0x87, 0xc7, 255}
                                 : VW_C_WAKE_IN;
        int tw = p->ms->text_w(p->ms->ctx, VW_FONT_SMALL, t);
        vw__dl_text(p->dl, cur ? VW_R_LOG_CURRENT : VW_R_LOG, VW_FONT_SMALL,
                    p->x + 64 - tw, p->y + 1, VW_C_TEXT_DIM, t);
        char cut[224];
        vw_cmd *c = vw__dl_text(
            p->dl, cur ? VW_R_LOG_CURRENT : VW_R_LOG, VW_FONT_NORMAL, p->x + 72,
            p->y, ink,
            vw__fit_text(p->ms, VW_FONT_NORMAL,
                         vw__fmt_event(buf, sizeof buf, m, (size_t)i),
                         p->w - 72, cut, sizeof cut));
        if (c)
            c->task = ev[i].task;
        p->y += lh;
    }
    vw__dl_clip(p->dl, 0, 0, 0, 0);
}

void vw__layout_panels(vw_drawlist *dl, const vw_geom *g, const vw_state *st,
                       const vw_model *m, const vw_measure *ms)
{
    vw__dl_rect(dl, VW_R_PANEL, g->panel_x, g->top_h, g->panel_w,
                g->legend_y - g->top_h, VW_C_PANEL);
    vw__dl_line(dl, VW_R_PANEL, g->panel_x, g->top_h, g->panel_x, g->legend_y,
                VW_C_GRID);
    panel p = {dl,
               ms,
               g->panel_x + 14,
               g->top_h + 4,
               g->panel_w - 28,
               g->legend_y - 6,
               (int)(110 * g->scale + 0.5)};
    vw__dl_clip(dl, g->panel_x + 1, g->top_h, g->panel_w - 1,
                g->legend_y - g->top_h);
    range_panel(&p, st, m);
    cause_panel(&p, st, m);
    task_panel(&p, st, m);
    p.y += 6;
    detail_panel(&p, st, m);
    p.y += 6;
    vw__dl_clip(dl, 0, 0, 0, 0);
    log_panel(&p, st, m);
}

void vw__layout_help(vw_drawlist *dl, const vw_geom *g, const vw_measure *ms)
{
    size_t n = vw__help_rows();
    int lh = ms->line_h + 6;
    int bw = (int)(620 * g->scale + 0.5), bh = (int)n * lh + 70;
    int col = (int)(190 * g->scale + 0.5);
    int bx = (g->w - bw) / 2, by = (g->h - bh) / 2;
    if (by < 4)
        by = 4;
    vw_rgba veil = {0, 0, 0, 140};
    vw__dl_rect(dl, VW_R_HELP, 0, 0, g->w, g->h, veil);
    vw__dl_rect(dl, VW_R_HELP, bx, by, bw, bh, VW_C_PANEL);
    vw__dl_frame(dl, VW_R_HELP, bx, by, bw, bh, VW_C_ACCENT);
    vw__dl_text(dl, VW_R_HELP, VW_FONT_BOLD, bx + 20, by + 16, VW_C_ACCENT,
                "Keys");
    vw__dl_text(dl, VW_R_HELP, VW_FONT_SMALL, bx + bw - (int)(170 * g->scale + 0.5), by + 18,
                VW_C_TEXT_DIM, "? or Esc closes");
    int y = by + 50;
    for (size_t i = 0; i < n; i++) {
        const char *keys, *what;
        vw__help_row(i, &keys, &what);
        vw__dl_text(dl, VW_R_HELP, VW_FONT_BOLD, bx + 20, y, VW_C_PLAYHEAD,
                    keys);
        vw__dl_text(dl, VW_R_HELP, VW_FONT_NORMAL, bx + col, y, VW_C_TEXT,
                    what);
        y += lh;
    }
}

void vw__layout_loading(vw_drawlist *dl, int w, int h, const char *path,
                        double frac, const vw_measure *ms)
{
    char buf[512];
    vw__dl_reset(dl);
    vw__dl_rect(dl, VW_R_BG, 0, 0, w, h, VW_C_BG);
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    snprintf(buf, sizeof buf, "Loading %s  %.0f%%", path, frac * 100);
    int tw = ms->text_w(ms->ctx, VW_FONT_BOLD, buf);
    int bw = w / 2, bx = (w - bw) / 2, by = h / 2;
    vw__dl_text(dl, VW_R_PROGRESS, VW_FONT_BOLD, (w - tw) / 2,
                by - ms->line_h - 12, VW_C_TEXT, buf);
    vw__dl_rect(dl, VW_R_PROGRESS, bx, by, bw, 14, VW_C_PANEL);
    vw__dl_rect(dl, VW_R_PROGRESS, bx, by, (int)(bw * frac), 14, VW_C_ACCENT);
    vw__dl_frame(dl, VW_R_PROGRESS, bx, by, bw, 14, VW_C_GRID);
}
