#!/usr/bin/env python3
"""spanprof push end to end against push_server.py: the committed demo capture
shaped, sent over the real wire formats (Push API, /ingest, OTLP), checked by
the server against Pyroscope's rules; resuming; bad options.

usage: push_test.py SPANPROF CAPTURE_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from push_common import PushServer, Tap, copy_capture, outbox_digests, push_argv, run  # noqa: E402


def check_tls(tap, spanprof, source, work):
    """TLS is verified by default; --cacert trusts a private CA; --insecure skips."""
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                           "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1"],
                          capture_output=True, text=True, timeout=60)
    if not tap.check(made.returncode == 0, "openssl makes a test certificate", made.stderr):
        return
    capture = copy_capture(source, os.path.join(work, "tls"))
    with PushServer(tls=(cert, key)) as server:
        code, out, err = run(push_argv(spanprof, capture, server.url))
        tap.check(code == 5 and "--cacert" in err and not server.accepted,
                  "an unknown CA: nothing sent, exit 5, the hint names --cacert", f"{code}\n{err}")
        tap.check("0 retries" in out and "retrying" not in err,
                  "a failed certificate check is not retried", f"{out}\n{err}")
        code, out, err = run(push_argv(spanprof, capture, server.url, "--cacert", cert))
        tap.check(code == 0 and len(server.accepted) == 2, "--cacert: delivered over TLS",
                  f"{code}\n{out}\n{err}")
        code, out, err = run(push_argv(spanprof, capture, server.url, "--reshape", "--insecure"))
        tap.check(code == 0 and len(server.accepted) == 4, "--insecure: delivered unverified",
                  f"{code}\n{out}\n{err}")


def main():
    spanprof, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    work = tempfile.mkdtemp(prefix="spanprof-push-e2e-")
    try:
        capture = copy_capture(source, os.path.join(work, "push"))
        summary_path = os.path.join(work, "summary.json")
        with PushServer(expect_tenant="team-a", expect_traces_tenant="team-a") as server:
            code, out, err = run(push_argv(spanprof, capture, server.url, "--tenant", "team-a",
                                           "--label", "env=e2e", "-H", "X-Team: profiling",
                                           "--summary-json", summary_path))
            tap.check(code == 0, "push exits 0", f"code {code}\n{out}\n{err}")
            tap.check("everything delivered" in out, "the summary says everything was delivered", out)
            tap.check(server.violations == [], "the server found no rule broken", server.violations)
            tap.check(len(server.profiles) >= 1, f"{len(server.profiles)} profiles arrived")
            series = server.profiles[0]["series"] if server.profiles else {}
            tap.check(series.get("__name__") == "process_cpu" and
                      series.get("service_name") == "spanprof-demo" and series.get("env") == "e2e",
                      "series labels: __name__, service_name from the spans, --label", series)
            counts = sum(s["values"][0] for p in server.profiles for s in p["profile"]["samples"])
            tap.check(counts == 202, f"every perf sample of the capture arrived once ({counts} of 202)")
            names = {k for p in server.profiles for s in p["profile"]["samples"] for k, _ in s["labels"]}
            tap.check(names == {"span_id", "trace_id", "span_name"},
                      "sample labels are span_id, trace_id and span_name only", names)
            span_ids = server.sample_span_ids()
            marked = {s["span_id"] for s in server.spans if "pyroscope.profile.id" in s["attributes"]}
            tap.check(len(server.spans) == 264, f"all 264 spans forwarded ({len(server.spans)})")
            tap.check(marked == span_ids and len(marked) > 0,
                      f"pyroscope.profile.id on exactly the {len(span_ids)} spans that label samples",
                      f"{len(marked)} marked, {len(span_ids)} in profiles")
            roots = {s["span_id"] for s in server.spans if not s["parent_span_id"]}
            tap.check(marked <= roots, "by default only local roots are marked")
            tap.check(outbox_digests(capture, server.url) == [], "nothing is pending for the server")
            summary = json.load(open(summary_path))
            tap.check(summary.get("delivered") is True and summary["profiles"]["sent"] >= 1 and
                      summary["traces"]["spans"] == 264, "--summary-json", summary)

            # A second push finds everything delivered and sends nothing.
            before = len(server.accepted)
            code, out, err = run(push_argv(spanprof, capture, server.url, "--tenant", "team-a",
                                           "--label", "env=e2e", "-H", "X-Team: profiling"))
            tap.check(code == 0 and "0 pending" in out and len(server.accepted) == before,
                      "pushing again sends nothing twice", f"{code}\n{out}\n{err}")
            code, out, err = run(push_argv(spanprof, capture, server.url, "--tenant", "team-a"))
            tap.check(code == 0 and "other shaping options" in err,
                      "other options without --reshape: a note, nothing resent", err)

        # --protocol ingest, --span-scope innermost, --no-span-name, --reshape.
        with PushServer() as server:
            code, out, err = run(push_argv(spanprof, capture, server.url, "--reshape",
                                           "--protocol", "ingest", "--span-scope", "innermost",
                                           "--no-span-name", "--service-name", "checkout"))
            tap.check(code == 0, "push --protocol ingest --reshape exits 0", f"{code}\n{out}\n{err}")
            tap.check(server.violations == [], "ingest: no rule broken", server.violations)
            ingested = [d for k, d in server.accepted if k == "ingest"]
            tap.check(len(ingested) >= 1 and len(server.profiles) == len(ingested),
                      f"{len(ingested)} profiles through /ingest")
            series = server.profiles[0]["series"] if server.profiles else {}
            tap.check(series.get("service_name") == "checkout", "--service-name wins", series)
            names = {k for p in server.profiles for s in p["profile"]["samples"] for k, _ in s["labels"]}
            tap.check(names == {"span_id", "trace_id"}, "--no-span-name: no span_name label", names)
            marked = {s["span_id"] for s in server.spans if "pyroscope.profile.id" in s["attributes"]}
            roots = {s["span_id"] for s in server.spans if not s["parent_span_id"]}
            tap.check(marked == server.sample_span_ids() and not marked <= roots,
                      "--span-scope innermost marks the innermost spans", len(marked))

        # Bad input and options.
        old = copy_capture(source, os.path.join(work, "old"))
        code, out, err = run([spanprof, "push", old, "--server", "http://127.0.0.1:9",
                              "--buildid-dir", os.path.join(old, "buildid")])
        tap.check(code == 2 and "--shift-to-now" in err,
                  "a capture older than --max-age: exit 2, the hint names --shift-to-now", err)
        tap.check(not outbox_digests(old), "nothing was written to the outbox of a refused capture")
        usage = [
            (["--server", "http://user:pw-in-url@127.0.0.1:1"], "user info"),
            (["--server", "ftp://127.0.0.1"], "http"),
            (["--server", "http://127.0.0.1:1", "-H", "Authorization: Bearer xyz123"], "secret"),
            (["--server", "http://127.0.0.1:1", "--token-env", "SPANPROF_UNSET_VAR"], "SPANPROF_UNSET_VAR"),
            (["--server", "http://127.0.0.1:1", "--protocol", "grpc"], "--protocol"),
            (["--server", "http://127.0.0.1:1", "--label", "novalue"], "--label"),
            (["--server", "http://127.0.0.1:1", "--token", "abc123"], "unexpected arguments"),
            (["--server", "http://127.0.0.1:1", "--label", "1bad=x"], "1bad"),
            (["--server", "http://127.0.0.1:1", "--tenant", "a b"], "--tenant"),
            ([], "--server"),
        ]
        for extra, mentions in usage:
            code, out, err = run([spanprof, "push", old] + extra)
            secret_echoed = any(secret in out + err for secret in ("pw-in-url", "xyz123", "abc123"))
            tap.check(code == 1 and mentions in err and not secret_echoed,
                      f"usage error (exit 1) for {' '.join(extra) or 'no --server'}", f"{code}\n{err}")
        check_tls(tap, spanprof, source, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
