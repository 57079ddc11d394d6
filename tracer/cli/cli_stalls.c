/* cli_stalls.c: `coscope stalls` — runs the analysis and lists every stall
 * with its evidence: who was kept waiting by a blocking slice, what a long
 * wait was on, and for tasks stuck at the end, whom they wait for and the
 * deadlock cycle when there is one. Human table or stable --json. */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tr_export_int.h"

#define MAX_VICTIMS_SHOWN 5
#define MAX_RAN_JSON      10

static const char *const kind_names[TR_STALL__COUNT] = {"blocked", "latency",
                                                        "wait", "stuck"};

static const char *kind_name(int k)
{
    return k >= 0 && k < TR_STALL__COUNT ? kind_names[k] : "?";
}

static void usage(FILE *f)
{
    fputs(
        "usage: coscope stalls FILE [--threshold MS] [--kind KINDS] [--json] "
        "[--fail-on-stall]\n"
        "\n"
        "Finds the stalls in a trace:\n"
        "  blocked   one run slice longer than the threshold (nothing else "
        "could run)\n"
        "  latency   ready -> run longer than the threshold\n"
        "  wait      an io / lock / chan / join / work wait longer than the "
        "threshold\n"
        "  stuck     still waiting when the trace ended (with the deadlock "
        "cycle, if any)\n"
        "\n"
        "options:\n"
        "  --threshold MS    threshold for all kinds, in ms unless a unit is "
        "given\n"
        "                    (ns, us, ms, s; e.g. 5, 0.5, 250us); default 20\n"
        "  --kind KINDS      only these kinds, comma-separated (e.g. "
        "blocked,latency);\n"
        "                    --fail-on-stall then counts only them\n"
        "  --json            machine-readable output (see docs/cli-json.md)\n"
        "  --fail-on-stall   exit 3 if any stall was found\n"
        "\n"
        "exit: 0 ok, 1 bad trace, 2 usage, 3 stalls found with "
        "--fail-on-stall\n",
        f);
}

/* Who woke the task of a latency stall (the wake-up within its ready span):
 * *w, or NULL when nobody is known. */
static const tr_wakeup *stall_wakeup(const tr_trace *tr, const tr_stall *s, tr_wakeup *w)
{
    return tr__wakeup_in(tr, s->task, s->t, s->t + s->dur, w) ? w : NULL;
}

typedef struct ran {
    uint32_t task;
    int64_t ns;
} ran;

/* The tasks that ran during [t0, t1] (other than `self`), longest first, at
 * most `max`: for a latency stall, who held the loop. Returns the count. */
