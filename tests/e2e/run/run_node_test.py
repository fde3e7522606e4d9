#!/usr/bin/env python3
"""spanprof run with a real OpenTelemetry SDK: a Node.js app exporting OTLP/HTTP
protobuf to spanprof's receiver (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), JIT frames
from perf maps, and samples of each named JS function inside its own span.

Skipped when node or testdata/apps/node/node_modules is missing
(scripts/install-node-app installs it).

usage: run_node_test.py SPANPROF NODE_APP_DIR
"""
import os
import re
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_common import Tap, interrupt_midway, load_json, run  # noqa: E402

NODE_FLAGS = ["--perf-basic-prof", "--interpreted-frames-native-stack"]
# Node's span start times have millisecond resolution (FACTS); spanprof's repair
# places them (measured here: 97.7-99.3% of a function's samples in its span,
# against ~90% for a naive join). The floor leaves room for a loaded machine.
MIN_SHARE_IN_OWN_SPAN = 0.95


def dump_samples(spanprof, profile):
    """[(count, labels dict, [function names])] from `spanprof dump`."""
    code, out, err = run([spanprof, "dump", profile])
    if code != 0:
        raise RuntimeError(err)
    samples = []
    for block in out.split("\nsample: ")[1:]:
        lines = block.split("\n")
        count = int(lines[0].split()[0])
        labels = dict(re.findall(r'(\w+)="([^"]*)"', lines[1])) if len(lines) > 1 else {}
        frames = [line.strip() for line in lines[2:] if line.startswith("  ")]
        samples.append((count, labels, frames))
    return samples


def check_function_in_span(tap, samples, function, span_name):
    inside = right = 0
    for count, labels, frames in samples:
        if any(function in frame for frame in frames):
            inside += count
            right += count if labels.get("innermost_span_name") == span_name else 0
    share = right / max(inside, 1)
    tap.check(inside > 0, f"{function} appears in the profile ({inside} samples)")
    tap.check(inside > 0 and share >= MIN_SHARE_IN_OWN_SPAN,
              f"{function}: {share:.0%} of its samples carry innermost_span_name={span_name}")


def main():
    spanprof, app_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    if shutil.which("node") is None:
        tap.skip_all("node is not installed")
    if not os.path.isdir(os.path.join(app_dir, "node_modules")):
        tap.skip_all(f"{app_dir}/node_modules is missing: run scripts/install-node-app")
    if shutil.which("perf") is None:
        tap.bail("perf is not installed")
    app = os.path.join(app_dir, "app.js")
    work = tempfile.mkdtemp(prefix="spanprof-run-node-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    perf_maps = []  # node's /tmp/perf-PID.map files, removed at the end
    try:
        capture = os.path.join(work, "capture")
        code, out, err = run([spanprof, "run", "-o", capture, "--", "node"] + NODE_FLAGS +
                             [app, "--duration-ms", "2500"], env=env, cwd=work)
        tap.check(code == 0, "spanprof run -- node app.js exits 0", f"code {code}\n{out}\n{err}")
        received = os.path.join(capture, "spans-receiver.pb")
        tap.check(os.path.isfile(received) and os.path.getsize(received) > 0,
                  "the receiver wrote spans-receiver.pb")
        record = load_json(os.path.join(capture, "capture.json")) or {}
        perf_maps.append(f"/tmp/perf-{record.get('app_pid')}.map")
        receiver = (record.get("spans") or {}).get("receiver") or {}
        stats = receiver.get("stats") or {}
        tap.check(stats.get("spans", 0) > 0 and stats.get("bad_requests", 1) == 0,
                  f"capture.json: the receiver accepted {stats.get('spans')} spans", receiver)
        summary = load_json(os.path.join(capture, "summary.json")) or {}
        spans = summary.get("spans") or {}
        tap.check(spans.get("samples_in_spans", 0) > 0 and spans.get("without_thread_id") == 0,
                  f"summary.json: {spans.get('samples_in_spans')} samples in spans, every span "
                  "has thread.os_id", spans)
        try:
            samples = dump_samples(spanprof, os.path.join(capture, "profile.pb.gz"))
        except RuntimeError as error:
            tap.bail(f"spanprof dump failed: {error}")
        tap.check(any(labels.get("service_name") == "spanprof-node-app"
                      for _, labels, _ in samples), "samples carry service_name from the resource")
        check_function_in_span(tap, samples, "fibonacciWork", "fibonacci")
        sort_in_span = sum(c for c, labels, frames in samples
                           if labels.get("innermost_span_name") == "sort")
        tap.check(sort_in_span > 0, f"{sort_in_span} samples in the sort span")
        tap.check(any("sortWork" in frame for _, _, frames in samples for frame in frames),
                  "sortWork appears in the profile")

        # SIGTERM to spanprof: the app stops its loop, flushes its spans, exits 0.
        capture = os.path.join(work, "stopped")
        code, output, app_pid = interrupt_midway(
            [spanprof, "run", "-o", capture, "--", "node"] + NODE_FLAGS +
            [app, "--duration-ms", "60000"], capture, signal.SIGTERM, after_s=1.5, env=env,
            cwd=work)
        perf_maps.append(f"/tmp/perf-{app_pid}.map")
        tap.check(code == 0 and "stopped by a signal" in output,
                  "SIGTERM mid-run reaches the app, which stops and exits 0", output)
        summary = load_json(os.path.join(capture, "summary.json")) or {}
        tap.check((summary.get("spans") or {}).get("samples_in_spans", 0) > 0,
                  "spans flushed after the signal are joined", summary.get("spans"))
    finally:
        shutil.rmtree(work, ignore_errors=True)  # with node's isolate-*.log files
        for path in perf_maps:
            if os.path.isfile(path):
                os.remove(path)
    tap.done()


if __name__ == "__main__":
    main()
