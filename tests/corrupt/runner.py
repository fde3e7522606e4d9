"""Runs spanprof on one damaged input with a time limit and an address-space
limit, and measures its peak RSS and wall time (wait4's rusage of that child)."""
import json
import os
import resource
import signal
import subprocess
import threading
import time

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "SUMMARY: UndefinedBehaviorSanitizer", "terminate called", "Aborted")


def sanitized():
    """The sanitize build sets this (tests/corrupt/meson.build): fewer cases, no RLIMIT_AS
    (ASan reserves terabytes of shadow address space)."""
    return os.environ.get("SPANPROF_CORRUPT_SANITIZED") == "1"


class Outcome:
    def __init__(self, code, stdout, stderr, seconds, peak_rss_kib, timed_out):
        self.code, self.stdout, self.stderr = code, stdout, stderr
        self.seconds, self.peak_rss_kib, self.timed_out = seconds, peak_rss_kib, timed_out

    def describe(self):
        tail = "\n".join(self.stderr.splitlines()[-6:])
        return (f"exit {self.code}{' (timed out)' if self.timed_out else ''}, "
                f"{self.seconds:.2f} s, peak RSS {self.peak_rss_kib // 1024} MiB\nstderr: {tail}")


def _pipe_from(path):
    """The read end of a pipe that a thread fills with the file's bytes."""
    read_end, write_end = os.pipe()

    def write():
        try:
            with open(path, "rb") as f, os.fdopen(write_end, "wb") as out:
                while chunk := f.read(1 << 20):
                    out.write(chunk)
        except BrokenPipeError:
            pass
    threading.Thread(target=write, daemon=True).start()
    return os.fdopen(read_end, "rb")


def run(args, timeout, memory_limit=2 << 30, stdin_path=None, workdir=None, stdin_pipe=False):
    """Runs args; returns an Outcome. code is -N when signal N ended it. With
    stdin_pipe, the file at stdin_path arrives through a pipe (not seekable)."""
    limit = None if sanitized() else memory_limit

    def limits():
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    out_path = os.path.join(workdir or "/tmp", f"spanprof-corrupt-{os.getpid()}.out")
    err_path = out_path[:-4] + ".err"
    if stdin_path:
        stdin = _pipe_from(stdin_path) if stdin_pipe else open(stdin_path, "rb")
    else:
        stdin = subprocess.DEVNULL
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.monotonic()
            proc = subprocess.Popen(args, stdin=stdin, stdout=out, stderr=err, preexec_fn=limits)
            # A blocking wait4 returns the moment the child ends (polling cost up to
            # 5 ms a run); a timer kills a hung child. The lock keeps the kill from
            # reaching a pid that wait4 has already reaped (and the system may reuse).
            killed, lock = [], threading.Lock()

            def kill():
                with lock:
                    if proc.returncode is None:
                        killed.append(True)
                        os.kill(proc.pid, signal.SIGKILL)
            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                pid, status, usage = os.wait4(proc.pid, 0)
            finally:
                with lock:
                    proc.returncode = 0  # reaped: the timer must not signal it now
                timer.cancel()
            timed_out = bool(killed)
            seconds = time.monotonic() - start
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        with open(out_path, "rb") as f:
            stdout = f.read().decode("utf-8", "replace")
        with open(err_path, "rb") as f:
            stderr = f.read().decode("utf-8", "replace")
    finally:
        if stdin_path:
            stdin.close()
        for path in (out_path, err_path):
            if os.path.exists(path):
                os.remove(path)
    return Outcome(proc.returncode, stdout, stderr, seconds, usage.ru_maxrss, timed_out)


def crash_report(outcome):
    """Why the run counts as a crash, or "" when it does not."""
    if outcome.timed_out:
        return "timed out (hang?)"
    if outcome.code < 0:
        return f"killed by signal {-outcome.code}"
    for mark in SANITIZER_MARKS:
        if mark in outcome.stderr:
            return f"sanitizer or runtime report: {mark}"
    return ""


def error_line_problem(outcome, command, names):
    """For a failed run: "" when stderr holds exactly one error line for `command` that
    names where (one of `names`: a path, "byte offset", "line"), else what is wrong."""
    errors = [l for l in outcome.stderr.splitlines() if l.startswith(f"spanprof {command}: error:")]
    if len(errors) != 1:
        return f"expected one 'spanprof {command}: error:' line, got {len(errors)}"
    if not any(name in errors[0] for name in names):
        return f"the error line names none of {names}: {errors[0]}"
    return ""


def load_summary(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
