#!/usr/bin/env python3
"""spanprof report and the report of run and join: where the page goes, what it
holds (the join's own numbers), and bad input: one line, a documented exit code.

usage: report_cli_test.py SPANPROF DEMO CAPTURES
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)


def page_data(path):
    with open(path, encoding="utf-8") as f:
        html = f.read()
    found = re.search(r'<script type="application/json" id="spanprof-data">(.*?)</script>', html, re.S)
    return html, json.loads(found.group(1)) if found else None


def one_line_error(result):
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    return len(lines) == 1 and "error" in lines[0]


def main():
    spanprof, demo, captures = sys.argv[1:4]
    tap = Tap()
    work = tempfile.mkdtemp(prefix="spanprof-report-e2e-")
    try:
        # A committed capture with spans: no perf needed.
        capture = os.path.join(work, "demo-spans")
        shutil.copytree(os.path.join(captures, "demo-spans"), capture, symlinks=True)
        before = sorted(os.listdir(capture))
        r = run([spanprof, "report", capture])
        page = os.path.join(capture, "report.html")
        tap.check(r.returncode == 0 and os.path.isfile(page), "report DIR writes DIR/report.html",
                  r.stdout + r.stderr)
        tap.check(f"report: {page}" in r.stdout, "report prints the page's path", r.stdout)
        tap.check(sorted(os.listdir(capture)) == sorted(before + ["report.html"]),
                  "report DIR writes nothing else (no profile, no summary)", os.listdir(capture))
        html, data = page_data(page)
        tap.check(data is not None and "http://" not in html.replace("http://www.w3.org", "")
                  and "https://" not in html, "the page holds its data inline and fetches nothing")
        expected = json.load(open(os.path.join(capture, "expected-summary.json")))
        if data:
            names = {data["names"][n["name"]]: n for n in data["span_names"]}
            tap.check(set(names) == {s["name"] for s in expected["spans"]["by_name"]},
                      "the span table lists the summary's span names", sorted(names))
            weight = sum(data["rows"][i + 6] for i in range(0, len(data["rows"]), 8)
                         if data["rows"][i + 5] == 0)
            tap.check(weight == expected["weight"], "the page's samples add up to the summary's weight",
                      f"{weight} != {expected['weight']}")
            tap.check(data["summary"]["samples"] == expected["samples"],
                      "the page's facts are the join's summary")

        other = os.path.join(work, "elsewhere.html")
        r = run([spanprof, "report", capture, "-o", other, "-q"])
        tap.check(r.returncode == 0 and os.path.isfile(other), "report -o FILE writes FILE", r.stderr)

        # Bad input.
        r = run([spanprof, "report", os.path.join(work, "missing")])
        tap.check(r.returncode == 2 and one_line_error(r), "a missing DIR: exit 2, one line", r.stderr)
        r = run([spanprof, "report", capture, "-o", os.path.join(work, "no", "such", "dir.html")])
        tap.check(r.returncode == 2 and one_line_error(r) and "dir.html" in r.stderr,
                  "an output that cannot be written: exit 2, one line naming it", r.stderr)
        empty = os.path.join(work, "empty")
        os.mkdir(empty)
        r = run([spanprof, "report", empty])
        tap.check(r.returncode == 2 and one_line_error(r) and "perf.data" in r.stderr,
                  "a DIR without perf.data: exit 2, one line", r.stderr)
        r = run([spanprof, "export", capture, "--format", "svg"])
        tap.check(r.returncode == 1, "export of an unknown format: usage error", r.stderr)

        # join --report: the page from the join's own pass.
        os.remove(page)
        r = run([spanprof, "join", capture, "--report", "-q"])
        tap.check(r.returncode == 0 and os.path.isfile(page) and "report:" in r.stdout,
                  "join DIR --report writes the page beside the profile", r.stdout + r.stderr)
        r = run([spanprof, "join", capture])
        tap.check(f"spanprof report {capture}" in r.stdout, "join without --report says how to see it",
                  r.stdout)
        r = run([spanprof, "join", "--perf-data", os.path.join(capture, "perf.data"), "--report",
                 "-o", os.path.join(work, "p.pb.gz")])
        tap.check(r.returncode == 1 and one_line_error(r), "join --report without DIR: usage error",
                  r.stderr)

        # run writes it by default, --no-report does not; an empty capture.
        if shutil.which("perf") is None:
            tap.skip("run writes DIR/report.html", "perf is not installed")
            tap.skip("run --no-report writes none", "perf is not installed")
            tap.skip("a capture with no samples: exit 2, an empty page that says so", "no perf")
        else:
            empty = os.path.join(work, "no-samples")
            os.mkdir(empty)
            run(["perf", "record", "-q", "-e", "cpu-clock", "-c", "1000000000", "-o",
                 os.path.join(empty, "perf.data"), "--", "true"])
            r = run([spanprof, "report", empty])
            _, data = page_data(os.path.join(empty, "report.html")) if os.path.isfile(
                os.path.join(empty, "report.html")) else (None, None)
            tap.check(r.returncode == 2 and one_line_error(r) and "no samples" in r.stderr
                      and data is not None and data["rows"] == [] and
                      any("no samples" in w["message"] for w in data["summary"]["warnings"]),
                      "a capture with no samples: exit 2, one line, a page that says so",
                      r.stdout + r.stderr)
            out = os.path.join(work, "run")
            r = run([spanprof, "run", "-q", "-o", out, "--", demo, "--duration-ms", "300",
                     "--threads", "1"])
            _, data = page_data(os.path.join(out, "report.html")) if os.path.isfile(
                os.path.join(out, "report.html")) else (None, None)
            tap.check(r.returncode == 0 and data is not None and data["title"].startswith(demo),
                      "run writes DIR/report.html titled with the command", r.stdout + r.stderr)
            out2 = os.path.join(work, "run2")
            r = run([spanprof, "run", "-q", "--no-report", "-o", out2, "--", demo, "--duration-ms",
                     "200", "--threads", "1"])
            tap.check(r.returncode == 0 and not os.path.exists(os.path.join(out2, "report.html")),
                      "run --no-report writes none", r.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
