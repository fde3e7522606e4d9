#!/usr/bin/env python3
"""Writes page data (lib/view/page_data.h, schema version 1) made up in code, for
the cases a real capture cannot be made to show on demand: no clock, nothing at all,
hostile span and function names. The browser test wraps it with page_from_json.

usage: fixture_page.py CASE OUT.json     CASE: busy | no-clock | empty | hostile
"""
import json
import random
import sys

HOSTILE = "</script><!--<script>alert(1)</script>"


def busy(hostile=False, has_clock=True):
    rng = random.Random(14)
    frames = [["_start", "", 0, "/usr/bin/app"], ["main", "app.cc", 10, "/usr/bin/app"],
              ["worker_loop", "app.cc", 40, "/usr/bin/app"], ["handle_request", "app.cc", 80, "/usr/bin/app"],
              ["parse_json", "json.cc", 12, "/usr/bin/app"], ["compute_hash", "hash.cc", 7, "/usr/bin/app"],
              ["memchr", "", 0, "/usr/lib/libc.so.6"], ["entry_SYSCALL_64", "", 0, "[kernel.kallsyms]"]]
    if hostile:
        frames.append([HOSTILE, "<b>x.cc", 1, "<i>mod"])
    # stacks: 0 _start, 1 main, 2 worker_loop, 3 handle_request, 4 parse_json, 5 compute_hash,
    # 6 memchr under parse_json, 7 kernel under worker_loop
    stacks = [-1, 0, 0, 1, 1, 2, 2, 3, 3, 4, 3, 5, 4, 6, 2, 7]
    if hostile:
        stacks += [3, 8]
    threads = [[100, 100, "app"], [100, 101, "worker-0"], [100, 102, "worker-1"]]
    names = ["request", "parse", "hash"] + ([HOSTILE] if hostile else [])
    duration = 1_500_000_000
    buckets = 300
    bucket_ns = duration // buckets
    spans, span_ids, rows = [], [], []
    per_name = {i: [] for i in range(len(names))}
    for thread in (1, 2):
        t = 10_000_000
        while t < duration - 60_000_000:
            length = rng.randint(20, 50) * 1_000_000
            base = len(span_ids)
            spans_here = [(0, t, t + length, -1, 0), (1, t + 1_000_000, t + length // 3, base, 1),
                          (2, t + length // 3, t + length - 1_000_000, base, 1)]
            if hostile and thread == 1 and base == 0:
                spans_here.append((3, t + 2_000_000, t + 5_000_000, base + 1, 2))
            for name, start, end, parent, depth in spans_here:
                index = len(span_ids)
                spans += [name, thread, start, end, parent, index, depth]
                span_ids.append([f"{rng.getrandbits(64):016x}", f"{rng.getrandbits(128):032x}"])
                per_name[name].append(index)
            for b in range(t // bucket_ns, (t + length) // bucket_ns):
                mid = b * bucket_ns
                inner = base + (1 if mid < t + length // 3 else 2)
                stack = 6 if inner == base + 1 else 5
                rows += [b, thread, inner, base, stack, 0, 4_004_000, 4]
                rows += [b, thread, base, base, 3, 0, 1_001_000, 1]
                rows += [b, thread, -1, -1, 7, 0, 1_001_000, 1]
                rows += [b, thread, base, base, 7, 1, 2_500_000, 1]
            t += length + rng.randint(5, 15) * 1_000_000
    if hostile:
        # Edges a real page may hold: a span on no known thread, one reaching past both
        # ends of the capture, samples with an empty stack.
        for thread, start, end in ((-1, 100_000_000, 200_000_000), (1, -50_000_000, duration + 50_000_000)):
            index = len(span_ids)
            spans += [0, thread, start, end, -1, index, 0]
            span_ids.append([f"{index:016x}", f"{index:032x}"])
            per_name[0].append(index)
        rows += [0, 0, -1, -1, -1, 0, 1_001_000, 1]
    if not has_clock:
        rows = [0 if i % 8 == 0 else v for i, v in enumerate(rows)]
        buckets, bucket_ns = 1, duration
    span_names, name_rows = [], []
    for name, members in per_name.items():
        durations = sorted(spans[7 * i + 3] - spans[7 * i + 2] for i in members)
        if not durations:
            continue
        members_by_length = sorted(members, key=lambda i: spans[7 * i + 2] - spans[7 * i + 3])
        event = samples = 0
        stacks_w = {}
        for o in range(0, len(rows), 8):
            chain, s = [], rows[o + 2]
            while s != -1:
                chain.append(s)
                if s == rows[o + 3]:
                    break
                s = spans[7 * s + 4]
            if any(spans[7 * c] == name for c in chain):
                key = (rows[o + 4], rows[o + 5])
                w = stacks_w.setdefault(key, [0, 0])
                w[0] += rows[o + 6]
                w[1] += rows[o + 7]
                if rows[o + 5] == 0:
                    event += rows[o + 6]
                    samples += rows[o + 7]
        for (stack, kind), (weight, count) in stacks_w.items():
            name_rows += [name, stack, kind, weight, count]
        off = [sum(w[0] for (st, k), w in stacks_w.items() if k == kind) for kind in (1, 2, 3, 4)]
        span_names.append({"name": names[name], "count": len(durations),
                           "p50_ns": durations[len(durations) // 2],
                           "p95_ns": durations[min(len(durations) - 1, len(durations) * 95 // 100)],
                           "max_ns": durations[-1], "event": event, "off_cpu": off, "samples": samples,
                           "without_samples": 0, "slowest": members_by_length[:10]})
    summary = {"schema": "spanprof.summary/1", "event": {"name": "cpu-clock", "unit": "cpu/nanoseconds",
               "period": 1001000}, "samples": sum(rows[o + 7] for o in range(0, len(rows), 8)),
               "threads": 3, "duration_ns": duration, "losses": {"lost_events": 3},
               "hottest_functions": [{"name": "compute_hash", "self": 1, "total": 1}],
               "spans": {"spans": len(span_ids), "share_of_samples_in_spans": 0.8},
               "warnings": [{"kind": "symbols", "message": "a binary was missing" +
                             (" " + HOSTILE if hostile else ""), "where": "/usr/bin/app"}]}
    return {"version": 1, "title": "app --serve" + (" " + HOSTILE if hostile else ""),
            "summary": summary,
            "event": {"name": "cpu-clock", "unit": "nanoseconds", "period": 1001000, "is_time": True},
            "has_off_cpu": True, "has_clock": has_clock, "start_unix_ns": "1780000000000000000",
            "duration_ns": duration, "bucket_ns": bucket_ns, "buckets": buckets,
            "kinds": ["event", "sleeping", "blocked_io", "runnable", "unknown"],
            "frames": frames, "stacks": stacks, "threads": threads, "names": names, "spans": spans,
            "span_ids": span_ids, "span_names": span_names, "rows": rows, "name_rows": name_rows,
            "cuts": ["spans past the first 20000 (12 left out)"] if hostile else []}


def empty():
    return {"version": 1, "title": "", "summary": {"samples": 0, "spans": None, "warnings": []},
            "event": {"name": "cycles", "unit": "count", "period": 0, "is_time": False},
            "has_off_cpu": False, "has_clock": True, "start_unix_ns": "0", "duration_ns": 0,
            "bucket_ns": 1, "buckets": 1, "kinds": ["event", "sleeping", "blocked_io", "runnable", "unknown"],
            "frames": [], "stacks": [], "threads": [], "names": [], "spans": [], "span_ids": [],
            "span_names": [], "rows": [], "name_rows": [], "cuts": []}


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    case = argv[1]
    makers = {"busy": busy, "no-clock": lambda: busy(has_clock=False), "empty": empty,
              "hostile": lambda: busy(hostile=True)}
    if case not in makers:
        sys.exit(f"fixture_page.py: unknown case {case!r}; one of {', '.join(makers)}")
    with open(argv[2], "w") as f:
        json.dump(makers[case](), f)


if __name__ == "__main__":
    main(sys.argv)
