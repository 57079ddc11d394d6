/* cli_why.c: `coscope why FILE TASK [--at TIME]` — why was this task not
 * running then? Finds the task's span at that time (by default its longest
 * time not running) and prints the analysis library's blame chain from it
 * down to its sink (tr_blame), with the cause it belongs to when the stall
 * analysis grouped it under one. Human lines or --json. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "coscope/tr_args.h"
#include "tr_format_int.h"

#define MAX_CHAIN 64

static void usage(FILE *f)
{
    fputs("usage: coscope why FILE TASK [--at TIME] [--threshold MS] [--json]\n"
          "\n"
          "Why was TASK (its id, its label \"fetch (3)\", or a name one task has)\n"
          "not running at TIME?\n"
          "Follows what it waited for: the wake that ended its wait, the waker,\n"
          "what the waker was itself waiting for, ... down to a sink (a task\n"
          "running on the loop, a sleep or timer, outside I/O, thread-pool work,\n"
          "a contended mutex, a saturated loop, the OS holding the loop thread).\n"
          "\n"
          "options:\n"
          "  --at TIME         a time in the trace (ms unless a unit is given:\n"
          "                    ns, us, ms, s); default: the start of the task's\n"
          "                    longest time not running\n"
          "  --threshold MS    stall threshold for the causes (as for stalls)\n"
          "  --json            machine-readable output (see docs/cli-json.md)\n"
          "\n"
          "exit: 0 ok, 1 bad trace or no such task, 2 usage\n",
          f);
}

/* The task's longest span that is not running (nor done), or its first. */
static size_t longest_not_running(const tr_trace *tr, const tr_task *t)
{
    size_t best = t->span0;
    int64_t best_d = -1;
    for (size_t j = t->span0; j < (size_t)t->span0 + t->nspans; j++) {
        const tr_span *sp = &tr_spans(tr)[j];
        if ((sp->state == TR_ST_READY || sp->state == TR_ST_WAITING) &&
            sp->t1 - sp->t0 > best_d)
            best = j, best_d = sp->t1 - sp->t0;
    }
    return best;
}

/* The cause the chain ends in: a stall on the first span's cause, else the
 * cause rooted at the last span; -1 if none. */
static int32_t cause_of(const tr_trace *tr, const tr_link *chain, size_t n)
{
    for (size_t i = 0; i < tr_nstalls(tr); i++)
        if (tr_stalls(tr)[i].span == chain[0].span && tr_stalls(tr)[i].cause >= 0)
            return tr_stalls(tr)[i].cause;
    for (size_t i = 0; i < tr_ncauses(tr); i++)
        if (tr_causes(tr)[i].span == chain[n - 1].span)
            return (int32_t)i;
    return -1;
}

static const char *state_word(int st)
{
    static const char *const w[TR_ST__COUNT] = {"running", "ready", "waiting", "done"};
    return st >= 0 && st < TR_ST__COUNT ? w[st] : "?";
}

static void print_human(const tr_trace *tr, const tr_task *t, int64_t at, const tr_link *chain,
                        size_t n, int sink, int32_t cause, FILE *f)
{
    char label[256], when[32], t0[32], dur[32], what[1024];
    cli__task_label(tr, t->id, label, sizeof label);
    cli__dur(when, sizeof when, at);
    const tr_span *first = &tr_spans(tr)[chain[0].span];
    if (first->state == TR_ST_RUNNING) {
        fprintf(f, "%s was running at %s\n", label, when);
        return;
    }
    fprintf(f, "why was %s not running at %s?\n", label, when); /* label is escaped */
    for (size_t i = 0; i < n; i++) {
        const tr_span *sp = &tr_spans(tr)[chain[i].span];
        cli__task_label(tr, chain[i].task, label, sizeof label);
        if (sp->state == TR_ST_WAITING)
            tr_describe_wait(tr, sp->why, sp->op, tr_span_fd(tr, sp), tr_span_obj(tr, sp), what,
                             sizeof what);
        else
            snprintf(what, sizeof what, "%s", state_word(sp->state));
        uint32_t site = tr_span_site(tr, sp);
        char line[2048];
        snprintf(line, sizeof line, "  %s%s %s from %s for %s%s%s", i ? "<- " : "", label, what,
                 cli__dur(t0, sizeof t0, sp->t0), cli__dur(dur, sizeof dur, sp->t1 - sp->t0),
                 site ? " at " : "", site ? tr_str(tr, site) : "");
        cli__fput_esc(line, f);
        fputc('\n', f);
        uint32_t stack = tr_span_stack(tr, chain[i].span);
        if (stack) {
            fputs("       stack: ", f);
            cli__fput_esc(tr_fmt_stack(line, sizeof line, tr, stack, NULL), f);
            fputc('\n', f);
        }
    }
    fprintf(f, "sink: %s\n", tr_cause_kind_name(sink));
    for (size_t i = 0; i < tr_nstalls(tr); i++) { /* a wait nobody ended: say why */
        const tr_stall *s = &tr_stalls(tr)[i];
        if (s->kind == TR_STALL_STUCK && s->span == chain[n - 1].span) {
            fputs("stuck: ", f);
            cli__fput_esc(tr_stall_describe(tr, s, what, sizeof what), f);
            fputc('\n', f);
        }
    }
    if (cause >= 0) {
        const tr_cause *c = &tr_causes(tr)[cause];
        cli__dur(dur, sizeof dur, c->blamed);
        fprintf(f, "cause %" PRId32 " (%s, %s blamed): ", cause, tr_cause_kind_name(c->kind), dur);
        cli__fput_esc(tr_cause_describe(tr, c, what, sizeof what), f);
        fputc('\n', f);
    }
}

