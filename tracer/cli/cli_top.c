/* cli_top.c: `coscope top` — a table of the tasks like top(1): each task's
 * state at the trace's current end, the wait it is in with its site, busy
 * share, polls, scheduling-latency p99 and stalls so far, under a line with
 * the loop's busy share. --once prints one snapshot of the file as it is
 * (a trace still being written has no `end` line: the reader takes it as
 * cut short); otherwise the file is followed (tr_follow: each second the
 * lines appended since the last are read) and drawn with plain ANSI
 * control in the alternate screen, `q` quits, letters sort. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "coscope/tr_kinds.h"
#include "tr_format_int.h"

/* Sort keys: the letter that selects one live and its --sort name. */
enum { SORT_BUSY, SORT_POLLS, SORT_LAT, SORT_STALLS, SORT_NAME, SORT_ID, SORT__N };
static const struct {
    char key;
    const char *name;
} sorts[SORT__N] = {{'b', "busy"},   {'p', "polls"}, {'l', "latency"},
                    {'s', "stalls"}, {'n', "name"},  {'i', "id"}};

static void usage(FILE *f)
{
    fputs("usage: coscope top FILE [--once [--json]] [--sort KEY]\n"
          "\n"
          "A table of the tasks, like top(1): each task's state at the "
          "trace's end\n"
          "(running, ready, waiting, done), the wait it is in and where "
          "(at), its\n"
          "share of the trace's time on the CPU, polls (run slices), "
          "scheduling\n"
          "latency p99 (ready -> run) and the stalls it had so far; above "
          "it, the\n"
          "loop's busy share. FILE may still be written (COSCOPE_TRACE of a "
          "running\n"
          "program): it is read as it is, as a trace cut short.\n"
          "\n"
          "options:\n"
          "  --once       print one snapshot and exit (for scripts)\n"
          "  --json       with --once: the snapshot as JSON (docs/cli-json.md)\n"
          "  --sort KEY   busy (default), polls, latency, stalls, name, id\n"
          "\n"
          "Without --once the table is redrawn every second from the file;\n"
          "keys: b p l s n i sort as above, q quits (so does ^C).\n"
          "\n"
          "exit: 0 ok, 1 unreadable or invalid trace, 2 usage\n",
          f);
}

/* One row's figures, kept for sorting before the cells are formatted. */
typedef struct top_row {
    const tr_task *t;
    const tr_span *last; /* the span the task is in at the trace's end */
    uint32_t stalls;
} top_row;

static int sort_key;

static int cmp_i64(int64_t a, int64_t b) { return a < b ? 1 : a > b ? -1 : 0; }

static int row_cmp(const void *pa, const void *pb)
{
    const top_row *a = pa, *b = pb;
    int c = 0;
    switch (sort_key) {
    case SORT_BUSY: c = cmp_i64(a->t->busy, b->t->busy); break;
    case SORT_POLLS: c = cmp_i64((int64_t)a->t->polls, (int64_t)b->t->polls); break;
    case SORT_LAT: c = cmp_i64(a->t->lat_p99, b->t->lat_p99); break;
    case SORT_STALLS: c = cmp_i64(a->stalls, b->stalls); break;
    default: break;
    }
    return c ? c : a->t->id < b->t->id ? -1 : a->t->id > b->t->id;
}

/* Name order needs the trace's strings: a separate comparator. */
static const tr_trace *name_tr;
static int row_cmp_name(const void *pa, const void *pb)
{
    const top_row *a = pa, *b = pb;
    int c = strcmp(tr_str(name_tr, a->t->name), tr_str(name_tr, b->t->name));
    return c ? c : row_cmp(pa, pb);
}

static const char *state_name(int st)
{
    static const char *const n[] = {"running", "ready", "waiting", "done"};
    return st >= 0 && st < TR_ST__COUNT ? n[st] : "?";
}

