/* coscope/co.h: stackful coroutines on libuv, with tracing built in.
 *
 *     #include <coscope/co.h>
 *
 *     static void *worker(void *arg) {
 *         co_sleep(10);                       // this task waits, others run
 *         co_mark("slept, arg=%s", (char *)arg);
 *         return arg;
 *     }
 *     static void *main_task(void *arg) {
 *         co_task *t = co_spawn(worker, "hello", "worker");
 *         void *res;
 *         co_join(t, &res);                   // res == "hello"
 *         return NULL;
 *     }
 *     int main(void) { return co_main(main_task, NULL) == 0 ? 0 : 1; }
 *
 *     $ cc prog.c $(pkg-config --cflags --libs coscope)
 *     $ COSCOPE_TRACE=run.jsonl ./a.out && coscope stalls run.jsonl
 *
 * Tasks run one at a time on one thread (the loop thread); a task switches
 * out only inside a blocking call (co_yield, co_sleep, co_join, co_read, ...),
 * so between two such calls its code is atomic with respect to other tasks.
 *
 * Errors are negative numbers (libuv's, equal to -errno on Unix), returned,
 * never stored in a global: CO_EINVAL and friends below; co_strerror() names
 * them. Blocking calls are macros that pass the caller's __FILE__/__LINE__ to
 * the trace (the `at` of the wait); (co_sleep)(ms) calls the plain function.
 *
 * Replay (docs/replay.md): COSCOPE_REPLAY_LOG=path, with COSCOPE_TRACE, also
 * logs every input the runtime takes from the world (bytes read, accepts,
 * connects, lookups, timer / pool / signal wake-ups in the loop's order,
 * co_now's values); COSCOPE_REPLAY=path runs the program on such a log
 * instead of the world, on its recorded clock (`coscope replay` does both
 * and checks every event); COSCOPE_STOP_AT=N raises SIGTRAP right before
 * the loop's event N. What the program reads around the runtime
 * (time(), rand(), stdio) is not replayed: read co_now() instead.
 *
 * Environment: COSCOPE_TRACE=path records a trace; COSCOPE_STACK_KB sets the
 * task stack size (default 64, minimum 16). Each stack is an mmap with a
 * 256 KiB guard region below it (two kernel mappings; the guard costs
 * address space, no memory), so a stack overflow, even by one big frame
 * (char buf[128 * 1024]), is named: "coscope: stack overflow in task N
 * "name"", also the trace's last line. Build with -fstack-clash-protection
 * (coscope.pc adds it) so frames bigger still probe their pages in order
 * and hit the guard first. Linux's default vm.max_map_count of
 * 65530 caps live tasks near 32 000: raise it (sysctl) for more. A task
 * costs ~4.3 KiB of RSS while parked (measured: bench/runtime). */
#ifndef COSCOPE_CO_H
#define COSCOPE_CO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes: libuv's UV_E* values, which on Unix are -errno (runtime/misc.c
 * asserts each equals its UV_E* at compile time). */
#define CO_E2BIG (-E2BIG)
#define CO_EACCES (-EACCES)
#define CO_EADDRINUSE (-EADDRINUSE)
#define CO_EAGAIN (-EAGAIN)
#define CO_EBADF (-EBADF)
#define CO_EBUSY (-EBUSY)
#define CO_ECANCELED (-ECANCELED)
#define CO_ECONNREFUSED (-ECONNREFUSED)
#define CO_ECONNRESET (-ECONNRESET)
#define CO_EDEADLK (-EDEADLK) /* the runtime's own (co_main): libuv has none */
#define CO_EEXIST (-EEXIST)
#define CO_EINVAL (-EINVAL)
#define CO_EISDIR (-EISDIR)
#define CO_ENOTCONN (-ENOTCONN)
#define CO_ESRCH (-ESRCH)
#define CO_ENOENT (-ENOENT)
#define CO_ENOMEM (-ENOMEM)
#define CO_ENOSPC (-ENOSPC)
#define CO_EPIPE (-EPIPE)
#define CO_ETIMEDOUT (-ETIMEDOUT)
#define CO_EOF (-4095) /* UV_EOF: end of stream / closed channel drained */
#define CO_EAI_NONAME (-3008) /* UV_EAI_NONAME: no such host name */

typedef struct co_task co_task;
typedef struct co_tcp co_tcp;
typedef struct co_chan co_chan;
typedef struct co_mutex co_mutex;

typedef void *(*co_fn)(void *arg);

/* ---- tasks ---- */

/* Creates a fresh libuv loop, runs fn(arg) as the first task (id 1, named
 * "main") and returns once every task has ended and the loop has closed.
 * Starts tracing when COSCOPE_TRACE is set (and stops it on return).
 * Returns 0; CO_EINVAL if called from inside a task or fn is NULL;
 * CO_EDEADLK if tasks were still blocked when nothing could wake them (a
 * deadlock): each is reported on stderr (task, what it waits for, where)
 * and in the trace (`stuck`), then the deadlock policy decides (below).
 * The calling thread is not cancellable while co_main runs (a
 * pthread_cancel of it waits for the return, which restores its
 * cancellation state and type). */
int co_main(co_fn fn, void *arg);

/* The deadlock policy: what co_main does with tasks blocked forever.
 * CO_DEADLOCK_ABANDON (the default, as Go does): no stuck task runs again.
 *   Their waits are undone (they leave mutex and channel queues, their
 *   sockets are closed with the others), their stacks are unmapped and
 *   their co_task handles freed when co_main returns CO_EDEADLK, without
 *   running a line more of their code: what they held is leaked (a mutex
 *   they own stays owned, memory only they pointed to is never freed).
 * CO_DEADLOCK_CANCEL: they unwind. Each one's blocked call returns
 *   CO_EDEADLK, and so does every later blocking call it makes (traced as
 *   a wait of no length, like any refused call); co_cancelled() is
 *   non-zero. A task that keeps calling regardless (a retry loop) is
 *   stopped after 100 refused calls with a message and then abandoned as
 *   above; so is anything still stuck when the loop runs dry again. Tasks
 *   that unwind exit with status "cancelled" and their join gets NULL.
 * COSCOPE_DEADLOCK=abandon|cancel in the environment overrides this call.
 * Returns 0, CO_EINVAL for another value. */
