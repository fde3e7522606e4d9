"""Shared by the `spanprof run` end-to-end tests: running spanprof with a time
limit, and reading what a capture directory holds."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import Tap  # noqa: E402,F401

TIMEOUT_S = 240


def run(argv, timeout=TIMEOUT_S, **kwargs):
    """Runs argv to completion; returns (returncode, stdout, stderr)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as expired:
        return None, expired.stdout or "", f"timed out after {timeout} s"
    return done.returncode, done.stdout, done.stderr


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def wait_for_app_pid(capture, process, timeout=60):
    """Waits until capture.json names the app's pid (the app is running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        record = load_json(os.path.join(capture, "capture.json"))
        if record and record.get("app_pid"):
            return record["app_pid"]
        time.sleep(0.05)
    return None


def interrupt_midway(argv, capture, sig=signal.SIGINT, after_s=1.0, **kwargs):
    """Starts spanprof run, sends sig to spanprof alone once the app runs;
    returns (returncode, output, app_pid)."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               **kwargs)
    try:
        app_pid = wait_for_app_pid(capture, process)
        # The demo writes spans in batches: on a loaded machine the first batch
        # can take longer than after_s, and a capture without spans proves nothing.
        span_files = [os.path.join(capture, name)
                      for name in ("spans.jsonl", "spans-receiver.pb", "spans-receiver.jsonl")]
        deadline = time.monotonic() + 60
        while (time.monotonic() < deadline and process.poll() is None and
               not any(os.path.exists(f) and os.path.getsize(f) > 0 for f in span_files)):
            time.sleep(0.05)
        time.sleep(after_s)
        if process.poll() is None:
            process.send_signal(sig)
        output, _ = process.communicate(timeout=TIMEOUT_S)
        return process.returncode, output, app_pid
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
