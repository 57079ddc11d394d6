/* cli_stats.c: `coscope stats` — the whole-run summary (loop busy / idle,
 * run-slice and scheduling-latency percentiles) and a per-task table, or one
 * task in detail with --task. Human tables or stable --json. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/tr_args.h"
#include "tr_format_int.h"

enum { SORT_SPAWN, SORT_BUSY, SORT_LATENCY, SORT_POLLS, SORT_NAME };

static void usage(FILE *f)
{
    fputs("usage: coscope stats FILE [--json] [--sort busy|latency|polls|name] "
          "[--task TASK]\n"
          "       coscope stats FILE --range FROM..TO [--json]\n"
          "\n"
          "Prints the run's summary (duration, tasks, events, loop busy / "
          "idle,\n"
          "run-slice and ready->run latency percentiles) and a table of "
          "tasks.\n"
          "\n"
          "options:\n"
          "  --json        machine-readable output (see docs/cli-json.md)\n"
          "  --sort KEY    order of the task table: busy, latency (p99), polls "
          "(most\n"
          "                first) or name; default: spawn order\n"
          "  --task TASK   show one task in detail: its id, its label as "
          "printed\n"
          "                (\"fetch (3)\") or a name only one task has\n"
          "  --range FROM..TO  figures for that time range only (\"10ms..50ms\"):\n"
          "                the loop's busy share, time per state, the stalls\n"
          "                overlapping it and their causes, each task's time per\n"
          "                state, the scheduling-latency histogram (the viewer's\n"
          "                Shift+drag panel shows the same)\n"
          "\n"
          "exit: 0 ok, 1 bad trace or unknown task, 2 usage\n",
          f);
}

/* What a task is doing at the end: its exit status or its last state. */
static void task_status(const tr_trace *tr, const tr_task *t, char *buf,
                        size_t n, const char **state, int *why)
{
    *why = -1;
    if (t->exit_t >= 0) {
        *state = tr_status_name(t->status);
        if (t->has_code && t->code != 0)
            snprintf(buf, n, "%s (code %" PRId64 ")", *state, t->code);
        else
            snprintf(buf, n, "%s", *state);
        return;
    }
    *state = "running";
    if (t->nspans > 0 && (size_t)t->span0 + t->nspans <= tr_nspans(tr)) {
        const tr_span *s = &tr_spans(tr)[t->span0 + t->nspans - 1];
        if (s->state == TR_ST_READY)
            *state = "ready";
        else if (s->state == TR_ST_WAITING) {
            *state = "waiting";
            *why = s->why;
        }
    }
    if (*why >= 0)
        snprintf(buf, n, "waiting (%s)", tr_wait_name(*why));
    else
        snprintf(buf, n, "%s", *state);
}

/* ---- sorting ---- */

static int sort_key;
static const tr_trace *sort_tr;

static int cmp_i64_desc(int64_t a, int64_t b)
{
    return a > b ? -1 : a < b ? 1 : 0;
}

static int cmp_task(const void *pa, const void *pb)
{
    const tr_task *a = *(const tr_task *const *)pa;
    const tr_task *b = *(const tr_task *const *)pb;
    int c = 0;
    switch (sort_key) {
    case SORT_BUSY:
        c = cmp_i64_desc(a->busy, b->busy);
        break;
    case SORT_LATENCY:
        c = cmp_i64_desc(a->lat_p99, b->lat_p99);
        if (!c)
            c = cmp_i64_desc(a->lat_max, b->lat_max);
        break;
    case SORT_POLLS:
        c = cmp_i64_desc((int64_t)a->polls, (int64_t)b->polls);
        break;
    case SORT_NAME:
        c = strcmp(tr_str(sort_tr, a->name), tr_str(sort_tr, b->name));
        break;
    default: /* spawn order: keep the model's order */
        return a < b ? -1 : a > b;
    }
    if (c)
        return c;
    return a->id < b->id ? -1 : a->id > b->id;
}

static const tr_task **sorted_tasks(const tr_trace *tr, int key)
{
    size_t n = tr_ntasks(tr);
    const tr_task **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = &tr_tasks(tr)[i];
    sort_key = key;
    sort_tr = tr;
    qsort(v, n, sizeof *v, cmp_task);
    return v;
}

/* ---- human output ---- */

