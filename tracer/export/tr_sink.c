/* tr_sink.c: the exporters' output stream. An export formats ~1.3 GB for a
 * 10 M-event trace; into a file, writing it costs three times the
 * formatting (the copy into the page cache, ~300 MB/s on the project's VM),
 * and done in turn the two add up. Here a thread of the sink's own writes
 * each filled buffer while the exporter fills the next, so the export takes
 * about as long as the slower of the two. Bytes reach the FILE in the order
 * they were handed over; without a thread (pthread_create failed) each
 * buffer is written at once, the same bytes. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tr_export_int.h"

#define NBUF 3 /* one filled by the exporter, one written, one spare */

int tr__sink_unthreaded;

struct tr__sink {
    FILE *f;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thr;
    int threaded;
    int stop;
    int failed;          /* a short fwrite: the rest is not written */
    char *buf[NBUF];     /* TR__SINK_CAP bytes each, used round robin */
    size_t len[NBUF];    /* bytes handed over, 0 while the buffer is free */
    unsigned head, tail; /* buffers handed over / written, counted forever */
};

static void write_out(tr__sink *s, const char *p, size_t n)
{
    /* ferror too: a stdio stream may report a write whose retry worked */
    if (!s->failed && n && (fwrite(p, 1, n, s->f) != n || ferror(s->f)))
        s->failed = 1;
}

static void *writer(void *arg)
{
    tr__sink *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->tail == s->head && !s->stop)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->tail == s->head)
            break;
        unsigned i = s->tail % NBUF;
        pthread_mutex_unlock(&s->mu);
        write_out(s, s->buf[i], s->len[i]);
        pthread_mutex_lock(&s->mu);
        s->len[i] = 0;
        s->tail++;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

tr__sink *tr__sink_new(FILE *f)
{
    tr__sink *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->f = f;
    for (int i = 0; i < NBUF; i++)
        if (!(s->buf[i] = malloc(TR__SINK_CAP)))
            goto fail;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        goto fail;
    }
    s->threaded = !tr__sink_unthreaded && pthread_create(&s->thr, NULL, writer, s) == 0;
    return s;
fail:
    for (int i = 0; i < NBUF; i++)
        free(s->buf[i]);
    free(s);
    return NULL;
}

char *tr__sink_next(tr__sink *s, size_t n)
{
    if (!s->threaded) {
        write_out(s, s->buf[0], n);
        return s->buf[0];
    }
    pthread_mutex_lock(&s->mu);
    if (n) {
        s->len[s->head % NBUF] = n;
        s->head++;
        pthread_cond_broadcast(&s->cv);
    }
    while (s->head - s->tail >= NBUF) /* every buffer handed over */
        pthread_cond_wait(&s->cv, &s->mu);
    char *b = s->buf[s->head % NBUF];
    pthread_mutex_unlock(&s->mu);
    return b;
}

void tr__sink_write(tr__sink *s, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        size_t k = n < TR__SINK_CAP ? n : TR__SINK_CAP;
        memcpy(tr__sink_next(s, 0), c, k);
        tr__sink_next(s, k);
        c += k;
        n -= k;
    }
}

int tr__sink_free(tr__sink *s)
{
    if (!s)
        return 0;
    if (s->threaded) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thr, NULL);
    }
    int rc = s->failed || fflush(s->f) != 0 || ferror(s->f) ? -EIO : 0;
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    for (int i = 0; i < NBUF; i++)
        free(s->buf[i]);
    free(s);
    return rc;
}