typedef enum co_deadlock_policy {
    CO_DEADLOCK_ABANDON = 0,
    CO_DEADLOCK_CANCEL = 1
} co_deadlock_policy;
int co_set_deadlock_policy(co_deadlock_policy policy);

/* Creates a task that runs fn(arg); it becomes ready at once and runs when
 * the caller next blocks or yields. `name` is copied (NULL: "task").
 * Returns the task, or NULL when out of memory or called outside co_main.
 * The task's memory is kept until it is joined, or freed at its exit when
 * nobody holds it: call co_detach() if you never join. */
co_task *co_spawn_at(co_fn fn, void *arg, const char *name, const char *file,
                     int line);
co_task *co_spawn(co_fn fn, void *arg, const char *name);
#define co_spawn(f, a, n) co_spawn_at((f), (a), (n), __FILE__, __LINE__)

/* Waits for t to end; stores its return value in *result (if non-NULL;
 * NULL when t was cancelled) and releases t. Returns 0, CO_EINVAL for NULL,
 * CO_ECANCELED/CO_ETIMEDOUT when the caller is cancelled / past its
 * deadline, CO_EDEADLK when the caller was found deadlocked (under
 * CO_DEADLOCK_CANCEL; t is then not released). Fatal (see "Misuse"
 * below): joining itself, a detached task or one another task joins. */
int co_join_at(co_task *t, void **result, const char *file, int line);
int co_join(co_task *t, void **result);
#define co_join(t, r) co_join_at((t), (r), __FILE__, __LINE__)

/* Lets go of t: its memory is freed when it ends. t must not be used after. */
void co_detach(co_task *t);

/* Cancels t: its current blocking call (if any) and every later one returns
 * CO_ECANCELED; a task that never blocks again runs to its end. Returns 0,
 * CO_EINVAL for NULL or a task that has ended. Cancelling self is allowed. */
int co_cancel(co_task *t);
/* Non-zero once the current task has been cancelled. */
int co_cancelled(void);

/* Cancel shield, for cleanup that must finish (a last write, a close):
 * between co_shield_begin and co_shield_end, co_cancel does not end the
 * task's blocking calls; a cancel that arrives meanwhile is kept and the
 * first blocking call after the shield returns CO_ECANCELED. Deadlines
 * still apply (bound cleanup with co_deadline_push), and so does the
 * deadlock verdict. Shields nest. Both return 0, CO_EINVAL outside a task
 * (co_shield_end: or without a matching begin). */
int co_shield_begin(void);
int co_shield_end(void);

/* Lets every other ready task run once, then continues (FIFO). Outside a
 * task it does nothing. */
void co_yield_at(const char *file, int line);
void co_yield(void);
#define co_yield() co_yield_at(__FILE__, __LINE__)

/* Sleeps ms milliseconds, counted from the call even when the loop's
 * clock (co_now, read once per loop iteration) is behind: a task that
 * computed for 50 ms first still sleeps 40 ms in co_sleep(40). A libuv
 * timer. 0, or CO_ECANCELED/CO_ETIMEDOUT/CO_EDEADLK. */
int co_sleep_at(uint64_t ms, const char *file, int line);
int co_sleep(uint64_t ms);
#define co_sleep(ms) co_sleep_at((ms), __FILE__, __LINE__)

/* From now on, blocking calls of this task return CO_ETIMEDOUT once ms
 * milliseconds have passed: a call blocked at that moment is woken, one
 * made later is refused at once (traced as a wait of no length). This is
 * the rule for every blocking call in this header; a call past its
 * deadline leaves what a cancelled one leaves, said at each call. 0 clears
 * it. This sets the task's whole deadline: a helper that wants its own
 * must use co_deadline_push/pop instead, or it wipes its caller's.
 * Unlike co_sleep's, the ms count on co_now's clock, which a loop
 * iteration reads once (and a replay replays): set after a long stretch of
 * computing in one iteration, a deadline has that much less to run.
 * Returns 0, CO_EINVAL outside a task. */
int co_deadline(uint64_t ms);

/* Nested deadlines. co_deadline_push narrows the task's deadline to at most
 * ms from now (an outer deadline that comes sooner stays; ms 0 keeps the
 * outer one) and stores the outer deadline in *saved; co_deadline_pop(saved)
 * puts it back, so after the pop blocking calls time out again only when
 * the outer deadline has passed. Pops must match pushes, innermost first:
 *
 *     uint64_t outer;
 *     co_deadline_push(100, &outer);     // this query: 100 ms at most
 *     int rc = co_read(s, buf, n);       // CO_ETIMEDOUT after 100 ms
 *     co_deadline_pop(outer);            // the caller's deadline again
 *
 * Both return 0, CO_EINVAL outside a task (or saved NULL), CO_ENOMEM. */
int co_deadline_push(uint64_t ms, uint64_t *saved);
int co_deadline_pop(uint64_t saved);
/* Milliseconds left before the current task's deadline: -1 when it has
 * none (or outside a task), 0 once it has passed. */
int64_t co_deadline_left(void);

co_task *co_self(void);                 /* NULL outside a task */
uint64_t co_task_id(const co_task *t);  /* 0 for NULL */
const char *co_task_name(const co_task *t);

