// Mapping -> binary: the file behind a file mapping, found and checked once.
//
// Takes: mappings of the process table. Gives: the Binary behind each, one per distinct
// (path, build id), shared by every process that maps it. The file is looked for at the
// mapping's path, then in perf's build-id cache (the copy `perf record` saved), and for
// [vdso] in this process (captures of the running kernel only); a file whose build id is
// not the recorded one is refused. Unwinding reads a binary's CFI, symbolization its DWARF.
// Every binary that cannot be used is counted and warned about once.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "binaries/elf_file.h"
#include "binaries/vdso.h"
#include "process/process_table.h"

namespace spanprof::binaries {

// Mappings without a file behind them, where JIT code lives (named by perf maps, never
// described by CFI): anonymous memory, memfd, heap, stack and perf's own map files.
bool is_jit_mapping(const process::Mapping& mapping);

struct BinaryOptions {
  std::string build_id_cache_dir;  // perf's cache; "" = $HOME/.debug
  bool own_vdso = false;           // the capture is of this machine's running kernel
  Debuginfod debuginfod = Debuginfod::kOff;
};

struct BinaryStats {
  uint64_t opened = 0;
  uint64_t missing = 0;     // file not found, not in the build-id cache either
  uint64_t mismatched = 0;  // file found but its build id differs: changed since recording
  uint64_t from_build_id_cache = 0;
};

struct Binary {
  std::string filename;  // as the mapping names it
  std::string build_id;  // as recorded, "" when the capture has none
  uint32_t index = 0;  // dense from 0 in the order first met: for later stages' per-binary tables
  std::unique_ptr<ElfFile> elf;  // null: missing, changed since recording, or not a file
};

class BinaryTable {
 public:
  explicit BinaryTable(BinaryOptions options);
  BinaryTable(const BinaryTable&) = delete;
  BinaryTable& operator=(const BinaryTable&) = delete;

  // The binary behind mapping, a user mapping that is no JIT mapping. The reference stays
  // valid while the table lives.
  Binary& binary_of(const process::Mapping& mapping);

  size_t size() const { return binaries_.size(); }
  const BinaryStats& stats() const { return stats_; }
  // One line per binary that cannot be used (missing, changed, unreadable).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  // A binary is identified by its path and build id: the same path with another build id
  // (rebuilt during recording, or a container's copy) is another binary.
  struct Key {
    std::string_view filename;
    std::string_view build_id;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& key) const;
  };

  std::unique_ptr<ElfFile> find_file(const std::string& filename, const std::string& build_id);
  std::unique_ptr<ElfFile> try_open(const std::string& path);
  std::unique_ptr<ElfFile> open_vdso(const std::string& build_id);

  BinaryOptions options_;
  // by_key_ views the binaries' own strings: the deque keeps them in place as it grows.
  std::deque<Binary> binaries_;
  std::unordered_map<Key, Binary*, KeyHash> by_key_;
  std::optional<OwnVdso> own_vdso_;  // copied on the first [vdso] mapping
  bool own_vdso_tried_ = false;
  std::vector<std::string> warnings_;
  BinaryStats stats_;
};

}  // namespace spanprof::binaries
