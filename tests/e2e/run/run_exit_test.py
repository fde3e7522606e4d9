#!/usr/bin/env python3
"""spanprof run passes the app's exit status on (128+N for signal N), forwards
SIGINT/SIGTERM to the app, and refuses to start when it cannot record.

usage: run_exit_test.py SPANPROF DEMO
"""
import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_common import Tap, interrupt_midway, load_json, run  # noqa: E402

BUSY_THEN_EXIT_3 = "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; exit 3"


def main():
    spanprof, demo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    if shutil.which("perf") is None:
        tap.bail("perf is not installed")
    work = tempfile.mkdtemp(prefix="spanprof-run-exit-")
    count = [0]

    def new_dir():
        count[0] += 1
        return os.path.join(work, f"c{count[0]}")

    try:
        for argv, expected, what in [
            (["sh", "-c", "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done"], 0, "exit 0"),
            (["sh", "-c", BUSY_THEN_EXIT_3], 3, "exit 3"),
            (["sh", "-c", "kill -9 $$"], 137, "SIGKILL -> 137"),
        ]:
            capture = new_dir()
            code, out, err = run([spanprof, "run", "-q", "-o", capture, "--"] + argv)
            tap.check(code == expected, f"app {what}: spanprof run exits {expected}",
                      f"code {code}\n{err}")
            record = load_json(os.path.join(capture, "capture.json")) or {}
            tap.check((record.get("exit") or {}).get("shell_code") == expected,
                      f"app {what}: capture.json's exit status", record.get("exit"))

        # SIGINT to spanprof alone, mid-run: forwarded to the app, which dies of it;
        # perf still finishes perf.data and the join runs.
        for sig, name in [(signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")]:
            capture = new_dir()
            code, output, app_pid = interrupt_midway(
                [spanprof, "run", "-o", capture, "--", demo, "--duration-ms", "60000"], capture,
                sig)
            tap.check(app_pid is not None,
                      f"{name}: capture.json names the app's pid while it runs")
            tap.check(code == 128 + sig, f"{name} mid-run: exit {128 + sig}, the app's status",
                      f"code {code}\n{output}")
            tap.check(f"{name} forwarded to the command (pid {app_pid})" in output,
                      f"{name} is forwarded to the app", output)
            summary = load_json(os.path.join(capture, "summary.json")) or {}
            tap.check(os.path.isfile(os.path.join(capture, "profile.pb.gz")) and
                      (summary.get("spans") or {}).get("samples_in_spans", 0) > 0,
                      f"{name} mid-run: the capture joins (profile, samples in spans)",
                      summary.get("spans"))
            record = load_json(os.path.join(capture, "capture.json")) or {}
            tap.check((record.get("exit") or {}).get("signal") == sig,
                      f"{name} mid-run: capture.json says the app died of {name}",
                      record.get("exit"))

        # Refusals before anything runs.
        capture = new_dir()
        os.mkdir(capture)
        open(os.path.join(capture, "perf.data"), "w").close()
        open(os.path.join(capture, "notes.txt"), "w").close()
        code, out, err = run([spanprof, "run", "-o", capture, "--", "true"])
        tap.check(code == 1 and "not empty" in err and "--force" in err,
                  "a non-empty DIR is refused (exit 1), naming --force", f"code {code}\n{err}")
        code, out, err = run([spanprof, "run", "--force", "--no-join", "-o", capture, "--", "true"])
        tap.check(code == 0 and os.path.isfile(os.path.join(capture, "notes.txt")) and
                  os.path.getsize(os.path.join(capture, "perf.data")) > 0,
                  "--force records into it, keeping files that are not the capture's",
                  f"code {code}\n{err}")

        code, out, err = run([spanprof, "run", "-o", new_dir(), "-e", "no_such_event", "--",
                              "true"])
        tap.check(code == 4 and "no_such_event" in err and "perf list" in err,
                  "an unknown event: exit 4 and a clear message", f"code {code}\n{err}")
        if "cpu-clock" in (run(["perf", "evlist", "-i", os.path.join(capture, "perf.data")])[1]
                           or ""):
            # No hardware PMU here: perf would record cpu-clock when asked for cycles.
            code, out, err = run([spanprof, "run", "-o", new_dir(), "-e", "cycles", "--", "true"])
            tap.check(code == 4 and "not available on this machine" in err,
                      "cycles without a PMU is refused, not silently replaced",
                      f"code {code}\n{err}")
        code, out, err = run([spanprof, "run", "-o", new_dir(), "--", "no-such-command-xyz"])
        tap.check(code == 127 and "not found" in err, "a missing command: exit 127",
                  f"code {code}\n{err}")
        code, out, err = run([spanprof, "run", "--call-graph", "lbr", "-o", new_dir(), "--",
                              "true"])
        tap.check(code == 1 and "--call-graph" in err, "a bad --call-graph: exit 1",
                  f"code {code}\n{err}")
        # Unprivileged with perf_event_paranoid 2: user space only, and said so.
        paranoid = int(open("/proc/sys/kernel/perf_event_paranoid").read())
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        if (os.geteuid() == 0 and paranoid == 2 and shutil.which("setpriv") and
                run(as_nobody + [spanprof, "--version"])[0] == 0):
            shared = new_dir()
            os.mkdir(shared)
            os.chmod(work, 0o755)
            os.chmod(shared, 0o777)
            code, out, err = run(as_nobody + [spanprof, "run", "--no-join", "-o",
                                              os.path.join(shared, "u"), "--", "sh", "-c",
                                              BUSY_THEN_EXIT_3.replace("exit 3", "exit 0")])
            record = load_json(os.path.join(shared, "u", "capture.json")) or {}
            tap.check(code == 0 and "perf_event_paranoid is 2" in err and "--all-user" in err and
                      "--all-user" in record.get("perf_command", []),
                      "unprivileged, paranoid 2: records user space only (--all-user), says so",
                      f"code {code}\n{err}")
        code, out, err = run([spanprof, "run", "--help"])
        tap.check(code == 0 and "-- CMD [ARGS...]" in out and "--no-receiver" in out, "run --help")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
