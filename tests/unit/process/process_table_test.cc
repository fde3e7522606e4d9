#include "process/process_table.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <array>
#include <cstddef>
#include <string>

namespace spanprof::process {
namespace {

using perfdata::Comm;
using perfdata::Mmap;
using perfdata::TaskEvent;

constexpr uint16_t kUserMode = 2;
constexpr uint16_t kKernelMode = 1;
constexpr uint16_t kMiscMmapBuildId = 1u << 14;

Mmap mmap2(uint32_t pid, uint64_t addr, uint64_t len, uint64_t pgoff, std::string_view file,
           uint32_t prot = PROT_READ | PROT_EXEC) {
  Mmap m;
  m.misc = kUserMode;
  m.is_mmap2 = true;
  m.pid = pid;
  m.tid = pid;
  m.addr = addr;
  m.len = len;
  m.pgoff = pgoff;
  m.prot = prot;
  m.filename = file;
  return m;
}

TaskEvent task(uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid) {
  TaskEvent t;
  t.pid = pid;
  t.ppid = ppid;
  t.tid = tid;
  t.ptid = ptid;
  return t;
}

Comm comm(uint32_t pid, uint32_t tid, std::string_view name, bool exec = false) {
  Comm c;
  c.pid = pid;
  c.tid = tid;
  c.comm = name;
  c.exec = exec;
  return c;
}

TEST(ProcessTable, FindsMappingContainingAddress) {
  ProcessTable table;
  table.on_mmap(mmap2(10, 0x400000, 0x1000, 0, "/bin/app"));
  table.on_mmap(mmap2(10, 0x7f0000, 0x2000, 0x3000, "/lib/libc.so"));

  const Mapping* app = table.find_user_mapping(10, 0x400fff);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->filename, "/bin/app");
  EXPECT_EQ(app->start, 0x400000u);
  EXPECT_EQ(app->end, 0x401000u);
  EXPECT_FALSE(app->kernel);
  EXPECT_TRUE(app->executable);

  const Mapping* libc = table.find_user_mapping(10, 0x7f1000);
  ASSERT_NE(libc, nullptr);
  EXPECT_EQ(libc->pgoff, 0x3000u);

  EXPECT_EQ(table.find_user_mapping(10, 0x401000), nullptr);  // end is exclusive
  EXPECT_EQ(table.find_user_mapping(10, 0x3fffff), nullptr);
  EXPECT_EQ(table.find_user_mapping(11, 0x400000), nullptr);  // other process
  EXPECT_EQ(table.stats().mmaps, 2u);
}

TEST(ProcessTable, ProtWithoutExecIsNotExecutable) {
  ProcessTable table;
  table.on_mmap(mmap2(1, 0x1000, 0x1000, 0, "/data", PROT_READ | PROT_WRITE));
  Mmap old_style = mmap2(1, 0x5000, 0x1000, 0, "/bin/old", 0);
  old_style.is_mmap2 = false;  // MMAP records carry only exec maps and no prot
  table.on_mmap(old_style);
  EXPECT_FALSE(table.find_user_mapping(1, 0x1000)->executable);
  EXPECT_TRUE(table.find_user_mapping(1, 0x5000)->executable);
}

TEST(ProcessTable, OverlappingMmapTrimsOldMappings) {
  ProcessTable table;
  table.on_mmap(mmap2(1, 0x10000, 0x10000, 0x100000, "/old"));  // [0x10000, 0x20000)
  // Punch a hole in the middle: the old map keeps a head and a tail.
  table.on_mmap(mmap2(1, 0x14000, 0x4000, 0, "/new"));  // [0x14000, 0x18000)

  const Mapping* head = table.find_user_mapping(1, 0x13fff);
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->filename, "/old");
  EXPECT_EQ(head->start, 0x10000u);
  EXPECT_EQ(head->end, 0x14000u);
  EXPECT_EQ(head->pgoff, 0x100000u);

  const Mapping* middle = table.find_user_mapping(1, 0x14000);
  ASSERT_NE(middle, nullptr);
  EXPECT_EQ(middle->filename, "/new");

  const Mapping* tail = table.find_user_mapping(1, 0x18000);
  ASSERT_NE(tail, nullptr);
  EXPECT_EQ(tail->filename, "/old");
  EXPECT_EQ(tail->start, 0x18000u);
  EXPECT_EQ(tail->end, 0x20000u);
  EXPECT_EQ(tail->pgoff, 0x108000u);  // the trimmed head moves the file offset
}