static size_t ran_meanwhile(const tr_trace *tr, int64_t t0, int64_t t1,
                            uint32_t self, ran *out, size_t max)
{
    const tr_span *spans = tr_spans(tr);
    size_t n = 0;
    for (size_t k = 0; k < tr_ntasks(tr); k++) {
        const tr_task *t = &tr_tasks(tr)[k];
        size_t lo = t->span0, hi = (size_t)t->span0 + t->nspans, end;
        int64_t sum = 0;
        if (t->id == self || hi > tr_nspans(tr))
            continue;
        end = hi;
        while (lo < hi) { /* spans are contiguous: t1 grows with the index */
            size_t mid = lo + (hi - lo) / 2;
            if (spans[mid].t1 <= t0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < end && spans[lo].t0 < t1; lo++) {
            if (spans[lo].state != TR_ST_RUNNING)
                continue;
            int64_t a = spans[lo].t0 > t0 ? spans[lo].t0 : t0;
            int64_t b = spans[lo].t1 < t1 ? spans[lo].t1 : t1;
            if (b > a)
                sum += b - a;
        }
        if (sum <= 0)
            continue;
        size_t i = n < max ? n++ : max; /* insertion, longest first */
        while (i > 0 && (out[i - 1].ns < sum ||
                         (out[i - 1].ns == sum && out[i - 1].task > t->id))) {
            if (i < max)
                out[i] = out[i - 1];
            i--;
        }
        if (i < max)
            out[i] = (ran){t->id, sum};
    }
    return n;
}

static int64_t stall_fd(const tr_trace *tr, const tr_stall *s)
{
    return s->span < tr_nspans(tr) ? tr_span_fd(tr, &tr_spans(tr)[s->span]) : -1;
}

static int valid_cycle(const tr_trace *tr, const tr_stall *s)
{
    return s->kind == TR_STALL_STUCK && s->cycle >= 0 &&
           (size_t)s->cycle < tr_ncycles(tr);
}

/* ---- stacks and on-CPU time (tracer/read/stack.c) ---- */

static uint32_t stall_stack(const tr_trace *tr, const tr_stall *s)
{
    return tr_span_stack(tr, s->span);
}

/* A blocked slice with measured on-CPU figures: "on CPU 38.8 µs, asleep
 * 40.0 ms, preempted 600 µs; " (asleep: off the CPU, not waiting for one:
 * in a blocking call). */
static void oncpu_text(const tr_trace *tr, const tr_stall *s, FILE *f)
{
    tr_oncpu oc;
    char a[32];
    uint32_t end = s->span < tr_nspans(tr) ? tr_span_end_ev(tr, s->span) : UINT32_MAX;
    if (end == UINT32_MAX || !tr_ev_oncpu(tr, end, &oc))
        return;
    tr_span_oncpu(tr, s->span, &oc);
    int64_t asleep = tr_span_blocking(tr, s->span) - oc.cpu;
    fprintf(f, "on CPU %s", cli__dur(a, sizeof a, oc.cpu));
    if (asleep > 0)
        fprintf(f, ", asleep %s", cli__dur(a, sizeof a, asleep));
    if (oc.runq > 0)
        fprintf(f, ", preempted %s", cli__dur(a, sizeof a, oc.runq));
    fputs("; ", f);
}

/* Under the table: the stack of each stall that has one, innermost first. */
static void print_stacks(const tr_trace *tr, FILE *f, int (*show)(const tr_stall *))
{
    char label[256], t0[32], text[8192];
    int any = 0;
    for (size_t i = 0; i < tr_nstalls(tr); i++) {
        const tr_stall *s = &tr_stalls(tr)[i];
        uint32_t stack = stall_stack(tr, s);
        if (!show(s) || tr_stack_depth(tr, stack) == 0)
            continue;
        if (!any++)
            fputs("\nstacks (innermost first):\n", f);
        fprintf(f, "  %s %s at %s: %s\n", kind_name(s->kind),
                cli__task_label(tr, s->task, label, sizeof label),
                cli__dur(t0, sizeof t0, s->t), tr_fmt_stack(text, sizeof text, tr, stack, " < "));
    }
}

/* ,"stack":[{"func","file","line","inlined","module","offset","pc"}...] when
 * the stall has a stack; nothing otherwise (traces recorded without). */
static void json_stack(const tr_trace *tr, const tr_stall *s, FILE *f)
{
    uint32_t stack = stall_stack(tr, s);
    size_t depth = tr_stack_depth(tr, stack);
    if (depth == 0)
        return;
    fputs(",\"stack\":[", f);
    for (size_t i = 0; i < depth; i++) {
        tr_frame fr;
        tr_stack_frame(tr, stack, i, &fr);
        fputs(i ? ",{\"func\":" : "{\"func\":", f);
        if (fr.func)
            tr__json_str(f, fr.func);
        else
            fputs("null", f);
        fputs(",\"file\":", f);
        if (fr.file)
            tr__json_str(f, fr.file);
        else
            fputs("null", f);
        fprintf(f, ",\"line\":%" PRIu32 ",\"inlined\":%s,\"module\":", fr.line,
                fr.inlined ? "true" : "false");
        if (fr.module)
            tr__json_str(f, fr.module);
        else
            fputs("null", f);
        fprintf(f, ",\"offset\":%" PRIu64 ",\"pc\":\"0x%" PRIx64 "\"}", fr.offset, fr.pc);
    }
    fputc(']', f);
}

/* ,"cpu":N,"runq":N,"stops":N on a blocked stall whose slice was measured. */
static void json_oncpu(const tr_trace *tr, const tr_stall *s, FILE *f)
{
    tr_oncpu oc;
    uint32_t end = s->span < tr_nspans(tr) ? tr_span_end_ev(tr, s->span) : UINT32_MAX;
    if (s->kind != TR_STALL_BLOCKED || end == UINT32_MAX || !tr_ev_oncpu(tr, end, &oc))
        return;
    tr_span_oncpu(tr, s->span, &oc);
    fprintf(f, ",\"cpu\":%" PRId64 ",\"runq\":%" PRId64 ",\"stops\":%" PRIu32, oc.cpu,
            oc.runq, oc.stops);
}

/* Human evidence text for one stall, written to f. */
static void evidence(const tr_trace *tr, const tr_stall *s, FILE *f)
{
    char label[256], dur[32], what[512];

    switch (s->kind) {
    case TR_STALL_BLOCKED: {
        const tr_victim *v = s->nvictims ? tr_victims(tr) + s->victim0 : NULL;
        oncpu_text(tr, s, f);
        if (s->nvictims == 0) {
            fputs("nothing else was ready", f);
            break;
        }
        fputs("ready meanwhile: ", f);
        for (uint32_t i = 0; i < s->nvictims && i < MAX_VICTIMS_SHOWN; i++)
            fprintf(f, "%s%s %s", i ? ", " : "",
                    cli__task_label(tr, v[i].task, label, sizeof label),
                    cli__dur(dur, sizeof dur, v[i].waited));
        if (s->nvictims > MAX_VICTIMS_SHOWN)
            fprintf(f, ", and %" PRIu32 " more",
                    s->nvictims - MAX_VICTIMS_SHOWN);
        break;
    }
    case TR_STALL_LATENCY: {
        tr_wakeup wk;
        const tr_wakeup *w = stall_wakeup(tr, s, &wk);
        ran r[MAX_VICTIMS_SHOWN];
        size_t nr = ran_meanwhile(tr, s->t, s->t + s->dur, s->task, r,
                                  MAX_VICTIMS_SHOWN);
        if (w)
            fprintf(f, "woken by %s on %s",
                    cli__task_label(tr, w->from, label, sizeof label),
                    tr_wake_name(w->why));
        else
            fputs("ready", f);
        for (size_t i = 0; i < nr; i++)
            fprintf(f, "%s%s %s", i ? ", " : "; ran meanwhile: ",
                    cli__task_label(tr, r[i].task, label, sizeof label),
                    cli__dur(dur, sizeof dur, r[i].ns));
        break;
    }
    case TR_STALL_WAIT:
        fputs(cli__describe_wait(tr, s->why, s->op, stall_fd(tr, s), s->obj,
                                 what, sizeof what),
              f);
        break;
    case TR_STALL_STUCK:
        fputs(cli__describe_wait(tr, s->why, s->op, stall_fd(tr, s), s->obj,
                                 what, sizeof what),
              f);
        if (s->waits_on)
            fprintf(f, ", waits on %s",
                    cli__task_label(tr, s->waits_on, label, sizeof label));
        if (valid_cycle(tr, s)) {
            const tr_cycle *c = &tr_cycles(tr)[s->cycle];
            const uint32_t *ct = tr_cycle_tasks(tr) + c->task0;
            fputs("; DEADLOCK: ", f);
            for (uint32_t i = 0; i < c->ntasks; i++)
                fprintf(f, "%s -> ",
                        cli__task_label(tr, ct[i], label, sizeof label));
            if (c->ntasks)
                fputs(cli__task_label(tr, ct[0], label, sizeof label), f);
        }
        break;
    }
}

/* --kind: a bit per tr_stall_kind; all bits when not given. */
static unsigned kind_mask = ~0u;

static int shown(const tr_stall *s)
{
    return (kind_mask >> s->kind) & 1u;
}

static size_t nshown(const tr_trace *tr)
{
    size_t n = 0;
    for (size_t i = 0; i < tr_nstalls(tr); i++)
        n += (size_t)shown(&tr_stalls(tr)[i]);
    return n;
}

/* "blocked,latency" -> mask; -1 on an unknown kind or an empty list. */
static int parse_kinds(const char *list, unsigned *mask)
{
    *mask = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        int k;
        for (k = 0; k < TR_STALL__COUNT; k++)
            if (strlen(kind_name(k)) == len && strncmp(p, kind_name(k), len) == 0)
                break;
        if (k == TR_STALL__COUNT)
            return -1;
        *mask |= 1u << k;
        p += len;
        if (*p == ',')
            p++;
    }
    return *mask ? 0 : -1;
}

