#include "perfdata/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/byte_reader.h"
#include "perfdata/event_attr.h"
#include "perfdata/feature_parsers.h"
#include "perfdata/file_header.h"
#include "perfdata/ordered_queue.h"
#include "perfdata/perf_abi.h"
#include "perfdata/record_parsers.h"
#include "perfdata/record_stream.h"
#include "perfdata/tracing_data.h"

namespace spanprof::perfdata {
namespace {

class PerfDataReader final : public Reader {
 public:
  PerfDataReader(int fd, bool owns_fd) : fd_(fd), owns_fd_(owns_fd) {}
  ~PerfDataReader() override {
    if (owns_fd_) ::close(fd_);
  }
  PerfDataReader(const PerfDataReader&) = delete;
  PerfDataReader& operator=(const PerfDataReader&) = delete;

  const CaptureInfo& info() const override { return info_; }
  Result<ReadStats> read_records(RecordHandler& handler) override;

  int fd_;
  bool owns_fd_;
  CaptureInfo info_;
  uint64_t data_start_ = 0;
  std::optional<uint64_t> data_limit_;  // nullopt: read to the end of the file or pipe
  std::optional<Error> data_note_;      // said in ReadStats::damage (data.size == 0 case)
  bool map_data_ = false;               // a finished file-mode capture opened by path
  bool records_read_ = false;

  // Pipe mode: reads the records that open the stream (HEADER_ATTR, HEADER_FEATURE,
  // ...) up to the first record to be time-ordered, which is kept for read_records().
  // info() is then as complete after open() as in file mode, where the header
  // holds the same facts (perf writes them first: header.c perf_event__synthesize_for_pipe).
  void read_pipe_header();

 private:
  void on_stream_record(const RawRecord& record, RecordStream& stream, OrderedQueue& queue,
                        ReadStats& stats);
  // Records that describe the capture or are skipped: used as they are framed,
  // never queued (every user type except FINISHED_ROUND).
  void on_unordered_record(const RawRecord& record, RecordStream& stream, ReadStats& stats);
  void add_pipe_attr(const RawRecord& record, ReadStats& stats);
  void read_pipe_tracing_data(const RawRecord& record, RecordStream& stream, ReadStats& stats);
  void dispatch(const QueuedRecord& record, RecordHandler& handler, ReadStats& stats);
  const EventAttr& layout_attr(std::span<const std::byte> record) const;

