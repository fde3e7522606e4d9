// The unwinder against real CFI: the fixture library's functions record their own
// registers and stack, which are unwound as if perf had sampled them; then the same
// capture truncated, without registers, and pointed at code without CFI.
#include <gelf.h>
#include <gtest/gtest.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fixture.h"
#include "perfdata/perf_abi.h"
#include "symbolize/symbolizer.h"
#include "unwind/dwarf_unwinder.h"

namespace spanprof::unwind {
namespace {

// perf's x86_64 user mask minus the segment registers and flags.
constexpr uint64_t kAllRegisters = 0xff01ffull;
constexpr uint64_t kPerfBp = 1ull << 6, kPerfSp = 1ull << 7;

// The process's executable file mappings, as perf's MMAP2 records would give them.
void add_own_mappings(process::ProcessTable& table, uint32_t pid) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, path;
    fields >> range >> perms >> offset >> device >> inode >> path;
    if (perms.size() < 3 || perms[2] != 'x') continue;
    if (!path.starts_with("/") && path != "[vdso]") continue;
    perfdata::Mmap mmap;
    mmap.misc = 2;  // PERF_RECORD_MISC_USER
    mmap.is_mmap2 = true;
    mmap.pid = mmap.tid = pid;
    size_t dash = range.find('-');
    mmap.addr = std::stoull(range.substr(0, dash), nullptr, 16);
    mmap.len = std::stoull(range.substr(dash + 1), nullptr, 16) - mmap.addr;
    mmap.pgoff = std::stoull(offset, nullptr, 16);
    mmap.prot = PROT_READ | PROT_EXEC;
    mmap.filename = path;
    table.on_mmap(mmap);
  }
}

class DwarfUnwinderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pid_ = static_cast<uint32_t>(getpid());
    add_own_mappings(processes_, pid_);
    unwind_fixture_outer(capture_.get(), 40);
    attr_.sample_type = perfdata::abi::kSampleRegsUser | perfdata::abi::kSampleStackUser;
  }

  // A sample of the capture with the registers of mask and the first stack_bytes bytes.
  perfdata::Sample sample(uint64_t mask, size_t stack_bytes) {
    attr_.sample_regs_user = mask;
    regs_.clear();
    for (int bit = 0; bit < 64; ++bit) {
      if ((mask >> bit) & 1) regs_.push_back(bit < 24 ? capture_->perf_regs[bit] : 0);
    }
    perfdata::Sample s;
    s.attr = &attr_;
    s.misc = 2;
    s.pid = s.tid = pid_;
    s.ip = capture_->perf_regs[8];
    s.regs_abi = kRegsAbi64;
    s.regs_user = regs_;
    size_t size = std::min<size_t>(stack_bytes, capture_->stack_size);
    s.stack_user = std::as_bytes(std::span(capture_->stack, size));
    s.stack_user_dyn_size = size;
    return s;
  }

  // The function each pc is in (return addresses looked up at pc - 1).
  std::vector<std::string> functions(const std::vector<uint64_t>& pcs) {
    std::vector<std::string> names;
    for (size_t i = 0; i < pcs.size(); ++i) {
      uint64_t lookup = i == 0 ? pcs[i] : pcs[i] - 1;
      const process::Mapping* mapping = processes_.find_user_mapping(pid_, lookup);
      const symbolize::Frames* frames =
          mapping ? &symbolizer_.symbolize(*mapping, binaries_.binary_of(*mapping), lookup)
                  : nullptr;
      names.push_back(frames && !frames->empty() ? frames->back().function : "?");
    }
    return names;
  }

  static symbolize::SymbolizerOptions options() {
    symbolize::SymbolizerOptions options;
    options.use_kallsyms = false;
    return options;
  }

  uint32_t pid_ = 0;
  std::unique_ptr<UnwindCapture> capture_ = std::make_unique<UnwindCapture>();
  perfdata::EventAttr attr_;
  std::vector<uint64_t> regs_;
  process::ProcessTable processes_;
  binaries::BinaryTable binaries_{symbolize::binary_options(options())};
  symbolize::Symbolizer symbolizer_{binaries_, options()};
  DwarfUnwinder unwinder_{processes_, binaries_};
};

