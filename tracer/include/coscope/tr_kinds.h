/* coscope/tr_kinds.h: the vocabulary of trace format v1 as C enums.
 * Shared by the runtime (which emits), the writer (which prints the names),
 * the reader (which parses them back) and the viewer. The string of each
 * value is the exact token in the JSON Lines trace; see docs/trace-format.md.
 * Append new values at the end of a list, never renumber. */
#ifndef COSCOPE_TR_KINDS_H
#define COSCOPE_TR_KINDS_H

/* "ev": the kind of a line. */
typedef enum tr_ev {
    TR_EV_NONE = 0,
    TR_EV_TRACE,      /* the header line */
    TR_EV_SPAWN,      /* task, parent, name, at? */
    TR_EV_READY,      /* task, by, why (tr_wake) */
    TR_EV_RUN,        /* task */
    TR_EV_YIELD,      /* task, why (tr_wait), obj?, op?, fd?, ms?, at? */
    TR_EV_IO_BEGIN,   /* task, op, fd?, bytes? */
    TR_EV_IO_END,     /* task, op, res | err */
    TR_EV_WORK_BEGIN, /* task, thread, name */
    TR_EV_WORK_END,   /* task, thread, name */
    TR_EV_EXIT,       /* task, status, code? */
    TR_EV_OBJ,        /* obj, kind, cap?, name?, at? */
    TR_EV_ACQUIRE,    /* task, obj */
    TR_EV_RELEASE,    /* task, obj */
    TR_EV_MARK,       /* task, msg */
    TR_EV_POLL_BEGIN, /* (no task) */
    TR_EV_POLL_END,   /* events? */
    TR_EV_END,        /* events, dropped */
    TR_EV_STUCK,      /* task: the runtime found it blocked forever (the
                         loop ran dry) and is about to cancel it */
    TR_EV_IO,         /* task, op, fd?, bytes?, res | err: an I/O request
                         that completed at once, without the task waiting
                         (one line instead of io_begin + io_end) */
    TR_EV_FATAL,      /* task, msg, at?: the runtime aborts on a misuse; the
                         trace's last line */
    TR_EV_HALT,       /* signal? | code?: the run ended without
                         tr_rec_stop (killed by a signal, or exit()); the
                         trace's last line */
    TR_EV_STACK,      /* stack, pcs: a caller chain, written once before the
                         first spawn / yield that refers to it by id */
    TR_EV_SPAN_BEGIN, /* task, name, at?: a span the program annotated
                         (co_span_begin) opens in the task; spans nest */
    TR_EV_SPAN_END,   /* task: the task's innermost open span closes */
    TR_EV_RENAME,     /* task, name: the task is called name from here */
    TR_EV_CONN,       /* task, fd, local, peer: a TCP connection came up
                         (connect or accept); the reader pairs the two ends
                         of a connection inside the process */
    /* Format v2's folded lines: each stands for two v1 events at one t; the
       reader expands them, so a loaded trace never holds these kinds. */
    TR_EV_REQUEUE,    /* task, at?, stack?: co_yield: yield (why yield) +
                         ready (by itself, why yield) */
    TR_EV_IO_WAIT,    /* task, op, fd?, bytes?, ms?, at?, stack?: io_begin +
                         yield (why io) */
    TR_EV_IO_WAKE,    /* task, op, res | err: io_end + ready (by 0, why io) */
    TR_EV__COUNT
} tr_ev;

/* "why" of a ready line: what made the task runnable. */
typedef enum tr_wake {
    TR_WAKE_SPAWN = 0,
    TR_WAKE_YIELD,
    TR_WAKE_IO,
    TR_WAKE_TIMER,
    TR_WAKE_JOIN,
    TR_WAKE_CHAN,
    TR_WAKE_LOCK,
    TR_WAKE_WORK,
    TR_WAKE_CANCEL,
    TR_WAKE_TIMEOUT,
    TR_WAKE__COUNT
} tr_wake;

/* "why" of a yield line: what the task waits for while switched out. */
typedef enum tr_wait {
    TR_WAIT_YIELD = 0, /* co_yield: ready again at once */
    TR_WAIT_IO,
    TR_WAIT_SLEEP,
    TR_WAIT_JOIN,
    TR_WAIT_CHAN_SEND,
    TR_WAIT_CHAN_RECV,
    TR_WAIT_LOCK,
    TR_WAIT_EVENT,
    TR_WAIT_WORK,
    TR_WAIT_SELECT, /* co_select: one of several channel operations */
    TR_WAIT_SEM,    /* a semaphore (obj) */
    TR_WAIT_COND,   /* a condition / event (obj) */
    TR_WAIT_GROUP,  /* a task group's children (obj) */
    TR_WAIT_SIGNAL, /* a POSIX signal (co_signal_wait) */
    TR_WAIT__COUNT
} tr_wait;

