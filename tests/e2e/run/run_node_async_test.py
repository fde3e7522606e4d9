#!/usr/bin/env python3
"""The Node runtime hook on a real event loop: testdata/apps/node/http_server.js (the
real @opentelemetry/instrumentation-http, 8 requests in flight, CPU after an await
inside each request's span).

- The hook alone (node --require HOOK, no perf): the activation file follows
  docs/activations.md, and at every point the app checks, the record in effect names
  the span trace.getActiveSpan() gives; on the main thread and in a worker_thread.
  An app without OpenTelemetry gets no records; a hook that cannot write leaves the app
  alone and says why in activations-PID.error.
- `spanprof run`, no change to the app: the samples in each route's CPU function carry
  that route's spans, innermost and root.
- `spanprof run --no-runtime-hooks` (spans and thread.os_id, no activations): of those
  samples the join labels, the labels are right.

Skipped when node or testdata/apps/node/node_modules is missing
(scripts/install-node-app installs it).

usage: run_node_async_test.py SPANPROF NODE_APP_DIR HOOK
"""
import bisect
import collections
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_common import Tap, load_json, run  # noqa: E402
from run_node_test import dump_samples  # noqa: E402

NODE_FLAGS = ["--perf-basic-prof", "--interpreted-frames-native-stack"]
# Issue #12: with activations, at least 97% of the samples in a request's CPU work carry
# its own span; without them, at least 97% of those the join labels at all.
MIN_SHARE_RIGHT = 0.97
SANITIZED = os.environ.get("SPANPROF_SANITIZED") == "1"
DURATION_MS = "1500" if SANITIZED else "3000"
# route path -> (CPU function, child span, server span), as http_server.js names them
ROUTES = {
    "/fibonacci": ("computeFibonacci", "fibonacci", "GET /fibonacci"),
    "/hash": ("computeHash", "hash", "GET /hash"),
    "/primes": ("computePrimes", "primes", "GET /primes"),
}
HEADER = struct.Struct("<8sHHHHIIQQ")
RECORD = struct.Struct("<QII16s8s")
NO_SPAN = "0" * 16


