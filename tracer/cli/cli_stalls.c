/* cli_stalls.c: `coscope stalls` — runs the analysis and prints its causes
 * first (what the stalls waited behind, ranked by the task-time blamed on
 * them, with the blame chain), then every stall under its cause with its
 * evidence; tasks stuck at the end come last, with whom they wait for and
 * the deadlock cycle when there is one. Human tables or stable --json. The
 * words are the analysis library's (tr_stall_describe, tr_cause_describe):
 * this file only lays them out. */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/tr_args.h"
#include "tr_format_int.h"


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
        "and first their CAUSES, ranked by the task-time that waited behind "
        "them: each\n"
        "wait is followed to the wake that ended it, to the waker and what it "
        "was\n"
        "waiting on, down to a sink (a slice on the loop, a sleep, outside I/O, "
        "pool\n"
        "work, the OS holding the loop thread); a saturated loop, a contended "
        "mutex,\n"
        "a backlogged channel or a busy pool is a cause too. `coscope why FILE "
        "TASK`\n"
        "shows one task's chain.\n"
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

#define MAX_RAN_JSON 10

static int64_t stall_fd(const tr_trace *tr, const tr_stall *s) { return tr_stall_fd(tr, s); }

static int valid_cycle(const tr_trace *tr, const tr_stall *s)
{
    return s->kind == TR_STALL_STUCK && s->cycle >= 0 && (size_t)s->cycle < tr_ncycles(tr);
}

/* ---- stacks and on-CPU time (tracer/read/stack.c) ---- */

static uint32_t stall_stack(const tr_trace *tr, const tr_stall *s)
{
    return tr_span_stack(tr, s->span);
}

/* Under the table: the stack of each stall that has one, innermost first. */
static void print_stacks(const tr_trace *tr, FILE *f, const size_t *idx, size_t n)
{
    char label[256], t0[32], text[8192];
    int any = 0;
    for (size_t k = 0; k < n; k++) {
        const tr_stall *s = &tr_stalls(tr)[idx[k]];
        uint32_t stack = stall_stack(tr, s);
        if (tr_stack_depth(tr, stack) == 0)
            continue;
        if (!any++)
            fputs("\nstacks (innermost first):\n", f);
        fprintf(f, "  %s %s at %s: ", tr_stall_label(s),
                cli__task_label(tr, s->task, label, sizeof label), cli__dur(t0, sizeof t0, s->t));
        cli__fput_esc(tr_fmt_stack(text, sizeof text, tr, stack, " < "), f);
        fputc('\n', f);
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

/* The shown stalls grouped by cause, in stall order within a group:
 * idx[start[c] .. start[c + 1]) are cause c's, and group ncauses holds the
 * stalls under no cause (stuck). One counting pass: the report stays
 * linear however many causes there are. */
typedef struct groups {
    size_t *idx, *start;
} groups;

static int group_stalls(const tr_trace *tr, groups *g)
{
    size_t nc = tr_ncauses(tr), n = tr_nstalls(tr);
    g->idx = malloc((n ? n : 1) * sizeof *g->idx);
    g->start = calloc(nc + 2, sizeof *g->start);
    if (!g->idx || !g->start)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const tr_stall *s = &tr_stalls(tr)[i];
        if (shown(s))
            g->start[(s->cause >= 0 && (size_t)s->cause < nc ? (size_t)s->cause : nc) + 1]++;
    }
    for (size_t c = 1; c < nc + 2; c++)
        g->start[c] += g->start[c - 1];
    size_t *fill = calloc(nc + 1, sizeof *fill);
    if (!fill)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const tr_stall *s = &tr_stalls(tr)[i];
        size_t c = s->cause >= 0 && (size_t)s->cause < nc ? (size_t)s->cause : nc;
        if (shown(s))
            g->idx[g->start[c] + fill[c]++] = i;
    }
    free(fill);
    return 0;
}

static size_t group_size(const groups *g, size_t c) { return g->start[c + 1] - g->start[c]; }

/* A cause is shown when it has a shown stall, or always without --kind. */
static int cause_shown(const groups *g, size_t ci)
{
    return kind_mask == ~0u || group_size(g, ci) > 0;
}