/* "op" of io_begin / io_end (and of a yield with why io). */
typedef enum tr_op {
    TR_OP_NONE = 0,
    TR_OP_READ,
    TR_OP_WRITE,
    TR_OP_ACCEPT,
    TR_OP_CONNECT,
    TR_OP_CLOSE,
    TR_OP_FS_OPEN,
    TR_OP_FS_READ,
    TR_OP_FS_WRITE,
    TR_OP_FS_CLOSE,
    TR_OP_DNS,
    TR_OP_LISTEN,
    TR_OP_FS_STAT,
    TR_OP_FS_RENAME,
    TR_OP_FS_UNLINK,
    TR_OP_FS_MKDIR,
    TR_OP_FS_FSYNC,
    TR_OP_FS_READDIR,
    TR_OP_SHUTDOWN,
    TR_OP_UDP_SEND,
    TR_OP_UDP_RECV,
    TR_OP_SPAWN,     /* a subprocess started (res: its pid) */
    TR_OP_PROC_WAIT, /* waiting for a subprocess to exit (res: status) */
    TR_OP__COUNT
} tr_op;

/* "status" of an exit line. */
typedef enum tr_status {
    TR_STATUS_OK = 0,
    TR_STATUS_ERROR,
    TR_STATUS_CANCELLED,
    TR_STATUS__COUNT
} tr_status;

/* "kind" of an obj line. */
typedef enum tr_objkind {
    TR_OBJ_MUTEX = 0,
    TR_OBJ_CHAN,
    TR_OBJ_SEM,
    TR_OBJ_COND,
    TR_OBJ_GROUP,
    TR_OBJ__COUNT
} tr_objkind;

/* Token <-> value. The *_name functions return "?" for an out-of-range value;
 * the *_parse functions return the value, or -1 for an unknown token. */
const char *tr_ev_name(int ev);
const char *tr_wake_name(int why);
const char *tr_wait_name(int why);
const char *tr_op_name(int op);
const char *tr_status_name(int status);
const char *tr_objkind_name(int kind);
int tr_ev_parse(const char *s);
int tr_wake_parse(const char *s);
int tr_wait_parse(const char *s);
int tr_op_parse(const char *s);
int tr_status_parse(const char *s);
int tr_objkind_parse(const char *s);

/* Field names: the keys of a trace line, each spelled once, here. As
 * string literals (TR_FIELD_TASK) the recorder pastes them into constant
 * key strings at compile time; as the enum tr_field (TR_FLD_TASK, in the order
 * of TR_FIELDS) the reader matches keys with tr_field_parse. Append new
 * fields at the end of TR_FIELDS (the reader keeps them in a 64-bit set). */
#define TR_FIELD_T "t"
#define TR_FIELD_EV "ev"
#define TR_FIELD_TASK "task"
#define TR_FIELD_PARENT "parent"
#define TR_FIELD_NAME "name"
#define TR_FIELD_AT "at"
#define TR_FIELD_BY "by"
#define TR_FIELD_WHY "why"
#define TR_FIELD_OBJ "obj"
#define TR_FIELD_OP "op"
#define TR_FIELD_FD "fd"
#define TR_FIELD_MS "ms"
#define TR_FIELD_BYTES "bytes"
#define TR_FIELD_RES "res"
#define TR_FIELD_ERR "err"
#define TR_FIELD_THREAD "thread"
#define TR_FIELD_STATUS "status"
#define TR_FIELD_CODE "code"
#define TR_FIELD_KIND "kind"
#define TR_FIELD_CAP "cap"
#define TR_FIELD_MSG "msg"
#define TR_FIELD_EVENTS "events"
#define TR_FIELD_DROPPED "dropped"
#define TR_FIELD_FORMAT "format"
#define TR_FIELD_VERSION "version"
#define TR_FIELD_PROGRAM "program"
#define TR_FIELD_PID "pid"
#define TR_FIELD_CLOCK "clock"
#define TR_FIELD_UNIX_NS "unix_ns"
#define TR_FIELD_SIGNAL "signal"
#define TR_FIELD_STACK "stack"
#define TR_FIELD_PCS "pcs"
#define TR_FIELD_CPU "cpu"
#define TR_FIELD_RUNQ "runq"
#define TR_FIELD_STOPS "stops"
#define TR_FIELD_MODULES "modules"
#define TR_FIELD_LOCAL "local" /* conn */
#define TR_FIELD_PEER "peer"   /* conn */
#define TR_FIELD_SEED "seed"   /* header: COSCOPE_SEED of the schedule */
#define TR_FIELD_NEXT "next"   /* v2: the task the scheduler switched into */

#define TR_FIELDS(X)                                                           \
    X(T) X(EV) X(TASK) X(PARENT) X(NAME) X(AT) X(BY) X(WHY) X(OBJ) X(OP)       \
    X(FD) X(MS) X(BYTES) X(RES) X(ERR) X(THREAD) X(STATUS) X(CODE) X(KIND)     \
    X(CAP) X(MSG) X(EVENTS) X(DROPPED) X(FORMAT) X(VERSION) X(PROGRAM) X(PID)  \
    X(CLOCK) X(UNIX_NS) X(SIGNAL) X(STACK) X(PCS) X(CPU) X(RUNQ) X(STOPS)      \
    X(MODULES) X(LOCAL) X(PEER) X(SEED) X(NEXT)

typedef enum tr_field {
#define TR__FIELD_ENUM(f) TR_FLD_##f,
    TR_FIELDS(TR__FIELD_ENUM)
#undef TR__FIELD_ENUM
    TR_FLD__COUNT
} tr_field;

/* The key of field f ("?" when out of range), and the field of key k (-1
 * when it is not one). tr_field_parse is fast (the reader calls it for
 * every key of every line) and thread-safe. */
const char *tr_field_name(int f);
int tr_field_parse(const char *k);

#endif
