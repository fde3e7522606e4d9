// Shared helpers for the perfdata tests: a handler that copies what it receives,
// temp files and a one-call read.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "perf_data_builder.h"
#include "perfdata/reader.h"

namespace spanprof::perfdata::testing {

struct SeenSample {
  std::string attr_name;
  size_t attr_index = 0;
  uint64_t ip, time, id, period;
  uint32_t pid, tid, cpu;
  std::vector<uint64_t> callchain;
  uint64_t regs_abi;
  std::vector<uint64_t> regs_user;
  Bytes stack_user;
  uint64_t dyn_size;
  Bytes raw;
};

struct SeenMmap {
  Mmap mmap;  // views cleared
  std::string filename;
  Bytes build_id;
};

class Collector : public RecordHandler {
 public:
  explicit Collector(const CaptureInfo* info = nullptr) : info_(info) {}
  void on_sample(const Sample& s) override {
    SeenSample seen{};
    seen.attr_name = s.attr ? s.attr->name : "";
    seen.attr_index = s.attr_index;
    if (info_ && s.attr) {
      EXPECT_EQ(s.attr, &info_->attrs.at(s.attr_index)) << "attr and attr_index disagree";
    }
    seen.ip = s.ip;
    seen.time = s.time;
    seen.id = s.id;
    seen.period = s.period;
    seen.pid = s.pid;
    seen.tid = s.tid;
    seen.cpu = s.cpu;
    seen.callchain.assign(s.callchain.begin(), s.callchain.end());
    seen.regs_abi = s.regs_abi;
    seen.regs_user.assign(s.regs_user.begin(), s.regs_user.end());
    seen.stack_user.assign(s.stack_user.begin(), s.stack_user.end());
    seen.dyn_size = s.stack_user_dyn_size;
    seen.raw.assign(s.raw.begin(), s.raw.end());
    samples.push_back(seen);
    order.push_back({"sample", s.time});
  }
  void on_mmap(const Mmap& m) override {
    SeenMmap seen{m, std::string(m.filename), Bytes(m.build_id.begin(), m.build_id.end())};
    seen.mmap.filename = {};
    seen.mmap.build_id = {};
    mmaps.push_back(seen);
    order.push_back({"mmap", m.sample_id.time});
  }
  void on_comm(const Comm& c) override {
    comms.push_back({c.pid, c.tid, c.exec, std::string(c.comm), c.sample_id.time});
    order.push_back({"comm", c.sample_id.time});
  }
  void on_fork(const TaskEvent& t) override {
    forks.push_back(t);
    order.push_back({"fork", t.sample_id.time});
  }
  void on_exit(const TaskEvent& t) override {
    exits.push_back(t);
    order.push_back({"exit", t.sample_id.time});
  }
  void on_switch(const Switch& s) override {
    switches.push_back(s);
    order.push_back({s.out ? "switch-out" : "switch-in", s.sample_id.time});
  }
  void on_lost(const Lost& l) override { lost.push_back(l); }
  void on_lost_samples(const Lost& l) override { lost_samples.push_back(l); }

  struct SeenComm {
    uint32_t pid, tid;
    bool exec;
    std::string comm;
    uint64_t time;
  };
  struct Event {
    std::string kind;
    uint64_t time;
  };
  std::vector<SeenSample> samples;
  std::vector<SeenMmap> mmaps;
  std::vector<SeenComm> comms;
  std::vector<TaskEvent> forks, exits;
  std::vector<Lost> lost, lost_samples;
  std::vector<Switch> switches;
  std::vector<Event> order;

 private:
  const CaptureInfo* info_;
};

inline std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "spanprof_perfdata_" + name;
}

struct ReadOutcome {
  std::unique_ptr<Reader> reader;
  std::unique_ptr<Collector> seen;
  ReadStats stats;
};

// Writes `bytes` to a temp file and reads every record; fails the test on an open error.
inline ReadOutcome read_bytes(const Bytes& bytes, const std::string& name) {
  std::string path = temp_path(name);
  write_file(path, bytes);
  ReadOutcome out;
  auto reader = Reader::open(path);
  EXPECT_TRUE(reader.has_value()) << (reader ? "" : reader.error().to_string());
  if (!reader) return out;
  out.reader = std::move(*reader);
  out.seen = std::make_unique<Collector>(&out.reader->info());
  auto stats = out.reader->read_records(*out.seen);
  EXPECT_TRUE(stats.has_value());
  if (stats) out.stats = *stats;
  return out;
}


}  // namespace spanprof::perfdata::testing
