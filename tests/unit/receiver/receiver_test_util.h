// Helpers for receiver tests: temporary capture directories, OTLP requests, gzip.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "otlp_trace.pb.h"

namespace spanprof::receiver::testing {

// A fresh directory under the test temp dir, removed with its files.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::path(::testing::TempDir()) /
             ("receiver_" + std::to_string(::getpid()) + "_" + std::to_string(counter++)))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

inline bool file_exists(const std::string& path) { return std::filesystem::exists(path); }

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// An ExportTraceServiceRequest with `spans` spans, ids 0x0102030405060700 + i.
inline otlp::ExportTraceServiceRequest make_request(int spans, std::string_view name = "work") {
  otlp::ExportTraceServiceRequest request;
  auto* resource = request.add_resource_spans();
  auto* service = resource->mutable_resource()->add_attributes();
  service->set_key("service.name");
  service->mutable_value()->set_string_value("svc");
  auto* scope = resource->add_scope_spans();
  for (int i = 0; i < spans; ++i) {
    auto* span = scope->add_spans();
    span->set_trace_id(
        std::string("\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19", 16));
    const char id[8] = {1, 2, 3, 4, 5, 6, 7, static_cast<char>(i)};
    span->set_span_id(std::string(id, 8));
    span->set_name(std::string(name));
    span->set_start_time_unix_nano(1'700'000'000'000'000'000ull + static_cast<uint64_t>(i) * 1000);
    span->set_end_time_unix_nano(1'700'000'000'000'000'000ull + static_cast<uint64_t>(i) * 1000 +
                                 500);
    auto* tid = span->add_attributes();
    tid->set_key("thread.os_id");
    tid->mutable_value()->set_int_value(4242);
  }
  return request;
}

// The same spans as OTLP JSON, spread over several lines as a pretty-printer would.
inline std::string make_json_request(int spans) {
  std::string out =
      "{\n  \"resourceSpans\": [{\"resource\": {\"attributes\": [{\"key\": \"service.name\", "
      "\"value\": {\"stringValue\": \"svc\"}}]},\r\n  \"scopeSpans\": [{\"spans\": [\n";
  for (int i = 0; i < spans; ++i) {
    if (i > 0) out += ",\n";
    char id[17];
    std::snprintf(id, sizeof id, "01020304050607%02x", static_cast<unsigned>(i) & 0xffu);
    out +=
        "    {\"traceId\": \"0a0b0c0d0e0f10111213141516171819\", \"spanId\": \"" + std::string(id) +
        "\", \"name\": \"work\", \"startTimeUnixNano\": \"" +
        std::to_string(1'700'000'000'000'000'000ull + static_cast<uint64_t>(i) * 1000) +
        "\", \"endTimeUnixNano\": \"" +
        std::to_string(1'700'000'000'000'000'000ull + static_cast<uint64_t>(i) * 1000 + 500) +
        "\", \"attributes\": [{\"key\": \"thread.os_id\", \"value\": {\"intValue\": \"4242\"}}]}";
  }
  out += "\n  ]}]}]\n}\n";
  return out;
}

inline std::string gzip(std::string_view bytes) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, bytes.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// The records of a 4-byte big-endian length-prefixed file.
inline std::vector<std::string> split_length_prefixed(std::string_view bytes) {
  std::vector<std::string> records;
  while (bytes.size() >= 4) {
    uint32_t length = (uint32_t{static_cast<uint8_t>(bytes[0])} << 24) |
                      (uint32_t{static_cast<uint8_t>(bytes[1])} << 16) |
                      (uint32_t{static_cast<uint8_t>(bytes[2])} << 8) |
                      uint32_t{static_cast<uint8_t>(bytes[3])};
    bytes.remove_prefix(4);
    if (bytes.size() < length) {
      ADD_FAILURE() << "truncated record";
      break;
    }
    records.emplace_back(bytes.substr(0, length));
    bytes.remove_prefix(length);
  }
  EXPECT_TRUE(bytes.empty()) << "trailing bytes";
  return records;
}

}  // namespace spanprof::receiver::testing
