#!/usr/bin/env python3
"""The command line on bad input: exit codes, one-line errors, nothing lost.

usage: cli_test.py SPANPROF DEMO
"""
import json
import os
import shlex
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)


def record(demo, out, extra=(), env=None, workload=None):
    args = ["perf", "record", "-F", "999", "-g", "--buildid-mmap", "-N", *extra, "-o", out, "--"]
    args += workload or [demo, "--duration-ms", "300", "--threads", "1"]
    return run(args, env=env)


def rename_host(stream, host, other):
    """The pipe-mode stream with the HOSTNAME feature (a HEADER_FEATURE record,
    type 80, feature 3: u32 length, NUL-padded string) naming `other`."""
    offset = 16  # struct perf_pipe_file_header
    while offset + 8 <= len(stream):
        type_, _, size = struct.unpack_from("<IHH", stream, offset)
        if type_ < 64 or size < 8:
            break  # past the header records
        if type_ == 80 and struct.unpack_from("<Q", stream, offset + 8)[0] == 3:
            start = offset + 20
            assert stream[start:start + len(host) + 1] == host + b"\0"
            stream[start:start + len(other)] = other
            return stream
        offset += size
    raise AssertionError("no HOSTNAME feature in the stream")


def join_stdin(spanprof, stream, work, name, symbols):
    """Joins a pipe-mode stream read from standard input; returns (result, summary)."""
    out = os.path.join(work, name + ".pb.gz")
    summary = os.path.join(work, name + ".json")
    with open(stream, "rb") as stdin:
        result = run([spanprof, "join", "--perf-data", "-", "--kernel-symbols", symbols,
                      "-o", out, "--summary", summary], stdin=stdin)
    return result, (json.load(open(summary)) if result.returncode == 0 else None)


def check_pipe_mode_kernel_symbols(tap, spanprof, work):
    """`perf record -o - | spanprof join --perf-data -`: the stream's HEADER_FEATURE
    records name this host and kernel, so --kernel-symbols auto uses kallsyms; a
    stream naming another host is joined without it, and the join says why."""
    stream = os.path.join(work, "pipe.data")
    out = os.path.join(work, "pipe-auto.pb.gz")
    summary = os.path.join(work, "pipe-auto.json")
    # dd spends its time in the kernel: its stacks have kernel frames.
    pipeline = (f"set -o pipefail; perf record -o - -F 999 -g -e cpu-clock -- dd if=/dev/zero "
                f"of=/dev/null bs=64k count=40000 2>/dev/null | tee {shlex.quote(stream)} | "
                f"{shlex.quote(spanprof)} join --perf-data - -o {shlex.quote(out)} "
                f"--summary {shlex.quote(summary)}")
    auto = run(["bash", "-c", pipeline])
    if not tap.check(auto.returncode == 0, "pipe mode: perf record -o - | spanprof join --perf-data -",
                     auto.stderr):
        return
    auto_summary = json.load(open(summary))
    always, always_summary = join_stdin(spanprof, stream, work, "pipe-always", "always")
    never, never_summary = join_stdin(spanprof, stream, work, "pipe-never", "never")
    if not tap.check(always.returncode == 0 and never.returncode == 0,
                     "pipe mode: the saved stream joins from standard input",
                     always.stderr + never.stderr):
        return
    unsymbolized = [s["losses"]["addresses_unsymbolized"]
                    for s in (auto_summary, always_summary, never_summary)]
    tap.check(unsymbolized[0] == unsymbolized[1] < unsymbolized[2]
              and "kernel symbols not used" not in auto.stderr,
              "pipe mode: --kernel-symbols auto symbolizes kernel frames as always does",
              f"unsymbolized addresses auto/always/never: {unsymbolized}; {auto.stderr}")

    host = socket.gethostname().encode()
    with open(stream, "rb") as src:
        data = bytearray(src.read())
    other = os.path.join(work, "pipe-other-host.data")
    with open(other, "wb") as dst:
        dst.write(rename_host(data, host, b"x" * len(host)))
    result, other_summary = join_stdin(spanprof, other, work, "pipe-other", "auto")
    warned = [line for line in result.stderr.splitlines() if "kernel symbols not used" in line]
    tap.check(result.returncode == 0 and len(warned) == 1
              and f"'{'x' * len(host)}'" in warned[0] and f"this is host '{host.decode()}'" in warned[0]
              and other_summary["losses"]["addresses_unsymbolized"] == unsymbolized[2],
              "pipe mode: a stream of another host is joined without kallsyms, in one warning line",
              result.stderr)