static void pct(char *buf, size_t n, int64_t part, int64_t whole)
{
    tr_fmt_pct(buf, n, part, whole);
}

static void print_pcts(FILE *f, const char *label, int64_t p50, int64_t p90,
                       int64_t p99, int64_t max)
{
    char a[32], b[32], c[32], d[32];
    fprintf(f, "  %-10s p50 %s, p90 %s, p99 %s, max %s\n", label,
            cli__dur(a, sizeof a, p50), cli__dur(b, sizeof b, p90),
            cli__dur(c, sizeof c, p99), cli__dur(d, sizeof d, max));
}

/* A log2 histogram as rows of '#' bars, from the first to the last
 * non-empty bucket: "  ≥ 4.10 µs  ######        12". */
void cli__print_hist(FILE *f, const char *title, const tr_hist *h)
{
    int lo = -1, hi = -1;
    uint64_t most = 0;
    for (int i = 0; i < TR_HIST_BUCKETS; i++)
        if (h->count[i]) {
            if (lo < 0)
                lo = i;
            hi = i;
            if (h->count[i] > most)
                most = h->count[i];
        }
    if (lo < 0)
        return;
    fprintf(f, "  %s (%" PRIu64 ")\n", title, h->total);
    for (int i = lo; i <= hi; i++) {
        char d[32], bar[41];
        int w = (int)((h->count[i] * 40 + most - 1) / most);
        memset(bar, '#', (size_t)w);
        bar[w] = '\0';
        if (i)
            cli__dur(d, sizeof d, tr_hist_lo(i));
        else
            snprintf(d, sizeof d, "2 ns");
        /* right-align in 9 columns; "µ" is two bytes but one column */
        int cols = (int)strlen(d);
        for (const char *p = d; (p = strstr(p, "\xc2\xb5")); p += 2)
            cols--;
        fprintf(f, "    %s %*s%s  %-40s %" PRIu64 "\n", i ? ">=" : "< ",
                cols < 9 ? 9 - cols : 0, "", d, bar, h->count[i]);
    }
}

static void print_hists(const tr_trace *tr, uint32_t task, FILE *f)
{
    tr_hist run, lat;
    if (tr_histograms(tr, task, &run, &lat) != 0)
        return;
    cli__print_hist(f, "run slices", &run);
    cli__print_hist(f, "scheduling latency", &lat);
}

void cli__json_hist(FILE *f, const char *key, const tr_hist *h)
{
    int first = 1;
    fprintf(f, ",\"%s\":[", key);
    for (int i = 0; i < TR_HIST_BUCKETS; i++) {
        if (!h->count[i])
            continue;
        fprintf(f, "%s[%" PRId64 ",%" PRIu64 "]", first ? "" : ",",
                tr_hist_lo(i), h->count[i]);
        first = 0;
    }
    fputc(']', f);
}

static void json_hists(const tr_trace *tr, uint32_t task, FILE *f)
{
    tr_hist run, lat;
    if (tr_histograms(tr, task, &run, &lat) != 0)
        return;
    cli__json_hist(f, "run_hist", &run);
    cli__json_hist(f, "latency_hist", &lat);
}

static void print_summary(const tr_trace *tr, FILE *f)
{
    const tr_summary *s = tr_summarize(tr);
    const tr_header *h = tr_head(tr);
    char d[32], busy[32], idle[32], pb[32], pi[32];

    cli__fput_esc(h->program ? h->program : "?", f);
    fprintf(f, " (pid %" PRId64 ")%s\n", h->pid, h->truncated ? ", trace truncated" : "");
    fprintf(f, "  %-10s %s\n", "duration", cli__dur(d, sizeof d, s->duration));
    tr_ending how = tr_trace_ending(tr, NULL);
    if (tr_ending_died(how)) { /* NONE: said above */
        char end[1024];
        fprintf(f, "  %-10s ", "ended");
        cli__fput_esc(tr_ending_describe(tr, end, sizeof end), f);
        fputc('\n', f);
    }
    fprintf(f,
            "  %-10s %" PRIu64 " (%" PRIu64 " exited: %" PRIu64
            " cancelled, %" PRIu64 " errored)\n",
            "tasks", s->tasks, s->exited, s->cancelled, s->errored);
    fprintf(f, "  %-10s %" PRIu64 "\n", "events", s->events);
    pct(pb, sizeof pb, s->loop_busy, s->duration);
    pct(pi, sizeof pi, s->loop_idle, s->duration);
    fprintf(f, "  %-10s busy %s (%s), idle %s (%s)\n", "loop",
            cli__dur(busy, sizeof busy, s->loop_busy), pb,
            cli__dur(idle, sizeof idle, s->loop_idle), pi);
    fprintf(f, "  %-10s %" PRIu64 " run slices, %" PRIu64 " wake-ups\n",
            "polls", s->polls, s->wakes);
    print_pcts(f, "run slice", s->run_p50, s->run_p90, s->run_p99, s->run_max);
    print_pcts(f, "latency", s->lat_p50, s->lat_p90, s->lat_p99, s->lat_max);
    print_hists(tr, 0, f);
}

