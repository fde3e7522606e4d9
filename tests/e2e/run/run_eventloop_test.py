#!/usr/bin/env python3
"""The demo's event loop (spanprof-demo --event-loop): one thread serves 8 requests at
once, their spans all open together, and spanprof/activation.h records which request's
span is current around each step (docs/activations.md).

1. The activation file itself, written with SPANPROF_ACTIVATIONS_DIR set by hand and
   decoded here: header, one record per switch, per-thread time order, pid and tid, ids
   of exported spans, each record inside its span's time.
2. Under `spanprof run`, which sets SPANPROF_ACTIVATIONS_DIR: the samples in each kind's
   work function carry a span of their own request's kind, innermost and root.

usage: run_eventloop_test.py SPANPROF DEMO
"""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_common import Tap, run  # noqa: E402
from run_node_test import dump_samples  # noqa: E402

HEADER = struct.Struct("<8sHHHHIIQQ")  # docs/activations.md, version 1: 40 bytes
RECORD = struct.Struct("<QII16s8s")    # 40 bytes
STEPS = 8  # work steps of a request (demo/event_loop.h), after its routing step
KIND_FUNCTIONS = {"checksum": "checksum_block", "parse": "parse_records",
                  "compress": "compress_chunk"}
# Activations decide these samples' spans exactly; the floor leaves room for samples
# whose stack lost the work function's caller (none expected with frame pointers).
MIN_SHARE_IN_OWN_SPAN = 0.99


