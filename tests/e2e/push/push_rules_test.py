#!/usr/bin/env python3
"""spanprof push against a test server that keeps what a real Pyroscope keeps:
a per-tenant token bucket with partial acceptance and 429, one profile per
(series, time_nanos) at query time, one series per service, and delivery state
per destination.

usage: push_rules_test.py SPANPROF CAPTURE_DIR DEMO
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from push_common import PushServer, Tap, copy_capture, push_argv, run  # noqa: E402

DEMO_SAMPLES = 202  # perf samples in testdata/captures/demo-spans


def series_times_distinct(profiles):
    seen = set()
    for p in profiles:
        key = (tuple(sorted(p["series"].items())), p["profile"]["time_nanos"])
        if key in seen:
            return False
        seen.add(key)
    return True


def check_split_windows(tap, spanprof, source, work):
    """Windows split into many small profiles: each has its own start, all are kept."""
    capture = copy_capture(source, os.path.join(work, "split"))
    with PushServer() as server:
        code, out, err = run(push_argv(spanprof, capture, server.url, "--span-scope", "innermost",
                                       "--max-request-bytes", "6000", traces=False))
        tap.check(code == 0, "push with --max-request-bytes 6000: exit 0", f"{code}\n{out}\n{err}")
        tap.check(server.violations == [], "no rule broken", server.violations)
        sizes = [p["profile"]["uncompressed_bytes"] for p in server.profiles]
        tap.check(len(sizes) >= 3 and max(sizes) <= 6000,
                  f"{len(sizes)} profiles, each at most 6000 bytes uncompressed", sizes)
        tap.check(series_times_distinct(server.profiles),
                  "every profile of a series has its own time_nanos")
        tap.check(server.kept_sample_count() == DEMO_SAMPLES,
                  f"a query keeps every sample once ({server.kept_sample_count()} of {DEMO_SAMPLES})")
        ends = sorted((p["profile"]["time_nanos"],
                       p["profile"]["time_nanos"] + p["profile"]["duration_nanos"])
                      for p in server.profiles)
        tap.check(all(a[1] <= b[0] for a, b in zip(ends, ends[1:])),
                  "the pieces of a window do not overlap in time", ends[:4])


def check_rate_limit(tap, spanprof, source, work):
    """A tenant bucket smaller than the push's pace: 429s, retried, nothing stored twice."""
    capture = copy_capture(source, os.path.join(work, "limited"))
    with PushServer(rate_limit=(40000, 9000)) as server:
        code, out, err = run(push_argv(spanprof, capture, server.url, "--max-request-bytes", "6000",
                                       "--rate-limit", "10000000", "--burst", "10000000",
                                       "--max-attempts", "30", "--max-retry-time", "60",
                                       traces=False))
        tap.check(code == 0, "pushing faster than the tenant's rate: delivered in the end",
                  f"{code}\n{out}\n{err}")
        tap.check(server.rate_limited > 0, f"the server refused {server.rate_limited} profiles with 429")
        tap.check(len(server.kept_profiles()) == len(server.profiles),
                  f"retries after a 429 stored nothing twice ({len(server.profiles)} stored)")
        tap.check(server.kept_sample_count() == DEMO_SAMPLES,
                  f"every sample kept once ({server.kept_sample_count()} of {DEMO_SAMPLES})")

    capture = copy_capture(source, os.path.join(work, "paced"))
    with PushServer(rate_limit=(40000, 9000)) as server:
        # Paced a little under the tenant's limit, so the requests' latency
        # jitter (75 ms of bucket here) cannot make one arrive early.
        code, out, err = run(push_argv(spanprof, capture, server.url, "--max-request-bytes", "6000",
                                       "--rate-limit", "30000", "--burst", "6000", traces=False))
        tap.check(code == 0 and server.rate_limited == 0,
                  "pacing under the tenant's rate and burst: no 429 at all",
                  f"{code} {server.rate_limited}\n{err}")
        tap.check(server.kept_sample_count() == DEMO_SAMPLES, "and every sample kept once")