/* CAUSES: one line per root, best first. */
static int print_causes(const tr_trace *tr, const groups *g, FILE *f)
{
    static const char *const head[] = {"#", "KIND", "BLAMED", "TASKS", "STALLS", "CAUSE", "CHAIN"};
    char num[24], blamed[32], tasks[16], stalls[16], what[1024], chain[2048];
    cli_table *tab = cli__table_new(7, "rlrrrll", head);
    if (!tab)
        return -1;
    for (size_t i = 0; i < tr_ncauses(tr); i++) {
        const tr_cause *c = &tr_causes(tr)[i];
        if (!cause_shown(g, i))
            continue;
        snprintf(num, sizeof num, "%zu", i);
        snprintf(tasks, sizeof tasks, "%" PRIu32, c->nvictims);
        snprintf(stalls, sizeof stalls, "%" PRIu32, c->nstalls);
        tr_chain_describe(tr, tr_cause_links(tr) + c->link0, c->nlinks, chain, sizeof chain);
        const char *row[7] = {num,
                              tr_cause_kind_name(c->kind),
                              cli__dur(blamed, sizeof blamed, c->blamed),
                              tasks,
                              stalls,
                              tr_cause_describe(tr, c, what, sizeof what),
                              c->nlinks > 1 ? chain : "-"};
        if (cli__table_add(tab, row) != 0) {
            cli__table_free(tab);
            return -1;
        }
    }
    fputs("CAUSES (what the stalls waited behind, by task-time blamed)\n", f);
    cli__table_print(tab, f);
    cli__table_free(tab);
    return 0;
}

/* The stalls idx[0 .. n) as one table, then their stacks. */
static int print_stall_table(const tr_trace *tr, const size_t *idx, size_t n, FILE *f)
{
    static const char *const head[] = {"KIND", "TASK", "START", "DURATION", "AT", "EVIDENCE"};
    const tr_stall *st = tr_stalls(tr);
    char label[256], t0[32], dur[32], ev[2048];
    cli_table *tab = cli__table_new(6, "llrrll", head);
    if (!tab)
        return -1;
    for (size_t k = 0; k < n; k++) {
        const tr_stall *s = &st[idx[k]];
        const char *row[6] = {tr_stall_label(s),
                              cli__task_label(tr, s->task, label, sizeof label),
                              cli__dur(t0, sizeof t0, s->t),
                              cli__dur(dur, sizeof dur, s->dur),
                              *tr_str(tr, s->at) ? tr_str(tr, s->at) : "-",
                              tr_stall_describe(tr, s, ev, sizeof ev)};
        if (cli__table_add(tab, row) != 0) {
            cli__table_free(tab);
            return -1;
        }
    }
    cli__table_print(tab, f);
    cli__table_free(tab);
    print_stacks(tr, f, idx, n);
    return 0;
}

/* One cause's section: its heading, where it is (stack), its stalls. */
static int print_under(const tr_trace *tr, const groups *g, size_t ci, FILE *f)
{
    size_t k = group_size(g, ci);
    const tr_cause *c = &tr_causes(tr)[ci];
    fprintf(f, "\nunder cause %zu (%s): %zu stall%s\n", ci, tr_cause_kind_name(c->kind), k,
            k == 1 ? "" : "s");
    if (c->stack) { /* where the cause is, as a caller chain */
        char stack[2048];
        fputs("  stack: ", f);
        cli__fput_esc(tr_fmt_stack(stack, sizeof stack, tr, c->stack, NULL), f);
        fputc('\n', f);
    }
    return print_stall_table(tr, g->idx + g->start[ci], k, f);
}

static int print_report(const tr_trace *tr, const groups *g, int64_t threshold, FILE *f)
{
    size_t n = nshown(tr), nc = 0, none = tr_ncauses(tr);
    char thr[32];
    for (size_t i = 0; i < tr_ncauses(tr); i++)
        nc += (size_t)cause_shown(g, i);
    cli__dur(thr, sizeof thr, threshold);
    tr_ending how = tr_trace_ending(tr, NULL);
    if (tr_ending_died(how)) { /* NONE: stderr warns */
        char end[1024];
        cli__fput_esc(tr_ending_describe(tr, end, sizeof end), f);
        fputc('\n', f);
    }
    if (n == 0)
        fprintf(f, "no stalls (threshold %s)\n", thr);
    else
        fprintf(f, "%zu stall%s (threshold %s)\n", n, n == 1 ? "" : "s", thr);
    if (nc > 0 && print_causes(tr, g, f) != 0)
        return -1;
    for (size_t ci = 0; ci < tr_ncauses(tr); ci++)
        if (group_size(g, ci) > 0 && print_under(tr, g, ci, f) != 0)
            return -1;
    size_t rest = group_size(g, none);
    if (rest > 0) {
        if (nc > 0 || rest < n)
            fprintf(f, !tr_stalls(tr)[g->idx[g->start[none]]].open
                           ? "\nstuck at the end: %zu task%s\n"
                       : how == TR_ENDING_NONE
                           ? "\nstill waiting where the trace stops (it has no end line: still "
                             "being written, or cut short): %zu task%s\n"
                           : "\nstill waiting where the run ended (above): %zu task%s\n",
                    rest, rest == 1 ? "" : "s");
        if (print_stall_table(tr, g->idx + g->start[none], rest, f) != 0)
            return -1;
    }
    print_os_stretched(tr, threshold, f);
    return 0;
}

