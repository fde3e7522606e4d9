#include "activations/activation_file.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "common/byte_reader.h"

namespace spanprof::activations {

namespace {

constexpr const char* kHint = "docs/activations.md gives the format";

uint64_t span_id_from_bytes(std::span<const std::byte> bytes) {
  uint64_t id = 0;
  for (std::byte b : bytes) id = (id << 8) | static_cast<uint8_t>(b);
  return id;
}

}  // namespace

bool ActivationRecord::is_none() const {
  return span_id == 0 &&
         std::all_of(trace_id.begin(), trace_id.end(), [](uint8_t b) { return b == 0; });
}

Result<ActivationFile> parse_activation_file(std::span<const std::byte> bytes,
                                             std::string_view where) {
  ByteReader header(bytes);
  std::span<const std::byte> magic = header.bytes(kMagic.size());
  uint16_t version = header.u16();
  uint16_t header_size = header.u16();
  uint16_t record_size = header.u16();
  uint16_t clock_id = header.u16();
  ActivationFile file;
  file.pid = header.u32();
  header.skip(4);  // reserved
  file.created_monotonic_ns = header.u64();
  file.created_realtime_ns = header.u64();
  if (!header.ok()) {
    return make_error(fmt::format("not an activation file: {} bytes, shorter than the {}-byte header",
                                  bytes.size(), kHeaderSize),
                      std::string(where), kHint);
  }
  if (std::memcmp(magic.data(), kMagic.data(), kMagic.size()) != 0) {
    return make_error("not an activation file: its first 8 bytes are not \"SPANACT\\0\"",
                      std::string(where), kHint);
  }
  if (version != kVersion) {
    return make_error(fmt::format("activation file version {} is not one this spanprof reads (it "
                                  "reads version {})", version, kVersion),
                      std::string(where), "upgrade spanprof, or the writer");
  }
  if (clock_id != kClockMonotonic) {
    return make_error(fmt::format("activation file on clock {}: version 1 is on CLOCK_MONOTONIC (1) only",
                                  clock_id),
                      std::string(where), kHint);
  }
  if (header_size < kHeaderSize || record_size < kRecordSize || header_size > bytes.size()) {
    return make_error(fmt::format("activation file header says header_size {} and record_size {}: "
                                  "at least {} each, header within the file", header_size,
                                  record_size, kHeaderSize),
                      std::string(where), kHint);
  }

  std::span<const std::byte> body = bytes.subspan(header_size);
  size_t count = body.size() / record_size;
  file.torn_bytes = body.size() % record_size;
  file.records.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    ByteReader in(body.subspan(i * record_size, record_size));
    ActivationRecord record;
    record.time_ns = in.u64();
    record.pid = in.u32();
    record.tid = in.u32();
    std::span<const std::byte> trace = in.bytes(16);
    std::span<const std::byte> span = in.bytes(8);
    if (!in.ok()) break;  // cannot happen: the slice is record_size >= 40 bytes
    std::memcpy(record.trace_id.data(), trace.data(), trace.size());
    record.span_id = span_id_from_bytes(span);
    if (record.pid != file.pid) {
      ++file.records_wrong_pid;
      continue;
    }
    file.records.push_back(record);
  }
  return file;
}

}  // namespace spanprof::activations