static int print_table(const tr_trace *tr, const tr_task **v, FILE *f)
{
    static const char *const head[] = {"ID",      "NAME",    "POLLS", "BUSY",
                                       "READY",   "WAITING", "WAKES", "RUN P99",
                                       "LAT P99", "STATUS"};
    cli_table *tab = cli__table_new(10, "rlrrrrrrrl", head);
    if (!tab)
        return -1;
    for (size_t i = 0; i < tr_ntasks(tr); i++) {
        const tr_task *t = v[i];
        char id[16], polls[24], busy[32], ready[32], wait[32], wakes[24],
            rp[32], lp[32], status[64];
        const char *state;
        int why;
        snprintf(id, sizeof id, "%" PRIu32, t->id);
        snprintf(polls, sizeof polls, "%" PRIu64, t->polls);
        snprintf(wakes, sizeof wakes, "%" PRIu64, t->wakes);
        task_status(tr, t, status, sizeof status, &state, &why);
        const char *row[10] = {id,
                               tr_str(tr, t->name),
                               polls,
                               cli__dur(busy, sizeof busy, t->busy),
                               cli__dur(ready, sizeof ready, t->ready),
                               cli__dur(wait, sizeof wait, t->waiting),
                               wakes,
                               cli__dur(rp, sizeof rp, t->run_p99),
                               cli__dur(lp, sizeof lp, t->lat_p99),
                               status};
        if (cli__table_add(tab, row) != 0) {
            cli__table_free(tab);
            return -1;
        }
    }
    cli__table_print(tab, f);
    cli__table_free(tab);
    return 0;
}

/* The program's annotated spans by name, after the task table; nothing
 * when it made none. */
static int print_spans(const tr_trace *tr, FILE *f)
{
    tr_annot *a = NULL;
    long n = tr_annot_spans(tr, &a);
    if (n <= 0)
        return (int)n;
    static const char *const head[] = {"SPAN", "COUNT", "TOTAL", "MEAN", "MAX", "OPEN"};
    cli_table *tab = cli__table_new(6, "lrrrrr", head);
    int rc = tab ? 0 : -1;
    for (long i = 0; i < n && rc == 0; i++) {
        char count[24], total[32], mean[32], max[32], open[24];
        snprintf(count, sizeof count, "%" PRIu64, a[i].count);
        snprintf(open, sizeof open, "%" PRIu64, a[i].open);
        const char *row[6] = {tr_str(tr, a[i].name), count,
                              cli__dur(total, sizeof total, a[i].total),
                              cli__dur(mean, sizeof mean, a[i].total / (int64_t)a[i].count),
                              cli__dur(max, sizeof max, a[i].max), open};
        rc = cli__table_add(tab, row);
    }
    if (rc == 0) {
        fputc('\n', f);
        cli__table_print(tab, f);
    }
    cli__table_free(tab);
    free(a);
    return rc;
}

static int json_spans(const tr_trace *tr, FILE *f)
{
    tr_annot *a = NULL;
    long n = tr_annot_spans(tr, &a);
    if (n <= 0)
        return (int)n;
    fputs(",\"spans\":[", f);
    for (long i = 0; i < n; i++) {
        fputs(i ? ",{\"name\":" : "{\"name\":", f);
        tr__json_str(f, tr_str(tr, a[i].name));
        fprintf(f,
                ",\"count\":%" PRIu64 ",\"open\":%" PRIu64 ",\"total\":%" PRId64
                ",\"max\":%" PRId64 "}",
                a[i].count, a[i].open, a[i].total, a[i].max);
    }
    fputc(']', f);
    free(a);
    return 0;
}

