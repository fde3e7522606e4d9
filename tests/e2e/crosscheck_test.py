#!/usr/bin/env python3
"""Cross-check against perf itself: on each golden capture (every directory under
testdata/captures with a case.json), and on a capture of Debian's python3
recorded live here, spanprof's flat profile must equal `perf report`'s, symbol by symbol,
in self samples.

perf's side:
    perf --buildid-dir CASE_BUILDID report -i CAPTURE --stdio --no-children -g none
         --sort dso,sym -F sample,dso,sym -n --percent-limit 0 --no-demangle
  one row per (binary, symbol) with its sample count, leaf frames only.
spanprof's side: `spanprof join` as the golden test runs it, then the profile read
  by `go tool pprof -raw` (the independent reader): each sample's count goes to
  its leaf location.

What is compared, after normalizing both sides the same way:
  - a symbolized leaf: (binary file name, function). For spanprof the function
    is the last line of the leaf location, the function the address lies in
    (the lines before it are inlined calls, which `perf report` without
    --inline does not show). perf's names are demangled with c++filt (the same
    libiberty demangler as spanprof's __cxa_demangle), symbol versions
    (`@@GLIBC_2.2.5`) removed. Names sharing an address in the binary's symbol
    tables (aliases such as memmove/__memmove_avx_unaligned) count as one: each
    name is replaced by the smallest name at its address.
  - an unsymbolized leaf: counted per binary (perf prints the address in the
    file, spanprof the address in memory: the addresses are not compared).
  - a kernel leaf: one bucket for the kernel, one for [vdso]. The goldens join
    with --kernel-symbols never while perf uses this machine's kallsyms and
    vDSO when their build ids match, so names there depend on the machine.
Tolerance: none. Every bucket must hold the same number of samples on both
sides, and the totals must be equal. A control check compares one capture's
spanprof profile against another capture's perf report and expects a mismatch,
so the comparison is shown to fail when the profiles differ.

usage: crosscheck_test.py SPANPROF CAPTURES_DIR
"""
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_test  # noqa: E402
from pprof_raw import read_raw  # noqa: E402
from tap import Tap  # noqa: E402

_PERF_ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+\[(.)\]\s+(.*\S)\s*$")
_MAPPING = re.compile(r"^\d+: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ (\S+)")
_READELF_SYM = re.compile(r"^\s*\d+: ([0-9a-f]+)\s+\d+\s+(FUNC|IFUNC|NOTYPE)\s+\S+\s+\S+\s+"
                          r"(\S+)\s+(\S+)")
_LOCATION = re.compile(r"^\s+(\d+): 0x([0-9a-f]+)(?: M=(\d+))?")
KERNEL_HALF = 0xffff800000000000  # x86_64: addresses from here up are the kernel's
KERNEL = ("kernel",)
VDSO = ("vdso",)


def without_version(name):
    """`memcpy@@GLIBC_2.14` -> `memcpy` (perf and readelf print ELF symbol versions)."""
    return name.split("@", 1)[0] if not name.startswith("@") else name


def demangle_all(names):
    names = list(names)
    if not names:
        return {}
    result = subprocess.run(["c++filt"], input="\n".join(names) + "\n", capture_output=True,
                            text=True, timeout=60, check=True)
    return dict(zip(names, result.stdout.splitlines()))