TEST(ProcessTable, MmapCoveringSeveralMappingsReplacesThem) {
  ProcessTable table;
  table.on_mmap(mmap2(1, 0x1000, 0x1000, 0, "/a"));
  table.on_mmap(mmap2(1, 0x2000, 0x1000, 0, "/b"));
  table.on_mmap(mmap2(1, 0x3000, 0x2000, 0, "/c"));
  table.on_mmap(mmap2(1, 0x1800, 0x2000, 0, "/d"));  // [0x1800, 0x3800)

  EXPECT_EQ(table.find_user_mapping(1, 0x17ff)->filename, "/a");
  EXPECT_EQ(table.find_user_mapping(1, 0x17ff)->end, 0x1800u);
  EXPECT_EQ(table.find_user_mapping(1, 0x2000)->filename, "/d");
  EXPECT_EQ(table.find_user_mapping(1, 0x37ff)->filename, "/d");
  const Mapping* c = table.find_user_mapping(1, 0x3800);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->filename, "/c");
  EXPECT_EQ(c->pgoff, 0x800u);
  EXPECT_EQ(c->end, 0x5000u);

  // Exact replacement.
  table.on_mmap(mmap2(1, 0x3800, 0x1800, 0, "/e"));
  EXPECT_EQ(table.find_user_mapping(1, 0x4fff)->filename, "/e");
}

TEST(ProcessTable, ReplacedMappingPointersStayValid) {
  ProcessTable table;
  table.on_mmap(mmap2(1, 0x1000, 0x1000, 0, "/a"));
  const Mapping* before = table.find_user_mapping(1, 0x1000);
  table.on_mmap(mmap2(1, 0x1000, 0x1000, 0, "/b"));
  EXPECT_EQ(before->filename, "/a");
  EXPECT_NE(table.find_user_mapping(1, 0x1000), before);
}

TEST(ProcessTable, KernelMappingsGoToKernelSpace) {
  ProcessTable table;
  Mmap kernel;
  kernel.misc = kKernelMode;
  kernel.pid = 0xffffffffu;
  kernel.addr = 0xffffffff81000000u;
  kernel.len = ~0ull - kernel.addr;  // what perf writes for the kernel text
  kernel.pgoff = 0xffffffff81000000u;
  kernel.filename = "[kernel.kallsyms]_text";
  table.on_mmap(kernel);

  Mmap module = kernel;
  module.addr = 0xffffffffc0000000u;
  module.len = 0x5000;
  module.pgoff = 0;
  module.filename = "/lib/modules/6.1/kernel/fs/xfs/xfs.ko";
  table.on_mmap(module);

  const Mapping* text = table.find_kernel_mapping(0xffffffff81234567u);
  ASSERT_NE(text, nullptr);
  EXPECT_TRUE(text->kernel);
  EXPECT_EQ(text->filename, "[kernel.kallsyms]_text");
  EXPECT_EQ(table.find_kernel_mapping(0xffffffffc0001000u)->filename,
            "/lib/modules/6.1/kernel/fs/xfs/xfs.ko");
  EXPECT_EQ(table.find_kernel_mapping(0xffffffffc0006000u)->filename, "[kernel.kallsyms]_text");
  EXPECT_EQ(table.find_user_mapping(0xffffffffu, 0xffffffff81234567u), nullptr);
  EXPECT_EQ(table.find_kernel_mapping(0x400000), nullptr);
}

TEST(ProcessTable, ForkCopiesParentMappings) {
  ProcessTable table;
  table.on_comm(comm(1, 1, "parent"));
  table.on_mmap(mmap2(1, 0x1000, 0x1000, 0, "/bin/parent"));
  table.on_fork(task(2, 1, 2, 1));

  const Mapping* inherited = table.find_user_mapping(2, 0x1000);
  ASSERT_NE(inherited, nullptr);
  EXPECT_EQ(inherited, table.find_user_mapping(1, 0x1000));  // shared, not copied
  EXPECT_EQ(table.thread_name(2), "parent");

  // Later maps stay private to each process.
  table.on_mmap(mmap2(2, 0x9000, 0x1000, 0, "/lib/child_only.so"));
  EXPECT_NE(table.find_user_mapping(2, 0x9000), nullptr);
  EXPECT_EQ(table.find_user_mapping(1, 0x9000), nullptr);
  EXPECT_EQ(table.stats().forks, 1u);
}

