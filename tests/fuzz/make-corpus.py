#!/usr/bin/env python3
"""tests/fuzz/make-corpus.py: (re)writes the seed corpus in corpus/.

Copies the sample traces (traces/*.jsonl but demo.*, cut below 200 KB at a
line end) and the hand-written test data, then writes the hand-made nasty
inputs below (files named found_* are inputs the fuzzers found: kept as they
are): one file per oddity, so a fuzzer or the corpus test that
trips names what it tripped on. Run from anywhere; the output is checked in
(tests/fuzz/test_corpus.c asserts how many files load and how many fail, so
update its counts after running this)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")
MAX = 200_000 - 1

H = ('{"ev":"trace","format":"coscope","version":1,"program":"nasty","pid":7,'
     '"clock":"monotonic","unix_ns":1763762400000000000}\n')
PRE = ('{"t":0,"ev":"spawn","task":1,"parent":0,"name":"main","at":"m.c:1"}\n'
       '{"t":0,"ev":"ready","task":1,"by":0,"why":"spawn"}\n'
       '{"t":1,"ev":"run","task":1}\n')
POST = ('{"t":20,"ev":"exit","task":1,"status":"ok"}\n'
        '{"t":30,"ev":"end","events":6,"dropped":0}\n')

files = {}


def put(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    assert len(data) <= MAX, name
    assert name not in files, name
    files[name] = data


def trace(body, pre=PRE, post=POST):
    return H + pre + body + post


def copy_inputs():
    tdir = os.path.join(ROOT, "traces")
    for f in sorted(os.listdir(tdir)):
        if not f.endswith(".jsonl") or f.startswith("demo."):
            continue
        data = open(os.path.join(tdir, f), "rb").read()
        if len(data) > MAX:  # keep whole lines: it loads, cut short
            data = data[: data.rindex(b"\n", 0, MAX) + 1]
        put("sample_" + f, data)
    for area in ("read", "cli", "viewer"):
        ddir = os.path.join(ROOT, "tests", area, "data")
        for f in sorted(os.listdir(ddir)):
            put(area + "_" + f, open(os.path.join(ddir, f), "rb").read())


# ---- every event kind, every field, wrong types ----
# (kind, line template with {field} slots filled from `vals`)
KINDS = {
    "spawn": {"task": 2, "parent": 1, "name": '"w"', "at": '"w.c:1"'},
    "ready": {"task": 1, "by": 0, "why": '"yield"'},
    "run": {"task": 1},
    "yield": {"task": 1, "why": '"io"', "obj": 3, "op": '"read"', "fd": 4, "ms": 5,
              "at": '"w.c:2"'},
    "io_begin": {"task": 1, "op": '"read"', "fd": 4, "bytes": 10},
    "io_end": {"task": 1, "op": '"read"', "res": 3},
    "io_end_err": {"task": 1, "op": '"read"', "err": '"ECONNRESET"'},
    "work_begin": {"task": 1, "thread": 1, "name": '"fib"'},
    "work_end": {"task": 1, "thread": 1, "name": '"fib"'},
    "exit": {"task": 1, "status": '"ok"', "code": 0},
    "obj": {"obj": 1, "kind": '"mutex"', "cap": 0, "name": '"m"', "at": '"w.c:3"'},
    "acquire": {"task": 1, "obj": 1},
    "release": {"task": 1, "obj": 1},
    "mark": {"task": 1, "msg": '"hi"'},
    "poll_begin": {},
    "poll_end": {"events": 1},
    "end": {"events": 5, "dropped": 0},
    "stuck": {"task": 1},
}
ENUMS = {"why", "op", "status", "kind"}


def line(kind, fields, t="10"):
    ev = kind.replace("_err", "")
    parts = ['"t":' + t, '"ev":"%s"' % ev] if t is not None else ['"ev":"%s"' % ev]
    parts += ['"%s":%s' % (k, v) for k, v in fields.items()]
    return "{" + ",".join(parts) + "}\n"


def wrong_types():
    for kind, fields in KINDS.items():
        base = {k: str(v) for k, v in fields.items()}
        put("kind_%s_ok.jsonl" % kind, trace(line(kind, base)))
        for fld, v in list(base.items()) + [("t", "10")]:
            if fld in ENUMS:
                bad = {"num": "7", "unknown": '"banana"', "empty": '""'}
            elif v.startswith('"'):
                bad = {"num": "7", "null": "null", "object": '{"a":1}'}
            else:
                bad = {"string": '"7"', "float": "1.5", "array": "[1]"}
            for what, b in bad.items():
                if fld == "t":
                    body = line(kind, base, t=b)
                else:
                    body = line(kind, dict(base, **{fld: b}))
                put("type_%s_%s_%s.jsonl" % (kind, fld, what), trace(body))
            if fld == "t":
                body = line(kind, base, t=None)
            else:
                body = line(kind, {k: x for k, x in base.items() if k != fld})
            put("type_%s_%s_missing.jsonl" % (kind, fld), trace(body))
    hdr = {"format": '"coscope"', "version": "1", "program": '"p"', "pid": "1",
           "clock": '"monotonic"', "unix_ns": "5"}
    for fld in hdr:
        for what, b in {"num": "7", "string": '"1"', "null": "null"}.items():
            h = "{" + ",".join(['"ev":"trace"'] + ['"%s":%s' % (k, b if k == fld else v)
                                                   for k, v in hdr.items()]) + "}\n"
            put("header_%s_%s.jsonl" % (fld, what), h + PRE + POST)
        h = "{" + ",".join(['"ev":"trace"'] + ['"%s":%s' % (k, v) for k, v in hdr.items()
                                               if k != fld]) + "}\n"
        put("header_%s_missing.jsonl" % fld, h + PRE + POST)


def ev(t, event, **kw):
    parts = ['"t":%s' % t, '"ev":"%s"' % event]
    for k, v in kw.items():
        parts.append('"%s":%s' % (k, '"%s"' % v if isinstance(v, str) else v))
    return "{" + ",".join(parts) + "}\n"


def spawn(t, task, parent=0, name="t"):
    return (ev(t, "spawn", task=task, parent=parent, name=name) +
            ev(t, "ready", task=task, by=parent, why="spawn"))


def nasty():
    I64 = 9223372036854775807
    # framing
    put("empty.jsonl", b"")
    put("newline_only.jsonl", b"\n")
    put("header_only.jsonl", H)
    put("header_no_newline.jsonl", H[:-1])
    put("header_bom.jsonl", b"\xef\xbb\xbf" + H.encode())
    put("header_version3.jsonl", H.replace('"version":1', '"version":3') + PRE + POST)
    put("header_version_huge.jsonl",
        H.replace('"version":1', '"version":99999999999999999999999') + PRE + POST)
    put("header_format_wrong.jsonl", H.replace('"coscope"', '"chrome"') + PRE + POST)
    put("header_array.jsonl", "[1,2,3]\n" + PRE + POST)
    put("header_is_event.jsonl", PRE + POST)
    put("header_twice.jsonl", H + H + PRE + POST)
    put("header_later.jsonl", H + PRE + H + POST)
    put("header_dup_keys.jsonl", H.replace('{"ev":"trace"', '{"ev":"spawn","ev":"trace"') + PRE + POST)
    put("header_escaped_keys.jsonl", H.replace('"format"', '"\\u0066ormat"') + PRE + POST)
    put("crlf.jsonl", trace("").replace("\n", "\r\n"))
    put("cr_only.jsonl", trace("").replace("\n", "\r"))
    put("blank_line.jsonl", trace("\n"))
    put("space_line.jsonl", trace("   \n"))
    put("trailing_space.jsonl", trace(ev(10, "mark", task=1, msg="x")[:-1] + "  \t\n"))
    put("two_objects_one_line.jsonl", trace(ev(10, "poll_begin")[:-1] + ev(11, "poll_end")))
    put("json_scalars.jsonl", trace('null\n'))
    put("json_string_line.jsonl", trace('"x"\n'))
    put("json_array_line.jsonl", trace('[{"t":1,"ev":"run","task":1}]\n'))
    put("no_end.jsonl", H + PRE)
    put("end_twice.jsonl", trace(ev(10, "end", events=1, dropped=0)))
    put("end_then_events.jsonl", H + PRE + ev(5, "end", events=3, dropped=0) + POST)
    put("end_negative.jsonl", H + PRE + ev(5, "end", events=-1, dropped=-1))
    put("end_huge.jsonl", H + PRE + ev(5, "end", events=I64, dropped=I64))
    # truncation
    whole = trace(ev(10, "mark", task=1, msg="almost"))
    for cut in (5, 40, len(H) + 10, len(whole) - 3, len(whole) - 1):
        put("cut_at_%d.jsonl" % cut, whole[:cut])
    put("cut_in_escape.jsonl", H + PRE + '{"t":10,"ev":"mark","task":1,"msg":"a\\')
    put("cut_in_number.jsonl", H + PRE + '{"t":-')
    put("cut_in_utf8.jsonl", H.encode() + PRE.encode() +
        b'{"t":10,"ev":"mark","task":1,"msg":"\xe2\x82')
    put("cut_mid_file.jsonl", H + PRE + '{"t":10,"ev":"ma\n' + POST)
    # a whole last line (with its newline) is never a cut: these fail
    put("last_line_garbage.jsonl", H + PRE + "this is not json\n")
    put("last_line_brackets.jsonl", H + PRE + "[" * 100000 + "\n")
    put("last_line_cut_brackets.jsonl", H + PRE + "[" * 100000)  # loads, cut
    put("nul_in_program.jsonl", H.replace('"nasty"', '"na\\u0000sty"') + PRE + POST)
    put("nul_escaped_backslash.jsonl",  # text \u0000, not a NUL: loads
        trace('{"t":10,"ev":"mark","task":1,"msg":"a\\\\u0000b"}\n'))
    # numbers
    for name, t in (("t_max", str(I64)), ("t_overflow", "9223372036854775808"),
                    ("t_negative", "-1"), ("t_minus_zero", "-0"), ("t_exp", "1e3"),
                    ("t_exp_huge", "1e400"), ("t_exp_tiny", "1e-400"),
                    ("t_fraction_zero", "10.0"), ("t_fraction", "10.5"),
                    ("t_leading_zero", "007"), ("t_plus", "+1"), ("t_hex", "0x10"),
                    ("t_nan", "NaN"), ("t_inf", "Infinity"), ("t_dot", "1."),
                    ("t_minus", "-"), ("t_many_digits", "1" * 400),
                    ("t_int64_min", "-9223372036854775808")):
        put("num_%s.jsonl" % name, H + PRE + '{"t":%s,"ev":"poll_begin"}\n' % t +
            '{"t":%d,"ev":"poll_end"}\n' % I64)
    put("num_huge_fields.jsonl", trace(
        ev(2, "io_begin", task=1, op="read", fd=-I64 - 1, bytes=I64) +
        ev(3, "yield", task=1, why="io", op="read", fd=I64, ms=I64, obj=4294967295) +
        ev(4, "io_end", task=1, op="read", res=-I64 - 1) +
        ev(4, "ready", task=1, by=0, why="io") +
        ev(5, "run", task=1) +
        ev(6, "obj", obj=4294967295, kind="chan", cap=I64, name="c") +
        ev(7, "mark", task=1, msg="m") +
        ev(8, "work_begin", task=1, thread=4294967295, name="w") +
        ev(9, "work_end", task=1, thread=4294967295, name="w") +
        ev(10, "poll_end", events=-I64 - 1)).replace(
            '"status":"ok"', '"status":"error","code":-9223372036854775808'))
    put("num_task_max.jsonl", H + spawn(0, 4294967295) + ev(1, "run", task=4294967295) +
        ev(2, "exit", task=4294967295, status="ok"))
    put("num_task_overflow.jsonl", H + spawn(0, 4294967296))
    put("num_task_zero.jsonl", H + spawn(0, 0))
    # sums that overflow int64 if added naively
    put("num_time_sums.jsonl", H + spawn(0, 1) + spawn(0, 2) + spawn(0, 3) +
        ev(0, "run", task=1) + ev(0, "poll_begin") + ev(I64 - 1, "poll_end") +
        ev(I64 - 1, "yield", task=1, why="sleep", ms=I64) + ev(I64, "run", task=2) +
        ev(I64, "end", events=0, dropped=0))
    put("num_time_far_apart.jsonl", H + spawn(0, 1) + ev(1, "run", task=1) +
        ev(2, "yield", task=1, why="lock", obj=1) + ev(I64, "ready", task=1, by=0,
                                                     why="lock") + ev(I64, "run", task=1))
    # nesting
    for depth in (100, 999, 1001, 5000):
        put("nest_array_%d.jsonl" % depth,
            trace('{"t":10,"ev":"poll_begin","x":%s%s}\n' % ("[" * depth, "]" * depth)))
    put("nest_object_900.jsonl",
        trace('{"t":10,"ev":"poll_begin","x":%s1%s}\n' % ('{"a":' * 900, "}" * 900)))
    put("nest_unclosed.jsonl", trace('{"t":10,"ev":"poll_begin","x":%s\n' % ("[" * 3000)))
    # NUL bytes and control bytes
    put("nul_in_line.jsonl", trace('{"t":10,"ev":"poll_begin"\0}\n'))
    put("nul_in_string.jsonl", trace('{"t":10,"ev":"mark","task":1,"msg":"a\0b"}\n'))
    put("nul_line.jsonl", trace("\0\n"))
    put("nul_after_object.jsonl", trace('{"t":10,"ev":"poll_begin"}\0\n'))
    put("nul_escape.jsonl", trace('{"t":10,"ev":"mark","task":1,"msg":"a\\u0000b"}\n'))
    put("nul_only.jsonl", b"\0" * 64)
    put("ctrl_in_string.jsonl", trace('{"t":10,"ev":"mark","task":1,"msg":"a\tb"}\n'))
    put("ctrl_escaped.jsonl", trace('{"t":10,"ev":"mark","task":1,"msg":"a\\\tb"}\n'))
    put("escapes_all.jsonl", trace(
        '{"t":10,"ev":"mark","task":1,"msg":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"}\n'))
    put("escape_lone_surrogate.jsonl", trace('{"t":10,"ev":"mark","task":1,"msg":"\\ud800"}\n'))
    put("escape_bad.jsonl", trace('{"t":10,"ev":"mark","task":1,"msg":"\\x41"}\n'))
    put("raw_ff_string.jsonl", trace(b'{"t":10,"ev":"mark","task":1,"msg":"\xff12"}\n'.decode(
        "utf-8", "surrogateescape")))
    put("raw_ff_key.jsonl", trace(b'{"t":10,"ev":"poll_begin","\xff1":2}\n'.decode(
        "utf-8", "surrogateescape")))
    # invalid UTF-8, in every string field and where it is skipped
    bad_utf8 = {"ff": b"\xff", "overlong": b"\xc0\xaf", "surrogate": b"\xed\xa0\x80",
                "short": b"\xe2\x82", "above_max": b"\xf4\x90\x80\x80", "cont": b"\x80"}
    for what, b in bad_utf8.items():
        s = b"a" + b + b"z"
        put("utf8_name_%s.jsonl" % what, H.encode() + PRE.encode() +
            b'{"t":5,"ev":"spawn","task":2,"parent":1,"name":"' + s + b'"}\n' + POST.encode())
    for fld, line_ in (("program", None), ("at", '{"t":5,"ev":"spawn","task":2,"parent":1,'
                                                  '"name":"w","at":"%s"}\n'),
                       ("msg", '{"t":5,"ev":"mark","task":1,"msg":"%s"}\n'),
                       ("err", '{"t":5,"ev":"io_end","task":1,"op":"read","err":"%s"}\n'),
                       ("objname", '{"t":5,"ev":"obj","obj":1,"kind":"chan","name":"%s"}\n'),
                       ("workname", '{"t":5,"ev":"work_begin","task":1,"thread":1,"name":"%s"}\n'),
                       ("ev", '{"t":5,"ev":"%s"}\n'),
                       ("why", '{"t":5,"ev":"ready","task":1,"by":0,"why":"%s"}\n'),
                       ("unknown_field", '{"t":5,"ev":"poll_begin","x":"%s"}\n'),
                       ("key", '{"t":5,"ev":"poll_begin","%s":1}\n')):
        if line_ is None:
            data = H.replace('"nasty"', '"a\udcffz"') + PRE + POST
        else:
            data = trace(line_ % "a\udcc0\udcafz")
        put("utf8_%s.jsonl" % fld, data)
    put("utf8_valid_4byte.jsonl", trace(ev(5, "mark", task=1, msg="\U0001f600 \u00e9\u4e2d")))
    # long lines (each file < 200 KB)
    put("long_msg.jsonl", trace(ev(10, "mark", task=1, msg="m" * 150_000)))
    put("long_name.jsonl", H + PRE + spawn(5, 2, 1, "n" * 60_000) +
        ev(6, "obj", obj=1, kind="mutex", name="o" * 30_000, at="a" * 30_000) + POST)
    put("long_garbage_line.jsonl", H + PRE + "x" * 120_000 + "\n" + POST)
    put("long_unknown_field.jsonl", trace('{"t":10,"ev":"poll_begin","x":"%s"}\n' % ("u" * 150_000)))
    put("long_ev.jsonl", trace('{"t":10,"ev":"%s"}\n' % ("e" * 100_000)))
    put("long_key.jsonl", trace('{"t":10,"ev":"poll_begin","%s":1}\n' % ("k" * 100_000)))
    put("many_fields.jsonl", trace('{"t":10,"ev":"poll_begin",%s}\n' % ",".join(
        '"f%d":%d' % (i, i) for i in range(8000))))
    # lifecycle
    put("dup_spawn.jsonl", trace(spawn(5, 1)))
    put("dup_spawn_after_exit.jsonl", H + PRE + POST.split("\n")[0] + "\n" + spawn(25, 1))
    put("spawn_parent_self.jsonl", H + spawn(0, 1, 1) + ev(1, "run", task=1))
    put("spawn_parent_unknown.jsonl", H + spawn(0, 1, 77) + ev(1, "run", task=1))
    put("spawn_parent_later.jsonl", H + spawn(0, 1, 2) + spawn(1, 2, 1))
    put("event_before_spawn.jsonl", H + ev(0, "run", task=1) + spawn(1, 1))
    put("event_never_spawned.jsonl", trace(ev(10, "run", task=9)))
    put("ready_before_spawn.jsonl", H + ev(0, "ready", task=1, by=0, why="spawn") + spawn(1, 1))
    put("mark_never_spawned.jsonl", trace(ev(10, "mark", task=9, msg="x")))
    put("mark_task0.jsonl", trace(ev(10, "mark", task=0, msg="loop")))
    put("io_task0.jsonl", trace(ev(10, "io_begin", task=0, op="close", fd=3) +
                                ev(11, "io_end", task=0, op="close", res=0)))
    put("io_end_no_begin.jsonl", trace(ev(10, "io_end", task=1, op="write", res=-1)))
    put("run_without_ready.jsonl", H + ev(0, "spawn", task=1, parent=0, name="a") +
        ev(1, "run", task=1) + ev(2, "yield", task=1, why="yield") + ev(3, "run", task=1))
    put("run_twice.jsonl", trace(ev(5, "run", task=1) + ev(6, "run", task=1)))
    put("two_running.jsonl", trace(spawn(2, 2, 1) + ev(3, "run", task=2)))
    put("yield_twice.jsonl", trace(ev(5, "yield", task=1, why="sleep", ms=1) +
                                   ev(6, "yield", task=1, why="io", op="read", fd=1)))
    put("exit_twice.jsonl", trace(ev(15, "exit", task=1, status="ok")))
    put("exit_while_waiting.jsonl", trace(ev(5, "yield", task=1, why="join", obj=1)))
    put("events_after_exit.jsonl", H + PRE + POST.split("\n")[0] + "\n" +
        ev(21, "ready", task=1, by=0, why="io") + ev(22, "run", task=1) +
        ev(23, "yield", task=1, why="yield") + ev(24, "mark", task=1, msg="ghost"))
    put("ready_by_huge.jsonl", trace(ev(5, "ready", task=1, by=4294967295, why="io")))
    put("ready_by_unknown.jsonl", trace(ev(5, "yield", task=1, why="yield") +
                                        ev(6, "ready", task=1, by=999, why="yield") +
                                        ev(7, "run", task=1)))
    put("ready_by_self.jsonl", trace(ev(5, "ready", task=1, by=1, why="cancel")))
    put("ready_all_whys.jsonl", trace("".join(
        ev(5 + i, "ready", task=1, by=0, why=w) for i, w in enumerate(
            ("spawn", "yield", "io", "timer", "join", "chan", "lock", "work",
             "cancel", "timeout")))))
    put("yield_all_whys.jsonl", trace("".join(
        ev(2 + i, "yield", task=1, why=w, obj=1) + ev(2 + i, "ready", task=1, by=0,
                                                      why="yield") +
        ev(2 + i, "run", task=1) for i, w in enumerate(
            ("yield", "io", "sleep", "join", "chan_send", "chan_recv", "lock", "event",
             "work")))))
    put("io_all_ops.jsonl", trace("".join(
        ev(2 + i, "io_begin", task=1, op=o, fd=i) + ev(2 + i, "io_end", task=1, op=o, res=i)
        for i, o in enumerate(("read", "write", "accept", "connect", "close", "fs_open",
                               "fs_read", "fs_write", "dns", "banana")))))
    put("exit_all_statuses.jsonl", H + "".join(
        spawn(3 * i, i + 1) + ev(3 * i + 1, "run", task=i + 1) +
        ev(3 * i + 2, "exit", task=i + 1, status=s, code=-i) for i, s in enumerate(
            ("ok", "error", "cancelled"))))
    put("same_t.jsonl", trace(spawn(1, 2, 1) + ev(1, "yield", task=1, why="join", obj=2) +
                              ev(1, "run", task=2) + ev(1, "exit", task=2, status="ok") +
                              ev(1, "ready", task=1, by=2, why="join") +
                              ev(1, "run", task=1)).replace('"t":20', '"t":1')
        .replace('"t":30', '"t":1').replace('"t":0', '"t":1'))
    # time order
    put("t_backwards.jsonl", trace(ev(15, "poll_begin") + ev(12, "poll_end")))
    put("t_backwards_first.jsonl", H + '{"t":5,"ev":"poll_begin"}\n' + PRE + POST)
    put("work_out_of_order.jsonl", trace(
        ev(12, "work_end", task=1, thread=1, name="w") +
        ev(10, "work_begin", task=1, thread=1, name="w") +
        ev(2, "work_begin", task=1, thread=2, name="v") +
        ev(3, "work_end", task=1, thread=2, name="v") +
        ev(11, "poll_begin") + ev(13, "poll_end")))
    put("work_end_before_begin.jsonl", trace(
        ev(5, "work_end", task=1, thread=1, name="w") +
        ev(6, "work_begin", task=1, thread=1, name="w")))
    put("work_end_no_begin.jsonl", trace(ev(5, "work_end", task=1, thread=1, name="w")))
    put("work_never_ends.jsonl", trace(ev(5, "work_begin", task=1, thread=1, name="w")))
    put("work_nested.jsonl", trace(
        ev(5, "work_begin", task=1, thread=1, name="a") +
        ev(6, "work_begin", task=1, thread=1, name="b") +
        ev(7, "work_end", task=1, thread=1, name="b") +
        ev(8, "work_end", task=1, thread=1, name="a") +
        ev(9, "work_end", task=1, thread=1, name="a")))
    put("work_task_unknown.jsonl", trace(
        ev(5, "work_begin", task=42, thread=1, name="w") +
        ev(6, "work_end", task=42, thread=1, name="w")))
    put("work_task0.jsonl", trace(
        ev(5, "work_begin", task=0, thread=0, name="w") +
        ev(6, "work_end", task=0, thread=0, name="w")))
    put("work_before_everything.jsonl", H + ev(0, "work_begin", task=1, thread=1, name="w") +
        PRE + ev(0, "work_end", task=1, thread=1, name="w") + POST)
    # poll
    put("poll_end_no_begin.jsonl", trace(ev(5, "poll_end", events=1)))
    put("poll_begin_twice.jsonl", trace(ev(5, "poll_begin") + ev(6, "poll_begin") +
                                        ev(7, "poll_end")))
    put("poll_never_ends.jsonl", trace(ev(5, "poll_begin")))
    put("poll_while_running.jsonl", trace(ev(5, "poll_begin") + ev(6, "poll_end")))
    # kinds and fields
    put("unknown_kinds.jsonl", trace(ev(5, "banana") + ev(6, "") + ev(7, "?") +
                                     ev(8, "SPAWN", task=3) + ev(9, "trace ")))
    put("unknown_fields_everywhere.jsonl", trace(
        '{"t":5,"ev":"mark","task":1,"msg":"x","extra":[1,{"a":null}],"more":true}\n'
        '{"t":6,"ev":"poll_begin","task":1,"why":"io","format":"x"}\n',
        post='{"t":20,"ev":"exit","task":1,"status":"ok","parent":3}\n'
             '{"t":30,"ev":"end","events":6,"dropped":0,"z":0}\n'))
    put("dup_keys.jsonl", trace('{"t":5,"t":3,"ev":"mark","ev":"poll_begin","task":1,"msg":"x"}\n'))
    put("escaped_keys.jsonl", trace('{"\\u0074":5,"e\\u0076":"mark","task":1,"msg":"x"}\n'))
    put("empty_key.jsonl", trace('{"t":5,"ev":"poll_begin","":1}\n'))
    put("stuck_various.jsonl", trace(spawn(2, 2, 1) + ev(3, "stuck", task=2) +
                                     ev(4, "stuck", task=1) + ev(4, "stuck", task=1)) +
        ev(31, "stuck", task=1))
    put("stuck_never_spawned.jsonl", trace(ev(5, "stuck", task=50)))
    # synchronisation: the wait-for graph
    put("join_self.jsonl", H + PRE + ev(2, "yield", task=1, why="join", obj=1))
    put("join_unknown.jsonl", H + PRE + ev(2, "yield", task=1, why="join", obj=99))
    put("join_no_obj.jsonl", H + PRE + ev(2, "yield", task=1, why="join"))
    put("join_cycle.jsonl", H + PRE + spawn(1, 2, 1) + spawn(1, 3, 1) +
        ev(2, "yield", task=1, why="join", obj=2) + ev(3, "run", task=2) +
        ev(4, "yield", task=2, why="join", obj=3) + ev(5, "run", task=3) +
        ev(6, "yield", task=3, why="join", obj=1))
    mutexes = (ev(1, "obj", obj=1, kind="mutex", name="a") +
               ev(1, "obj", obj=2, kind="mutex", name="b"))
    put("lock_cycle.jsonl", H + PRE + mutexes + spawn(1, 2, 1) +
        ev(2, "acquire", task=1, obj=1) + ev(3, "yield", task=1, why="yield") +
        ev(4, "run", task=2) + ev(5, "acquire", task=2, obj=2) +
        ev(6, "yield", task=2, why="lock", obj=1) +
        ev(7, "ready", task=1, by=0, why="yield") + ev(8, "run", task=1) +
        ev(9, "yield", task=1, why="lock", obj=2))
    put("lock_self.jsonl", H + PRE + mutexes + ev(2, "acquire", task=1, obj=1) +
        ev(3, "yield", task=1, why="lock", obj=1))
    put("lock_odd.jsonl", trace(mutexes + ev(2, "release", task=1, obj=1) +
                                ev(3, "acquire", task=1, obj=7) +
                                ev(3, "acquire", task=1, obj=1) +
                                ev(3, "acquire", task=1, obj=1) +
                                ev(4, "release", task=1, obj=2) +
                                ev(5, "yield", task=1, why="lock", obj=55) +
                                ev(6, "ready", task=1, by=0, why="lock")))
    put("lock_holder_exits.jsonl", H + PRE + mutexes + spawn(1, 2, 1) +
        ev(2, "acquire", task=1, obj=1) + ev(3, "exit", task=1, status="error") +
        ev(4, "run", task=2) + ev(5, "yield", task=2, why="lock", obj=1))
    put("obj_twice.jsonl", trace(ev(2, "obj", obj=1, kind="mutex") +
                                 ev(3, "obj", obj=1, kind="chan", cap=-1) +
                                 ev(4, "obj", obj=0, kind="chan")))
    put("chan_cycle.jsonl", H + PRE + ev(1, "obj", obj=5, kind="chan", cap=0, name="c") +
        spawn(1, 2, 1) + ev(2, "yield", task=1, why="chan_recv", obj=5) +
        ev(3, "run", task=2) + ev(4, "yield", task=2, why="chan_recv", obj=5))
    put("chan_unknown.jsonl", H + PRE + ev(2, "yield", task=1, why="chan_send", obj=6))
    put("yield_lock_no_obj.jsonl", H + PRE + ev(2, "yield", task=1, why="lock"))
    # shapes
    chain = H + "".join(ev(i, "spawn", task=i + 1, parent=i, name="c") for i in range(2000))
    put("spawn_chain_2000.jsonl", chain)
    wide = H + "".join(spawn(i, i + 1, 0, "t%d" % i) for i in range(1200))
    put("spawn_wide_1200.jsonl", wide)
    sparse = H + "".join(spawn(i, (i * 2654435761) % 4294967295 + 1) for i in range(500))
    put("task_ids_sparse.jsonl", sparse)
    many = H + spawn(0, 1) + "".join(
        ev(20 * i + 1, "run", task=1) + ev(20 * i + 2 + i % 7, "yield", task=1, why="yield") +
        ev(20 * i + 10 + i % 9, "ready", task=1, by=1, why="yield") for i in range(1000))
    put("one_task_many_slices.jsonl", many.replace("\n", "\n", 1))
    put("poll_many.jsonl", H + PRE + "".join(ev(2 + i // 2, "poll_begin" if i % 2 == 0 else
                                                "poll_end") for i in range(3000)))
    put("marks_many.jsonl", trace("".join(ev(2, "mark", task=1, msg="m%d" % i)
                                          for i in range(3000))))
    put("strings_many.jsonl", trace("".join(ev(2, "mark", task=1, msg="%x" % (i * 7919))
                                            for i in range(2500))))
    put("garbage_after_header.jsonl", H.encode() + bytes(
        (i * 1103515245 + 12345) >> 16 & 0xFF for i in range(4000)))
    put("only_garbage.jsonl", bytes((i * 22695477 + 1) >> 16 & 0xFF for i in range(3000)))


def main():
    copy_inputs()
    wrong_types()
    nasty()
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if not f.startswith("found_"):
            os.remove(os.path.join(OUT, f))
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    total = sum(len(d) for d in files.values())
    print("corpus: %d files, %d bytes" % (len(files), total))


if __name__ == "__main__":
    main()