/* The run slices over the threshold that the OS stretched: not stalls of
 * the task, said in one line so a reader knows why they are not listed. */
static void print_os_stretched(const tr_trace *tr, int64_t threshold, FILE *f)
{
    size_t longest, n = tr_os_stretched(tr, threshold, &longest);
    if (n == 0)
        return;
    const tr_span *sp = &tr_spans(tr)[longest];
    tr_oncpu oc;
    char label[256], t0[32], wall[32], cpu[32], runq[32];
    tr_span_oncpu(tr, longest, &oc);
    fprintf(f,
            "\n%zu run slice%s over the threshold %s stretched by the OS, not the task "
            "(not listed): the longest, %s at %s, %s with %s on CPU",
            n, n == 1 ? "" : "s", n == 1 ? "was" : "were",
            cli__task_label(tr, tr_span_task(tr, sp), label, sizeof label),
            cli__dur(t0, sizeof t0, sp->t0), cli__dur(wall, sizeof wall, sp->t1 - sp->t0),
            cli__dur(cpu, sizeof cpu, oc.cpu));
    if (oc.stops)
        fputs(", the process stopped meanwhile", f);
    else
        fprintf(f, ", preempted %s", cli__dur(runq, sizeof runq, oc.runq));
    fputs("\n", f);
}

