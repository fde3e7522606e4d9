#include "perfdata/record_parsers.h"

#include <bit>
#include <cstring>

#include "common/byte_reader.h"
#include "perfdata/perf_abi.h"

namespace spanprof::perfdata {
namespace {

uint16_t misc_of(std::span<const std::byte> record) {
  ByteReader in(record);
  in.u32();
  return in.u16();
}

// Copies n u64 values into `out` (aligned storage) instead of aliasing the record.
bool copy_u64s(ByteReader& in, uint64_t n, std::vector<uint64_t>& out) {
  auto size = checked_mul(n, 8);
  if (!size || *size > in.remaining()) {
    in.fail();
    return false;
  }
  auto bytes = in.bytes(static_cast<size_t>(*size));
  out.resize(static_cast<size_t>(n));
  if (n > 0) std::memcpy(out.data(), bytes.data(), bytes.size());
  return true;
}

void skip_u64s(ByteReader& in, uint64_t n) {
  auto size = checked_mul(n, 8);
  if (!size || *size > in.remaining()) {
    in.fail();
    return;
  }
  in.skip(static_cast<size_t>(*size));
}

// perf_event.h PERF_SAMPLE_READ layout, chosen by read_format.
void skip_read_values(ByteReader& in, uint64_t read_format) {
  const uint64_t per_value = 1 + ((read_format & abi::kReadId) ? 1 : 0) +
                             ((read_format & abi::kReadLost) ? 1 : 0);
  if (read_format & abi::kReadGroup) {
    uint64_t nr = in.u64();
    if (read_format & abi::kReadTotalTimeEnabled) in.u64();
    if (read_format & abi::kReadTotalTimeRunning) in.u64();
    auto words = checked_mul(nr, per_value);
    if (!words) {
      in.fail();
      return;
    }
    skip_u64s(in, *words);
  } else {
    in.u64();  // value
    if (read_format & abi::kReadTotalTimeEnabled) in.u64();
    if (read_format & abi::kReadTotalTimeRunning) in.u64();
    skip_u64s(in, per_value - 1);
  }
}

ByteReader body_reader(std::span<const std::byte> record, size_t body_end) {
  ByteReader in(record.first(body_end));
  in.skip(abi::kRecordHeaderSize);
  return in;
}

}  // namespace

bool parse_sample(std::span<const std::byte> record, const EventAttr& attr, SampleBuffers& buffers,
                  Sample& out) {
  const uint64_t type = attr.sample_type;
  ByteReader in(record);
  in.u32();
  out = Sample{};
  out.attr = &attr;
  out.misc = in.u16();
  in.u16();
  if (type & abi::kSampleIdentifier) out.id = in.u64();
  if (type & abi::kSampleIp) out.ip = in.u64();
  if (type & abi::kSampleTid) {
    out.pid = in.u32();
    out.tid = in.u32();
  }
  if (type & abi::kSampleTime) {
    out.time = in.u64();
    out.has_time = true;
  }
  if (type & abi::kSampleAddr) in.u64();
  if (type & abi::kSampleId) out.id = in.u64();
  if (type & abi::kSampleStreamId) in.u64();
  if (type & abi::kSampleCpu) {
    out.cpu = in.u32();
    in.u32();  // res
  }
  if (type & abi::kSamplePeriod) out.period = in.u64();
  if (type & abi::kSampleRead) skip_read_values(in, attr.read_format);
  buffers.callchain.clear();
  if (type & abi::kSampleCallchain) copy_u64s(in, in.u64(), buffers.callchain);
  if (type & abi::kSampleRaw) {
    // u32 size, then size bytes (perf's evsel__parse_sample takes size as the data
    // length; the kernel pads it so that u32 + data ends 8-aligned).
    const uint32_t raw_size = in.u32();
    if (raw_size > in.remaining()) return false;
    out.raw = in.bytes(raw_size);
  }
  if (type & abi::kSampleBranchStack) {
    uint64_t nr = in.u64();
    if (attr.branch_sample_type & abi::kBranchHwIndex) in.u64();
    auto words = checked_mul(nr, abi::kBranchEntrySize / 8);
    if (!words) return false;
    skip_u64s(in, *words);
    if (attr.branch_sample_type & abi::kBranchCounters) skip_u64s(in, nr);
  }
  buffers.regs_user.clear();
  if (type & abi::kSampleRegsUser) {
    out.regs_abi = in.u64();
    if (out.regs_abi != 0) {
      copy_u64s(in, static_cast<uint64_t>(std::popcount(attr.sample_regs_user)), buffers.regs_user);
    }
  }
  if (type & abi::kSampleStackUser) {
    uint64_t size = in.u64();
    if (size > in.remaining()) return false;
    out.stack_user = in.bytes(static_cast<size_t>(size));
    if (size != 0) out.stack_user_dyn_size = in.u64();
  }
  // Fields after STACK_USER (WEIGHT, DATA_SRC, ...) are not used.
  if (!in.ok()) return false;
  out.callchain = buffers.callchain;
  out.regs_user = buffers.regs_user;
  return true;
}

uint64_t sample_record_time(std::span<const std::byte> record, const EventAttr& attr) {
  const uint64_t type = attr.sample_type;
  if (!(type & abi::kSampleTime)) return 0;
  ByteReader in(record);
  in.skip(abi::kRecordHeaderSize);
  if (type & abi::kSampleIdentifier) in.u64();
  if (type & abi::kSampleIp) in.u64();
  if (type & abi::kSampleTid) in.u64();
  uint64_t time = in.u64();
  return in.ok() ? time : 0;
}

bool parse_sample_id(std::span<const std::byte> record, const EventAttr& attr, SampleId& out,
                     size_t& body_end) {
  out = SampleId{};
  body_end = record.size();
  if (!attr.sample_id_all()) return true;
  const uint64_t type = attr.sample_type;
  size_t words = 0;
  for (uint64_t bit : {abi::kSampleTid, abi::kSampleTime, abi::kSampleId, abi::kSampleStreamId,
                       abi::kSampleCpu, abi::kSampleIdentifier}) {
    if (type & bit) ++words;
  }
  if (record.size() < abi::kRecordHeaderSize + 8 * words) return false;
  body_end = record.size() - 8 * words;
  // Trailer order (perf_event.h struct sample_id): {pid,tid}, time, id, stream_id,
  // {cpu,res}, identifier.
  ByteReader in(record.subspan(body_end));
  if (type & abi::kSampleTid) {
    out.pid = in.u32();
    out.tid = in.u32();
  }
  if (type & abi::kSampleTime) {
    out.time = in.u64();
    out.has_time = true;
  }
  if (type & abi::kSampleId) out.id = in.u64();
  if (type & abi::kSampleStreamId) in.u64();
  if (type & abi::kSampleCpu) {
    out.cpu = in.u32();
    in.u32();
  }
  if (type & abi::kSampleIdentifier) out.id = in.u64();
  return in.ok();
}

uint64_t non_sample_record_time(std::span<const std::byte> record, const EventAttr& attr) {
  SampleId id;
  size_t body_end = 0;
  if (!parse_sample_id(record, attr, id, body_end)) return 0;
  return id.time;
}

bool parse_mmap(std::span<const std::byte> record, const EventAttr& attr, Mmap& out) {
  out = Mmap{};
  size_t body_end = 0;
  if (!parse_sample_id(record, attr, out.sample_id, body_end)) return false;
  ByteReader in = body_reader(record, body_end);
  out.misc = misc_of(record);
  out.pid = in.u32();
  out.tid = in.u32();
  out.addr = in.u64();
  out.len = in.u64();
  out.pgoff = in.u64();
  out.filename = in.rest_as_string();
  return in.ok();
}

bool parse_mmap2(std::span<const std::byte> record, const EventAttr& attr, Mmap& out) {
  out = Mmap{};
  out.is_mmap2 = true;
  size_t body_end = 0;
  if (!parse_sample_id(record, attr, out.sample_id, body_end)) return false;
  ByteReader in = body_reader(record, body_end);
  out.misc = misc_of(record);
  out.pid = in.u32();
  out.tid = in.u32();
  out.addr = in.u64();
  out.len = in.u64();
  out.pgoff = in.u64();
  if (out.misc & abi::kMiscMmapBuildId) {
    // perf_event.h: {u8 build_id_size, u8 __reserved_1, u16 __reserved_2, u8 build_id[20]}.
    uint8_t size = in.u8();
    in.skip(3);
    auto id = in.bytes(abi::kBuildIdMaxSize);
    if (size > abi::kBuildIdMaxSize) return false;
    out.build_id = id.first(size);
  } else {
    out.maj = in.u32();
    out.min = in.u32();
    out.ino = in.u64();
    in.u64();  // ino_generation
  }
  out.prot = in.u32();
  out.flags = in.u32();
  out.filename = in.rest_as_string();
  return in.ok();
}

bool parse_comm(std::span<const std::byte> record, const EventAttr& attr, Comm& out) {
  out = Comm{};
  size_t body_end = 0;
  if (!parse_sample_id(record, attr, out.sample_id, body_end)) return false;
  ByteReader in = body_reader(record, body_end);
  out.exec = (misc_of(record) & abi::kMiscCommExec) != 0;
  out.pid = in.u32();
  out.tid = in.u32();
  out.comm = in.rest_as_string();
  return in.ok();
}

bool parse_task(std::span<const std::byte> record, const EventAttr& attr, TaskEvent& out) {
  out = TaskEvent{};
  size_t body_end = 0;
  if (!parse_sample_id(record, attr, out.sample_id, body_end)) return false;
  ByteReader in = body_reader(record, body_end);
  out.pid = in.u32();
  out.ppid = in.u32();
  out.tid = in.u32();
  out.ptid = in.u32();
  out.time = in.u64();
  return in.ok();
}

bool parse_lost(std::span<const std::byte> record, const EventAttr& attr, Lost& out) {
  out = Lost{};
  size_t body_end = 0;
  if (!parse_sample_id(record, attr, out.sample_id, body_end)) return false;
  ByteReader in = body_reader(record, body_end);
  out.id = in.u64();
  out.lost = in.u64();
  return in.ok();
}

bool parse_switch(std::span<const std::byte> record, const EventAttr& attr, Switch& out) {
  out = Switch{};
  size_t body_end = 0;
  if (!parse_sample_id(record, attr, out.sample_id, body_end)) return false;
  ByteReader header(record);
  out.cpu_wide = header.u32() == abi::kSwitchCpuWide;
  const uint16_t misc = header.u16();
  out.out = (misc & abi::kMiscSwitchOut) != 0;
  out.preempt = (misc & abi::kMiscSwitchOutPreempt) != 0;
  // perf_event.h: SWITCH is the header and the trailer alone; CPU_WIDE adds two u32.
  const size_t body_size = out.cpu_wide ? 8 : 0;
  if (body_end != abi::kRecordHeaderSize + body_size) return false;
  if (out.cpu_wide) {
    ByteReader in = body_reader(record, body_end);
    out.next_prev_pid = in.u32();
    out.next_prev_tid = in.u32();
    return in.ok();
  }
  return true;
}

bool parse_lost_samples(std::span<const std::byte> record, const EventAttr& attr, Lost& out) {
  out = Lost{};
  size_t body_end = 0;
  if (!parse_sample_id(record, attr, out.sample_id, body_end)) return false;
  ByteReader in = body_reader(record, body_end);
  out.lost = in.u64();
  out.id = out.sample_id.id;
  return in.ok();
}

}  // namespace spanprof::perfdata
