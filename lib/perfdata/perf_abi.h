// Constants of the perf.data format and the perf_event ABI that the reader uses.
//
// Sources: include/uapi/linux/perf_event.h, tools/perf/util/header.h,
// tools/perf/util/event.h, tools/perf/Documentation/perf.data-file-format.txt.
#pragma once

#include <cstdint>

namespace spanprof::perfdata::abi {

// "PERFILE2" read as a little-endian u64; the byte-swapped value means the
// capture was written on a big-endian machine.
inline constexpr uint64_t kMagic = 0x32454c4946524550ULL;
inline constexpr uint64_t kMagicSwapped = 0x50455246494c4532ULL;

inline constexpr uint64_t kFileHeaderSize = 104;  // struct perf_file_header
inline constexpr uint64_t kPipeHeaderSize = 16;   // struct perf_pipe_file_header
inline constexpr uint64_t kFeatureBitmapOffset = 72;
inline constexpr uint32_t kAttrSizeVer0 = 64;  // PERF_ATTR_SIZE_VER0
inline constexpr uint32_t kRecordHeaderSize = 8;

// perf_event_attr byte offsets.
namespace attr_offset {
inline constexpr size_t kType = 0;
inline constexpr size_t kSize = 4;
inline constexpr size_t kConfig = 8;
inline constexpr size_t kSamplePeriod = 16;
inline constexpr size_t kSampleType = 24;
inline constexpr size_t kReadFormat = 32;
inline constexpr size_t kFlags = 40;
inline constexpr size_t kBranchSampleType = 72;
inline constexpr size_t kSampleRegsUser = 80;
inline constexpr size_t kSampleStackUser = 88;
inline constexpr size_t kClockid = 92;
}  // namespace attr_offset

// enum perf_event_type and perf's user-space record types (>= 64).
enum RecordType : uint32_t {
  kMmap = 1,
  kLost = 2,
  kComm = 3,
  kExit = 4,
  kFork = 7,
  kSample = 9,
  kMmap2 = 10,
  kAux = 11,  // the kernel says AUX data was written: fixed size, skipped by header.size
  kLostSamples = 13,
  kSwitch = 14,          // struct perf_record_switch: header, sample_id
  kSwitchCpuWide = 15,   // header, u32 next_prev_pid, u32 next_prev_tid, sample_id
  kHeaderAttr = 64,
  kHeaderEventType = 65,
  kHeaderTracingData = 66,
  kHeaderBuildId = 67,
  kFinishedRound = 68,
  kAuxtraceInfo = 70,
  // struct perf_record_auxtrace: header, u64 size, offset, reference, u32 idx, tid,
  // cpu, reserved. `size` bytes of AUX data follow the record outside header.size
  // (tools/perf/util/session.c skips them by the value process_auxtrace returns).
  kAuxtrace = 71,
  kAuxtraceError = 72,
  kEventUpdate = 78,
  kHeaderFeature = 80,
  kCompressed = 81,
  kFinishedInit = 82,
  kCompressed2 = 83,
};

// Byte offset of AUXTRACE's u64 payload size.
inline constexpr size_t kAuxtraceSizeOffset = 8;

// struct perf_record_event_update: header, u64 type, u64 id, then by type; NAME
// holds a NUL-terminated name (tools/lib/perf/include/perf/event.h).
inline constexpr uint64_t kEventUpdateName = 2;

// enum perf_type_id and the generic event ids (include/uapi/linux/perf_event.h).
inline constexpr uint32_t kTypeHardware = 0;
inline constexpr uint32_t kTypeSoftware = 1;
inline constexpr uint32_t kTypeTracepoint = 2;  // attr.config is the tracepoint's format ID
inline constexpr uint32_t kTypeHwCache = 3;

// enum perf_event_sample_format.
enum SampleBit : uint64_t {
  kSampleIp = 1ULL << 0,
  kSampleTid = 1ULL << 1,
  kSampleTime = 1ULL << 2,
  kSampleAddr = 1ULL << 3,
  kSampleRead = 1ULL << 4,
  kSampleCallchain = 1ULL << 5,
  kSampleId = 1ULL << 6,
  kSampleCpu = 1ULL << 7,
  kSamplePeriod = 1ULL << 8,
  kSampleStreamId = 1ULL << 9,
  kSampleRaw = 1ULL << 10,
  kSampleBranchStack = 1ULL << 11,
  kSampleRegsUser = 1ULL << 12,
  kSampleStackUser = 1ULL << 13,
  kSampleIdentifier = 1ULL << 16,
};

// enum perf_event_read_format.
enum ReadFormatBit : uint64_t {
  kReadTotalTimeEnabled = 1ULL << 0,
  kReadTotalTimeRunning = 1ULL << 1,
  kReadId = 1ULL << 2,
  kReadGroup = 1ULL << 3,
  kReadLost = 1ULL << 4,
};

// enum perf_branch_sample_type.
inline constexpr uint64_t kBranchHwIndex = 1ULL << 17;
inline constexpr uint64_t kBranchCounters = 1ULL << 19;
inline constexpr uint64_t kBranchEntrySize = 24;  // struct perf_branch_entry

// header.misc bits.
inline constexpr uint16_t kMiscCommExec = 1U << 13;
inline constexpr uint16_t kMiscSwitchOut = 1U << 13;         // PERF_RECORD_MISC_SWITCH_OUT
inline constexpr uint16_t kMiscSwitchOutPreempt = 1U << 14;  // ..._SWITCH_OUT_PREEMPT
inline constexpr uint16_t kMiscMmapBuildId = 1U << 14;
inline constexpr uint16_t kMiscBuildIdSize = 1U << 15;  // build_id_event: byte 20 holds the size

// HEADER_FEAT_* bit numbers (tools/perf/util/header.h).
enum Feature : uint32_t {
  kFeatTracingData = 1,
  kFeatBuildId = 2,
  kFeatHostname = 3,
  kFeatOsRelease = 4,
  kFeatVersion = 5,
  kFeatCmdline = 11,
  kFeatEventDesc = 12,
  kFeatSampleTime = 21,
  kFeatClockid = 23,
  kFeatClockData = 29,
};
inline constexpr uint32_t kFeatureBits = 256;

inline constexpr uint64_t kBuildIdMaxSize = 20;
inline constexpr uint64_t kBuildIdFieldSize = 24;  // PERF_ALIGN(BUILD_ID_SIZE, sizeof(u64))

inline constexpr uint64_t align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// Callchain context markers (perf_event.h enum perf_callchain_context): a callchain entry
// at or above kContextMax is no address but says which context the following frames are in.
inline constexpr uint64_t kContextHypervisor = static_cast<uint64_t>(-32);
inline constexpr uint64_t kContextKernel = static_cast<uint64_t>(-128);
inline constexpr uint64_t kContextUser = static_cast<uint64_t>(-512);
inline constexpr uint64_t kContextGuest = static_cast<uint64_t>(-2048);
inline constexpr uint64_t kContextGuestKernel = static_cast<uint64_t>(-2176);
inline constexpr uint64_t kContextGuestUser = static_cast<uint64_t>(-2560);
inline constexpr uint64_t kContextMax = static_cast<uint64_t>(-4095);

}  // namespace spanprof::perfdata::abi
