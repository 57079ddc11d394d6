/* view_fixture.h: shared set-up for the viewer tests — load a golden trace
 * from tests/viewer/data into a model and a 1600x900 view state, a fake
 * text measurer (7 px per byte) and draw-list queries. */
#ifndef VIEW_FIXTURE_H
#define VIEW_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "test.h"
#include "vw_int.h"

static tr_trace *TR; /* the model borrows it */
static vw_model M;
static vw_state S;
static vw_drawlist DL;

static int fake_text_w(void *ctx, int font, const char *s)
{
    (void)ctx;
    (void)font;
    return 7 * (int)strlen(s);
}

static const vw_measure FAKE_MS = {fake_text_w, NULL, 15};

static inline void fx_open(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", name[0] == '/' ? "" : VIEW_DATA,
             name[0] == '/' ? "" : "/", name); /* an absolute path as it is */
    tr_trace *tr = NULL;
    tr_load_opts lo = TR_LOAD_OPTS_INIT;
    ASSERT_OK(tr_load(path, &lo, &tr));
    tr_analysis_opts ao = TR_ANALYSIS_OPTS_INIT;
    ASSERT_OK(tr_analyze(tr, &ao));
    TR = tr;
    ASSERT_OK(vw__model_init(&M, tr));
    ASSERT_OK(vw__state_init(&S, &M, 1600, 900));
    vw__dl_init(&DL);
}

static inline void fx_close(void)
{
    vw__state_close(&S);
    vw__model_close(&M);
    tr_free(TR);
    TR = NULL;
    vw__dl_close(&DL);
}

static inline void fx_layout(void)
{
    vw__layout(&DL, &S, &M, &FAKE_MS);
    ASSERT_EQ(DL.oom, 0);
}

/* The k-th command (0-based) with this kind and role, and task if nonzero. */
static inline const vw_cmd *fx_find(int kind, int role, uint32_t task, int k)
{
    for (size_t i = 0; i < DL.n; i++) {
        const vw_cmd *c = &DL.cmds[i];
        if (c->kind == kind && c->role == role && (!task || c->task == task))
            if (k-- == 0)
                return c;
    }
    return NULL;
}

static inline int fx_count(int kind, int role, uint32_t task)
{
    int n = 0;
    while (fx_find(kind, role, task, n))
        n++;
    return n;
}

#endif
