#!/usr/bin/env python3
"""End to end with real perf: record the demo app (spans through
SPANPROF_SPANS_FILE), join the capture, read the profile with go's pprof.

Checks hot functions, source lines, inlined frames, the shared library, labels,
and that >= 99% of the samples inside each span's own function carry that span
(innermost) and its root, as the spans file says.

usage: join_demo_test.py SPANPROF DEMO
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pprof_raw import read_raw, stack_functions  # noqa: E402
from tap import Tap  # noqa: E402

# The span each hot function runs in: (innermost span name, root span name).
SPAN_OF_FUNCTION = {
    "demo::checksum_block": ("checksum", "GET /checksum"),
    "demo::parse_records": ("parse", "GET /parse"),
    "demo::decode_varint": ("parse", "GET /parse"),
    "demo_work::compress_chunk": ("compress", "GET /compress"),
    "demo::route_request": (None, None),  # the root span itself: checked below
}


def base_name(function):
    return function.split("(")[0]


def load_spans(path):
    spans = {}
    with open(path) as lines:
        for line in lines:
            for resource in json.loads(line)["resourceSpans"]:
                for scope in resource["scopeSpans"]:
                    for span in scope["spans"]:
                        spans[span["spanId"]] = span
    return spans


def main():
    spanprof, demo = sys.argv[1], sys.argv[2]
    tap = Tap()
    if shutil.which("perf") is None:
        tap.bail("perf is not installed")
    work = tempfile.mkdtemp(prefix="spanprof-e2e-")
    try:
        capture = os.path.join(work, "capture")
        os.mkdir(capture)
        env = dict(os.environ, SPANPROF_SPANS_FILE=os.path.join(capture, "spans.jsonl"))
        record = subprocess.run(
            ["perf", "record", "-F", "999", "-g", "-k", "monotonic", "--buildid-mmap", "-N",
             "-o", os.path.join(capture, "perf.data"), "--", demo, "--duration-ms", "1500"],
            env=env, capture_output=True, text=True, timeout=120)
        if not tap.check(record.returncode == 0, "perf record of the demo app", record.stderr):
            tap.bail("no capture")

        join = subprocess.run([spanprof, "join", capture], capture_output=True, text=True,
                              timeout=300)
        tap.check(join.returncode == 0, "spanprof join DIR exits 0", join.stdout + join.stderr)
        profile_path = os.path.join(capture, "profile.pb.gz")
        tap.check(os.path.exists(os.path.join(capture, "summary.json")), "summary.json written")
        try:
            profile, raw = read_raw(profile_path)
            tap.check(True, "go tool pprof -raw reads the profile")
        except RuntimeError as error:
            tap.check(False, "go tool pprof -raw reads the profile", error)
            tap.bail("unreadable profile")

        tap.check(profile.header.get("PeriodType") == "cpu nanoseconds",
                  "period type cpu/nanoseconds", profile.header)
        functions = {}
        for count, _, ids, _ in profile.samples:
            for name in set(base_name(f) for f in stack_functions(profile, ids)):
                functions[name] = functions.get(name, 0) + count
        total = sum(s[0] for s in profile.samples)
        for name in SPAN_OF_FUNCTION:
            share = functions.get(name, 0) / max(total, 1)
            tap.check(share >= 0.02, f"{name} is hot ({share:.1%} of {total} samples)")

        lines = [line for frames in profile.locations.values() for line in frames]
        tap.check(any(f.startswith("demo::checksum_block") and file.endswith("workloads.cc")
                      and line > 0 for f, file, line in lines),
                  "source file and line of demo::checksum_block")
        inlined = [frames for frames in profile.locations.values()
                   if len(frames) >= 2 and frames[0][0].startswith("demo::decode_varint")
                   and frames[1][0].startswith("demo::parse_records")]
        tap.check(bool(inlined), "decode_varint is an inlined frame inside parse_records")
        tap.check(any(frames[1][2] > 0 for frames in inlined),
                  "the inlined frame's caller line is its call line")
        tap.check(any("libdemo_work.so" in m for m in profile.mappings),
                  "libdemo_work.so is a mapping of its own")
        labelled = [s for s in profile.samples if "thread_name" in s[3] and "tid" in s[3]]
        tap.check(len(labelled) == len(profile.samples), "every sample has pid/tid/thread_name")
        tap.check(any(s[3].get("thread_name", "").startswith("worker-") for s in profile.samples),
                  "worker thread names are labels")

        # Span attribution against the spans the app wrote.
        spans = load_spans(env["SPANPROF_SPANS_FILE"])
        for function, (inner_name, root_name) in SPAN_OF_FUNCTION.items():
            inside = right = 0
            for count, _, ids, labels in profile.samples:
                stack = [base_name(f) for f in stack_functions(profile, ids)]
                if function not in stack:
                    continue
                inside += count
                inner = spans.get(labels.get("innermost_span_id", ""))
                root = spans.get(labels.get("span_id", ""))
                if inner is None or root is None:
                    continue
                if inner_name is None:  # route_request runs in the root span only
                    ok = inner is root and root["name"].startswith("GET /")
                else:
                    ok = (inner["name"] == inner_name and root["name"] == root_name and
                          inner["parentSpanId"] == root["spanId"] and
                          labels.get("span_name") == root_name and
                          labels.get("trace_id") == root["traceId"])
                right += count if ok else 0
            share = right / max(inside, 1)
            tap.check(inside > 0 and share >= 0.99,
                      f"{function}: {share:.2%} of {inside} samples carry their span and root")
        summary = json.load(open(os.path.join(capture, "summary.json")))
        tap.check(summary["schema"] == "spanprof.summary/1" and summary["spans"]["spans"] > 0,
                  "summary.json has the span counters")
        tap.check(summary["spans"]["without_thread_id"] == 0, "every demo span has a thread id")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
