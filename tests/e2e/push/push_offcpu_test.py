#!/usr/bin/env python3
"""spanprof push of an off-CPU capture: off_cpu and wall arrive as profile types
of their own (docs/pyroscope-profile-types.md), next to process_cpu.

The capture is recorded here, in well under a second, with the events of
`spanprof run --off-cpu` (perf record -c 1 -e cpu-clock/freq=999/
-e sched:sched_switch --switch-events -g -k monotonic) on a small Python
workload whose spans burn CPU, then sleep. `spanprof join DIR` says whether
this spanprof builds off-CPU profiles (it writes offcpu.pb.gz); when it does,
push must send the off_cpu and wall series, and this test fails if it does not.

usage: push_offcpu_test.py SPANPROF
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402
from push_common import PushServer, Tap, run  # noqa: E402

SERVICE = "offcpu-e2e"
BURN_S = 0.15
SLEEP_S = 0.25

# Writes its spans as OTLP JSON Lines (docs/samples-meet-spans.md): a root
# span, a child that burns CPU, a child that sleeps, all on the main thread.
WORKLOAD = r'''
import json, os, sys, threading, time
pid, tid = os.getpid(), threading.get_native_id()
trace = os.urandom(16).hex()
ids = {name: os.urandom(8).hex() for name in ("root", "burn", "sleep")}
t0 = time.time_ns()
x, end = 0, time.monotonic() + BURN_S
while time.monotonic() < end:
    x += 1
t1 = time.time_ns()
time.sleep(SLEEP_S)
t2 = time.time_ns()
def span(key, name, start, stop, parent=""):
    return {"traceId": trace, "spanId": ids[key], "parentSpanId": parent, "name": name,
            "kind": 1, "startTimeUnixNano": str(start), "endTimeUnixNano": str(stop),
            "attributes": [{"key": "thread.os_id", "value": {"intValue": str(tid)}}]}
resource = {"attributes": [
    {"key": "service.name", "value": {"stringValue": "SERVICE"}},
    {"key": "process.pid", "value": {"intValue": str(pid)}}]}
spans = [span("root", "GET /x", t0, t2), span("burn", "burn", t0, t1, ids["root"]),
         span("sleep", "sleep", t1, t2, ids["root"])]
line = {"resourceSpans": [{"resource": resource, "scopeSpans": [
    {"scope": {"name": "e2e"}, "spans": spans}]}]}
with open(sys.argv[1], "w") as f:
    f.write(json.dumps(line) + "\n")
'''.replace("BURN_S", repr(BURN_S)).replace("SLEEP_S", repr(SLEEP_S)).replace("SERVICE", SERVICE)


def record(capture):
    """perf record with run --off-cpu's events; None when it worked, else why not."""
    perf = shutil.which("perf")
    if perf is None:
        return "no perf on PATH"
    os.makedirs(capture)
    script = os.path.join(capture, "workload.py")
    with open(script, "w") as f:
        f.write(WORKLOAD)
    argv = [perf, "record", "-q", "-o", os.path.join(capture, "perf.data"), "-g", "-k",
            "monotonic", "-c", "1", "-e", "cpu-clock/freq=999/", "-e", "sched:sched_switch",
            "--switch-events", "--", sys.executable, script,
            os.path.join(capture, "spans.jsonl")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if done.returncode != 0 or not os.path.exists(os.path.join(capture, "spans.jsonl")):
        return f"perf record failed ({done.returncode}): {done.stderr.strip()[:300]}"
    return None


def span_ids(capture):
    with open(os.path.join(capture, "spans.jsonl")) as f:
        line = json.loads(f.readline())
    spans = line["resourceSpans"][0]["scopeSpans"][0]["spans"]
    return {s["name"]: s for s in spans}


def file_off_cpu_ns(path):
    with open(path, "rb") as f:
        profile = wire.pprof(gzip.decompress(f.read()))
    index = [t for t, _ in profile["sample_types"]].index("off_cpu")
    return sum(s["values"][index] for s in profile["samples"])


def pushed(server, name):
    return [p for p in server.profiles if p["series"].get("__name__") == name]


def value_by_span(stored, value_type, span_id):
    total = 0
    for one in stored:
        profile = one["profile"]
        index = [t for t, _ in profile["sample_types"]].index(value_type)
        for sample in profile["samples"]:
            if ("span_id", span_id) in sample["labels"]:
                total += sample["values"][index]
    return total


def check_off_cpu_series(tap, server, capture, out):
    """What the server got from a capture whose join wrote offcpu.pb.gz."""
    spans = span_ids(capture)
    sleep = spans["sleep"]
    sleep_ns = int(sleep["endTimeUnixNano"]) - int(sleep["startTimeUnixNano"])
    types = server.profile_types()
    for type_id in ("process_cpu:cpu:nanoseconds:cpu:nanoseconds", "off_cpu:off_cpu:nanoseconds::",
                    "off_cpu:switches:count::", "wall:wall:nanoseconds:wall:nanoseconds"):
        tap.check(type_id in types, f"the server files profile type {type_id}", sorted(types))
    off_cpu, wall = pushed(server, "off_cpu"), pushed(server, "wall")
    tap.check(all(p["series"].get("service_name") == SERVICE for p in off_cpu + wall),
              "off_cpu and wall series are filed under the spans' service",
              [p["series"] for p in off_cpu + wall])
    states = {v for p in off_cpu for s in p["profile"]["samples"] for k, v in s["labels"]
              if k == "thread_state"}
    tap.check("sleeping" in states, f"off-CPU samples keep thread_state ({sorted(states)})")
    total = sum(s["values"][1] for p in off_cpu for s in p["profile"]["samples"])
    expected = file_off_cpu_ns(os.path.join(capture, "offcpu.pb.gz"))
    tap.check(expected > 0 and abs(total - expected) <= expected // 100,
              f"push sends the off-CPU time offcpu.pb.gz holds ({total} of {expected} ns)")
    asleep = value_by_span(off_cpu, "off_cpu", sleep["spanId"])
    tap.check(0.5 * sleep_ns <= asleep <= 1.1 * sleep_ns,
              f"the sleeping span's off-CPU flame graph: {asleep / 1e6:.1f} ms of its "
              f"{sleep_ns / 1e6:.1f} ms")
    walled = value_by_span(wall, "wall", sleep["spanId"])
    tap.check(walled >= asleep, f"its wall profile holds at least that ({walled / 1e6:.1f} ms)")
    marked = {s["span_id"] for s in server.spans if "pyroscope.profile.id" in s["attributes"]}
    tap.check(sleep["spanId"] in marked,
              "the sleeping span gets pyroscope.profile.id (its samples are off-CPU ones)",
              sorted(marked))
    tap.check(f"series off_cpu{{service_name={SERVICE}}}" in out and
              f"series wall{{service_name={SERVICE}}}" in out,
              "the summary lists the off_cpu and wall series", out)


def main():
    spanprof = os.path.abspath(sys.argv[1])
    tap = Tap()
    work = tempfile.mkdtemp(prefix="spanprof-push-offcpu-")
    try:
        capture = os.path.join(work, "capture")
        why_not = record(capture)
        if why_not:
            tap.skip_all(why_not)
        code, out, err = run([spanprof, "join", capture])
        if not tap.check(code == 0, "spanprof join DIR exits 0", f"{code}\n{out}\n{err}"):
            tap.done()
        has_off_cpu = os.path.exists(os.path.join(capture, "offcpu.pb.gz"))

        with PushServer() as server:
            # Innermost: samples carry the sleeping span's own id, not the root's.
            summary_path = os.path.join(work, "summary.json")
            code, out, err = run([spanprof, "push", capture, "--server", server.url,
                                  "--traces-endpoint", server.url + "/v1/traces",
                                  "--span-scope", "innermost", "--summary-json", summary_path])
            tap.check(code == 0, "push exits 0", f"{code}\n{out}\n{err}")
            with open(summary_path) as f:
                by_type = json.load(f)["profiles"]["profiles_by_type"]
            sent = {}
            for p in server.profiles:
                sent[p["series"]["__name__"]] = sent.get(p["series"]["__name__"], 0) + 1
            tap.check(by_type == sent, f"--summary-json counts the profiles by type ({by_type})",
                      sent)
            tap.check(server.violations == [], "the server found no rule broken",
                      server.violations)
            tap.check(len(pushed(server, "process_cpu")) >= 1, "process_cpu profiles arrived")
            if has_off_cpu:
                check_off_cpu_series(tap, server, capture, out)
            else:
                tap.check(not pushed(server, "off_cpu") and not pushed(server, "wall"),
                          "no offcpu.pb.gz from the join: no off_cpu or wall series either")
                tap.skip("off_cpu and wall series", "this join writes no offcpu.pb.gz yet")

        with PushServer() as server:
            code, out, err = run([spanprof, "push", capture, "--server", server.url, "--reshape",
                                  "--profiles", "cpu"])
            names = {p["series"].get("__name__") for p in server.profiles}
            tap.check(code == 0 and names == {"process_cpu"},
                      f"--profiles cpu sends process_cpu only ({sorted(names)})",
                      f"{code}\n{out}\n{err}")

        code, out, err = run([spanprof, "push", capture, "--server", "http://127.0.0.1:1",
                              "--reshape", "--profiles", "cpu,gpu"])
        tap.check(code == 1 and "--profiles" in err and "off-cpu" in err,
                  "an unknown --profiles name is a usage error naming the choices", f"{code}\n{err}")

        if has_off_cpu:
            with PushServer() as server:
                code, out, err = run([spanprof, "push", capture, "--server", server.url,
                                      "--reshape", "--protocol", "ingest"])
                names = {p["series"].get("__name__") for p in server.profiles}
                tap.check(code == 0 and server.violations == [] and "off_cpu" not in names and
                          "wall" in names and "off-CPU samples not sent" in err,
                          f"/ingest gets no off-CPU profiles, says so, and gets wall "
                          f"({sorted(names)})", f"{code}\n{err}\n{server.violations}")
        else:
            tap.skip("--protocol ingest leaves off-CPU out", "this join writes no offcpu.pb.gz yet")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
