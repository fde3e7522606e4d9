"""Damaged OTLP JSON Lines span files, each from an intact one rewritten with one
span per line, so that damage to one line touches exactly one span.

Each variant says what the join must report: how many spans may be lost, which
summary counter must count the damage, and which line a problem names.
"""
import gzip
import json


class SpanVariant:
    def __init__(self, name, content, lost, counter=None, at_least=1, line=None, gz=False,
                 report=True, roots_added=0):
        self.name = name
        self.content = content      # bytes of the file
        self.lost = lost            # spans that may be missing from spans.spans
        self.counter = counter      # summary spans.<counter> that must count it
        self.at_least = at_least
        self.line = line            # 1-based line a problem must name
        self.gz = gz
        self.report = report            # a problem line must say what was wrong
        self.roots_added = roots_added  # spans.local_roots must grow by this


def one_span_per_line(lines):
    """[(resource, scope, span)] from TracesData lines."""
    out = []
    for line in lines:
        for rs in json.loads(line).get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                for span in ss.get("spans", []):
                    out.append((rs.get("resource", {}), ss.get("scope", {}), span))
    return out


def encode(resource, scope, span):
    data = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": scope, "spans": [span]}]}]}
    return json.dumps(data, separators=(",", ":")).encode()


def build(lines):
    """The intact one-span-per-line file (bytes) and the list of variants."""
    entries = one_span_per_line(lines)
    base = [encode(*e) for e in entries]
    intact = b"\n".join(base) + b"\n"
    n = len(base)
    # Damage lands in the middle, away from the first and last line.
    k = n // 2
    variants = []

    def with_line(index, new_line):
        copy = list(base)
        copy[index] = new_line
        return b"\n".join(copy) + b"\n"

    def with_span(index, change):
        resource, scope, span = entries[index]
        span = json.loads(json.dumps(span))
        change(span)
        return with_line(index, encode(resource, scope, span))

    name_field = b'"name":"' + entries[k][2]["name"].encode() + b'"'
    variants.append(SpanVariant(
        "invalid UTF-8 in a span name",
        with_line(k, base[k].replace(name_field, b'"name":"bad \xff\xfe\xc3("', 1)),
        lost=1, counter="bad_lines", line=k + 1))
    deep = b'"deep":' + b"[" * 100000 + b"]" * 100000 + b","
    variants.append(SpanVariant(
        "deep nesting (100,000 arrays) in a line",
        with_line(k, base[k].replace(b'"spanId"', deep + b'"spanId"', 1)),
        lost=1, report=False))
    nest = b'{"arrayValue":{"values":[' * 100000 + b'{"intValue":"1"}' + b']}}' * 100000
    variants.append(SpanVariant(
        "deep nesting (100,000 arrayValues) in an attribute value",
        with_line(k, base[k].replace(b'"attributes":[', b'"attributes":[{"key":"deep","value":' + nest + b'},', 1)),
        lost=1, report=False))
    variants.append(SpanVariant(
        "a line cut in the middle", with_line(k, base[k][:len(base[k]) // 2]),
        lost=1, counter="bad_lines", line=k + 1))
    variants.append(SpanVariant(
        "a line of NUL bytes", with_line(k, b"\0" * 4096),
        lost=1, counter="bad_lines", line=k + 1))
    variants.append(SpanVariant(
        "a JSON array line", with_line(k, b"[1,2,3]"), lost=1, counter="bad_lines", line=k + 1))

    wrong_types = [
        ("startTimeUnixNano is true", lambda s: s.__setitem__("startTimeUnixNano", True)),
        ("endTimeUnixNano is an object", lambda s: s.__setitem__("endTimeUnixNano", {"a": 1})),
        ("startTimeUnixNano is not a number", lambda s: s.__setitem__("startTimeUnixNano", "12ab")),
        ("startTimeUnixNano is negative", lambda s: s.__setitem__("startTimeUnixNano", "-5")),
        ("startTimeUnixNano overflows int64", lambda s: s.__setitem__("startTimeUnixNano",
                                                                      "99999999999999999999999")),
        ("spanId is a number", lambda s: s.__setitem__("spanId", 12345)),
        ("name is a list", lambda s: s.__setitem__("name", ["a"])),
        ("attributes is a string", lambda s: s.__setitem__("attributes", "thread.os_id")),
        ("thread.os_id is a string", lambda s: s.__setitem__(
            "attributes", [{"key": "thread.os_id", "value": {"stringValue": "x"}}])),
        ("thread.os_id is out of range", lambda s: s.__setitem__(
            "attributes", [{"key": "thread.os_id", "value": {"intValue": "99999999999999"}}])),
    ]
    for label, change in wrong_types:
        counter = "without_thread_id" if "thread.os_id" in label else None
        variants.append(SpanVariant(f"wrong type: {label}", with_span(k, change), lost=1,
                                    counter=counter))

    bad_ids = [
        ("spanId of 15 hex digits", "spanId", lambda v: v[:15]),
        ("spanId of 18 hex digits", "spanId", lambda v: v + "ab"),
        ("spanId not hex", "spanId", lambda v: "zz" + v[2:]),
        ("spanId all zero", "spanId", lambda v: "0" * 16),
        ("traceId of 30 hex digits", "traceId", lambda v: v[:30]),
        ("traceId of 34 hex digits", "traceId", lambda v: v + "00"),
        ("parentSpanId of 8 hex digits", "parentSpanId", lambda v: "abcdef01"),
    ]
    for label, key, change in bad_ids:
        variants.append(SpanVariant(f"wrong id length: {label}",
                                    with_span(k, lambda s: s.__setitem__(key, change(s.get(key, "")))),
                                    lost=1, counter="bad_spans"))

    dup = entries[k][2]["spanId"]
    variants.append(SpanVariant(
        "duplicate span id", with_span(k + 1, lambda s: s.__setitem__("spanId", dup)),
        lost=1, counter="duplicate_span_ids"))

    def end_before_start(s):
        s["startTimeUnixNano"], s["endTimeUnixNano"] = s["endTimeUnixNano"], s["startTimeUnixNano"]
    # A span with a real duration, so that swapping makes end < start.
    swap = next(i for i in range(k, n) if entries[i][2]["endTimeUnixNano"] != entries[i][2]["startTimeUnixNano"])
    variants.append(SpanVariant("end before start", with_span(swap, end_before_start), lost=0,
                                counter="end_before_start"))

    # A child and its parent made each other's parent.
    child = next(i for i in range(k, n) if entries[i][2].get("parentSpanId"))
    parent_id = entries[child][2]["parentSpanId"]
    parent = next((i for i in range(n) if entries[i][2]["spanId"] == parent_id), None)
    if parent is not None:
        copy = list(base)
        r, s, span = entries[parent]
        span = dict(span, parentSpanId=entries[child][2]["spanId"])
        copy[parent] = encode(r, s, span)
        variants.append(SpanVariant("parent cycle", b"\n".join(copy) + b"\n", lost=0,
                                    counter="parent_cycles"))
    # A span that is its own parent (a child span, so it becomes one more root,
    # and the shortest cycle).
    variants.append(SpanVariant(
        "span is its own parent", with_span(child, lambda s: s.__setitem__("parentSpanId", s["spanId"])),
        lost=0, counter="parent_cycles", roots_added=1))

    variants.append(SpanVariant("file cut in the last line", intact[:-len(base[-1]) // 2 - 1],
                                lost=1, counter="bad_lines", line=n))
    compressed = gzip.compress(intact, mtime=0)
    variants.append(SpanVariant("gzip file cut in half", compressed[:len(compressed) // 2],
                                lost=n, gz=True))
    return intact, n, variants


def long_line_variant(intact_lines, entries_index, size):
    """A span whose attribute holds `size` bytes: a valid line of that length."""
    entries = one_span_per_line(intact_lines)
    base = [encode(*e) for e in entries]
    resource, scope, span = entries[entries_index]
    span = json.loads(json.dumps(span))
    span.setdefault("attributes", []).append({"key": "payload", "value": {"stringValue": ""}})
    line = encode(resource, scope, span)
    marker = b'"stringValue":""}}'
    cut = line.rindex(marker) + len(b'"stringValue":"')
    pieces = base[:entries_index] + [None] + base[entries_index + 1:]
    head = b"\n".join(pieces[:entries_index])
    tail = b"\n".join(pieces[entries_index + 1:])
    return head, line[:cut], size, line[cut:], tail


def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number, payload):
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def proto_message(spans, pid, tid, start_ns, step_ns, first_id=1):
    """One length-prefixed OTLP TracesData message (the Collector's `proto` file
    format) with `spans` spans back to back on one thread."""
    attr = _field(1, b"thread.os_id") + _field(2, _varint(3 << 3) + _varint(tid))
    body = b""
    for i in range(spans):
        begin = start_ns + i * step_ns
        span = (_field(1, bytes(range(1, 17))) + _field(2, (first_id + i).to_bytes(8, "big")) +
                _field(5, b"flood") + _varint(7 << 3 | 1) + begin.to_bytes(8, "little") +
                _varint(8 << 3 | 1) + (begin + step_ns - 1).to_bytes(8, "little") + _field(9, attr))
        body += _field(2, span)
    resource = _field(1, _field(1, b"process.pid") + _field(2, _varint(3 << 3) + _varint(pid)))
    message = _field(1, _field(1, resource) + _field(2, body))
    return len(message).to_bytes(4, "big") + message


def proto_variants(pid, tid, start_ns, rng, messages=20, per_message=10):
    """A length-prefixed protobuf span file and damaged copies of it. Each
    variant: (name, bytes, spans that must still be read)."""
    parts = [proto_message(per_message, pid, tid, start_ns + m * per_message * 1000, 1000,
                           first_id=1 + m * per_message) for m in range(messages)]
    starts = [sum(len(p) for p in parts[:m]) for m in range(messages + 1)]
    intact = b"".join(parts)
    total = messages * per_message
    yield "intact", intact, total
    for x in sorted(rng.sample(range(1, len(intact)), 6)):
        whole = sum(1 for m in range(messages) if starts[m + 1] <= x)
        yield f"cut at byte {x}", intact[:x], whole * per_message
    k = messages // 2
    for label, prefix in (("claims 256 MiB - 1", 0x0FFFFFFF), ("claims 0 bytes", 0),
                          ("claims 1 byte more", len(parts[k]) - 4 + 1)):
        out = bytearray(intact)
        out[starts[k]:starts[k] + 4] = prefix.to_bytes(4, "big")
        yield f"message {k + 1} length {label}", bytes(out), k * per_message
    for i in range(4):
        out = bytearray(intact)
        m = rng.randrange(messages)
        spot = rng.randrange(starts[m] + 4, starts[m + 1])
        out[spot] = rng.randrange(256)
        yield f"byte {spot} in message {m + 1} changed", bytes(out), (messages - 1) * per_message
