// Writes synthetic perf.data captures byte by byte (file mode and pipe mode), so
// the reader's tests need no perf. Layouts follow perf.data-file-format.txt and
// include/uapi/linux/perf_event.h; the builder shares no code with the reader.
#pragma once

#include <zstd.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spanprof::perfdata::testing {

using Bytes = std::vector<std::byte>;

namespace bits {
inline constexpr uint64_t kIp = 1 << 0, kTid = 1 << 1, kTime = 1 << 2, kAddr = 1 << 3,
                          kRead = 1 << 4, kCallchain = 1 << 5, kId = 1 << 6, kCpu = 1 << 7,
                          kPeriod = 1 << 8, kStreamId = 1 << 9, kRaw = 1 << 10,
                          kBranchStack = 1 << 11, kRegsUser = 1 << 12, kStackUser = 1 << 13,
                          kIdentifier = 1 << 16;
inline constexpr uint64_t kSampleIdAll = 1ULL << 18;
inline constexpr uint64_t kUseClockid = 1ULL << 25;
}  // namespace bits

inline Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

class ByteWriter {
 public:
  template <class T>
  ByteWriter& put(T value) {
    const auto* p = reinterpret_cast<const std::byte*>(&value);
    data.insert(data.end(), p, p + sizeof(T));
    return *this;
  }
  ByteWriter& u8(uint8_t v) { return put(v); }
  ByteWriter& u16(uint16_t v) { return put(v); }
  ByteWriter& u32(uint32_t v) { return put(v); }
  ByteWriter& u64(uint64_t v) { return put(v); }
  ByteWriter& raw(const Bytes& bytes) {
    data.insert(data.end(), bytes.begin(), bytes.end());
    return *this;
  }
  ByteWriter& zeros(size_t n) {
    data.insert(data.end(), n, std::byte{0});
    return *this;
  }
  // A NUL-terminated string padded with NULs to a multiple of 8.
  ByteWriter& padded_string(const std::string& s) {
    size_t len = (s.size() + 1 + 7) / 8 * 8;
    for (char c : s) u8(static_cast<uint8_t>(c));
    return zeros(len - s.size());
  }
  // header.c do_write_string: u32 padded length, then the padded bytes.
  ByteWriter& perf_string(const std::string& s) {
    u32(static_cast<uint32_t>((s.size() + 1 + 7) / 8 * 8));
    return padded_string(s);
  }
  void pad8() {
    while (data.size() % 8) data.push_back(std::byte{0});
  }
  void set_u64(size_t at, uint64_t v) { std::memcpy(data.data() + at, &v, 8); }
  void set_u16(size_t at, uint16_t v) { std::memcpy(data.data() + at, &v, 2); }
  Bytes data;
};

struct TestAttr {
  uint32_t type = 1;  // PERF_TYPE_SOFTWARE
  uint64_t config = 0;
  uint64_t sample_period = 4000;
  uint64_t sample_type = bits::kIp | bits::kTid | bits::kTime | bits::kPeriod;
  uint64_t read_format = 0;
  uint64_t flags = bits::kSampleIdAll;
  uint64_t branch_sample_type = 0;
  uint64_t sample_regs_user = 0;
  uint32_t sample_stack_user = 0;
  int32_t clockid = 0;
  uint32_t size = 128;  // PERF_ATTR_SIZE_VER7
  std::vector<uint64_t> ids;

  Bytes encode() const {
    ByteWriter w;
    w.u32(type).u32(size).u64(config).u64(sample_period).u64(sample_type).u64(read_format);
    w.u64(flags).zeros(72 - 48).u64(branch_sample_type).u64(sample_regs_user);
    w.u32(sample_stack_user).put<int32_t>(clockid);
    w.data.resize(size);  // a short attr (older ABI version) simply ends early
    return w.data;
  }
};

struct TestSampleId {
  uint32_t pid = 0, tid = 0;
  uint64_t time = 0, id = 0, stream_id = 0;
  uint32_t cpu = 0;
};

struct TestSample {
  uint16_t misc = 2;  // PERF_RECORD_MISC_USER
  uint64_t ip = 0;
  uint32_t pid = 0, tid = 0;
  uint64_t time = 0, addr = 0, id = 0, stream_id = 0;
  uint32_t cpu = 0;
  uint64_t period = 1;
  std::vector<uint64_t> read_words{};  // written as is for PERF_SAMPLE_READ
  std::vector<uint64_t> callchain{};
  Bytes raw{};  // PERF_SAMPLE_RAW payload; the builder pads u32 size + data to 8
  uint64_t branch_nr = 0;
  uint64_t regs_abi = 0;
  std::vector<uint64_t> regs{};
  Bytes stack{};
  uint64_t dyn_size = 0;
};

