#!/usr/bin/env python3
"""Corrupt-input suite: damages each committed capture (perf.data and span file)
in many ways and runs the real `spanprof join` (and `spanprof dump` on damaged
profiles) on each variant, under a time limit and a 2 GiB address-space limit.

Each case must: not crash, hang or trip a sanitizer; exit with a code docs/exit-codes.md
documents for it; print one error line naming what and where when it fails; and
still use everything before the damage (samples wholly before a cut, the spans
of every undamaged line).

usage: corrupt_test.py SPANPROF CAPTURES_DIR
SPANPROF_CORRUPT_SCALE (default 1; the sanitize build sets 0.25) scales the
number of random variants. Variants are seeded: a failure reproduces.
"""
import gzip
import itertools
import os
import random
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from tap import Tap  # noqa: E402
import perf_variants  # noqa: E402
import runner  # noqa: E402
import span_variants  # noqa: E402
from perf_capture import Capture  # noqa: E402

TIMEOUT = 120 if runner.sanitized() else 30
# Small inputs: anything near this is allocation driven by a size field.
RSS_LIMIT_KIB = 400 * 1024


class Case:
    def __init__(self, spanprof, case_dir, work):
        self.spanprof = spanprof
        self.case_dir = case_dir
        self.work = work
        self.name = os.path.basename(case_dir)
        spans = os.path.join(case_dir, "spans.jsonl")
        self.spans = spans if os.path.exists(spans) else None

    def join(self, perf_data, spans=None, stdin_path=None, stdin_pipe=False):
        profile = os.path.join(self.work, "profile.pb.gz")
        summary = os.path.join(self.work, "summary.json")
        for path in (profile, summary):
            if os.path.exists(path):
                os.remove(path)
        args = [self.spanprof, "join", "--perf-data", perf_data,
                "--buildid-dir", os.path.join(self.case_dir, "buildid"),
                "--kernel-symbols", "never", "-o", profile, "--summary", summary, "-q"]
        if spans:
            args += ["--spans", spans]
        outcome = runner.run(args, TIMEOUT, workdir=self.work, stdin_path=stdin_path,
                             stdin_pipe=stdin_pipe)
        return outcome, runner.load_summary(summary) if outcome.code in (0, 3) else None


def check_common(tap, label, outcome, codes, command, names):
    """No crash, a documented code, a clear error line. False when the case failed."""
    crash = runner.crash_report(outcome)
    if not tap.check(not crash, f"{label}: no crash", f"{crash}\n{outcome.describe()}"):
        return False
    if not tap.check(outcome.code in codes, f"{label}: exit code in {codes}", outcome.describe()):
        return False
    if outcome.peak_rss_kib > RSS_LIMIT_KIB and not runner.sanitized():
        tap.check(False, f"{label}: peak RSS bounded", outcome.describe())
        return False
    if outcome.code in (1, 2):
        problem = runner.error_line_problem(outcome, command, names)
        return tap.check(not problem, f"{label}: one clear error line", f"{problem}\n{outcome.describe()}")
    return True


def run_perf_variants(tap, case, intact_raw, scale):
    path = os.path.join(case.work, "perf.data")
    names = (path, "byte offset", "<stdin>")
    count = 0
    codes = {}
    capture = Capture(intact_raw)
    pipe = perf_variants.pipe_variants(capture, scale, random.Random(64))
    for variant in itertools.chain(perf_variants.all_variants(intact_raw, scale), pipe):
        count += 1
        with open(path, "wb") as f:
            f.write(variant.data)
        label = f"{case.name}: {variant.name}"
        if variant.name.startswith("pipe mode"):
            outcome, summary = case.join("-", case.spans, stdin_path=path, stdin_pipe=True)
        else:
            outcome, summary = case.join(path, case.spans)
        codes[outcome.code] = codes.get(outcome.code, 0) + 1
        if not check_common(tap, label, outcome, variant.codes, "join", names):
            continue
        if outcome.code == 2 and variant.error_names:
            tap.check(variant.error_names in outcome.stderr,
                      f"{label}: the error names {variant.error_names}", outcome.describe())
        if outcome.code == 2:
            # Nothing usable: only right when no sample lay before the damage.
            tap.check(variant.min_samples == 0 and not variant.exact_samples,
                      f"{label}: refused only when no sample precedes the damage",
                      f"{variant.min_samples} samples lie wholly before it\n{outcome.describe()}")
            continue
        if summary is None:
            tap.check(False, f"{label}: summary.json written", outcome.describe())
            continue
        got = summary["samples"]
        if variant.exact_samples is not None:
            tap.check(got == variant.exact_samples,
                      f"{label}: all {variant.exact_samples} samples used", f"got {got}")
        else:
            tap.check(got >= variant.min_samples,
                      f"{label}: the {variant.min_samples} samples before the damage used",
                      f"got {got}\n{outcome.describe()}")
        if variant.expect_damage:
            damage = summary["losses"]["damage"] or ""
            tap.check("byte offset" in damage, f"{label}: damage reported with its offset",
                      f"losses.damage = {damage!r}")
    print(f"# {case.name}: {count} damaged perf.data files, exit codes " +
          ", ".join(f"{code}: {n}" for code, n in sorted(codes.items())))
    return count