TEST_F(DwarfUnwinderTest, UnwindsThroughFunctionsWithoutFramePointers) {
  std::vector<uint64_t> pcs;
  ASSERT_TRUE(unwinder_.unwind(sample(kAllRegisters, UnwindCapture::kStackBytes), pcs));
  auto names = functions(pcs);
  ASSERT_GE(names.size(), 4u) << ::testing::PrintToString(names);
  EXPECT_EQ(names[0], "unwind_fixture_leaf");
  EXPECT_EQ(names[1], "unwind_fixture_middle");
  EXPECT_EQ(names[2], "unwind_fixture_outer");  // the frame with the rbp-based CFA
  EXPECT_NE(names[3], "?");  // the test itself, in another binary
  // Through libc (no frame pointers) to the outermost frame, whose CFI ends the walk.
  EXPECT_EQ(names.back(), "_start");
  EXPECT_EQ(unwinder_.stats().end_of_stack, 1u);
  EXPECT_EQ(unwinder_.stats().samples, 1u);
  EXPECT_EQ(unwinder_.stats().frames, pcs.size() - 1);
  EXPECT_GE(unwinder_.stats().rules, 3u);
}

TEST_F(DwarfUnwinderTest, SecondSampleReusesTheRules) {
  std::vector<uint64_t> first, second;
  unwinder_.unwind(sample(kAllRegisters, UnwindCapture::kStackBytes), first);
  uint64_t rules = unwinder_.stats().rules;
  unwinder_.unwind(sample(kAllRegisters, UnwindCapture::kStackBytes), second);
  EXPECT_EQ(first, second);
  EXPECT_EQ(unwinder_.stats().rules, rules);
}

TEST_F(DwarfUnwinderTest, TruncatedStackCopiesGivePrefixesAndACounter) {
  std::vector<uint64_t> full;
  unwinder_.unwind(sample(kAllRegisters, UnwindCapture::kStackBytes), full);
  ASSERT_GE(full.size(), 4u);
  bool some_shorter = false;
  for (size_t bytes = 0; bytes <= 1024 && bytes <= capture_->stack_size; bytes += 4) {
    UnwindStats before = unwinder_.stats();
    std::vector<uint64_t> pcs;
    ASSERT_TRUE(unwinder_.unwind(sample(kAllRegisters, bytes), pcs));
    ASSERT_GE(pcs.size(), 1u);
    ASSERT_LE(pcs.size(), full.size()) << bytes;
    EXPECT_TRUE(std::equal(pcs.begin(), pcs.end(), full.begin())) << bytes;
    if (pcs.size() < full.size()) {
      some_shorter = true;
      const UnwindStats& after = unwinder_.stats();
      EXPECT_EQ(after.stop_stack_exhausted + after.stop_missing_register,
                before.stop_stack_exhausted + before.stop_missing_register + 1)
          << bytes << " bytes";
    }
  }
  EXPECT_TRUE(some_shorter);
}

TEST_F(DwarfUnwinderTest, ZeroSizeStackKeepsTheSampledPc) {
  std::vector<uint64_t> pcs;
  ASSERT_TRUE(unwinder_.unwind(sample(kAllRegisters, 0), pcs));
  ASSERT_EQ(pcs.size(), 1u);
  EXPECT_EQ(pcs[0], capture_->perf_regs[8]);
  EXPECT_EQ(unwinder_.stats().stop_stack_exhausted, 1u);
}

TEST_F(DwarfUnwinderTest, WithoutStackPointerOnlyTheSampledPc) {
  std::vector<uint64_t> pcs;
  ASSERT_TRUE(unwinder_.unwind(sample(kAllRegisters & ~kPerfSp, 4096), pcs));
  EXPECT_EQ(pcs.size(), 1u);
  EXPECT_EQ(unwinder_.stats().stop_missing_register, 1u);
}

