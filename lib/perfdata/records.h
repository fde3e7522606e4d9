// Decoded perf records, as handed to a RecordHandler in time order.
//
// Views (string_view, span) point into the reader's buffers and are valid only
// during the callback; copy what you keep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "perfdata/capture_info.h"

namespace spanprof::perfdata {

// perf_event.h: the low 3 bits of header.misc.
enum class CpuMode : uint8_t {
  kUnknown = 0,
  kKernel = 1,
  kUser = 2,
  kHypervisor = 3,
  kGuestKernel = 4,
  kGuestUser = 5,
};

inline CpuMode cpu_mode_of(uint16_t misc) { return static_cast<CpuMode>(misc & 7); }

// The sample_id trailer of non-sample records (when sample_id_all is set).
struct SampleId {
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint64_t time = 0;
  bool has_time = false;
  uint64_t id = 0;
  uint32_t cpu = 0;
};

struct Sample {
  const EventAttr* attr = nullptr;  // the event this sample belongs to
  // Its index in CaptureInfo::attrs: stable while pipe mode appends attrs, so a
  // handler identifies the event by it, not by the address above.
  size_t attr_index = 0;
  uint16_t misc = 0;
  uint64_t ip = 0;
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint64_t time = 0;
  bool has_time = false;
  uint64_t id = 0;
  uint32_t cpu = 0;
  uint64_t period = 1;  // 1 when the sample has no PERIOD (perf does the same)
  // Raw callchain entries including PERF_CONTEXT_* markers (values >= (u64)-4095).
  std::span<const uint64_t> callchain;
  // REGS_USER / STACK_USER, kept for dwarf unwinding.
  uint64_t regs_abi = 0;
  std::span<const uint64_t> regs_user;
  std::span<const std::byte> stack_user;
  uint64_t stack_user_dyn_size = 0;
  // PERF_SAMPLE_RAW: a tracepoint's record (common fields first), without its
  // u32 size; empty when the sample has none. Decode with CaptureInfo::tracepoints.
  std::span<const std::byte> raw;
  uint64_t file_offset = 0;  // where the record starts in the file (or stream)
};

struct Mmap {
  uint16_t misc = 0;
  bool is_mmap2 = false;
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint64_t addr = 0;
  uint64_t len = 0;
  uint64_t pgoff = 0;  // byte offset into the file
  uint32_t maj = 0, min = 0;
  uint64_t ino = 0;
  uint32_t prot = 0, flags = 0;
  std::span<const std::byte> build_id;  // MMAP2 with misc bit 14 (--buildid-mmap)
  std::string_view filename;
  SampleId sample_id;
};

struct Comm {
  uint32_t pid = 0;
  uint32_t tid = 0;
  bool exec = false;  // misc bit 13: the comm changed because of exec
  std::string_view comm;
  SampleId sample_id;
};

// FORK and EXIT share a layout.
struct TaskEvent {
  uint32_t pid = 0, ppid = 0;
  uint32_t tid = 0, ptid = 0;
  uint64_t time = 0;
  SampleId sample_id;
};

struct Lost {
  uint64_t id = 0;
  uint64_t lost = 0;
  SampleId sample_id;
};

// PERF_RECORD_SWITCH (14) and PERF_RECORD_SWITCH_CPU_WIDE (15), written with
// `perf record --switch-events`: the monitored task leaves (out) or enters a CPU.
struct Switch {
  bool out = false;      // misc bit 13 (PERF_RECORD_MISC_SWITCH_OUT); false = switch-in
  bool preempt = false;  // misc bit 14 (..._SWITCH_OUT_PREEMPT): left while still runnable
  bool cpu_wide = false; // type 15 (perf record -a): next_prev_* are set
  uint32_t next_prev_pid = 0;  // CPU_WIDE: the task switched to (out) or from (in)
  uint32_t next_prev_tid = 0;
  SampleId sample_id;    // the task that switches, its time and CPU
};

// Receives records in time order. Default implementations ignore the record.
class RecordHandler {
 public:
  virtual ~RecordHandler() = default;
  virtual void on_sample(const Sample&) {}
  virtual void on_mmap(const Mmap&) {}
  virtual void on_comm(const Comm&) {}
  virtual void on_fork(const TaskEvent&) {}
  virtual void on_exit(const TaskEvent&) {}
  virtual void on_switch(const Switch&) {}
  virtual void on_lost(const Lost&) {}          // PERF_RECORD_LOST: ring buffer overflow
  virtual void on_lost_samples(const Lost&) {}  // PERF_RECORD_LOST_SAMPLES
};

}  // namespace spanprof::perfdata
