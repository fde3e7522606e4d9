"""A file-mode perf.data split into its parts, so tests can damage one part and
write the file back with every offset in the header and feature table fixed up.

Only what the corrupt-input suite needs: the header, the attr entries, the data
section as a list of records, and the feature sections
(perf.data-file-format.txt; tools/perf/util/header.h).
"""
import struct

MAGIC = b"PERFILE2"
HEADER_SIZE = 104
RECORD_HEADER = struct.Struct("<IHH")  # type, misc, size

# Record types (include/uapi/linux/perf_event.h, tools/lib/perf/include/perf/event.h).
MMAP, LOST, COMM, EXIT, FORK, SAMPLE, MMAP2, SWITCH, SWITCH_CPU_WIDE = 1, 2, 3, 4, 7, 9, 10, 14, 15
FINISHED_ROUND = 68
HEADER_TRACING_DATA = 66

# Feature bits (header.h).
FEAT_TRACING_DATA, FEAT_BUILD_ID, FEAT_HOSTNAME, FEAT_SAMPLE_TIME, FEAT_CLOCK_DATA = 1, 2, 3, 21, 29

# perf_event_attr offsets and sample_type bits.
ATTR_SAMPLE_TYPE = 24
ATTR_READ_FORMAT = 32
ATTR_FLAGS = 40
SAMPLE_ADDR = 1 << 3
SAMPLE_CALLCHAIN = 1 << 5
SAMPLE_RAW = 1 << 10
FLAG_SAMPLE_ID_ALL = 1 << 18


class Record:
    __slots__ = ("type", "misc", "body", "offset")

    def __init__(self, type_, misc, body, offset=None):
        self.type, self.misc, self.body, self.offset = type_, misc, body, offset

    def bytes(self, size=None):
        size = len(self.body) + 8 if size is None else size
        return RECORD_HEADER.pack(self.type, self.misc, size) + self.body


class Capture:
    """Parsed from the bytes of an intact capture; write() lays it out again."""

    def __init__(self, data):
        if data[:8] != MAGIC:
            raise ValueError("not a little-endian file-mode perf.data")
        self.raw = data
        (self.attr_size,) = struct.unpack_from("<Q", data, 16)
        attrs_off, attrs_size, self.data_offset, self.data_size = struct.unpack_from("<4Q", data, 24)
        self.features = list(struct.unpack_from("<4Q", data, 72))
        self.attrs = []  # (attr bytes, ids bytes)
        for off in range(attrs_off, attrs_off + attrs_size, self.attr_size):
            attr = data[off:off + self.attr_size - 16]
            ids_off, ids_size = struct.unpack_from("<QQ", data, off + self.attr_size - 16)
            self.attrs.append((bytearray(attr), data[ids_off:ids_off + ids_size]))
        self.records = []
        off, end = self.data_offset, self.data_offset + self.data_size
        while off < end:
            type_, misc, size = RECORD_HEADER.unpack_from(data, off)
            if size < 8:
                raise ValueError(f"record at {off} has size {size}")
            self.records.append(Record(type_, misc, data[off + 8:off + size], off))
            off += size
        self.sections = {}  # feature bit -> payload
        table = self.data_offset + self.data_size
        for i, bit in enumerate(self.feature_bits()):
            off, size = struct.unpack_from("<QQ", data, table + 16 * i)
            self.sections[bit] = data[off:off + size]

    def feature_bits(self):
        return [b for b in range(256) if self.features[b // 64] >> (b % 64) & 1]

    def drop_feature(self, bit):
        self.features[bit // 64] &= ~(1 << (bit % 64))
        self.sections.pop(bit, None)

    def samples(self):
        return [r for r in self.records if r.type == SAMPLE]

    def data_bytes(self):
        return b"".join(r.bytes() for r in self.records)

    def write(self, data=None):
        """The whole file; `data` replaces the data section's bytes when given."""
        data = self.data_bytes() if data is None else data
        ids_blob = b""
        ids_off = HEADER_SIZE
        attr_entries = b""
        attrs_off = HEADER_SIZE + sum(len(ids) for _, ids in self.attrs)
        for attr, ids in self.attrs:
            attr_entries += bytes(attr) + struct.pack("<QQ", ids_off, len(ids))
            ids_blob += ids
            ids_off += len(ids)
        data_off = attrs_off + len(attr_entries)
        bits = [b for b in self.feature_bits() if b in self.sections]
        table_off = data_off + len(data)
        payload_off = table_off + 16 * len(bits)
        table, payloads = b"", b""
        for bit in bits:
            table += struct.pack("<QQ", payload_off + len(payloads), len(self.sections[bit]))
            payloads += self.sections[bit]
        header = MAGIC + struct.pack("<QQ", HEADER_SIZE, self.attr_size)
        header += struct.pack("<6Q", attrs_off, len(attr_entries), data_off, len(data), 0, 0)
        header += struct.pack("<4Q", *self.features)
        assert len(header) == HEADER_SIZE
        return header + ids_blob + attr_entries + data + table + payloads


def samples_before(capture, file_offset):
    """Samples whose record lies wholly before file_offset in the intact file."""
    return sum(1 for r in capture.records
               if r.type == SAMPLE and r.offset + 8 + len(r.body) <= file_offset)


HEADER_ATTR, HEADER_FEATURE = 64, 80


def to_pipe(capture, extra_attrs=0):
    """The capture as `perf record -o -` writes it: a 16-byte header, HEADER_ATTR
    and HEADER_FEATURE records, the TRACING_DATA feature as a HEADER_TRACING_DATA
    record (its payload after the record, padded to 8 and counted in its u32 size),
    then the data records. `extra_attrs` more HEADER_ATTR records (copies of the
    first attr with new ids) test the index."""
    out = [MAGIC + struct.pack("<Q", 16)]
    for attr, ids in capture.attrs:
        body = bytes(attr) + ids
        out.append(RECORD_HEADER.pack(HEADER_ATTR, 0, len(body) + 8) + body)
    attr = bytes(capture.attrs[0][0])
    for i in range(extra_attrs):
        body = attr + struct.pack("<Q", 1 << 40 | i)
        out.append(RECORD_HEADER.pack(HEADER_ATTR, 0, len(body) + 8) + body)
    tracing = capture.sections.get(FEAT_TRACING_DATA)
    if tracing is not None:
        padded = tracing + b"\0" * (-len(tracing) % 8)
        out.append(RECORD_HEADER.pack(HEADER_TRACING_DATA, 0, 16) + struct.pack("<II", len(padded), 0) + padded)
    for bit in capture.feature_bits():
        payload = capture.sections.get(bit)
        if bit == FEAT_TRACING_DATA or payload is None or len(payload) + 16 > 0xFFFF:
            continue
        pad = b"\0" * (-len(payload) % 8)
        body = struct.pack("<Q", bit) + payload + pad
        out.append(RECORD_HEADER.pack(HEADER_FEATURE, 0, len(body) + 8) + body)
    out.append(capture.data_bytes())
    return b"".join(out)
