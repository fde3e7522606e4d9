// spanprof's exit codes, documented in docs/exit-codes.md. Mapped here only.
#pragma once

namespace spanprof::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,           // bad command line
  kExitUnusableInput = 2,   // nothing usable in the input, or the output cannot be written
  kExitSpansNotJoined = 3,  // profile written, but spans could not be joined (no clock data)
  // spanprof run exits with the command's own status (128+N for signal N); these
  // are for when the command never ran.
  kExitCannotRecord = 4,            // perf missing, profiling not permitted, event unavailable
  // spanprof push (and run --push): what the outbox still holds.
  kExitPushIncomplete = 5,  // some batches not delivered but retriable: push DIR again
  kExitPushRejected = 6,    // a server refused a batch (4xx other than 408/429)
  kExitCommandNotExecutable = 126,  // as a shell says
  kExitCommandNotFound = 127,       // as a shell says
};

}  // namespace spanprof::cli
