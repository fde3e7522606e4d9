#include "profile/profile_builder.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "profile/gzip.h"
#include "profile_test_util.h"

namespace spanprof::profile {
namespace {

using testing::decode;
using testing::frame;
using testing::num_label;
using testing::str;
using testing::str_label;

ProfileBuilder cpu_builder() {
  return ProfileBuilder({{"samples", "count"}, {"cpu", "nanoseconds"}}, {"cpu", "nanoseconds"},
                        1'000'000);
}

MappingInfo demo_mapping() {
  MappingInfo info = testing::mapping(0x400000, 0x500000, 0x1000, "/usr/bin/demo", "abcd");
  info.has_functions = true;
  return info;
}

TEST(ProfileBuilder, StringTableStartsEmptyAndHasNoDuplicates) {
  auto builder = cpu_builder();
  uint64_t m = builder.add_mapping(demo_mapping());
  builder.add_location(m, 0x401000, {frame("main", "/src/main.cc", 10)});
  builder.add_location(m, 0x401010, {frame("main", "/src/main.cc", 11)});
  uint64_t ids[] = {1, 2};
  Label labels[] = {str_label("thread_name", "main")};
  int64_t values[] = {1, 1'000'000};
  builder.add_sample(ids, labels, values);

  auto profile = decode(builder);
  ASSERT_GT(profile.string_table_size(), 0);
  EXPECT_EQ(profile.string_table(0), "");
  std::set<std::string> unique(profile.string_table().begin(), profile.string_table().end());
  EXPECT_EQ(unique.size(), static_cast<size_t>(profile.string_table_size()));
  EXPECT_TRUE(unique.contains("main") && unique.contains("/src/main.cc") &&
              unique.contains("thread_name") && unique.contains("nanoseconds"));
}

TEST(ProfileBuilder, MappingsAreDeduplicatedByAllFields) {
  auto builder = cpu_builder();
  MappingInfo base = demo_mapping();
  uint64_t first = builder.add_mapping(base);
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(builder.add_mapping(base), first);

  MappingInfo other_build = base;
  other_build.build_id = "ef01";
  MappingInfo other_flags = base;
  other_flags.has_inline_frames = true;
  MappingInfo other_offset = base;
  other_offset.file_offset = 0;
  EXPECT_EQ(builder.add_mapping(other_build), 2u);
  EXPECT_EQ(builder.add_mapping(other_flags), 3u);
  EXPECT_EQ(builder.add_mapping(other_offset), 4u);
  EXPECT_EQ(builder.add_mapping(other_flags), 3u);

  auto profile = decode(builder);
  ASSERT_EQ(profile.mapping_size(), 4);
  const auto& m = profile.mapping(0);
  EXPECT_EQ(m.id(), 1u);
  EXPECT_EQ(m.memory_start(), 0x400000u);
  EXPECT_EQ(m.memory_limit(), 0x500000u);
  EXPECT_EQ(m.file_offset(), 0x1000u);
  EXPECT_EQ(str(profile, m.filename()), "/usr/bin/demo");
  EXPECT_EQ(str(profile, m.build_id()), "abcd");
  EXPECT_TRUE(m.has_functions());
  EXPECT_FALSE(m.has_inline_frames());
  EXPECT_TRUE(profile.mapping(2).has_inline_frames());
}

TEST(ProfileBuilder, FunctionsAreDeduplicatedByNameSystemNameFileAndStartLine) {
  auto builder = cpu_builder();
  uint64_t m = builder.add_mapping(demo_mapping());
  builder.add_location(m, 0x10, {frame("f", "a.cc", 3, 1)});
  builder.add_location(m, 0x20, {frame("f", "a.cc", 4, 1)});
  EXPECT_EQ(builder.function_count(), 1u);
  builder.add_location(m, 0x30, {frame("f", "a.cc", 4, 2)});
  builder.add_location(m, 0x40, {frame("f", "b.cc", 4, 1)});
  builder.add_location(m, 0x50, {symbolize::Frame{"f", "_Z1fv", "a.cc", 4, 1}});
  EXPECT_EQ(builder.function_count(), 4u);

  auto profile = decode(builder);
  const auto& f = profile.function(0);
  EXPECT_EQ(f.id(), 1u);
  EXPECT_EQ(str(profile, f.name()), "f");
  EXPECT_EQ(str(profile, f.system_name()), "f");
  EXPECT_EQ(str(profile, f.filename()), "a.cc");
  EXPECT_EQ(f.start_line(), 1);
  EXPECT_EQ(str(profile, profile.function(3).system_name()), "_Z1fv");
}

TEST(ProfileBuilder, EmptySystemNameFallsBackToName) {
  auto builder = cpu_builder();
  builder.add_location(0, 0x10, {symbolize::Frame{"g", "", "g.cc", 1, 1}});
  auto profile = decode(builder);
  EXPECT_EQ(str(profile, profile.function(0).system_name()), "g");
}

TEST(ProfileBuilder, LocationsAreDeduplicatedByMappingAndAddress) {
  auto builder = cpu_builder();
  uint64_t m1 = builder.add_mapping(demo_mapping());
  MappingInfo lib = demo_mapping();
  lib.filename = "/usr/lib/libwork.so";
  uint64_t m2 = builder.add_mapping(lib);

  uint64_t a = builder.add_location(m1, 0x401000, {frame("main", "main.cc", 10)});
  // Same key, other frames: the first symbolization stands and no function is added.
  EXPECT_EQ(builder.add_location(m1, 0x401000, {frame("other", "x.cc", 1)}), a);
  EXPECT_EQ(builder.function_count(), 1u);
  EXPECT_NE(builder.add_location(m2, 0x401000, {frame("main", "main.cc", 10)}), a);
  EXPECT_NE(builder.add_location(m1, 0x401001, {frame("main", "main.cc", 10)}), a);
  EXPECT_EQ(builder.location_count(), 3u);
  EXPECT_EQ(builder.function_count(), 1u);

  auto profile = decode(builder);
  ASSERT_EQ(profile.location_size(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(profile.location(i).id(), static_cast<uint64_t>(i + 1));
  EXPECT_EQ(profile.location(0).mapping_id(), m1);
  EXPECT_EQ(profile.location(0).address(), 0x401000u);
  EXPECT_EQ(profile.location(1).mapping_id(), m2);
}

// One join's profiles share one symbolization: a location of one builder is
// copied into another with its mapping, functions and lines, once.
TEST(ProfileBuilder, ImportedLocationsKeepMappingFunctionsAndLines) {
  auto from = cpu_builder();
  uint64_t m = from.add_mapping(demo_mapping());
  uint64_t first = from.add_location(m, 0x401000, {frame("main", "main.cc", 10)});
  uint64_t second = from.add_location(
      m, 0x402000, {frame("decode", "codec.h", 12, 8), frame("parse", "codec.cc", 40, 30)});
  ProfileBuilder to({{"wall", "nanoseconds"}}, {"wall", "nanoseconds"}, 1);
  to.add_location(to.add_mapping(demo_mapping()), 0x409000, {frame("other", "o.cc", 1)});
  LocationImporter importer(from, to);
  std::vector<uint64_t> ids;
  const uint64_t stack[] = {second, first, second};
  importer.map(stack, ids);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], ids[2]) << "a location is copied once";
  EXPECT_EQ(to.location_count(), 3u);
  EXPECT_EQ(to.function_count(), 4u);
  int64_t value[] = {5};
  to.add_sample(ids, {}, value);
  auto profile = decode(to);
  ASSERT_EQ(profile.mapping_size(), 1) << "the same mapping is not added twice";
  const auto& copied = profile.location(static_cast<int>(ids[0] - 1));
  EXPECT_EQ(copied.address(), 0x402000u);
  EXPECT_EQ(copied.mapping_id(), 1u);
  ASSERT_EQ(copied.line_size(), 2);
  EXPECT_EQ(str(profile, profile.function(static_cast<int>(copied.line(0).function_id() - 1)).name()),
            "decode");
  EXPECT_EQ(copied.line(1).line(), 40);
  EXPECT_EQ(to.import_location(from, 99), 0u);
  EXPECT_FALSE(to.write_gzipped("/dev/null")) << "an out-of-range id is a caller error it reports";
}

TEST(ProfileBuilder, InlinedFramesKeepInnermostFirst) {
  auto builder = cpu_builder();
  uint64_t m = builder.add_mapping(demo_mapping());
  uint64_t loc = builder.add_location(
      m, 0x401234,
      {frame("decode_varint", "codec.h", 12, 8), frame("parse_records", "codec.cc", 40, 30)});
  auto profile = decode(builder);
  ASSERT_EQ(profile.location_size(), 1);
  const auto& location = profile.location(0);
  EXPECT_EQ(location.id(), loc);
  ASSERT_EQ(location.line_size(), 2);
  // profile.proto: the last line is the caller into which the preceding lines were inlined.
  auto name_of = [&](const pprof::Line& line) {
    return str(profile, profile.function(static_cast<int>(line.function_id() - 1)).name());
  };
  EXPECT_EQ(name_of(location.line(0)), "decode_varint");
  EXPECT_EQ(location.line(0).line(), 12);
  EXPECT_EQ(name_of(location.line(1)), "parse_records");
  EXPECT_EQ(location.line(1).line(), 40);
}

TEST(ProfileBuilder, UnsymbolizedLocationHasNoLines) {
  auto builder = cpu_builder();
  uint64_t m = builder.add_mapping(demo_mapping());
  builder.add_location(m, 0x401234, {});
  auto profile = decode(builder);
  EXPECT_EQ(profile.location(0).line_size(), 0);
  EXPECT_EQ(builder.function_count(), 0u);
}

TEST(ProfileBuilder, SamplesWithSameStackAndLabelsAreMerged) {
  auto builder = cpu_builder();
  uint64_t m = builder.add_mapping(demo_mapping());
  uint64_t leaf = builder.add_location(m, 0x10, {frame("leaf", "a.cc", 1)});
  uint64_t root = builder.add_location(m, 0x20, {frame("root", "a.cc", 9)});
  uint64_t stack[] = {leaf, root};
  uint64_t reversed[] = {root, leaf};
  Label worker1[] = {str_label("thread_name", "worker-1")};
  Label worker2[] = {str_label("thread_name", "worker-2")};
  int64_t one[] = {1, 1000};
  int64_t two[] = {2, 2000};

  builder.add_sample(stack, worker1, one);
  builder.add_sample(stack, worker1, two);
  builder.add_sample(stack, worker2, one);
  builder.add_sample(reversed, worker1, one);
  builder.add_sample(stack, {}, one);
  EXPECT_EQ(builder.sample_count(), 4u);

  auto profile = decode(builder);
  ASSERT_EQ(profile.sample_size(), 4);
  const auto& merged = profile.sample(0);
  ASSERT_EQ(merged.location_id_size(), 2);
  EXPECT_EQ(merged.location_id(0), leaf);
  EXPECT_EQ(merged.location_id(1), root);
  ASSERT_EQ(merged.value_size(), 2);
  EXPECT_EQ(merged.value(0), 3);
  EXPECT_EQ(merged.value(1), 3000);
  EXPECT_EQ(profile.sample(1).value(0), 1);
  EXPECT_EQ(profile.sample(3).label_size(), 0);
}

TEST(ProfileBuilder, StringAndNumericLabels) {
  auto builder = cpu_builder();
  uint64_t loc = builder.add_location(0, 0x10, {frame("f", "f.cc", 1)});
  uint64_t stack[] = {loc};
  Label labels[] = {str_label("span_name", "GET /users"), num_label("tid", 4242),
                    num_label("bytes", 512, "bytes")};
  int64_t values[] = {1, 10};
  builder.add_sample(stack, labels, values);
  Label other_tid[] = {labels[0], num_label("tid", 4243), labels[2]};
  builder.add_sample(stack, other_tid, values);
  EXPECT_EQ(builder.sample_count(), 2u);

  auto profile = decode(builder);
  const auto& sample = profile.sample(0);
  ASSERT_EQ(sample.label_size(), 3);
  EXPECT_EQ(str(profile, sample.label(0).key()), "span_name");
  EXPECT_EQ(str(profile, sample.label(0).str()), "GET /users");
  EXPECT_EQ(sample.label(0).num(), 0);
  EXPECT_EQ(str(profile, sample.label(1).key()), "tid");
  EXPECT_EQ(sample.label(1).str(), 0);
  EXPECT_EQ(sample.label(1).num(), 4242);
  EXPECT_EQ(sample.label(1).num_unit(), 0);
  EXPECT_EQ(sample.label(2).num(), 512);
  EXPECT_EQ(str(profile, sample.label(2).num_unit()), "bytes");
  EXPECT_EQ(profile.sample(1).label(1).num(), 4243);
}

TEST(ProfileBuilder, HeaderFields) {
  auto builder = cpu_builder();
  builder.set_time_nanos(1'700'000'000'000'000'000);
  builder.set_duration_nanos(2'000'000'000);
  builder.add_comment("spanprof test");
  auto profile = decode(builder);
  ASSERT_EQ(profile.sample_type_size(), 2);
  EXPECT_EQ(str(profile, profile.sample_type(0).type()), "samples");
  EXPECT_EQ(str(profile, profile.sample_type(0).unit()), "count");
  EXPECT_EQ(str(profile, profile.sample_type(1).type()), "cpu");
  EXPECT_EQ(str(profile, profile.period_type().unit()), "nanoseconds");
  EXPECT_EQ(profile.period(), 1'000'000);
  EXPECT_EQ(profile.time_nanos(), 1'700'000'000'000'000'000);
  EXPECT_EQ(profile.duration_nanos(), 2'000'000'000);
  ASSERT_EQ(profile.comment_size(), 1);
  EXPECT_EQ(str(profile, profile.comment(0)), "spanprof test");
}

TEST(ProfileBuilder, ValidationRejectsUnknownLocation) {
  auto builder = cpu_builder();
  uint64_t stack[] = {99};
  int64_t values[] = {1, 1};
  builder.add_sample(stack, {}, values);
  auto bytes = builder.serialize();
  ASSERT_FALSE(bytes);
  EXPECT_NE(bytes.error().message.find("unknown location 99"), std::string::npos);

  testing::ScratchDir dir;
  auto path = (dir.path() / "bad.pb.gz").string();
  ASSERT_FALSE(builder.write_gzipped(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(ProfileBuilder, ValidationRejectsUnknownMapping) {
  auto builder = cpu_builder();
  builder.add_location(7, 0x10, {});
  auto bytes = builder.serialize();
  ASSERT_FALSE(bytes);
  EXPECT_NE(bytes.error().message.find("mapping 7"), std::string::npos);
}

TEST(ProfileBuilder, ValidationRejectsWrongValueCount) {
  auto builder = cpu_builder();
  uint64_t loc = builder.add_location(0, 0x10, {});
  uint64_t stack[] = {loc};
  int64_t one_value[] = {1};
  builder.add_sample(stack, {}, one_value);
  auto bytes = builder.serialize();
  ASSERT_FALSE(bytes);
  EXPECT_NE(bytes.error().message.find("1 values, expected 2"), std::string::npos);
}

TEST(ProfileBuilder, WriteGzippedRoundTrip) {
  auto builder = cpu_builder();
  uint64_t m = builder.add_mapping(demo_mapping());
  uint64_t loc = builder.add_location(m, 0x401000, {frame("main", "main.cc", 10)});
  uint64_t stack[] = {loc};
  Label labels[] = {str_label("thread_name", "main")};
  int64_t values[] = {5, 5'000'000};
  builder.add_sample(stack, labels, values);

  testing::ScratchDir dir;
  auto path = dir.path() / "cpu.pb.gz";
  auto written = builder.write_gzipped(path.string());
  ASSERT_TRUE(written) << written.error().to_string();
  // Only the profile remains: the temp file was renamed over it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);

  std::string file = testing::read_file(path);
  ASSERT_TRUE(has_gzip_magic(file));
  auto raw = gzip_decompress(file);
  ASSERT_TRUE(raw) << raw.error().to_string();
  EXPECT_EQ(*raw, *builder.serialize());
  pprof::Profile profile;
  ASSERT_TRUE(profile.ParseFromString(*raw));
  ASSERT_EQ(profile.sample_size(), 1);
  EXPECT_EQ(profile.sample(0).value(1), 5'000'000);
  EXPECT_EQ(str(profile, profile.sample(0).label(0).str()), "main");
  EXPECT_EQ(str(profile, profile.function(0).name()), "main");
  EXPECT_EQ(profile.location(0).mapping_id(), 1u);

  // Overwriting an existing profile also works.
  ASSERT_TRUE(builder.write_gzipped(path.string()));
}

TEST(ProfileBuilder, WriteErrorNamesPathAndCause) {
  auto builder = cpu_builder();
  std::string path = "/nonexistent-spanprof-dir/cpu.pb.gz";
  auto written = builder.write_gzipped(path);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().to_string().find("/nonexistent-spanprof-dir/cpu.pb.gz"),
            std::string::npos);
  EXPECT_NE(written.error().to_string().find("No such file or directory"), std::string::npos);
}

TEST(ProfileBuilder, ManySamplesStayBounded) {
  auto builder = cpu_builder();
  uint64_t m = builder.add_mapping(demo_mapping());
  std::vector<uint64_t> locs;
  for (uint64_t i = 0; i < 8; ++i) {
    locs.push_back(
        builder.add_location(m, 0x1000 + i, {frame("f" + std::to_string(i), "f.cc", 1)}));
  }
  int64_t values[] = {1, 1000};
  for (int i = 0; i < 100'000; ++i) {
    uint64_t stack[] = {locs[i % 8], locs[(i / 8) % 8]};
    Label labels[] = {num_label("tid", i % 4)};
    builder.add_sample(stack, labels, values);
  }
  // tid = i % 4 follows from i % 8, so the 8 x 8 stacks give 64 samples.
  EXPECT_EQ(builder.sample_count(), 64u);
  auto profile = decode(builder);
  int64_t total = 0;
  for (const auto& sample : profile.sample()) total += sample.value(0);
  EXPECT_EQ(total, 100'000);
}

}  // namespace
}  // namespace spanprof::profile
