#include "spans/span_set.h"

#include <gtest/gtest.h>

namespace spanprof::spans {
namespace {

TEST(SpanSet, InternsNamesOnce) {
  SpanSet set;
  EXPECT_EQ(set.intern_name("GET /"), 0u);
  EXPECT_EQ(set.intern_name("db.query"), 1u);
  EXPECT_EQ(set.intern_name(std::string("GET /")), 0u);
  ASSERT_EQ(set.names.size(), 2u);
  EXPECT_EQ(set.names[1], "db.query");
}

TEST(SpanSet, InternsResourcesByServiceAndPid) {
  SpanSet set;
  EXPECT_EQ(set.intern_resource({"api", 10}), 0u);
  EXPECT_EQ(set.intern_resource({"api", 11}), 1u);
  EXPECT_EQ(set.intern_resource({"api", std::nullopt}), 2u);
  EXPECT_EQ(set.intern_resource({"api", 10}), 0u);
  EXPECT_EQ(set.intern_resource({"", std::nullopt}), 3u);
  // The namespace tells two services of one name apart (Grafana selects by both).
  EXPECT_EQ(set.intern_resource({"api", 10, "shop"}), 4u);
  EXPECT_EQ(set.intern_resource({"api", 10, "shop"}), 4u);
  EXPECT_EQ(set.resources.size(), 5u);
}

TEST(SpanSet, HexIsLowercaseAndFixedWidth) {
  EXPECT_EQ(span_id_hex(0xa1), "00000000000000a1");
  EXPECT_EQ(span_id_hex(0xFEDCBA9876543210), "fedcba9876543210");
  TraceId trace{};
  trace[0] = 0xAB;
  trace[15] = 0x01;
  EXPECT_EQ(trace_id_hex(trace), "ab000000000000000000000000000001");
}

}  // namespace
}  // namespace spanprof::spans