static int print_human(const tr_trace *tr, int64_t threshold, FILE *f)
{
    static const char *const head[] = {"KIND",     "TASK", "START",
                                       "DURATION", "AT",   "EVIDENCE"};
    const tr_stall *st = tr_stalls(tr);
    size_t n = nshown(tr);
    char thr[32], label[256], t0[32], dur[32];
    cli_table *tab;

    cli__dur(thr, sizeof thr, threshold);
    if (n == 0) {
        fprintf(f, "no stalls (threshold %s)\n", thr);
        print_os_stretched(tr, threshold, f);
        return 0;
    }
    fprintf(f, "%zu stall%s (threshold %s)\n", n, n == 1 ? "" : "s", thr);
    tab = cli__table_new(6, "llrrll", head);
    if (!tab)
        return -1;
    for (size_t i = 0; i < tr_nstalls(tr); i++) {
        if (!shown(&st[i]))
            continue;
        char *ev = NULL;
        size_t evlen = 0;
        FILE *mf = open_memstream(&ev, &evlen);
        if (!mf) {
            cli__table_free(tab);
            return -1;
        }
        evidence(tr, &st[i], mf);
        fclose(mf);
        const char *row[6] = {
            kind_name(st[i].kind),
            cli__task_label(tr, st[i].task, label, sizeof label),
            cli__dur(t0, sizeof t0, st[i].t),
            cli__dur(dur, sizeof dur, st[i].dur),
            *tr_str(tr, st[i].at) ? tr_str(tr, st[i].at) : "-",
            ev};
        int rc = cli__table_add(tab, row);
        free(ev);
        if (rc != 0) {
            cli__table_free(tab);
            return -1;
        }
    }
    cli__table_print(tab, f);
    cli__table_free(tab);
    print_stacks(tr, f, shown);
    print_os_stretched(tr, threshold, f);
    return 0;
}

static void json_stall(const tr_trace *tr, const tr_stall *s, FILE *f)
{
    const tr_task *task = tr_task_by_id(tr, s->task);

    fprintf(f, "{\"kind\":\"%s\",\"task\":%" PRIu32 ",\"name\":",
            kind_name(s->kind), s->task);
    tr__json_str(f, task ? tr_str(tr, task->name) : "");
    fprintf(f, ",\"t\":%" PRId64 ",\"dur\":%" PRId64 ",\"at\":", s->t, s->dur);
    tr__json_str(f, tr_str(tr, s->at));

    switch (s->kind) {
    case TR_STALL_BLOCKED: {
        const tr_victim *v = s->nvictims ? tr_victims(tr) + s->victim0 : NULL;
        fputs(",\"victims\":[", f);
        for (uint32_t i = 0; i < s->nvictims; i++) {
            const tr_task *vt = tr_task_by_id(tr, v[i].task);
            fprintf(f, "%s{\"task\":%" PRIu32 ",\"name\":", i ? "," : "",
                    v[i].task);
            tr__json_str(f, vt ? tr_str(tr, vt->name) : "");
            fprintf(f, ",\"waited\":%" PRId64 "}", v[i].waited);
        }
        fputc(']', f);
        break;
    }
    case TR_STALL_LATENCY: {
        tr_wakeup wk;
        const tr_wakeup *w = stall_wakeup(tr, s, &wk);
        ran r[MAX_RAN_JSON];
        size_t nr =
            ran_meanwhile(tr, s->t, s->t + s->dur, s->task, r, MAX_RAN_JSON);
        if (w)
            fprintf(f, ",\"by\":%" PRIu32 ",\"wake\":\"%s\"", w->from,
                    tr_wake_name(w->why));
        else
            fputs(",\"by\":null,\"wake\":null", f);
        fputs(",\"ran\":[", f);
        for (size_t i = 0; i < nr; i++) {
            const tr_task *rt = tr_task_by_id(tr, r[i].task);
            fprintf(f, "%s{\"task\":%" PRIu32 ",\"name\":", i ? "," : "",
                    r[i].task);
            tr__json_str(f, rt ? tr_str(tr, rt->name) : "");
            fprintf(f, ",\"ran\":%" PRId64 "}", r[i].ns);
        }
        fputc(']', f);
        break;
    }
    case TR_STALL_WAIT:
    case TR_STALL_STUCK:
        fprintf(
            f,
            ",\"why\":\"%s\",\"op\":\"%s\",\"fd\":%" PRId64 ",\"obj\":%" PRIu32,
            tr_wait_name(s->why), tr_op_name(s->op), stall_fd(tr, s), s->obj);
        if (s->kind == TR_STALL_WAIT)
            break;
        fprintf(f, ",\"waits_on\":%" PRIu32 ",\"cycle\":", s->waits_on);
        if (valid_cycle(tr, s)) {
            const tr_cycle *c = &tr_cycles(tr)[s->cycle];
            const uint32_t *ct = tr_cycle_tasks(tr) + c->task0;
            fputc('[', f);
            for (uint32_t i = 0; i < c->ntasks; i++)
                fprintf(f, "%s%" PRIu32, i ? "," : "", ct[i]);
            fputc(']', f);
        } else {
            fputs("null", f);
        }
        break;
    }
    json_oncpu(tr, s, f);
    json_stack(tr, s, f);
    fputc('}', f);
}

