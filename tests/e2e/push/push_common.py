"""Shared by the `spanprof push` end-to-end tests: a copy of the committed
demo capture, running spanprof, and what DIR/outbox holds."""
import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from push_server import Fault, PushServer  # noqa: E402,F401
from tap import Tap  # noqa: E402,F401

TIMEOUT_S = 240


def run(argv, timeout=TIMEOUT_S, env=None):
    """Runs argv to completion; returns (returncode, stdout, stderr)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as expired:
        return None, expired.stdout or "", f"timed out after {timeout} s"
    return done.returncode, done.stdout, done.stderr


def copy_capture(source, target):
    """The committed capture's perf.data, spans and build-id cache in a fresh dir."""
    os.makedirs(target)
    for name in ("perf.data", "spans.jsonl"):
        shutil.copy(os.path.join(source, name), target)
    shutil.copytree(os.path.join(source, "buildid"), os.path.join(target, "buildid"))
    return target


def push_argv(spanprof, capture, server_url, *extra, traces=True):
    argv = [spanprof, "push", capture, "--server", server_url, "--shift-to-now",
            "--buildid-dir", os.path.join(capture, "buildid")]
    if traces:
        argv += ["--traces-endpoint", server_url + "/v1/traces"]
    return argv + list(extra)


def outbox_digests(capture):
    """sha256 of every pending batch body (a batch is pending while its .json exists)."""
    outbox = os.path.join(capture, "outbox")
    if not os.path.isdir(outbox):
        return []
    digests = []
    for name in sorted(os.listdir(outbox)):
        if name.endswith(".json"):
            with open(os.path.join(outbox, name[:-5] + ".body"), "rb") as body:
                digests.append(hashlib.sha256(body.read()).hexdigest())
    return sorted(digests)


def free_port_url():
    """A URL nobody listens on: a port that was free a moment ago."""
    server = PushServer(lifetime_s=5)
    url = server.url
    server.stop()
    return url
