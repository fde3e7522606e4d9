#!/usr/bin/env python3
"""Damaged activation files (docs/activations.md, "What the reader does with damage"):
the event-loop demo is recorded once with `spanprof run --no-join`, then each copy of
the capture gets its activations-PID.bin damaged one way and is joined. Every join
exits 0 without a crash or sanitizer report, summary.json's spans.activations
counters and its "activations" warnings say what happened, and where the activations
are unusable the join falls back honestly: the profile is the one a capture without
activation files gets (span times decide), never a span the damaged records named.

usage: run_activation_damage_test.py SPANPROF DEMO
"""
import collections
import glob
import os
import random
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_common import Tap, load_json, run  # noqa: E402
from run_node_test import dump_samples  # noqa: E402

HEADER = struct.Struct("<8sHHHHIIQQ")  # docs/activations.md, version 1: 40 bytes
RECORD = struct.Struct("<QII16s8s")    # 40 bytes
HOUR_NS = 3600 * 10**9
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
SPAN_LABELS = ("span_id", "innermost_span_id")


def split(data):
    """(header bytes, [record tuples]) of an undamaged version 1 file."""
    body = data[HEADER.size:]
    return data[:HEADER.size], list(RECORD.iter_unpack(body))


def join(tap, spanprof, capture, name):
    """Joins the capture; returns (summary, samples) or (None, None)."""
    code, out, err = run([spanprof, "join", capture, "--kernel-symbols", "never", "-q"])
    marks = [mark for mark in SANITIZER_MARKS if mark in err]
    tap.check(code == 0 and not marks,
              f"{name}: spanprof join exits 0, no signal, no sanitizer report",
              f"code {code}\n{out}\n{err[-3000:]}")
    summary = load_json(os.path.join(capture, "summary.json"))
    if code != 0 or summary is None:
        return None, None
    return summary, dump_samples(spanprof, os.path.join(capture, "profile.pb.gz"))


def profile_key(samples):
    """The profile as a multiset of (labels, stack), to compare joins."""
    counts = collections.Counter()
    for count, labels, frames in samples:
        counts[(tuple(sorted(labels.items())), tuple(frames))] += count
    return counts


def labelled(samples):
    return sum(count for count, labels, _ in samples if any(k in labels for k in SPAN_LABELS))


def activation_warnings(summary):
    return [w for w in summary.get("warnings", [])
            if isinstance(w, dict) and w.get("kind") == "activations"]


def warned(summary, text, where=None):
    return any(text in w.get("message", "") and (where is None or w.get("where") == where)
               for w in activation_warnings(summary))


def activations_of(summary):
    return ((summary or {}).get("spans") or {}).get("activations") or {}


class Damage:
    """One damaged copy of the recording: its name and how to damage the file."""

    def __init__(self, name, alter):
        self.name, self.alter = name, alter