/* Total time and count of a task's waits, per why. */
typedef struct wait_sum {
    int64_t total[TR_WAIT__COUNT];
    uint64_t count[TR_WAIT__COUNT];
} wait_sum;

static void sum_waits(const tr_trace *tr, const tr_task *t, wait_sum *w)
{
    memset(w, 0, sizeof *w);
    for (uint32_t k = 0; k < t->nspans; k++) {
        if ((size_t)t->span0 + k >= tr_nspans(tr))
            break;
        const tr_span *s = &tr_spans(tr)[t->span0 + k];
        if (s->state == TR_ST_WAITING && s->why < TR_WAIT__COUNT) {
            w->total[s->why] += s->t1 - s->t0;
            w->count[s->why]++;
        }
    }
}

static void print_task(const tr_trace *tr, const tr_task *t, FILE *f)
{
    char label[256], a[32], b[32], c[32], status[64];
    const char *state;
    int why, first_wait = 0;
    wait_sum ws;

    fprintf(f, "task %" PRIu32 ": ", t->id);
    cli__fput_esc(tr_str(tr, t->name), f);
    fprintf(f, "\n  %-10s %s\n", "parent",
            cli__task_label(tr, t->parent, label, sizeof label));
    fprintf(f, "  %-10s at %s%s", "spawned", cli__dur(a, sizeof a, t->spawn_t),
            *tr_str(tr, t->at) ? ", " : "");
    cli__fput_esc(tr_str(tr, t->at), f);
    fputc('\n', f);
    task_status(tr, t, status, sizeof status, &state, &why);
    if (t->exit_t >= 0)
        fprintf(f, "  %-10s at %s, %s\n", "exited",
                cli__dur(a, sizeof a, t->exit_t), status);
    else
        fprintf(f, "  %-10s %s at the end\n", "status", status);
    fprintf(f, "  %-10s %" PRIu64 " run slices, %" PRIu64 " wake-ups\n",
            "polls", t->polls, t->wakes);
    fprintf(f, "  %-10s busy %s, ready %s, waiting %s\n", "time",
            cli__dur(a, sizeof a, t->busy), cli__dur(b, sizeof b, t->ready),
            cli__dur(c, sizeof c, t->waiting));
    print_pcts(f, "run slice", t->run_p50, t->run_p90, t->run_p99, t->run_max);
    print_pcts(f, "latency", t->lat_p50, t->lat_p90, t->lat_p99, t->lat_max);
    sum_waits(tr, t, &ws);
    for (int w = 0; w < TR_WAIT__COUNT; w++)
        if (ws.count[w])
            fprintf(f, "  %-10s %s: %" PRIu64 " time%s, %s\n",
                    first_wait++ ? "" : "waits", tr_wait_name(w), ws.count[w],
                    ws.count[w] == 1 ? "" : "s",
                    cli__dur(a, sizeof a, ws.total[w]));
    print_hists(tr, t->id, f);
}

/* ---- JSON output ---- */

static void json_pcts(FILE *f, const char *key, int64_t p50, int64_t p90,
                      int64_t p99, int64_t max)
{
    fprintf(f,
            ",\"%s\":{\"p50\":%" PRId64 ",\"p90\":%" PRId64 ",\"p99\":%" PRId64
            ",\"max\":%" PRId64 "}",
            key, p50, p90, p99, max);
}