TEST_F(DwarfUnwinderTest, MissingCalleeSavedRegistersGivePrefixesAndACounter) {
  std::vector<uint64_t> full;
  unwinder_.unwind(sample(kAllRegisters, UnwindCapture::kStackBytes), full);
  // Without rbp (and the other callee-saved registers) the rbp-based CFA of outer
  // can only be found when a callee saved rbp on the stack: a prefix either way.
  constexpr uint64_t kCalleeSaved = (1ull << 1) | kPerfBp | (0xfull << 20);
  for (uint64_t dropped : {kPerfBp, kCalleeSaved}) {
    UnwindStats before = unwinder_.stats();
    std::vector<uint64_t> pcs;
    ASSERT_TRUE(unwinder_.unwind(sample(kAllRegisters & ~dropped, UnwindCapture::kStackBytes),
                                 pcs));
    ASSERT_GE(pcs.size(), 1u);
    ASSERT_LE(pcs.size(), full.size());
    EXPECT_TRUE(std::equal(pcs.begin(), pcs.end(), full.begin()));
    if (pcs.size() < full.size()) {
      EXPECT_EQ(unwinder_.stats().stop_missing_register, before.stop_missing_register + 1);
    }
  }
}

TEST_F(DwarfUnwinderTest, SamplesWithoutRegistersOrOfOtherCpusAreCounted) {
  std::vector<uint64_t> pcs;
  perfdata::Sample no_regs = sample(kAllRegisters, 64);
  no_regs.regs_abi = 0;  // PERF_SAMPLE_REGS_ABI_NONE: a kernel thread
  no_regs.regs_user = {};
  EXPECT_FALSE(unwinder_.unwind(no_regs, pcs));
  perfdata::Sample arm64 = sample(0x1ffffffffull, 64);
  EXPECT_FALSE(unwinder_.unwind(arm64, pcs));
  perfdata::Sample abi32 = sample(kAllRegisters, 64);
  abi32.regs_abi = 1;
  EXPECT_FALSE(unwinder_.unwind(abi32, pcs));
  EXPECT_TRUE(pcs.empty());
  EXPECT_EQ(unwinder_.stats().samples_without_registers, 1u);
  EXPECT_EQ(unwinder_.stats().samples_other_arch, 2u);
}

TEST_F(DwarfUnwinderTest, JitAndUnmappedCodeEndTheUnwindCleanly) {
  perfdata::Mmap jit;
  jit.misc = 2;
  jit.is_mmap2 = true;
  jit.pid = jit.tid = pid_;
  jit.addr = 0x10000;
  jit.len = 0x1000;
  jit.prot = PROT_READ | PROT_EXEC;
  jit.filename = "//anon";
  processes_.on_mmap(jit);

  std::vector<uint64_t> pcs;
  perfdata::Sample in_jit = sample(kAllRegisters, 4096);
  regs_[8] = 0x10010;  // ip: the 9th value of a mask with bits 0..8 set
  ASSERT_TRUE(unwinder_.unwind(in_jit, pcs));
  EXPECT_EQ(pcs, std::vector<uint64_t>{0x10010});
  EXPECT_EQ(unwinder_.stats().stop_jit, 1u);

  regs_[8] = 0x20;
  ASSERT_TRUE(unwinder_.unwind(in_jit, pcs));
  EXPECT_EQ(pcs, std::vector<uint64_t>{0x20});
  EXPECT_EQ(unwinder_.stats().stop_no_mapping, 1u);
}

TEST_F(DwarfUnwinderTest, GarbageStackNeverLoopsOrCrashes) {
  // Every word of the copy points back into the leaf: each "return address" has CFI,
  // but the stack pointer check or the copy's end must stop the walk.
  uint64_t leaf_pc = capture_->perf_regs[8];
  for (size_t i = 0; i + 8 <= UnwindCapture::kStackBytes; i += 8) {
    std::memcpy(capture_->stack + i, &leaf_pc, 8);
  }
  capture_->stack_size = UnwindCapture::kStackBytes;
  std::vector<uint64_t> pcs;
  ASSERT_TRUE(unwinder_.unwind(sample(kAllRegisters, UnwindCapture::kStackBytes), pcs));
  EXPECT_LE(pcs.size(), DwarfUnwinder::kMaxDepth);
  const UnwindStats& stats = unwinder_.stats();
  EXPECT_EQ(stats.stop_stack_exhausted + stats.stop_depth_cap + stats.stop_sp_not_increasing +
                stats.stop_missing_register + stats.stop_no_cfi + stats.end_of_stack,
            1u);
}

