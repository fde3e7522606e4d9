#!/usr/bin/env python3
"""spanprof export end to end: two real captures of the demo app (CPU with
spans; --off-cpu with the blocking demo), each exported in the three formats
and read back here against the formats' rules and the join's own counts.

- firefox (Firefox Profiler processed format, version 70): version fields;
  every table's columns as long as its length; stack, frame, func, string,
  resource, source and category indices in range; prefixes before their
  stacks; sample times sorted per thread; markers within the string table;
  main-event samples == summary.json's samples; spans as markers; off-CPU
  threads with stacks under "[off-CPU: STATE]" roots, their weights ==
  summary.json's off_cpu_ns.
- chrome (Trace Event Format): X events nest per thread, sf ids in
  stackFrames, b/e balance; instants == samples; X slices == firefox markers.
- folded: every line "frame;...;frame weight"; whole-capture totals ==
  summary.json's weight; span files for the demo's span names; off-CPU files
  per state; README.txt lists every file.
- Refusals: an unknown format; folded into a regular file.

usage: export_test.py SPANPROF DEMO
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

SANITIZED = os.environ.get("SPANPROF_SANITIZED") == "1"
FOLDED_LINE = re.compile(r"^[^;\n]+(;[^;\n]+)* ([0-9]+)$")


def run(argv, timeout=240):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {timeout} s"
    return done.returncode, done.stdout, done.stderr


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        return {"__error__": str(error)}


def table_length(table, name, problems):
    length = table.get("length")
    for key, column in table.items():
        if isinstance(column, list) and len(column) != length:
            problems.append(f"{name}.{key}: {len(column)} values, length {length}")
    return length


def in_range(value, limit, what, problems, nullable=False):
    if value is None:
        if not nullable:
            problems.append(f"{what} is null")
    elif not isinstance(value, int) or not 0 <= value < limit:
        problems.append(f"{what} out of range: {value} (limit {limit})")


def firefox_problems(doc):
    problems = []
    meta = doc["meta"]
    if meta.get("preprocessedProfileVersion") != 70:
        problems.append(f"preprocessedProfileVersion {meta.get('preprocessedProfileVersion')}")
    for key in ["version", "interval", "startTime", "product", "categories", "markerSchema"]:
        if key not in meta:
            problems.append(f"meta.{key} missing")
    categories = len(meta["categories"])
    if not any(c["color"] == "grey" for c in meta["categories"]):
        problems.append("no grey (default) category")
    shared = doc["shared"]
    strings = len(shared["stringArray"])
    stacks = table_length(shared["stackTable"], "stackTable", problems)
    frames = table_length(shared["frameTable"], "frameTable", problems)
    funcs = table_length(shared["funcTable"], "funcTable", problems)
    resources = table_length(shared["resourceTable"], "resourceTable", problems)
    sources = table_length(shared["sources"], "sources", problems)
    for i, (frame, offset) in enumerate(zip(shared["stackTable"]["frame"],
                                            shared["stackTable"]["prefixOffset"])):
        in_range(frame, frames, f"stack {i} frame", problems)
        if not isinstance(offset, int) or not 0 <= offset <= i:
            problems.append(f"stack {i} prefixOffset {offset}")
    for i in range(frames):
        in_range(shared["frameTable"]["func"][i], funcs, f"frame {i} func", problems)
        in_range(shared["frameTable"]["category"][i], categories, f"frame {i} category", problems,
                 nullable=True)
    for i in range(funcs):
        in_range(shared["funcTable"]["name"][i], strings, f"func {i} name", problems)
        if shared["funcTable"]["resource"][i] != -1:
            in_range(shared["funcTable"]["resource"][i], resources, f"func {i} resource", problems)
        in_range(shared["funcTable"]["source"][i], sources, f"func {i} source", problems,
                 nullable=True)
    for thread in doc["threads"]:
        name = thread["name"]
        if not isinstance(thread["pid"], str):
            problems.append(f"{name}: pid is not a string")
        samples = thread["samples"]
        table_length(samples, f"{name}.samples", problems)
        for stack in samples["stack"]:
            in_range(stack, stacks, f"{name} sample stack", problems, nullable=True)
        if samples["time"] != sorted(samples["time"]):
            problems.append(f"{name}: sample times not sorted")
        markers = thread["markers"]
        table_length(markers, f"{name}.markers", problems)
        for i in range(markers["length"]):
            in_range(markers["name"][i], strings, f"{name} marker name", problems)
            in_range(markers["category"][i], categories, f"{name} marker category", problems)
            if markers["startTime"][i] > markers["endTime"][i]:
                problems.append(f"{name}: marker {i} ends before it starts")
    return problems


def root_frame_name(doc, stack):
    shared = doc["shared"]
    while shared["stackTable"]["prefixOffset"][stack] != 0:
        stack -= shared["stackTable"]["prefixOffset"][stack]
    func = shared["frameTable"]["func"][shared["stackTable"]["frame"][stack]]
    return shared["stringArray"][shared["funcTable"]["name"][func]]


def chrome_problems(doc):
    problems = []
    frames = doc.get("stackFrames", {})
    for key, frame in frames.items():
        if "parent" in frame and frame["parent"] not in frames:
            problems.append(f"stack frame {key}: parent {frame['parent']} missing")
    slices = {}
    balance = {}
    for event in doc["traceEvents"]:
        if "sf" in event and event["sf"] not in frames:
            problems.append(f"sf {event['sf']} missing")
        if event["ph"] == "X":
            if event["dur"] < 0:
                problems.append("negative dur")
            slices.setdefault((event["pid"], event["tid"]), []).append(
                (event["ts"], event["ts"] + event["dur"]))
        elif event["ph"] in ("b", "e"):
            balance[event["id"]] = balance.get(event["id"], 0) + (1 if event["ph"] == "b" else -1)
    for thread, spans in slices.items():
        open_ends = []
        for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            if open_ends and end > open_ends[-1] + 1e-9:
                problems.append(f"thread {thread}: X events overlap without nesting at {start}")
            open_ends.append(end)
    problems += [f"async id {i} unbalanced" for i, b in balance.items() if b != 0]
    return problems


def folded_totals(directory, problems):
    totals = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".folded"):
            continue
        total = 0
        with open(os.path.join(directory, name)) as lines:
            for line in lines:
                match = FOLDED_LINE.match(line.rstrip("\n"))
                if not match:
                    problems.append(f"{name}: bad line {line[:120]!r}")
                    continue
                total += int(match.group(2))
        totals[name] = total
    return totals


def check_capture(tap, spanprof, capture, work, label, off_cpu):
    summary = load_json(os.path.join(capture, "summary.json"))
    firefox_path = os.path.join(work, f"{label}.firefox.json")
    chrome_path = os.path.join(work, f"{label}.chrome.json")
    folded_dir = os.path.join(work, f"{label}-folded")
    for fmt, out in [("firefox", firefox_path), ("chrome", chrome_path), ("folded", folded_dir)]:
        code, stdout, stderr = run([spanprof, "export", capture, "--format", fmt, "-o", out])
        tap.check(code == 0 and os.path.exists(out), f"{label}: spanprof export --format {fmt}",
                  f"code {code}\n{stdout}\n{stderr}")

    firefox = load_json(firefox_path)
    if not tap.check("__error__" not in firefox, f"{label}: the firefox export is JSON",
                     firefox.get("__error__")):
        return
    problems = firefox_problems(firefox)
    tap.check(not problems, f"{label}: firefox export follows the processed format's rules",
              "\n".join(problems[:20]))
    on_cpu = [t for t in firefox["threads"] if not t["name"].endswith(" (off-CPU)")]
    off = [t for t in firefox["threads"] if t["name"].endswith(" (off-CPU)")]
    samples = sum(t["samples"]["length"] for t in on_cpu)
    tap.check(samples == summary.get("samples"), f"{label}: firefox samples == summary.json samples",
              f"{samples} vs {summary.get('samples')}")
    weight_ms = sum(sum(t["samples"]["weight"]) for t in on_cpu)
    tap.check(abs(weight_ms * 1e6 - summary["weight"]) < 1000,
              f"{label}: firefox weights (ms) == summary.json weight (ns)",
              f"{weight_ms} ms vs {summary['weight']} ns")
    markers = sum(t["markers"]["length"] for t in firefox["threads"])
    spans = (summary.get("spans") or {}).get("spans", 0)
    tap.check(0 < markers <= spans, f"{label}: spans are markers on their threads",
              f"{markers} markers, {spans} spans")

    chrome = load_json(chrome_path)
    if tap.check("__error__" not in chrome, f"{label}: the chrome export is JSON", chrome.get("__error__")):
        problems = chrome_problems(chrome)
        tap.check(not problems, f"{label}: chrome X events nest per thread, sf ids resolve",
                  "\n".join(problems[:20]))
        phases = {}
        for event in chrome["traceEvents"]:
            phases[event["ph"]] = phases.get(event["ph"], 0) + 1
        tap.check(phases.get("i", 0) == samples and phases.get("X", 0) == markers,
                  f"{label}: chrome instants == samples, slices == firefox markers",
                  f"{phases}, samples {samples}, markers {markers}")

    problems = []
    totals = folded_totals(folded_dir, problems)
    tap.check(not problems and totals, f"{label}: folded lines are 'frame;...;frame weight'",
              "\n".join(problems[:20]))
    event_files = [n for n in totals if n.startswith("all.") and "off-cpu" not in n]
    tap.check(len(event_files) == 1 and totals[event_files[0]] == summary["weight"],
              f"{label}: folded whole-capture total == summary.json weight",
              f"{event_files} {[totals.get(n) for n in event_files]} vs {summary['weight']}")
    with open(os.path.join(folded_dir, "README.txt")) as f:
        readme = f.read()
    tap.check(all(name in readme for name in totals), f"{label}: README.txt lists every file", readme)

    if not off_cpu:
        names = {s["name"] for s in (summary.get("spans") or {}).get("by_name", [])
                 if s.get("samples", 1) > 0}
        expected = {"span-GET__parse", "span-parse", "span-checksum"}
        have = {n.split(".")[0] for n in totals}
        tap.check(expected <= have, f"{label}: folded files per span name",
                  f"have {sorted(have)}; span names {sorted(names)}")
        return
    by_state = ((summary.get("off_cpu") or {}).get("off_cpu_ns") or {})
    off_ms = sum(sum(t["samples"]["weight"]) for t in off)
    tap.check(off and abs(off_ms * 1e6 - sum(by_state.values())) < 1000,
              f"{label}: firefox off-CPU threads weigh summary.json's off_cpu_ns",
              f"{off_ms} ms vs {by_state}")
    roots = {root_frame_name(firefox, s) for t in off for s in t["samples"]["stack"]}
    tap.check(roots and all(r.startswith("[off-CPU: ") for r in roots),
              f"{label}: off-CPU stacks sit under their state's root frame", roots)
    for state, ns in by_state.items():
        name = f"all.off-cpu-{state.replace('_', '-')}-ns.folded"
        if ns > 0:
            tap.check(totals.get(name) == ns, f"{label}: folded {name} == off_cpu_ns.{state}",
                      f"{totals.get(name)} vs {ns}")


def main():
    spanprof, demo = sys.argv[1], sys.argv[2]
    tap = Tap()
    if shutil.which("perf") is None:
        tap.bail("perf is not installed")
    work = tempfile.mkdtemp(prefix="spanprof-export-")
    try:
        cpu = os.path.join(work, "cpu")
        code, out, err = run([spanprof, "run", "-q", "-o", cpu, "--", demo, "--duration-ms",
                              "600" if SANITIZED else "1500"])
        if not tap.check(code == 0, "spanprof run of the demo", f"code {code}\n{out}\n{err}"):
            tap.bail("no capture")
        check_capture(tap, spanprof, cpu, work, "cpu", off_cpu=False)

        blocking = os.path.join(work, "blocking")
        code, out, err = run([spanprof, "run", "-q", "--off-cpu", "-o", blocking, "--", demo,
                              "--blocking", "--rounds", "1"])
        if tap.check(code == 0, "spanprof run --off-cpu of the blocking demo", f"code {code}\n{err}"):
            check_capture(tap, spanprof, blocking, work, "off-cpu", off_cpu=True)

        code, out, err = run([spanprof, "export", cpu, "--format", "chrome"])
        default = os.path.join(cpu, "trace.chrome.json")
        tap.check(code == 0 and f"wrote: {default}" in out and "__error__" not in load_json(default),
                  "without -o the chrome export goes to DIR/trace.chrome.json", f"code {code}\n{out}\n{err}")

        code, out, err = run([spanprof, "export", cpu, "--format", "svg", "-o",
                              os.path.join(work, "x")])
        tap.check(code not in (0, None) and "svg" in err and len(err.strip().splitlines()) <= 2,
                  "an unknown format is refused in one line", f"code {code}\n{err}")
        a_file = os.path.join(work, "cpu.firefox.json")
        code, out, err = run([spanprof, "export", cpu, "--format", "folded", "-o", a_file])
        tap.check(code not in (0, None) and "not a directory" in err,
                  "folded into a regular file is refused", f"code {code}\n{err}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