static void json_task(const tr_trace *tr, const tr_task *t, int detail, FILE *f)
{
    char status[64];
    const char *state;
    int why;

    task_status(tr, t, status, sizeof status, &state, &why);
    fprintf(f, "{\"id\":%" PRIu32 ",\"name\":", t->id);
    tr__json_str(f, tr_str(tr, t->name));
    fprintf(f, ",\"parent\":%" PRIu32 ",\"at\":", t->parent);
    tr__json_str(f, tr_str(tr, t->at));
    fprintf(f, ",\"spawn\":%" PRId64 ",\"exit\":", t->spawn_t);
    if (t->exit_t >= 0)
        fprintf(f, "%" PRId64, t->exit_t);
    else
        fputs("null", f);
    fprintf(f, ",\"status\":\"%s\",\"why\":", state);
    if (why >= 0)
        fprintf(f, "\"%s\"", tr_wait_name(why));
    else
        fputs("null", f);
    fputs(",\"code\":", f);
    if (t->exit_t >= 0 && t->has_code)
        fprintf(f, "%" PRId64, t->code);
    else
        fputs("null", f);
    fprintf(f,
            ",\"polls\":%" PRIu64 ",\"wakes\":%" PRIu64 ",\"busy\":%" PRId64
            ",\"ready\":%" PRId64 ",\"waiting\":%" PRId64,
            t->polls, t->wakes, t->busy, t->ready, t->waiting);
    json_pcts(f, "run", t->run_p50, t->run_p90, t->run_p99, t->run_max);
    json_pcts(f, "latency", t->lat_p50, t->lat_p90, t->lat_p99, t->lat_max);
    if (detail) {
        wait_sum ws;
        int first = 1;
        sum_waits(tr, t, &ws);
        fputs(",\"waits\":[", f);
        for (int w = 0; w < TR_WAIT__COUNT; w++) {
            if (!ws.count[w])
                continue;
            fprintf(f,
                    "%s{\"why\":\"%s\",\"count\":%" PRIu64 ",\"total\":%" PRId64
                    "}",
                    first ? "" : ",", tr_wait_name(w), ws.count[w],
                    ws.total[w]);
            first = 0;
        }
        fputc(']', f);
        json_hists(tr, t->id, f);
    }
    fputc('}', f);
}

static void json_summary(const tr_trace *tr, FILE *f)
{
    const tr_summary *s = tr_summarize(tr);
    const tr_header *h = tr_head(tr);
    fputs("{\"program\":", f);
    tr__json_str(f, h->program);
    fprintf(f,
            ",\"pid\":%" PRId64
            ",\"truncated\":%s,\"summary\":{\"duration\":%" PRId64
            ",\"events\":%" PRIu64 ",\"tasks\":%" PRIu64 ",\"spawned\":%" PRIu64
            ",\"exited\":%" PRIu64 ",\"cancelled\":%" PRIu64
            ",\"errored\":%" PRIu64 ",\"loop_busy\":%" PRId64
            ",\"loop_idle\":%" PRId64 ",\"polls\":%" PRIu64
            ",\"wakes\":%" PRIu64,
            h->pid, h->truncated ? "true" : "false", s->duration, s->events,
            s->tasks, s->spawned, s->exited, s->cancelled, s->errored,
            s->loop_busy, s->loop_idle, s->polls, s->wakes);
    json_pcts(f, "run", s->run_p50, s->run_p90, s->run_p99, s->run_max);
    json_pcts(f, "latency", s->lat_p50, s->lat_p90, s->lat_p99, s->lat_max);
    json_hists(tr, 0, f);
    fputc('}', f);
}

/* What the command line asked for. */
typedef struct stats_opts {
    const char *path, *task;
    int json, key;
    int has_range;
    int64_t r0, r1;
} stats_opts;

static int sort_of(const char *val, int *key)
{
    static const struct {
        const char *name;
        int key;
    } keys[] = {{"busy", SORT_BUSY}, {"latency", SORT_LATENCY}, {"polls", SORT_POLLS},
                {"name", SORT_NAME}};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (strcmp(val, keys[k].name) == 0) {
            *key = keys[k].key;
            return 0;
        }
    return cli__usage_error("stats", "--sort takes busy, latency, polls or name, not '%s'", val);
}

/* --range FROM..TO: two durations with FROM < TO. */
static int range_of(const char *arg, stats_opts *o)
{
    const char *dots = strstr(arg, "..");
    char from[64];
    size_t fl = dots ? (size_t)(dots - arg) : 0;
    if (!dots || fl >= sizeof from)
        return cli__usage_error("stats", "--range takes FROM..TO (10ms..50ms), not '%s'", arg);
    memcpy(from, arg, fl);
    from[fl] = '\0';
    if (tr_parse_dur(from, &o->r0) != 0 || tr_parse_dur(dots + 2, &o->r1) != 0 ||
        o->r1 <= o->r0)
        return cli__usage_error("stats",
                                "--range takes FROM..TO with FROM < TO (10ms..50ms), not '%s'",
                                arg);
    o->has_range = 1;
    return 0;
}

