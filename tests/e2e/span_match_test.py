#!/usr/bin/env python3
"""When spans and samples cannot meet, the join says why: one real recording of
the demo app, joined with its own spans rewritten the ways real captures go
wrong (another run's ids, a wrong process.pid, a pid namespace, another time),
each giving its own diagnosis; a recording under `unshare --pid` whose
namespace ids make its spans match; and the span-matching options a join
records in capture.json for the next one.

usage: span_match_test.py SPANPROF DEMO
"""
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "run"))
from run_common import load_json, run  # noqa: E402
from tap import Tap  # noqa: E402

HOUR_NS = 3600 * 10**9


def rewrite_spans(source, target, pid=None, tid=None, shift_ns=0):
    """Copies an OTLP JSON Lines file, mapping process.pid and thread.os_id
    through the given functions and moving every span by shift_ns."""
    with open(source) as f, open(target, "w") as out:
        for line in f:
            if not line.strip():
                continue
            data = json.loads(line)
            for resource_spans in data["resourceSpans"]:
                for attr in resource_spans["resource"]["attributes"]:
                    if attr["key"] == "process.pid" and pid:
                        attr["value"]["intValue"] = str(pid(int(attr["value"]["intValue"])))
                for scope in resource_spans["scopeSpans"]:
                    for span in scope["spans"]:
                        for key in ("startTimeUnixNano", "endTimeUnixNano"):
                            span[key] = str(int(span[key]) + shift_ns)
                        for attr in span.get("attributes", []):
                            if attr["key"] == "thread.os_id" and tid:
                                attr["value"]["intValue"] = str(tid(int(attr["value"]["intValue"])))
            out.write(json.dumps(data) + "\n")


def span_match_warnings(summary):
    return [w["message"] for w in (summary or {}).get("warnings", [])
            if isinstance(w, dict) and w.get("kind") == "span_match"]


