"""A small protobuf reader for what `spanprof push` sends: Pyroscope's
PushRequest, pprof profiles and OTLP ExportTraceServiceRequest.

Field numbers: pyroscope api/push/v1/push.proto and api/types/v1/types.proto;
pprof proto/profile.proto; opentelemetry-proto trace/v1/trace.proto and
common/v1/common.proto. Raises ValueError on malformed bytes."""
import gzip
import struct


def varint(data, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(data):
    """Yields (field number, wire type, value): ints for varint/fixed, bytes for len."""
    pos = 0
    while pos < len(data):
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(data, pos)
        elif wire == 1:
            if pos + 8 > len(data):
                raise ValueError("truncated fixed64")
            value = struct.unpack_from("<Q", data, pos)[0]
            pos += 8
        elif wire == 2:
            length, pos = varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated length-delimited field")
            value = data[pos:pos + length]
            pos += length
        elif wire == 5:
            if pos + 4 > len(data):
                raise ValueError("truncated fixed32")
            value = struct.unpack_from("<I", data, pos)[0]
            pos += 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def packed_varints(wire, value):
    if wire == 0:
        return [value]
    out = []
    pos = 0
    while pos < len(value):
        v, pos = varint(value, pos)
        out.append(v)
    return out


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


# --- Pyroscope PushRequest -------------------------------------------------

def push_request(data):
    """-> [{"labels": {name: value}, "label_names": [..], "samples": [{"id", "raw"}]}]"""
    series = []
    for number, wire, value in fields(data):
        if number != 1 or wire != 2:
            continue
        one = {"labels": {}, "label_names": [], "samples": []}
        for n, w, v in fields(value):
            if n == 1 and w == 2:
                name = label_value = ""
                for ln, lw, lv in fields(v):
                    if ln == 1 and lw == 2:
                        name = lv.decode()
                    elif ln == 2 and lw == 2:
                        label_value = lv.decode()
                one["labels"][name] = label_value
                one["label_names"].append(name)
            elif n == 2 and w == 2:
                raw, sample_id = b"", ""
                for sn, sw, sv in fields(v):
                    if sn == 1 and sw == 2:
                        raw = sv
                    elif sn == 2 and sw == 2:
                        sample_id = sv.decode()
                one["samples"].append({"id": sample_id, "raw": raw})
        series.append(one)
    return series


# --- pprof -------------------------------------------------------------------

def pprof(data):
    """Decodes a (possibly gzipped) pprof profile into a dict; "uncompressed_bytes" included."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    strings = []
    raw_samples = []
    sample_types = []
    mappings = {}        # id -> has_functions
    location_list = []   # {"id", "mapping_id", "lines"}
    profile = {"time_nanos": 0, "duration_nanos": 0, "period": 0, "uncompressed_bytes": len(data),
               "locations": 0}
    period_type = None
    for number, wire, value in fields(data):
        if number == 1 and wire == 2:
            vt = dict((n, v) for n, _, v in fields(value))
            sample_types.append((vt.get(1, 0), vt.get(2, 0)))
        elif number == 2 and wire == 2:
            raw_samples.append(value)
        elif number == 3 and wire == 2:
            mapping = dict((n, v) for n, _, v in fields(value))
            mappings[mapping.get(1, 0)] = bool(mapping.get(7, 0))
        elif number == 4:
            profile["locations"] += 1
            if wire == 2:
                location = {"id": 0, "mapping_id": 0, "lines": 0}
                for n, _, v in fields(value):
                    if n == 1:
                        location["id"] = v
                    elif n == 2:
                        location["mapping_id"] = v
                    elif n == 4:
                        location["lines"] += 1
                location_list.append(location)
        elif number == 6 and wire == 2:
            strings.append(value.decode())
        elif number == 9:
            profile["time_nanos"] = signed(value)
        elif number == 10:
            profile["duration_nanos"] = signed(value)
        elif number == 11 and wire == 2:
            vt = dict((n, v) for n, _, v in fields(value))
            period_type = (vt.get(1, 0), vt.get(2, 0))
        elif number == 12:
            profile["period"] = signed(value)
    if not strings or strings[0] != "":
        raise ValueError("string_table[0] is not empty")

    def string(i):
        if i >= len(strings):
            raise ValueError(f"string index {i} out of range")
        return strings[i]

    samples = []
    for raw in raw_samples:
        sample = {"values": [], "labels": [], "locations": 0}
        for n, w, v in fields(raw):
            if n == 1:
                sample["locations"] += len(packed_varints(w, v))
            elif n == 2:
                sample["values"] += [signed(x) for x in packed_varints(w, v)]
            elif n == 3 and w == 2:
                label = dict((ln, lv) for ln, _, lv in fields(v))
                key = string(label.get(1, 0))
                if 2 in label:
                    sample["labels"].append((key, string(label[2])))
                else:
                    sample["labels"].append((key, signed(label.get(3, 0))))
        samples.append(sample)
    profile["sample_types"] = [(string(t), string(u)) for t, u in sample_types]
    # None when absent; ("", "") names no period type either.
    profile["period_type"] = (string(period_type[0]), string(period_type[1])) if period_type else None
    profile["samples"] = samples
    profile["mappings"] = mappings
    profile["location_list"] = location_list
    return profile


# --- OTLP traces -------------------------------------------------------------

def any_value(data):
    for n, w, v in fields(data):
        if n == 1 and w == 2:
            return v.decode()
        if n == 2:
            return bool(v)
        if n == 3:
            return signed(v)
        if n == 4:
            return struct.unpack("<d", struct.pack("<Q", v))[0]
    return None


def key_values(data_list):
    out = {}
    for data in data_list:
        key, value = "", None
        for n, w, v in fields(data):
            if n == 1 and w == 2:
                key = v.decode()
            elif n == 2 and w == 2:
                value = any_value(v)
        out[key] = value
    return out


def export_trace_request(data):
    """-> [{"resource": {...}, "trace_id", "span_id", "parent_span_id", "name",
    "start", "end", "attributes": {...}}]"""
    spans = []
    for n, w, resource_spans in fields(data):
        if n != 1 or w != 2:
            continue
        resource = {}
        scope_spans_list = []
        for rn, rw, rv in fields(resource_spans):
            if rn == 1 and rw == 2:
                resource = key_values([v for an, aw, v in fields(rv) if an == 1 and aw == 2])
            elif rn == 2 and rw == 2:
                scope_spans_list.append(rv)
        for scope_spans in scope_spans_list:
            for sn, sw, span_bytes in fields(scope_spans):
                if sn != 2 or sw != 2:
                    continue
                span = {"resource": resource, "trace_id": "", "span_id": "", "parent_span_id": "",
                        "name": "", "start": 0, "end": 0}
                attributes = []
                for fn, fw, fv in fields(span_bytes):
                    if fn == 1 and fw == 2:
                        span["trace_id"] = fv.hex()
                    elif fn == 2 and fw == 2:
                        span["span_id"] = fv.hex()
                    elif fn == 4 and fw == 2:
                        span["parent_span_id"] = fv.hex()
                    elif fn == 5 and fw == 2:
                        span["name"] = fv.decode()
                    elif fn == 7:
                        span["start"] = fv
                    elif fn == 8:
                        span["end"] = fv
                    elif fn == 9 and fw == 2:
                        attributes.append(fv)
                span["attributes"] = key_values(attributes)
                spans.append(span)
    return spans