/* CLI_OK with *o filled, -1 after --help (printed), or a usage error. */
static int parse_opts(int argc, char **argv, stats_opts *o)
{
    const char *val, *range_arg = NULL;
    int rc;
    *o = (stats_opts){.key = SORT_SPAWN};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli__is_help(a)) {
            usage(stdout);
            return -1;
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if ((rc = cli__opt_value(argc, argv, &i, "--sort", &val)) != 0) {
            if (rc < 0)
                return cli__usage_error("stats", "--sort needs a value");
            if ((rc = sort_of(val, &o->key)) != 0)
                return rc;
        } else if ((rc = cli__opt_value(argc, argv, &i, "--task", &val)) != 0) {
            if (rc < 0 || !*val)
                return cli__usage_error("stats", "--task needs a task");
            o->task = val; /* an id, a label or a name: see tr_parse_task */
        } else if ((rc = cli__opt_value(argc, argv, &i, "--range", &val)) != 0) {
            if (rc < 0 || !*val)
                return cli__usage_error("stats", "--range needs FROM..TO");
            range_arg = val;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli__usage_error("stats", "unknown option '%s'", a);
        } else if (!o->path) {
            o->path = a;
        } else {
            return cli__usage_error("stats", "unexpected argument '%s'", a);
        }
    }
    if (!o->path)
        return cli__usage_error("stats", "missing FILE");
    if (range_arg && (rc = range_of(range_arg, o)) != 0)
        return rc;
    if (range_arg && o->task)
        return cli__usage_error("stats", "--range goes without --task");
    return CLI_OK;
}

/* --task: one task's report. */
static int report_task(const tr_trace *tr, const stats_opts *o)
{
    uint32_t id = 0;
    const tr_task *t = NULL;
    int rc = tr_parse_task(tr, o->task, &id);
    if (rc == 0 && !(t = tr_task_by_id(tr, id)))
        rc = -ENOENT; /* the loop has no task record */
    if (rc != 0) {
        fprintf(stderr,
                rc == -EEXIST ? "coscope: %s: several tasks are named %s; give an id\n"
                              : "coscope: %s: no task %s\n",
                cli__input_name(o->path), o->task);
        return CLI_BAD;
    }
    if (o->json) {
        fputs("{\"program\":", stdout);
        tr__json_str(stdout, tr_head(tr)->program);
        fputs(",\"task\":", stdout);
        json_task(tr, t, 1, stdout);
        fputs("}\n", stdout);
    } else {
        print_task(tr, t, stdout);
    }
    return CLI_OK;
}

/* The whole trace: summary, every task (sorted), the annotated spans. */
static int report_all(const tr_trace *tr, const stats_opts *o)
{
    const tr_task **v = sorted_tasks(tr, o->key);
    int rc = 0;
    if (!v)
        return -1;
    if (o->json) {
        json_summary(tr, stdout);
        fputs(",\"tasks\":[", stdout);
        for (size_t i = 0; i < tr_ntasks(tr); i++) {
            fputs(i ? ",\n" : "\n", stdout);
            json_task(tr, v[i], 0, stdout);
        }
        fputs(tr_ntasks(tr) ? "\n]" : "]", stdout);
        rc = json_spans(tr, stdout);
        if (rc == 0)
            fputs("}\n", stdout);
    } else {
        print_summary(tr, stdout);
        fputc('\n', stdout);
        rc = print_table(tr, v, stdout) != 0 || print_spans(tr, stdout) != 0 ? -1 : 0;
    }
    free(v);
    return rc;
}

int cli__stats(int argc, char **argv)
{
    stats_opts o;
    tr_trace *tr = NULL;
    int rc = parse_opts(argc, argv, &o);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (cli__load_analyzed(o.path, &(tr_analysis_opts)TR_ANALYSIS_OPTS_INIT, &tr) != CLI_OK)
        return CLI_BAD;
    if (o.has_range) {
        if (cli__stats_range(tr, o.r0, o.r1, o.json, stdout) != 0) {
            fprintf(stderr, "coscope: out of memory\n");
            rc = CLI_BAD;
        }
    } else if (o.task) {
        rc = report_task(tr, &o);
    } else if (report_all(tr, &o) != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        rc = CLI_BAD;
    }
    tr_free(tr);
    return rc;
}