/* The loop's clock: milliseconds since co_main started, read once per loop
 * iteration (it does not move while a task runs without blocking, like
 * libuv's uv_now). Timers and deadlines run on it, and it is the clock a
 * replay controls: prefer it to clock_gettime in task code. 0 outside
 * co_main. */
uint64_t co_now(void);

/* Task-local storage, keyed by an address the program owns:
 *     static char request_id_key;
 *     co_local_set(&request_id_key, id, free);
 *     char *id = co_local_get(&request_id_key);
 * co_local_set stores value for the current task under key, replacing what
 * was there (without calling the old destructor); dtor (may be NULL) runs
 * on value when the task ends. 0, CO_EINVAL (NULL key, outside a task),
 * CO_ENOMEM. co_local_get: the value, NULL when unset or outside a task.
 * Tasks never see each other's values; spawned tasks start empty. */
int co_local_set(const void *key, void *value, void (*dtor)(void *value));
void *co_local_get(const void *key);

/* Renames t (copied; in the trace from now on: `rename`). 0, CO_EINVAL for
 * NULL or an ended task, CO_ENOMEM. */
int co_task_rename(co_task *t, const char *name);

/* Annotated spans: a request, a query, a phase, inside the current task.
 * co_span_begin opens one named `name` (copied into the trace, at most
 * 255 bytes) at the caller's place; co_span_end closes the innermost open
 * one. Spans nest; those still open when the task ends are closed at its
 * end. In the trace: `span_begin` (task, name, at) / `span_end` (task);
 * `coscope stats` counts them by name. Not blocking calls: no switch, no
 * cancellation. Both return 0, CO_EINVAL (outside a task, name NULL, or
 * co_span_end with none open). */
int co_span_begin_at(const char *name, const char *file, int line);
int co_span_begin(const char *name);
#define co_span_begin(n) co_span_begin_at((n), __FILE__, __LINE__)
int co_span_end(void);

