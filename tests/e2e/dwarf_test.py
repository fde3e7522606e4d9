#!/usr/bin/env python3
"""End to end with real perf: dwarf unwinding against frame pointers.

The demo's --libc-leaf mode spends its time in libc's memchr, a leaf function
without a frame pointer, called from demo::scan_for_missing_byte. Recorded with
`spanprof run --call-graph dwarf`, at least 99% of the samples in memchr must
show that caller; recorded with frame pointers (the default), most of them lose
it. A stack copy of 64 bytes must still join, with the early stops
counted in summary.json.

usage: dwarf_test.py SPANPROF DEMO
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pprof_raw import read_raw, stack_functions  # noqa: E402
from tap import Tap  # noqa: E402

CALLER = "demo::scan_for_missing_byte"
_LOCATION = re.compile(r"^\s+(\d+): 0x[0-9a-f]+ M=(\d+)")
_MAPPING = re.compile(r"^(\d+): 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ (\S+)")


def mapping_files(raw):
    """Location id -> the file of its mapping, from go's pprof -raw listing."""
    files, location_mapping = {}, {}
    section = None
    for line in raw.splitlines():
        if line.startswith("Locations"):
            section = "locations"
        elif line.startswith("Mappings"):
            section = "mappings"
        elif section == "locations" and (match := _LOCATION.match(line)):
            location_mapping[int(match.group(1))] = int(match.group(2))
        elif section == "mappings" and (match := _MAPPING.match(line.strip())):
            files[int(match.group(1))] = match.group(2)
    return {loc: files.get(m, "") for loc, m in location_mapping.items()}


def record(tap, spanprof, demo, out, call_graph):
    args = [spanprof, "run", "-o", out, "--no-receiver"]
    if call_graph:
        args += ["--call-graph", call_graph]
    args += ["--", demo, "--libc-leaf", "--duration-ms", "1500", "--threads", "1"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    ok = tap.check(result.returncode == 0, f"spanprof run --call-graph {call_graph or 'fp'}",
                   result.stdout + result.stderr)
    return ok, result.stdout


def libc_leaf_shares(out):
    """(samples in libc's memchr, of those the share with CALLER on the stack).

    The leaf is recognized by its mapping (libc) and, when libc's symbols name it, by
    the name memchr: thread start-up and clock reads also run in libc, without CALLER.
    """
    profile, raw = read_raw(os.path.join(out, "profile.pb.gz"))
    files = mapping_files(raw)
    leaves = []  # (count, leaf function, CALLER on the stack)
    for count, _, ids, _ in profile.samples:
        if not ids or "libc.so" not in os.path.basename(files.get(ids[0], "")):
            continue
        names = stack_functions(profile, ids)
        leaves.append((count, names[0] if names else "",
                       any(name.startswith(CALLER) for name in names)))
    named = sum(count for count, leaf, _ in leaves if "memchr" in leaf)
    if named * 2 >= sum(count for count, _, _ in leaves):
        leaves = [leaf for leaf in leaves if "memchr" in leaf[1]]
    total = sum(count for count, _, _ in leaves)
    with_caller = sum(count for count, _, has_caller in leaves if has_caller)
    return total, (with_caller / total if total else 0.0)


def main():
    spanprof, demo = sys.argv[1], sys.argv[2]
    tap = Tap()
    if shutil.which("perf") is None:
        tap.skip_all("perf is not installed")
    if shutil.which("go") is None:
        tap.skip_all("go (for go tool pprof) is not installed")
    work = tempfile.mkdtemp(prefix="spanprof-dwarf-")
    try:
        dwarf = os.path.join(work, "dwarf")
        ok, stdout = record(tap, spanprof, demo, dwarf, "dwarf")
        if not ok:
            tap.bail("no dwarf capture")
        tap.check("samples unwound with dwarf" in stdout, "the summary reports the unwinding",
                  stdout)
        samples, share = libc_leaf_shares(dwarf)
        tap.check(samples >= 200, f"dwarf: {samples} samples in libc's memchr (>= 200)")
        tap.check(share >= 0.99, f"dwarf: {share:.2%} of them show {CALLER} (>= 99%)")
        with open(os.path.join(dwarf, "summary.json")) as f:
            summary = json.load(f)
        unwind = summary.get("unwind") or {}
        tap.check(unwind.get("samples") == summary["samples"] and unwind.get("frames", 0) > 0,
                  "summary.json: every sample unwound, return addresses found", unwind)
        tap.check(unwind.get("stops", {}).get("end_of_stack", 0) >= 0.9 * summary["samples"],
                  "summary.json: >= 90% of unwinds reach the outermost frame", unwind)

        fp = os.path.join(work, "fp")
        ok, _ = record(tap, spanprof, demo, fp, None)
        if ok:
            samples, share = libc_leaf_shares(fp)
            tap.check(samples >= 200, f"fp: {samples} samples in libc's memchr (>= 200)")
            if os.environ.get("SPANPROF_SANITIZED"):
                # ASan intercepts memchr in a frame that keeps a frame pointer,
                # so the fp chain loses the interceptor instead of the caller.
                tap.skip(f"fp: {share:.2%} of them show {CALLER}",
                         "sanitizer build: ASan's memchr interceptor keeps the caller")
            else:
                tap.check(share < 0.5, f"fp: only {share:.2%} of them show {CALLER} "
                          "(frame pointers lose the leaf's caller)")
            with open(os.path.join(fp, "summary.json")) as f:
                tap.check(json.load(f).get("unwind") is None, "fp: no unwind section")
            dwarf_size = os.path.getsize(os.path.join(dwarf, "perf.data"))
            fp_size = os.path.getsize(os.path.join(fp, "perf.data"))
            print(f"# perf.data: fp {fp_size} bytes, dwarf {dwarf_size} bytes "
                  f"({dwarf_size / max(fp_size, 1):.0f}x)")

        short = os.path.join(work, "short")
        ok, _ = record(tap, spanprof, demo, short, "dwarf,64")
        if ok:
            with open(os.path.join(short, "summary.json")) as f:
                summary = json.load(f)
            stops = (summary.get("unwind") or {}).get("stops", {})
            tap.check(stops.get("stack_copy_exhausted", 0) > 0,
                      "64-byte stack copies: early stops counted as stack_copy_exhausted", stops)
            try:
                read_raw(os.path.join(short, "profile.pb.gz"))
                tap.check(True, "64-byte stack copies: the profile reads back")
            except RuntimeError as error:
                tap.check(False, "64-byte stack copies: the profile reads back", error)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