  AttrIndex index_;
  std::unique_ptr<RecordStream> stream_;  // pipe mode: opened by read_pipe_header()
  ReadStats header_stats_;                // what read_pipe_header() counted
  std::vector<std::byte> first_record_;   // the record read_pipe_header() stopped at
  RawRecord first_record_frame_;          // its type, misc and offset (bytes: first_record_)
  SampleBuffers sample_buffers_;
  uint64_t undecodable_samples_ = 0;
  uint64_t first_undecodable_sample_ = 0;  // its byte offset
};

const EventAttr kNoAttr{};
// Tracing data of a few hundred events is well under 1 MiB (sched_switch alone:
// 6 KB); a larger claim is skipped rather than held in memory.
constexpr uint64_t kMaxTracingData = 64 << 20;

std::string fmt_hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

OrderedQueue::Hold hold_of(const RawRecord& record) {
  return record.mapped ? OrderedQueue::Hold::kView : OrderedQueue::Hold::kCopy;
}

const EventAttr& PerfDataReader::layout_attr(std::span<const std::byte> record) const {
  auto index = index_.for_non_sample(record);
  return index ? info_.attrs[*index] : kNoAttr;
}

void PerfDataReader::add_pipe_attr(const RawRecord& record, ReadStats& stats) {
  // HEADER_ATTR: the attr of its own size (byte 4), then u64 ids to the end.
  ByteReader in(record.bytes, record.file_offset);
  in.skip(abi::kRecordHeaderSize);
  ByteReader peek = in;
  peek.skip(abi::attr_offset::kSize);
  uint32_t attr_size = peek.u32();
  if (attr_size == 0) attr_size = abi::kAttrSizeVer0;
  if (!peek.ok() || attr_size > in.remaining()) {
    ++stats.undecodable_records;
    return;
  }
  EventAttr attr = parse_event_attr(in.bytes(attr_size));
  while (in.remaining() >= 8) attr.ids.push_back(in.u64());
  name_tracepoint_attr(attr, info_.tracepoints);
  info_.attrs.push_back(std::move(attr));
  index_.add_last(info_.attrs);
}

void PerfDataReader::read_pipe_tracing_data(const RawRecord& record, RecordStream& stream,
                                            ReadStats& stats) {
  // struct perf_record_header_tracing_data: header, u32 size, u32 pad; `size` bytes
  // of tracing data (perf pads them to 8 and counts the padding) follow the record
  // outside header.size.
  ByteReader in(record.bytes);
  in.skip(abi::kRecordHeaderSize);
  const uint32_t size = in.u32();
  if (!in.ok()) {
    ++stats.undecodable_records;
    return;
  }
  const uint64_t payload_offset = record.file_offset + record.bytes.size();
  const std::string where = "perf.data byte offset " + std::to_string(payload_offset);
  const char* hint = "tracepoint fields are not decoded (off-CPU thread states unknown)";
  const bool keep = size <= kMaxTracingData;
  std::vector<std::byte> payload;
  if (!stream.skip_payload(abi::align8(size), "HEADER_TRACING_DATA", keep ? &payload : nullptr)) {
    return;  // the stream's damage says where it ended
  }
  if (!keep) {
    info_.warnings.push_back(Error{"HEADER_TRACING_DATA claims " + std::to_string(size) +
                                       " bytes, over the " + std::to_string(kMaxTracingData >> 20) +
                                       " MiB spanprof reads; skipped",
                                   where, hint}
                                 .to_string());
    return;
  }
  if (payload.size() < size) {
    info_.warnings.push_back(Error{"HEADER_TRACING_DATA continues past a compressed record; skipped",
                                   where, hint}
                                 .to_string());
    return;
  }
  auto formats = parse_tracing_data(std::span<const std::byte>(payload).first(size), payload_offset);
  if (!formats) {
    info_.warnings.push_back(formats.error().to_string());
    return;
  }
  info_.tracepoints = std::move(*formats);
  name_tracepoint_attrs(info_);
}

void PerfDataReader::on_stream_record(const RawRecord& record, RecordStream& stream,
                                      OrderedQueue& queue, ReadStats& stats) {
  ++stats.records;
  switch (record.type) {
    case abi::kSample: {
      auto index = index_.for_sample(record.bytes);
      uint64_t time = index ? sample_record_time(record.bytes, info_.attrs[*index]) : 0;
      queue.push(time, record.bytes, record.file_offset, hold_of(record));
      return;
    }
    case abi::kMmap:
    case abi::kMmap2:
    case abi::kComm:
    case abi::kFork:
    case abi::kExit:
    case abi::kLost:
    case abi::kLostSamples:
    case abi::kSwitch:
    case abi::kSwitchCpuWide:
      queue.push(non_sample_record_time(record.bytes, layout_attr(record.bytes)), record.bytes,
                 record.file_offset, hold_of(record));
      return;
    case abi::kFinishedRound:
      queue.finished_round();
      return;
    default:
      on_unordered_record(record, stream, stats);
      return;
  }
}

void PerfDataReader::on_unordered_record(const RawRecord& record, RecordStream& stream,
                                         ReadStats& stats) {
  switch (record.type) {
    case abi::kHeaderAttr:
      add_pipe_attr(record, stats);
      return;
    case abi::kHeaderFeature: {
      // HEADER_FEATURE: header, u64 feature id, the feature's payload.
      ByteReader in(record.bytes, record.file_offset);
      in.skip(abi::kRecordHeaderSize);
      uint64_t feature = in.u64();
      if (!in.ok() || feature >= abi::kFeatureBits) {
        ++stats.undecodable_records;
        return;
      }
      uint64_t payload_offset = in.file_offset();
      auto parsed = parse_feature(static_cast<uint32_t>(feature), in.bytes(in.remaining()),
                                  payload_offset, info_);
      if (!parsed) info_.warnings.push_back(parsed.error().to_string());
      return;
    }
    case abi::kHeaderBuildId: {
      auto entry = parse_build_id_event(record.bytes, record.file_offset);
      if (entry) {
        info_.build_ids.push_back(std::move(*entry));
      } else {
        ++stats.undecodable_records;
      }
      return;
    }
    case abi::kHeaderTracingData:
      read_pipe_tracing_data(record, stream, stats);
      return;
    case abi::kEventUpdate: {
      // Pipe mode names its events here (file mode: EVENT_DESC). Other kinds carry
      // a unit, a scale or cpus, which spanprof does not use.
      ByteReader in(record.bytes, record.file_offset);
      in.skip(abi::kRecordHeaderSize);
      const uint64_t kind = in.u64();
      const uint64_t id = in.u64();
      auto index = in.ok() && kind == abi::kEventUpdateName ? index_.by_id(id) : std::nullopt;
      if (!index) {
        ++stats.skipped_records;
        ++stats.skipped_by_type[record.type];
        return;
      }
      info_.attrs[*index].name = std::string(in.rest_as_string());
      return;
    }
    case abi::kAuxtrace: {
      // AUX area data (Intel PT, CoreSight...) that spanprof does not decode.
      ByteReader in(record.bytes);
      in.skip(abi::kAuxtraceSizeOffset);
      const uint64_t size = in.u64();
      if (!in.ok()) {
        ++stats.undecodable_records;
        return;
      }
      ++stats.skipped_records;
      ++stats.skipped_by_type[record.type];
      if (stream.skip_payload(size, "AUXTRACE")) stats.aux_bytes_skipped += size;
      return;
    }
    default:
      ++stats.skipped_records;
      ++stats.skipped_by_type[record.type];
      return;
  }
}

void PerfDataReader::dispatch(const QueuedRecord& queued, RecordHandler& handler,
                              ReadStats& stats) {
  auto bytes = queued.bytes();
  ByteReader header(bytes);
  const uint32_t type = header.u32();
  bool ok = true;
  switch (type) {
    case abi::kSample: {
      auto index = index_.for_sample(bytes);
      if (!index) {
        ++stats.samples_without_attr;
        return;
      }
      Sample sample;
      ok = parse_sample(bytes, info_.attrs[*index], sample_buffers_, sample);
      if (ok) {
        sample.attr_index = *index;
        sample.file_offset = queued.file_offset;
        ++stats.samples;
        handler.on_sample(sample);
      } else if (undecodable_samples_++ == 0) {
        first_undecodable_sample_ = queued.file_offset;
      }
      break;
    }
    case abi::kMmap:
    case abi::kMmap2: {
      Mmap mmap;
      ok = type == abi::kMmap ? parse_mmap(bytes, layout_attr(bytes), mmap)
                              : parse_mmap2(bytes, layout_attr(bytes), mmap);
      if (ok) handler.on_mmap(mmap);
      break;
    }
    case abi::kComm: {
      Comm comm;
      ok = parse_comm(bytes, layout_attr(bytes), comm);
      if (ok) handler.on_comm(comm);
      break;
    }
    case abi::kFork:
    case abi::kExit: {
      TaskEvent task;
      ok = parse_task(bytes, layout_attr(bytes), task);
      if (ok) type == abi::kFork ? handler.on_fork(task) : handler.on_exit(task);
      break;
    }
    case abi::kLost: {
      Lost lost;
      ok = parse_lost(bytes, layout_attr(bytes), lost);
      if (ok) {
        stats.lost_events += lost.lost;
        handler.on_lost(lost);
      }
      break;
    }
    case abi::kSwitch:
    case abi::kSwitchCpuWide: {
      Switch change;
      ok = parse_switch(bytes, layout_attr(bytes), change);
      if (ok) {
        ++stats.switches;
        handler.on_switch(change);
      }
      break;
    }
    case abi::kLostSamples: {
      Lost lost;
      ok = parse_lost_samples(bytes, layout_attr(bytes), lost);
      if (ok) {
        stats.lost_samples += lost.lost;
        handler.on_lost_samples(lost);
      }
      break;
    }
    default:
      break;
  }
  if (!ok) ++stats.undecodable_records;
}

Result<ReadStats> PerfDataReader::read_records(RecordHandler& handler) {
  if (records_read_) {
    return make_error("perf.data records were already read", {},
                      "open the capture again to read it twice");
  }
  records_read_ = true;
  ReadStats stats = std::move(header_stats_);
  index_.rebuild(info_.attrs);
  std::unique_ptr<RecordStream> stream_storage = std::move(stream_);
  if (!stream_storage && map_data_) {
    stream_storage = std::make_unique<RecordStream>(fd_, data_start_, data_limit_,
                                                    RecordStream::Mapped{});
  } else if (!stream_storage) {
    stream_storage = std::make_unique<RecordStream>(fd_, data_start_, data_limit_);
  }
  RecordStream& stream = *stream_storage;
  // Declared after the stream: destroyed first, it never outlives the mapping its views are in.
  OrderedQueue queue([&](const QueuedRecord& record) { dispatch(record, handler, stats); });
  if (!first_record_.empty()) {
    RawRecord first = first_record_frame_;
    first.bytes = first_record_;
    on_stream_record(first, stream, queue, stats);  // copied by the queue
  }
  constexpr uint64_t kNothingQueued = UINT64_MAX;
  constexpr uint64_t kProgressStep = 4u << 20;
  uint64_t next_progress = kProgressStep;
  const uint64_t total = data_limit_.value_or(0);
  while (auto record = stream.next()) {
    on_stream_record(*record, stream, queue, stats);
    stream.release_before(queue.lowest_view_offset().value_or(kNothingQueued));
    if (progress_ && stream.bytes_read() >= next_progress) {
      progress_(stream.bytes_read(), total);
      next_progress = stream.bytes_read() + kProgressStep;
    }
  }
  queue.flush_all();

  stats.compressed_records = stream.compressed_records();
  stats.bytes_read = stream.bytes_read();
  stats.forced_flushes = queue.forced_flushes();
  if (data_note_ && stream.damage()) {
    Error combined = *stream.damage();
    combined.message = data_note_->message + "; " + combined.message;
    stats.damage = combined;
  } else if (data_note_) {
    stats.damage = data_note_;
  } else {
    stats.damage = stream.damage();
  }
  if (!stats.damage && stats.samples == 0 && undecodable_samples_ > 0) {
    // Said as damage, so that "no samples" names the cause: the attr's layout
    // does not fit the sample records (a corrupt header, or a foreign writer).
    const EventAttr& attr = info_.attrs.empty() ? kNoAttr : info_.attrs.front();
    stats.damage = Error{"none of the " + std::to_string(undecodable_samples_) +
                             " sample records fits the layout that the event's sample_type " +
                             fmt_hex(attr.sample_type) + " and read_format " +
                             fmt_hex(attr.read_format) + " describe (the first at byte offset " +
                             std::to_string(first_undecodable_sample_) + ")",
                         "perf.data byte offset " + std::to_string(first_undecodable_sample_),
                         "the attrs in the header do not describe these samples; the capture "
                         "is corrupt, record it again"};
  }
  return stats;
}

void PerfDataReader::read_pipe_header() {
  stream_ = std::make_unique<RecordStream>(fd_, data_start_, data_limit_);
  while (auto record = stream_->next()) {
    if (record->type < abi::kHeaderAttr || record->type == abi::kFinishedRound) {
      first_record_.assign(record->bytes.begin(), record->bytes.end());
      first_record_frame_ = *record;
      first_record_frame_.bytes = {};
      first_record_frame_.mapped = false;
      return;
    }
    ++header_stats_.records;
    on_unordered_record(*record, *stream_, header_stats_);
  }
}

Result<std::vector<std::byte>> read_prefix(int fd, bool seekable) {
  std::vector<std::byte> prefix(abi::kPipeHeaderSize);
  size_t got = 0;
  while (got < prefix.size()) {
    ssize_t n = seekable ? ::pread(fd, prefix.data() + got, prefix.size() - got, static_cast<off_t>(got))
                         : ::read(fd, prefix.data() + got, prefix.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(std::string("cannot read the perf.data header: ") + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  prefix.resize(got);
  return prefix;
}

}  // namespace

Result<std::unique_ptr<Reader>> Reader::open(const std::string& path) {
  const bool from_stdin = path == "-";
  int fd = from_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(std::string("cannot open: ") + std::strerror(errno), path,
                      "check the path; `spanprof run` or `perf record -o FILE` writes one");
  }
  auto reader = std::make_unique<PerfDataReader>(fd, !from_stdin);
  const std::string name = from_stdin ? "<stdin>" : path;

  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return make_error(std::string("cannot stat: ") + std::strerror(errno), name);
  }
  const bool regular = S_ISREG(st.st_mode);
  if (S_ISDIR(st.st_mode)) {
    return make_error("is a directory, not a perf.data file", name,
                      "pass the perf.data file itself");
  }
  const uint64_t file_size = regular ? static_cast<uint64_t>(st.st_size) : 0;
  // stdin may be a redirected file read from where its position is: pread from 0
  // only when that position is the start.
  const bool seekable = regular && (!from_stdin || ::lseek(fd, 0, SEEK_CUR) == 0);

  auto prefix = read_prefix(fd, seekable);
  if (!prefix) {
    prefix.error().where = name;
    return std::unexpected(prefix.error());
  }
  auto kind = parse_header_prefix(*prefix, name);
  if (!kind) return std::unexpected(kind.error());

  CaptureInfo& info = reader->info_;
  info.file_size = file_size;
  if (kind->pipe_mode) {
    info.pipe_mode = true;
    reader->data_start_ = abi::kPipeHeaderSize;
    if (seekable && ::lseek(fd, abi::kPipeHeaderSize, SEEK_SET) < 0) {
      return make_error(std::string("cannot seek: ") + std::strerror(errno), name);
    }
    reader->read_pipe_header();
    return std::unique_ptr<Reader>(std::move(reader));
  }

  if (!seekable) {
    return make_error("a file-mode perf.data cannot be read from a pipe", name,
                      "pass its path instead of '-', or record with `perf record -o -`");
  }
  auto header = read_file_header(fd, file_size, name, info);
  if (!header) return std::unexpected(header.error());

  reader->data_start_ = header->data.offset;
  if (header->data.size == 0 && file_size > header->data.offset &&
      !feature_table_plausible(fd, *header, file_size)) {
    // perf writes data.size when it finishes; 0 with bytes after data.offset means
    // it was killed. perf then reads to the end of the file, and so does spanprof.
    reader->data_note_ = Error{"perf.data: the header says the data section is empty but " +
                                   std::to_string(file_size - header->data.offset) +
                                   " bytes follow it; perf record did not finish, reading to "
                                   "the end of the file",
                               "byte offset " + std::to_string(header->data.offset),
                               "stop perf record with Ctrl-C or SIGINT, not SIGKILL"};
  } else {
    reader->data_limit_ = header->data.size;
    read_features(fd, *header, file_size, info);
    // Mapped, not read(): the ordered queue then holds views, not copies. An
    // unfinished capture (above) may still be growing, so it keeps read().
    reader->map_data_ = !from_stdin;
  }
  if (::lseek(fd, static_cast<off_t>(header->data.offset), SEEK_SET) < 0) {
    return make_error(std::string("cannot seek: ") + std::strerror(errno), name);
  }
  return std::unique_ptr<Reader>(std::move(reader));
}

}  // namespace spanprof::perfdata
