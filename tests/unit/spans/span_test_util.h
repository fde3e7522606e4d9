// Helpers for span reader tests: temporary files, gzip, OTLP JSON builders.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace spanprof::spans::testing {

// A file under the test temp dir, removed when the object dies.
class TempFile {
 public:
  explicit TempFile(std::string_view suffix) {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::path(::testing::TempDir()) /
             ("spans_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
              std::string(suffix)))
                .string();
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

  void write(std::string_view bytes) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  void write_gzip(std::string_view bytes) const {
    gzFile file = gzopen(path_.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    gzclose(file);
  }

 private:
  std::string path_;
};

inline std::string str_attr(std::string_view key, std::string_view value) {
  return R"({"key":")" + std::string(key) + R"(","value":{"stringValue":")" + std::string(value) +
         R"("}})";
}

// As opentelemetry-cpp writes int64: a decimal string.
inline std::string int_attr(std::string_view key, int64_t value) {
  return R"({"key":")" + std::string(key) + R"(","value":{"intValue":")" + std::to_string(value) +
         R"("}})";
}

// As the Node SDK writes int64: a JSON number.
inline std::string num_attr(std::string_view key, int64_t value) {
  return R"({"key":")" + std::string(key) + R"(","value":{"intValue":)" + std::to_string(value) +
         "}}";
}

struct JsonSpan {
  std::string trace_id = "0123456789abcdef0123456789abcdef";
  std::string span_id = "00000000000000a1";
  std::string parent_span_id;
  std::string name = "work";
  std::string start = R"("1700000000000000000")";
  std::string end = R"("1700000000001000000")";
  std::string flags = "256";
  std::string attributes;  // comma-separated KeyValue objects

  std::string json() const {
    return R"({"traceId":")" + trace_id + R"(","spanId":")" + span_id + R"(","parentSpanId":")" +
           parent_span_id + R"(","flags":)" + flags + R"(,"name":")" + name +
           R"(","kind":1,"startTimeUnixNano":)" + start + R"(,"endTimeUnixNano":)" + end +
           R"(,"attributes":[)" + attributes + R"(],"status":{}})";
  }
};

// One TracesData line with one resource and one scope.
inline std::string traces_line(std::string_view resource_attributes, std::string_view spans_json) {
  return R"({"resourceSpans":[{"resource":{"attributes":[)" + std::string(resource_attributes) +
         R"(]},"scopeSpans":[{"scope":{"name":"test","version":"1.0"},"spans":[)" +
         std::string(spans_json) + "]}]}]}";
}

}  // namespace spanprof::spans::testing

#include <algorithm>
#include <cstring>

#include "spans/byte_source.h"

namespace spanprof::spans::testing {

// In-memory bytes, handed out at most chunk bytes per read to exercise buffer edges.
class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string bytes, size_t chunk = 7)
      : bytes_(std::move(bytes)), chunk_(chunk) {}

  Result<size_t> read(std::span<char> out) override {
    size_t n = std::min({out.size(), chunk_, bytes_.size() - position_});
    std::memcpy(out.data(), bytes_.data() + position_, n);
    position_ += n;
    return n;
  }

 private:
  std::string bytes_;
  size_t chunk_;
  size_t position_ = 0;
};

}  // namespace spanprof::spans::testing
