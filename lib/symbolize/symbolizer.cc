#include "symbolize/symbolizer.h"

#include <deque>
#include <future>
#include <optional>
#include <unordered_map>
#include <utility>

#include "common/byte_reader.h"
#include "symbolize/binary_symbols.h"
#include "symbolize/kallsyms.h"
#include "symbolize/perf_map.h"

namespace spanprof::symbolize {
namespace {

const Frames kNoFrames;

// Kernel and JIT symbols: a name, no source position.
Frame named_frame(const std::string& name) {
  Frame frame;
  frame.function = name;
  frame.system_name = name;
  return frame;
}

}  // namespace

binaries::BinaryOptions binary_options(const SymbolizerOptions& options) {
  binaries::BinaryOptions binary;
  binary.build_id_cache_dir = options.build_id_cache_dir;
  // The vDSO mapped into spanprof is the capture's only under the same condition as kallsyms.
  binary.own_vdso = options.use_kallsyms;
  binary.debuginfod = options.debuginfod ? binaries::Debuginfod::kOn : binaries::Debuginfod::kOff;
  return binary;
}

struct Symbolizer::Impl {
  // By Binary::index.
  struct PerBinary {
    std::optional<BinarySymbols> symbols;  // engaged on the first address of a usable binary
    // Frames by file offset (a bijection with the ELF address for file-backed code).
    std::unordered_map<uint64_t, Frames> by_offset;
  };

  struct JitProcess {
    std::optional<PerfMap> map;
    std::unordered_map<uint64_t, Frames> by_addr;
  };

  Impl(const binaries::BinaryTable& table, SymbolizerOptions opts)
      : binaries(table), options(std::move(opts)) {}

  PerBinary& per_binary(const binaries::Binary& binary);
  const Frames& count(const Frames& frames);
  const Frames& kernel(uint64_t addr);
  const Frames& jit(uint32_t pid, uint64_t addr);

  const binaries::BinaryTable& binaries;
  SymbolizerOptions options;
  // A deque: frames handed out stay where they are as binaries are added.
  std::deque<PerBinary> by_binary;
  std::optional<KallsymsTable> kallsyms;  // taken on the first kernel address
  // /proc/kallsyms takes the kernel tens of milliseconds to print: it is read
  // on a second thread while the capture is being read.
  std::future<Result<KallsymsTable>> kallsyms_loading;
  std::unordered_map<uint64_t, Frames> kernel_frames;
  std::unordered_map<uint32_t, JitProcess> jit_processes;
  std::vector<std::string> warnings;
  SymbolizerStats stats;
};

Symbolizer::Symbolizer(const binaries::BinaryTable& binaries, SymbolizerOptions options)
    : impl_(std::make_unique<Impl>(binaries, std::move(options))) {
  if (impl_->options.use_kallsyms) {
    impl_->kallsyms_loading =
        std::async(std::launch::async, KallsymsTable::load, impl_->options.kallsyms_path);
  }
}

Symbolizer::~Symbolizer() = default;

Symbolizer::Impl::PerBinary& Symbolizer::Impl::per_binary(const binaries::Binary& binary) {
  while (by_binary.size() <= binary.index) by_binary.emplace_back();
  return by_binary[binary.index];
}

const Frames& Symbolizer::Impl::count(const Frames& frames) {
  if (!frames.empty() && !frames.back().function.empty()) {
    ++stats.addresses_symbolized;
    stats.inlined_frames += frames.size() - 1;
  } else {
    ++stats.addresses_unsymbolized;
  }
  return frames;
}

const Frames& Symbolizer::symbolize(const process::Mapping& mapping, binaries::Binary& binary,
                                    uint64_t lookup_addr) {
  if (lookup_addr < mapping.start) return kNoFrames;
  auto offset = checked_add(lookup_addr - mapping.start, mapping.pgoff);
  if (!offset) return kNoFrames;

  Impl::PerBinary& state = impl_->per_binary(binary);
  auto [it, inserted] = state.by_offset.try_emplace(*offset);
  if (!inserted) return it->second;
  if (binary.elf) {
    if (auto vaddr = binary.elf->vaddr_of_file_offset(*offset)) {
      if (!state.symbols) state.symbols.emplace(*binary.elf);
      it->second = state.symbols->symbolize(*vaddr);
    }
  }
  return impl_->count(it->second);
}

const Frames& Symbolizer::Impl::kernel(uint64_t addr) {
  auto [it, inserted] = kernel_frames.try_emplace(addr);
  if (!inserted) return it->second;
  ++stats.kernel_addresses;
  if (options.use_kallsyms) {
    if (!kallsyms) {
      auto loaded = kallsyms_loading.get();
      if (loaded) {
        kallsyms = std::move(*loaded);
        if (kallsyms->size() == 0) {
          warnings.push_back("no kernel symbols in " + options.kallsyms_path +
                             " (addresses hidden: kptr_restrict or no CAP_SYSLOG); kernel "
                             "frames keep raw addresses");
        }
      } else {
        kallsyms.emplace();
        warnings.push_back(loaded.error().to_string());
      }
    }
    if (const KernelSymbol* symbol = kallsyms->find(addr)) {
      it->second.push_back(named_frame(symbol->name));
    }
  }
  return count(it->second);
}

const Frames& Symbolizer::symbolize_kernel(uint64_t lookup_addr) {
  return impl_->kernel(lookup_addr);
}

const Frames& Symbolizer::Impl::jit(uint32_t pid, uint64_t addr) {
  auto [process_it, new_process] = jit_processes.try_emplace(pid);
  JitProcess& process = process_it->second;
  if (new_process) {
    std::string path = options.perf_map_dir + "/perf-" + std::to_string(pid) + ".map";
    process.map = PerfMap::load(path);
    // No map is the normal case for native programs (a stray frame address
    // outside any mapping lands here too): counted, not warned about.
    if (!process.map) {
      ++stats.perf_maps_missing;
    } else if (process.map->bad_lines() > 0) {
      stats.perf_map_bad_lines += process.map->bad_lines();
      warnings.push_back(path + ": skipped " + std::to_string(process.map->bad_lines()) +
                         " malformed lines");
    }
  }
  auto [it, inserted] = process.by_addr.try_emplace(addr);
  if (!inserted) return it->second;
  ++stats.jit_addresses;
  if (process.map) {
    if (const std::string* name = process.map->find(addr)) {
      it->second.push_back(named_frame(*name));
    }
  }
  return count(it->second);
}

const Frames& Symbolizer::symbolize_jit(uint32_t pid, uint64_t lookup_addr) {
  return impl_->jit(pid, lookup_addr);
}

const std::vector<std::string>& Symbolizer::warnings() const { return impl_->warnings; }

SymbolizerStats Symbolizer::stats() const {
  SymbolizerStats stats = impl_->stats;
  const binaries::BinaryStats& binary = impl_->binaries.stats();
  stats.binaries_opened = binary.opened;
  stats.binaries_missing = binary.missing;
  stats.binaries_mismatched = binary.mismatched;
  stats.binaries_from_build_id_cache = binary.from_build_id_cache;
  return stats;
}

}  // namespace spanprof::symbolize
