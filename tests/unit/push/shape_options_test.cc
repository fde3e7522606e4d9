// The shaping options on their own: the checks a push makes before it joins,
// and the fingerprint that tells a resumed push its options changed.
#include "push/push_plan.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace spanprof::push {
namespace {

TEST(CheckShapeOptionsTest, ReportsOptionErrorsWithoutJoining) {
  ShapeOptions options;
  EXPECT_TRUE(check_shape_options(options));
  options.labels = {{"env", "a b"}};
  EXPECT_TRUE(check_shape_options(options));
  options.protocol = Protocol::kIngest;
  EXPECT_FALSE(check_shape_options(options));
  options = {};
  options.limits.max_samples = 0;
  EXPECT_FALSE(check_shape_options(options));
  options = {};
  options.max_age_ns = 0;
  EXPECT_FALSE(check_shape_options(options));
}


TEST(OptionsFingerprintTest, ChangesWithWhatIsShaped) {
  ShapeOptions a;
  ShapeOptions b = a;
  EXPECT_EQ(options_fingerprint(a), options_fingerprint(b));
  EXPECT_EQ(options_fingerprint(a).size(), 16u);
  std::vector<std::function<void(ShapeOptions&)>> changes{
      [](ShapeOptions& o) { o.labels = {{"env", "x"}}; },
      [](ShapeOptions& o) { o.span_name_label = false; },
      [](ShapeOptions& o) { o.trace_id_label = false; },
      [](ShapeOptions& o) { o.host_label = true; },
      [](ShapeOptions& o) { o.service_name = "svc"; },
      [](ShapeOptions& o) { o.protocol = Protocol::kIngest; },
      [](ShapeOptions& o) { o.limits.max_profile_bytes = 1000; },
      [](ShapeOptions& o) { o.limits.max_samples = 10; },
      [](ShapeOptions& o) { o.limits.max_traces_request_bytes = 1000; },
      [](ShapeOptions& o) { o.join.span_reader.tid_attribute = "tid"; },
  };
  std::set<std::string> seen{options_fingerprint(a)};
  for (size_t i = 0; i < changes.size(); ++i) {
    b = a;
    changes[i](b);
    EXPECT_TRUE(seen.insert(options_fingerprint(b)).second) << "change " << i;
  }
}

TEST(CheckShapeOptionsTest, IngestAppNameAndHostLabel) {
  ShapeOptions options;
  options.service_name = "shop:api";
  EXPECT_TRUE(check_shape_options(options));  // the Push API takes any name
  options.protocol = Protocol::kIngest;
  auto refused = check_shape_options(options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().where, "--service-name");
  options = {};
  options.host_label = true;
  EXPECT_TRUE(check_shape_options(options));
  options.labels = {{"hostname", "a"}};
  EXPECT_FALSE(check_shape_options(options));
}

}  // namespace
}  // namespace spanprof::push