namespace detail {
inline void begin(ByteWriter& w, uint32_t type, uint16_t misc) { w.u32(type).u16(misc).u16(0); }
inline Bytes finish(ByteWriter& w) {
  w.pad8();
  w.set_u16(6, static_cast<uint16_t>(w.data.size()));
  return w.data;
}
inline void trailer(ByteWriter& w, const TestAttr& attr, const TestSampleId& sid) {
  if (!(attr.flags & bits::kSampleIdAll)) return;
  const uint64_t t = attr.sample_type;
  if (t & bits::kTid) w.u32(sid.pid).u32(sid.tid);
  if (t & bits::kTime) w.u64(sid.time);
  if (t & bits::kId) w.u64(sid.id);
  if (t & bits::kStreamId) w.u64(sid.stream_id);
  if (t & bits::kCpu) w.u32(sid.cpu).u32(0);
  if (t & bits::kIdentifier) w.u64(sid.id);
}
}  // namespace detail

inline Bytes sample_record(const TestAttr& attr, const TestSample& s) {
  ByteWriter w;
  detail::begin(w, 9, s.misc);
  const uint64_t t = attr.sample_type;
  if (t & bits::kIdentifier) w.u64(s.id);
  if (t & bits::kIp) w.u64(s.ip);
  if (t & bits::kTid) w.u32(s.pid).u32(s.tid);
  if (t & bits::kTime) w.u64(s.time);
  if (t & bits::kAddr) w.u64(s.addr);
  if (t & bits::kId) w.u64(s.id);
  if (t & bits::kStreamId) w.u64(s.stream_id);
  if (t & bits::kCpu) w.u32(s.cpu).u32(0);
  if (t & bits::kPeriod) w.u64(s.period);
  if (t & bits::kRead) {
    for (uint64_t v : s.read_words) w.u64(v);
  }
  if (t & bits::kCallchain) {
    w.u64(s.callchain.size());
    for (uint64_t v : s.callchain) w.u64(v);
  }
  if (t & bits::kRaw) {
    size_t padded = (4 + s.raw.size() + 7) / 8 * 8 - 4;
    w.u32(static_cast<uint32_t>(padded)).raw(s.raw).zeros(padded - s.raw.size());
  }
  if (t & bits::kBranchStack) {
    w.u64(s.branch_nr);
    if (attr.branch_sample_type & (1ULL << 17)) w.u64(7);  // hw_idx
    for (uint64_t i = 0; i < s.branch_nr; ++i) w.u64(0x1000 + i).u64(0x2000 + i).u64(0);
    if (attr.branch_sample_type & (1ULL << 19)) {
      for (uint64_t i = 0; i < s.branch_nr; ++i) w.u64(i);
    }
  }
  if (t & bits::kRegsUser) {
    w.u64(s.regs_abi);
    if (s.regs_abi != 0) {
      for (uint64_t v : s.regs) w.u64(v);
    }
  }
  if (t & bits::kStackUser) {
    w.u64(s.stack.size()).raw(s.stack);
    if (!s.stack.empty()) w.u64(s.dyn_size);
  }
  return detail::finish(w);
}

struct TestMmap {
  uint32_t pid = 0, tid = 0;
  uint64_t addr = 0, len = 0, pgoff = 0;
  uint32_t maj = 0, min = 0;
  uint64_t ino = 0;
  uint32_t prot = 5, flags = 2;
  std::optional<Bytes> build_id{};  // MMAP2 with PERF_RECORD_MISC_MMAP_BUILD_ID
  std::string filename{};
  uint16_t misc = 2;
};

inline Bytes mmap_record(const TestAttr& attr, const TestMmap& m, const TestSampleId& sid) {
  ByteWriter w;
  detail::begin(w, 1, m.misc);
  w.u32(m.pid).u32(m.tid).u64(m.addr).u64(m.len).u64(m.pgoff).padded_string(m.filename);
  detail::trailer(w, attr, sid);
  return detail::finish(w);
}

inline Bytes mmap2_record(const TestAttr& attr, const TestMmap& m, const TestSampleId& sid) {
  ByteWriter w;
  uint16_t misc = m.misc | (m.build_id ? uint16_t{1U << 14} : uint16_t{0});
  detail::begin(w, 10, misc);
  w.u32(m.pid).u32(m.tid).u64(m.addr).u64(m.len).u64(m.pgoff);
  if (m.build_id) {
    w.u8(static_cast<uint8_t>(m.build_id->size())).zeros(3).raw(*m.build_id);
    w.zeros(20 - m.build_id->size());
  } else {
    w.u32(m.maj).u32(m.min).u64(m.ino).u64(0);
  }
  w.u32(m.prot).u32(m.flags).padded_string(m.filename);
  detail::trailer(w, attr, sid);
  return detail::finish(w);
}

