/* bench/read/gen_trace.c: `gen_trace N OUT [TASKS]` writes a synthetic
 * trace of about N events to OUT, for bench_load and for trying the viewer
 * on a big file. */
#include <stdio.h>
#include <stdlib.h>

#include "gen.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen_trace N OUT [TASKS]\n");
        return 2;
    }
    unsigned long long n = strtoull(argv[1], NULL, 10);
    unsigned tasks = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 100;
    FILE *f = fopen(argv[2], "w");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    int rc = gen_trace(f, n, 1, tasks ? tasks : 1);
    if (fclose(f) != 0 || rc != 0) {
        fprintf(stderr, "gen_trace: write failed\n");
        return 1;
    }
    return 0;
}
