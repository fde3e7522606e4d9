#include "profile/gzip.h"

#include <gtest/gtest.h>

#include <string>

namespace spanprof::profile {
namespace {

TEST(Gzip, RoundTripsAndHasMagic) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "line " + std::to_string(i % 97) + "\n";
  auto packed = gzip_compress(text);
  ASSERT_TRUE(packed) << packed.error().to_string();
  EXPECT_TRUE(has_gzip_magic(*packed));
  EXPECT_LT(packed->size(), text.size() / 4);
  auto unpacked = gzip_decompress(*packed);
  ASSERT_TRUE(unpacked) << unpacked.error().to_string();
  EXPECT_EQ(*unpacked, text);
}

TEST(Gzip, EmptyInput) {
  auto packed = gzip_compress("");
  ASSERT_TRUE(packed);
  auto unpacked = gzip_decompress(*packed);
  ASSERT_TRUE(unpacked);
  EXPECT_EQ(*unpacked, "");
}

TEST(Gzip, RejectsTruncatedAndGarbage) {
  auto packed = gzip_compress(std::string(5000, 'x'));
  ASSERT_TRUE(packed);
  auto truncated = gzip_decompress(packed->substr(0, packed->size() / 2));
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos);
  EXPECT_FALSE(gzip_decompress("\x1f\x8b garbage garbage"));
  EXPECT_FALSE(has_gzip_magic("x"));
}

TEST(Gzip, BoundsOutput) {
  auto packed = gzip_compress(std::string(1 << 20, 'a'));
  ASSERT_TRUE(packed);
  auto limited = gzip_decompress(*packed, 1000);
  ASSERT_FALSE(limited);
  EXPECT_NE(limited.error().message.find("exceeds"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::profile