inline Bytes comm_record(const TestAttr& attr, uint32_t pid, uint32_t tid, const std::string& comm,
                         bool exec, const TestSampleId& sid) {
  ByteWriter w;
  detail::begin(w, 3, exec ? uint16_t{1U << 13} : uint16_t{0});
  w.u32(pid).u32(tid).padded_string(comm);
  detail::trailer(w, attr, sid);
  return detail::finish(w);
}

// FORK (7) and EXIT (4).
inline Bytes task_record(uint32_t type, const TestAttr& attr, uint32_t pid, uint32_t ppid,
                         uint32_t tid, uint32_t ptid, uint64_t time, const TestSampleId& sid) {
  ByteWriter w;
  detail::begin(w, type, 0);
  w.u32(pid).u32(ppid).u32(tid).u32(ptid).u64(time);
  detail::trailer(w, attr, sid);
  return detail::finish(w);
}

inline Bytes lost_record(const TestAttr& attr, uint64_t id, uint64_t lost, const TestSampleId& sid) {
  ByteWriter w;
  detail::begin(w, 2, 0);
  w.u64(id).u64(lost);
  detail::trailer(w, attr, sid);
  return detail::finish(w);
}

inline Bytes lost_samples_record(const TestAttr& attr, uint64_t lost, const TestSampleId& sid) {
  ByteWriter w;
  detail::begin(w, 13, 0);
  w.u64(lost);
  detail::trailer(w, attr, sid);
  return detail::finish(w);
}

// SWITCH (14), or SWITCH_CPU_WIDE (15) with next_prev_pid/tid; misc bit 13 = out,
// bit 14 = preempted.
inline Bytes switch_record(const TestAttr& attr, bool out, bool preempt, const TestSampleId& sid,
                           bool cpu_wide = false, uint32_t next_prev_pid = 0,
                           uint32_t next_prev_tid = 0) {
  ByteWriter w;
  const uint16_t misc = static_cast<uint16_t>((out ? 1U << 13 : 0U) | (preempt ? 1U << 14 : 0U));
  detail::begin(w, cpu_wide ? 15 : 14, misc);
  if (cpu_wide) w.u32(next_prev_pid).u32(next_prev_tid);
  detail::trailer(w, attr, sid);
  return detail::finish(w);
}

inline Bytes finished_round_record() {
  ByteWriter w;
  detail::begin(w, 68, 0);
  return detail::finish(w);
}

// Any record type with a zero body of `body_size` bytes.
inline Bytes opaque_record(uint32_t type, size_t body_size) {
  ByteWriter w;
  detail::begin(w, type, 0);
  w.zeros(body_size);
  return detail::finish(w);
}

// PERF_RECORD_AUXTRACE (71) and the `payload` that follows it outside header.size
// (struct perf_record_auxtrace: u64 size, offset, reference, u32 idx, tid, cpu, reserved).
// perf pads the AUX data to 8 bytes and counts the padding in `size`.
inline Bytes auxtrace_record(const Bytes& payload, uint32_t cpu = 0, uint32_t tid = 0) {
  ByteWriter w;
  detail::begin(w, 71, 0);
  w.u64(payload.size()).u64(0).u64(0x5eed).u32(0).u32(tid).u32(cpu).u32(0);
  Bytes record = detail::finish(w);
  record.insert(record.end(), payload.begin(), payload.end());
  return record;
}

// PERF_RECORD_AUX (11): u64 aux_offset, aux_size, flags, then the sample_id trailer.
inline Bytes aux_record(const TestAttr& attr, uint64_t aux_size, const TestSampleId& sid) {
  ByteWriter w;
  detail::begin(w, 11, 0);
  w.u64(0).u64(aux_size).u64(0);
  detail::trailer(w, attr, sid);
  return detail::finish(w);
}

// PERF_RECORD_EVENT_UPDATE (78): u64 type (1 unit, 2 name, 3 scale), u64 id, then
// the type's payload (a NUL-terminated string for unit and name).
inline Bytes event_update_record(uint64_t kind, uint64_t id, const std::string& text) {
  ByteWriter w;
  detail::begin(w, 78, 0);
  w.u64(kind).u64(id).padded_string(text);
  return detail::finish(w);
}