def run_span_variants(tap, case, scale):
    with open(os.path.join(case.case_dir, "spans.jsonl"), "rb") as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    intact, n, variants = span_variants.build(lines)
    perf_data = os.path.join(case.case_dir, "perf.data")
    spans_path = os.path.join(case.work, "spans.jsonl")
    with open(spans_path, "wb") as f:
        f.write(intact)
    outcome, reference = case.join(perf_data, spans_path)
    if not tap.check(outcome.code == 0 and reference and reference["spans"]["spans"] == n,
                     f"{case.name}: one span per line: all {n} spans read", outcome.describe()):
        return
    base_spans = reference["spans"]
    # Through a pipe (`--spans <(zcat ...)`): plain and gzip, every span read.
    gz_path = spans_path + ".gz"
    with open(gz_path, "wb") as f:
        f.write(gzip.compress(intact, mtime=0))
    for label, source in (("plain", spans_path), ("gzip", gz_path)):
        outcome, summary = case.join(perf_data, "/dev/stdin", stdin_path=source, stdin_pipe=True)
        label = f"{case.name} spans: {label} span file through a pipe"
        if check_common(tap, label, outcome, (0,), "join", ("/dev/stdin",)):
            tap.check(summary is not None and summary["spans"]["spans"] == n,
                      f"{label}: all {n} spans read", outcome.describe())
    os.remove(gz_path)
    outcome, _ = case.join(perf_data, case.work)
    label = f"{case.name} spans: a directory given as span file"
    if check_common(tap, label, outcome, (2,), "join", (case.work,)):
        tap.check("directory" in outcome.stderr, f"{label}: the error says so", outcome.describe())
    for variant in variants:
        label = f"{case.name} spans: {variant.name}"
        path = spans_path + (".gz" if variant.gz else "")
        with open(path, "wb") as f:
            f.write(variant.content)
        outcome, summary = case.join(perf_data, path)
        if not check_common(tap, label, outcome, (0,), "join", (path,)):
            continue
        if summary is None or summary.get("spans") is None:
            tap.check(False, f"{label}: summary.json with spans", outcome.describe())
            continue
        spans = summary["spans"]
        tap.check(summary["samples"] == reference["samples"], f"{label}: every sample kept",
                  f"{summary['samples']} != {reference['samples']}")
        tap.check(spans["spans"] >= n - variant.lost,
                  f"{label}: the other spans read ({n - variant.lost}+ of {n})", f"spans {spans['spans']}")
        if variant.lost < n:
            # Every undamaged span still joins: those that got samples still do,
            # give or take the damaged span and its children.
            tap.check(spans["with_samples"] >= base_spans["with_samples"] - 3 * max(variant.lost, 1),
                      f"{label}: the other spans still get their samples",
                      f"with_samples {spans['with_samples']} (intact {base_spans['with_samples']})")
        if variant.counter:
            tap.check(spans[variant.counter] >= variant.at_least,
                      f"{label}: counted in spans.{variant.counter}", str(spans))
        if variant.line is not None:
            wanted = f"{path}:{variant.line}:"
            tap.check(any(wanted in p for p in spans["problems"]),
                      f"{label}: the problem names {wanted}", str(spans["problems"]))
        if variant.roots_added:
            tap.check(spans["local_roots"] == base_spans["local_roots"] + variant.roots_added,
                      f"{label}: made a local root", str(spans))
        if variant.lost and not variant.counter and variant.report:
            tap.check(bool(spans["problems"]), f"{label}: reported in spans.problems", str(spans))
    # Long lines: 32 MiB is read; 100 MiB is over the 64 MiB line limit, skipped and
    # reported. Memory stays bounded either way.
    for mib, readable in ((32, True), (100, False)):
        size = int((mib << 20) * min(1.0, scale * 4))
        head, before, size, after, tail = span_variants.long_line_variant(lines, n // 2, size)
        with open(spans_path, "wb") as f:
            f.write(head + b"\n" + before)
            chunk = b"x" * (1 << 20)
            for _ in range(size // len(chunk)):
                f.write(chunk)
            f.write(after + b"\n" + tail + b"\n")
        label = f"{case.name} spans: a single {size >> 20} MiB line"
        outcome, summary = case.join(perf_data, spans_path)
        print(f"# {label}: {outcome.seconds:.2f} s, peak RSS {outcome.peak_rss_kib // 1024} MiB")
        if not check_common(tap, label, outcome, (0,), "join", (spans_path,)) or not summary:
            continue
        got = summary["spans"]
        if readable or size <= 64 << 20:
            tap.check(got["spans"] == n, f"{label}: all {n} spans read", str(got["spans"]))
        else:
            tap.check(got["spans"] == n - 1 and got["bad_lines"] == 1,
                      f"{label}: skipped, the other {n - 1} spans read", str(got))
            wanted = f"{spans_path}:{n // 2 + 1}: line longer than"
            tap.check(any(p.startswith(wanted) for p in got["problems"]),
                      f"{label}: the problem names the line", str(got["problems"]))
    os.remove(spans_path)


def run_proto_variants(tap, case):
    """The Collector's `proto` span format, damaged: the messages before the
    damage (and, when framing survives, after it) are still read."""
    perf_data = os.path.join(case.case_dir, "perf.data")
    sample = Capture(open(perf_data, "rb").read()).samples()[0]
    pid, tid = struct.unpack_from("<II", sample.body, 8)
    path = os.path.join(case.work, "spans.pb")
    for name, content, at_least in span_variants.proto_variants(pid, tid, load_start_unix_ns(case),
                                                               random.Random(65)):
        with open(path, "wb") as f:
            f.write(content)
        label = f"{case.name} proto spans: {name}"
        outcome, summary = case.join(perf_data, path)
        if not check_common(tap, label, outcome, (0,), "join", (path,)) or not summary:
            continue
        spans = summary["spans"]
        tap.check(spans["spans"] >= at_least, f"{label}: the {at_least} spans before the damage read",
                  str(spans))
        if name != "intact" and spans["spans"] < 200:
            tap.check(bool(spans["problems"]), f"{label}: reported", str(spans))


def load_start_unix_ns(case):
    outcome, summary = case.join(os.path.join(case.case_dir, "perf.data"))
    return (summary or {}).get("start_unix_ns") or 1


def run_span_flood(tap, case):
    """More spans than spanprof keeps (4,194,304): the first ones are kept, the
    rest counted and reported, memory bounded. Too slow under ASan: skipped there."""
    perf_data = os.path.join(case.case_dir, "perf.data")
    path = os.path.join(case.work, "flood.pb")
    cap, messages = 1 << 22, 4300
    sample = Capture(open(perf_data, "rb").read()).samples()[0]
    pid, tid = struct.unpack_from("<II", sample.body, 8)
    start = load_start_unix_ns(case)
    message = span_variants.proto_message(1000, pid, tid, start, 1000)
    with open(path, "wb") as f:
        for _ in range(messages):
            f.write(message)
    total = messages * 1000
    label = f"{case.name} spans: {total:,} spans in one protobuf file"
    outcome, summary = case.join(perf_data, path)
    os.remove(path)
    print(f"# {label}: {outcome.seconds:.2f} s, peak RSS {outcome.peak_rss_kib // 1024} MiB")
    if not check_common_no_rss(tap, label, outcome, (0,)) or not summary:
        return
    spans = summary["spans"]
    tap.check(spans["spans"] == cap and spans["bad_spans"] == total - cap,
              f"{label}: the first {cap:,} kept, the rest counted as skipped", str(spans["spans"]))
    tap.check(any(f"more than {cap} spans" in p for p in spans["problems"]),
              f"{label}: the limit is reported", str(spans["problems"]))
    tap.check(outcome.peak_rss_kib < 1536 * 1024, f"{label}: peak RSS under 1.5 GiB",
              outcome.describe())


def run_dump_variants(tap, case, scale):
    """Damaged profiles for `spanprof dump`."""
    outcome, _ = case.join(os.path.join(case.case_dir, "perf.data"),
                           os.path.join(case.case_dir, "spans.jsonl"))
    with open(os.path.join(case.work, "profile.pb.gz"), "rb") as f:
        packed = f.read()
    raw = gzip.decompress(packed)
    rng = random.Random(66)
    variants = []
    for x in sorted(rng.sample(range(1, len(packed)), max(4, int(12 * scale)))):
        variants.append((f"gzip cut at {x}", packed[:x]))
    for x in sorted(rng.sample(range(1, len(raw)), max(4, int(12 * scale)))):
        variants.append((f"pprof cut at {x}", raw[:x]))
    for i in range(max(4, int(20 * scale))):
        out = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        variants.append((f"pprof bytes changed ({i})", bytes(out)))
    variants.append(("empty profile", b""))
    variants.append(("gzip of garbage", gzip.compress(b"\xff" * 1000, mtime=0)))
    path = os.path.join(case.work, "damaged.pb")
    for name, content in variants:
        with open(path, "wb") as f:
            f.write(content)
        outcome = runner.run([case.spanprof, "dump", path], TIMEOUT, workdir=case.work)
        check_common(tap, f"{case.name} dump: {name}", outcome, (0, 2), "dump", (path,))


def run_thread_flood(tap, case, intact_raw, threads):
    """COMM/FORK records of many threads: bounded time and memory, samples intact."""
    capture = Capture(intact_raw)
    path = os.path.join(case.work, "threads.data")
    with open(path, "wb") as f:
        f.write(perf_variants.with_extra_records(capture, perf_variants.thread_records(capture, threads)))
    label = f"{case.name}: {threads:,} threads (FORK+COMM)"
    outcome, summary = case.join(path)
    os.remove(path)
    if check_common_no_rss(tap, label, outcome, (0,)):
        tap.check(summary and summary["samples"] == len(capture.samples()),
                  f"{label}: all samples used", outcome.describe())
    print(f"# {label}: {outcome.seconds:.2f} s, peak RSS {outcome.peak_rss_kib // 1024} MiB")


def run_sched_variants(tap, spanprof, work):
    """The off-CPU records (SWITCH, RAW, TRACING_DATA) of tests/corrupt/offcpu,
    damaged: every sample their damage does not touch is still decoded, and
    damaged tracing data is a warning. Decoded samples count those of every event:
    the profile's, samples_other_events and the sched_switch samples an off-CPU
    join takes as its stacks."""
    case = Case(spanprof, os.path.join(HERE, "offcpu"), work)
    with open(os.path.join(case.case_dir, "perf.data"), "rb") as f:
        capture = Capture(f.read())
    path = os.path.join(work, "offcpu.data")
    names = (path, "byte offset", "<stdin>")
    for name, data, at_least, exactly, warning, pipe in perf_variants.sched_variants(capture):
        label = f"offcpu: {name}"
        with open(path, "wb") as f:
            f.write(data)
        if pipe:
            outcome, summary = case.join("-", stdin_path=path, stdin_pipe=True)
        else:
            outcome, summary = case.join(path)
        if not check_common(tap, label, outcome, perf_variants.DAMAGED if at_least == 0 else (0,),
                            "join", names) or at_least == 0:
            continue
        if not tap.check(summary is not None, f"{label}: summary.json written", outcome.describe()):
            continue
        decoded = summary["samples"] + summary["losses"]["samples_other_events"]
        if summary.get("off_cpu"):
            decoded += summary["off_cpu"]["sched_switch_samples"]
        if exactly is not None:
            tap.check(decoded == exactly, f"{label}: all {exactly} samples decoded", f"got {decoded}")
        else:
            tap.check(decoded >= at_least, f"{label}: {at_least}+ samples decoded", f"got {decoded}")
        if warning:
            tap.check(any(warning in w["message"] for w in summary["warnings"]),
                      f"{label}: warned: {warning}", str(summary["warnings"]))


def check_common_no_rss(tap, label, outcome, codes):
    crash = runner.crash_report(outcome)
    if not tap.check(not crash, f"{label}: no crash", f"{crash}\n{outcome.describe()}"):
        return False
    return tap.check(outcome.code in codes, f"{label}: exit code in {codes}", outcome.describe())


def main():
    spanprof, captures = sys.argv[1], sys.argv[2]
    scale = float(os.environ.get("SPANPROF_CORRUPT_SCALE", "0.25" if runner.sanitized() else "1"))
    tap = Tap()
    cases = sorted(d for d in os.listdir(captures)
                   if os.path.exists(os.path.join(captures, d, "perf.data")))
    if not cases:
        tap.bail(f"no captures in {captures}")
    for name in cases:
        with tempfile.TemporaryDirectory(prefix="spanprof-corrupt-") as work:
            case = Case(spanprof, os.path.join(captures, name), work)
            with open(os.path.join(case.case_dir, "perf.data"), "rb") as f:
                intact_raw = f.read()
            outcome, summary = case.join(os.path.join(case.case_dir, "perf.data"), case.spans)
            samples = len(Capture(intact_raw).samples())
            if not tap.check(outcome.code == 0 and summary and summary["samples"] == samples,
                             f"{name}: intact capture joins with all {samples} samples", outcome.describe()):
                continue
            run_perf_variants(tap, case, intact_raw, scale)
            if os.path.exists(os.path.join(case.case_dir, "spans.jsonl")):
                run_span_variants(tap, case, scale)
            run_proto_variants(tap, case)
            if not runner.sanitized():
                run_span_flood(tap, case)
            run_dump_variants(tap, case, scale)
            run_thread_flood(tap, case, intact_raw, int(100_000 * scale))
    with tempfile.TemporaryDirectory(prefix="spanprof-corrupt-") as work:
        run_sched_variants(tap, spanprof, work)
    tap.done()


if __name__ == "__main__":
    main()
