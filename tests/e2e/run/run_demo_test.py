#!/usr/bin/env python3
"""spanprof run end to end with the demo app writing spans through
SPANPROF_SPANS_FILE: the capture directory, capture.json, the join.

usage: run_demo_test.py SPANPROF DEMO
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_common import Tap, load_json, run  # noqa: E402


def main():
    spanprof, demo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    if shutil.which("perf") is None:
        tap.bail("perf is not installed")
    work = tempfile.mkdtemp(prefix="spanprof-run-e2e-")
    try:
        capture = os.path.join(work, "capture")
        code, out, err = run([spanprof, "run", "-o", capture, "--", demo, "--duration-ms", "800"])
        tap.check(code == 0, "spanprof run -- demo exits 0", f"code {code}\n{out}\n{err}")
        for name in ["perf.data", "spans.jsonl", "capture.json", "profile.pb.gz", "summary.json"]:
            tap.check(os.path.isfile(os.path.join(capture, name)), f"the capture has {name}")
        tap.check("spanprof join: wrote" in out, "the join summary is printed", out)

        summary = load_json(os.path.join(capture, "summary.json")) or {}
        in_spans = (summary.get("spans") or {}).get("samples_in_spans", 0)
        tap.check(in_spans > 0, f"summary.json: {in_spans} samples in spans", summary.get("spans"))

        record = load_json(os.path.join(capture, "capture.json")) or {}
        tap.check(record.get("schema") == "spanprof.capture/2" and
                  record.get("state") == "finished", "capture.json is finished", record)
        tap.check(record.get("command") == [demo, "--duration-ms", "800"], "capture.json: command")
        tap.check(isinstance(record.get("app_pid"), int) and record["app_pid"] > 0,
                  "capture.json: the app's pid", record.get("app_pid"))
        exit_status = record.get("exit") or {}
        tap.check([exit_status.get(k, "?") for k in ("code", "signal", "shell_code")] ==
                  [0, None, 0],
                  "capture.json: exit status", record.get("exit"))
        clocks = record.get("clocks") or {}
        start, end = clocks.get("start") or {}, clocks.get("end") or {}
        tap.check(0 < start.get("monotonic_ns", 0) < end.get("monotonic_ns", 0) and
                  0 < start.get("realtime_ns", 0) < end.get("realtime_ns", 0),
                  "capture.json: clock pairs at start and end", clocks)
        tap.check(str(record.get("perf_version", "")).startswith("perf version"),
                  "capture.json: perf version", record.get("perf_version"))
        tap.check(bool(record.get("kernel")) and bool(record.get("spanprof_version")),
                  "capture.json: kernel and spanprof version")
        receiver = (record.get("spans") or {}).get("receiver") or {}
        tap.check(str(receiver.get("endpoint", "")).startswith("http://127.0.0.1:"),
                  "capture.json: receiver endpoint", receiver)

        # A capture cut short (perf killed, disk full) has no CLOCK_DATA, which
        # perf writes last: capture.json's clock reading puts the samples on the
        # wall clock instead, so the spans are still joined.
        cut = os.path.join(work, "cut")
        os.mkdir(cut)
        for name in ["spans.jsonl", "capture.json"]:
            shutil.copy(os.path.join(capture, name), cut)
        with open(os.path.join(capture, "perf.data"), "rb") as whole:
            data = whole.read()
        with open(os.path.join(cut, "perf.data"), "wb") as part:
            part.write(data[:len(data) * 3 // 4])
        code, out, err = run([spanprof, "join", cut])
        cut_summary = load_json(os.path.join(cut, "summary.json")) or {}
        cut_in_spans = (cut_summary.get("spans") or {}).get("samples_in_spans", 0)
        tap.check(code == 0 and "capture.json's clock reading" in err + out and
                  0 < cut_in_spans and cut_summary.get("samples", 0) > 0,
                  f"a cut capture joins its spans with capture.json's clocks ({cut_in_spans} "
                  "samples in spans)", f"code {code}\n{out}\n{err}")
        os.remove(os.path.join(cut, "capture.json"))
        code, out, err = run([spanprof, "join", cut])
        tap.check(code == 3, "without capture.json the cut capture's spans cannot be joined (exit 3)",
                  f"code {code}\n{err}")

        # --spans FILE outside DIR is joined too; --no-join leaves the join for later.
        outside = os.path.join(work, "elsewhere.jsonl")
        capture2 = os.path.join(work, "capture2")
        code, out, err = run([spanprof, "run", "--no-receiver", "--spans", outside, "-o", capture2,
                              "--", demo, "--duration-ms", "400"])
        summary = load_json(os.path.join(capture2, "summary.json")) or {}
        files = (summary.get("spans") or {}).get("files", [])
        tap.check(code == 0 and os.path.isfile(outside) and files == [outside] and
                  summary["spans"]["samples_in_spans"] > 0,
                  "--spans FILE: the app writes there and the join reads it", f"{files}\n{err}")
        capture3 = os.path.join(work, "capture3")
        user_endpoint = "http://127.0.0.1:9/v1/traces"
        code, out, err = run([spanprof, "run", "--no-join", "-o", capture3, "--", demo,
                              "--duration-ms", "200"],
                             env=dict(os.environ, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=user_endpoint))
        tap.check(code == 0 and os.path.isfile(os.path.join(capture3, "perf.data")) and
                  not os.path.exists(os.path.join(capture3, "profile.pb.gz")),
                  "--no-join records without joining", err)
        receiver = ((load_json(os.path.join(capture3, "capture.json")) or {}).get("spans")
                    or {}).get("receiver") or {}
        tap.check(f"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is already set ({user_endpoint})" in err
                  and receiver.get("endpoint_in_app_env") is False,
                  "the user's OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is kept, and said so", err)
        code, out, err = run([spanprof, "join", capture3])
        tap.check(code == 0 and os.path.isfile(os.path.join(capture3, "profile.pb.gz")),
                  "spanprof join DIR joins a --no-join capture later", err)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
