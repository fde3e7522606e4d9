// Meaning of framed records: one parser per record type. Each takes the whole
// record (header included) and the attr that governs its layout, and returns
// false when the bytes do not hold what the type promises.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "perfdata/capture_info.h"
#include "perfdata/records.h"

namespace spanprof::perfdata {

// 8-byte aligned copies that a Sample's spans point into, reused across samples.
struct SampleBuffers {
  std::vector<uint64_t> callchain;
  std::vector<uint64_t> regs_user;
};

bool parse_sample(std::span<const std::byte> record, const EventAttr& attr, SampleBuffers& buffers,
                  Sample& out);

// The time of a SAMPLE (when sample_type has TIME) or of another record (from
// its sample_id trailer); 0 when it has none, which keeps it in file order.
uint64_t sample_record_time(std::span<const std::byte> record, const EventAttr& attr);
uint64_t non_sample_record_time(std::span<const std::byte> record, const EventAttr& attr);

// Reads the sample_id trailer from the end of a non-sample record (when
// sample_id_all is set) and sets `body_end` to where the record's own fields stop.
bool parse_sample_id(std::span<const std::byte> record, const EventAttr& attr, SampleId& out,
                     size_t& body_end);

bool parse_mmap(std::span<const std::byte> record, const EventAttr& attr, Mmap& out);
bool parse_mmap2(std::span<const std::byte> record, const EventAttr& attr, Mmap& out);
bool parse_comm(std::span<const std::byte> record, const EventAttr& attr, Comm& out);
// FORK and EXIT.
bool parse_task(std::span<const std::byte> record, const EventAttr& attr, TaskEvent& out);
bool parse_lost(std::span<const std::byte> record, const EventAttr& attr, Lost& out);
// SWITCH (14) and SWITCH_CPU_WIDE (15): fixed size, so any other body length is damage.
bool parse_switch(std::span<const std::byte> record, const EventAttr& attr, Switch& out);
bool parse_lost_samples(std::span<const std::byte> record, const EventAttr& attr, Lost& out);

}  // namespace spanprof::perfdata