static int print_human(const tr_trace *tr, int64_t threshold, FILE *f)
{
    groups g = {NULL, NULL};
    int rc = group_stalls(tr, &g) == 0 ? print_report(tr, &g, threshold, f) : -1;
    free(g.idx);
    free(g.start);
    return rc;
}

static void json_task(const tr_trace *tr, uint32_t id, FILE *f)
{
    const tr_task *t = tr_task_by_id(tr, id);
    fprintf(f, "\"task\":%" PRIu32 ",\"name\":", id);
    tr__json_str(f, t ? tr_str(tr, t->name) : "");
}

static void json_stall(const tr_trace *tr, const tr_stall *s, FILE *f)
{
    char ev[2048];
    fprintf(f, "{\"kind\":\"%s\",", tr_stall_kind_name(s->kind));
    json_task(tr, s->task, f);
    fprintf(f, ",\"t\":%" PRId64 ",\"dur\":%" PRId64 ",\"at\":", s->t, s->dur);
    tr__json_str(f, tr_str(tr, s->at));
    fprintf(f, ",\"cause\":");
    if (s->cause >= 0)
        fprintf(f, "%" PRId32, s->cause);
    else
        fputs("null", f);

    switch (s->kind) {
    case TR_STALL_BLOCKED: {
        const tr_victim *v = tr_victims(tr);
        fputs(",\"victims\":[", f);
        for (uint32_t i = 0; v && i < s->nvictims; i++) {
            fputs(i ? ",{" : "{", f);
            json_task(tr, v[s->victim0 + i].task, f);
            fprintf(f, ",\"waited\":%" PRId64 "}", v[s->victim0 + i].waited);
        }
        fputc(']', f);
        break;
    }
    case TR_STALL_LATENCY: {
        tr_wakeup w;
        tr_ran r[MAX_RAN_JSON];
        size_t nr = tr_ran_meanwhile(tr, s->t, s->t + s->dur, s->task, r, MAX_RAN_JSON);
        if (tr_stall_wakeup(tr, s, &w))
            fprintf(f, ",\"by\":%" PRIu32 ",\"wake\":\"%s\"", w.from, tr_wake_name(w.why));
        else
            fputs(",\"by\":null,\"wake\":null", f);
        fputs(",\"ran\":[", f);
        for (size_t i = 0; i < nr; i++) {
            fputs(i ? ",{" : "{", f);
            json_task(tr, r[i].task, f);
            fprintf(f, ",\"ran\":%" PRId64 "}", r[i].ns);
        }
        fputc(']', f);
        break;
    }
    case TR_STALL_WAIT:
    case TR_STALL_STUCK:
        fprintf(f, ",\"why\":\"%s\",\"op\":\"%s\",\"fd\":%" PRId64 ",\"obj\":%" PRIu32,
                tr_wait_name(s->why), tr_op_name(s->op), stall_fd(tr, s), s->obj);
        if (s->kind == TR_STALL_WAIT)
            break;
        if (s->open)
            fputs(",\"open\":true", f);
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
    fputs(",\"evidence\":", f);
    tr__json_str(f, tr_stall_describe(tr, s, ev, sizeof ev));
    fputc('}', f);
}

static const char *state_name(int st)
{
    static const char *const names[TR_ST__COUNT] = {"running", "ready", "waiting", "done"};
    return st >= 0 && st < TR_ST__COUNT ? names[st] : "?";
}

/* A blame chain as JSON: each step's task, state, wait and span. */
void cli__json_chain(const tr_trace *tr, const tr_link *l, size_t n, FILE *f)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        const tr_span *sp = l[i].span < tr_nspans(tr) ? &tr_spans(tr)[l[i].span] : NULL;
        fputs(i ? ",{" : "{", f);
        json_task(tr, l[i].task, f);
        if (sp) {
            fprintf(f, ",\"state\":\"%s\",\"t\":%" PRId64 ",\"dur_ns\":%" PRId64,
                    state_name(sp->state), sp->t0, sp->t1 - sp->t0);
            if (sp->state == TR_ST_WAITING) {
                fprintf(f, ",\"why\":\"%s\",\"op\":\"%s\",\"obj\":%" PRIu32 ",\"at\":",
                        tr_wait_name(sp->why), tr_op_name(sp->op), tr_span_obj(tr, sp));
                tr__json_str(f, tr_str(tr, tr_span_site(tr, sp)));
            }
        }
        fputc('}', f);
    }
    fputc(']', f);
}

