"""Damaged perf.data files made from an intact capture, deterministic for a seed.

Each variant carries what the join must still deliver: `min_samples` samples in
the profile (those wholly before the damage), or `exact_samples` when the damage
loses no sample (records reordered, a feature missing), and the exit codes the
docs/exit-codes.md documents for it.
"""
import random
import struct

from perf_capture import (ATTR_FLAGS, ATTR_READ_FORMAT, ATTR_SAMPLE_TYPE, COMM, FEAT_BUILD_ID,
                          FEAT_CLOCK_DATA, FEAT_HOSTNAME, FEAT_SAMPLE_TIME, FEAT_TRACING_DATA,
                          FINISHED_ROUND, FLAG_SAMPLE_ID_ALL, FORK, HEADER_TRACING_DATA,
                          RECORD_HEADER, SAMPLE, SAMPLE_ADDR, SAMPLE_CALLCHAIN, SAMPLE_RAW, SWITCH,
                          Capture, Record, samples_before, to_pipe)

# docs/exit-codes.md: damage is not an error while samples remain (0, or 3 when
# the clock data went with it); 2 when nothing usable is left.
DAMAGED = (0, 2, 3)


class PerfVariant:
    def __init__(self, name, data, codes=DAMAGED, min_samples=0, exact_samples=None,
                 expect_damage=False, expect_code=None, error_names=None):
        self.name = name
        self.data = data
        self.codes = (expect_code,) if expect_code is not None else codes
        self.min_samples = min_samples
        self.exact_samples = exact_samples
        self.expect_damage = expect_damage  # losses.damage must name where
        self.error_names = error_names      # the error line must say this (exit 2)


