"""Shared by the `spanprof push` end-to-end tests: a copy of the committed
demo capture, running spanprof, and what DIR/outbox holds."""
import hashlib
import json
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


def _batches(outbox):
    """{batch id: (class, sha256 of its body)} of every batch in DIR/outbox."""
    batches = {}
    for name in sorted(os.listdir(outbox)):
        if name.endswith(".json"):
            with open(os.path.join(outbox, name)) as f:
                kind = json.load(f)["kind"]
            with open(os.path.join(outbox, name[:-5] + ".body"), "rb") as body:
                digest = hashlib.sha256(body.read()).hexdigest()
            batches[name[:-5]] = ("traces" if kind == "otlp-traces" else "profiles", digest)
    return batches


def _delivered(outbox, server_url):
    """{(class, batch id)} the ledgers of destinations on server_url acknowledged.

    A ledger (outbox/delivered-*.log) starts with
    `# spanprof.delivered/1 CLASS DESTINATION tenant=T`, then one batch id a line."""
    done = set()
    for name in os.listdir(outbox):
        if not (name.startswith("delivered-") and name.endswith(".log")):
            continue
        with open(os.path.join(outbox, name)) as f:
            lines = f.read().split("\n")
        header = lines[0].split(" ")
        if len(header) < 4 or not header[3].startswith(server_url.rstrip("/")):
            continue
        done.update((header[2], line) for line in lines[1:] if line)
    return done


def outbox_digests(capture, server_url=None):
    """sha256 of the batches still pending for server_url (its profiles and, at
    server_url/..., its traces endpoint); all batches when server_url is None."""
    outbox = os.path.join(capture, "outbox")
    if not os.path.isdir(outbox):
        return []
    batches = _batches(outbox)
    done = _delivered(outbox, server_url) if server_url else set()
    return sorted(digest for id_, (cls, digest) in batches.items() if (cls, id_) not in done)


def free_port_url():
    """A URL nobody listens on: a port that was free a moment ago."""
    server = PushServer(lifetime_s=5)
    url = server.url
    server.stop()
    return url