static void print_json(const tr_trace *tr, const tr_analysis_opts *ao, FILE *f)
{
    size_t n = nshown(tr), k = 0;
    fputs("{\"program\":", f);
    tr__json_str(f, tr_head(tr)->program);
    fprintf(f,
            ",\"thresholds\":{\"blocked\":%" PRId64 ",\"latency\":%" PRId64
            ",\"wait\":%" PRId64 "},\"count\":%zu,\"stalls\":[",
            ao->blocked_ns, ao->latency_ns, ao->wait_ns, n);
    for (size_t i = 0; i < tr_nstalls(tr); i++) {
        if (!shown(&tr_stalls(tr)[i]))
            continue;
        fputs(k++ ? ",\n" : "\n", f);
        json_stall(tr, &tr_stalls(tr)[i], f);
    }
    fputs(n ? "\n]" : "]", f);
    /* "os_stretched": run slices over the threshold the OS stretched (only
     * when there are: a trace without on-CPU figures has none) */
    size_t longest, ns = tr_os_stretched(tr, ao->blocked_ns, &longest);
    if (ns) {
        const tr_span *sp = &tr_spans(tr)[longest];
        tr_oncpu oc;
        tr_span_oncpu(tr, longest, &oc);
        fprintf(f,
                ",\"os_stretched\":{\"count\":%zu,\"longest\":{\"task\":%" PRIu32
                ",\"t\":%" PRId64 ",\"dur\":%" PRId64 ",\"cpu\":%" PRId64 ",\"runq\":%" PRId64
                ",\"stops\":%" PRIu32 "}}",
                ns, tr_span_task(tr, sp), sp->t0, sp->t1 - sp->t0, oc.cpu, oc.runq, oc.stops);
    }
    fputs("}\n", f);
}

int cli__stalls(int argc, char **argv)
{
    const char *path = NULL, *val;
    int json = 0, fail = 0, rc;
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    tr_trace *tr = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli__is_help(a)) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--fail-on-stall") == 0) {
            fail = 1;
        } else if ((rc = cli__opt_threshold(argc, argv, &i, "stalls", &ao)) != 0) {
            if (rc < 0)
                return CLI_USAGE;
        } else if ((rc = cli__opt_value(argc, argv, &i, "--kind", &val)) != 0) {
            if (rc < 0)
                return cli__usage_error("stalls", "--kind needs a value");
            if (parse_kinds(val, &kind_mask) != 0)
                return cli__usage_error("stalls",
                                        "bad --kind '%s' (blocked, latency, "
                                        "wait, stuck)",
                                        val);
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli__usage_error("stalls", "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else {
            return cli__usage_error("stalls", "unexpected argument '%s'", a);
        }
    }
    if (!path)
        return cli__usage_error("stalls", "missing FILE");

    if (cli__load_analyzed(path, &ao, &tr) != CLI_OK)
        return CLI_BAD;
    if (json)
        print_json(tr, &ao, stdout);
    else if (print_human(tr, ao.blocked_ns, stdout) != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        tr_free(tr);
        return CLI_BAD;
    }
    rc = fail && nshown(tr) > 0 ? CLI_STALLS : CLI_OK;
    tr_free(tr);
    return rc;
}