def main():
    spanprof, demo = sys.argv[1], sys.argv[2]
    tap = Tap()
    work = tempfile.mkdtemp(prefix="spanprof-cli-")
    try:
        version = run([spanprof, "--version"])
        tap.check(version.returncode == 0 and version.stdout.startswith("spanprof "),
                  "--version", version.stdout)
        for command in ([], ["join"], ["dump"]):
            result = run([spanprof, *command, "--help"])
            tap.check(result.returncode == 0 and "Usage" in result.stdout,
                      f"--help of '{' '.join(command) or 'spanprof'}'")
        tap.check(run([spanprof]).returncode == 1, "no subcommand: exit 1")
        tap.check(run([spanprof, "join", "--bogus"]).returncode == 1, "unknown option: exit 1")
        result = run([spanprof, "join"])
        tap.check(result.returncode == 1 and "--perf-data" in result.stderr,
                  "join without input: exit 1, says what to give", result.stderr)

        missing = run([spanprof, "join", "--perf-data", os.path.join(work, "nope.data")])
        tap.check(missing.returncode == 2 and "nope.data" in missing.stderr
                  and len(missing.stderr.strip().splitlines()) == 1,
                  "missing file: exit 2, one line naming it", missing.stderr)
        not_perf = os.path.join(work, "text.data")
        with open(not_perf, "w") as out:
            out.write("hello, this is not a perf capture\n" * 10)
        result = run([spanprof, "join", "--perf-data", not_perf, "-o", os.path.join(work, "x.pb.gz")])
        tap.check(result.returncode == 2 and "perf.data" in result.stderr,
                  "not a perf file: exit 2", result.stderr)

        # A real capture with clock data and spans, then damaged copies of it.
        capture = os.path.join(work, "capture")
        os.mkdir(capture)
        spans_file = os.path.join(capture, "spans.jsonl")
        env = dict(os.environ, SPANPROF_SPANS_FILE=spans_file)
        recorded = record(demo, os.path.join(capture, "perf.data"), ["-k", "monotonic"], env)
        if not tap.check(recorded.returncode == 0, "perf record", recorded.stderr):
            tap.bail("no capture")

        size = os.path.getsize(os.path.join(capture, "perf.data"))
        truncated = os.path.join(work, "truncated.data")
        with open(os.path.join(capture, "perf.data"), "rb") as src, open(truncated, "wb") as dst:
            dst.write(src.read(size * 2 // 3))
        out = os.path.join(work, "truncated.pb.gz")
        result = run([spanprof, "join", "--perf-data", truncated, "-o", out])
        tap.check(result.returncode == 0 and os.path.exists(out) and "offset" in result.stderr,
                  "truncated capture: profile of what was decoded, warning names the offset",
                  result.stdout + result.stderr)

        with open(spans_file, "a") as spans:
            spans.write("{this is not json\n")
        result = run([spanprof, "join", capture])
        summary = json.load(open(os.path.join(capture, "summary.json")))
        tap.check(result.returncode == 0 and summary["spans"]["bad_lines"] == 1
                  and summary["spans"]["samples_in_spans"] > 0,
                  "a bad span line is counted and the rest still joined", result.stderr)
        tap.check(any("spans.jsonl:" in p for p in summary["spans"]["problems"]),
                  "the bad line is reported with its line number", summary["spans"]["problems"])

        no_clock = os.path.join(work, "noclock.data")
        recorded = record(demo, no_clock)
        out = os.path.join(work, "noclock.pb.gz")
        result = run([spanprof, "join", "--perf-data", no_clock, "--spans", spans_file, "-o", out])
        tap.check(result.returncode == 3 and os.path.exists(out) and "-k monotonic" in result.stderr,
                  "no clock data with spans: exit 3, plain profile written, says how to record",
                  result.stderr)

        empty = os.path.join(work, "empty.data")
        recorded = record(demo, empty, ["-e", "sched:sched_process_fork"], workload=["true"])
        result = run([spanprof, "join", "--perf-data", empty, "-o", os.path.join(work, "e.pb.gz")])
        tap.check(result.returncode == 2 and "no samples" in result.stderr,
                  "capture without samples: exit 2", result.stderr)

        # A binary replaced after recording: frames keep raw addresses, with a warning.
        copy = os.path.join(work, "demo-copy")
        shutil.copy(demo, copy)
        changed = os.path.join(work, "changed.data")
        record(demo, changed, workload=[copy, "--duration-ms", "200", "--threads", "0"],
               env=dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(demo)))
        shutil.copy("/bin/true", copy)
        out = os.path.join(work, "changed.pb.gz")
        result = run([spanprof, "join", "--perf-data", changed, "-o", out])
        tap.check(result.returncode == 0 and "changed since recording" in result.stderr,
                  "changed binary: warning, profile still written", result.stderr)

        check_pipe_mode_kernel_symbols(tap, spanprof, work)

        unwritable = run([spanprof, "join", "--perf-data", os.path.join(capture, "perf.data"),
                          "-o", os.path.join(work, "no-such-dir", "p.pb.gz")])
        tap.check(unwritable.returncode == 2 and "no-such-dir" in unwritable.stderr,
                  "unwritable output: exit 2 naming the path", unwritable.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
