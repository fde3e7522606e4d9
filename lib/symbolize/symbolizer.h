// Symbolization with elfutils libdwfl, plus kallsyms and perf JIT maps.
//
// Takes: a Mapping and an address in the process. Gives: its frames, inlined
// callers included. One libdwfl module per distinct binary, shared by every
// process that maps it; results are cached per (binary, file address), so cost
// grows with unique addresses, not with samples.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "perfdata/capture_info.h"
#include "process/process_table.h"
#include "symbolize/frame.h"

namespace spanprof::symbolize {

class ElfBinary;

struct SymbolizerOptions {
  bool use_kallsyms = true;         // only when the capture is from this machine's running kernel
  bool debuginfod = false;          // let libdwfl ask debuginfod servers (network)
  std::string build_id_cache_dir;   // perf's cache, default $HOME/.debug
  std::string kallsyms_path = "/proc/kallsyms";
  std::string perf_map_dir = "/tmp";  // where /tmp/perf-PID.map files live
};

struct SymbolizerStats {
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
  Symbolizer(const perfdata::CaptureInfo& capture, SymbolizerOptions options);
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Frames for addr (a process address) inside mapping. lookup_addr is the
  // address to look up: the IP for the interrupted frame, ip-1 for return addresses.
  const Frames& symbolize(const process::Mapping& mapping, uint64_t lookup_addr);

  // The binary behind a file mapping, opened (and checked against its build id) as for
  // symbolize(); null when it is missing, changed or not a file. For unwinding.
  ElfBinary* binary(const process::Mapping& mapping);

  // Kernel address, via kallsyms (when allowed).
  const Frames& symbolize_kernel(uint64_t lookup_addr);

  // Address of pid outside any file mapping: looked up in perf-PID.map.
  const Frames& symbolize_jit(uint32_t pid, uint64_t lookup_addr);

  // Warnings worth one line each (binary changed since recording, missing files).
  const std::vector<std::string>& warnings() const;

  const SymbolizerStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spanprof::symbolize
