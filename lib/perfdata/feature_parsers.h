// Header feature sections (file mode) and HEADER_FEATURE payloads (pipe mode).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/result.h"
#include "perfdata/capture_info.h"

namespace spanprof::perfdata {

// Decodes one feature payload into `info`. Features spanprof does not use are
// accepted and ignored. `file_offset` is where the payload starts, for errors.
// On error `info` is left as it was for that feature.
Result<void> parse_feature(uint32_t feature, std::span<const std::byte> payload,
                           uint64_t file_offset, CaptureInfo& info);

// One build_id_event (the BUILD_ID feature's entries and pipe mode's
// HEADER_BUILD_ID record share it): header{type, misc, size}, s32 pid,
// u8 build_id[24], NUL-padded filename up to header.size.
Result<BuildIdEntry> parse_build_id_event(std::span<const std::byte> record, uint64_t file_offset);

}  // namespace spanprof::perfdata
