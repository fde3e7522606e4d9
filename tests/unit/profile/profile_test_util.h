// Helpers shared by the profile tests: scratch directories and decoding.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pprof.pb.h"
#include "profile/profile_builder.h"

namespace spanprof::profile::testing {

// A fresh directory, removed with its contents when the test ends.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/spanprof-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline pprof::Profile decode(const ProfileBuilder& builder) {
  pprof::Profile profile;
  auto bytes = builder.serialize();
  EXPECT_TRUE(bytes) << bytes.error().to_string();
  if (bytes) {
    EXPECT_TRUE(profile.ParseFromString(*bytes));
  }
  return profile;
}

inline const std::string& str(const pprof::Profile& profile, int64_t index) {
  return profile.string_table(static_cast<int>(index));
}

inline symbolize::Frame frame(std::string function, std::string file, int64_t line,
                              int64_t start_line = 0) {
  return symbolize::Frame{function, function, std::move(file), line, start_line};
}

inline Label str_label(std::string key, std::string value) {
  Label label;
  label.key = std::move(key);
  label.str = std::move(value);
  return label;
}

inline Label num_label(std::string key, int64_t num, std::string unit = {}) {
  Label label;
  label.key = std::move(key);
  label.num = num;
  label.num_unit = std::move(unit);
  return label;
}

inline MappingInfo mapping(uint64_t start, uint64_t limit, uint64_t file_offset,
                           std::string filename, std::string build_id = {}) {
  MappingInfo info;
  info.memory_start = start;
  info.memory_limit = limit;
  info.file_offset = file_offset;
  info.filename = std::move(filename);
  info.build_id = std::move(build_id);
  return info;
}

}  // namespace spanprof::profile::testing
