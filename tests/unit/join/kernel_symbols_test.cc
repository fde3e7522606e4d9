// --kernel-symbols auto on pipe-mode captures: the stream's HEADER_FEATURE
// records (HOSTNAME, OSRELEASE) decide, and a "no" is explained in a warning.
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "../perfdata/perf_data_builder.h"
#include "join/join.h"

namespace spanprof::join {
namespace {

using namespace perfdata::testing;  // NOLINT: the builder's vocabulary

constexpr uint64_t kContextKernel = static_cast<uint64_t>(-128);  // PERF_CONTEXT_KERNEL
constexpr uint64_t kKernelIp = 0xffffffff81000010ULL;

// A pipe-mode capture of one kernel-mode sample, naming `host` and `release`.
Bytes pipe_capture(const std::string& host, const std::string& release) {
  TestAttr a;
  a.sample_type = bits::kIp | bits::kTid | bits::kTime | bits::kPeriod | bits::kCallchain;
  a.ids = {1};
  PerfDataBuilder b;
  b.attr(a);
  b.feature(3, feature::string(host));
  b.feature(4, feature::string(release));
  TestSample s{.misc = 1, .ip = kKernelIp, .pid = 5, .tid = 5, .time = 10, .period = 1};
  s.callchain = {kContextKernel, kKernelIp};
  b.record(sample_record(a, s));
  return b.pipe_bytes();
}

class KernelSymbolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uname(&uts_), 0);
    kallsyms_ = ::testing::TempDir() + "spanprof_join_kallsyms";
    std::ofstream(kallsyms_) << "ffffffff81000000 T fake_kernel_entry\n"
                                "ffffffff81000100 T fake_kernel_next\n";
  }

  Result<JoinReport> join(const Bytes& capture) {
    const std::string path = ::testing::TempDir() + "spanprof_join_pipe.data";
    write_file(path, capture);
    JoinOptions options;
    options.perf_data_path = path;
    options.write_profile = false;
    options.kernel_symbols = KernelSymbols::kAuto;
    options.symbolizer.kallsyms_path = kallsyms_;
    return run_join(options);
  }

  struct utsname uts_ {};
  std::string kallsyms_;
};

TEST_F(KernelSymbolsTest, AutoUsesKallsymsForAPipeCaptureOfThisKernel) {
  auto report = join(pipe_capture(uts_.nodename, uts_.release));
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(report->kernel_symbols_used);
  EXPECT_EQ(report->symbols.addresses_unsymbolized, 0u);
  for (const Warning& w : report->warnings) {
    EXPECT_EQ(w.message.find("kernel symbols not used"), std::string::npos) << w.to_string();
  }
}

TEST_F(KernelSymbolsTest, AutoSaysWhyItLeavesAnotherKernelsAddressesRaw) {
  auto report = join(pipe_capture("elsewhere", "5.4.0-other"));
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_FALSE(report->kernel_symbols_used);
  EXPECT_EQ(report->symbols.addresses_unsymbolized, 1u);
  auto said = std::count_if(report->warnings.begin(), report->warnings.end(), [](const Warning& w) {
    return w.message.find("kernel symbols not used") != std::string::npos;
  });
  ASSERT_EQ(said, 1);
  auto found = std::find_if(
      report->warnings.begin(), report->warnings.end(),
      [](const Warning& w) { return w.message.find("kernel symbols not used") != std::string::npos; });
  EXPECT_EQ(found->kind, WarningKind::kSymbols);
  const std::string& warning = found->message;
  EXPECT_NE(warning.find("host 'elsewhere' kernel '5.4.0-other'"), std::string::npos) << warning;
  EXPECT_NE(warning.find(std::string("this is host '") + uts_.nodename + "' kernel '" +
                         uts_.release + "'"),
            std::string::npos)
      << warning;
  EXPECT_EQ(warning.find('\n'), std::string::npos) << "one line";
}

}  // namespace
}  // namespace spanprof::join
