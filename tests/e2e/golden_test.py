#!/usr/bin/env python3
"""Golden tests: join each committed capture in testdata/captures/ and compare
its profile, as `spanprof dump` prints it, with the case's expected.txt.

On a mismatch the case gets actual.txt and the diff is shown. Regenerate with
scripts/regen-goldens after an intended change.

usage: golden_test.py SPANPROF CAPTURES_DIR
"""
import difflib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pprof_raw import read_raw  # noqa: E402
from tap import Tap  # noqa: E402


def main():
    spanprof, captures = sys.argv[1], sys.argv[2]
    tap = Tap()
    cases = sorted(d for d in os.listdir(captures)
                   if os.path.exists(os.path.join(captures, d, "expected.txt")))
    if not cases:
        tap.bail(f"no golden cases in {captures}")
    for case in cases:
        case_dir = os.path.join(captures, case)
        with tempfile.TemporaryDirectory(prefix="spanprof-golden-") as work:
            profile = os.path.join(work, "profile.pb.gz")
            # The same options as scripts/regen-goldens.
            join = subprocess.run(
                [spanprof, "join", "--perf-data", os.path.join(case_dir, "perf.data"),
                 "--spans", os.path.join(case_dir, "spans.jsonl"),
                 "--buildid-dir", os.path.join(case_dir, "buildid"),
                 "--kernel-symbols", "never", "-o", profile, "-q"],
                capture_output=True, text=True, timeout=300)
            if not tap.check(join.returncode == 0, f"{case}: join", join.stderr):
                continue
            try:
                read_raw(profile)
                tap.check(True, f"{case}: go tool pprof -raw reads it")
            except RuntimeError as error:
                tap.check(False, f"{case}: go tool pprof -raw reads it", error)
            dump = subprocess.run([spanprof, "dump", profile], capture_output=True, text=True,
                                  timeout=120)
            actual = dump.stdout
        with open(os.path.join(case_dir, "expected.txt")) as expected_file:
            expected = expected_file.read()
        actual_path = os.path.join(case_dir, "actual.txt")
        if actual == expected:
            if os.path.exists(actual_path):
                os.remove(actual_path)
            tap.check(True, f"{case}: profile matches expected.txt")
        else:
            with open(actual_path, "w") as out:
                out.write(actual)
            diff = "".join(list(difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), "expected.txt", "actual.txt"))[:80])
            tap.check(False, f"{case}: profile matches expected.txt (see {actual_path})", diff)
    tap.done()


if __name__ == "__main__":
    main()
