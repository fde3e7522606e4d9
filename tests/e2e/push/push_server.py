"""A test server for `spanprof push`, on 127.0.0.1 with an ephemeral port.

It plays Grafana Pyroscope (POST /push.v1.PusherService/Push, POST /ingest) and
an OTLP/HTTP traces endpoint (POST /v1/traces), decodes the real wire formats
with wire.py, checks Pyroscope's rules on what it receives, and can inject
faults. Every accepted request is recorded by the sha256 of its body, so tests
can prove nothing was lost and nothing arrived twice. The server stops by
itself after `lifetime_s`.

Like a real Pyroscope (grafana/pyroscope pkg/distributor/distributor.go), it
can apply a per-tenant ingestion rate limit: a token bucket over each profile's
uncompressed bytes plus its series label bytes (`rate_limit=(bytes_per_s,
burst_bytes)`). Profiles that pass are stored even when another profile of the
same request does not, and the request is answered 429 (partial acceptance).
Queries keep one profile per (series, time_nanos) (pkg/querier/select_merge.go
skipDuplicates): `kept_profiles()` is what a query would see, `stored` minus
those duplicates. A span_name label over 2,048 bytes gets the profile refused
(400), as the server's validation does.

Profile types (docs/pyroscope-profile-types.md): the server files each sample
type of a profile under __name__:type:unit:period_type:period_unit
(`profile_types()`). Series __name__ process_cpu, off_cpu or wall must carry
profiles of that kind's sample types; only off_cpu and wall profiles may keep
the thread_state sample label. /ingest names a profile by its sample types as
Pyroscope does (pkg/og/convert/pprof/profile.go metricName), so an off-CPU
profile sent there would land under process_cpu: a violation.

Run alone (for a manual try): python3 push_server.py [PORT]
"""
import hashlib
import json
import re
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import wire