inline Bytes concat(const std::vector<Bytes>& parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Compresses `inner` (concatenated records) with ONE zstd stream as perf record -z
// does, cut into COMPRESSED (81) or COMPRESSED2 (83) records at `cuts` (byte
// positions in `inner`, which may fall inside a record).
inline std::vector<Bytes> compressed_records(const Bytes& inner, std::vector<size_t> cuts,
                                             bool compressed2) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::vector<Bytes> out;
  cuts.push_back(inner.size());
  size_t start = 0;
  for (size_t cut : cuts) {
    Bytes frame(ZSTD_compressBound(cut - start) + 64);
    ZSTD_inBuffer in{inner.data() + start, cut - start, 0};
    ZSTD_outBuffer o{frame.data(), frame.size(), 0};
    size_t left = 0;
    do {
      left = ZSTD_compressStream2(cctx, &o, &in, ZSTD_e_flush);
    } while (left != 0 && !ZSTD_isError(left));
    frame.resize(o.pos);
    ByteWriter w;
    detail::begin(w, compressed2 ? 83 : 81, 0);
    if (compressed2) w.u64(frame.size());
    w.raw(frame);
    if (compressed2) {
      out.push_back(detail::finish(w));
    } else {
      // perf (6.1 checked) writes COMPRESSED (81) unpadded: header.size is exact.
      w.set_u16(6, static_cast<uint16_t>(w.data.size()));
      out.push_back(w.data);
    }
    start = cut;
  }
  ZSTD_freeCCtx(cctx);
  return out;
}

// TRACING_DATA as perf's trace-event-info.c writes it (version 0.6, little-endian,
// 8-byte long): header_page, header_event, no ftrace formats, then per system its
// name and its events' format texts; an empty kallsyms, printk and cmdlines tail.
struct TestEventSystem {
  std::string name;
  std::vector<std::string> formats;
};
inline Bytes tracing_data(const std::vector<TestEventSystem>& systems) {
  ByteWriter w;
  for (char c : std::string("\x17\x08\x44tracing0.6")) w.u8(static_cast<uint8_t>(c));
  w.u8(0).u8(0).u8(8).u32(4096);
  const std::string page = "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n";
  const std::string event = "# compressed entry header\n\ttype_len    :    5 bits\n";
  for (const auto& [tag, text] : {std::pair{std::string("header_page"), page},
                                  std::pair{std::string("header_event"), event}}) {
    for (char c : tag) w.u8(static_cast<uint8_t>(c));
    w.u8(0).u64(text.size());
    for (char c : text) w.u8(static_cast<uint8_t>(c));
  }
  w.u32(0);  // ftrace formats
  w.u32(static_cast<uint32_t>(systems.size()));
  for (const auto& system : systems) {
    for (char c : system.name) w.u8(static_cast<uint8_t>(c));
    w.u8(0).u32(static_cast<uint32_t>(system.formats.size()));
    for (const auto& text : system.formats) {
      w.u64(text.size());
      for (char c : text) w.u8(static_cast<uint8_t>(c));
    }
  }
  w.u32(0).u32(0).u64(0);  // kallsyms, printk, saved cmdlines
  return w.data;
}

// Pipe mode's HEADER_TRACING_DATA (66): header, u32 size (padded to 8, as perf
// counts it), u32 pad; then the data and its padding outside header.size.
inline Bytes tracing_data_record(const Bytes& data) {
  ByteWriter w;
  const size_t padded = (data.size() + 7) / 8 * 8;
  w.u32(66).u16(0).u16(16).u32(static_cast<uint32_t>(padded)).u32(0);
  w.raw(data).zeros(padded - data.size());
  return w.data;
}

// Feature payloads.
namespace feature {
inline Bytes string(const std::string& s) { return ByteWriter().perf_string(s).data; }
inline Bytes clock_data(uint32_t clockid, uint64_t tod_ns, uint64_t clockid_ns) {
  return ByteWriter().u32(1).u32(clockid).u64(tod_ns).u64(clockid_ns).data;
}
inline Bytes sample_time(uint64_t first, uint64_t last) { return ByteWriter().u64(first).u64(last).data; }
inline Bytes clockid_res(uint64_t res) { return ByteWriter().u64(res).data; }
inline Bytes cmdline(const std::vector<std::string>& args) {
  ByteWriter w;
  w.u32(static_cast<uint32_t>(args.size()));
  for (const auto& a : args) w.perf_string(a);
  return w.data;
}
// One build_id_event (also pipe mode's HEADER_BUILD_ID record, type 67).
inline Bytes build_id_event(int32_t pid, const Bytes& id, const std::string& filename,
                            bool with_size) {
  ByteWriter w;
  detail::begin(w, 67, static_cast<uint16_t>(1 | (with_size ? (1U << 15) : 0)));
  w.put<int32_t>(pid).raw(id).zeros(20 - id.size());
  w.u8(with_size ? static_cast<uint8_t>(id.size()) : 0).zeros(3);
  w.padded_string(filename);
  return detail::finish(w);
}
inline Bytes event_desc(const std::vector<TestAttr>& attrs, const std::vector<std::string>& names) {
  ByteWriter w;
  w.u32(static_cast<uint32_t>(attrs.size())).u32(attrs.empty() ? 128 : attrs[0].size);
  for (size_t i = 0; i < attrs.size(); ++i) {
    w.raw(attrs[i].encode()).u32(static_cast<uint32_t>(attrs[i].ids.size())).perf_string(names[i]);
    for (uint64_t id : attrs[i].ids) w.u64(id);
  }
  return w.data;
}
}  // namespace feature

