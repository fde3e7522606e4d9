// Helpers shared by the shaping tests: scratch directories, files, decoding.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pprof.pb.h"
#include "profile/gzip.h"

namespace spanprof::push::testing {

class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/spanprof-shape-XXXXXX";
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

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A pprof profile, gzipped or not.
inline pprof::Profile decode_pprof(const std::string& bytes) {
  pprof::Profile profile;
  std::string plain = bytes;
  if (profile::has_gzip_magic(bytes)) {
    auto inflated = profile::gzip_decompress(bytes);
    EXPECT_TRUE(inflated.has_value());
    if (inflated) plain = *inflated;
  }
  EXPECT_TRUE(profile.ParseFromString(plain));
  return profile;
}

inline const std::string& str(const pprof::Profile& profile, int64_t index) {
  return profile.string_table(static_cast<int>(index));
}

inline bool is_lower_hex(const std::string& text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace spanprof::push::testing