/* A user annotation in the trace (`mark`), printf-style; at most 255 bytes. */
void co_mark(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- TCP (IPv4 and IPv6; literals or host names) ----
 * host is an IPv4 or IPv6 literal ("127.0.0.1", "::1") or a host name
 * ("localhost", "example.com"), resolved through libuv's getaddrinfo on the
 * thread pool: a blocking call, traced as an io wait with op "dns"
 * (io_begin / io_end, res the number of addresses) at the caller's place,
 * cancelled and timed out like the others (a lookup not yet started is
 * withdrawn; one already running on the pool runs to its end first). The
 * first address it gives is used. Name errors are libuv's EAI_* codes
 * (co_strerror names them). A call refused before it starts (cancelled,
 * past the deadline, CO_EDEADLK) is refused as its lookup when host is a
 * name (traced as a `dns` wait of no length), else as the call itself. */

/* Listens on host:port (port 0: any free port). Returns 0 and *out, or an
 * error (*out untouched): with a host name CO_ECANCELED/CO_ETIMEDOUT/
 * CO_EDEADLK from its lookup, else it never blocks. co_tcp_accept and
 * co_tcp_connect wait (0 and *out, or an error, *out untouched):
 * CO_ECANCELED/CO_ETIMEDOUT/CO_EDEADLK among them; a connect cancelled or
 * past its deadline closes the half-made connection. */
int co_tcp_listen_at(const char *host, int port, co_tcp **out,
                     const char *file, int line);
int co_tcp_listen(const char *host, int port, co_tcp **out);
#define co_tcp_listen(h, p, o) co_tcp_listen_at((h), (p), (o), __FILE__, __LINE__)
int co_tcp_port(const co_tcp *s); /* the bound local port, or an error */
int co_tcp_accept_at(co_tcp *server, co_tcp **out, const char *file, int line);
int co_tcp_accept(co_tcp *server, co_tcp **out);
#define co_tcp_accept(s, o) co_tcp_accept_at((s), (o), __FILE__, __LINE__)
int co_tcp_connect_at(const char *host, int port, co_tcp **out,
                      const char *file, int line);
int co_tcp_connect(const char *host, int port, co_tcp **out);
#define co_tcp_connect(h, p, o) co_tcp_connect_at((h), (p), (o), __FILE__, __LINE__)

/* Reads what is there, up to len: >0 bytes, 0 at EOF, <0 error (CO_EINVAL
 * for len 0, CO_EBUSY when another task reads s, CO_ECANCELED/
 * CO_ETIMEDOUT/CO_EDEADLK). A cancelled or timed-out read takes nothing
 * and leaves the connection usable. */
ssize_t co_read_at(co_tcp *s, void *buf, size_t len, const char *file, int line);
ssize_t co_read(co_tcp *s, void *buf, size_t len);
#define co_read(s, b, n) co_read_at((s), (b), (n), __FILE__, __LINE__)
/* Buffered reads. Each read they make is traced at the caller's place, as
 * a co_read there would be; cancellation and deadlines end them like
 * co_read, and the bytes they had read by then are not lost: the next read
 * of s (of any kind) gets them first. Bytes read past what they return are
 * kept the same way.
 * co_read_line: reads up to and including '\n' into buf and NUL-terminates
 *   it; returns the line's length (with its '\n'), fewer bytes without a
 *   '\n' when EOF came first (0: EOF at once), CO_E2BIG when cap - 1 bytes
 *   came with no '\n' (they stay to be read), CO_EINVAL (cap < 2, NULL),
 *   CO_ECANCELED/CO_ETIMEDOUT/CO_EDEADLK (the part of the line read so far
 *   stays to be read), or another error.
 * co_read_exact: reads exactly len bytes; returns len, fewer when EOF came
 *   first (0: at once), or an error (as co_read_line's). */
ssize_t co_read_line_at(co_tcp *s, char *buf, size_t cap, const char *file, int line);
ssize_t co_read_line(co_tcp *s, char *buf, size_t cap);
#define co_read_line(s, b, n) co_read_line_at((s), (b), (n), __FILE__, __LINE__)
ssize_t co_read_exact_at(co_tcp *s, void *buf, size_t len, const char *file, int line);
ssize_t co_read_exact(co_tcp *s, void *buf, size_t len);
#define co_read_exact(s, b, n) co_read_exact_at((s), (b), (n), __FILE__, __LINE__)

/* Writes all len bytes: returns len, or <0 (CO_ECANCELED/CO_ETIMEDOUT/
 * CO_EDEADLK among them). libuv cannot withdraw a write or a connect in
 * flight, so cancelling one, or its deadline, closes the connection
 * (later calls on it return CO_EBADF). Writing to a gone peer returns
 * CO_EPIPE or CO_ECONNRESET: SIGPIPE is ignored once the first socket is
 * made, unless the program installed its own handler. */
ssize_t co_write_at(co_tcp *s, const void *buf, size_t len, const char *file, int line);
ssize_t co_write(co_tcp *s, const void *buf, size_t len);
#define co_write(s, b, n) co_write_at((s), (b), (n), __FILE__, __LINE__)
/* Half-close: no more writes from our side (the peer reads EOF), reads go
 * on. Waits until the writes queued before it are out (uv_shutdown). 0,
 * CO_EINVAL (NULL), CO_EBADF (closing), CO_ENOTCONN, or another error.
 * libuv cannot withdraw a shutdown: cancelled or timed out, the call still
 * waits for it to finish, then returns CO_ECANCELED / CO_ETIMEDOUT.
 * Traced: io_begin / yield / io_end with op "shutdown". */
int co_shutdown_at(co_tcp *s, const char *file, int line);
int co_shutdown(co_tcp *s);
#define co_shutdown(s) co_shutdown_at((s), __FILE__, __LINE__)
/* The other end's / our end's address: the IP as text in host (n bytes;
 * host NULL: not wanted) and the port in *port (if port non-NULL). Not
 * blocking. 0, CO_EINVAL, CO_EBADF (co_close under way), CO_ENOTCONN (no
 * peer any more: the connection was reset), CO_ENOSPC (host too small);
 * on an error host and *port are left alone. */
int co_tcp_peer(co_tcp *s, char *host, size_t n, int *port);
int co_tcp_local(co_tcp *s, char *host, size_t n, int *port);
/* TCP_NODELAY (on: send small writes at once) and keepalive (probes after
 * delay_s idle seconds; delay_s ignored when off). 0, CO_EINVAL, CO_EBADF,
 * or the setsockopt error. */
int co_tcp_nodelay(co_tcp *s, int on);
int co_tcp_keepalive(co_tcp *s, int on, unsigned delay_s);
/* The connection's socket descriptor, for a socket option co.h has no
 * call for (getsockopt / setsockopt only: reading, writing or closing it
 * behind libuv's back breaks the connection). Not blocking. The fd, or
 * CO_EINVAL (NULL), CO_EBADF (closing). */
int co_tcp_fd(co_tcp *s);

/* Closes and frees s (waits for libuv's close callback); s is released
 * even when an error is returned. NULL: CO_EINVAL. Sockets still open when
 * co_main ends are closed and freed by it. */
int co_close_at(co_tcp *s, const char *file, int line);
int co_close(co_tcp *s);
#define co_close(s) co_close_at((s), __FILE__, __LINE__)

/* ---- UDP (IPv4 and IPv6 literals) ---- */
typedef struct co_udp co_udp;
/* Binds a UDP socket to host:port (port 0: any). 0 and *out, or an error.
 * An open socket nobody waits on does not keep co_main running. */
int co_udp_bind(const char *host, int port, co_udp **out);
int co_udp_port(const co_udp *u); /* the bound port, or an error */
/* Waits for one datagram: copies up to len bytes of it into buf (a longer
 * one is cut, as recvfrom does) and returns how many; the sender's IP in
 * from (n bytes; NULL: not wanted) and port in *port. CO_EINVAL, CO_EBUSY
 * (another task reads u), CO_ECANCELED/CO_ETIMEDOUT/CO_EDEADLK (nothing
 * taken: the datagram waits for the next receive). Datagrams that come
 * while nobody receives stay queued in the kernel. */
ssize_t co_udp_recv_at(co_udp *u, void *buf, size_t len, char *from, size_t n,
                       int *port, const char *file, int line);
ssize_t co_udp_recv(co_udp *u, void *buf, size_t len, char *from, size_t n, int *port);
#define co_udp_recv(u, b, l, f, n, p) co_udp_recv_at((u), (b), (l), (f), (n), (p), __FILE__, __LINE__)
/* Sends one datagram of len bytes to host:port: len, or an error. Waits
 * only when the kernel's buffer is full; libuv cannot withdraw a send, so
 * a cancelled or timed-out one waits for it to go, then returns
 * CO_ECANCELED / CO_ETIMEDOUT (a call refused before it sends sends
 * nothing: CO_ECANCELED/CO_ETIMEDOUT/CO_EDEADLK). */
ssize_t co_udp_send_at(co_udp *u, const void *buf, size_t len, const char *host,
                       int port, const char *file, int line);
ssize_t co_udp_send(co_udp *u, const void *buf, size_t len, const char *host, int port);
#define co_udp_send(u, b, l, h, p) co_udp_send_at((u), (b), (l), (h), (p), __FILE__, __LINE__)
/* Closes and frees u (not blocking). 0, CO_EINVAL. Fatal while a task
 * waits in co_udp_recv on it. */
int co_udp_close(co_udp *u);

/* ---- subprocesses (uv_spawn) ----
 *     char *argv[] = {"sort", NULL};
 *     co_proc_opts o = {.pipe_stdin = 1, .pipe_stdout = 1};
 *     co_proc *p; co_proc_spawn("sort", argv, &o, &p);
 *     co_fs_write(co_proc_fd(p, 0), "b\na\n", 4, -1);
 *     co_proc_close_fd(p, 0);                   // EOF for sort
 *     co_fs_read(co_proc_fd(p, 1), buf, n, -1); // "a\nb\n"
 *     int status; co_proc_wait(p, &status);     // 0
 *     co_proc_free(p);
 * Piped stdio gives the caller the pipe's other end as a descriptor
 * (0 stdin: we write; 1 stdout, 2 stderr: we read), used with co_fs_read /
 * co_fs_write on the thread pool; unpiped stdio is inherited. */
typedef struct co_proc_opts {
    int pipe_stdin, pipe_stdout, pipe_stderr;
    const char *const *env; /* NULL: ours */
    const char *cwd;        /* NULL: ours */
} co_proc_opts;
typedef struct co_proc co_proc;
/* Starts file (searched in PATH) with argv; not blocking (traced as an io
 * line, op "spawn", res the pid). 0 and *out, CO_EINVAL, CO_ENOENT (no
 * such program), or another error. o may be NULL. */
int co_proc_spawn(const char *file, char *const argv[], const co_proc_opts *o,
                  co_proc **out);
int co_proc_pid(const co_proc *p);
/* Our end of a piped stdio (0, 1, 2), CO_EBADF when not piped or closed. */
int co_proc_fd(const co_proc *p, int which);
int co_proc_close_fd(co_proc *p, int which); /* 0, CO_EINVAL */
/* Sends sig: 0, CO_ESRCH once it has exited. */
int co_proc_kill(co_proc *p, int sig);
/* Waits for the process to exit: 0 and *status (its exit code, or 128 + the
 * signal that killed it), at once when it has already. CO_EINVAL, CO_EBUSY
 * (another task waits), CO_ECANCELED/CO_ETIMEDOUT/CO_EDEADLK (it runs on:
 * wait again, or kill it). Traced: io wait op "proc_wait", io_end res the
 * status. */
int co_proc_wait_at(co_proc *p, int *status, const char *file, int line);
int co_proc_wait(co_proc *p, int *status);
#define co_proc_wait(p, s) co_proc_wait_at((p), (s), __FILE__, __LINE__)
/* Frees p, closing our pipe ends; a process still running is killed
 * (SIGKILL) first. NULL is a no-op. Fatal while a task waits for it. */
void co_proc_free(co_proc *p);

/* ---- files (libuv's thread-pool fs) ----
 * Each is a blocking call: fd (open), bytes (read, write: a short count is
 * possible, as with read(2)), 0 (close), or a negative errno. Cancelled
 * or past the task's deadline, a request the pool has not started is
 * withdrawn and the call returns CO_ECANCELED / CO_ETIMEDOUT at once (the
 * file untouched); one already running finishes first and its result is
 * dropped (an open that got through is closed again; a close always
 * closes). A call refused before it starts (cancelled, past the deadline,
 * CO_EDEADLK) does nothing. */
int co_fs_open_at(const char *path, int flags, int mode, const char *file, int line);
int co_fs_open(const char *path, int flags, int mode); /* fd or <0 */
#define co_fs_open(p, f, m) co_fs_open_at((p), (f), (m), __FILE__, __LINE__)
/* offset -1: the current file position. */
ssize_t co_fs_read_at(int fd, void *buf, size_t len, int64_t offset, const char *file, int line);
ssize_t co_fs_read(int fd, void *buf, size_t len, int64_t offset);
#define co_fs_read(d, b, n, o) co_fs_read_at((d), (b), (n), (o), __FILE__, __LINE__)
ssize_t co_fs_write_at(int fd, const void *buf, size_t len, int64_t offset, const char *file, int line);
ssize_t co_fs_write(int fd, const void *buf, size_t len, int64_t offset);
#define co_fs_write(d, b, n, o) co_fs_write_at((d), (b), (n), (o), __FILE__, __LINE__)
int co_fs_close_at(int fd, const char *file, int line);
int co_fs_close(int fd);
#define co_fs_close(d) co_fs_close_at((d), __FILE__, __LINE__)

/* The other file calls a server makes, on the thread pool like the above:
 * each a blocking call traced as an io wait (ops fs_stat, fs_rename,
 * fs_unlink, fs_mkdir, fs_fsync, fs_readdir) at the caller's place,
 * cancelled and timed out like co_fs_read (a request not yet started is
 * withdrawn; one running finishes first, its result dropped: a rename or
 * unlink may then have happened). Each returns 0 (co_fs_readdir: the entry
 * count) or a negative errno (CO_ENOENT, CO_EEXIST, ...), CO_EINVAL for
 * NULL, CO_ECANCELED/CO_ETIMEDOUT/CO_EDEADLK. */
typedef struct co_stat {
    uint64_t size, mode, ino;
    int64_t mtime_ns; /* since 1970 */
    int is_dir, is_file;
} co_stat;
int co_fs_stat_at(const char *path, co_stat *st, const char *file, int line);
int co_fs_stat(const char *path, co_stat *st);
#define co_fs_stat(p, s) co_fs_stat_at((p), (s), __FILE__, __LINE__)
int co_fs_rename_at(const char *from, const char *to, const char *file, int line);
int co_fs_rename(const char *from, const char *to);
#define co_fs_rename(f, t) co_fs_rename_at((f), (t), __FILE__, __LINE__)
int co_fs_unlink_at(const char *path, const char *file, int line);
int co_fs_unlink(const char *path);
#define co_fs_unlink(p) co_fs_unlink_at((p), __FILE__, __LINE__)
int co_fs_mkdir_at(const char *path, int mode, const char *file, int line);
int co_fs_mkdir(const char *path, int mode);
#define co_fs_mkdir(p, m) co_fs_mkdir_at((p), (m), __FILE__, __LINE__)
int co_fs_fsync_at(int fd, const char *file, int line);
int co_fs_fsync(int fd);
#define co_fs_fsync(d) co_fs_fsync_at((d), __FILE__, __LINE__)
/* Lists a directory (without "." and ".."), sorted by name: *out gets a
 * malloc'd array of the entries (free it with co_fs_dirents_free). */
typedef struct co_dirent {
    char *name;
    int is_dir;
} co_dirent;
int co_fs_readdir_at(const char *path, co_dirent **out, const char *file, int line);
int co_fs_readdir(const char *path, co_dirent **out);
#define co_fs_readdir(p, o) co_fs_readdir_at((p), (o), __FILE__, __LINE__)
void co_fs_dirents_free(co_dirent *v, size_t n);

/* Runs fn(arg) on libuv's thread pool while the loop serves other tasks;
 * returns when fn has returned (0), or CO_ECANCELED/CO_ETIMEDOUT if the
 * task was cancelled or passed its deadline before fn started (fn then
 * never runs; once started, fn runs to its end and the call waits for it
 * and returns 0), CO_EDEADLK (refused after the deadlock verdict). */
int co_run_blocking_at(void (*fn)(void *arg), void *arg, const char *name,
                       const char *file, int line);
int co_run_blocking(void (*fn)(void *arg), void *arg, const char *name);
#define co_run_blocking(f, a, n) co_run_blocking_at((f), (a), (n), __FILE__, __LINE__)

/* ---- channels ---- */

/* A channel of elem_size-byte elements; capacity 0 is a rendezvous (send
 * waits for a receiver). NULL on bad size or out of memory. */
co_chan *co_chan_new_at(size_t elem_size, size_t capacity, const char *file,
                        int line);
co_chan *co_chan_new(size_t elem_size, size_t capacity);
#define co_chan_new(e, c) co_chan_new_at((e), (c), __FILE__, __LINE__)
/* Names the channel in the trace (copied); returns c. */
co_chan *co_chan_name(co_chan *c, const char *name);
/* Copies *elem in; waits while full. 0, CO_EPIPE once closed,
 * CO_ECANCELED/CO_ETIMEDOUT, CO_EDEADLK (found deadlocked, under
 * CO_DEADLOCK_CANCEL); on an error nothing was sent. */
int co_chan_send_at(co_chan *c, const void *elem, const char *file, int line);
int co_chan_send(co_chan *c, const void *elem);
#define co_chan_send(c, e) co_chan_send_at((c), (e), __FILE__, __LINE__)
/* Copies an element out; waits while empty. 0, CO_EOF once closed and
 * drained, CO_ECANCELED/CO_ETIMEDOUT, CO_EDEADLK (found deadlocked, under
 * CO_DEADLOCK_CANCEL); on an error nothing was taken. */
int co_chan_recv_at(co_chan *c, void *elem, const char *file, int line);
int co_chan_recv(co_chan *c, void *elem);
#define co_chan_recv(c, e) co_chan_recv_at((c), (e), __FILE__, __LINE__)
/* Without waiting, so callable from the loop too: 0 done, CO_EAGAIN it
 * would have to wait (full / empty), CO_EPIPE closed (send), CO_EOF closed
 * and drained (recv), CO_EINVAL for NULL. Not a blocking call: never
 * cancelled, never traced as a wait. */
int co_chan_try_send(co_chan *c, const void *elem);
int co_chan_try_recv(co_chan *c, void *elem);

/* co_select: waits until one of n channel operations can go, does it and
 * returns its index. Cases are tried in order, so when several can go the
 * first one wins (deterministic, for replay). A case whose chan is NULL is
 * skipped. timeout_ms -1 waits as long as it takes; 0 never waits; > 0
 * returns n (the "timeout case") once that many ms passed with none done
 * (counted from the call, as co_sleep's).
 * Each case's err says how it went: 0, CO_EPIPE (send on a closed
 * channel), CO_EOF (recv on a closed, drained one) -- a closed channel
 * counts as "can go". Returns the index, n, CO_EINVAL (cases NULL, n 0 or
 * above 64, a bad op or elem), CO_ECANCELED / CO_ETIMEDOUT (the task's
 * deadline) / CO_EDEADLK, with no case done. Traced as one wait, why
 * "select", with ms when there is a timeout. */
enum { CO_SELECT_RECV = 0, CO_SELECT_SEND = 1 };
typedef struct co_select_case {
    co_chan *chan;
    int op;     /* CO_SELECT_RECV or CO_SELECT_SEND */
    void *elem; /* recv: where the element goes; send: the element */
    int err;    /* out */
} co_select_case;
int co_select_at(co_select_case *cases, size_t n, int64_t timeout_ms,
                 const char *file, int line);
int co_select(co_select_case *cases, size_t n, int64_t timeout_ms);
#define co_select(c, n, ms) co_select_at((c), (n), (ms), __FILE__, __LINE__)

/* Closes: waiting senders get CO_EPIPE, receivers drain then get CO_EOF. */
void co_chan_close(co_chan *c);
/* NULL is a no-op. Fatal: freeing a channel tasks wait on. */
void co_chan_free_at(co_chan *c, const char *file, int line);
void co_chan_free(co_chan *c);
#define co_chan_free(c) co_chan_free_at((c), __FILE__, __LINE__)

/* ---- mutexes (FIFO hand-off: unlock gives the lock to the oldest waiter) */
co_mutex *co_mutex_new_at(const char *file, int line);
co_mutex *co_mutex_new(void); /* NULL when out of memory */
#define co_mutex_new() co_mutex_new_at(__FILE__, __LINE__)
co_mutex *co_mutex_name(co_mutex *m, const char *name);
/* 0, CO_EINVAL (NULL), CO_ECANCELED/CO_ETIMEDOUT, CO_EDEADLK (found
 * deadlocked, under CO_DEADLOCK_CANCEL); on an error the caller does not
 * hold m. Fatal: locking a mutex the caller already holds (it would wait
 * on itself forever), or outside a task. */
int co_mutex_lock_at(co_mutex *m, const char *file, int line);
int co_mutex_lock(co_mutex *m);
#define co_mutex_lock(m) co_mutex_lock_at((m), __FILE__, __LINE__)
/* Takes m if nobody holds it, without waiting (never blocks, never
 * refused by cancellation): 0 (traced as `acquire`), CO_EBUSY when another
 * task holds it, CO_EINVAL when the caller does (or NULL, or outside a
 * task). */
int co_mutex_trylock(co_mutex *m);
/* Gives m up (to the oldest waiter, if any). Fatal: unlocking a mutex the
 * caller does not hold (or outside a task). */
void co_mutex_unlock_at(co_mutex *m, const char *file, int line);
void co_mutex_unlock(co_mutex *m);
#define co_mutex_unlock(m) co_mutex_unlock_at((m), __FILE__, __LINE__)
/* NULL is a no-op. Fatal: freeing a mutex tasks wait on. */
void co_mutex_free_at(co_mutex *m, const char *file, int line);
void co_mutex_free(co_mutex *m);
#define co_mutex_free(m) co_mutex_free_at((m), __FILE__, __LINE__)

/* ---- task groups (structured concurrency) ----
 *     co_group *g = co_group_new();
 *     for (...) co_group_spawn(g, handle, conn, "client");
 *     co_group_wait(g);           // every client has ended
 *     co_group_free(g);
 * The group owns its tasks: do not join or detach them (fatal); their
 * co_task handles are valid until they end. */
typedef struct co_group co_group;
co_group *co_group_new_at(const char *file, int line);
co_group *co_group_new(void); /* NULL when out of memory */
#define co_group_new() co_group_new_at(__FILE__, __LINE__)
co_group *co_group_name(co_group *g, const char *name); /* in the trace */
/* Spawns fn(arg) into g (as co_spawn; from the loop too). A task spawned
 * into a cancelled group starts cancelled. NULL on bad arguments, out of
 * memory or outside co_main. */
co_task *co_group_spawn_at(co_group *g, co_fn fn, void *arg, const char *name,
                           const char *file, int line);
co_task *co_group_spawn(co_group *g, co_fn fn, void *arg, const char *name);
#define co_group_spawn(g, f, a, n) co_group_spawn_at((g), (f), (a), (n), __FILE__, __LINE__)
/* Waits until every task of g has ended (0 at once when none is left).
 * When the caller is cancelled or passes its deadline while waiting, the
 * group is cancelled and the call still waits for the children to end
 * (shielded) before it returns CO_ECANCELED / CO_ETIMEDOUT: no child
 * outlives its scope, and cancellation reaches grandchildren through
 * their parents' groups. Returns 0, CO_EINVAL, CO_ECANCELED,
 * CO_ETIMEDOUT, CO_EDEADLK. Traced: a wait with why "group", obj the
 * group; woken with why "join" by the last child. Fatal: a task of g
 * waiting on g, or two tasks waiting on one group. */
int co_group_wait_at(co_group *g, const char *file, int line);
int co_group_wait(co_group *g);
#define co_group_wait(g) co_group_wait_at((g), __FILE__, __LINE__)
/* Cancels every task of g, and every task spawned into it later. 0,
 * CO_EINVAL. */
int co_group_cancel(co_group *g);
size_t co_group_size(const co_group *g); /* tasks not yet ended */
/* NULL is a no-op. Fatal: freeing a group with tasks. */
void co_group_free_at(co_group *g, const char *file, int line);
void co_group_free(co_group *g);
#define co_group_free(g) co_group_free_at((g), __FILE__, __LINE__)

/* ---- signals ----
 * For a graceful shutdown:
 *     co_signal_catch(SIGINT);              // from now on ^C is ours
 *     ...
 *     co_signal_wait(SIGINT);               // in the task that stops it all
 * co_signal_catch starts catching signum for the rest of co_main (its
 * default action, e.g. dying, no longer happens): an arrival wakes every
 * task in co_signal_wait(signum), or is kept (one, however many came) for
 * the next wait when none waits. co_signal_wait catches it too if that had
 * not begun. While a task waits for a signal it is waiting for the world:
 * not a deadlock. co_main stops catching when it returns.
 * co_signal_catch: 0, CO_EINVAL (outside co_main, a bad signal, SIGKILL,
 * SIGSTOP), CO_ENOMEM. co_signal_wait: signum, CO_EINVAL,
 * CO_ECANCELED/CO_ETIMEDOUT/CO_EDEADLK. Traced: a wait with why "signal"
 * and obj the signal number, woken with why "io" by 0 (the loop). */
int co_signal_catch(int signum);
int co_signal_wait_at(int signum, const char *file, int line);
int co_signal_wait(int signum);
#define co_signal_wait(s) co_signal_wait_at((s), __FILE__, __LINE__)

/* ---- hand-offs from other threads ----
 * A poster lets threads that are not the loop's (a library's callback
 * thread, a worker pool of the program's own) hand work to the loop:
 *     co_poster *p; co_poster_new(&p);        // in a task
 *     co_post(p, deliver, job);               // any thread, any time
 *     co_poster_close(p);                     // in a task, once no thread
 *                                             // will post again
 * Each fn(arg) runs on the loop thread, soon, in the order posted, outside
 * any task: it must not block (a blocking call there is fatal), and may
 * co_spawn, co_chan_try_send, co_sem_post, co_cond_signal, co_cancel...
 * (wake-ups it makes are traced with by 0, the loop). While a poster is
 * open, tasks waiting for what will be posted are not a deadlock: when
 * nothing else can wake them, co_main waits for a post. It still returns
 * once every task has ended; posters left open are then closed and what
 * they still queue is dropped. */
typedef struct co_poster co_poster;
/* 0 and *out, CO_EINVAL outside co_main or out NULL, CO_ENOMEM. */
int co_poster_new(co_poster **out);
/* Thread-safe. 0, CO_EINVAL (p or fn NULL), CO_ENOMEM, CO_EPIPE once
 * co_poster_close has begun (fn never runs). */
int co_post(co_poster *p, void (*fn)(void *arg), void *arg);
/* Runs what is still queued, then closes and frees p; no thread may use p
 * once this returns. 0, CO_EINVAL. */
int co_poster_close(co_poster *p);

/* ---- semaphores (FIFO hand-off, like mutexes) ---- */
typedef struct co_sem co_sem;
/* A semaphore holding `count` units. NULL when out of memory. */
co_sem *co_sem_new_at(uint64_t count, const char *file, int line);
co_sem *co_sem_new(uint64_t count);
#define co_sem_new(n) co_sem_new_at((n), __FILE__, __LINE__)
co_sem *co_sem_name(co_sem *s, const char *name); /* copied; returns s */
/* Takes a unit, waiting while there is none (or while others wait before
 * the caller). 0, CO_EINVAL for NULL, CO_ECANCELED/CO_ETIMEDOUT/
 * CO_EDEADLK (no unit taken). Traced: a wait with why "sem", obj. */
int co_sem_wait_at(co_sem *s, const char *file, int line);
int co_sem_wait(co_sem *s);
#define co_sem_wait(s) co_sem_wait_at((s), __FILE__, __LINE__)
/* Takes a unit without waiting: 0, CO_EAGAIN none left, CO_EINVAL. */
int co_sem_trywait(co_sem *s);
/* Gives a unit back: to the oldest waiter (woken with why "lock") or to
 * the count. Never blocks; callable from the loop. 0, CO_EINVAL. */
int co_sem_post(co_sem *s);
uint64_t co_sem_value(const co_sem *s); /* units left; 0 for NULL */
/* NULL is a no-op. Fatal: freeing a semaphore tasks wait on. */
void co_sem_free_at(co_sem *s, const char *file, int line);
void co_sem_free(co_sem *s);
#define co_sem_free(s) co_sem_free_at((s), __FILE__, __LINE__)

/* ---- condition variables ----
 * No mutex: task code between two blocking calls is atomic, so
 *     while (!ready) co_cond_wait(c);
 * cannot miss a co_cond_signal made between the test and the wait. */
typedef struct co_cond co_cond;
co_cond *co_cond_new_at(const char *file, int line);
co_cond *co_cond_new(void); /* NULL when out of memory */
#define co_cond_new() co_cond_new_at(__FILE__, __LINE__)
co_cond *co_cond_name(co_cond *c, const char *name);
/* Waits for a signal or broadcast made after the call (FIFO). 0,
 * CO_EINVAL, CO_ECANCELED/CO_ETIMEDOUT/CO_EDEADLK. Traced: a wait with why
 * "cond", obj; woken with why "chan". */
int co_cond_wait_at(co_cond *c, const char *file, int line);
int co_cond_wait(co_cond *c);
#define co_cond_wait(c) co_cond_wait_at((c), __FILE__, __LINE__)
/* Wake the oldest waiter / every waiter. Never block; callable from the
 * loop. Return how many were woken (0 or 1 / the count), CO_EINVAL. */
int co_cond_signal(co_cond *c);
int co_cond_broadcast(co_cond *c);
/* NULL is a no-op. Fatal: freeing a condition tasks wait on. */
void co_cond_free_at(co_cond *c, const char *file, int line);
void co_cond_free(co_cond *c);
#define co_cond_free(c) co_cond_free_at((c), __FILE__, __LINE__)

/* ---- misc ---- */
const char *co_strerror(int err);

/* Misuse. Some mistakes leave no sane way on (a mutex unlocked by a task
 * that does not hold it or locked again by one that does, a task joining
 * itself, a blocking call made outside a task, freeing an object tasks
 * wait on): the runtime prints
 *     coscope: fatal: task 2 "worker": co_mutex_unlock of mutex 1 "table",
 *     which it does not hold (held by task 3 "other"), at app.c:42
 * writes the same message as the trace's last line (`fatal`), and aborts.
 * Bad arguments (NULL handles, a zero length) are not misuse: they return
 * CO_EINVAL. */

/* Starts / stops tracing explicitly (COSCOPE_TRACE does it for co_main).
 * co_trace_start: 0 or a negative errno. */
int co_trace_start(const char *path);
int co_trace_stop(void);
/* Flight recorder (COSCOPE_FLIGHT=2s, or =64MB, with COSCOPE_TRACE=run.jsonl):
 * nothing is written while the program runs; this writes the last window
 * now as run.N.jsonl (also done on SIGUSR1, on a deadlock, and when the
 * loop is blocked past COSCOPE_FLIGHT_STALL, default 100ms). Returns N, or
 * a negative errno: CO_EINVAL when not in flight mode, -EBUSY within a
 * second of the last dump (see tr_rec_dump in coscope/tr_record.h). */
int co_trace_dump(void);

#ifdef __cplusplus
}
#endif
#endif