def _patch(data, offset, fmt, value):
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def truncations(capture, count, rng):
    raw = capture.raw
    data_end = capture.data_offset + capture.data_size
    offsets = {0, 7, 8, 15, 16, 24, 103, 104, capture.data_offset - 1, capture.data_offset,
               capture.data_offset + 4, data_end - 1, data_end, data_end + 8, len(raw) - 1}
    records = capture.records
    for r in rng.sample(records, min(len(records), count // 3)):
        offsets.update({r.offset, r.offset + 5, r.offset + 8 + len(r.body) // 2})
    while len(offsets) < count + 15:
        offsets.add(rng.randrange(len(raw)))
    for x in sorted(offsets):
        before = samples_before(capture, x)
        yield PerfVariant(f"truncated at byte {x}", raw[:x], min_samples=before,
                          expect_damage=capture.data_offset < x < data_end)


def flips(capture, count, rng):
    raw = capture.raw
    data_end = capture.data_offset + capture.data_size
    for i in range(count):
        out = bytearray(raw)
        spots = sorted(rng.randrange(capture.data_offset, data_end) for _ in range(rng.randint(1, 4)))
        for spot in spots:
            out[spot] ^= 1 << rng.randrange(8)
        first = max(r.offset for r in capture.records if r.offset <= spots[0])
        yield PerfVariant(f"data bytes flipped at {spots}", bytes(out),
                          min_samples=samples_before(capture, first))
    for i in range(count // 2):
        # Anywhere: header, attrs, feature sections. Only no crash and a clear message.
        out = bytearray(raw)
        spots = sorted(rng.randrange(len(raw)) for _ in range(rng.randint(1, 3)))
        for spot in spots:
            out[spot] = rng.randrange(256)
        yield PerfVariant(f"bytes anywhere set at {spots}", bytes(out))


def record_sizes(capture, count, rng):
    raw = capture.raw
    for r in rng.sample(capture.records, min(count, len(capture.records))):
        size = len(r.body) + 8
        before = samples_before(capture, r.offset)
        for new_size, label, damage in ((0, "zero", True), (3, "under the header", True),
                                        (0xFFFF, "huge (65535)", False), (size + 8, "8 too many", False),
                                        (max(size - 8, 8), "8 too few", False)):
            yield PerfVariant(f"record {r.type} at {r.offset}: size {label}",
                              _patch(raw, r.offset + 6, "<H", new_size), min_samples=before,
                              expect_damage=damage)


def header_claims(capture):
    raw = capture.raw
    n = len(capture.samples())
    four_gb = 4 << 30
    yield PerfVariant("header: data.size claims 4 GiB", _patch(raw, 48, "<Q", four_gb),
                      min_samples=n, expect_damage=True)
    yield PerfVariant("header: data.size claims 2^64-1", _patch(raw, 48, "<Q", (1 << 64) - 1),
                      min_samples=n)
    yield PerfVariant("header: data.size 0 (perf killed)", _patch(raw, 48, "<Q", 0), min_samples=n)
    yield PerfVariant("header: data.offset past the end", _patch(raw, 40, "<Q", four_gb),
                      expect_code=2)
    yield PerfVariant("header: attrs.size claims 4 GiB", _patch(raw, 32, "<Q", four_gb),
                      expect_code=2)
    yield PerfVariant("header: attr_size claims 4 GiB", _patch(raw, 16, "<Q", four_gb),
                      expect_code=2)
    yield PerfVariant("header: attr_size 0", _patch(raw, 16, "<Q", 0), expect_code=2)
    yield PerfVariant("header: header size 17", _patch(raw, 8, "<Q", 17), expect_code=2)
    attrs_off = struct.unpack_from("<Q", raw, 24)[0]
    ids_at = attrs_off + capture.attr_size - 16
    yield PerfVariant("attr ids claim 4 GiB", _patch(raw, ids_at + 8, "<Q", four_gb), expect_code=2)
    table = capture.data_offset + capture.data_size
    yield PerfVariant("feature section claims 4 GiB", _patch(raw, table + 8, "<Q", four_gb),
                      min_samples=n)
    yield PerfVariant("feature section offset past the end", _patch(raw, table, "<Q", four_gb),
                      min_samples=n)
    yield PerfVariant("every feature bit set", raw[:72] + b"\xff" * 32 + raw[104:])
    yield PerfVariant("not perf.data (text)", b"hello, this is not a capture\n" * 10, expect_code=2)
    yield PerfVariant("empty file", b"", expect_code=2)
    yield PerfVariant("big-endian magic", raw[:8][::-1] + raw[8:], expect_code=2)
    yield PerfVariant("only the header", raw[:104], expect_code=2)


def attr_mismatches(capture):
    def with_attr(change):
        c = Capture(capture.raw)
        attr = c.attrs[0][0]
        change(attr)
        return c.write()

    def or_u64(offset, bits):
        return lambda a: struct.pack_into("<Q", a, offset, struct.unpack_from("<Q", a, offset)[0] | bits)

    def and_not_u64(offset, bits):
        return lambda a: struct.pack_into("<Q", a, offset, struct.unpack_from("<Q", a, offset)[0] & ~bits)

    yield PerfVariant("sample_type gains ADDR", with_attr(or_u64(ATTR_SAMPLE_TYPE, SAMPLE_ADDR)),
                      error_names="sample_type")
    yield PerfVariant("sample_type loses CALLCHAIN", with_attr(and_not_u64(ATTR_SAMPLE_TYPE, SAMPLE_CALLCHAIN)))
    yield PerfVariant("sample_type gains RAW", with_attr(or_u64(ATTR_SAMPLE_TYPE, SAMPLE_RAW)),
                      error_names="sample_type")
    yield PerfVariant("sample_type all bits", with_attr(or_u64(ATTR_SAMPLE_TYPE, (1 << 64) - 1)))
    yield PerfVariant("sample_type zero", with_attr(and_not_u64(ATTR_SAMPLE_TYPE, (1 << 64) - 1)))
    yield PerfVariant("read_format all bits", with_attr(or_u64(ATTR_READ_FORMAT, (1 << 64) - 1)))
    yield PerfVariant("sample_id_all cleared", with_attr(and_not_u64(ATTR_FLAGS, FLAG_SAMPLE_ID_ALL)))
    yield PerfVariant("attr size field says 4 GiB", with_attr(lambda a: struct.pack_into("<I", a, 4, 0xFFFFFFFF)))

    def two_attrs():
        c = Capture(capture.raw)
        attr, _ = c.attrs[0]
        other = bytearray(attr)
        struct.pack_into("<Q", other, ATTR_SAMPLE_TYPE, struct.unpack_from("<Q", attr, ATTR_SAMPLE_TYPE)[0] | SAMPLE_ADDR)
        c.attrs = [(attr, struct.pack("<Q", 1)), (other, struct.pack("<Q", 2))]
        return c.write()
    yield PerfVariant("two attrs with different sample_type, samples without ID", two_attrs())
    yield PerfVariant("4,000 attrs sharing one 512 KiB ids section", shared_ids(capture),
                      expect_code=2)


def reorderings(capture, rng):
    n = len(capture.samples())

    def variant(name, records):
        c = Capture(capture.raw)
        c.records = records
        return PerfVariant(f"records out of order: {name}", c.write(), exact_samples=n, expect_code=None,
                           codes=(0,))

    recs = list(capture.records)
    yield variant("reversed", recs[::-1])
    yield variant("non-samples after every sample", [r for r in recs if r.type == SAMPLE] +
                  [r for r in recs if r.type != SAMPLE])
    shuffled = list(recs)
    rng.shuffle(shuffled)
    yield variant("shuffled", shuffled)
    yield variant("no FINISHED_ROUND", [r for r in recs if r.type != FINISHED_ROUND])
    rounds = []
    for r in recs:
        rounds.append(r)
        if r.type == SAMPLE:
            rounds.append(Record(FINISHED_ROUND, 0, b""))
    yield variant("FINISHED_ROUND after every sample", rounds)
    unknown = []
    for r in recs:
        unknown.append(r)
        unknown.append(Record(200 + rng.randrange(50), 0, bytes(rng.randrange(256) for _ in range(16))))
    yield variant("unknown record types between all records", unknown)


def missing_features(capture):
    n = len(capture.samples())

    def without(bits):
        c = Capture(capture.raw)
        for bit in bits:
            c.drop_feature(bit)
        return c.write()
    yield PerfVariant("missing feature CLOCK_DATA", without([FEAT_CLOCK_DATA]), exact_samples=n,
                      expect_code=3)
    yield PerfVariant("missing feature BUILD_ID", without([FEAT_BUILD_ID]), exact_samples=n,
                      expect_code=0)
    yield PerfVariant("missing features HOSTNAME, SAMPLE_TIME", without([FEAT_HOSTNAME, FEAT_SAMPLE_TIME]),
                      exact_samples=n, expect_code=0)
    yield PerfVariant("missing every feature", without(capture.feature_bits()), exact_samples=n,
                      expect_code=3)


def all_variants(raw, scale, seed=6):
    rng = random.Random(seed)
    capture = Capture(raw)
    yield from truncations(capture, max(8, int(60 * scale)), rng)
    yield from flips(capture, max(6, int(40 * scale)), rng)
    yield from record_sizes(capture, max(3, int(12 * scale)), rng)
    yield from header_claims(capture)
    yield from attr_mismatches(capture)
    yield from reorderings(capture, rng)
    yield from missing_features(capture)


def with_extra_records(capture, extra):
    """The capture with `extra` (bytes of whole records) before its first sample."""
    first_sample = next(i for i, r in enumerate(capture.records) if r.type == SAMPLE)
    head = b"".join(r.bytes() for r in capture.records[:first_sample])
    tail = b"".join(r.bytes() for r in capture.records[first_sample:])
    return capture.write(head + extra + tail)


def thread_records(capture, threads, first_tid=1_000_000):
    """COMM and FORK records for `threads` new threads of the first sampled process,
    built from the capture's own records so their trailers match its attr."""
    comm = next(r for r in capture.records if r.type == COMM)
    fork = next(r for r in capture.records if r.type == FORK)
    pid = struct.unpack_from("<I", capture.samples()[0].body, 8)[0]
    comm_tail, fork_tail = comm.body[8:], fork.body[16:]
    parts = []
    for i in range(threads):
        tid = first_tid + i
        parts.append(RECORD_HEADER.pack(FORK, 0, len(fork.body) + 8) +
                     struct.pack("<IIII", pid, pid, tid, pid) + fork_tail)
        parts.append(RECORD_HEADER.pack(COMM, 0, len(comm.body) + 8) +
                     struct.pack("<II", pid, tid) + comm_tail)
    return b"".join(parts)


def shared_ids(capture, attrs=4000, ids_bytes=512 << 10):
    """Every attr entry pointing at one large ids section: a small file whose ids,
    read once per attr, would take attrs * ids_bytes of memory."""
    attr, _ = capture.attrs[0]
    c = Capture(capture.raw)
    c.attrs = [(attr, b"")] * attrs
    c.drop_feature(FEAT_BUILD_ID)
    data = bytearray(c.write())
    attrs_off, attrs_size = struct.unpack_from("<QQ", data, 24)
    ids_off = len(data)
    data += struct.pack("<Q", 0) * (ids_bytes // 8)
    for entry in range(attrs_off, attrs_off + attrs_size, capture.attr_size):
        struct.pack_into("<QQ", data, entry + capture.attr_size - 16, ids_off, ids_bytes)
    return bytes(data)


def pipe_variants(capture, scale, rng):
    """The capture in pipe mode (read from standard input): intact, cut at
    offsets, and with a flood of HEADER_ATTR records."""
    from perf_capture import to_pipe
    stream = to_pipe(capture)
    n = len(capture.samples())
    data_start = len(stream) - capture.data_size
    yield PerfVariant("pipe mode: intact", stream, exact_samples=n, codes=(0,))
    for x in sorted(rng.sample(range(16, len(stream)), max(4, int(16 * scale)))):
        before = samples_before(capture, capture.data_offset + max(0, x - data_start))
        if x < data_start:
            before = 0
        yield PerfVariant(f"pipe mode: cut at byte {x}", stream[:x], min_samples=before)
    attrs = int(200_000 * scale)
    yield PerfVariant(f"pipe mode: {attrs:,} HEADER_ATTR records", to_pipe(capture, attrs),
                      exact_samples=n, codes=(0,))


def _raw_size_offset(capture, record):
    """Where a sample's PERF_SAMPLE_RAW u32 size lies in its body, or None. The
    attr comes from the IDENTIFIER (first u64); perf_event.h orders the fields
    before RAW: identifier, ip, tid, time, addr, id, stream_id, cpu, period, read,
    callchain."""
    (ident,) = struct.unpack_from("<Q", record.body, 0)
    for attr, ids in capture.attrs:
        if struct.pack("<Q", ident) not in [ids[i:i + 8] for i in range(0, len(ids), 8)]:
            continue
        (sample_type,) = struct.unpack_from("<Q", attr, ATTR_SAMPLE_TYPE)
        if not sample_type & SAMPLE_RAW or sample_type & (1 << 4):  # no RAW, or READ (not handled)
            return None
        fixed = sum(1 for bit in (16, 0, 1, 2, 3, 6, 9, 7, 8) if sample_type >> bit & 1)
        at = 8 * fixed
        if sample_type & SAMPLE_CALLCHAIN:
            (nr,) = struct.unpack_from("<Q", record.body, at)
            at += 8 + 8 * nr
        return at
    return None


def sched_variants(capture):
    """A capture of `spanprof run --off-cpu`'s events (cpu-clock, sched_switch with
    RAW and dwarf stacks, SWITCH records, TRACING_DATA), its new records damaged.
    A bad SWITCH or TRACING_DATA loses no sample; a bad RAW size loses its sample.
    (name, data, decoded samples at least, exactly or None, warning or None, pipe)"""
    n = len(capture.samples())

    def with_records(change):
        c = Capture(capture.raw)
        c.records = [change(r) for r in c.records]
        return c

    first_switch = next(r for r in capture.records if r.type == SWITCH)
    cut = with_records(lambda r: Record(r.type, r.misc, r.body[:-8]) if r.offset == first_switch.offset else r)
    yield "SWITCH record cut short by 8 bytes", cut.write(), n, n, None, False
    grown = with_records(lambda r: Record(r.type, r.misc, r.body + bytes(8)) if r.type == SWITCH else r)
    yield "every SWITCH record 8 bytes too long", grown.write(), n, n, None, False

    raw_sample = next(r for r in capture.samples() if _raw_size_offset(capture, r) is not None)
    at = _raw_size_offset(capture, raw_sample)

    def raw_size(value):
        def change(r):
            if r.offset != raw_sample.offset:
                return r
            body = bytearray(r.body)
            struct.pack_into("<I", body, at, value)
            return Record(r.type, r.misc, bytes(body))
        return with_records(change).write()
    yield "RAW size past the record", raw_size(0xFFFFFFF0), n - 1, n - 1, None, False
    (size,) = struct.unpack_from("<I", raw_sample.body, at)
    yield "RAW size 8 too large", raw_size(size + 8), n - 1, None, None, False

    tracing = capture.sections[FEAT_TRACING_DATA]
    systems_at = tracing.index(b"sched\0") - 4

    def tracing_data(data):
        c = Capture(capture.raw)
        c.sections[FEAT_TRACING_DATA] = data
        return c
    bad_count = tracing[:systems_at] + struct.pack("<I", 0x7FFFFFFF) + tracing[systems_at + 4:]
    yield ("TRACING_DATA with 2^31-1 event systems", tracing_data(bad_count).write(), n, n,
           "TRACING_DATA claims", False)
    yield ("TRACING_DATA cut inside its first event format",
           tracing_data(tracing[:systems_at + 40]).write(), n, n, "TRACING_DATA is cut short", False)
    yield "pipe mode: with HEADER_TRACING_DATA", to_pipe(capture), n, n, None, True
    yield ("pipe mode: HEADER_TRACING_DATA with 2^31-1 event systems",
           to_pipe(tracing_data(bad_count)), n, n, "TRACING_DATA claims", True)
    stream = bytearray(to_pipe(capture))
    record_at = stream.index(RECORD_HEADER.pack(HEADER_TRACING_DATA, 0, 16))
    struct.pack_into("<I", stream, record_at + 8, 0xFFFFFFF8)
    yield ("pipe mode: HEADER_TRACING_DATA size past the stream", bytes(stream), 0, None, None, True)
