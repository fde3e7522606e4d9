// Symbolization: libdwfl for binaries, kallsyms for the kernel, perf maps for JIT code.
//
// Takes: an address and what the earlier stages found for it: its mapping and the binary
// behind it (lib/binaries), or the kernel, or the pid of JIT code. Gives: its frames,
// inlined callers included. Results are cached per (binary, file offset), so cost grows
// with unique addresses, not with samples.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "binaries/binary_table.h"
#include "process/process_table.h"
#include "symbolize/frame.h"

namespace spanprof::symbolize {

struct SymbolizerOptions {
  bool use_kallsyms = true;         // only when the capture is from this machine's running kernel
  // For the binaries the symbolizer is handed (binaries::BinaryOptions, set up from these by
  // the join): whether libdwfl may ask debuginfod servers (network), and perf's build-id cache.
  bool debuginfod = false;
  std::string build_id_cache_dir;   // default $HOME/.debug
  std::string kallsyms_path = "/proc/kallsyms";
  std::string perf_map_dir = "/tmp";  // where /tmp/perf-PID.map files live
};

// The binaries options these symbolizer options ask for.
binaries::BinaryOptions binary_options(const SymbolizerOptions& options);

struct SymbolizerStats {
  // Of the binary table the symbolizer reads (binaries::BinaryStats), for the summary.
  uint64_t binaries_opened = 0;
  uint64_t binaries_missing = 0;       // file not found, not in the build-id cache either
  uint64_t binaries_mismatched = 0;    // file found but its build id differs: changed since recording
  uint64_t binaries_from_build_id_cache = 0;
  uint64_t addresses_symbolized = 0;   // unique addresses with at least a function name
  uint64_t addresses_unsymbolized = 0; // unique addresses left as raw addresses
  uint64_t inlined_frames = 0;
  uint64_t kernel_addresses = 0;
  uint64_t jit_addresses = 0;
  uint64_t perf_maps_missing = 0;  // processes with frames outside files but no perf-PID.map
  uint64_t perf_map_bad_lines = 0;     // malformed lines skipped in perf-PID.map files
};

class Symbolizer {
 public:
  // binaries: where the binaries handed to symbolize() come from; it outlives the symbolizer.
  Symbolizer(const binaries::BinaryTable& binaries, SymbolizerOptions options);
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Frames for lookup_addr (a process address) inside a file mapping whose binary is
  // binary. lookup_addr is the IP for the interrupted frame, ip-1 for return addresses.
  const Frames& symbolize(const process::Mapping& mapping, binaries::Binary& binary,
                          uint64_t lookup_addr);

  // Kernel address, via kallsyms (when allowed).
  const Frames& symbolize_kernel(uint64_t lookup_addr);

  // Address of pid outside any file mapping: looked up in perf-PID.map.
  const Frames& symbolize_jit(uint32_t pid, uint64_t lookup_addr);

  // Warnings worth one line each (no kernel symbols, malformed perf maps). Those about
  // binaries are the binary table's.
  const std::vector<std::string>& warnings() const;

  SymbolizerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spanprof::symbolize