def main():
    spanprof, demo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    if shutil.which("perf") is None:
        tap.bail("perf is not installed")
    work = tempfile.mkdtemp(prefix="spanprof-span-match-")
    try:
        capture = os.path.join(work, "demo")
        code, out, err = run([spanprof, "run", "-q", "-o", capture, "--", demo,
                              "--duration-ms", "600"])
        summary = load_json(os.path.join(capture, "summary.json"))
        if code != 0 or not summary or not summary.get("spans"):
            tap.bail(f"the demo recording failed: code {code}\n{err}")
        spans = summary["spans"]
        tap.check(spans["samples_in_spans"] > 0 and not span_match_warnings(summary) and
                  spans["processes_not_in_capture"] == 0 and spans["span_processes"] == 1,
                  "the demo's own spans meet its samples: no span_match warning", spans)
        record = load_json(os.path.join(capture, "capture.json"))
        app_pid = record["app_pid"]
        own_spans = os.path.join(capture, "spans.jsonl")

        def join_with(name, **rewrite):
            spans_file = os.path.join(work, f"spans-{name}.jsonl")
            rewrite_spans(own_spans, spans_file, **rewrite)
            summary_file = os.path.join(work, f"summary-{name}.json")
            code, out, err = run([spanprof, "join", "-q", capture, "--spans", spans_file,
                                  "-o", os.path.join(work, f"{name}.pb.gz"),
                                  "--summary", summary_file])
            return code, err, load_json(summary_file) or {}

        # Another run's ids: larger than any the capture has, in another process.
        code, err, joined = join_with("other-run", pid=lambda p: p + 3_000_000,
                                      tid=lambda t: t + 3_000_000)
        spans = joined.get("spans") or {}
        tap.check(code == 0 and spans.get("processes_not_in_capture") == 1 and
                  spans.get("samples_in_spans") == 0,
                  "spans of another run's process: counted as not in the capture", spans)
        tap.check(f"process.pid {app_pid + 3_000_000}" in err and "another run" in err,
                  "... and the warning names the pid and the likely cause", err)

        # A pre-fork server: the right tids under its parent's pid.
        code, err, joined = join_with("wrong-pid", pid=lambda p: p + 3_000_000)
        spans = joined.get("spans") or {}
        tap.check(spans.get("processes_wrong_pid") == 1 and spans.get("samples_in_spans") == 0,
                  "the right tids under another process.pid: counted as a wrong pid", spans)
        tap.check(f"in process {app_pid}" in err and "after the fork" in err,
                  "... and the warning names the process that ran them", err)

        # A pid namespace: pid 1, tids numbered from 2.
        code, err, joined = join_with("namespaced", pid=lambda p: 1,
                                      tid=lambda t: 1 if t == app_pid else 2 + (t - app_pid) % 50)
        spans = joined.get("spans") or {}
        tap.check(spans.get("processes_namespaced") == 1,
                  "pid 1 and small tids the capture never saw: counted as namespaced", spans)
        tap.check("pid namespace" in err, "... and the warning says pid namespace", err)

        # The right ids an hour early: the times do not overlap.
        code, err, joined = join_with("earlier", shift_ns=-HOUR_NS)
        spans = joined.get("spans") or {}
        gap = spans.get("spans_end_before_samples_ns", 0)
        tap.check(HOUR_NS - 10 * 10**9 < gap <= HOUR_NS and spans.get("samples_in_spans") == 0 and
                  spans.get("processes_not_in_capture") == 0,
                  "spans an hour early: the gap is counted, the ids are not blamed", spans)
        tap.check(re.search(r"the spans end (59\.\d|60\.0) min before the first sample", err) is not None,
                  "... and the warning says by how much and which is earlier", err)

        # The span-matching options a join is given are recorded, and used by the next.
        code, out, err = run([spanprof, "join", capture, "--span-scope", "innermost",
                              "--clock-offset", "0"])
        record = load_json(os.path.join(capture, "capture.json")) or {}
        tap.check(code == 0 and (record.get("join") or {}).get("span_scope") == "innermost" and
                  record["join"].get("clock_offset_ns") == 0 and
                  record["join"].get("tid_attribute") is None,
                  "capture.json records the options the join was given, as given", record.get("join"))
        code, out, err = run([spanprof, "join", capture])
        tap.check(code == 0 and "note: span matching as the last join" in out and
                  "--clock-offset 0" in out and "--span-scope innermost" in out,
                  "a join given none uses the recorded ones and says so in one line", out + err)
        code, out, err = run([spanprof, "join", "-q", capture, "--tid-attribute", "thread.os_id"])
        record = load_json(os.path.join(capture, "capture.json")) or {}
        tap.check(code == 0 and record["join"].get("span_scope") == "innermost" and
                  record["join"].get("tid_attribute") == "thread.os_id",
                  "a join given one option replaces only its recorded value", record.get("join"))

        namespaced_run(tap, spanprof, demo, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


def namespaced_run(tap, spanprof, demo, work):
    """The demo in its own pid namespace: its spans say pid 1."""
    unshare = ["unshare", "--pid", "--fork", "--mount-proc"]
    if shutil.which("unshare") is None:
        tap.skip("a pid-namespaced app's spans match", "unshare is not installed")
        return
    code, _, err = run(unshare + ["true"])
    if code != 0:
        tap.skip("a pid-namespaced app's spans match", f"unshare --pid is not permitted: {err}")
        return
    capture = os.path.join(work, "namespaced")
    code, out, err = run([spanprof, "run", "-o", capture, "--"] + unshare +
                         [demo, "--duration-ms", "600"])
    summary = load_json(os.path.join(capture, "summary.json")) or {}
    spans = summary.get("spans") or {}
    ids_file = os.path.join(capture, "namespace-ids.tsv")
    tap.check(code == 0 and os.path.isfile(ids_file) and "threads ran in a pid namespace" in err,
              "run records the namespaced threads' ids in namespace-ids.tsv",
              f"code {code}\n{out}\n{err}")
    share = spans.get("share_of_samples_in_spans", 0)
    tap.check(spans.get("namespace_mapped", 0) > 0 and share > 0.5 and
              not span_match_warnings(summary),
              f"the namespaced spans are moved to the host's ids and match ({share:.1%} in spans)",
              spans)
    if os.path.isfile(ids_file):
        os.rename(ids_file, ids_file + ".moved")
        summary_file = os.path.join(work, "summary-namespaced.json")
        code, out, err = run([spanprof, "join", "-q", capture, "--summary", summary_file,
                              "-o", os.path.join(work, "namespaced.pb.gz")])
        spans = (load_json(summary_file) or {}).get("spans") or {}
        tap.check(spans.get("processes_namespaced") == 1 and "pid namespace" in err,
                  "without namespace-ids.tsv the join diagnoses a pid namespace", err)


if __name__ == "__main__":
    main()
