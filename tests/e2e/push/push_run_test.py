#!/usr/bin/env python3
"""spanprof run --push: a live capture of the demo app pushed after the join;
which exit code wins when the push fails.

usage: push_run_test.py SPANPROF DEMO
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from push_common import PushServer, Tap, free_port_url, outbox_digests, run  # noqa: E402

BUSY_THEN_EXIT_3 = "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; exit 3"


def main():
    spanprof, demo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    if shutil.which("perf") is None:
        tap.bail("perf is not installed")
    work = tempfile.mkdtemp(prefix="spanprof-push-run-")
    try:
        capture = os.path.join(work, "live")
        with PushServer(expect_tenant="live") as server:
            code, out, err = run([spanprof, "run", "-o", capture, "--push", server.url,
                                  "--traces-endpoint", server.url + "/v1/traces",
                                  "--tenant", "live", "--label", "run=e2e", "--",
                                  demo, "--duration-ms", "11000"])
            tap.check(code == 0, "run --push: exit 0", f"{code}\n{out}\n{err}")
            tap.check("spanprof join: wrote" in out and "everything delivered" in out,
                      "the join and the push summaries are printed", out)
            tap.check(server.violations == [], "the server found no rule broken", server.violations)
            windows = {p["profile"]["time_nanos"] for p in server.profiles}
            tap.check(len(windows) >= 2, f"11 s of samples cut into {len(windows)} windows of <= 10 s")
            series = server.profiles[0]["series"] if server.profiles else {}
            tap.check(series.get("service_name") == "spanprof-demo" and series.get("run") == "e2e",
                      "service_name from the live spans, --label", series)
            span_ids = server.sample_span_ids()
            marked = {s["span_id"] for s in server.spans if "pyroscope.profile.id" in s["attributes"]}
            tap.check(len(span_ids) > 0 and marked == span_ids,
                      f"{len(span_ids)} spans label samples and carry pyroscope.profile.id")
            tap.check(outbox_digests(capture, server.url) == [], "nothing is pending for the server")

        # The push fails, the command succeeded: the push's code.
        capture = os.path.join(work, "refused")
        code, out, err = run([spanprof, "run", "-o", capture, "--push", free_port_url(),
                              "--max-attempts", "1", "--", demo, "--duration-ms", "300"])
        tap.check(code == 5, "run --push to nobody, app exit 0: exit 5", f"{code}\n{out}\n{err}")
        tap.check(len(outbox_digests(capture)) >= 1 and "push did not" in err,
                  "the batches wait in the outbox and the failure is said", err)
        # ... and `spanprof push DIR` later delivers them.
        with PushServer() as server:
            left = [d for d in outbox_digests(capture)]
            code, out, err = run([spanprof, "push", capture, "--server", server.url,
                                  "--traces-endpoint", server.url + "/v1/traces"])
            tap.check(code == 0 and server.accepted_digests() == left,
                      "spanprof push DIR sends what run --push left", f"{code}\n{out}\n{err}")

        # Bad push options are refused before the command runs.
        capture = os.path.join(work, "bad-options")
        code, out, err = run([spanprof, "run", "-o", capture, "--push", "http://127.0.0.1:1",
                              "--token-env", "SPANPROF_NO_SUCH_VAR", "--", demo,
                              "--duration-ms", "300"])
        tap.check(code == 1 and "SPANPROF_NO_SUCH_VAR" in err and
                  not os.path.exists(os.path.join(capture, "perf.data")),
                  "run --push with an unset token variable: exit 1 before recording", err)

        # The command failed: its status wins over the push's.
        capture = os.path.join(work, "app-failed")
        code, out, err = run([spanprof, "run", "-o", capture, "--push", free_port_url(),
                              "--max-attempts", "1", "--", "sh", "-c", BUSY_THEN_EXIT_3])
        tap.check(code == 3, "run --push fails, app exits 3: exit 3", f"{code}\n{out}\n{err}")
        tap.check("exiting with the command's status 3" in err, "and says so", err)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
