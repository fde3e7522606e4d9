#!/usr/bin/env python3
"""spanprof push under faults: connection refused, 500 then success, 429 with
Retry-After, a server that hangs past --timeout, a 400 with a message, and a
push killed midway. Each case asserts the exit code, that DIR/outbox holds
exactly what the server did not accept, and, after pushing again, that the
server holds every batch exactly once (compared by the sha256 of each body).

usage: push_faults_test.py SPANPROF CAPTURE_DIR
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from push_common import (Fault, PushServer, Tap, copy_capture, free_port_url,  # noqa: E402
                         outbox_digests, push_argv, run)

FAST_RETRIES = ["--max-attempts", "3", "--connect-timeout", "2", "--timeout", "10"]


def resend(tap, spanprof, capture, name, first_server, expected):
    """Pushes what is left to the same destination (the first server's port, now
    without faults; a new server when there was none); checks exactly-once overall."""
    port = first_server.port if first_server else 0
    with PushServer(port=port) as server:
        code, out, err = run(push_argv(spanprof, capture, server.url, *FAST_RETRIES))
        tap.check(code == 0, f"{name}: pushing again exits 0", f"{code}\n{out}\n{err}")
        said = "delivered earlier" if first_server else "(new destination)"
        tap.check(said in out, f"{name}: the second push sends only what is pending", out)
        everything = sorted((first_server.accepted_digests() if first_server else []) +
                            server.accepted_digests())
        tap.check(everything == expected, f"{name}: every batch arrived exactly once",
                  f"expected {len(expected)}, got {len(everything)}")
        tap.check(outbox_digests(capture, server.url) == [], f"{name}: nothing is pending")
        tap.check(server.violations == [], f"{name}: no rule broken", server.violations)


def main():
    spanprof, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    work = tempfile.mkdtemp(prefix="spanprof-push-faults-")
    try:
        # Connection refused: nothing is lost, everything waits in the outbox.
        pending = copy_capture(source, os.path.join(work, "pending"))
        code, out, err = run(push_argv(spanprof, pending, free_port_url(), "--max-attempts", "2"))
        tap.check(code == 5, "connection refused: exit 5", f"{code}\n{out}\n{err}")
        tap.check("run `spanprof push" in out and "left in the outbox" in out,
                  "the summary says what is left and how to resume", out)
        tap.check("Connection refused" in err or "Couldn't connect" in err or "connect" in err,
                  "the error says the connection failed", err)
        expected = outbox_digests(pending)
        tap.check(len(expected) >= 2, f"the outbox holds all {len(expected)} batches")
        resend(tap, spanprof, copy_capture_tree(pending, work, "refused"), "refused", None,
               expected)

        # 500 then success, on both destinations.
        capture = copy_capture_tree(pending, work, "500")
        with PushServer() as server:
            server.fail_next("push", Fault(500, b"internal error"))
            server.fail_next("traces", Fault(503, b"unavailable"))
            code, out, err = run(push_argv(spanprof, capture, server.url, *FAST_RETRIES))
            tap.check(code == 0, "500 then success: exit 0", f"{code}\n{out}\n{err}")
            tap.check("HTTP 500: internal error" in err and "retrying" in err,
                      "the retry is reported with the server's status", err)
            tap.check(server.accepted_digests() == expected, "500: every batch exactly once")
            tap.check("1 retries" in out, "the summary counts the retries", out)

        # 429 with Retry-After: the client waits at least that long.
        capture = copy_capture_tree(pending, work, "429")
        with PushServer() as server:
            server.fail_next("push", Fault(429, b"", {"Retry-After": "1"}))
            code, out, err = run(push_argv(spanprof, capture, server.url, *FAST_RETRIES))
            tap.check(code == 0, "429 + Retry-After: exit 0", f"{code}\n{out}\n{err}")
            times = [t for kind, _, t, _ in server.attempts if kind == "push"]
            waited = times[1] - times[0] if len(times) == 2 else 0
            tap.check(waited >= 0.95, f"Retry-After: 1 honoured (waited {waited:.2f} s)")
            tap.check(server.accepted_digests() == expected, "429: every batch exactly once")

        # A server that never answers: the request times out and is retried.
        capture = copy_capture_tree(pending, work, "hang")
        with PushServer() as server:
            server.fail_next("push", Fault(hang_s=20))
            code, out, err = run(push_argv(spanprof, capture, server.url, "--timeout", "1"))
            tap.check(code == 0, "a hang past --timeout: exit 0 after a retry", f"{code}\n{out}\n{err}")
            tap.check("timed out" in err.lower(), "the timeout is reported", err)
            tap.check(server.accepted_digests() == expected, "hang: every batch exactly once")

        # 400 with a message: the batch stays, the server is quoted, exit 6; the
        # traces destination goes on.
        capture = copy_capture_tree(pending, work, "400")
        with PushServer() as server:
            server.fail_next("push", Fault(400, b'{"code":"invalid_argument","message":'
                                                b'"profile too big for tenant"}'))
            code, out, err = run(push_argv(spanprof, capture, server.url, *FAST_RETRIES))
            tap.check(code == 6, "400: exit 6", f"{code}\n{out}\n{err}")
            tap.check("profile too big for tenant (invalid_argument)" in err,
                      "400: the error quotes the server's message", err)
            attempts = [a for a in server.attempts if a[0] == "push"]
            tap.check(len(attempts) == 1, "400 is not retried", attempts)
            left = outbox_digests(capture, server.url)
            tap.check(sorted(left + server.accepted_digests()) == expected and len(left) >= 1,
                      "400: the outbox holds exactly what was not accepted")
            tap.check("1 rejected" in out, "the summary counts the rejection", out)
            first = server
        resend(tap, spanprof, capture, "400", first, expected)

        # Killed midway (SIGKILL while a request hangs): the next push resumes.
        capture = copy_capture_tree(pending, work, "killed")
        with PushServer() as server:
            server.fail_next("traces", Fault(hang_s=60))
            process = subprocess.Popen(push_argv(spanprof, capture, server.url, "--timeout", "60"),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(a[0] == "traces" for a in server.attempts):
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
            left = outbox_digests(capture, server.url)
            tap.check(sorted(left + server.accepted_digests()) == expected and len(left) >= 1,
                      "killed midway: the outbox holds exactly what was not accepted")
            first = server
        resend(tap, spanprof, capture, "killed", first, expected)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


def copy_capture_tree(pending, work, name):
    target = os.path.join(work, name)
    shutil.copytree(pending, target)
    return target


if __name__ == "__main__":
    main()
