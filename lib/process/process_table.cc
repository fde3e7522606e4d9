#include "process/process_table.h"

#include <sys/mman.h>

#include <iterator>
#include <limits>
#include <utility>

#include "common/byte_reader.h"
#include "perfdata/perf_abi.h"

namespace spanprof::process {
namespace {

// perf synthesizes kernel maps with pid -1.
constexpr uint32_t kKernelPid = std::numeric_limits<uint32_t>::max();
// The kernel text map is "[kernel.kallsyms]_text"; the BUILD_ID feature names it "[kernel.kallsyms]".
constexpr std::string_view kKernelMapPrefix = "[kernel.kallsyms]";

std::string to_hex(std::span<const std::byte> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    auto value = std::to_integer<unsigned>(b);
    hex.push_back(kDigits[value >> 4]);
    hex.push_back(kDigits[value & 15]);
  }
  return hex;
}

bool is_kernel_mmap(const perfdata::Mmap& mmap) {
  auto mode = perfdata::cpu_mode_of(mmap.misc);
  return mode == perfdata::CpuMode::kKernel || mode == perfdata::CpuMode::kGuestKernel ||
         mmap.pid == kKernelPid;
}

}  // namespace

ProcessTable::ProcessTable(const std::vector<perfdata::BuildIdEntry>& build_ids) {
  for (const auto& entry : build_ids) {
    // The first entry wins: later ones for the same path are rare (file replaced while recording).
    build_id_by_file_.try_emplace(entry.filename, entry.build_id);
  }
}

const Mapping* ProcessTable::add_mapping(Mapping mapping) {
  all_mappings_.push_back(std::move(mapping));
  return &all_mappings_.back();
}

void ProcessTable::on_mmap(const perfdata::Mmap& mmap) {
  ++stats_.mmaps;
  if (mmap.len == 0) return;

  Mapping mapping;
  mapping.start = mmap.addr;
  // perf writes len = ~0 - start for the kernel map; clamp instead of wrapping.
  mapping.end = checked_add(mmap.addr, mmap.len).value_or(std::numeric_limits<uint64_t>::max());
  mapping.pgoff = mmap.pgoff;
  mapping.filename = std::string(mmap.filename);
  mapping.kernel = is_kernel_mmap(mmap);
  // MMAP records are only written for executable maps; MMAP2 says so in prot.
  mapping.executable = mmap.is_mmap2 ? (mmap.prot & PROT_EXEC) != 0 : true;
  if (mmap.is_mmap2 && (mmap.misc & perfdata::abi::kMiscMmapBuildId) && !mmap.build_id.empty()) {
    mapping.build_id = to_hex(mmap.build_id);
  } else {
    mapping.build_id = build_id_for(mapping.filename);
  }

  const Mapping* added = add_mapping(std::move(mapping));
  if (added->kernel) {
    insert_mapping(kernel_, added);
  } else {
    insert_mapping(processes_[mmap.pid].mappings, added);
  }
}

void ProcessTable::on_comm(const perfdata::Comm& comm) {
  thread_names_[comm.tid] = std::string(comm.comm);
  Process& process = processes_[comm.pid];
  process.threads.insert(comm.tid);
  if (comm.exec) {
    ++stats_.execs;
    // exec replaces the address space; the kernel emits this COMM before the new image's MMAPs.
    process.mappings.clear();
  }
}

void ProcessTable::on_fork(const perfdata::TaskEvent& fork) {
  ++stats_.forks;
  if (auto parent_name = thread_names_.find(fork.ptid); parent_name != thread_names_.end()) {
    std::string name = parent_name->second;  // copy first: the insert below may rehash
    thread_names_[fork.tid] = std::move(name);
  }

  if (fork.pid != fork.ppid) {
    // A new process starts with a copy of its parent's address space. Mappings are
    // immutable and shared, so this copies pointers only.
    Process child;
    if (auto parent = processes_.find(fork.ppid); parent != processes_.end()) {
      child.mappings = parent->second.mappings;
    }
    child.threads.insert(fork.tid);
    processes_[fork.pid] = std::move(child);
  } else {
    processes_[fork.pid].threads.insert(fork.tid);
  }
}

void ProcessTable::on_exit(const perfdata::TaskEvent& exit) {
  ++stats_.exits;
  // Thread names stay: samples are attributed and printed after the thread is gone.
  auto it = processes_.find(exit.pid);
  if (it == processes_.end()) return;
  Process& process = it->second;
  bool was_known = process.threads.erase(exit.tid) > 0;
  // Free the address space once its last known thread is gone (or when the leader exits
  // and no thread was ever seen, e.g. a process that existed before recording started).
  if (process.threads.empty() && (was_known || exit.tid == exit.pid)) processes_.erase(it);
}

const Mapping* ProcessTable::find_in(const AddressSpace& space, uint64_t addr) {
  auto it = space.upper_bound(addr);
  if (it == space.begin()) return nullptr;
  --it;
  const Mapping* mapping = it->second;
  return addr < mapping->end ? mapping : nullptr;
}

const Mapping* ProcessTable::find_user_mapping(uint32_t pid, uint64_t addr) const {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return nullptr;
  return find_in(it->second.mappings, addr);
}

const Mapping* ProcessTable::find_kernel_mapping(uint64_t addr) const {
  return find_in(kernel_, addr);
}

std::string_view ProcessTable::thread_name(uint32_t tid) const {
  auto it = thread_names_.find(tid);
  return it == thread_names_.end() ? std::string_view() : std::string_view(it->second);
}

void ProcessTable::insert_mapping(AddressSpace& space, const Mapping* mapping) {
  const uint64_t start = mapping->start;
  const uint64_t end = mapping->end;

  // First mapping that may overlap [start, end): the one before start if it reaches past start.
  auto it = space.lower_bound(start);
  if (it != space.begin() && std::prev(it)->second->end > start) --it;

  // As mmap(2) does: the new range replaces what it covers; old maps keep their uncovered
  // head and tail, a kept tail starting further into the file.
  while (it != space.end() && it->second->start < end) {
    const Mapping* old = it->second;
    it = space.erase(it);
    if (old->start < start) {
      Mapping head = *old;
      head.end = start;
      const Mapping* kept = add_mapping(std::move(head));
      space.emplace(kept->start, kept);
    }
    if (old->end > end) {
      Mapping tail = *old;
      tail.start = end;
      tail.pgoff = old->pgoff + (end - old->start);
      const Mapping* kept = add_mapping(std::move(tail));
      it = space.emplace(kept->start, kept).first;
      ++it;
    }
  }
  space[start] = mapping;
}

std::string ProcessTable::build_id_for(std::string_view filename) const {
  std::string key(filename);
  if (filename.starts_with(kKernelMapPrefix)) key = std::string(kKernelMapPrefix);
  auto it = build_id_by_file_.find(key);
  return it == build_id_by_file_.end() ? std::string() : it->second;
}

}  // namespace spanprof::process