static void print_json(const tr_trace *tr, const tr_task *t, int64_t at, const tr_link *chain,
                       size_t n, int sink, int32_t cause, FILE *f)
{
    const tr_span *first = &tr_spans(tr)[chain[0].span];
    fprintf(f, "{\"task\":%" PRIu32 ",\"name\":", t->id);
    tr__json_str(f, tr_str(tr, t->name));
    fprintf(f, ",\"at\":%" PRId64 ",\"state\":\"%s\",\"sink\":\"%s\",\"cause\":", at,
            state_word(first->state), tr_cause_kind_name(sink));
    if (cause >= 0)
        fprintf(f, "%" PRId32, cause);
    else
        fputs("null", f);
    fputs(",\"chain\":", f);
    cli__json_chain(tr, chain, n, f);
    fputs("}\n", f);
}

int cli__why(int argc, char **argv)
{
    const char *path = NULL, *task_arg = NULL, *val;
    int json = 0, rc, have_at = 0;
    int64_t at = 0;
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    tr_trace *tr = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli__is_help(a)) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if ((rc = cli__opt_threshold(argc, argv, &i, "why", &ao)) != 0) {
            if (rc < 0)
                return CLI_USAGE;
        } else if ((rc = cli__opt_value(argc, argv, &i, "--at", &val)) != 0) {
            if (rc < 0)
                return cli__usage_error("why", "--at needs a value");
            if (tr_parse_dur(val, &at) != 0)
                return cli__usage_error("why", "bad time '%s'", val);
            have_at = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli__usage_error("why", "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else if (!task_arg) {
            task_arg = a;
        } else {
            return cli__usage_error("why", "unexpected argument '%s'", a);
        }
    }
    if (!path || !task_arg)
        return cli__usage_error("why", "missing %s", path ? "TASK" : "FILE");
    if (cli__load_analyzed(path, &ao, &tr) != CLI_OK)
        return CLI_BAD;
    uint32_t id = 0;
    const tr_task *t = NULL;
    rc = tr_parse_task(tr, task_arg, &id);
    if (rc == 0 && !(t = tr_task_by_id(tr, id)))
        rc = -ENOENT; /* the loop has no task record */
    size_t span = SIZE_MAX;
    if (t && t->nspans)
        span = have_at ? tr_span_find(tr, t->id, at) : longest_not_running(tr, t);
    if (rc != 0 || span == SIZE_MAX) {
        char esc[256];
        cli__esc(esc, sizeof esc, task_arg);
        if (rc == -EEXIST)
            fprintf(stderr, "coscope: %s: several tasks are named %s; give an id\n",
                    cli__input_name(path), esc);
        else if (rc != 0 || !t->nspans)
            fprintf(stderr, "coscope: %s: no task %s\n", cli__input_name(path), esc);
        else
            fprintf(stderr, "coscope: %s: task %s did not exist at that time\n",
                    cli__input_name(path), esc);
        tr_free(tr);
        return CLI_BAD;
    }
    if (!have_at)
        at = tr_spans(tr)[span].t0;
    tr_link chain[MAX_CHAIN];
    int sink;
    size_t n = tr_blame(tr, span, chain, MAX_CHAIN, &sink);
    int32_t cause = cause_of(tr, chain, n);
    if (json)
        print_json(tr, t, at, chain, n, sink, cause, stdout);
    else
        print_human(tr, t, at, chain, n, sink, cause, stdout);
    tr_free(tr);
    return CLI_OK;
}
