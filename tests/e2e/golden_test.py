#!/usr/bin/env python3
"""Golden tests: join each committed capture under testdata/captures/ (every
directory with a case.json) and compare the profile, as `spanprof dump` prints
it, with the case's expected.txt, and the stable part of summary.json with its
expected-summary.json.

case.json says how the capture was recorded and how it is joined: perf_data
(a file, or a pipe-mode stream fed on standard input when perf_data_on_stdin),
spans, buildid_dir (relative to the case), extra join_args, the expected
exit_code (3 for a capture without clock data) and system_debug_info: the build
ids whose separate debug info (/usr/lib/debug, e.g. libc6-dbg) the recording
machine had; symbolization depends on it, so it is checked first. Its "facts"
are checked on every run (see check_facts).

On a mismatch the actual files are written OUTSIDE testdata/, under --out DIR
(meson passes its build directory) or a fresh temporary directory, and the path
and a diff are shown. scripts/regen-goldens re-records the captures and runs
this script with --update, which rewrites the expected files instead.

usage: golden_test.py [--update] [--out DIR] SPANPROF CAPTURES_DIR
"""
import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pprof_raw import read_raw  # noqa: E402
from tap import Tap  # noqa: E402

DIFF_LINES = 80


def find_cases(captures):
    """Case directories (relative names, sorted): every directory holding a case.json."""
    cases = []
    for root, dirs, files in os.walk(captures):
        dirs[:] = sorted(d for d in dirs if d != "buildid")
        if "case.json" in files:
            cases.append(os.path.relpath(root, captures))
    return sorted(cases)


def load_case(case_dir):
    with open(os.path.join(case_dir, "case.json")) as f:
        return json.load(f)


def system_debug_file(build_id):
    """Where libdwfl finds a build id's separate debug info (libc6-dbg installs libc's)."""
    return os.path.join("/usr/lib/debug/.build-id", build_id[:2], build_id[2:] + ".debug")


def binaries_with_system_debug_info(case_dir, case):
    """Build ids in the case's build-id cache whose separate debug info this machine has.

    spanprof (libdwfl) reads it from /usr/lib/debug, outside the committed files: it
    names libc's internal functions and gives their lines. A golden holds only on a
    machine that has the same debug files as the one that recorded it.
    """
    cache = os.path.join(os.path.normpath(os.path.join(case_dir, case["buildid_dir"])),
                         ".build-id")
    found = []
    for prefix in sorted(os.listdir(cache)) if os.path.isdir(cache) else []:
        for rest in sorted(os.listdir(os.path.join(cache, prefix))):
            if os.path.exists(system_debug_file(prefix + rest)):
                found.append(prefix + rest)
    return found


def join(spanprof, case_dir, case, work, perf_data_from_file=False):
    """Runs `spanprof join` as case.json says; returns (CompletedProcess, profile, summary)."""
    profile = os.path.join(work, "profile.pb.gz")
    summary = os.path.join(work, "summary.json")
    for path in (profile, summary):
        if os.path.exists(path):
            os.remove(path)
    perf_data = os.path.join(case_dir, case["perf_data"])
    on_stdin = case.get("perf_data_on_stdin", False) and not perf_data_from_file
    args = [spanprof, "join", "--perf-data", "-" if on_stdin else perf_data]
    for spans in case.get("spans", []):
        args += ["--spans", os.path.join(case_dir, spans)]
    for activations in case.get("activations", []):
        args += ["--activations", os.path.join(case_dir, activations)]
    args += ["--buildid-dir", os.path.normpath(os.path.join(case_dir, case["buildid_dir"]))]
    # JIT maps only from the case itself (it has none): a stray /tmp/perf-PID.map of
    # this machine must not change the profile.
    args += ["--perf-map-dir", case_dir]
    args += case.get("join_args", []) + ["-o", profile, "--summary", summary, "-q"]
    stdin_bytes = None
    if on_stdin:
        # Through a pipe, as `perf record -o - | spanprof join --perf-data -` runs.
        with open(perf_data, "rb") as f:
            stdin_bytes = f.read()
    result = subprocess.run(args, input=stdin_bytes, capture_output=True, timeout=300)
    result.stderr = result.stderr.decode(errors="replace")
    return result, profile, summary


def dump(spanprof, profile):
    result = subprocess.run([spanprof, "dump", profile], capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"spanprof dump failed: {result.stderr.strip()}")
    return result.stdout


def stable_summary(path, case_dir, work):
    """summary.json without what depends on where the test runs: the profile's
    path, span file paths (kept as names), and the case and output directories
    inside messages."""
    with open(path) as f:
        summary = json.load(f)
    summary.pop("profile", None)
    spans = summary.get("spans")
    if spans:
        spans["files"] = [os.path.basename(name) for name in spans.get("files", [])]
    text = json.dumps(summary, indent=2, sort_keys=True) + "\n"
    for directory, placeholder in ((os.path.abspath(case_dir), "<case>"),
                                   (os.path.abspath(work), "<out>")):
        text = text.replace(directory, placeholder)
    return text


def dump_pids(dump_text):
    return len(set(re.findall(r"\bpid=(\d+)", dump_text)))


