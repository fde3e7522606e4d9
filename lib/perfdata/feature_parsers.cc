#include "perfdata/feature_parsers.h"

#include <string>
#include <vector>

#include "common/byte_reader.h"
#include "perfdata/perf_abi.h"
#include "perfdata/tracing_data.h"

namespace spanprof::perfdata {
namespace {

std::string where_at(uint64_t offset) { return "perf.data byte offset " + std::to_string(offset); }

std::string hex(std::span<const std::byte> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    auto v = static_cast<unsigned>(b);
    out += kDigits[v >> 4];
    out += kDigits[v & 15];
  }
  return out;
}

// header.c do_write_string: u32 len (padded length, NUL included) then len bytes.
std::string read_perf_string(ByteReader& in) {
  uint32_t len = in.u32();
  return std::string(in.padded_string(len));
}

Result<void> truncated(uint32_t feature, const ByteReader& in) {
  return make_error("feature " + std::to_string(feature) + " section is truncated",
                    where_at(in.file_offset()), "the feature is ignored");
}

Result<void> parse_string_feature(ByteReader& in, uint32_t feature, std::string& out) {
  std::string value = read_perf_string(in);
  if (!in.ok()) return truncated(feature, in);
  out = std::move(value);
  return {};
}

Result<void> parse_cmdline(ByteReader& in, CaptureInfo& info) {
  uint32_t nr = in.u32();
  std::vector<std::string> args;
  for (uint32_t i = 0; i < nr && in.ok(); ++i) args.push_back(read_perf_string(in));
  if (!in.ok()) return truncated(abi::kFeatCmdline, in);
  info.cmdline = std::move(args);
  return {};
}

// header.c write_event_desc: u32 nr, u32 attr_size, then per event the attr,
// u32 nr_ids, a perf string name and u64 ids[nr_ids].
Result<void> parse_event_desc(ByteReader& in, CaptureInfo& info) {
  uint32_t nr = in.u32();
  uint32_t attr_size = in.u32();
  if (in.ok() && attr_size < abi::kRecordHeaderSize) {
    return make_error("EVENT_DESC attr_size " + std::to_string(attr_size) + " is too small",
                      where_at(in.file_offset()), "event names are not shown");
  }
  struct Desc {
    std::string name;
    std::vector<uint64_t> ids;
  };
  std::vector<Desc> descs;
  for (uint32_t i = 0; i < nr && in.ok(); ++i) {
    in.skip(attr_size);
    uint32_t nr_ids = in.u32();
    Desc desc;
    desc.name = read_perf_string(in);
    if (!in.ok() || uint64_t{nr_ids} * 8 > in.remaining()) {
      in.fail();
      break;
    }
    for (uint32_t k = 0; k < nr_ids; ++k) desc.ids.push_back(in.u64());
    descs.push_back(std::move(desc));
  }
  if (!in.ok()) return truncated(abi::kFeatEventDesc, in);
  for (size_t i = 0; i < descs.size(); ++i) {
    bool matched = false;
    for (auto& attr : info.attrs) {
      for (uint64_t id : attr.ids) {
        for (uint64_t desc_id : descs[i].ids) {
          if (id == desc_id) matched = true;
        }
      }
      if (matched) {
        attr.name = descs[i].name;
        break;
      }
    }
    // Attrs without ids (a single event) pair up by position.
    if (!matched && descs.size() == info.attrs.size() && info.attrs[i].ids.empty()) {
      info.attrs[i].name = descs[i].name;
    }
  }
  return {};
}

Result<void> parse_build_ids(std::span<const std::byte> payload, uint64_t file_offset,
                             CaptureInfo& info) {
  std::vector<BuildIdEntry> entries;
  ByteReader in(payload, file_offset);
  while (in.remaining() > 0) {
    uint64_t offset = in.file_offset();
    ByteReader peek = in;
    peek.skip(6);
    uint16_t size = peek.u16();
    if (!peek.ok() || size < abi::kRecordHeaderSize || size > in.remaining()) {
      return make_error("BUILD_ID entry claims size " + std::to_string(size) + " but " +
                            std::to_string(in.remaining()) + " bytes remain",
                        where_at(offset), "build ids from the header are ignored");
    }
    auto entry = parse_build_id_event(in.bytes(size), offset);
    if (!entry) return std::unexpected(entry.error());
    entries.push_back(std::move(*entry));
  }
  info.build_ids.insert(info.build_ids.end(), entries.begin(), entries.end());
  return {};
}

}  // namespace

Result<BuildIdEntry> parse_build_id_event(std::span<const std::byte> record, uint64_t file_offset) {
  ByteReader in(record, file_offset);
  in.u32();  // type
  BuildIdEntry entry;
  entry.misc = in.u16();
  uint16_t size = in.u16();
  entry.pid = in.i32();
  auto id_field = in.bytes(abi::kBuildIdFieldSize);
  if (!in.ok() || size > record.size() || size < in.position()) {
    return make_error("build id entry is truncated", where_at(file_offset),
                      "the entry is ignored");
  }
  size_t id_size = abi::kBuildIdMaxSize;
  if (entry.misc & abi::kMiscBuildIdSize) {
    id_size = static_cast<size_t>(id_field[abi::kBuildIdMaxSize]);
    if (id_size > abi::kBuildIdMaxSize) id_size = abi::kBuildIdMaxSize;
  }
  entry.build_id = hex(id_field.first(id_size));
  entry.filename = std::string(in.padded_string(size - in.position()));
  return entry;
}

Result<void> parse_feature(uint32_t feature, std::span<const std::byte> payload,
                           uint64_t file_offset, CaptureInfo& info) {
  ByteReader in(payload, file_offset);
  switch (feature) {
    case abi::kFeatTracingData: {
      auto formats = parse_tracing_data(payload, file_offset);
      if (!formats) return std::unexpected(formats.error());
      info.tracepoints = std::move(*formats);
      name_tracepoint_attrs(info);
      return {};
    }
    case abi::kFeatBuildId:
      return parse_build_ids(payload, file_offset, info);
    case abi::kFeatHostname:
      return parse_string_feature(in, feature, info.hostname);
    case abi::kFeatOsRelease:
      return parse_string_feature(in, feature, info.os_release);
    case abi::kFeatVersion:
      return parse_string_feature(in, feature, info.perf_version);
    case abi::kFeatCmdline:
      return parse_cmdline(in, info);
    case abi::kFeatEventDesc:
      return parse_event_desc(in, info);
    case abi::kFeatSampleTime: {
      uint64_t first = in.u64();
      uint64_t last = in.u64();
      if (!in.ok()) return truncated(feature, in);
      info.first_sample_time = first;
      info.last_sample_time = last;
      return {};
    }
    case abi::kFeatClockid: {
      uint64_t res = in.u64();
      if (!in.ok()) return truncated(feature, in);
      info.clockid_res_ns = res;
      return {};
    }
    case abi::kFeatClockData: {
      ClockData clock;
      clock.version = in.u32();
      clock.clockid = in.u32();
      clock.tod_ns = in.u64();
      clock.clockid_ns = in.u64();
      if (!in.ok()) return truncated(feature, in);
      info.clock_data = clock;
      return {};
    }
    default:
      return {};
  }
}

}  // namespace spanprof::perfdata