def read_activations(path):
    """(header tuple, [(time_ns, pid, tid, trace_hex, span_hex)], torn tail bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    header = HEADER.unpack_from(data, 0)
    body = data[HEADER.size:]
    records = [(t, pid, tid, trace.hex(), span.hex())
               for t, pid, tid, trace, span in RECORD.iter_unpack(
                   body[:len(body) - len(body) % RECORD.size])]
    return header, records, len(body) % RECORD.size


def read_spans(path):
    """{span_id: span dict} from an OTLP JSON Lines file."""
    spans = {}
    with open(path) as f:
        for line in f:
            for resource in json.loads(line).get("resourceSpans", []):
                for scope in resource.get("scopeSpans", []):
                    for span in scope.get("spans", []):
                        spans[span["spanId"]] = span
    return spans


def root_of(spans, span_id):
    span = spans.get(span_id)
    while span is not None and span.get("parentSpanId") in spans:
        span = spans[span["parentSpanId"]]
    return span


def check_activation_file(tap, demo, work):
    out = os.path.join(work, "by-hand")
    os.mkdir(out)
    spans_file = os.path.join(out, "spans.jsonl")
    requests = 24
    env = dict(os.environ, SPANPROF_ACTIVATIONS_DIR=out, SPANPROF_SPANS_FILE=spans_file)
    done = subprocess.run([demo, "--event-loop", "--threads", "0", "--requests", str(requests)],
                          env=env, capture_output=True, text=True, timeout=120)
    tap.check(done.returncode == 0 and f"{requests} requests" in done.stdout,
              f"the event-loop demo serves {requests} requests", done.stdout + done.stderr)
    files = glob.glob(os.path.join(out, "activations-*.bin"))
    tap.check(len(files) == 1 and not glob.glob(os.path.join(out, "*.error")),
              "one activation file for the one process, no error file", os.listdir(out))
    if len(files) != 1:
        return
    pid = int(os.path.basename(files[0])[len("activations-"):-len(".bin")])
    tap.check(os.stat(files[0]).st_mode & 0o777 == 0o600, "the file is created 0600")
    header, records, torn = read_activations(files[0])
    magic, version, header_size, record_size, clock_id, header_pid, reserved, mono, real = header
    tap.check((magic, version, header_size, record_size, clock_id, header_pid, reserved) ==
              (b"SPANACT\0", 1, 40, 40, 1, pid, 0) and mono > 0 and real > 0 and torn == 0,
              "header: magic, version 1, sizes 40, CLOCK_MONOTONIC, pid, clock pair; no torn tail",
              header)
    # Each of a request's 1 + STEPS steps activates its span and deactivates after it.
    tap.check(len(records) == requests * (1 + STEPS) * 2,
              f"{len(records)} records: two per step of {requests} requests")
    tap.check(all(r[1] == pid and r[2] == pid for r in records),
              "every record names the demo's pid and its main thread's tid")
    tap.check(all(a[0] <= b[0] for a, b in zip(records, records[1:])),
              "the thread's records are in time order")
    tap.check(all((r[3] == "0" * 32) == (r[4] == "0" * 16) for r in records) and
              all(a[4] != b[4] for a, b in zip(records, records[1:])),
              "each record is a switch: an activation, then no span, and so on")

    spans = read_spans(spans_file)
    activated = [r for r in records if r[4] != "0" * 16]
    unknown = [r for r in activated if r[4] not in spans or spans[r[4]]["traceId"] != r[3]]
    tap.check(activated and not unknown, f"the {len(activated)} activations name exported "
              "spans, with their trace ids", unknown[:3])
    # Activation times are CLOCK_MONOTONIC, span times CLOCK_REALTIME: the header's pair
    # links the two. Each activation lies inside its span.
    outside = []
    for t, _, _, _, span_id in activated:
        span = spans.get(span_id)
        if span is None:
            continue
        wall = real + (t - mono)
        if not int(span["startTimeUnixNano"]) - 1_000_000 <= wall <= \
                int(span["endTimeUnixNano"]) + 1_000_000:
            outside.append((span["name"], t))
    tap.check(not outside, "every activation lies inside its span's time", outside[:3])
    counts = {}
    for r in activated:
        counts[r[4]] = counts.get(r[4], 0) + 1
    roots = [s for s in spans.values() if not s.get("parentSpanId")]
    tap.check(len(roots) == requests and
              all(counts.get(s["spanId"]) == 1 for s in roots) and
              all(counts.get(s["spanId"]) == STEPS for s in spans.values()
                  if s.get("parentSpanId")),
              f"each of the {len(roots)} root spans is activated once (routing), each child "
              f"span {STEPS} times (its work steps)")
    # The point of the mode: requests' spans overlap on the one thread.
    intervals = sorted((int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"])) for s in roots)
    overlapping = sum(1 for a, b in zip(intervals, intervals[1:]) if b[0] < a[1])
    tap.check(overlapping >= requests // 2,
              f"{overlapping} of {len(roots)} root spans start before the previous one ends")


def check_spanprof_run(tap, spanprof, demo, work):
    capture = os.path.join(work, "capture")
    command = [demo, "--event-loop", "--threads", "0", "--duration-ms", "1500"]
    code, out, err = run([spanprof, "run", "-o", capture, "--", *command])
    tap.check(code == 0, "spanprof run -- demo --event-loop exits 0", f"code {code}\n{out}\n{err}")
    files = glob.glob(os.path.join(capture, "activations-*.bin"))
    tap.check(len(files) == 1, "spanprof run sets SPANPROF_ACTIVATIONS_DIR: the capture has "
              "the demo's activation file", os.listdir(capture) if os.path.isdir(capture) else "")
    spans = read_spans(os.path.join(capture, "spans.jsonl")) \
        if os.path.isfile(os.path.join(capture, "spans.jsonl")) else {}
    try:
        samples = dump_samples(spanprof, os.path.join(capture, "profile.pb.gz"))
    except RuntimeError as error:
        tap.bail(f"spanprof dump failed: {error}")
    for kind, function in KIND_FUNCTIONS.items():
        inside = innermost_right = root_right = 0
        for count, labels, frames in samples:
            if not any(function in frame for frame in frames):
                continue
            inside += count
            span = spans.get(labels.get("innermost_span_id"))
            root = root_of(spans, labels.get("innermost_span_id"))
            if span is not None and span["name"] == kind and \
                    labels.get("innermost_span_name") == kind:
                innermost_right += count
            if root is not None and root["name"] == f"GET /{kind}" and \
                    labels.get("span_name") == f"GET /{kind}" and \
                    labels.get("span_id") == root["spanId"]:
                root_right += count
        share, root_share = innermost_right / max(inside, 1), root_right / max(inside, 1)
        tap.check(inside >= 50, f"{function}: {inside} samples")
        tap.check(inside > 0 and share >= MIN_SHARE_IN_OWN_SPAN,
                  f"{function}: {share:.1%} of its samples carry an innermost span {kind} "
                  f"(floor {MIN_SHARE_IN_OWN_SPAN:.0%})")
        tap.check(inside > 0 and root_share >= MIN_SHARE_IN_OWN_SPAN,
                  f"{function}: {root_share:.1%} carry a root span GET /{kind}, that span's root")


def main():
    spanprof, demo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    work = tempfile.mkdtemp(prefix="spanprof-run-eventloop-")
    try:
        check_activation_file(tap, demo, work)
        if shutil.which("perf") is None:
            tap.bail("perf is not installed")
        check_spanprof_run(tap, spanprof, demo, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
