// Helpers shared by the shaping tests: scratch directories, files, decoding.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../profile/profile_test_util.h"
#include "pprof.pb.h"
#include "profile/gzip.h"

namespace spanprof::push::testing {

using profile::testing::read_file;
using profile::testing::ScratchDir;
using profile::testing::str;

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

inline bool is_lower_hex(const std::string& text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace spanprof::push::testing
