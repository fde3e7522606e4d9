#include "symbolize/symbolizer.h"

#include <sys/stat.h>

#include <cstdlib>
#include <functional>
#include <future>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "common/byte_reader.h"
#include "symbolize/build_id.h"
#include "symbolize/elf_binary.h"
#include "symbolize/kallsyms.h"
#include "symbolize/perf_map.h"
#include "symbolize/vdso.h"

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

bool is_regular_file(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Names the kernel gives to memory that is not a file ("[vdso]", "[heap]", "//anon",
// "/memfd:jit (deleted)", "anon_inode:..."): not finding them is no news worth a warning.
bool is_pseudo_file(std::string_view name) {
  return name.empty() || name.starts_with('[') || name.starts_with("//") ||
         name.starts_with("/memfd:") || name.starts_with("anon_inode:");
}

// A binary is identified by its path and build id: the same path with another build id
// (rebuilt during recording, or a container's copy) is another binary.
struct BinaryKey {
  std::string filename;
  std::string build_id;
};

struct BinaryKeyView {
  std::string_view filename;
  std::string_view build_id;
};

struct BinaryKeyHash {
  using is_transparent = void;
  size_t operator()(const BinaryKeyView& key) const {
    size_t h = std::hash<std::string_view>{}(key.filename);
    return h ^ (std::hash<std::string_view>{}(key.build_id) + 0x9e3779b97f4a7c15ull + (h << 6) +
                (h >> 2));
  }
  size_t operator()(const BinaryKey& key) const {
    return (*this)(BinaryKeyView{key.filename, key.build_id});
  }
};

struct BinaryKeyEqual {
  using is_transparent = void;
  static BinaryKeyView view(const BinaryKey& key) { return {key.filename, key.build_id}; }
  static BinaryKeyView view(const BinaryKeyView& key) { return key; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return view(a).filename == view(b).filename && view(a).build_id == view(b).build_id;
  }
};

}  // namespace

struct Symbolizer::Impl {
  struct Binary {
    std::unique_ptr<ElfBinary> elf;  // null: missing, changed or unreadable
    // Frames by file offset (a bijection with the ELF address for file-backed code).
    std::unordered_map<uint64_t, Frames> by_offset;
  };

  struct JitProcess {
    std::optional<PerfMap> map;
    std::unordered_map<uint64_t, Frames> by_addr;
  };

  explicit Impl(SymbolizerOptions opts) : options(std::move(opts)) {
    if (options.build_id_cache_dir.empty()) {
      options.build_id_cache_dir = default_build_id_cache_dir();
    }
  }

  Binary& binary_for(const process::Mapping& mapping);
  std::unique_ptr<ElfBinary> open_binary(const std::string& filename, const std::string& build_id);
  std::unique_ptr<ElfBinary> try_open(const std::string& path);
  std::unique_ptr<ElfBinary> open_vdso(const std::string& build_id);
  const Frames& count(const Frames& frames);
  const Frames& kernel(uint64_t addr);
  const Frames& jit(uint32_t pid, uint64_t addr);

  SymbolizerOptions options;
  std::unordered_map<BinaryKey, Binary, BinaryKeyHash, BinaryKeyEqual> binaries;
  std::optional<KallsymsTable> kallsyms;  // taken on the first kernel address
  // /proc/kallsyms takes the kernel tens of milliseconds to print: it is read
  // on a second thread while the capture is being read.
  std::future<Result<KallsymsTable>> kallsyms_loading;
  std::unordered_map<uint64_t, Frames> kernel_frames;
  std::unordered_map<uint32_t, JitProcess> jit_processes;
  std::vector<std::string> warnings;
  SymbolizerStats stats;
  std::optional<OwnVdso> own_vdso;  // copied on the first [vdso] mapping
  bool own_vdso_tried = false;
};

Symbolizer::Symbolizer(const perfdata::CaptureInfo& /*capture*/, SymbolizerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  // libdwfl's dwfl_standard_find_debuginfo dlopens libdebuginfod, which downloads debug info
  // from every server in DEBUGINFOD_URLS for each binary that lacks it locally. That is
  // network traffic (and minutes of waiting) the user must ask for, so without
  // options.debuginfod the variable is removed from this process's environment.
  if (!impl_->options.debuginfod) unsetenv("DEBUGINFOD_URLS");
  if (impl_->options.use_kallsyms) {
    impl_->kallsyms_loading =
        std::async(std::launch::async, KallsymsTable::load, impl_->options.kallsyms_path);
  }
}

Symbolizer::~Symbolizer() = default;

std::unique_ptr<ElfBinary> Symbolizer::Impl::try_open(const std::string& path) {
  auto binary = ElfBinary::open(path);
  if (!binary) {
    warnings.push_back(binary.error().to_string() + "; its frames keep raw addresses");
    ++stats.binaries_missing;
    return nullptr;
  }
  ++stats.binaries_opened;
  return std::move(*binary);
}

// Only for captures of this machine's running kernel (the condition kallsyms is used
// under), and when the capture names the vDSO's build id, only for that image.
std::unique_ptr<ElfBinary> Symbolizer::Impl::open_vdso(const std::string& build_id) {
  if (!options.use_kallsyms) return nullptr;
  if (!own_vdso_tried) {
    own_vdso_tried = true;
    own_vdso = OwnVdso::copy();
  }
  if (!own_vdso) return nullptr;
  if (!build_id.empty() && read_build_id(own_vdso->path()) != build_id) return nullptr;
  auto binary = ElfBinary::open(own_vdso->path());
  if (!binary) return nullptr;
  ++stats.binaries_opened;
  return std::move(*binary);
}

std::unique_ptr<ElfBinary> Symbolizer::Impl::open_binary(const std::string& filename,
                                                         const std::string& build_id) {
  if (filename == "[vdso]") return open_vdso(build_id);
  const bool pseudo = is_pseudo_file(filename);
  const bool file_exists = !pseudo && is_regular_file(filename);
  std::string file_build_id;
  if (file_exists) {
    file_build_id = read_build_id(filename);
    if (build_id.empty() || file_build_id == build_id) return try_open(filename);
  }

  // perf record saves each sampled binary in its build-id cache: the copy as it was then.
  if (!build_id.empty()) {
    std::string cached = build_id_cache_path(options.build_id_cache_dir, build_id);
    if (!cached.empty() && is_regular_file(cached)) {
      auto binary = try_open(cached);
      if (binary) ++stats.binaries_from_build_id_cache;
      return binary;
    }
  }

  if (file_exists) {
    ++stats.binaries_mismatched;
    warnings.push_back("binary " + filename + " changed since recording (build id " + build_id +
                       ", file has " + (file_build_id.empty() ? "none" : file_build_id) +
                       "); its frames keep raw addresses");
  } else if (!pseudo) {
    ++stats.binaries_missing;
    std::string where = build_id.empty()
                            ? std::string()
                            : " (build id " + build_id + ", not in the build-id cache " +
                                  options.build_id_cache_dir + " either)";
    warnings.push_back("binary " + filename + " not found" + where +
                       "; its frames keep raw addresses");
  }
  return nullptr;
}

Symbolizer::Impl::Binary& Symbolizer::Impl::binary_for(const process::Mapping& mapping) {
  auto it = binaries.find(BinaryKeyView{mapping.filename, mapping.build_id});
  if (it != binaries.end()) return it->second;
  Binary binary;
  binary.elf = open_binary(mapping.filename, mapping.build_id);
  return binaries.emplace(BinaryKey{mapping.filename, mapping.build_id}, std::move(binary))
      .first->second;
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

const Frames& Symbolizer::symbolize(const process::Mapping& mapping, uint64_t lookup_addr) {
  if (mapping.kernel) return symbolize_kernel(lookup_addr);
  if (lookup_addr < mapping.start) return kNoFrames;
  auto offset = checked_add(lookup_addr - mapping.start, mapping.pgoff);
  if (!offset) return kNoFrames;

  Impl::Binary& binary = impl_->binary_for(mapping);
  auto [it, inserted] = binary.by_offset.try_emplace(*offset);
  if (!inserted) return it->second;
  if (binary.elf) {
    if (auto vaddr = binary.elf->vaddr_of_file_offset(*offset)) {
      it->second = binary.elf->symbolize(*vaddr);
    }
  }
  return impl_->count(it->second);
}

ElfBinary* Symbolizer::binary(const process::Mapping& mapping) {
  if (mapping.kernel) return nullptr;
  return impl_->binary_for(mapping).elf.get();
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

const SymbolizerStats& Symbolizer::stats() const { return impl_->stats; }

}  // namespace spanprof::symbolize
