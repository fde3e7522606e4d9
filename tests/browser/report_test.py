#!/usr/bin/env python3
"""The report page in a real browser (issue #14): headless chromium (Debian's package),
driven by playwright-core through check_page.js, on real reports and made-up ones.

1. Real captures, each written by `spanprof report DIR`: the demo under `spanprof run`
   (span names from summary.json's spans.by_name and its hottest functions must show;
   choosing a name, zooming, searching, a single span and a timeline range must each
   change what the flame graph draws); an off-CPU capture of the blocking demo (the
   off-CPU and wall metrics, summary.json's top off-CPU functions drawn); the demo without spans.
2. Made-up page data (fixture_page.py, wrapped by page_from_json): hostile names that
   must not run or break the page, no clock (no timeline), nothing at all.
Every page must load with no console error, no page error and no network request.
Screenshots go to OUT_DIR (printed). Skipped when node, chromium or the npm packages
(npm ci in tests/browser; scripts/test's set-up does it) are missing.

usage: report_test.py SPANPROF DEMO PAGE_FROM_JSON TESTS_BROWSER_DIR OUT_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
from tap import Tap  # noqa: E402

SANITIZED = os.environ.get("SPANPROF_SANITIZED") == "1"
CHROMIUM = os.environ.get("SPANPROF_CHROMIUM", "/usr/bin/chromium")
TIMEOUT_S = 240


def run(argv, timeout=TIMEOUT_S):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {timeout} s"
    return done.returncode, done.stdout, done.stderr


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class PageCheck:
    """Gathers (case, page, expect) and checks them all in one browser (check_page.js);
    each of its checks becomes a TAP line."""

    def __init__(self, tap, node, script, out_dir):
        self.tap, self.node, self.script, self.out_dir = tap, node, script, out_dir
        self.cases = []

    def add(self, case, page, expect):
        self.cases.append({"case": case, "page": page, "expect": expect})

    def run(self, work):
        if not self.cases:
            return
        cases_path = os.path.join(work, "cases.json")
        with open(cases_path, "w") as f:
            json.dump(self.cases, f)
        code, out, err = run([self.node, self.script, cases_path, self.out_dir], timeout=180)
        checked = set()
        for line in out.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if "screenshot" in item:
                continue
            checked.add(item["case"])
            self.tap.check(item["ok"], f"{item['case']}: {item['name']}", item.get("detail", ""))
        missing = [c["case"] for c in self.cases if c["case"] not in checked]
        self.tap.check(code == 0 and not missing, "check_page.js checked every page",
                       f"exit {code}, not checked: {missing}\n{err[-2000:]}")


def hottest_user_functions(summary, count):
    """The first functions of summary.json's hottest list: what the top-functions table
    must show too (same weights, same order)."""
    return [f["name"] for f in summary.get("hottest_functions", [])[:count]]


def report(tap, spanprof, capture, case):
    code, out, err = run([spanprof, "report", capture])
    page = os.path.join(capture, "report.html")
    ok = tap.check(code == 0 and os.path.isfile(page), f"{case}: spanprof report DIR writes report.html",
                   f"exit {code}\n{out}\n{err}")
    if ok:
        print(f"# {case}: report.html {os.path.getsize(page)} bytes")
    return page if ok else None


def record(tap, spanprof, capture, case, argv):
    code, out, err = run([spanprof, "run", "-q", "-o", capture, "--"] + argv)
    return tap.check(code == 0, f"{case}: spanprof run -- {' '.join(os.path.basename(a) for a in argv)}",
                     f"exit {code}\n{out}\n{err}")


def real_captures(tap, pages, spanprof, demo, work):
    duration = "800" if SANITIZED else "1000"
    capture = os.path.join(work, "demo")
    if record(tap, spanprof, capture, "demo", [demo, "--duration-ms", duration]):
        page = report(tap, spanprof, capture, "demo")
        summary = load_json(os.path.join(capture, "summary.json")) or {}
        by_name = (summary.get("spans") or {}).get("by_name", [])
        names = [n["name"] for n in by_name]
        tap.check(len(names) >= 2, "demo: summary.json names its spans", str(names))
        if page:
            # The page and summary.json come from the same join: the same weights.
            pages.add("demo", page, {"spanNames": names, "hottest": hottest_user_functions(summary, 3),
                                       "timeline": True, "interact": True, "frames": 5,
                                       "rootTotal": summary.get("weight"),
                                       "nameTotals": {n["name"]: n["total"] for n in by_name}})

    capture = os.path.join(work, "offcpu")
    code, out, err = run([spanprof, "run", "-q", "--off-cpu", "-o", capture, "--", demo, "--blocking",
                          "--threads", "2", "--rounds", "1" if SANITIZED else "2"])
    if tap.check(code == 0, "off-cpu: spanprof run --off-cpu -- demo --blocking", f"exit {code}\n{out}\n{err}"):
        page = report(tap, spanprof, capture, "off-cpu")
        summary = load_json(os.path.join(capture, "summary.json")) or {}
        # The functions that held most off-CPU time (summary.json's list, user frames).
        off = [f["name"] for f in (summary.get("off_cpu") or {}).get("hottest_functions", [])][:3]
        tap.check(off, "off-cpu: summary.json lists off-CPU functions", str(summary.get("off_cpu")))
        names = [n["name"] for n in (summary.get("spans") or {}).get("by_name", [])]
        if page:
            pages.add("off-cpu", page, {"spanNames": names, "timeline": True, "offCpu": True,
                                          "offCpuFunctions": off, "frames": 3})

    if SANITIZED:
        return
    capture = os.path.join(work, "nospans")
    if record(tap, spanprof, capture, "no-spans", [demo, "--duration-ms", "600", "--libc-leaf"]):
        page = report(tap, spanprof, capture, "no-spans")
        summary = load_json(os.path.join(capture, "summary.json")) or {}
        if page:
            pages.add("no-spans", page, {"emptyText": "no spans", "hottest": hottest_user_functions(summary, 2),
                                           "timeline": True, "frames": 3})


def made_up_pages(tap, pages, fixture, page_from_json, work):
    """The real demo page is the one clicked through; these are loaded and read."""
    cases = {
        "fixture-busy": {"spanNames": ["request", "parse", "hash"], "hottest": ["compute_hash", "memchr"],
                         "timeline": True, "frames": 5},
        "fixture-hostile": {"spanNames": ["</script><!--<script>alert(1)</script>", "request"],
                            "title": "app --serve </script><!--<script>alert(1)</script>",
                            "emptyText": ["This page left out", "a binary was missing </script>"],
                            "timeline": True, "frames": 5},
        "fixture-no-clock": {"emptyText": "No clock", "spanNames": ["request"], "timeline": False,
                             "frames": 5},
        "fixture-empty": {"emptyText": ["no spans", "No samples"], "timeline": False},
    }
    for case, expect in cases.items():
        data = os.path.join(work, case + ".json")
        page = os.path.join(work, case + ".html")
        code, out, err = run([sys.executable, fixture, case.split("-", 1)[1], data])
        if code == 0:
            code, out, err = run([page_from_json, data, page])
        if tap.check(code == 0, f"{case}: the page is written", f"exit {code}\n{out}\n{err}"):
            pages.add(case, page, expect)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    spanprof, demo, page_from_json, here, out_dir = (os.path.abspath(a) for a in sys.argv[1:])
    tap = Tap()
    node = shutil.which("node")
    if not node:
        tap.skip_all("node is not installed (apt-get install nodejs)")
    if not os.access(CHROMIUM, os.X_OK):
        tap.skip_all(f"{CHROMIUM} is missing (apt-get install chromium)")
    if not os.path.isdir(os.path.join(here, "node_modules", "playwright-core")):
        tap.skip_all("playwright-core is not installed (npm ci in tests/browser)")
    os.makedirs(out_dir, exist_ok=True)
    for old in os.listdir(out_dir):  # a previous run's screenshots would mislead
        if old.endswith(".png"):
            os.remove(os.path.join(out_dir, old))
    print(f"# screenshots: {out_dir}")
    pages = PageCheck(tap, node, os.path.join(here, "check_page.js"), out_dir)
    work = tempfile.mkdtemp(prefix="spanprof-browser-")
    try:
        made_up_pages(tap, pages, os.path.join(here, "fixture_page.py"), page_from_json, work)
        real_captures(tap, pages, spanprof, demo, work)
        pages.run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