static void json_cause(const tr_trace *tr, const tr_cause *c, FILE *f)
{
    char what[1024];
    const uint32_t *v = tr_cause_victims(tr) + c->victim0;
    fprintf(f, "{\"kind\":\"%s\",", tr_cause_kind_name(c->kind));
    json_task(tr, c->task, f);
    fputs(",\"at\":", f);
    tr__json_str(f, tr_str(tr, c->at));
    fprintf(f,
            ",\"t\":%" PRId64 ",\"dur_ns\":%" PRId64 ",\"blamed_ns\":%" PRId64
            ",\"stalls\":%" PRIu32 ",\"victims\":[",
            c->t, c->dur, c->blamed, c->nstalls);
    for (uint32_t i = 0; i < c->nvictims; i++)
        fprintf(f, "%s%" PRIu32, i ? "," : "", v[i]);
    fputs("],\"chain\":", f);
    cli__json_chain(tr, tr_cause_links(tr) + c->link0, c->nlinks, f);
    if (c->span == UINT32_MAX) /* aggregates: what they add up */
        fprintf(f,
                ",\"obj\":%" PRIu32 ",\"count\":%" PRIu64 ",\"p50_ns\":%" PRId64
                ",\"p99_ns\":%" PRId64 ",\"max_ns\":%" PRId64,
                c->obj, c->count, c->p50, c->p99, c->max);
    if (c->kind == TR_CAUSE_CONTENTION) {
        fprintf(f, ",\"holders\":%" PRIu32 ",\"held\":{\"what\":\"%s\",\"op\":\"%s\",\"at\":",
                c->nholders, c->held_why == 255 ? "run" : tr_wait_name(c->held_why),
                tr_op_name(c->held_op));
        tr__json_str(f, tr_str(tr, c->held_at));
        fprintf(f, ",\"ns\":%" PRId64 "}", c->held_ns);
    }
    if (c->measured) /* run, os, saturation: what the thread's clocks said */
        fprintf(f, ",\"cpu_ns\":%" PRId64 ",\"runq_ns\":%" PRId64 ",\"stops\":%" PRIu32, c->cpu,
                c->runq, c->stops);
    fputs(",\"stack\":", f);
    tr__json_str(f, tr_fmt_stack(what, sizeof what, tr, c->stack, NULL));
    fputs(",\"what\":", f);
    tr__json_str(f, tr_cause_describe(tr, c, what, sizeof what));
    fputc('}', f);
}

static void print_json(const tr_trace *tr, const tr_analysis_opts *ao, FILE *f)
{
    size_t n = nshown(tr), k = 0;
    char end[1024];
    static const char *const endings[] = {"end", "none", "fatal", "signal", "exit"};
    tr_ending how = tr_trace_ending(tr, NULL);
    fputs("{\"program\":", f);
    tr__json_str(f, tr_head(tr)->program);
    if (tr_ending_died(how)) { /* only a run that died */
        fprintf(f, ",\"ending\":{\"kind\":\"%s\",\"words\":", endings[how]);
        tr__json_str(f, tr_ending_describe(tr, end, sizeof end));
        fputc('}', f);
    }
    fprintf(f,
            ",\"thresholds\":{\"blocked\":%" PRId64 ",\"latency\":%" PRId64
            ",\"wait\":%" PRId64 "},\"count\":%zu,\"causes\":[",
            ao->blocked_ns, ao->latency_ns, ao->wait_ns, n);
    for (size_t i = 0; i < tr_ncauses(tr); i++) {
        fputs(i ? ",\n" : "\n", f);
        json_cause(tr, &tr_causes(tr)[i], f);
    }
    fputs(tr_ncauses(tr) ? "\n],\"stalls\":[" : "],\"stalls\":[", f);
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
            if (tr_parse_stall_kinds(val, &kind_mask) != 0)
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
