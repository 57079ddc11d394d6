/* cli_common.c: helpers every subcommand uses — loading a trace with the
 * CLI's error conventions, task labels, duration parsing and formatting.
 * Kept apart from main.c so the subcommand files never depend on dispatch. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coscope/tr_args.h"

int cli__usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "coscope: %s%s", cmd ? cmd : "", cmd ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'coscope %s%s--help'.\n", cmd ? cmd : "",
            cmd ? " " : "");
    return CLI_USAGE;
}

/* ---- loading, with a progress line for big files on a terminal ---- */

/* Files at least this big show progress on a terminal (~0.05 s to load). */
#define PROGRESS_MIN_BYTES ((uint64_t)16 << 20)

typedef struct progress {
    const char *path;
    int last_pct; /* -1 until the first line */
} progress;

static int show_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress *p = ctx;
    int pct = total ? (int)(done * 100 / total) : 100;
    if (pct == p->last_pct)
        return 0;
    p->last_pct = pct;
    fprintf(stderr, "\rcoscope: loading %s: %3d%% of %.0f MB", p->path, pct,
            (double)total / 1e6);
    fflush(stderr);
    return 0;
}

/* COSCOPE_PROGRESS=1 shows it always, =0 never; unset: big files when
 * stderr is a terminal. */
static int want_progress(const char *path)
{
    const char *env = getenv("COSCOPE_PROGRESS");
    if (env && *env)
        return strcmp(env, "0") != 0;
    struct stat sb;
    return isatty(STDERR_FILENO) && stat(path, &sb) == 0 &&
           (uint64_t)sb.st_size >= PROGRESS_MIN_BYTES;
}

int cli__load(const char *path, tr_trace **out)
{
    tr_load_opts o = TR_LOAD_OPTS_INIT;
    progress p = {path, -1};
    if (want_progress(path)) {
        o.progress = show_progress;
        o.progress_ctx = &p;
    }
    int rc = tr_load(path, &o, out);
    if (p.last_pct >= 0) { /* take the progress line away */
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    if (rc != 0) {
        const char *msg = tr_last_error();
        if (msg && *msg)
            fprintf(stderr, "coscope: %s\n", msg);
        else
            fprintf(stderr, "coscope: %s: %s\n", path, strerror(-rc));
        *out = NULL;
        return CLI_BAD;
    }
    for (size_t i = 0; i < tr_nwarnings(*out); i++)
        fprintf(stderr, "coscope: warning: %s\n", tr_warning(*out, i));
    return CLI_OK;
}

int cli__load_analyzed(const char *path, const tr_analysis_opts *ao, tr_trace **out)
{
    if (cli__load(path, out) != CLI_OK)
        return CLI_BAD;
    if (tr_analyze(*out, ao) != 0) {
        fprintf(stderr, "coscope: %s: out of memory\n", path);
        tr_free(*out);
        *out = NULL;
        return CLI_BAD;
    }
    return CLI_OK;
}

int cli__opt_threshold(int argc, char **argv, int *i, const char *cmd, tr_analysis_opts *ao)
{
    const char *val;
    int64_t ns;
    int rc = cli__opt_value(argc, argv, i, "--threshold", &val);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        cli__usage_error(cmd, "--threshold needs a value");
        return -1;
    }
    if (tr_parse_dur(val, &ns) != 0 || ns <= 0) { /* the one syntax */
        cli__usage_error(cmd, "bad threshold '%s'", val);
        return -1;
    }
    ao->blocked_ns = ao->latency_ns = ao->wait_ns = ns;
    return 1;
}

char *cli__task_label(const tr_trace *tr, uint32_t id, char *buf, size_t n)
{
    char raw[1024];
    /* the library's words, escaped for a terminal (names are trace text) */
    return cli__esc(buf, n, tr_task_label(tr, id, raw, sizeof raw));
}

char *cli__dur(char *buf, size_t n, int64_t ns)
{
    return tr_fmt_dur(buf, n, ns);
}

int cli__opt_value(int argc, char **argv, int *i, const char *name,
                   const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

const char *cli__input_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "(stdin)" : path;
}

int cli__is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli__prog_args(const char *cmd, int argc, char **argv, cli_prog_opt opt, void *o,
                   void (*usage)(FILE *), const char *missing, int *code)
{
    int i, rc;
    *code = CLI_USAGE;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (cli__is_help(a)) {
            usage(stdout);
            *code = CLI_OK;
            return 0;
        }
        if ((rc = opt(o, argc, argv, &i)) < 0)
            return -1;
        if (rc > 0)
            continue;
        if (a[0] == '-' && a[1]) {
            cli__usage_error(cmd, "unknown option '%s'", a);
            return -1;
        }
        break; /* PROG without "--" */
    }
    if (i >= argc) {
        cli__usage_error(cmd, "%s", missing);
        return -1;
    }
    return i;
}

