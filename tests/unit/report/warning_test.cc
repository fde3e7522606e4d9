#include "common/warning.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include <simdjson.h>

#include "join/summary_json.h"
#include "report_test_util.h"

namespace spanprof {
namespace {

TEST(Warning, ToStringIsTheErrorsLine) {
  Error error{"record at byte 4096 is cut short", "perf.data", "re-record the capture"};
  Warning warning = Warning::from_error(WarningKind::kDamage, error);
  EXPECT_EQ(warning.where, "perf.data");
  EXPECT_EQ(warning.message, "record at byte 4096 is cut short (re-record the capture)");
  EXPECT_EQ(warning.to_string(), error.to_string());
  EXPECT_EQ((Warning{WarningKind::kClock, "no CLOCK_DATA", ""}).to_string(), "no CLOCK_DATA");
}

TEST(Warning, KindNamesAreDistinct) {
  const WarningKind kinds[] = {WarningKind::kPerfHeader, WarningKind::kDamage, WarningKind::kClock,
                               WarningKind::kSymbols, WarningKind::kOtherEvents};
  std::set<std::string_view> names;
  for (WarningKind kind : kinds) {
    std::string_view name = warning_kind_name(kind);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
  }
}

TEST(Warning, SummaryJsonListsWarningsByKindAndTerminalOneLineEach) {
  join::JoinReport report = report_test::clean_report();
  report.warnings = {
      Warning::from_error(WarningKind::kDamage, Error{"data ends at byte 8192", "perf.data", ""}),
      Warning{WarningKind::kSymbols, "binary /usr/bin/app changed since recording", ""},
      Warning{WarningKind::kOtherEvents, "3 samples of other events were left out", ""},
  };
  std::string text = join::summary_json(report);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  simdjson::dom::array warnings;
  ASSERT_EQ(doc["warnings"].get_array().get(warnings), simdjson::SUCCESS) << text;
  ASSERT_EQ(warnings.size(), 3u);
  std::string_view kind, message, where;
  ASSERT_EQ(warnings.at(0)["kind"].get_string().get(kind), simdjson::SUCCESS);
  ASSERT_EQ(warnings.at(0)["message"].get_string().get(message), simdjson::SUCCESS);
  ASSERT_EQ(warnings.at(0)["where"].get_string().get(where), simdjson::SUCCESS);
  EXPECT_EQ(kind, "damage");
  EXPECT_EQ(message, "data ends at byte 8192");
  EXPECT_EQ(where, "perf.data");
  ASSERT_EQ(warnings.at(1)["kind"].get_string().get(kind), simdjson::SUCCESS);
  EXPECT_EQ(kind, "symbols");
  EXPECT_TRUE(warnings.at(1)["where"].is_null());
  ASSERT_EQ(warnings.at(2)["kind"].get_string().get(kind), simdjson::SUCCESS);
  EXPECT_EQ(kind, "other_events");

  for (bool quiet : {false, true}) {
    report_test::Printed printed = report_test::print(report, quiet);
    EXPECT_EQ(printed.err,
              "warning: perf.data: data ends at byte 8192\n"
              "warning: binary /usr/bin/app changed since recording\n"
              "warning: 3 samples of other events were left out\n");
    EXPECT_EQ(printed.out.find("warning"), std::string::npos) << printed.out;
  }
}

}  // namespace
}  // namespace spanprof
