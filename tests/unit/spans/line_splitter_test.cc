#include "spans/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "span_test_util.h"

namespace spanprof::spans {
namespace {

using testing::StringSource;

std::vector<Line> all_lines(LineSplitter& splitter, std::vector<std::string>& texts) {
  std::vector<Line> lines;
  while (true) {
    auto next = splitter.next();
    EXPECT_TRUE(next.has_value());
    if (!next || !*next) break;
    lines.push_back(**next);
    texts.emplace_back((*next)->text);
    if (!(*next)->too_long) {
      EXPECT_GE(splitter.readable_after_last_line(), kLinePadding);
    }
  }
  return lines;
}

TEST(LineSplitter, SplitsOnNewlinesAndStripsCarriageReturns) {
  StringSource source("one\r\ntwo\n\nthree");
  LineSplitter splitter(source);
  std::vector<std::string> texts;
  auto lines = all_lines(splitter, texts);
  ASSERT_EQ(texts, (std::vector<std::string>{"one", "two", "", "three"}));
  EXPECT_EQ(lines[3].number, 4u);
}

TEST(LineSplitter, EmptyStreamHasNoLines) {
  StringSource source("");
  LineSplitter splitter(source);
  std::vector<std::string> texts;
  all_lines(splitter, texts);
  EXPECT_TRUE(texts.empty());
}

TEST(LineSplitter, LinesLongerThanTheBufferGrowIt) {
  std::string long_line(3 << 20, 'x');
  StringSource source("a\n" + long_line + "\nb\n", 65536);
  LineSplitter splitter(source);
  std::vector<std::string> texts;
  all_lines(splitter, texts);
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[1], long_line);
  EXPECT_EQ(texts[2], "b");
}

TEST(LineSplitter, SkipsLinesOverTheLimitAndCarriesOn) {
  std::string input = "short\n" + std::string(100, 'y') + "\nok\n" + std::string(50, 'z');
  StringSource source(input, 3);
  LineSplitter splitter(source, 20);
  std::vector<std::string> texts;
  auto lines = all_lines(splitter, texts);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(texts[0], "short");
  EXPECT_TRUE(lines[1].too_long);
  EXPECT_EQ(lines[1].number, 2u);
  EXPECT_EQ(texts[2], "ok");
  EXPECT_EQ(lines[2].number, 3u);
  EXPECT_TRUE(lines[3].too_long);
}

TEST(LineSplitter, TooLongLineLargerThanAnyBuffer) {
  // Longer than the splitter's first buffer and than the limit: never held whole.
  std::string input = std::string(5 << 20, 'q') + "\nafter";
  StringSource source(input, 1 << 20);
  LineSplitter splitter(source, 1 << 20);
  std::vector<std::string> texts;
  auto lines = all_lines(splitter, texts);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].too_long);
  EXPECT_EQ(texts[1], "after");
}

}  // namespace
}  // namespace spanprof::spans
