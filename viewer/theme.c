/* theme.c: the viewer's colours. One dark theme, chosen so that every task
 * state stays distinguishable on the dark lanes and the red of stalls is
 * used for nothing else. */
#include "vw_int.h"

const vw_rgba VW_C_BG = {0x14, 0x16, 0x1b, 255};
const vw_rgba VW_C_PANEL = {0x1c, 0x1f, 0x26, 255};
const vw_rgba VW_C_LANE_ALT = {0x19, 0x1c, 0x22, 255};
const vw_rgba VW_C_GRID = {0x2b, 0x30, 0x3a, 255};
const vw_rgba VW_C_TEXT = {0xdc, 0xe1, 0xea, 255};
const vw_rgba VW_C_TEXT_DIM = {0x8b, 0x94, 0xa5, 255};
const vw_rgba VW_C_ACCENT = {0x58, 0xa6, 0xff, 255};
const vw_rgba VW_C_PLAYHEAD = {0xff, 0xd3, 0x3d, 255};
const vw_rgba VW_C_STALL = {0xff, 0x4d, 0x4f, 255};
const vw_rgba VW_C_SELECT = {0xff, 0xff, 0xff, 255};
const vw_rgba VW_C_LOOP_BUSY = {0x2e, 0xa0, 0x43, 255};
const vw_rgba VW_C_LOOP_IDLE = {0x26, 0x2b, 0x33, 255};
const vw_rgba VW_C_WORK = {0xf0, 0x88, 0x3e, 255};
const vw_rgba VW_C_DIM = {0x0a, 0x0b, 0x0e, 150};
const vw_rgba VW_C_WAKE_IN = {0x79, 0xc0, 0xff, 255};
const vw_rgba VW_C_WAKE_OUT = {0xff, 0xa6, 0x57, 255};

static const vw_rgba running = {0x3f, 0xb9, 0x50, 255};
static const vw_rgba ready = {0xe3, 0xb3, 0x41, 255};
static const vw_rgba done = {0x2a, 0x2e, 0x36, 255};
static const vw_rgba waits[TR_WAIT__COUNT] = {
    [TR_WAIT_YIELD] = {0x8b, 0x94, 0x9e, 255},
    [TR_WAIT_IO] = {0x38, 0x8b, 0xfd, 255},
    [TR_WAIT_SLEEP] = {0x5a, 0x64, 0x78, 255},
    [TR_WAIT_JOIN] = {0x39, 0xc5, 0xcf, 255},
    [TR_WAIT_CHAN_SEND] = {0xa3, 0x71, 0xf7, 255},
    [TR_WAIT_CHAN_RECV] = {0xa3, 0x71, 0xf7, 255},
    [TR_WAIT_LOCK] = {0xdb, 0x61, 0xa2, 255},
    [TR_WAIT_EVENT] = {0x6e, 0x76, 0x81, 255},
    [TR_WAIT_WORK] = {0xf0, 0x88, 0x3e, 255},
    /* the newer waits, each near its family: select with the channels,
     * a semaphore with the lock, a group with join, a signal with sleep */
    [TR_WAIT_SELECT] = {0x89, 0x57, 0xe5, 255},
    [TR_WAIT_SEM] = {0xf7, 0x78, 0xba, 255},
    [TR_WAIT_COND] = {0x9e, 0x6a, 0x03, 255},
    [TR_WAIT_GROUP] = {0x1f, 0x9e, 0x89, 255},
    [TR_WAIT_SIGNAL] = {0x4c, 0x5a, 0x8a, 255},
};
_Static_assert(TR_WAIT__COUNT == 14, "a new wait kind needs its colour here");

vw_rgba vw__state_colour(int state, int why)
{
    switch (state) {
    case TR_ST_RUNNING:
        return running;
    case TR_ST_READY:
        return ready;
    case TR_ST_WAITING:
        return why >= 0 && why < TR_WAIT__COUNT ? waits[why]
                                                : waits[TR_WAIT_EVENT];
    default:
        return done;
    }
}

const char *vw__state_name(int state, int why)
{
    switch (state) {
    case TR_ST_RUNNING:
        return "running";
    case TR_ST_READY:
        return "ready";
    case TR_ST_WAITING:
        return why == TR_WAIT_CHAN_SEND || why == TR_WAIT_CHAN_RECV
                   ? "chan"
                   : tr_wait_name(why);
    default:
        return "done";
    }
}

vw_rgba vw__lerp(vw_rgba a, vw_rgba b, double f)
{
    if (!(f >= 0)) /* NaN too: a ratio of hostile times */
        f = 0;
    if (f > 1)
        f = 1;
    vw_rgba c = {(uint8_t)(a.r + (b.r - a.r) * f + 0.5),
                 (uint8_t)(a.g + (b.g - a.g) * f + 0.5),
                 (uint8_t)(a.b + (b.b - a.b) * f + 0.5),
                 (uint8_t)(a.a + (b.a - a.a) * f + 0.5)};
    return c;
}