def check_destinations(tap, spanprof, source, work):
    """Push to A, then to B: both get everything; a traces endpoint added later gets the spans."""
    capture = copy_capture(source, os.path.join(work, "destinations"))
    with PushServer() as a, PushServer() as b:
        code, out, err = run(push_argv(spanprof, capture, a.url, traces=False))
        tap.check(code == 0 and a.kept_sample_count() == DEMO_SAMPLES and not a.spans,
                  "push to A: every sample, no spans", f"{code}\n{out}\n{err}")
        code, out, err = run(push_argv(spanprof, capture, b.url, traces=False))
        tap.check(code == 0 and b.kept_sample_count() == DEMO_SAMPLES,
                  "then to B: B gets every sample too", f"{code}\n{out}\n{err}")
        tap.check(len(a.profiles) == len(b.profiles) and len(b.kept_profiles()) == len(b.profiles),
                  "A got nothing again; B got each profile once")
        stored_a, stored_b = len(a.profiles), len(b.profiles)
        code, out, err = run(push_argv(spanprof, capture, b.url, traces=False) +
                             ["--traces-endpoint", b.url + "/v1/traces"])
        tap.check(code == 0 and len(b.spans) == 264 and len(b.profiles) == stored_b,
                  "adding --traces-endpoint: only the 264 spans go", f"{code}\n{out}\n{err}")
        marked = {s["span_id"] for s in b.spans if "pyroscope.profile.id" in s["attributes"]}
        tap.check(marked == b.sample_span_ids() and marked,
                  "the forwarded spans carry pyroscope.profile.id for the profiled ones")
        code, out, err = run(push_argv(spanprof, capture, b.url, traces=False) +
                             ["--traces-endpoint", b.url + "/v1/traces"])
        tap.check(code == 0 and len(b.spans) == 264 and len(b.profiles) == stored_b and
                  len(a.profiles) == stored_a, "pushing the same again sends nothing",
                  f"{code}\n{out}\n{err}")

    # A --reshape that fails (the capture is too old without --shift-to-now)
    # leaves no state a later push would resume as "delivered".
    with PushServer() as c:
        code, out, err = run([spanprof, "push", capture, "--server", c.url, "--reshape",
                              "--buildid-dir", os.path.join(capture, "buildid")])
        tap.check(code == 2 and not c.profiles, "a failed --reshape: exit 2, nothing sent", err)
        code, out, err = run(push_argv(spanprof, capture, c.url, traces=False))
        tap.check(code == 0 and c.kept_sample_count() == DEMO_SAMPLES,
                  "the next push shapes again and delivers every sample", f"{code}\n{out}\n{err}")


def check_join_options(tap, spanprof, source, work):
    """push joins as join does: its diagnostics, and the join's span options."""
    capture = copy_capture(source, os.path.join(work, "tid-attribute"))
    spans = os.path.join(capture, "spans.jsonl")
    with open(spans) as f:
        text = f.read().replace('"thread.os_id"', '"app.tid"')
    with open(spans, "w") as f:
        f.write(text)
    with PushServer() as server:
        code, out, err = run(push_argv(spanprof, capture, server.url))
        tap.check("without an OS thread id" in out + err,
                  "push prints the join's diagnosis of spans it cannot place", f"{code}\n{out}\n{err}")
        tap.check(not server.sample_span_ids(), "and pushes no span labels it does not have")
    with PushServer() as server:
        code, out, err = run(push_argv(spanprof, capture, server.url, "--reshape",
                                       "--tid-attribute", "app.tid"))
        tap.check(code == 0 and len(server.sample_span_ids()) > 0 and
                  server.kept_sample_count() == DEMO_SAMPLES,
                  f"push --tid-attribute: {len(server.sample_span_ids())} spans label samples",
                  f"{code}\n{out}\n{err}")


def check_services(tap, spanprof, demo, work):
    """Two processes with their own service.name in one run: one series each."""
    if shutil.which("perf") is None:
        tap.skip("two services in one run", "perf is not installed")
        return
    capture = os.path.join(work, "services")
    script = (f"OTEL_SERVICE_NAME=cart OTEL_RESOURCE_ATTRIBUTES=service.namespace=shop "
              f"'{demo}' --duration-ms 1200 --threads 2 & "
              f"OTEL_SERVICE_NAME=checkout '{demo}' --duration-ms 1200 --threads 2; wait")
    code, out, err = run([spanprof, "run", "-q", "-o", capture, "--", "sh", "-c", script])
    if not tap.check(code == 0, "spanprof run of two services: exit 0", f"{code}\n{out}\n{err}"):
        return
    with PushServer() as server:
        code, out, err = run(push_argv(spanprof, capture, server.url))
        tap.check(code == 0 and server.violations == [], "push of two services: exit 0, no rule broken",
                  f"{code}\n{out}\n{err}\n{server.violations}")
        services = {p["series"].get("service_name") for p in server.profiles}
        tap.check({"cart", "checkout"} <= services, f"one series per service: {sorted(services)}")
        namespaces = {p["series"].get("service_name"): p["series"].get("service_namespace")
                      for p in server.profiles}
        tap.check(namespaces.get("cart") == "shop" and namespaces.get("checkout") is None,
                  "service_namespace comes with the service that has one", namespaces)
        by_span = {}
        for p in server.profiles:
            for s in p["profile"]["samples"]:
                for k, v in s["labels"]:
                    if k == "span_id":
                        by_span.setdefault(v, set()).add(p["series"].get("service_name"))
        wrong = [s["span_id"] for s in server.spans
                 if "pyroscope.profile.id" in s["attributes"] and
                 by_span.get(s["span_id"]) != {s["resource"].get("service.name")}]
        marked = sum(1 for s in server.spans if "pyroscope.profile.id" in s["attributes"])
        tap.check(marked > 0 and not wrong,
                  f"each of {marked} profiled spans finds its samples under its own service_name",
                  wrong[:5])


def main():
    spanprof, source, demo = (os.path.abspath(a) for a in sys.argv[1:4])
    tap = Tap()
    work = tempfile.mkdtemp(prefix="spanprof-push-rules-")
    try:
        check_split_windows(tap, spanprof, source, work)
        check_rate_limit(tap, spanprof, source, work)
        check_destinations(tap, spanprof, source, work)
        check_join_options(tap, spanprof, source, work)
        check_services(tap, spanprof, demo, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
