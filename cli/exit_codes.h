// spanprof's exit codes, documented in README.md ("Exit codes"). Mapped here only.
#pragma once

namespace spanprof::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,           // bad command line
  kExitUnusableInput = 2,   // nothing usable in the input, or the output cannot be written
  kExitSpansNotJoined = 3,  // profile written, but spans could not be joined (no clock data)
};

}  // namespace spanprof::cli
