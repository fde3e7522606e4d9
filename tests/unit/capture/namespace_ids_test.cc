// DIR/namespace-ids.tsv: written line by line, read into a (ns pid, ns tid) map.
#include "capture/namespace_ids.h"

#include <gtest/gtest.h>

#include <string>

namespace spanprof::capture {
namespace {

std::string file_of(std::initializer_list<NamespacedThread> threads) {
  std::string text(kNamespaceIdsHeader);
  for (const NamespacedThread& thread : threads) text += namespace_ids_line(thread);
  return text;
}

TEST(NamespaceIds, LinesRoundTripToTheHostsIds) {
  std::string text = file_of({{4711, 4711, 1, 1}, {4711, 4712, 1, 2}});
  EXPECT_EQ(text.substr(kNamespaceIdsHeader.size()), "4711\t4711\t1\t1\n4711\t4712\t1\t2\n");
  auto ids = parse_namespace_ids(text, "namespace-ids.tsv");
  ASSERT_TRUE(ids.has_value()) << ids.error().to_string();
  EXPECT_EQ(ids->threads(), 2u);
  auto host = ids->host_thread(1, 2);
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(host->pid, 4711u);
  EXPECT_EQ(host->tid, 4712u);
  EXPECT_FALSE(ids->host_thread(1, 3).has_value());
}

TEST(NamespaceIds, APairNamingTwoHostThreadsIsLeftOutAndCounted) {
  // Two containers, each with its pid 1.
  auto ids = parse_namespace_ids(file_of({{100, 100, 1, 1}, {200, 200, 1, 1}, {100, 100, 1, 1}}),
                                 "f");
  ASSERT_TRUE(ids.has_value());
  EXPECT_FALSE(ids->host_thread(1, 1).has_value());
  EXPECT_EQ(ids->ambiguous(), 1u);
}

TEST(NamespaceIds, ALastLineCutMidWriteIsIgnored) {
  auto ids = parse_namespace_ids(file_of({{100, 100, 1, 1}}) + "100\t10", "f");
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(ids->threads(), 1u);
}

TEST(NamespaceIds, DamageIsAnErrorNamingFileAndLine) {
  auto wrong_header = parse_namespace_ids("host_pid\n1\t2\t3\t4\n", "DIR/namespace-ids.tsv");
  ASSERT_FALSE(wrong_header.has_value());
  EXPECT_EQ(wrong_header.error().where, "DIR/namespace-ids.tsv");
  auto bad_line = parse_namespace_ids(file_of({{100, 100, 1, 1}}) + "1\t2\tx\t4\n", "f");
  ASSERT_FALSE(bad_line.has_value());
  EXPECT_NE(bad_line.error().message.find("line 3"), std::string::npos);
  auto extra_field = parse_namespace_ids(file_of({}) + "1\t2\t3\t4\t5\n", "f");
  EXPECT_FALSE(extra_field.has_value());
}

}  // namespace
}  // namespace spanprof::capture
