/* cli_misc.c: the small subcommands — `validate` (load and report) and
 * `export --chrome` / `--perfetto` (through tr_export_chrome / _perfetto). */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "coscope/tr_export.h"

static void validate_usage(FILE *f)
{
    fputs("usage: coscope validate FILE\n"
          "\n"
          "Loads and checks a trace. Prints \"FILE: ok, N events, M tasks, "
          "DURATION\"\n"
          "or the first error (\"FILE:LINE: what was expected\"); warnings "
          "(truncated\n"
          "trace, unknown kinds or fields) go to stderr and do not fail it.\n"
          "\n"
          "exit: 0 valid, 1 invalid or unreadable, 2 usage\n",
          f);
}

int cli__validate(int argc, char **argv)
{
    const char *path = NULL;
    tr_trace *tr = NULL;
    char dur[32];

    for (int i = 1; i < argc; i++) {
        if (cli__is_help(argv[i])) {
            validate_usage(stdout);
            return CLI_OK;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli__usage_error("validate", "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli__usage_error("validate", "unexpected argument '%s'",
                                    argv[i]);
        }
    }
    if (!path)
        return cli__usage_error("validate", "missing FILE");
    if (cli__load(path, &tr) != CLI_OK)
        return CLI_BAD;
    const tr_header *h = tr_head(tr);
    printf("%s: ok, %zu events, %zu tasks, %s", cli__input_name(path),
           tr_nevents(tr), tr_ntasks(tr), cli__dur(dur, sizeof dur, h->duration));
    if (h->truncated)
        printf(", truncated");
    if (h->end_dropped)
        printf(", %" PRIu64 " events dropped by the recorder", h->end_dropped);
    if (tr_nwarnings(tr))
        printf(", %zu warning%s", tr_nwarnings(tr),
               tr_nwarnings(tr) == 1 ? "" : "s");
    printf("\n");
    tr_free(tr);
    return CLI_OK;
}

static void export_usage(FILE *f)
{
    fputs("usage: coscope export FILE --chrome|--perfetto [-o OUT] [--threshold MS]\n"
          "\n"
          "Writes the trace as Chrome Trace Event JSON, for Perfetto "
          "(ui.perfetto.dev)\n"
          "and chrome://tracing: a track per task with run / ready / wait "
          "slices,\n"
          "the loop's busy / idle track, thread-pool tracks, marks, "
          "wake-ups as\n"
          "flow arrows, and each stall `coscope stalls` finds as an instant "
          "event\n"
          "(category \"stall\") on its task's track, saying why.\n"
          "\n"
          "options:\n"
          "  --chrome       Chrome Trace Event JSON (Perfetto, chrome://tracing,\n"
          "                 Chrome DevTools, speedscope)\n"
          "  --perfetto     Perfetto's native protobuf trace (run.pftrace): the\n"
          "                 same tracks, slices, flows and instants, about 2.8x\n"
          "                 smaller than the JSON and about as fast to write\n"
          "                 (docs/benchmarks.md has the figures)\n"
          "  -o, --output   output file; default or \"-\": standard output\n"
          "  --threshold MS stall threshold, as for `coscope stalls` "
          "(default 20ms)\n"
          "\n"
          "exit: 0 ok, 1 bad trace or write error, 2 usage\n",
          f);
}

int cli__export(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *val;
    int chrome = 0, perfetto = 0, rc;
    tr_trace *tr = NULL;
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    FILE *f;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli__is_help(a)) {
            export_usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--chrome") == 0) {
            chrome = 1;
        } else if (strcmp(a, "--perfetto") == 0) {
            perfetto = 1;
        } else if ((rc = cli__opt_value(argc, argv, &i, "-o", &val)) != 0 ||
                   (rc = cli__opt_value(argc, argv, &i, "--output", &val)) !=
                       0) {
            if (rc < 0 || !*val)
                return cli__usage_error("export", "-o needs a file name");
            out = val;
        } else if ((rc = cli__opt_threshold(argc, argv, &i, "export", &ao)) != 0) {
            if (rc < 0)
                return CLI_USAGE;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli__usage_error("export", "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else {
            return cli__usage_error("export", "unexpected argument '%s'", a);
        }
    }
    if (!path)
        return cli__usage_error("export", "missing FILE");
    if (chrome == perfetto)
        return cli__usage_error("export", "say which format: --chrome or --perfetto");

    if (cli__load_analyzed(path, &ao, &tr) != CLI_OK)
        return CLI_BAD;
    if (!out || strcmp(out, "-") == 0) {
        f = stdout;
    } else if (!(f = fopen(out, "w"))) {
        fprintf(stderr, "coscope: %s: %s\n", out, strerror(errno));
        tr_free(tr);
        return CLI_BAD;
    }
    rc = chrome ? tr_export_chrome(tr, f) : tr_export_perfetto(tr, f);
    if (f != stdout && fclose(f) != 0 && rc == 0)
        rc = -EIO;
    tr_free(tr);
    if (rc != 0) {
        fprintf(stderr, "coscope: %s: %s\n", out ? out : "stdout",
                strerror(-rc));
        return CLI_BAD;
    }
    return CLI_OK;
}
