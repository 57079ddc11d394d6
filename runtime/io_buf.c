/* runtime/io_buf.c: buffered reads over co_read: a line, or exactly n
 * bytes. They are macros like every blocking call, and each read they make
 * is traced at the caller's file:line, so a helper never hides where a
 * wait was made. Bytes read past what they return (or read before they
 * were cancelled) go back in front of the stream (co__tcp_unread): nothing
 * is lost between calls, whichever read comes next. */
#include "co_int.h"

#include <string.h>

ssize_t co_read_line_at(co_tcp *s, char *buf, size_t cap, const char *file,
                        int line)
{
    if (!s || !buf || cap < 2)
        return CO_EINVAL;
    size_t n = 0;
    while (n < cap - 1) {
        ssize_t r = co_read_at(s, buf + n, cap - 1 - n, file, line);
        if (r < 0) {
            int e = co__tcp_unread(s, buf, n); /* read again next time */
            return e ? e : r;
        }
        if (r == 0)
            break; /* EOF: what there is, without a '\n' */
        char *nl = memchr(buf + n, '\n', (size_t)r);
        n += (size_t)r;
        if (nl) {
            size_t used = (size_t)(nl - buf) + 1;
            int e = co__tcp_unread(s, buf + used, n - used);
            buf[used] = '\0';
            return e ? e : (ssize_t)used;
        }
    }
    if (n == cap - 1) { /* no '\n' in cap - 1 bytes: leave them to read */
        int e = co__tcp_unread(s, buf, n);
        return e ? e : CO_E2BIG;
    }
    buf[n] = '\0';
    return (ssize_t)n;
}

#undef co_read_line
ssize_t co_read_line(co_tcp *s, char *buf, size_t cap)
{
    return co_read_line_at(s, buf, cap, NULL, 0);
}

ssize_t co_read_exact_at(co_tcp *s, void *buf, size_t len, const char *file,
                         int line)
{
    if (!s || !buf || len == 0)
        return CO_EINVAL;
    size_t n = 0;
    while (n < len) {
        ssize_t r = co_read_at(s, (char *)buf + n, len - n, file, line);
        if (r < 0) {
            int e = co__tcp_unread(s, buf, n);
            return e ? e : r;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    return (ssize_t)n;
}

#undef co_read_exact
ssize_t co_read_exact(co_tcp *s, void *buf, size_t len)
{
    return co_read_exact_at(s, buf, len, NULL, 0);
}