TEST(ProcessTable, NewThreadSharesProcessAndInheritsName) {
  ProcessTable table;
  table.on_comm(comm(1, 1, "server"));
  table.on_mmap(mmap2(1, 0x1000, 0x1000, 0, "/bin/server"));
  table.on_fork(task(1, 1, 7, 1));
  EXPECT_EQ(table.thread_name(7), "server");
  table.on_comm(comm(1, 7, "worker-0"));
  EXPECT_EQ(table.thread_name(7), "worker-0");
  EXPECT_EQ(table.thread_name(1), "server");
  EXPECT_NE(table.find_user_mapping(1, 0x1000), nullptr);
}

TEST(ProcessTable, ExecClearsMappings) {
  ProcessTable table;
  table.on_comm(comm(5, 5, "sh"));
  table.on_mmap(mmap2(5, 0x1000, 0x1000, 0, "/bin/sh"));
  table.on_comm(comm(5, 5, "app", /*exec=*/true));
  EXPECT_EQ(table.find_user_mapping(5, 0x1000), nullptr);
  EXPECT_EQ(table.thread_name(5), "app");
  table.on_mmap(mmap2(5, 0x1000, 0x1000, 0, "/bin/app"));
  EXPECT_EQ(table.find_user_mapping(5, 0x1000)->filename, "/bin/app");
  EXPECT_EQ(table.stats().execs, 1u);

  // A plain rename (prctl PR_SET_NAME) keeps the address space.
  table.on_comm(comm(5, 5, "renamed"));
  EXPECT_NE(table.find_user_mapping(5, 0x1000), nullptr);
}

TEST(ProcessTable, ExitFreesAddressSpaceButKeepsThreadNames) {
  ProcessTable table;
  table.on_comm(comm(3, 3, "short"));
  table.on_mmap(mmap2(3, 0x1000, 0x1000, 0, "/bin/short"));
  table.on_fork(task(3, 3, 4, 3));
  table.on_exit(task(3, 3, 3, 3));
  // A thread is still running: the process keeps its mappings.
  EXPECT_NE(table.find_user_mapping(3, 0x1000), nullptr);
  table.on_exit(task(3, 3, 4, 3));
  EXPECT_EQ(table.find_user_mapping(3, 0x1000), nullptr);
  EXPECT_EQ(table.thread_name(3), "short");
  EXPECT_EQ(table.thread_name(4), "short");
  EXPECT_EQ(table.thread_name(99), "");
  EXPECT_EQ(table.stats().exits, 2u);
}

TEST(ProcessTable, BuildIdFromMmap2Record) {
  ProcessTable table;
  std::array<std::byte, 4> bytes{std::byte{0xab}, std::byte{0x01}, std::byte{0xff},
                                 std::byte{0x10}};
  Mmap m = mmap2(1, 0x1000, 0x1000, 0, "/bin/app");
  m.misc |= kMiscMmapBuildId;
  m.build_id = bytes;
  table.on_mmap(m);
  EXPECT_EQ(table.find_user_mapping(1, 0x1000)->build_id, "ab01ff10");
}

TEST(ProcessTable, BuildIdFromFeatureByFilename) {
  std::vector<perfdata::BuildIdEntry> ids;
  ids.push_back({.pid = 1, .misc = kUserMode, .build_id = "1234abcd", .filename = "/bin/app"});
  ids.push_back({.pid = -1, .misc = kKernelMode, .build_id = "feedf00d",
                 .filename = "[kernel.kallsyms]"});
  ProcessTable table(ids);
  table.on_mmap(mmap2(1, 0x1000, 0x1000, 0, "/bin/app"));
  table.on_mmap(mmap2(1, 0x3000, 0x1000, 0, "/lib/unknown.so"));
  Mmap kernel;
  kernel.misc = kKernelMode;
  kernel.pid = 0xffffffffu;
  kernel.addr = 0xffffffff81000000u;
  kernel.len = 0x1000000;
  kernel.filename = "[kernel.kallsyms]_text";
  table.on_mmap(kernel);

  EXPECT_EQ(table.find_user_mapping(1, 0x1000)->build_id, "1234abcd");
  EXPECT_EQ(table.find_user_mapping(1, 0x3000)->build_id, "");
  EXPECT_EQ(table.find_kernel_mapping(0xffffffff81000010u)->build_id, "feedf00d");
}

}  // namespace
}  // namespace spanprof::process