/* The rows of every task, sorted; NULL when out of memory. */
static top_row *collect(const tr_trace *tr, size_t *n)
{
    size_t nt = tr_ntasks(tr);
    top_row *rows = calloc(nt ? nt : 1, sizeof *rows);
    if (!rows)
        return NULL;
    for (size_t i = 0; i < nt; i++) {
        const tr_task *t = &tr_tasks(tr)[i];
        rows[i].t = t;
        rows[i].last = t->nspans ? &tr_spans(tr)[t->span0 + t->nspans - 1] : NULL;
    }
    for (size_t k = 0; k < tr_nstalls(tr); k++) {
        const tr_stall *st = &tr_stalls(tr)[k];
        const tr_task *t = tr_task_by_id(tr, st->task);
        if (t && !st->open) /* a wait the trace stops in is not a stall yet */
            rows[t - tr_tasks(tr)].stalls++;
    }
    name_tr = tr;
    qsort(rows, nt, sizeof *rows, sort_key == SORT_NAME ? row_cmp_name : row_cmp);
    *n = nt;
    return rows;
}

/* The summary line: where the trace ends, the loop's share, the counts. */
static void print_head(const tr_trace *tr, const char *path, const top_row *rows,
                       size_t n, FILE *f)
{
    const tr_summary *s = tr_summarize(tr);
    size_t count[TR_ST__COUNT] = {0}, nstalls = 0;
    char dur[32], pct[16];
    for (size_t i = 0; i < n; i++) {
        if (rows[i].last && rows[i].last->state < TR_ST__COUNT)
            count[rows[i].last->state]++;
        nstalls += rows[i].stalls;
    }
    char end[1024];
    tr_ending how = tr_trace_ending(tr, NULL);
    fputs("coscope top: ", f);
    cli__fput_esc(cli__input_name(path), f);
    fprintf(f, " at %s (", cli__dur(dur, sizeof dur, s->duration));
    cli__fput_esc(how == TR_ENDING_NONE  ? "still being written or cut short"
                  : how == TR_ENDING_END ? "ended"
                                         : tr_ending_describe(tr, end, sizeof end),
                  f);
    fprintf(f, "); loop busy %s; %zu tasks: %zu running, %zu ready, "
               "%zu waiting, %zu done; %zu stalls\n",
            tr_fmt_pct(pct, sizeof pct, s->loop_busy, s->duration), n,
            count[TR_ST_RUNNING], count[TR_ST_READY], count[TR_ST_WAITING],
            count[TR_ST_DONE], nstalls);
}

static int add_row(cli_table *tb, const tr_trace *tr, const top_row *r, int64_t whole)
{
    char id[16], wait[160] = "-", at[256] = "-", busy[16], polls[24], lat[32], st[16];
    const tr_span *sp = r->last;
    snprintf(id, sizeof id, "%" PRIu32, r->t->id);
    if (sp && sp->state == TR_ST_WAITING) {
        tr_describe_wait(tr, sp->why, sp->op, tr_span_fd(tr, sp), tr_span_obj(tr, sp),
                         wait, sizeof wait);
        snprintf(at, sizeof at, "%s", tr_str(tr, tr_span_site(tr, sp)));
    }
    tr_fmt_pct(busy, sizeof busy, r->t->busy, whole);
    snprintf(polls, sizeof polls, "%" PRIu64, r->t->polls);
    if (r->t->polls)
        cli__dur(lat, sizeof lat, r->t->lat_p99);
    else
        snprintf(lat, sizeof lat, "-");
    snprintf(st, sizeof st, "%" PRIu32, r->stalls);
    const char *cells[] = {id, tr_str(tr, r->t->name), sp ? state_name(sp->state) : "?",
                           busy, polls, lat, st, wait, at};
    return cli__table_add(tb, cells);
}

/* One snapshot of tr to f, at most max_rows task rows (0: all). */
static int print_top(const tr_trace *tr, const char *path, size_t max_rows, FILE *f)
{
    static const char *const hdr[] = {"ID", "TASK", "STATE", "BUSY", "POLLS",
                                      "LAT p99", "STALLS", "WAIT", "AT"};
    size_t n = 0;
    top_row *rows = collect(tr, &n);
    cli_table *tb = rows ? cli__table_new(9, "rllrrrrll", hdr) : NULL;
    int rc = tb ? 0 : -ENOMEM;
    if (max_rows && n > max_rows)
        n = max_rows;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = add_row(tb, tr, &rows[i], tr_summarize(tr)->duration);
    if (rc == 0) {
        print_head(tr, path, rows, n, f);
        cli__table_print(tb, f);
    }
    cli__table_free(tb);
    free(rows);
    return rc;
}

/* `--once --json`: the same snapshot as one JSON object (docs/cli-json.md),
 * tasks one a line in the order --sort says. */