class Activations:
    """One activations-PID.bin, decoded by docs/activations.md (version 1)."""

    def __init__(self, path):
        data = open(path, "rb").read()
        self.mode = stat.S_IMODE(os.stat(path).st_mode)
        self.size = len(data)
        (self.magic, self.version, self.header_size, self.record_size, self.clock_id,
         self.pid, _, self.monotonic_ns, self.realtime_ns) = HEADER.unpack_from(data, 0)
        body = len(data) - self.header_size
        self.torn_bytes = body % self.record_size
        self.records = [RECORD.unpack_from(data, self.header_size + i * self.record_size)
                        for i in range(body // self.record_size)]

    def by_thread(self):
        """tid -> [(time_ns, span_id hex)] in file order."""
        threads = collections.defaultdict(list)
        for time_ns, _, tid, _, span_id in self.records:
            threads[tid].append((time_ns, span_id.hex()))
        return threads


def activation_files(directory):
    return sorted(os.path.join(directory, name) for name in os.listdir(directory)
                  if name.startswith("activations-") and name.endswith(".bin"))


def check_file_format(tap, acts, name):
    tap.check(acts.magic == b"SPANACT\0" and acts.version == 1 and acts.header_size == 40 and
              acts.record_size == 40 and acts.clock_id == 1,
              f"{name}: header is SPANACT version 1, 40-byte header and records, CLOCK_MONOTONIC",
              vars(acts) if acts.size < 200 else acts.magic)
    tap.check(acts.mode == 0o600, f"{name}: created with mode 0600", oct(acts.mode))
    tap.check(acts.torn_bytes == 0, f"{name}: whole records only ({len(acts.records)})",
              acts.torn_bytes)
    tap.check(all(pid == acts.pid for _, pid, _, _, _ in acts.records),
              f"{name}: every record carries the header's pid {acts.pid}")
    ordered = repeats = 0
    for records in acts.by_thread().values():
        ordered += sum(1 for a, b in zip(records, records[1:]) if b[0] < a[0])
        repeats += sum(1 for a, b in zip(records, records[1:]) if b[1] == a[1])
    tap.check(ordered == 0, f"{name}: each thread's records are in time order", ordered)
    tap.check(repeats == 0, f"{name}: a record only when the span changes", repeats)
    tap.check(acts.monotonic_ns > 0 and all(t >= acts.monotonic_ns for t, *_ in acts.records),
              f"{name}: records come after the header's monotonic_ns")


def check_against_active_span(tap, acts, checks_path, tid, name):
    """At each point the app checked trace.getActiveSpan(), the record in effect on its
    thread (the last one at or before that time) must name the same span."""
    threads = acts.by_thread()
    times = {t: [time_ns for time_ns, _ in records] for t, records in threads.items()}
    agree = total = 0
    wrong = collections.Counter()
    spans = set()
    checked_tids = set()
    with open(checks_path) as lines:
        for line in lines:
            point = json.loads(line)
            records = threads.get(point["tid"], [])
            at = bisect.bisect_right(times.get(point["tid"], []), int(point["t"])) - 1
            followed = records[at][1] if at >= 0 else NO_SPAN
            expected = point["span_id"] or NO_SPAN
            total += 1
            if followed == expected:
                agree += 1
            else:
                wrong[point["where"]] += 1
            spans.add(expected)
            checked_tids.add(point["tid"])
    tap.check(total > 300 and checked_tids == {tid}, f"{name}: the app checked {total} points on "
              f"thread {tid}, {len(spans)} distinct spans")
    tap.check(agree == total, f"{name}: the followed span is trace.getActiveSpan() at "
              f"{agree}/{total} points", dict(wrong))
    tap.check(set(threads) == {tid}, f"{name}: records only on the app's thread {tid}",
              sorted(threads))


def run_hook_alone(tap, app_dir, hook, work, name, extra_args):
    directory = os.path.join(work, name.replace(" ", "-"))
    os.mkdir(directory)
    checks = os.path.join(directory, "checks.jsonl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(SPANPROF_ACTIVATIONS_DIR=directory, SPANPROF_TEST_CHECKS=checks)
    code, out, err = run(["node", "--require", hook, os.path.join(app_dir, "http_server.js"),
                          "--duration-ms", "1500"] + extra_args, env=env, cwd=work)
    tap.check(code == 0 and "requests on thread" in out, f"{name}: the server exits 0",
              f"code {code}\n{out}\n{err}")
    files = activation_files(directory)
    tap.check(len(files) == 1, f"{name}: one activations-PID.bin", os.listdir(directory))
    if len(files) != 1 or code != 0:
        return
    acts = Activations(files[0])
    tap.check(files[0].endswith(f"activations-{acts.pid}.bin"),
              f"{name}: the file is named after the header's pid")
    check_file_format(tap, acts, name)
    tid = int(out.split("requests on thread ")[1].split()[0])
    if extra_args:
        tap.check(tid != acts.pid, f"{name}: the worker has its own tid {tid}")
    check_against_active_span(tap, acts, checks, tid, name)


def run_without_otel(tap, hook, work):
    directory = os.path.join(work, "no-otel")
    os.mkdir(directory)
    script = ("Promise.resolve().then(() => new Promise((r) => setTimeout(r, 20)))"
              ".then(() => console.log('done', typeof globalThis[Symbol.for("
              "'opentelemetry.js.api.1')]))")
    bare = run(["node", "-e", script], cwd=work)
    hooked = run(["node", "--require", hook, "-e", script], cwd=work,
                 env=dict(os.environ, SPANPROF_ACTIVATIONS_DIR=directory))
    tap.check(hooked == bare and bare[0] == 0,
              "an app without OpenTelemetry: same exit status and output with the hook",
              f"{bare}\n{hooked}")
    files = activation_files(directory)
    tap.check(len(files) == 1 and os.path.getsize(files[0]) == 40,
              "an app without OpenTelemetry: a header and no records",
              [(f, os.path.getsize(f)) for f in files])


def run_cannot_write(tap, hook, work):
    directory = os.path.join(work, "cannot-write")
    os.mkdir(directory)
    # exec keeps the shell's pid: the hook's file name is taken by a folder.
    command = (f'mkdir "$SPANPROF_ACTIVATIONS_DIR/activations-$$.bin" && '
               f'exec node --require "{hook}" -e "console.log(\'app ran\')"')
    code, out, err = run(["sh", "-c", command], cwd=work,
                         env=dict(os.environ, SPANPROF_ACTIVATIONS_DIR=directory))
    tap.check(code == 0 and out == "app ran\n" and err == "",
              "a hook that cannot create its file: the app runs unharmed, prints nothing more",
              f"code {code}\n{out}\n{err}")
    errors = [name for name in os.listdir(directory) if name.endswith(".error")]
    text = open(os.path.join(directory, errors[0])).read() if len(errors) == 1 else ""
    tap.check(text.count("\n") == 1 and "EEXIST" in text,
              "... and leaves one line saying why in activations-PID.error", text or errors)

    # Empty: the hook must not take "" for a folder ("/activations-PID.bin").
    empty = os.path.join(work, "empty")
    os.mkdir(empty)
    code, out, _ = run(["node", "--require", hook, "-e", "console.log(process.pid)"], cwd=empty,
                       env=dict(os.environ, SPANPROF_ACTIVATIONS_DIR=""))
    tap.check(code == 0 and not os.listdir(empty) and
              not os.path.exists(f"/activations-{out.strip()}.bin"),
              "SPANPROF_ACTIVATIONS_DIR empty: the hook writes nothing", f"{code} {out}")


def in_route_function(frames, function):
    """function is on the stack, called from http_server.js (recursion included). The caller
    rules out frames that only look like it: V8 reuses code addresses, and /tmp/perf-PID.map
    keeps both names, so a startup frame can resolve to a function JIT-compiled later there."""
    return any(function in frame and "http_server.js:" in caller
               for frame, caller in zip(frames, frames[1:]))


def route_shares(samples, exact):
    """route -> (samples in its CPU function, those labelled with its spans, those labelled
    at all, a few of the others to show). exact: the innermost span must be the route's
    child span; otherwise its server span will do (a common ancestor)."""
    shares = {}
    for path, (function, child, server) in ROUTES.items():
        innermost_ok = (child,) if exact else (child, server)
        inside = right = labelled = 0
        wrong = []
        for count, labels, frames in samples:
            if not in_route_function(frames, function):
                continue
            inside += count
            if labels.get("innermost_span_name"):
                labelled += count
            if (labels.get("innermost_span_name") in innermost_ok and
                    labels.get("span_name") == server):
                right += count
            elif labels.get("innermost_span_name") and len(wrong) < 5:
                wrong.append(f"{count} x {labels} at {' <- '.join(frames[:6])}")
        shares[path] = (inside, right, labelled, "\n".join(wrong))
    return shares


def spanprof_run(tap, spanprof, app_dir, work, name, options, perf_maps):
    capture = os.path.join(work, name)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OTEL_") and k != "SPANPROF_ACTIVATIONS_DIR"}
    code, out, err = run([spanprof, "run", "-o", capture] + options + ["--", "node"] +
                         NODE_FLAGS + [os.path.join(app_dir, "http_server.js"),
                                       "--duration-ms", DURATION_MS], env=env, cwd=work)
    record = load_json(os.path.join(capture, "capture.json")) or {}
    perf_maps.append(f"/tmp/perf-{record.get('app_pid')}.map")
    tap.check(code == 0, f"spanprof run {' '.join(options + ['--'])} node http_server.js exits 0",
              f"code {code}\n{out}\n{err}")
    try:
        samples = dump_samples(spanprof, os.path.join(capture, "profile.pb.gz"))
    except RuntimeError as error:
        tap.bail(f"spanprof dump failed: {error}")
    return capture, route_shares(samples, exact=not options)


def main():
    spanprof, app_dir, hook = (os.path.abspath(arg) for arg in sys.argv[1:4])
    tap = Tap()
    if shutil.which("node") is None:
        tap.skip_all("node is not installed")
    if not os.path.isdir(os.path.join(app_dir, "node_modules", "@opentelemetry",
                                      "instrumentation-http")):
        tap.skip_all(f"{app_dir}/node_modules is missing: run scripts/install-node-app")
    if shutil.which("perf") is None:
        tap.bail("perf is not installed")
    work = tempfile.mkdtemp(prefix="spanprof-run-node-async-")
    perf_maps = []  # node's /tmp/perf-PID.map files, removed at the end
    try:
        run_hook_alone(tap, app_dir, hook, work, "hook on the main thread", [])
        run_hook_alone(tap, app_dir, hook, work, "hook in a worker_thread", ["--in-worker"])
        run_without_otel(tap, hook, work)
        run_cannot_write(tap, hook, work)

        capture, shares = spanprof_run(tap, spanprof, app_dir, work, "with-hook", [], perf_maps)
        files = activation_files(capture) if os.path.isdir(capture) else []
        tap.check(len(files) == 1 and len(Activations(files[0]).records) > 100,
                  "spanprof run: the hook wrote the app's activations into the capture",
                  os.listdir(capture) if os.path.isdir(capture) else capture)
        for path, (inside, right, _, wrong) in shares.items():
            function, child, server = ROUTES[path]
            tap.check(inside > 0 and right / inside >= MIN_SHARE_RIGHT,
                      f"with activations: {right}/{inside} samples in {function} carry "
                      f"innermost {child} and root {server}", wrong)

        capture, shares = spanprof_run(tap, spanprof, app_dir, work, "without-hook",
                                       ["--no-runtime-hooks"], perf_maps)
        tap.check(not activation_files(capture), "--no-runtime-hooks: no activation records")
        inside_all = sum(inside for inside, _, _, _ in shares.values())
        for path, (inside, right, labelled, wrong) in shares.items():
            function, child, server = ROUTES[path]
            tap.check(inside > 0 and right >= MIN_SHARE_RIGHT * labelled,
                      f"without activations: {right} of the {labelled} labelled samples in "
                      f"{function} (of {inside}) carry that route's spans", wrong)
        tap.check(inside_all > 0, f"without activations: {inside_all} samples in the routes")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for path in perf_maps:
            if os.path.isfile(path):
                os.remove(path)
    tap.done()


if __name__ == "__main__":
    main()
