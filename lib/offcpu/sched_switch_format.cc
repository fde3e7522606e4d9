#include "offcpu/sched_switch_format.h"

#include <cstring>
#include <string>

namespace spanprof::offcpu {

namespace {

constexpr const char* kRecordHint =
    "record the capture with spanprof run --off-cpu (perf record -e sched:sched_switch)";

// A little-endian unsigned field of 1, 2, 4 or 8 bytes (perfdata refuses
// big-endian captures, and the raw record is in the capture's byte order).
uint64_t read_unsigned(std::span<const std::byte> raw, uint32_t offset, uint32_t size) {
  uint64_t value = 0;
  std::memcpy(&value, raw.data() + offset, size);
  return value;
}

}  // namespace

Result<SchedSwitchFormat> SchedSwitchFormat::find(
    const std::vector<perfdata::TracepointFormat>& formats) {
  const perfdata::TracepointFormat* format = nullptr;
  for (const perfdata::TracepointFormat& candidate : formats) {
    if (candidate.system == "sched" && candidate.name == "sched_switch") format = &candidate;
  }
  if (!format) {
    return make_error("the capture holds no sched:sched_switch format", "perf.data TRACING_DATA",
                      kRecordHint);
  }
  SchedSwitchFormat out;
  out.id_ = format->id;
  struct Wanted {
    const char* name;
    Field* field;
    bool (*size_ok)(uint32_t);
  };
  auto pid_size = [](uint32_t size) { return size == 4; };
  auto state_size = [](uint32_t size) { return size == 4 || size == 8; };  // long: 32- or 64-bit kernel
  for (const Wanted& wanted : {Wanted{"prev_state", &out.prev_state_, +state_size},
                               Wanted{"prev_pid", &out.prev_pid_, +pid_size},
                               Wanted{"next_pid", &out.next_pid_, +pid_size}}) {
    const perfdata::TracepointField* field = format->field(wanted.name);
    if (!field) {
      return make_error(std::string("sched:sched_switch has no field ") + wanted.name,
                        "perf.data TRACING_DATA",
                        "this kernel's format is not the one spanprof knows: off-CPU states "
                        "cannot be read from it");
    }
    if (!wanted.size_ok(field->size)) {
      return make_error("sched:sched_switch field " + std::string(wanted.name) + " is " +
                            std::to_string(field->size) + " bytes",
                        "perf.data TRACING_DATA",
                        "expected 4 (pid) or 4/8 (prev_state, a long): the format is damaged");
    }
    *wanted.field = {field->offset, field->size};
  }
  if (const perfdata::TracepointField* type = format->field("common_type");
      type && type->size >= 1 && type->size <= 8) {
    out.common_type_ = {type->offset, type->size};
  }
  return out;
}

Result<SchedSwitchFields> SchedSwitchFormat::decode(std::span<const std::byte> raw) const {
  for (const Field& field : {common_type_, prev_state_, prev_pid_, next_pid_}) {
    // Offsets and sizes are u32: their sum cannot overflow u64.
    if (static_cast<uint64_t>(field.offset) + field.size > raw.size()) {
      return make_error("sched_switch raw record of " + std::to_string(raw.size()) +
                            " bytes is too short for a field at bytes [" +
                            std::to_string(field.offset) + ", " +
                            std::to_string(static_cast<uint64_t>(field.offset) + field.size) + ")",
                        "", "the capture's TRACING_DATA does not match its samples");
    }
  }
  if (common_type_.size != 0) {
    uint64_t type = read_unsigned(raw, common_type_.offset, common_type_.size);
    if (type != id_) {
      return make_error("raw record of tracepoint " + std::to_string(type) +
                            " where sched_switch (" + std::to_string(id_) + ") was expected",
                        "", "the sample's event is not sched:sched_switch");
    }
  }
  SchedSwitchFields fields;
  fields.prev_state = read_unsigned(raw, prev_state_.offset, prev_state_.size);
  fields.prev_pid = static_cast<uint32_t>(read_unsigned(raw, prev_pid_.offset, prev_pid_.size));
  fields.next_pid = static_cast<uint32_t>(read_unsigned(raw, next_pid_.offset, next_pid_.size));
  return fields;
}

}  // namespace spanprof::offcpu
