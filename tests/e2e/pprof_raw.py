"""Reads profiles through `go tool pprof -raw`, the independent pprof reader.

Shared by the end-to-end tests: runs go's pprof on a file and parses its -raw
listing into samples (values, location ids, labels) and locations (lines of
function, file, line; inlined callees first).
"""
import os
import re
import subprocess
import tempfile

_LABEL = re.compile(r"(\w+):\[([^\]]*)\]")
_SAMPLE = re.compile(r"^\s+(-?\d+)\s+(-?\d+):((?:\s+\d+)*)\s*$")
_LOCATION = re.compile(r"^\s+(\d+): (0x[0-9a-f]+)(?: M=(\d+))?\s?(.*)$")  # no M= outside mappings
_LINE_TAIL = re.compile(r"^(.*) (\S*):(-?\d+) s=-?\d+(?:\(.*\))?$")


class Profile:
    def __init__(self):
        self.samples = []    # (count, value, [location ids leaf first], {label: value})
        self.locations = {}  # id -> [(function, file, line)] innermost first
        self.mappings = []   # raw mapping lines
        self.header = {}


def _go_env(workdir):
    env = dict(os.environ)
    env.update(HOME=workdir, GOCACHE=os.path.join(workdir, "gocache"),
               GOPATH=os.path.join(workdir, "gopath"), GOTOOLCHAIN="local",
               GOPROXY="off", GOFLAGS="")
    return env


def read_raw(path, timeout=120):
    """Returns (Profile, raw text); raises RuntimeError if go's pprof rejects the file."""
    with tempfile.TemporaryDirectory(prefix="spanprof-go-") as workdir:
        result = subprocess.run(["go", "tool", "pprof", "-raw", path], env=_go_env(workdir),
                                capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"go tool pprof -raw {path} failed: {result.stderr.strip()}")
    return parse_raw(result.stdout), result.stdout


def _parse_line(text):
    match = _LINE_TAIL.match(text.strip())
    if not match:
        return (text.strip(), "", 0)
    return (match.group(1), match.group(2), int(match.group(3)))


def parse_raw(text):
    profile = Profile()
    section = "header"
    current_location = None
    for line in text.splitlines():
        if line.startswith("Samples:"):
            section = "samples"
            continue
        if line.startswith("Locations"):
            section = "locations"
            continue
        if line.startswith("Mappings"):
            section = "mappings"
            continue
        if section == "header":
            if ":" in line:
                key, _, value = line.partition(":")
                profile.header[key.strip()] = value.strip()
        elif section == "samples":
            match = _SAMPLE.match(line)
            if match:
                ids = [int(x) for x in match.group(3).split()]
                profile.samples.append([int(match.group(1)), int(match.group(2)), ids, {}])
            elif profile.samples and _LABEL.search(line):
                for key, value in _LABEL.findall(line):
                    profile.samples[-1][3][key] = value
        elif section == "locations":
            match = _LOCATION.match(line)
            if match:
                current_location = int(match.group(1))
                rest = match.group(4)
                profile.locations[current_location] = [_parse_line(rest)] if rest.strip() else []
            elif current_location is not None and line.strip():
                profile.locations[current_location].append(_parse_line(line))
        elif section == "mappings" and line.strip():
            profile.mappings.append(line.strip())
    return profile


def stack_functions(profile, location_ids):
    """Function names of a stack, leaf first, inlined frames included."""
    names = []
    for location_id in location_ids:
        for function, _, _ in profile.locations.get(location_id, []):
            names.append(function)
    return names
