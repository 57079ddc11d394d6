/* tr_kinds.c: the token tables of the trace format (see coscope/tr_kinds.h).
 * One table per enum, indexed by value, so writing a name is an array load
 * and parsing one is a short linear scan over a handful of strings. */
#include "coscope/tr_kinds.h"

#include <string.h>

static const char *const ev_names[TR_EV__COUNT] = {
    "?",     "trace",    "spawn",   "ready",      "run",      "yield",
    "io_begin", "io_end", "work_begin", "work_end", "exit",   "obj",
    "acquire", "release", "mark",   "poll_begin", "poll_end", "end",
    "stuck", "io", "fatal", "halt",
    "stack", "span_begin", "span_end", "rename", "conn",
    "requeue", "io_wait", "io_wake",
};
static const char *const wake_names[TR_WAKE__COUNT] = {
    "spawn", "yield", "io", "timer", "join",
    "chan",  "lock",  "work", "cancel", "timeout",
};
static const char *const wait_names[TR_WAIT__COUNT] = {
    "yield", "io", "sleep", "join", "chan_send", "chan_recv", "lock", "event",
    "work", "select", "sem", "cond", "group", "signal",
};
static const char *const op_names[TR_OP__COUNT] = {
    "none",    "read",     "write",    "accept",   "connect", "close",
    "fs_open", "fs_read",  "fs_write", "fs_close", "dns",     "listen",
    "fs_stat", "fs_rename", "fs_unlink", "fs_mkdir", "fs_fsync", "fs_readdir",
    "shutdown", "udp_send", "udp_recv", "spawn", "proc_wait",
};
static const char *const status_names[TR_STATUS__COUNT] = {
    "ok", "error", "cancelled",
};
static const char *const objkind_names[TR_OBJ__COUNT] = {"mutex", "chan", "sem",
                                                           "cond", "group"};

static const char *name_of(const char *const *names, int n, int v)
{
    return v >= 0 && v < n ? names[v] : "?";
}

static int parse_of(const char *const *names, int n, const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

const char *tr_ev_name(int v) { return name_of(ev_names, TR_EV__COUNT, v); }
const char *tr_wake_name(int v) { return name_of(wake_names, TR_WAKE__COUNT, v); }
const char *tr_wait_name(int v) { return name_of(wait_names, TR_WAIT__COUNT, v); }
const char *tr_op_name(int v) { return name_of(op_names, TR_OP__COUNT, v); }
const char *tr_status_name(int v) { return name_of(status_names, TR_STATUS__COUNT, v); }
const char *tr_objkind_name(int v) { return name_of(objkind_names, TR_OBJ__COUNT, v); }

int tr_ev_parse(const char *s)
{
    int v = parse_of(ev_names, TR_EV__COUNT, s);
    return v == 0 ? -1 : v; /* "?" is not a token */
}
int tr_wake_parse(const char *s) { return parse_of(wake_names, TR_WAKE__COUNT, s); }
int tr_wait_parse(const char *s) { return parse_of(wait_names, TR_WAIT__COUNT, s); }
int tr_op_parse(const char *s) { return parse_of(op_names, TR_OP__COUNT, s); }
int tr_status_parse(const char *s) { return parse_of(status_names, TR_STATUS__COUNT, s); }
int tr_objkind_parse(const char *s) { return parse_of(objkind_names, TR_OBJ__COUNT, s); }
