/* cli_range.c: `coscope stats --range FROM..TO` — the figures of one time
 * range (tr_range_stats), in the rows and words the viewer's range panel
 * draws (the panel shows the first few stalls, causes and tasks; this
 * prints them all), or as JSON (docs/cli-json.md). */
#include "cli.h"

#include <inttypes.h>
#include <string.h>

#include "tr_format_int.h"

/* A top row ("  stalls     3") or one under it ("    latency    ..."):
 * the panel's key and value columns. */
static void row(FILE *f, int under, const char *key, const char *value)
{
    char k[160], v[1024];
    fprintf(f, "%s%-10s %s\n", under ? "    " : "  ",
            cli__esc(k, sizeof k, key), cli__esc(v, sizeof v, value));
}

static void print_range(const tr_trace *tr, const tr_range *r, FILE *f)
{
    char a[32], b[32], d[32], p[32], buf[512];
    snprintf(buf, sizeof buf, "%s .. %s (%s)", cli__dur(a, sizeof a, r->t0),
             cli__dur(b, sizeof b, r->t1),
             cli__dur(d, sizeof d, r->t1 - r->t0));
    row(f, 0, "range", buf);
    snprintf(
        buf, sizeof buf, "busy %s (%s)", cli__dur(a, sizeof a, r->loop_busy),
        tr_fmt_pct(p, sizeof p, r->loop_busy, r->loop_busy + r->loop_idle));
    row(f, 0, "loop", buf);
    row(f, 0, "running", cli__dur(a, sizeof a, r->state_ns[TR_ST_RUNNING]));
    row(f, 0, "ready", cli__dur(a, sizeof a, r->state_ns[TR_ST_READY]));
    row(f, 0, "waiting", cli__dur(a, sizeof a, r->state_ns[TR_ST_WAITING]));
    snprintf(buf, sizeof buf, "%zu", r->nstalls);
    row(f, 0, "stalls", buf);
    for (size_t k = 0; k < r->nstalls; k++) {
        const tr_stall *s = &tr_stalls(tr)[r->stalls[k]];
        row(f, 1, tr_stall_label(s), tr_stall_brief(tr, s, buf, sizeof buf));
    }
    snprintf(buf, sizeof buf, "%zu", r->ncauses);
    row(f, 0, "causes", buf);
    for (size_t k = 0; k < r->ncauses; k++) {
        const tr_cause *c = &tr_causes(tr)[r->causes[k].cause];
        row(f, 1, tr_cause_kind_name(c->kind),
            tr_cause_share_brief(tr, &r->causes[k], buf, sizeof buf));
        row(f, 1, "", tr_cause_describe(tr, c, buf, sizeof buf));
    }
    if (r->ntasks)
        row(f, 0, "tasks", "running / ready / waiting");
    for (size_t k = 0; k < r->ntasks; k++) {
        const int64_t *ns = r->tasks[k].ns;
        char label[160];
        snprintf(buf, sizeof buf, "%s / %s / %s",
                 cli__dur(a, sizeof a, ns[TR_ST_RUNNING]),
                 cli__dur(b, sizeof b, ns[TR_ST_READY]),
                 cli__dur(d, sizeof d, ns[TR_ST_WAITING]));
        row(f, 1, tr_task_label(tr, r->tasks[k].task, label, sizeof label),
            buf);
    }
    cli__print_hist(f, "latency", &r->lat);
}

static void json_range(const tr_trace *tr, const tr_range *r, FILE *f)
{
    char buf[1024];
    fputs("{\"program\":", f);
    tr__json_str(f, tr_head(tr)->program);
    fprintf(f,
            ",\"t0\":%" PRId64 ",\"t1\":%" PRId64 ",\"loop_busy\":%" PRId64
            ",\"loop_idle\":%" PRId64 ",\"running\":%" PRId64
            ",\"ready\":%" PRId64 ",\"waiting\":%" PRId64 ",\"stalls\":[",
            r->t0, r->t1, r->loop_busy, r->loop_idle,
            r->state_ns[TR_ST_RUNNING], r->state_ns[TR_ST_READY],
            r->state_ns[TR_ST_WAITING]);
    for (size_t k = 0; k < r->nstalls; k++) {
        const tr_stall *s = &tr_stalls(tr)[r->stalls[k]];
        const tr_task *t = tr_task_by_id(tr, s->task);
        fprintf(f,
                "%s{\"kind\":\"%s\",\"label\":\"%s\",\"task\":%" PRIu32
                ",\"name\":",
                k ? ",\n" : "\n", tr_stall_kind_name(s->kind),
                tr_stall_label(s), s->task);
        tr__json_str(f, t ? tr_str(tr, t->name) : "");
        fprintf(f, ",\"t\":%" PRId64 ",\"dur\":%" PRId64 ",\"cause\":", s->t,
                s->dur);
        if (s->cause >= 0)
            fprintf(f, "%" PRId32 "}", s->cause);
        else
            fputs("null}", f);
    }
    fputs(r->nstalls ? "\n],\"causes\":[" : "],\"causes\":[", f);
    for (size_t k = 0; k < r->ncauses; k++) {
        const tr_cause_share *cs = &r->causes[k];
        const tr_cause *c = &tr_causes(tr)[cs->cause];
        const tr_task *t = tr_task_by_id(tr, c->task);
        fprintf(f,
                "%s{\"cause\":%" PRIu32 ",\"kind\":\"%s\",\"task\":%" PRIu32
                ",\"name\":",
                k ? ",\n" : "\n", cs->cause, tr_cause_kind_name(c->kind),
                c->task);
        tr__json_str(f, t ? tr_str(tr, t->name) : "");
        fprintf(f, ",\"stalls\":%" PRIu32 ",\"ns\":%" PRId64 ",\"what\":",
                cs->nstalls, cs->ns);
        tr__json_str(f, tr_cause_describe(tr, c, buf, sizeof buf));
        fputc('}', f);
    }
    fputs(r->ncauses ? "\n],\"tasks\":[" : "],\"tasks\":[", f);
    for (size_t k = 0; k < r->ntasks; k++) {
        const tr_task_time *tt = &r->tasks[k];
        const tr_task *t = tr_task_by_id(tr, tt->task);
        fprintf(f, "%s{\"id\":%" PRIu32 ",\"name\":", k ? ",\n" : "\n",
                tt->task);
        tr__json_str(f, t ? tr_str(tr, t->name) : "");
        fprintf(f,
                ",\"running\":%" PRId64 ",\"ready\":%" PRId64
                ",\"waiting\":%" PRId64 "}",
                tt->ns[TR_ST_RUNNING], tt->ns[TR_ST_READY],
                tt->ns[TR_ST_WAITING]);
    }
    fprintf(f, "%s,\"latency_count\":%" PRIu64, r->ntasks ? "\n]" : "]",
            r->lat.total);
    cli__json_hist(f, "latency_hist", &r->lat);
    fputs("}\n", f);
}

int cli__stats_range(const tr_trace *tr, int64_t t0, int64_t t1, int json,
                     FILE *f)
{
    tr_range r;
    int rc = tr_range_stats(tr, t0, t1, &r);
    if (rc != 0)
        return rc;
    if (json)
        json_range(tr, &r, f);
    else
        print_range(tr, &r, f);
    tr_range_close(&r);
    return 0;
}
