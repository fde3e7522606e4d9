#!/usr/bin/env python3
"""spanprof's benchmarks: each case measures spanprof and its peer on the same
file in the same run, and reports the ratio (wall time, fastest of N) and the
peak RSS of each process (from wait4's rusage).

Cases:
  join-fp     ~100k samples, frame-pointer stacks: `spanprof join` (lines and
              inlines) vs `perf script` (no lines) and `perf script -F +srcline`
              (lines; run for a bounded time and compared as samples/s).
  join-dwarf  the demo recorded with --call-graph dwarf (8 KB of stack per sample):
              `spanprof join` (unwinds with its own libdw CFI loop) vs `perf script`
              (unwinds too) on the same file (target >= 5x); also the same workload
              recorded with frame pointers, for the cost in file size and join time.
  join-1gb    a ~1 GB capture (--call-graph dwarf, 8 KB of stack per sample):
              peak RSS of spanprof join (target < 100 MB), vs perf script.
  spans-1m    a capture with 1M+ spans: join with spans vs the same capture
              joined without spans (target <= 1.5x).
  run         the demo's fixed workload, its own wall time under `spanprof run`
              (999 Hz, fp stacks, spans to a file) vs bare (target <= 1.05x).
  run-off-cpu the run case's workload bare vs under `spanprof run --off-cpu --no-join`
              (target <= 1.10x) and plain `spanprof run`; the blocking demo (switching
              ~1k/s per thread) bare vs --off-cpu with dwarf and fp sched_switch stacks;
              perf.data bytes per second and per switch, lost records.
  activation-header
              spanprof/activation.h's cost per call (the demo's --activation-bench:
              activate/deactivate alternating, and the current span again), without and
              with SPANPROF_ACTIVATIONS_DIR, and the bytes written per transition.
  node-hook   testdata/apps/node/http_server.js (instrumentation-http, 8 requests in
              flight, no export) serving a fixed number of requests, with spanprof's
              Node hook writing activation records vs without it (target <= 1.05x wall);
              bytes per transition. Needs node and scripts/install-node-app.
"""
import re
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def run_measured(args, timeout=None, env=None, stdout=subprocess.DEVNULL):
    """Runs args; returns (wall seconds, peak RSS MiB, exit code, timed_out)."""
    start = time.monotonic()
    proc = subprocess.Popen(args, stdout=stdout, stderr=subprocess.DEVNULL, env=env)
    timed_out = False
    deadline = None if timeout is None else start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            break
        if deadline is not None and time.monotonic() > deadline:
            proc.kill()
            timed_out = True
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.005)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, code, timed_out


