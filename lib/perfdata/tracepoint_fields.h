// Integer fields of a tracepoint's record (Sample::raw), found by the field's
// format from TRACING_DATA (CaptureInfo::tracepoints), so a caller decodes
// sched_switch's prev_pid / prev_state / next_pid without knowing offsets.
//
// Takes the raw bytes and a TracepointField; gives the value, or nullopt when the
// field lies outside the record or is not 1, 2, 4 or 8 bytes wide (an array, a
// string). Values are read in the host's (little-endian) byte order, as perf does
// for a capture recorded on the same kind of machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "perfdata/capture_info.h"

namespace spanprof::perfdata {

// The field zero-extended (its signedness is ignored): use for flags and masks.
std::optional<uint64_t> read_unsigned_field(std::span<const std::byte> raw,
                                            const TracepointField& field);

// The field sign-extended when the format says signed:1, zero-extended otherwise.
std::optional<int64_t> read_signed_field(std::span<const std::byte> raw,
                                         const TracepointField& field);

}  // namespace spanprof::perfdata