def check_facts(tap, name, case, summary_text, dump_text):
    """case.json's "facts": what makes the case the scenario it is, so that a
    re-recording that no longer exercises it fails. Each key is a dotted path into
    summary.json (or "pids": distinct pids in the profile); each value is a number,
    "nonzero", "null" or "not null"."""
    summary = json.loads(summary_text)
    for key, want in sorted(case.get("facts", {}).items()):
        if key == "pids":
            value = dump_pids(dump_text)
        else:
            value = summary
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
        if want == "nonzero":
            ok = isinstance(value, (int, float)) and value != 0
        elif want == "null":
            ok = value is None
        elif want == "not null":
            ok = value is not None
        else:
            ok = value == want
        tap.check(ok, f"{name}: {key} is {want}", f"it is {value!r}")


def compare(tap, name, expected_path, actual, out_dir, update):
    """Checks actual against the expected file (or rewrites it with --update)."""
    label = f"{name}: matches {os.path.basename(expected_path)}"
    if update:
        with open(expected_path, "w") as f:
            f.write(actual)
        tap.check(True, f"{name}: wrote {os.path.basename(expected_path)}")
        return
    expected = ""
    if os.path.exists(expected_path):
        with open(expected_path) as f:
            expected = f.read()
    if actual == expected:
        tap.check(True, label)
        return
    actual_path = os.path.join(out_dir(), name, "actual-" + os.path.basename(expected_path))
    os.makedirs(os.path.dirname(actual_path), exist_ok=True)
    with open(actual_path, "w") as f:
        f.write(actual)
    diff = list(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                     expected_path, actual_path))
    shown = "".join(diff[:DIFF_LINES])
    if len(diff) > DIFF_LINES:
        shown += f"... {len(diff) - DIFF_LINES} more diff lines: diff {expected_path} {actual_path}\n"
    tap.check(False, f"{label} (actual: {actual_path})", shown)


def run_case(tap, spanprof, captures, name, out_dir, update):
    case_dir = os.path.join(captures, name)
    case = load_case(case_dir)
    expected_code = case.get("exit_code", 0)
    debug_info = binaries_with_system_debug_info(case_dir, case)
    if update:
        case["system_debug_info"] = debug_info
        with open(os.path.join(case_dir, "case.json"), "w") as f:
            json.dump(case, f, indent=2)
            f.write("\n")
    elif not tap.check(debug_info == case.get("system_debug_info", []),
                       f"{name}: this machine has the separate debug info it was recorded with",
                       "recorded with /usr/lib/debug files for build ids "
                       f"{case.get('system_debug_info', [])}, this machine has {debug_info}: "
                       "libc's frames would be named differently (install libc6-dbg of the "
                       "libc in the capture, or re-record with scripts/regen-goldens)"):
        return
    with tempfile.TemporaryDirectory(prefix="spanprof-golden-") as work:
        result, profile, summary = join(spanprof, case_dir, case, work)
        if not tap.check(result.returncode == expected_code,
                         f"{name}: join exits {expected_code}",
                         f"exit {result.returncode}\n{result.stderr}"):
            return
        try:
            read_raw(profile)
            tap.check(True, f"{name}: go tool pprof -raw reads it")
        except RuntimeError as error:
            tap.check(False, f"{name}: go tool pprof -raw reads it", error)
        actual = dump(spanprof, profile)
        compare(tap, name, os.path.join(case_dir, "expected.txt"), actual, out_dir, update)
        summary_text = stable_summary(summary, case_dir, work)
        compare(tap, name, os.path.join(case_dir, "expected-summary.json"), summary_text,
                out_dir, update)
        check_facts(tap, name, case, summary_text, actual)
        if case.get("perf_data_on_stdin") and not update:
            # The same stream read from the file that holds it.
            result, profile, _ = join(spanprof, case_dir, case, work, perf_data_from_file=True)
            tap.check(result.returncode == expected_code and dump(spanprof, profile) == actual,
                      f"{name}: the stream read from {case['perf_data']} gives the same profile",
                      f"exit {result.returncode}\n{result.stderr}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--update", action="store_true", help="rewrite the expected files")
    parser.add_argument("--out", help="where actual files of mismatching cases go")
    parser.add_argument("spanprof")
    parser.add_argument("captures")
    options = parser.parse_args()
    tap = Tap()
    cases = find_cases(options.captures)
    if not cases:
        tap.bail(f"no golden cases (case.json) in {options.captures}")
    captures = os.path.abspath(options.captures)
    if options.out and os.path.commonpath([os.path.abspath(options.out), captures]) == captures:
        tap.bail(f"--out {options.out} is inside {captures}: actual files stay out of testdata")
    made = []

    def out_dir():
        """--out, else a temporary directory made on the first mismatch (and kept)."""
        if not made:
            made.append(os.path.abspath(options.out) if options.out
                        else tempfile.mkdtemp(prefix="spanprof-golden-actual-"))
        return made[0]

    for name in cases:
        run_case(tap, options.spanprof, options.captures, name, out_dir, options.update)
    tap.done()


if __name__ == "__main__":
    main()