HEX16 = re.compile(r"^[0-9a-f]{16}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
ALLOWED_SAMPLE_LABELS = {"span_id", "trace_id", "span_name"}
# The join's thread_state values (lib/join/span_time.cc; running: wall's CPU samples).
THREAD_STATES = {"sleeping", "blocked_io", "runnable", "unknown", "running"}
# __name__ -> the sample types its profiles carry, and their period type
# (None: the join's, as long as it has one).
KINDS = {
    "process_cpu": (None, None),
    "off_cpu": ([("switches", "count"), ("off_cpu", "nanoseconds")], ("", "")),
    "wall": ([("wall", "nanoseconds")], ("wall", "nanoseconds")),
}
MAX_LABEL_NAMES = 30
MAX_SAMPLES = 16000
MAX_PROFILE_BYTES = 4 << 20
MAX_WINDOW_NS = 10_000_000_000
MAX_SPAN_NAME_BYTES = 2048
PUSH_PATH = "/push.v1.PusherService/Push"
ANY = object()  # expect_auth=ANY: any Authorization header, or none, is fine


class Fault:
    """What to answer instead of accepting: status with body/headers, or a hang."""

    def __init__(self, status=500, body=b"", headers=None, hang_s=0.0):
        self.status, self.body, self.headers, self.hang_s = status, body, headers or {}, hang_s


class PushServer:
    def __init__(self, expect_auth=None, expect_traces_auth=None, expect_tenant=None,
                 expect_traces_tenant=None, lifetime_s=300, port=0, tls=None, rate_limit=None):
        self.lock = threading.Lock()
        # (bytes per second, burst bytes) of the tenant's token bucket, or None.
        self.rate_limit = rate_limit
        self.tokens = float(rate_limit[1]) if rate_limit else 0.0
        self.tokens_at = time.monotonic()
        self.rate_limited = 0     # profiles refused by the bucket
        self.expect_auth = expect_auth
        self.expect_traces_auth = expect_traces_auth
        self.expect_tenant = expect_tenant
        self.expect_traces_tenant = expect_traces_tenant
        self.faults = {"push": [], "ingest": [], "traces": []}
        self.accepted = []        # (kind, sha256 of body)
        self.attempts = []        # (kind, sha256, monotonic time, answered status)
        self.profiles = []        # decoded: {"series": labels, "profile": pprof dict, "id"}
        self.spans = []           # decoded OTLP spans
        self.violations = []      # rule breaks, one line each
        self.stopped = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        if tls is not None:  # (certificate file, key file)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.timer = threading.Timer(lifetime_s, self.stop)
        self.timer.daemon = True
        self.timer.start()

    def stop(self):
        if not self.stopped.is_set():
            self.stopped.set()
            self.timer.cancel()
            self.httpd.shutdown()
            self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def fail_next(self, kind, *faults):
        with self.lock:
            self.faults[kind].extend(faults)

    def violation(self, text):
        with self.lock:
            self.violations.append(text)

    # --- request handling ---------------------------------------------------

    def handle(self, request):
        parsed = urllib.parse.urlsplit(request.path)
        kind = {PUSH_PATH: "push", "/ingest": "ingest", "/v1/traces": "traces"}.get(parsed.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        digest = hashlib.sha256(body).hexdigest()
        if kind is None:
            return self.reply(request, 404, b"not found")
        with self.lock:
            fault = self.faults[kind].pop(0) if self.faults[kind] else None
        if fault is not None:
            with self.lock:
                self.attempts.append((kind, digest, time.monotonic(), fault.status))
            if fault.hang_s:
                self.stopped.wait(fault.hang_s)
                request.close_connection = True
                return
            return self.reply(request, fault.status, fault.body, fault.headers)

        traces = kind == "traces"
        want_auth = self.expect_traces_auth if traces else self.expect_auth
        got_auth = request.headers.get("Authorization")
        if want_auth is ANY:
            pass
        elif want_auth is not None and got_auth != want_auth:
            self.violation(f"{kind}: wrong or missing Authorization header")
            return self.reply(request, 401, b'{"code":"unauthenticated","message":"bad credentials"}')
        elif want_auth is None and got_auth is not None:
            self.violation(f"{kind}: an Authorization header nobody asked for")
        want_tenant = self.expect_traces_tenant if traces else self.expect_tenant
        if want_tenant is not None and request.headers.get("X-Scope-OrgID") != want_tenant:
            self.violation(f"{kind}: X-Scope-OrgID is {request.headers.get('X-Scope-OrgID')!r}")
        try:
            if kind == "push":
                refusal = self.check_push(request, body)
            elif kind == "ingest":
                refusal = self.check_ingest(request, parsed.query, body)
            else:
                refusal = self.check_traces(request, body)
        except ValueError as error:
            self.violation(f"{kind}: undecodable body: {error}")
            return self.reply(request, 400, json.dumps(
                {"code": "invalid_argument", "message": f"cannot decode: {error}"}).encode())
        if refusal is not None:
            status, message = refusal
            with self.lock:
                self.attempts.append((kind, digest, time.monotonic(), status))
            code = "resource_exhausted" if status == 429 else "invalid_argument"
            return self.reply(request, status,
                              json.dumps({"code": code, "message": message}).encode())
        with self.lock:
            self.accepted.append((kind, digest))
            self.attempts.append((kind, digest, time.monotonic(), 200))
        return self.reply(request, 200, b"{}" if kind == "push" else b"")

    def reply(self, request, status, body, headers=None):
        request.send_response(status)
        content_type = "application/json" if body.startswith(b"{") else "text/plain"
        request.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def take_tokens(self, size):
        """The tenant's token bucket: True when `size` bytes may be ingested now."""
        if self.rate_limit is None:
            return True
        rate, burst = self.rate_limit
        with self.lock:
            now = time.monotonic()
            self.tokens = min(float(burst), self.tokens + (now - self.tokens_at) * rate)
            self.tokens_at = now
            if size > self.tokens:
                self.rate_limited += 1
                return False
            self.tokens -= size
            return True

    def ingest_profile(self, where, series_labels, raw):
        """Checks one profile, charges the bucket, stores it; returns a refusal or None."""
        profile = self.check_profile(where, series_labels, raw)
        long_names = [v for s in profile["samples"] for k, v in s["labels"]
                      if k == "span_name" and isinstance(v, str)
                      and len(v.encode()) > MAX_SPAN_NAME_BYTES]
        if long_names:
            self.violation(f"{where}: a span_name label of {len(long_names[0].encode())} bytes "
                           f"> {MAX_SPAN_NAME_BYTES}: the whole profile is refused")
            return 400, "sample label value too long"
        size = profile["uncompressed_bytes"] + sum(len(k) + len(v) for k, v in series_labels.items())
        if not self.take_tokens(size):
            return 429, f"push rate limit exceeded while adding {size} bytes"
        with self.lock:
            self.profiles.append({"series": series_labels, "profile": profile})
        return None

    def check_kind(self, where, name, profile):
        types, period = KINDS.get(name, (None, None))
        if types is not None and profile["sample_types"] != types:
            self.violation(f"{where}: {name} profile with sample types {profile['sample_types']}")
        if name == "process_cpu" and ("cpu", "nanoseconds") not in profile["sample_types"] and \
                ("events", "count") not in profile["sample_types"]:
            self.violation(f"{where}: process_cpu profile without cpu/nanoseconds")
        got_period = profile["period_type"] or ("", "")
        if period is not None and got_period != period:
            self.violation(f"{where}: {name} profile with period type {got_period}, not {period}")

    def check_profile(self, where, series_labels, raw):
        profile = wire.pprof(raw)
        self.check_kind(where, series_labels.get("__name__"), profile)
        allowed = ALLOWED_SAMPLE_LABELS | (
            {"thread_state"} if series_labels.get("__name__") in ("off_cpu", "wall") else set())
        if profile["uncompressed_bytes"] > MAX_PROFILE_BYTES:
            self.violation(f"{where}: {profile['uncompressed_bytes']} bytes uncompressed > 4 MiB")
        if len(profile["samples"]) > MAX_SAMPLES:
            self.violation(f"{where}: {len(profile['samples'])} samples > {MAX_SAMPLES}")
        if not 0 < profile["duration_nanos"] <= MAX_WINDOW_NS:
            self.violation(f"{where}: duration_nanos {profile['duration_nanos']} not in (0, 10 s]")
        if profile["time_nanos"] <= 0:
            self.violation(f"{where}: time_nanos {profile['time_nanos']}")
        for sample in profile["samples"]:
            names = [k for k, _ in sample["labels"]]
            extra = set(names) - allowed
            if extra:
                self.violation(f"{where}: sample labels {sorted(extra)} (become series labels)")
            if len(names) != len(set(names)):
                self.violation(f"{where}: a sample label repeated: {names}")
            for key, value in sample["labels"]:
                if key == "span_id" and not (isinstance(value, str) and HEX16.match(value)):
                    self.violation(f"{where}: span_id {value!r} is not 16 hex digits")
                if key == "trace_id" and not (isinstance(value, str) and HEX32.match(value)):
                    self.violation(f"{where}: trace_id {value!r} is not 32 hex digits")
                if key == "thread_state" and value not in THREAD_STATES:
                    self.violation(f"{where}: thread_state {value!r}")
        # The server clears the address of a location without lines in a mapping
        # that claims has_functions: such frames would show up empty.
        for location in profile["location_list"]:
            if profile["mappings"].get(location["mapping_id"]) and location["lines"] == 0:
                self.violation(f"{where}: location {location['id']} has no line but its mapping "
                               "says has_functions (the server would clear its address)")
                break
        return profile

    def check_series_labels(self, where, labels, names):
        if labels.get("__name__") not in KINDS:
            self.violation(f"{where}: __name__ is {labels.get('__name__')!r}")
        if not labels.get("service_name"):
            self.violation(f"{where}: no service_name")
        if len(set(names)) > MAX_LABEL_NAMES:
            self.violation(f"{where}: {len(set(names))} label names > {MAX_LABEL_NAMES}")
        if len(names) != len(set(names)):
            self.violation(f"{where}: a series label repeated")

    def check_push(self, request, body):
        if request.headers.get("Content-Type") != "application/proto":
            self.violation(f"push: Content-Type {request.headers.get('Content-Type')!r}")
        series = wire.push_request(body)
        if not series:
            self.violation("push: no series")
        refusal = None
        for one in series:
            self.check_series_labels("push", one["labels"], one["label_names"])
            for sample in one["samples"]:
                # Each profile passes or fails on its own: those that pass stay stored.
                refused = self.ingest_profile("push", one["labels"], sample["raw"])
                refusal = refusal or refused
        return refusal

    def check_ingest(self, request, query, body):
        params = urllib.parse.parse_qs(query)
        if params.get("format") != ["pprof"]:
            self.violation(f"ingest: format {params.get('format')}")
        name = (params.get("name") or [""])[0]
        match = re.match(r"^([^{]+)\{(.*)\}$", name)
        if not match:
            self.violation(f"ingest: name {name!r} is not app{{k=v,...}}")
            labels, names = {}, []
        else:
            # Refined from the profile's sample types below, as the server does.
            labels = {"__name__": "process_cpu", "service_name": match.group(1)}
            names = ["__name__", "service_name"]
            for pair in filter(None, match.group(2).split(",")):
                key, _, value = pair.partition("=")
                labels[key] = value
                names.append(key)
        try:
            start, until = int(params["from"][0]), int(params["until"][0])
            # Pyroscope reads 10 digits as seconds ... 19 digits as nanoseconds.
            scale = 1 if until > 10**17 else 10**9
            if not 0 < (until - start) * scale <= MAX_WINDOW_NS:
                self.violation(f"ingest: from..until {start}..{until} not within 10 s")
        except (KeyError, ValueError):
            self.violation("ingest: from/until missing")
        types = [t for t, _ in wire.pprof(body)["sample_types"]]
        if "wall" in types:
            labels["__name__"] = "wall"
        elif "off_cpu" in types:
            self.violation("ingest: an off-CPU profile, which the server files under process_cpu")
            labels["__name__"] = "off_cpu"
        self.check_series_labels("ingest", labels, names)
        return self.ingest_profile("ingest", labels, body)

    def check_traces(self, request, body):
        if request.headers.get("Content-Type") != "application/x-protobuf":
            self.violation(f"traces: Content-Type {request.headers.get('Content-Type')!r}")
        spans = wire.export_trace_request(body)
        for span in spans:
            if not HEX16.match(span["span_id"]) or not HEX32.match(span["trace_id"]):
                self.violation(f"traces: span ids {span['trace_id']}/{span['span_id']}")
            mark = span["attributes"].get("pyroscope.profile.id")
            if mark is not None and mark != span["span_id"]:
                self.violation(f"traces: pyroscope.profile.id {mark!r} != span id")
        with self.lock:
            self.spans.extend(spans)
        return None

    # --- what tests ask -----------------------------------------------------

    def accepted_digests(self, kind=None):
        with self.lock:
            return sorted(d for k, d in self.accepted if kind is None or k == kind)

    def kept_profiles(self):
        """What a query sees: one profile per (series, time_nanos), the first stored."""
        kept = {}
        with self.lock:
            for stored in self.profiles:
                key = (tuple(sorted(stored["series"].items())), stored["profile"]["time_nanos"])
                kept.setdefault(key, stored)
        return list(kept.values())

    def kept_sample_count(self):
        """perf samples (the first value) in the profiles a query sees."""
        return sum(s["values"][0] for p in self.kept_profiles() for s in p["profile"]["samples"])

    def profile_types(self):
        """{profile type id: [stored profiles]}, as the server files them."""
        out = {}
        with self.lock:
            for stored in self.profiles:
                profile = stored["profile"]
                period = profile["period_type"] or ("", "")
                for sample_type, unit in profile["sample_types"]:
                    key = f"{stored['series'].get('__name__')}:{sample_type}:{unit}:" \
                          f"{period[0]}:{period[1]}"
                    out.setdefault(key, []).append(stored)
        return out

    def sample_span_ids(self):
        with self.lock:
            return {v for p in self.profiles for s in p["profile"]["samples"]
                    for k, v in s["labels"] if k == "span_id"}


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = PushServer(port=port, lifetime_s=3600, expect_auth=ANY, expect_traces_auth=ANY)
    print(f"listening on {server.url} (Ctrl-C stops)", flush=True)
    try:
        while not server.stopped.wait(1):
            pass
    except KeyboardInterrupt:
        server.stop()
    print(f"accepted {len(server.accepted)} requests: {len(server.profiles)} profiles, "
          f"{sum(len(p['profile']['samples']) for p in server.profiles)} samples, "
          f"{len(server.spans)} spans; rule violations: {server.violations or 'none'}")


if __name__ == "__main__":
    main()