static int print_json(const tr_trace *tr, FILE *f)
{
    size_t n = 0;
    top_row *rows = collect(tr, &n);
    if (!rows)
        return -ENOMEM;
    const tr_summary *s = tr_summarize(tr);
    size_t nstalls = 0;
    for (size_t i = 0; i < n; i++)
        nstalls += rows[i].stalls;
    fputs("{\"program\":", f);
    tr__json_str(f, tr_head(tr)->program);
    fprintf(f, ",\"truncated\":%s,\"t\":%" PRId64 ",\"loop_busy\":%" PRId64
               ",\"stalls\":%zu,\"tasks\":[",
            tr_head(tr)->truncated ? "true" : "false", s->duration, s->loop_busy, nstalls);
    for (size_t i = 0; i < n; i++) {
        const tr_span *sp = rows[i].last;
        const tr_task *t = rows[i].t;
        char wait[160];
        fprintf(f, "%s\n{\"id\":%" PRIu32 ",\"name\":", i ? "," : "", t->id);
        tr__json_str(f, tr_str(tr, t->name));
        fprintf(f, ",\"state\":\"%s\",\"wait\":", sp ? state_name(sp->state) : "?");
        if (sp && sp->state == TR_ST_WAITING) {
            tr__json_str(f, tr_describe_wait(tr, sp->why, sp->op, tr_span_fd(tr, sp),
                                             tr_span_obj(tr, sp), wait, sizeof wait));
            fputs(",\"at\":", f);
            tr__json_str(f, tr_str(tr, tr_span_site(tr, sp)));
        } else {
            fputs("null,\"at\":null", f);
        }
        fprintf(f, ",\"busy\":%" PRId64 ",\"polls\":%" PRIu64 ",\"lat_p99\":", t->busy,
                t->polls);
        if (t->polls)
            fprintf(f, "%" PRId64, t->lat_p99);
        else
            fputs("null", f);
        fprintf(f, ",\"stalls\":%" PRIu32 "}", rows[i].stalls);
    }
    fputs("\n]}\n", f);
    free(rows);
    return 0;
}

/* Loads and analyses path; the reader's error is printed unless quiet. The
 * warning a trace still being written gives (no `end`) is not printed. */
static tr_trace *load(const char *path, int quiet)
{
    tr_trace *tr = NULL;
    if (tr_load(path, NULL, &tr) != 0) {
        if (!quiet)
            fprintf(stderr, "%s\n", tr_last_error());
        return NULL;
    }
    if (tr_analyze(tr, &(tr_analysis_opts)TR_ANALYSIS_OPTS_INIT) != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        tr_free(tr);
        return NULL;
    }
    return tr;
}

static struct termios saved_tio;
static int tio_saved;
static volatile sig_atomic_t stop_req;

static void on_sig(int sig)
{
    (void)sig;
    stop_req = 1;
}

static void term_restore(int keys)
{
    if (tio_saved)
        tcsetattr(keys, TCSANOW, &saved_tio);
    tio_saved = 0;
    if (keys > STDIN_FILENO)
        close(keys);
    fputs("\033[?25h\033[?1049l", stdout); /* cursor back, main screen */
    fflush(stdout);
}

/* Keys without Enter and no echo; the alternate screen, cursor hidden.
 * The keys come from standard input, or from the terminal (/dev/tty) when
 * standard input is the trace ("-"); -1 when there is none: then only a
 * signal ends the view. */
static int term_setup(const char *path)
{
    int fd = STDIN_FILENO;
    if (strcmp(path, "-") == 0)
        fd = open("/dev/tty", O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0 && isatty(fd) && tcgetattr(fd, &saved_tio) == 0) {
        struct termios raw = saved_tio;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        tio_saved = tcsetattr(fd, TCSANOW, &raw) == 0;
    }
    fputs("\033[?1049h\033[?25l", stdout);
    return fd;
}

/* The live view follows the file (tr_follow): each refresh reads only the
 * lines appended since the last one and analyses again only when events
 * came, so an idle or finished program costs nothing. A file not there yet
 * is looked for again at the next refresh; what can never be followed (a
 * directory, a terminal as "-") ends the view with its message; a bad line
 * stops the following with its message under the last good table. */
static tr_follow *live_f;
static char live_err[512];
static int live_refused;

