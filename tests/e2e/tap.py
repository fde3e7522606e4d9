"""A minimal TAP producer, so meson counts each check of an end-to-end test."""
import sys


class Tap:
    def __init__(self):
        self.count = 0
        self.failed = 0

    def check(self, ok, description, detail=""):
        self.count += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.count} - {description}")
        if not ok and detail:
            for line in str(detail).splitlines():
                print(f"# {line}")
        sys.stdout.flush()
        return ok

    def skip(self, description, reason):
        self.count += 1
        print(f"ok {self.count} - {description} # SKIP {reason}")
        sys.stdout.flush()

    def skip_all(self, reason):
        print(f"1..0 # SKIP {reason}")
        sys.exit(0)

    def bail(self, reason):
        print(f"Bail out! {reason}")
        sys.exit(1)

    def done(self):
        print(f"1..{self.count}")
        sys.exit(1 if self.failed else 0)