class Binaries:
    """The capture's binaries by file name, from the case's build-id cache (or
    their own paths): the aliases of each (names at one address in .symtab and .dynsym, its own and
    those of its separate debug file)."""

    def __init__(self, capture, buildid_dir):
        self.alias = {}  # (binary name, demangled name) -> canonical demangled name
        listing = subprocess.run(["perf", "buildid-list", "-i", capture], capture_output=True,
                                 text=True, timeout=60)
        symbols = {}
        for line in listing.stdout.splitlines():
            parts = line.split(None, 1)
            if len(parts) != 2 or not parts[1].startswith("/"):
                continue
            build_id, path = parts
            elf = os.path.join(buildid_dir, ".build-id", build_id[:2], build_id[2:], "elf")
            if not os.path.exists(elf):
                elf = path  # a live capture: this machine's own file
            if not os.path.exists(elf):
                continue
            table = self._read_symbols(elf)
            # Both tools also read the separate debug info of the build id (libc6-dbg).
            debug = golden_test.system_debug_file(build_id)
            if os.path.exists(debug):
                table += self._read_symbols(debug)
            symbols[os.path.basename(path)] = table
        demangled = demangle_all({name for table in symbols.values() for _, name in table})
        self.defined = {binary: {demangled[name] for _, name in table}
                        for binary, table in symbols.items()}
        for binary, table in symbols.items():
            by_address = collections.defaultdict(set)
            addresses = collections.defaultdict(set)
            for address, name in table:
                by_address[address].add(demangled[name])
                addresses[demangled[name]].add(address)
            for name, where in addresses.items():
                if len(where) == 1:  # a name at several addresses (local symbols) stays itself
                    self.alias[(binary, name)] = min(by_address[next(iter(where))])

    @staticmethod
    def _read_symbols(elf):
        result = subprocess.run(["readelf", "-Ws", elf], capture_output=True, text=True,
                                timeout=60, check=True)
        table = []
        for line in result.stdout.splitlines():
            match = _READELF_SYM.match(line)
            if match and match.group(3) != "UND" and int(match.group(1), 16) != 0:
                table.append((int(match.group(1), 16), without_version(match.group(4))))
        return table

    def canonical(self, binary, name):
        # A PLT stub of an imported function: spanprof names it NAME@plt, as
        # perf does, but perf sometimes reports such a sample under the bare
        # imported NAME (seen live on python3.11's memcpy stub). A binary that
        # does not define NAME can only mean its stub by either name.
        base = name[:-4] if name.endswith("@plt") else name
        if binary in self.defined and (binary, base) not in self.alias and \
                base not in self.defined[binary]:
            name = base + "@plt"
        return self.alias.get((binary, name), name)


def perf_flat(capture, buildid_dir, binaries):
    """{bucket: samples} from `perf report`."""
    result = subprocess.run(
        ["perf", "--buildid-dir", buildid_dir, "report", "-i", capture, "--stdio",
         "--no-children", "-g", "none", "--sort", "dso,sym", "-F", "sample,dso,sym", "-n",
         "--percent-limit", "0", "--no-demangle"],
        capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"perf report failed: {result.stderr.strip()}")
    rows = []
    for line in result.stdout.splitlines():
        if line.startswith("#"):
            continue
        match = _PERF_ROW.match(line)
        if match:
            rows.append((int(match.group(1)), match.group(2), match.group(3), match.group(4)))
    demangled = demangle_all({without_version(sym) for _, _, _, sym in rows})
    flat = collections.Counter()
    for samples, dso, level, sym in rows:
        if dso == "[vdso]":
            flat[VDSO] += samples
        elif level == "k" or dso.startswith("[kernel"):
            flat[KERNEL] += samples
        elif sym.startswith("0x"):
            flat[("unsymbolized", dso)] += samples
        else:
            name = demangled[without_version(sym)]
            flat[("symbol", dso, binaries.canonical(dso, name))] += samples
    return flat


def spanprof_flat(profile_path, binaries):
    """{bucket: samples} from the pprof, read by `go tool pprof -raw`."""
    profile, raw = read_raw(profile_path)
    mapping_names = {}
    for index, line in enumerate(profile.mappings, start=1):
        match = _MAPPING.match(line)
        mapping_names[index] = os.path.basename(match.group(1)) if match else ""
    where = _location_addresses(raw)
    flat = collections.Counter()
    for count, _, location_ids, _ in profile.samples:
        leaf = location_ids[0]
        address, mapping = where.get(leaf, (0, 0))
        binary = mapping_names.get(mapping, "")
        lines = profile.locations.get(leaf, [])
        if binary == "[vdso]":
            flat[VDSO] += count
        elif binary.startswith("[kernel") or address >= KERNEL_HALF:
            flat[KERNEL] += count
        elif not lines:
            flat[("unsymbolized", binary)] += count
        else:
            function = lines[-1][0]
            flat[("symbol", binary, binaries.canonical(binary, function))] += count
    return flat


def _location_addresses(raw):
    """location id -> (address, mapping id), from the Locations of the -raw text."""
    result = {}
    in_locations = False
    for line in raw.splitlines():
        if line.startswith("Locations"):
            in_locations = True
        elif line.startswith("Mappings"):
            break
        elif in_locations:
            match = _LOCATION.match(line)
            if match:
                result[int(match.group(1))] = (int(match.group(2), 16), int(match.group(3) or 0))
    return result