def damages(pid, header, records):
    rng = random.Random(12)
    # The span ids the records name, each replaced by a random one no span file holds.
    fake = {}

    def fake_id(span):
        if span == bytes(8):
            return span
        return fake.setdefault(span, rng.getrandbits(64).to_bytes(8, "big"))

    def rewrite(change):
        return lambda path: write(path, header + b"".join(RECORD.pack(*change(r)) for r in records))

    def garbage(path):
        data = bytearray(open(path, "rb").read())
        start = HEADER.size + RECORD.size * (len(records) // 2)
        data[start:start + RECORD.size * 20] = rng.randbytes(RECORD.size * 20)
        write(path, bytes(data))

    def error_note(path):
        # The writer could not create its file: only its note is left.
        os.remove(path)
        write(path[:-len(".bin")] + ".error", b"cannot create activations file: Permission denied\n")

    version_2 = header[:8] + struct.pack("<H", 2) + header[10:]
    return [
        Damage("torn tail", lambda p: os.truncate(p, os.path.getsize(p) - 17)),
        Damage("garbage bytes", garbage),
        Damage("bad magic", lambda p: write(p, b"SPANACX\0" + open(p, "rb").read()[8:])),
        Damage("unknown version", lambda p: write(p, version_2 + open(p, "rb").read()[40:])),
        Damage("unknown span ids", rewrite(lambda r: (r[0], r[1], r[2], r[3], fake_id(r[4])))),
        Damage("clocks disagree", rewrite(lambda r: (r[0] + HOUR_NS, *r[1:]))),
        Damage("another pid", rewrite(lambda r: (r[0], pid + 1, *r[2:]))),
        Damage("writer error note", error_note),
        Damage("empty file", lambda p: write(p, b"")),
        Damage("zero-length body", lambda p: write(p, header)),
    ]


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    spanprof, demo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    if shutil.which("perf") is None:
        tap.skip_all("perf is not installed")
    work = tempfile.mkdtemp(prefix="spanprof-activation-damage-")
    try:
        check(tap, spanprof, demo, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


def check(tap, spanprof, demo, work):
    recording = os.path.join(work, "recording")
    duration = "400" if os.environ.get("SPANPROF_SANITIZED") == "1" else "800"
    code, out, err = run([spanprof, "run", "--no-join", "-o", recording, "--",
                          demo, "--event-loop", "--duration-ms", duration])
    files = glob.glob(os.path.join(recording, "activations-*.bin"))
    if code != 0 or len(files) != 1:
        tap.bail(f"the recording failed (code {code}, files {files}): {out}\n{err}")
    name = os.path.basename(files[0])
    pid = int(name[len("activations-"):-len(".bin")])
    with open(files[0], "rb") as f:
        data = f.read()
    header, records = split(data)
    tap.check(len(data) % RECORD.size == 0 and len(records) > 100 and
              all(r[1] == pid for r in records),
              f"the recording: {len(records)} whole records of pid {pid}")

    def copy(label):
        target = os.path.join(work, label.replace(" ", "-"))
        shutil.copytree(recording, target)
        return target, os.path.join(target, name)

    intact_dir, _ = copy("intact")
    intact, intact_samples = join(tap, spanprof, intact_dir, "intact")
    without_dir, without_file = copy("without activations")
    os.remove(without_file)
    without, without_samples = join(tap, spanprof, without_dir, "without activations")
    if intact is None or without is None:
        tap.bail("the undamaged joins failed")
    baseline = activations_of(intact)
    tap.check(baseline.get("records") == len(records) and baseline.get("samples_in_spans", 0) > 0
              and not activation_warnings(intact),
              f"intact: {baseline.get('samples_in_spans')} of {baseline.get('samples')} samples "
              f"labelled by {baseline.get('records')} records, no activation warning", baseline)
    tap.check(activations_of(without) == {} and labelled(without_samples) < labelled(intact_samples),
              f"without activations: span times label {labelled(without_samples)} samples, "
              f"the activations {labelled(intact_samples)}")
    fallback = profile_key(without_samples)

    results = {}
    for damage in damages(pid, header, records):
        target, path = copy(damage.name)
        damage.alter(path)
        summary, samples = join(tap, spanprof, target, damage.name)
        results[damage.name] = (summary, samples, path)

    def case(label):
        summary, samples, path = results[label]
        return (summary or {}), activations_of(summary), (samples or []), path

    def falls_back(label, summary, samples):
        tap.check(summary and profile_key(samples) == fallback,
                  f"{label}: the profile is the one without activation files (span times decide)")

    summary, act, samples, path = case("torn tail")
    tap.check(act.get("torn_bytes") == RECORD.size - 17 and act.get("records") == len(records) - 1
              and warned(summary, "partial record of 23 bytes", path),
              "torn tail: 23 bytes dropped, the other records kept, a warning names the file", act)
    tap.check(act.get("samples_in_spans", 0) >= baseline["samples_in_spans"] * 0.99,
              f"torn tail: {act.get('samples_in_spans')} samples still labelled by activations "
              f"(intact {baseline['samples_in_spans']})")

    summary, act, samples, path = case("garbage bytes")
    tap.check(act.get("records_wrong_pid") == 20 and act.get("records") == 0 and
              act.get("files_skipped") == 1 and
              warned(summary, "20 records name another process", path),
              "garbage bytes: 20 overwritten records name no pid of the file: the damaged file "
              "is not used, counted, warned", act)
    falls_back("garbage bytes", summary, samples)

    for label, text in (("bad magic", "first 8 bytes"), ("unknown version", "version 2"),
                        ("empty file", "shorter than the 40-byte header")):
        summary, act, samples, path = case(label)
        tap.check(act.get("files_skipped") == 1 and act.get("files_read") == 0 and
                  act.get("records") == 0 and warned(summary, text, path),
                  f"{label}: the file is skipped with a warning naming it ({text!r})", act)
        falls_back(label, summary, samples)

    summary, act, samples, path = case("unknown span ids")
    tap.check(act.get("unknown_spans", 0) > 0 and act.get("spans_activated") == 0 and
              act.get("records_unknown_span", 0) > 0 and act.get("samples_in_spans") == 0 and
              act.get("samples_unknown_span", 0) > 0 and
              warned(summary, "no span file holds"),
              f"unknown span ids: {act.get('unknown_spans')} spans in no span file, "
              f"{act.get('samples_unknown_span')} samples unlabelled and warned", act)
    tap.check(labelled(samples) == 0,
              "unknown span ids: no sample carries a span label (the records decide these threads, "
              "and they name no known span)", labelled(samples))

    summary, act, samples, path = case("clocks disagree")
    tap.check(act.get("records_outside_capture") == len(records) and
              act.get("samples_before_first") == act.get("samples") and act.get("samples", 0) > 0
              and warned(summary, "the clocks disagree"),
              "clocks disagree: every record lies outside the capture, every sample is before "
              "its thread's first record, warned", act)
    tap.check(labelled(samples) == 0, "clocks disagree: no sample carries a span label",
              labelled(samples))

    summary, act, samples, path = case("another pid")
    tap.check(act.get("records_wrong_pid") == len(records) and act.get("records") == 0 and
              warned(summary, "name another process", path),
              "another pid: the file is not used, counted and warned", act)
    falls_back("another pid", summary, samples)

    summary, act, samples, path = case("writer error note")
    note = path[:-len(".bin")] + ".error"
    tap.check(act.get("writer_errors") == 1 and act.get("files_read") == 0 and
              warned(summary, "Permission denied", note),
              "writer error note: the writer's line is a warning naming the note", act)
    falls_back("writer error note", summary, samples)

    summary, act, samples, path = case("zero-length body")
    tap.check(act.get("files_read") == 1 and act.get("records") == 0 and
              act.get("files_skipped") == 0 and act.get("samples") == 0,
              "zero-length body: read, no records, no thread decided by it", act)
    falls_back("zero-length body", summary, samples)


if __name__ == "__main__":
    main()