class PerfDataBuilder {
 public:
  PerfDataBuilder& attr(TestAttr a) {
    attrs_.push_back(std::move(a));
    return *this;
  }
  PerfDataBuilder& record(Bytes r) {
    records_.push_back(std::move(r));
    return *this;
  }
  PerfDataBuilder& records(const std::vector<Bytes>& rs) {
    for (const auto& r : rs) records_.push_back(r);
    return *this;
  }
  PerfDataBuilder& feature(uint32_t bit, Bytes payload) {
    features_[bit] = std::move(payload);
    return *this;
  }
  // Pipe mode only: raw bytes placed right after the records so far (e.g. tracing data).
  PerfDataBuilder& pipe_header_record(Bytes r) {
    pipe_header_records_.push_back(std::move(r));
    return *this;
  }
  const TestAttr& attr_at(size_t i) const { return attrs_[i]; }

  // File mode. `finished` false writes data.size = 0 as a killed perf record leaves it.
  Bytes file_bytes(bool finished = true) const {
    const uint64_t attr_entry = 128 + 16;
    const uint64_t attrs_offset = 104;
    uint64_t ids_offset = attrs_offset + attr_entry * attrs_.size();
    uint64_t ids_size = 0;
    for (const auto& a : attrs_) ids_size += 8 * a.ids.size();
    const Bytes data = concat(records_);
    const uint64_t data_offset = ids_offset + ids_size;

    ByteWriter w;
    w.u64(0x32454c4946524550ULL).u64(104).u64(attr_entry);
    w.u64(attrs_offset).u64(attr_entry * attrs_.size());
    w.u64(data_offset).u64(finished ? data.size() : 0);
    w.u64(0).u64(0);
    uint64_t bitmap[4] = {0, 0, 0, 0};
    if (finished) {
      for (const auto& [bit, payload] : features_) bitmap[bit / 64] |= 1ULL << (bit % 64);
    }
    for (uint64_t word : bitmap) w.u64(word);
    uint64_t next_ids = ids_offset;
    for (const auto& a : attrs_) {
      Bytes enc = a.encode();
      enc.resize(128);
      w.raw(enc).u64(next_ids).u64(8 * a.ids.size());
      next_ids += 8 * a.ids.size();
    }
    for (const auto& a : attrs_) {
      for (uint64_t id : a.ids) w.u64(id);
    }
    w.raw(data);
    if (!finished) return w.data;
    uint64_t payload_offset = w.data.size() + 16 * features_.size();
    for (const auto& [bit, payload] : features_) {
      w.u64(payload_offset).u64(payload.size());
      payload_offset += payload.size();
    }
    for (const auto& [bit, payload] : features_) w.raw(payload);
    return w.data;
  }

  Bytes pipe_bytes() const {
    ByteWriter w;
    w.u64(0x32454c4946524550ULL).u64(16);
    for (const auto& a : attrs_) {
      ByteWriter r;
      detail::begin(r, 64, 0);
      r.raw(a.encode());
      for (uint64_t id : a.ids) r.u64(id);
      w.raw(detail::finish(r));
    }
    for (const auto& [bit, payload] : features_) {
      ByteWriter r;
      detail::begin(r, 80, 0);
      r.u64(bit).raw(payload);
      w.raw(detail::finish(r));
    }
    for (const auto& r : pipe_header_records_) w.raw(r);
    w.raw(concat(records_));
    return w.data;
  }

 private:
  std::vector<TestAttr> attrs_;
  std::vector<Bytes> records_;
  std::vector<Bytes> pipe_header_records_;
  std::map<uint32_t, Bytes> features_;
};

inline void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace spanprof::perfdata::testing
