// Threads and address spaces over time, rebuilt from MMAP/COMM/FORK/EXIT records.
//
// Takes: records in time order. Gives: for a (pid, address) the mapping that
// covered it at that moment, and each thread's name.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "perfdata/records.h"

namespace spanprof::process {

// One mapped region of a file (or of anonymous/JIT memory) in a process.
// Immutable once created and shared between processes after fork, so its
// address is a stable identity for caches.
struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;    // exclusive
  uint64_t pgoff = 0;  // file offset of start
  std::string filename;
  std::string build_id;  // lowercase hex, from the MMAP2 record or the BUILD_ID feature
  bool kernel = false;   // kernel text or a kernel module
  bool executable = true;  // prot & PROT_EXEC (true for MMAP without prot)
};

struct ProcessTableStats {
  uint64_t mmaps = 0;
  uint64_t forks = 0;
  uint64_t execs = 0;
  uint64_t exits = 0;
};

class ProcessTable {
 public:
  // build_ids from the capture's BUILD_ID feature, used when MMAP records carry none.
  explicit ProcessTable(const std::vector<perfdata::BuildIdEntry>& build_ids = {});
  // Mapping pointers handed out point into the table: copying would leave them aimed at the
  // original. Moving keeps them valid.
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;
  ProcessTable(ProcessTable&&) = default;
  ProcessTable& operator=(ProcessTable&&) = default;

  void on_mmap(const perfdata::Mmap& mmap);
  void on_comm(const perfdata::Comm& comm);
  void on_fork(const perfdata::TaskEvent& fork);
  void on_exit(const perfdata::TaskEvent& exit);

  // The user-space mapping of pid that contains addr, or nullptr.
  const Mapping* find_user_mapping(uint32_t pid, uint64_t addr) const;
  // The kernel (or module) mapping containing addr, or nullptr.
  const Mapping* find_kernel_mapping(uint64_t addr) const;

  // Thread name (comm) of tid, or "" when never named.
  std::string_view thread_name(uint32_t tid) const;

  const ProcessTableStats& stats() const { return stats_; }

 private:
  // By start. Entries point into all_mappings_, so copying a space on fork copies pointers.
  using AddressSpace = std::map<uint64_t, const Mapping*>;

  struct Process {
    AddressSpace mappings;
    std::unordered_set<uint32_t> threads;  // live threads seen in COMM/FORK records
  };

  const Mapping* add_mapping(Mapping mapping);
  void insert_mapping(AddressSpace& space, const Mapping* mapping);
  static const Mapping* find_in(const AddressSpace& space, uint64_t addr);
  std::string build_id_for(std::string_view filename) const;

  // Every Mapping ever created, kept for the table's lifetime (bounded by the MMAP records):
  // pointers handed out stay valid and never name two different mappings.
  std::deque<Mapping> all_mappings_;
  std::unordered_map<uint32_t, Process> processes_;
  std::unordered_map<uint32_t, std::string> thread_names_;
  AddressSpace kernel_;
  std::unordered_map<std::string, std::string> build_id_by_file_;
  ProcessTableStats stats_;
};

}  // namespace spanprof::process
