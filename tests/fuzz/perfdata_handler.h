// A RecordHandler that reads every field of every record, and the CaptureInfo,
// so a reader handing out views past its buffers shows up under ASan.
#pragma once

#include "fuzz_input.h"
#include "perfdata/reader.h"
#include "perfdata/tracepoint_fields.h"

namespace spanprof::fuzz {

class TouchEveryField final : public perfdata::RecordHandler {
 public:
  // With the capture's info, a tracepoint sample's fields are read out of its raw
  // record through the formats, as the join decodes sched_switch.
  explicit TouchEveryField(const perfdata::CaptureInfo* info = nullptr) : info_(info) {}

  void on_sample(const perfdata::Sample& s) override {
    if (s.attr != nullptr) touch(s.attr->sample_type);
    touch(s.misc, s.ip, s.pid, s.tid, s.time, s.has_time, s.id, s.cpu, s.period, s.regs_abi,
          s.stack_user_dyn_size, s.file_offset);
    sink.add_bytes(s.callchain);
    sink.add_bytes(s.regs_user);
    sink.add_bytes(s.stack_user);
    sink.add_bytes(s.raw);
    if (info_ == nullptr || s.attr == nullptr) return;
    for (const auto& format : info_->tracepoints) {
      if (format.id != s.attr->config) continue;
      for (const auto& field : format.fields) {
        touch(perfdata::read_unsigned_field(s.raw, field).value_or(1),
              perfdata::read_signed_field(s.raw, field).value_or(-1));
      }
    }
  }
  void on_switch(const perfdata::Switch& s) override {
    touch(s.out, s.preempt, s.cpu_wide, s.next_prev_pid, s.next_prev_tid);
    touch_id(s.sample_id);
  }
  void on_mmap(const perfdata::Mmap& m) override {
    touch(m.misc, m.is_mmap2, m.pid, m.tid, m.addr, m.len, m.pgoff, m.maj, m.min, m.ino, m.prot,
          m.flags);
    sink.add_bytes(m.build_id);
    sink.add_text(m.filename);
    touch_id(m.sample_id);
  }
  void on_comm(const perfdata::Comm& c) override {
    touch(c.pid, c.tid, c.exec);
    sink.add_text(c.comm);
    touch_id(c.sample_id);
  }
  void on_fork(const perfdata::TaskEvent& t) override { touch_task(t); }
  void on_exit(const perfdata::TaskEvent& t) override { touch_task(t); }
  void on_lost(const perfdata::Lost& l) override { touch_lost(l); }
  void on_lost_samples(const perfdata::Lost& l) override { touch_lost(l); }

  void touch_info(const perfdata::CaptureInfo& info) {
    touch(info.pipe_mode, info.file_size);
    for (const auto& attr : info.attrs) {
      touch(attr.type, attr.size, attr.config, attr.sample_type, attr.flags, attr.clockid);
      sink.add_bytes(std::span<const uint64_t>(attr.ids));
      sink.add_text(attr.name);
    }
    for (const auto& entry : info.build_ids) {
      touch(entry.pid, entry.misc);
      sink.add_text(entry.build_id);
      sink.add_text(entry.filename);
    }
    if (info.clock_data) touch(info.clock_data->tod_ns, info.clock_data->clockid_ns);
    sink.add_text(info.hostname);
    sink.add_text(info.os_release);
    sink.add_text(info.perf_version);
    for (const auto& arg : info.cmdline) sink.add_text(arg);
    for (const auto& warning : info.warnings) sink.add_text(warning);
    for (const auto& format : info.tracepoints) {
      sink.add_text(format.system);
      sink.add_text(format.name);
      touch(format.id);
      for (const auto& field : format.fields) {
        sink.add_text(field.name);
        touch(field.offset, field.size, field.is_signed);
      }
    }
  }

  Sink sink;

 private:
  const perfdata::CaptureInfo* info_;
  template <class... T>
  void touch(T... values) {
    (sink.add(static_cast<uint64_t>(values)), ...);
  }
  void touch_id(const perfdata::SampleId& id) {
    touch(id.pid, id.tid, id.time, id.has_time, id.id, id.cpu);
  }
  void touch_task(const perfdata::TaskEvent& t) {
    touch(t.pid, t.ppid, t.tid, t.ptid, t.time);
    touch_id(t.sample_id);
  }
  void touch_lost(const perfdata::Lost& l) {
    touch(l.id, l.lost);
    touch_id(l.sample_id);
  }
};

// Opens path, streams every record, and reads everything the reader reports.
inline void read_whole_capture(const std::string& path) {
  auto reader = perfdata::Reader::open(path);
  if (!reader) {
    TouchEveryField{}.sink.add_text(reader.error().to_string());
    return;
  }
  TouchEveryField handler(&(*reader)->info());
  auto stats = (*reader)->read_records(handler);
  handler.touch_info((*reader)->info());
  if (!stats) {
    handler.sink.add_text(stats.error().to_string());
    return;
  }
  handler.sink.add(stats->records + stats->samples + stats->bytes_read);
  if (stats->damage) handler.sink.add_text(stats->damage->to_string());
}

}  // namespace spanprof::fuzz
