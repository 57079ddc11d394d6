/* coscope/tr_args.h: the command-line vocabulary every coscope program
 * shares (the CLI's subcommands and the viewer), so an option means the
 * same thing wherever it is given. A task is given back as the tools print
 * it (tr_task_label's "name (id)", trace.h).
 *
 *     int64_t ns;
 *     if (tr_parse_dur("1.5ms", &ns) == 0) ...        // 1500000
 *     uint32_t id;
 *     if (tr_parse_task(tr, "fetch (3)", &id) == 0) ...  // 3
 *     unsigned kinds;
 *     if (tr_parse_stall_kinds("blocked,wait", &kinds) == 0) ...
 */
#ifndef COSCOPE_TR_ARGS_H
#define COSCOPE_TR_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "coscope/trace.h"

/* Parses a duration: decimal digits with an optional fraction, then a unit
 * with no space: "300ns", "250us" (or "250µs"), "1.5ms", "2s". A bare
 * number is milliseconds, for every option of every command ("20" is
 * 20 ms). Exact: integer arithmetic, fractions below a nanosecond are
 * dropped. No sign, no exponent, no spaces. Returns 0 with *ns set,
 * -EINVAL when s is NULL or not of that shape, -ERANGE when the value does
 * not fit in int64_t nanoseconds (*ns untouched on error). */
int tr_parse_dur(const char *s, int64_t *ns);

/* A task as a user gives it on a command line: its id ("3"), its label as
 * the tools print it ("fetch (3)"), or a name that exactly one task has
 * ("fetch"). Returns 0 with *id set, -ENOENT when no task matches (an id
 * with no task, a label whose name is not that task's), -EEXIST when
 * several tasks have that name (give the id), -EINVAL for NULL or "". */
int tr_parse_task(const tr_trace *tr, const char *s, uint32_t *id);

/* A comma-separated list of stall kinds as tr_stall_kind_name spells them
 * ("blocked,latency"): 0 with a bit (1u << kind) per kind in *mask, or
 * -EINVAL for NULL, an empty list, an empty or unknown kind (one trailing
 * comma is allowed; *mask is then unspecified). */
int tr_parse_stall_kinds(const char *list, unsigned *mask);

#endif