static tr_trace *live_load(const char *path)
{
    live_err[0] = '\0';
    int rc;
    if (!live_f && (rc = tr_follow_open(path, &live_f)) != 0) {
        snprintf(live_err, sizeof live_err, "%s", tr_last_error());
        live_refused = rc != -ENOENT;
        return NULL;
    }
    int had = tr_follow_trace(live_f) != NULL;
    long added = tr_follow_poll(live_f);
    tr_trace *tr = tr_follow_trace(live_f);
    if (added < 0)
        snprintf(live_err, sizeof live_err, "%s", tr_last_error());
    if (tr && (added > 0 || !had) &&
        tr_analyze(tr, &(tr_analysis_opts)TR_ANALYSIS_OPTS_INIT) != 0)
        snprintf(live_err, sizeof live_err, "coscope: out of memory");
    if (!tr && !live_err[0])
        snprintf(live_err, sizeof live_err, "%s: no header line yet", cli__input_name(path));
    return tr;
}

/* Redraws, then waits up to a second for a key on `keys` (-1: none); 0
 * when it is time to stop (q, end of input). */
static int live_step(const char *path, int keys)
{
    struct winsize ws = {0};
    size_t rows = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4
                      ? (size_t)ws.ws_row - 4 : 20;
    tr_trace *tr = live_load(path);
    if (live_refused)
        return 0;
    fputs("\033[H\033[2J", stdout);
    if (tr) {
        print_top(tr, path, rows, stdout);
        if (live_err[0])
            printf("stopped following: %s\n", live_err);
    } else {
        printf("coscope top: waiting for a trace in %s (%s)\n", cli__input_name(path),
               live_err);
    }
    printf("sort: %s  (b p l s n i sort, q quits)", sorts[sort_key].name);
    fflush(stdout);
    fd_set in;
    FD_ZERO(&in);
    if (keys >= 0)
        FD_SET(keys, &in);
    struct timeval tv = {1, 0};
    if (select(keys + 1, &in, NULL, NULL, &tv) > 0) {
        char c;
        if (read(keys, &c, 1) != 1 || c == 'q')
            return 0;
        for (int k = 0; k < SORT__N; k++)
            if (c == sorts[k].key)
                sort_key = k;
    }
    return 1;
}

int cli__top_live(const char *path, int (*ended)(void *), void *arg)
{
    struct sigaction sa = {0}, old_int, old_term;
    /* Alone, ^C and SIGTERM end the view. Under `record --top` (ended
     * given) record's handlers stay: they pass signals on to PROG, and the
     * view ends when PROG does. */
    stop_req = 0;
    if (!ended) {
        sa.sa_handler = on_sig;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
    }
    int keys = term_setup(path);
    live_refused = 0;
    while (!stop_req && !(ended && ended(arg)) && live_step(path, keys))
        ;
    term_restore(keys);
    tr_follow_free(live_f);
    live_f = NULL;
    if (!ended) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    if (live_refused) {
        fprintf(stderr, "coscope: top: %s\n", live_err);
        return CLI_BAD;
    }
    return CLI_OK;
}

int cli__top(int argc, char **argv)
{
    const char *path = NULL, *val;
    int once = 0, json = 0, rc;
    sort_key = SORT_BUSY;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli__is_help(a)) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--once") == 0) {
            once = 1;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if ((rc = cli__opt_value(argc, argv, &i, "--sort", &val)) != 0) {
            int k = SORT__N;
            for (int j = 0; rc > 0 && j < SORT__N; j++)
                if (strcmp(val, sorts[j].name) == 0)
                    k = j;
            if (k == SORT__N)
                return cli__usage_error("top", "--sort takes busy, polls, latency, "
                                               "stalls, name or id");
            sort_key = k;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli__usage_error("top", "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else {
            return cli__usage_error("top", "unexpected argument '%s'", a);
        }
    }
    if (!path)
        return cli__usage_error("top", "missing FILE");
    if (json && !once)
        return cli__usage_error("top", "--json goes with --once");
    if (!once)
        return cli__top_live(path, NULL, NULL);
    tr_trace *tr = load(path, 0);
    if (!tr)
        return CLI_BAD;
    rc = json ? print_json(tr, stdout) : print_top(tr, path, 0, stdout);
    tr_free(tr);
    if (rc != 0) {
        fprintf(stderr, "coscope: out of memory\n");
        return CLI_BAD;
    }
    return CLI_OK;
}