def compare(tap, label, capture, buildid_dir, profile):
    """One check: spanprof's flat profile of capture equals perf report's."""
    binaries = Binaries(capture, buildid_dir)
    ours = spanprof_flat(profile, binaries)
    perfs = perf_flat(capture, buildid_dir, binaries)
    symbols = sum(1 for key in ours if key[0] == "symbol")
    tap.check(ours == perfs and sum(ours.values()) > 0,
              f"{label}: flat profile equals perf report's "
              f"({sum(ours.values())} samples, {symbols} symbols)",
              describe("spanprof", ours, "perf", perfs))
    return ours, perfs


# Pure-Python arithmetic (the interpreter's exported functions) and zlib at level 9
# (libz's internal, unsymbolized functions): about half a second of CPU.
LIVE_SCRIPT = """
import zlib
total = sum(i * i % 7 for i in range(1_000_000))
words = b" ".join(b"span%d" % (i * 7919 % 1000) for i in range(200_000))
print(total, len(zlib.compress(words * 4, 9)))
"""


def live_python(tap, spanprof, work):
    """A capture recorded here of a program this project did not build, Debian's
    python3 (/usr/bin/python3: symbols in .dynsym only, libz stripped), joined
    without spans, its binaries read from their paths."""
    label = "live /usr/bin/python3"
    python = "/usr/bin/python3"
    if not os.path.exists(python):
        tap.skip(f"{label}: flat profile equals perf report's", "no /usr/bin/python3")
        return
    capture = os.path.join(work, "python.data")
    record = subprocess.run(["perf", "record", "-F", "999", "-g", "-N", "-o", capture, "--",
                             python, "-c", LIVE_SCRIPT], capture_output=True, text=True,
                            timeout=120)
    if record.returncode != 0:
        tap.skip(f"{label}: flat profile equals perf report's",
                 f"perf record failed: {record.stderr.strip()[-200:]}")
        return
    profile = os.path.join(work, "python.pb.gz")
    join = subprocess.run([spanprof, "join", "--perf-data", capture, "-o", profile, "-q"],
                          capture_output=True, text=True, timeout=120)
    if tap.check(join.returncode == 0, f"{label}: join", join.stderr):
        compare(tap, label, capture, os.path.join(work, "no-buildid-cache"), profile)


def describe(label_a, flat_a, label_b, flat_b, limit=40):
    keys = sorted(set(flat_a) | set(flat_b), key=lambda key: (-max(flat_a[key], flat_b[key]), key))
    lines = [f"{label_a:>9} {label_b:>9}  bucket"]
    shown = 0
    for key in keys:
        if flat_a[key] != flat_b[key]:
            lines.append(f"{flat_a[key]:9} {flat_b[key]:9}  {' '.join(key)}")
            shown += 1
            if shown == limit:
                break
    lines.append(f"{sum(flat_a.values()):9} {sum(flat_b.values()):9}  total")
    return "\n".join(lines)


def main():
    spanprof, captures = sys.argv[1], sys.argv[2]
    tap = Tap()
    if shutil.which("perf") is None:
        tap.skip_all("perf is not installed")
    cases = golden_test.find_cases(captures)
    if not cases:
        tap.bail(f"no golden cases (case.json) in {captures}")
    flats = {}
    with tempfile.TemporaryDirectory(prefix="spanprof-crosscheck-") as work:
        for name in cases:
            case_dir = os.path.join(captures, name)
            case = golden_test.load_case(case_dir)
            capture = os.path.join(case_dir, case["perf_data"])
            buildid_dir = os.path.normpath(os.path.join(case_dir, case["buildid_dir"]))
            result, profile, _ = golden_test.join(spanprof, case_dir, case, work)
            if not tap.check(result.returncode == case.get("exit_code", 0), f"{name}: join",
                             f"exit {result.returncode}\n{result.stderr}"):
                continue
            flats[name] = compare(tap, name, capture, buildid_dir, profile)
        if len(flats) >= 2:
            # Control: another capture's perf report must not pass for this one.
            (name_a, (ours_a, _)), (name_b, (_, perfs_b)) = list(flats.items())[:2]
            tap.check(ours_a != perfs_b,
                      f"control: {name_a}'s profile differs from {name_b}'s perf report",
                      describe("spanprof", ours_a, "perf", perfs_b))
        live_python(tap, spanprof, work)
    tap.done()


if __name__ == "__main__":
    main()
