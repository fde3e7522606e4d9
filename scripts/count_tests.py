#!/usr/bin/env python3
"""Prints 'N passed, N failed' from meson's JUnit log; exits 1 if any failed.

A meson test with sub-cases (GoogleTest, TAP) counts each case; others count once.
Each failed case is named on its own 'FAILED: suite / case' line just above the
count, so the end of a CI log says which ones.
"""
import sys
import xml.etree.ElementTree as ET


def main(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as err:
        print(f"cannot read test log {path}: {err}", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    passed = skipped = 0
    failed = []
    for suite in root.iter("testsuite"):
        for case in suite.findall("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(f"{suite.get('name', '?')} / {case.get('name', '?')}")
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    if skipped:
        print(f"{skipped} skipped (see the test log for why)")
    for name in failed:
        print(f"FAILED: {name}")
    print(f"{passed} passed, {len(failed)} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
