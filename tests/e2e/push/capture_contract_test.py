#!/usr/bin/env python3
"""The capture directory as one contract (issue #11): what `spanprof run`
records, `spanprof join DIR` and `spanprof push DIR` read the same way.

Each case is a bug first seen by using spanprof: spans kept outside DIR, a
--force capture that kept the earlier push's state, two runs in one second,
the exit code of an unusable DIR, the sampling rate perf really used.

usage: capture_contract_test.py SPANPROF DEMO
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from push_common import PushServer, Tap, run  # noqa: E402


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def spans_in_summary(capture):
    summary = load_json(os.path.join(capture, "summary.json")) or {}
    return (summary.get("spans") or {}), summary


def main():
    spanprof, demo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    if shutil.which("perf") is None:
        tap.bail("perf is not installed")
    work = tempfile.mkdtemp(prefix="spanprof-contract-")
    try:
        # Spans written outside DIR: run labels samples with them, and so must a
        # later `spanprof join DIR` and the push in the same command.
        capture = os.path.join(work, "elsewhere")
        spans = os.path.join(work, "app-spans", "s.jsonl")
        os.makedirs(os.path.dirname(spans))
        with PushServer() as server:
            code, out, err = run([spanprof, "run", "-o", capture, "--spans", spans,
                                  "--no-receiver", "--push", server.url,
                                  "--traces-endpoint", server.url + "/v1/traces", "--",
                                  "sh", "-c", f"'{demo}' --duration-ms 600"])
            tap.check(code == 0, "run --spans FILE --push: exit 0", f"{code}\n{out}\n{err}")
            run_spans, _ = spans_in_summary(capture)
            tap.check(run_spans.get("samples_in_spans", 0) > 0,
                      "run's own join labels samples with the spans file outside DIR", run_spans)
            tap.check("no span files" not in err and len(server.spans) > 0,
                      f"the push forwards the spans kept outside DIR ({len(server.spans)})", err)
            services = {p["series"].get("service_name") for p in server.profiles
                        if any(k == "span_id" for s in p["profile"]["samples"] for k, _ in s["labels"])}
            tap.check(services == {"spanprof-demo"},
                      "samples in spans go to the spans' service_name, not the executable (sh)",
                      services)
            tap.check(len(server.sample_span_ids()) > 0, "pushed samples carry span ids")
        os.remove(os.path.join(capture, "summary.json"))
        code, out, err = run([spanprof, "join", capture, "-q"])
        joined, _ = spans_in_summary(capture)
        tap.check(code == 0 and joined.get("samples_in_spans", 0) > 0 and
                  spans in joined.get("files", []),
                  "a later `spanprof join DIR` reads capture.json's spans file too",
                  f"{code}\n{err}\n{joined.get('files')}")
        # A moved directory: the spans file outside it is named by its absolute path.
        moved = os.path.join(work, "moved")
        shutil.move(capture, moved)
        code, out, err = run([spanprof, "join", moved, "-q"])
        joined, _ = spans_in_summary(moved)
        tap.check(code == 0 and joined.get("samples_in_spans", 0) > 0,
                  "a moved capture still joins the spans file it names", f"{code}\n{err}")
        os.remove(spans)
        code, out, err = run([spanprof, "join", moved, "-q"])
        tap.check(code == 0 and "s.jsonl, which does not exist" in err,
                  "a spans file that is gone is a warning, not a silent join without it", err)

        # --force over a pushed capture: the new capture is pushed, not "already delivered".
        capture = os.path.join(work, "forced")
        with PushServer() as first:
            code, out, err = run([spanprof, "run", "-o", capture, "--push", first.url, "--",
                                  demo, "--duration-ms", "300"])
            tap.check(code == 0 and os.path.exists(os.path.join(capture, "push.json")),
                      "a first capture pushed", f"{code}\n{out}\n{err}")
        with PushServer() as second:
            code, out, err = run([spanprof, "run", "-o", capture, "--force", "--push", second.url,
                                  "--", demo, "--duration-ms", "300"])
            tap.check(code == 0 and "already delivered" not in out and len(second.profiles) > 0,
                      f"run --force -o DIR pushes the new capture ({len(second.profiles)} profiles)",
                      f"{code}\n{out}\n{err}")
            tap.check("outbox/" in err and "push.json" in err,
                      "--force names the earlier push state it removed", err)

        # Two runs with the default -o started together never share a directory.
        cwd = os.path.join(work, "cwd")
        os.makedirs(cwd)
        argv = [spanprof, "run", "-q", "--no-receiver", "--", demo, "--duration-ms", "400"]
        first = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        second = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        codes = [first.wait(timeout=240), second.wait(timeout=240)]
        dirs = sorted(d for d in os.listdir(cwd) if d.startswith("spanprof-"))
        complete = [d for d in dirs if os.path.exists(os.path.join(cwd, d, "profile.pb.gz")) and
                    (load_json(os.path.join(cwd, d, "capture.json")) or {}).get("state") ==
                    "finished"]
        tap.check(codes == [0, 0] and len(complete) == 2,
                  f"two runs started together: two complete capture directories {dirs}", codes)

        # An unusable DIR is exit 2 (unusable input), as documented.
        code, out, err = run([spanprof, "join", os.path.join(work, "nonexistent")])
        tap.check(code == 2 and "no such directory" in err, "join /nonexistent: exit 2", err)
        empty = os.path.join(work, "empty")
        os.makedirs(empty)
        code, out, err = run([spanprof, "join", empty])
        tap.check(code == 2 and "no perf.data" in err, "join of a DIR without perf.data: exit 2", err)
        code, out, err = run([spanprof, "push", os.path.join(work, "nonexistent"), "--server",
                              "http://127.0.0.1:9"])
        tap.check(code == 2 and "no such directory" in err, "push /nonexistent: exit 2", err)

        # capture.json records the rate perf sampled at, next to the one asked for.
        with open("/proc/sys/kernel/perf_event_max_sample_rate") as f:
            max_rate = int(f.read())
        asked = max_rate * 2
        capture = os.path.join(work, "throttled")
        code, out, err = run([spanprof, "run", "-o", capture, "-F", str(asked), "--no-join",
                              "--", demo, "--duration-ms", "200"])
        record = load_json(os.path.join(capture, "capture.json")) or {}
        sampled = record.get("sample_frequency_hz")
        tap.check(code == 0 and record.get("options", {}).get("frequency_hz") == asked and
                  isinstance(sampled, int) and 0 < sampled <= max_rate,
                  f"-F {asked} over the kernel's {max_rate}: capture.json says perf sampled at "
                  f"{sampled} Hz", f"{code}\n{err}\n{record.get('options')}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
