// The one way spanprof writes a file that others read: the profile, summary.json,
// capture.json, push.json, outbox batches and the push summary. Readers (and a
// crash at any moment) see either the old file or the whole new one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace spanprof {

// Writes bytes to a temporary sibling of path (unique to this process and call),
// fsyncs it, renames it over path and fsyncs the directory. On failure the
// temporary is removed and path is left as it was.
Result<void> write_file_durably(const std::string& path, std::string_view bytes);

// True for the temporaries write_file_durably leaves behind when a process dies
// between creating and renaming them ("NAME.tmp-PID-N").
bool is_durable_temporary(std::string_view file_name);

// The whole file, refused when larger than max_bytes (a capture.json or push.json
// is a few KB; a bigger one is not ours).
Result<std::string> read_small_file(const std::string& path, size_t max_bytes = 16u << 20);

}  // namespace spanprof