def best_of(n, args, **kwargs):
    runs = [run_measured(args, **kwargs) for _ in range(n)]
    for run in runs:
        if run[2] != 0 and not run[3]:
            raise SystemExit(f"failed ({run[2]}): {' '.join(args)}")
    wall = min(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    return wall, rss


def record(out, demo_args, perf_args, env=None):
    cmd = ["perf", "record", *perf_args, "-k", "monotonic", "--buildid-mmap", "-N", "-o", out,
           "--", *demo_args]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit(f"perf record failed: {result.stderr}")


def count_samples(spanprof, capture, work):
    summary = os.path.join(work, "count.json")
    subprocess.run([spanprof, "join", "--perf-data", capture, "-o",
                    os.path.join(work, "count.pb.gz"), "--summary", summary, "-q"],
                   check=True, capture_output=True)
    return json.load(open(summary))


def line(label, wall, rss, extra=""):
    print(f"  {label:<44} {wall:8.2f} s  {rss:7.1f} MiB  {extra}")


def case_join_fp(args, work):
    capture = os.path.join(work, "fp.data")
    seconds = 2500 if args.quick else 5500
    record(capture, [args.demo, "--duration-ms", str(seconds), "--threads", "3"],
           ["-F", "9999", "-g"])
    summary = count_samples(args.spanprof, capture, work)
    samples = summary["samples"]
    size_mb = os.path.getsize(capture) / 2**20
    print(f"join-fp: {samples} samples, {size_mb:.1f} MB, frame-pointer stacks")
    out = os.path.join(work, "fp.pb.gz")
    join_wall, join_rss = best_of(3, [args.spanprof, "join", "--perf-data", capture, "-o", out,
                                      "-q"])
    script_wall, script_rss = best_of(3, ["perf", "script", "-i", capture])
    # perf script -F +srcline runs addr2line per address: bounded to 60 s and
    # compared as a rate over the samples it printed in that time.
    srcline_out = os.path.join(work, "srcline.txt")
    with open(srcline_out, "w") as sink:
        src_wall, src_rss, _, timed_out = run_measured(
            ["perf", "script", "-F", "+srcline", "-i", capture], timeout=60, stdout=sink)
    with open(srcline_out, errors="replace") as printed:
        src_samples = sum(1 for text in printed if text and not text[0].isspace())
    line("spanprof join (lines + inlines)", join_wall, join_rss,
         f"{samples / join_wall:,.0f} samples/s")
    line("perf script (no lines)", script_wall, script_rss,
         f"{samples / script_wall:,.0f} samples/s")
    rate_src = src_samples / src_wall
    line("perf script -F +srcline" + (" (stopped at 60 s)" if timed_out else ""), src_wall,
         src_rss, f"{rate_src:,.0f} samples/s ({src_samples} samples)")
    print(f"  ratio: spanprof join is {script_wall / join_wall:.1f}x faster than perf script, "
          f"{(samples / join_wall) / max(rate_src, 1e-9):.0f}x faster than perf script -F +srcline")
    return {"samples": samples, "join_s": join_wall, "join_rss_mib": join_rss,
            "perf_script_s": script_wall, "perf_script_rss_mib": script_rss,
            "srcline_samples_per_s": rate_src}


def case_join_dwarf(args, work):
    # 4999 Hz: enough samples (~40k on an idle 2-CPU machine) that the cost per
    # sample, not start-up, decides the ratio.
    seconds = 800 if args.quick else 2000
    demo_args = [args.demo, "--duration-ms", str(seconds), "--threads", "3"]
    capture = os.path.join(work, "dwarf-bench.data")
    record(capture, demo_args, ["-F", "4999", "--call-graph", "dwarf"])
    fp_capture = os.path.join(work, "fp-bench.data")
    record(fp_capture, demo_args, ["-F", "4999", "-g"])
    summary = count_samples(args.spanprof, capture, work)
    samples = summary["samples"]
    unwind = summary.get("unwind") or {}
    size_mb = os.path.getsize(capture) / 2**20
    fp_size_mb = os.path.getsize(fp_capture) / 2**20
    fp_samples = count_samples(args.spanprof, fp_capture, work)["samples"]
    print(f"join-dwarf: {samples} samples, {size_mb:.1f} MB ({size_mb * 2**10 / samples:.1f} KB "
          f"per sample); the same workload with fp: {fp_samples} samples, {fp_size_mb:.2f} MB")
    print(f"  {unwind.get('frames', 0)} return addresses unwound from "
          f"{unwind.get('cfi_rules', 0)} distinct CFI rules")
    out = os.path.join(work, "dwarf-bench.pb.gz")
    join_wall, join_rss = best_of(3, [args.spanprof, "join", "--perf-data", capture, "-o", out,
                                      "-q"])
    fp_wall, fp_rss = best_of(3, [args.spanprof, "join", "--perf-data", fp_capture, "-o", out,
                                  "-q"])
    script_wall, script_rss = best_of(3, ["perf", "script", "-i", capture])
    line("spanprof join, dwarf capture", join_wall, join_rss,
         f"{samples / join_wall:,.0f} samples/s")
    line("perf script, same dwarf capture (unwinds)", script_wall, script_rss,
         f"{samples / script_wall:,.0f} samples/s")
    line("spanprof join, fp capture of the same workload", fp_wall, fp_rss,
         f"{fp_samples / fp_wall:,.0f} samples/s")
    print(f"  ratio: spanprof join is {script_wall / join_wall:.1f}x faster than perf script on "
          f"the dwarf capture (target >= 5x); dwarf files are {size_mb / fp_size_mb:.0f}x fp's")
    os.remove(capture)
    return {"samples": samples, "size_mb": size_mb, "fp_size_mb": fp_size_mb,
            "join_s": join_wall, "join_rss_mib": join_rss, "fp_join_s": fp_wall,
            "perf_script_s": script_wall, "perf_script_rss_mib": script_rss,
            "ratio": script_wall / join_wall}


def case_join_1gb(args, work):
    capture = os.path.join(work, "dwarf.data")
    record(capture, [args.demo, "--duration-ms", "7000", "--threads", "3"],
           ["-F", "4999", "--call-graph", "dwarf,8192"])
    size_mb = os.path.getsize(capture) / 2**20
    print(f"join-1gb: {size_mb:.0f} MB capture (--call-graph dwarf)")
    out = os.path.join(work, "dwarf.pb.gz")
    join_wall, join_rss = best_of(1, [args.spanprof, "join", "--perf-data", capture, "-o", out,
                                      "-q"])
    script_wall, script_rss = best_of(1, ["perf", "script", "-i", capture])
    line("spanprof join", join_wall, join_rss)
    line("perf script (unwinds with libdw/libunwind)", script_wall, script_rss)
    print(f"  peak RSS of spanprof join on {size_mb:.0f} MB: {join_rss:.1f} MiB (target < 100)")
    os.remove(capture)
    return {"size_mb": size_mb, "join_s": join_wall, "join_rss_mib": join_rss,
            "perf_script_s": script_wall, "perf_script_rss_mib": script_rss}


def case_spans_1m(args, work):
    capture_dir = os.path.join(work, "spans")
    os.mkdir(capture_dir)
    spans_file = os.path.join(capture_dir, "spans.jsonl")
    env = dict(os.environ, SPANPROF_SPANS_FILE=spans_file)
    split = 40 if args.quick else 160
    record(os.path.join(capture_dir, "perf.data"),
           [args.demo, "--duration-ms", "8000", "--threads", "3", "--span-split", str(split)],
           ["-F", "999", "-g"], env=env)
    summary_path = os.path.join(work, "spans-summary.json")
    subprocess.run([args.spanprof, "join", capture_dir, "--summary", summary_path, "-q"],
                   check=True, capture_output=True)
    summary = json.load(open(summary_path))
    spans = summary["spans"]["spans"]
    size_mb = os.path.getsize(spans_file) / 2**20
    print(f"spans-1m: {summary['samples']} samples, {spans:,} spans ({size_mb:.0f} MB of OTLP JSON)")
    perf_data = os.path.join(capture_dir, "perf.data")
    out = os.path.join(work, "s.pb.gz")
    with_wall, with_rss = best_of(3, [args.spanprof, "join", "--perf-data", perf_data, "--spans",
                                      spans_file, "-o", out, "-q"])
    without_wall, without_rss = best_of(3, [args.spanprof, "join", "--perf-data", perf_data, "-o",
                                            out, "-q"])
    line("spanprof join with spans", with_wall, with_rss, f"{spans / with_wall:,.0f} spans/s")
    line("spanprof join without spans", without_wall, without_rss)
    print(f"  ratio: with spans / without = {with_wall / without_wall:.2f}x (target <= 1.5x)")
    return {"spans": spans, "samples": summary["samples"], "with_spans_s": with_wall,
            "without_spans_s": without_wall, "with_spans_rss_mib": with_rss}


def demo_elapsed_ms(args_list, env=None):
    """Runs a command that ends in the demo; returns the demo's own elapsed ms."""
    result = subprocess.run(args_list, capture_output=True, text=True, env=env)
    match = re.search(r"requests in (\d+) ms", result.stdout)
    if result.returncode != 0 or not match:
        raise SystemExit(f"failed: {' '.join(args_list)}: {result.stderr[-500:]}")
    return int(match.group(1))


def case_run(args, work):
    demo = [args.demo, "--requests", "150" if args.quick else "400", "--threads", "1"]
    bare, profiled = [], []
    for attempt in range(5):  # interleaved, so drift affects both alike
        bare.append(demo_elapsed_ms(demo))
        out = os.path.join(work, f"run-{attempt}")
        profiled.append(demo_elapsed_ms([args.spanprof, "run", "-q", "--no-join", "-o", out,
                                         "--", *demo]))
        shutil.rmtree(out, ignore_errors=True)
    bare_ms, profiled_ms = min(bare), min(profiled)
    print(f"run: the demo's fixed workload ({demo[2]} requests x 2 threads)")
    print(f"  bare                                         {bare_ms / 1000:8.2f} s")
    print(f"  under spanprof run (999 Hz, fp, spans file)  {profiled_ms / 1000:8.2f} s")
    print(f"  ratio: {profiled_ms / bare_ms:.3f}x (target <= 1.05x)")
    return {"bare_ms": bare_ms, "profiled_ms": profiled_ms}


def perf_stats(perf_data):
    """{"samples", "switches", "lost"} from `perf report --stats`: the capture's sample
    records, switch records and LOST records."""
    stats = subprocess.run(["perf", "report", "--stats", "-i", perf_data], capture_output=True,
                           text=True).stdout
    def total(name):
        found = re.search(rf"^\s*{name} events:\s*(\d+)", stats, re.M)
        return int(found.group(1)) if found else 0
    return {"samples": total("SAMPLE"), "switches": total("SWITCH"), "lost": total("LOST")}


def blocking_elapsed_ms(args_list):
    """Runs a command that ends in the blocking demo; returns the demo's own elapsed ms."""
    result = subprocess.run(args_list, capture_output=True, text=True)
    match = re.search(r"spans of \d+ ms in (\d+) ms", result.stdout)
    if result.returncode != 0 or not match:
        raise SystemExit(f"failed: {' '.join(args_list)}: {result.stderr[-500:]}")
    return int(match.group(1))


def case_run_off_cpu(args, work):
    """The run case's workload bare, under `spanprof run --no-join` and under
    `spanprof run --off-cpu --no-join`, interleaved; then the blocking demo, which
    switches ~1k times per second per thread, bare and under --off-cpu with dwarf and fp
    sched_switch stacks. perf.data bytes per second of the command's run, and per switch."""
    demo = [args.demo, "--requests", "150" if args.quick else "400", "--threads", "1"]
    variants = {"bare": [], "run": ["--no-join"], "off-cpu": ["--off-cpu", "--no-join"]}
    elapsed = {name: [] for name in variants}
    files = {}
    for attempt in range(5):
        for name, flags in variants.items():
            if not flags:
                elapsed[name].append(demo_elapsed_ms(demo))
                continue
            out = os.path.join(work, f"off-cpu-{name}-{attempt}")
            elapsed[name].append(demo_elapsed_ms([args.spanprof, "run", "-q", *flags, "-o", out,
                                                  "--", *demo]))
            perf_data = os.path.join(out, "perf.data")
            files[name] = (os.path.getsize(perf_data), perf_stats(perf_data))
            shutil.rmtree(out, ignore_errors=True)
    best = {name: min(ms) for name, ms in elapsed.items()}
    print(f"run-off-cpu: the run case's workload ({demo[2]} requests x 2 threads)")
    for name, label in (("bare", "bare"), ("run", "spanprof run (999 Hz, fp)"),
                        ("off-cpu", "spanprof run --off-cpu (dwarf sched_switch)")):
        extra = ""
        if name in files:
            size, stats = files[name]
            extra = (f"  {size / (best[name] / 1000) / 1e6:6.2f} MB/s of perf.data, "
                     f"{stats['switches']} switch records, {stats['lost']} lost")
        print(f"  {label:<45} {best[name] / 1000:8.2f} s{extra}")
    print(f"  ratio: --off-cpu {best['off-cpu'] / best['bare']:.3f}x bare (target <= 1.10x), "
          f"{best['off-cpu'] / best['run']:.3f}x spanprof run")
    results = {"bare_ms": best["bare"], "run_ms": best["run"], "off_cpu_ms": best["off-cpu"],
               "off_cpu_bytes_per_s": files["off-cpu"][0] / (best["off-cpu"] / 1000),
               "off_cpu_lost": files["off-cpu"][1]["lost"]}

    rounds = "10" if args.quick else "40"
    blocking = [args.demo, "--blocking", "--threads", "4", "--span-ms", "2", "--rounds", rounds]
    stacks = {"bare": None, "dwarf": "dwarf", "fp": "fp"}
    elapsed = {name: [] for name in stacks}
    for attempt in range(3):
        for name, mode in stacks.items():
            if mode is None:
                elapsed[name].append(blocking_elapsed_ms(blocking))
                continue
            out = os.path.join(work, f"blocking-{name}-{attempt}")
            elapsed[name].append(blocking_elapsed_ms(
                [args.spanprof, "run", "-q", "--off-cpu", "--off-cpu-stacks", mode, "--no-join",
                 "-o", out, "--", *blocking]))
            perf_data = os.path.join(out, "perf.data")
            files[name] = (os.path.getsize(perf_data), perf_stats(perf_data))
            shutil.rmtree(out, ignore_errors=True)
    best = {name: min(ms) for name, ms in elapsed.items()}
    print(f"run-off-cpu: the blocking demo (4 threads + 4 helpers, 2 ms spans, {rounds} rounds)")
    print(f"  bare                                          {best['bare'] / 1000:8.2f} s")
    for name in ("dwarf", "fp"):
        size, stats = files[name]
        # Each switch-out is one sched_switch sample and two switch records (out, in).
        per_switch = size / max(stats["switches"] / 2, 1)
        print(f"  --off-cpu-stacks {name:<5} {best[name] / 1000:20.2f} s  "
              f"{best[name] / best['bare']:.3f}x, {size / (best[name] / 1000) / 1e6:6.2f} MB/s, "
              f"{per_switch:,.0f} bytes per switch, {stats['lost']} lost")
        results[f"blocking_{name}"] = {"ms": best[name], "bare_ms": best["bare"],
                                       "bytes": size, "bytes_per_switch": per_switch,
                                       "lost": stats["lost"]}
    return results


def activation_bench(demo, calls, env):
    """{"switches", "repeats", "clock_gettime": ns per call} from the demo's --activation-bench."""
    result = subprocess.run([demo, "--activation-bench", str(calls)], capture_output=True,
                            text=True, env=env)
    found = dict(re.findall(r"activation-bench: (\w+): \d+ calls in \d+ ns, ([\d.]+) ns per",
                            result.stdout))
    if result.returncode != 0 or set(found) != {"switches", "repeats", "clock_gettime"}:
        raise SystemExit(f"failed: {demo} --activation-bench: {result.stderr[-500:]}")
    return {name: float(ns) for name, ns in found.items()}


def case_activation_header(args, work):
    # Every switch is a 40-byte record: 2M of them write 80 MB, so the recording runs are
    # shorter than the no-op ones.
    calls_off, calls_on = (2_000_000, 500_000) if args.quick else (10_000_000, 2_000_000)
    env_off = {k: v for k, v in os.environ.items() if k != "SPANPROF_ACTIVATIONS_DIR"}
    out = os.path.join(work, "activations")
    off, on, sizes = [], [], []
    for _ in range(3):  # fastest of 3
        off.append(activation_bench(args.demo, calls_off, env_off))
        shutil.rmtree(out, ignore_errors=True)
        os.mkdir(out)
        on.append(activation_bench(args.demo, calls_on,
                                   dict(env_off, SPANPROF_ACTIVATIONS_DIR=out)))
        sizes.append(sum(os.path.getsize(os.path.join(out, name)) for name in os.listdir(out)))
    shutil.rmtree(out, ignore_errors=True)
    keys = ("switches", "repeats", "clock_gettime")
    best_off = {key: min(run[key] for run in off) for key in keys}
    best_on = {key: min(run[key] for run in on) for key in keys}
    # The bench's records: one per switch, plus the repeat loop's first activation and
    # its final deactivation; the file's header is 40 bytes.
    transitions = calls_on + 2
    bytes_per_transition = (sizes[0] - 40) / transitions
    print(f"activation-header: ns per call of spanprof_activate/deactivate "
          f"({calls_off:,} calls without DIR, {calls_on:,} with)")
    rows = [("SPANPROF_ACTIVATIONS_DIR unset, every call a switch", best_off["switches"]),
            ("SPANPROF_ACTIVATIONS_DIR unset, the current span again", best_off["repeats"]),
            ("recording, every call a switch (clock + record)", best_on["switches"]),
            ("recording, the current span again (no record)", best_on["repeats"]),
            ("for scale: clock_gettime(CLOCK_MONOTONIC) alone", best_off["clock_gettime"])]
    for label, ns in rows:
        print(f"  {label:<56} {ns:6.1f} ns")
    print(f"  bytes per transition: {bytes_per_transition:.1f} (the format's record: 40)")
    return {"off_switch_ns": best_off["switches"], "off_repeat_ns": best_off["repeats"],
            "on_switch_ns": best_on["switches"], "on_repeat_ns": best_on["repeats"],
            "clock_gettime_ns": best_off["clock_gettime"],
            "bytes_per_transition": bytes_per_transition}
def node_server_run(command, env):
    """Runs http_server.js; returns (its own ms for the requests, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"requests on thread \d+ in ([\d.]+) ms", result.stdout)
    if result.returncode != 0 or not match:
        raise SystemExit(f"failed: {' '.join(command)}: {result.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return float(match.group(1)), cpu


def case_node_hook(args, work):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = os.path.join(root, "testdata", "apps", "node", "http_server.js")
    hook = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.spanprof))),
                        "runtime", "node", "spanprof-activations.cjs")
    if shutil.which("node") is None or not os.path.isdir(
            os.path.join(os.path.dirname(app), "node_modules")):
        print("node-hook: skipped (node or testdata/apps/node/node_modules missing: "
              "scripts/install-node-app)")
        return {"skipped": True}
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OTEL_") and k != "SPANPROF_ACTIVATIONS_DIR"}
    requests = 1000 if args.quick else 3000
    results = {}
    for variant, extra in (("full", []), ("light", ["--light"])):
        command = ["node", app, "--requests", str(requests), "--duration-ms", "600000", *extra]
        bare, hooked, bare_cpu, hooked_cpu = [], [], [], []
        records = size = 0
        for attempt in range(5):  # interleaved, so drift affects both alike
            ms, cpu = node_server_run(command, env)
            bare.append(ms)
            bare_cpu.append(cpu)
            directory = os.path.join(work, f"node-hook-{variant}-{attempt}")
            os.mkdir(directory)
            ms, cpu = node_server_run(["node", "--require", hook, *command[1:]],
                                      dict(env, SPANPROF_ACTIVATIONS_DIR=directory))
            hooked.append(ms)
            hooked_cpu.append(cpu)
            files = [os.path.join(directory, name) for name in os.listdir(directory)
                     if name.endswith(".bin")]
            if len(files) != 1:
                raise SystemExit(f"node-hook: expected one activation file in {directory}")
            size = os.path.getsize(files[0])
            records = (size - 40) // 40
            shutil.rmtree(directory)
        bare_ms, hooked_ms = min(bare), min(hooked)
        label = "light CPU per request" if extra else "~1-2 ms CPU per request"
        print(f"node-hook ({label}): {requests} requests, 8 in flight, "
              f"{records / requests:.1f} transitions per request")
        print(f"  without the hook                     {bare_ms / 1000:8.2f} s  "
              f"({min(bare_cpu):.2f} s CPU)")
        print(f"  with the hook (activation records)   {hooked_ms / 1000:8.2f} s  "
              f"({min(hooked_cpu):.2f} s CPU)")
        print(f"  ratio: {hooked_ms / bare_ms:.3f}x wall, {min(hooked_cpu) / min(bare_cpu):.3f}x "
              f"CPU (target <= 1.05x); {size / max(records, 1):.1f} bytes per transition "
              f"({size} bytes, {records} records)")
        results[variant] = {"requests": requests, "bare_ms": bare_ms, "hooked_ms": hooked_ms,
                            "bare_cpu_s": min(bare_cpu), "hooked_cpu_s": min(hooked_cpu),
                            "records": records, "file_bytes": size,
                            "bytes_per_transition": size / max(records, 1)}
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spanprof", required=True)
    parser.add_argument("--demo", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["join-fp", "join-dwarf", "join-1gb", "spans-1m", "run",
                                           "run-off-cpu", "activation-header", "node-hook"])
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="spanprof-bench-", dir=os.environ.get("BENCH_DIR"))
    results = {"machine": f"{os.cpu_count()} CPUs, {os.uname().release}"}
    try:
        cases = {"join-fp": case_join_fp, "join-dwarf": case_join_dwarf,
                 "spans-1m": case_spans_1m, "join-1gb": case_join_1gb, "run": case_run,
                 "run-off-cpu": case_run_off_cpu,
                 "activation-header": case_activation_header,
                 "node-hook": case_node_hook}
        for name, case in cases.items():
            if args.only and name != args.only:
                continue
            if args.quick and name == "join-1gb":
                continue
            results[name] = case(args, work)
            print()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