// The address of a dynamic symbol of this process's vDSO, 0 when there is none.
uint64_t vdso_symbol(const process::ProcessTable& processes, uint32_t pid,
                     std::string_view name) {
  uint64_t base = getauxval(AT_SYSINFO_EHDR);
  const process::Mapping* vdso = base ? processes.find_user_mapping(pid, base) : nullptr;
  if (vdso == nullptr || vdso->filename != "[vdso]" || elf_version(EV_CURRENT) == EV_NONE) {
    return 0;
  }
  Elf* elf = elf_memory(reinterpret_cast<char*>(base), vdso->end - base);
  uint64_t address = 0;
  for (Elf_Scn* scn = nullptr; elf && address == 0 && (scn = elf_nextscn(elf, scn));) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNSYM || shdr.sh_entsize == 0) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; ++i) {
      GElf_Sym sym;
      const char* sym_name = gelf_getsym(data, static_cast<int>(i), &sym)
                                 ? elf_strptr(elf, shdr.sh_link, sym.st_name)
                                 : nullptr;
      if (sym_name && name == sym_name) address = base + sym.st_value;
    }
  }
  if (elf) elf_end(elf);
  return address;
}

// The case: a sample inside the vDSO's clock_gettime (no file on disk, no frame
// pointer). Its unwind table comes from this process's own copy of the vDSO.
TEST_F(DwarfUnwinderTest, UnwindsOutOfTheVdso) {
  uint64_t clock_gettime = vdso_symbol(processes_, pid_, "__vdso_clock_gettime");
  if (clock_gettime == 0) GTEST_SKIP() << "no vDSO with __vdso_clock_gettime";
  symbolize::SymbolizerOptions same_kernel = options();
  same_kernel.use_kallsyms = true;  // the capture is of this kernel: its vDSO is ours
  binaries::BinaryTable binaries(symbolize::binary_options(same_kernel));
  symbolize::Symbolizer symbolizer(binaries, same_kernel);
  DwarfUnwinder unwinder(processes_, binaries);

  // As if the leaf had just called clock_gettime: the return address on top of its stack.
  uint64_t return_address = capture_->perf_regs[8];
  std::vector<unsigned char> stack(8 + capture_->stack_size);
  std::memcpy(stack.data(), &return_address, 8);
  std::memcpy(stack.data() + 8, capture_->stack, capture_->stack_size);
  perfdata::Sample in_vdso = sample(kAllRegisters, 0);
  regs_[7] -= 8;                // sp
  regs_[8] = clock_gettime;     // ip: the function's first instruction
  in_vdso.stack_user = std::as_bytes(std::span(stack));
  in_vdso.stack_user_dyn_size = stack.size();

  std::vector<uint64_t> pcs;
  ASSERT_TRUE(unwinder.unwind(in_vdso, pcs));
  ASSERT_GE(pcs.size(), 4u);
  EXPECT_EQ(pcs[0], clock_gettime);
  EXPECT_EQ(pcs[1], return_address);
  auto names = functions(pcs);
  EXPECT_EQ(names[2], "unwind_fixture_middle") << ::testing::PrintToString(names);
  EXPECT_EQ(unwinder.stats().stop_no_binary, 0u);
  const process::Mapping* vdso = processes_.find_user_mapping(pid_, clock_gettime);
  ASSERT_NE(vdso, nullptr);
  const symbolize::Frames& frames =
      symbolizer.symbolize(*vdso, binaries.binary_of(*vdso), clock_gettime);
  ASSERT_FALSE(frames.empty());
  EXPECT_NE(frames.back().function.find("clock_gettime"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::unwind
