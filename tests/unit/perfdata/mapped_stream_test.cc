// File-mode data read through the mapping: records framed in windows, held by the
// ordered queue as views, pages given back as the queue drains; compared with
// the read() path on the same bytes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <cstring>
#include <map>
#include <optional>
#include <random>

#include "perf_data_builder.h"
#include "perfdata/ordered_queue.h"
#include "perfdata/record_stream.h"
#include "test_support.h"

namespace spanprof::perfdata {
namespace {

using namespace testing;  // NOLINT: the builder's vocabulary

// An opaque record of `size` bytes whose body repeats `tag`, so a stale view shows.
Bytes tagged_record(uint32_t type, uint16_t size, uint8_t tag) {
  Bytes r = opaque_record(type, size - 8u);
  for (size_t i = 8; i < r.size(); ++i) r[i] = static_cast<std::byte>(tag);
  return r;
}

struct Framed {
  uint32_t type;
  uint64_t offset;
  bool mapped;
  Bytes bytes;
};

class FileFd {
 public:
  FileFd(const std::string& name, const Bytes& bytes) : path_(temp_path(name)) {
    write_file(path_, bytes);
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~FileFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileFd(const FileFd&) = delete;
  FileFd& operator=(const FileFd&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// Frames every record of `file` from `start` (at most `limit` bytes), mapped or read().
std::vector<Framed> frame_all(const Bytes& file, uint64_t start, std::optional<uint64_t> limit,
                              bool mapped, uint64_t window, std::optional<Error>* damage = nullptr) {
  FileFd f("frame_all", file);
  EXPECT_GE(f.fd(), 0);
  std::optional<RecordStream> stream;
  if (mapped) {
    stream.emplace(f.fd(), start, limit, RecordStream::Mapped{window});
    EXPECT_TRUE(stream->is_mapped());
  } else {
    ::lseek(f.fd(), static_cast<off_t>(start), SEEK_SET);
    stream.emplace(f.fd(), start, limit);
  }
  std::vector<Framed> out;
  while (auto r = stream->next()) {
    out.push_back({r->type, r->file_offset, r->mapped, Bytes(r->bytes.begin(), r->bytes.end())});
  }
  if (damage) *damage = stream->damage();
  return out;
}

// Records of many sizes after a 104-byte prefix, so they cross page edges everywhere.
Bytes varied_records(size_t count, std::vector<Bytes>* records) {
  Bytes file(104, std::byte{0xee});
  std::mt19937 rng(7);
  for (size_t i = 0; i < count; ++i) {
    uint16_t size = static_cast<uint16_t>(8 * (1 + rng() % 700));
    if (i % 97 == 5) size = 65528;  // the largest size a u16 holds, 8-aligned
    Bytes r = tagged_record(static_cast<uint32_t>(200 + i % 7), size, static_cast<uint8_t>(i));
    records->push_back(r);
    file.insert(file.end(), r.begin(), r.end());
  }
  return file;
}

TEST(MappedStreamTest, WindowEdgesGiveTheSameRecordsAsRead) {
  std::vector<Bytes> records;
  const Bytes file = varied_records(400, &records);
  const uint64_t data_size = file.size() - 104;
  auto by_read = frame_all(file, 104, data_size, false, 0);
  ASSERT_EQ(by_read.size(), records.size());
  // One page, a few pages, and a window larger than the file.
  for (uint64_t window : {uint64_t{4096}, uint64_t{3 * 4096}, uint64_t{1} << 30}) {
    SCOPED_TRACE("window " + std::to_string(window));
    auto by_map = frame_all(file, 104, data_size, true, window);
    ASSERT_EQ(by_map.size(), records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_TRUE(by_map[i].mapped);
      EXPECT_EQ(by_map[i].offset, by_read[i].offset);
      EXPECT_EQ(by_map[i].type, by_read[i].type);
      ASSERT_EQ(by_map[i].bytes, records[i]) << "record " << i;
    }
  }
}

// The reader's loop with small windows: views pushed into the queue out of time
// order, pages released as the queue drains; each view must still hold its
// record when the queue dispatches it.
TEST(MappedStreamTest, QueuedViewsStayValidUntilDispatched) {
  std::vector<Bytes> records;
  Bytes file(64, std::byte{0});
  std::mt19937 rng(11);
  std::vector<uint64_t> times;
  for (size_t i = 0; i < 3000; ++i) {
    uint16_t size = static_cast<uint16_t>(8 * (2 + rng() % 300));
    Bytes r = tagged_record(1, size, static_cast<uint8_t>(i * 31));
    // The time sits in the body's first word; rounds every 100 records, and times
    // inside a round run backwards so every record waits for the next round.
    uint64_t time = 1000 + (i / 100) * 100 + (99 - i % 100);
    std::memcpy(r.data() + 8, &time, 8);
    times.push_back(time);
    records.push_back(r);
    file.insert(file.end(), r.begin(), r.end());
    if (i % 100 == 99) {
      Bytes round = finished_round_record();
      file.insert(file.end(), round.begin(), round.end());
    }
  }
  FileFd f("views_valid", file);
  RecordStream stream(f.fd(), 64, file.size() - 64, RecordStream::Mapped{4096});
  std::map<uint64_t, size_t> index_of_time;
  for (size_t i = 0; i < times.size(); ++i) index_of_time[times[i]] = i;
  size_t dispatched = 0;
  uint64_t last_time = 0;
  OrderedQueue queue([&](const QueuedRecord& q) {
    EXPECT_TRUE(q.is_view);
    const size_t i = index_of_time.at(q.time);
    ASSERT_EQ(q.bytes().size(), records[i].size());
    EXPECT_EQ(std::memcmp(q.bytes().data(), records[i].data(), records[i].size()), 0)
        << "record " << i << " changed before it was dispatched";
    EXPECT_GE(q.time, last_time);
    last_time = q.time;
    ++dispatched;
  });
  size_t max_windows = 0;
  while (auto r = stream.next()) {
    if (r->type == 68) {  // FINISHED_ROUND
      queue.finished_round();
    } else {
      uint64_t time = 0;
      std::memcpy(&time, r->bytes.data() + 8, 8);
      ASSERT_TRUE(r->mapped);
      queue.push(time, r->bytes, r->file_offset, OrderedQueue::Hold::kView);
    }
    stream.release_before(queue.lowest_view_offset().value_or(UINT64_MAX));
    max_windows = std::max(max_windows, stream.mapped_windows());
  }
  queue.flush_all();
  EXPECT_FALSE(stream.damage());
  EXPECT_EQ(dispatched, records.size());
  // About two rounds of records (~60 one-page windows) are held at once, not the
  // whole file (~900 pages): the windows before them were let go.
  EXPECT_LT(max_windows, 150u);
  EXPECT_GT(stream.mapped_bytes_released(), file.size() / 2);
}

// AUXTRACE payloads skipped in one-page windows: a payload spanning several
// windows, one ending exactly at a window's edge, records queued as views on
// both sides of them. Each view must still hold its record when dispatched.
TEST(MappedStreamTest, AuxPayloadsAcrossWindowsKeepQueuedViewsValid) {
  Bytes file(64, std::byte{0});
  std::vector<Bytes> records;
  std::vector<uint64_t> aux_sizes;
  auto add_tagged = [&](uint64_t time) {
    Bytes r = tagged_record(1, 64, static_cast<uint8_t>(time));
    std::memcpy(r.data() + 8, &time, 8);
    records.push_back(r);
    file.insert(file.end(), r.begin(), r.end());
  };
  auto add_aux = [&](size_t payload) {
    Bytes aux = auxtrace_record(Bytes(payload, std::byte{0}));  // zeros frame as size 0
    aux_sizes.push_back(payload);
    file.insert(file.end(), aux.begin(), aux.end());
  };
  add_tagged(30);
  add_tagged(10);
  add_aux(3 * 4096 + 808);
  add_tagged(20);
  auto add_round = [&] {
    Bytes round = finished_round_record();
    file.insert(file.end(), round.begin(), round.end());
  };
  add_round();
  // Ends the payload on the next page edge, so the record after starts a window.
  add_aux((4096 - (file.size() + 48) % 4096) % 4096 + 4096);
  ASSERT_EQ(file.size() % 4096, 0u);
  add_tagged(5);
  add_round();  // releases times <= 30: the views before the payloads are let go
  add_aux(0);
  add_tagged(40);

  FileFd f("aux_windows", file);
  RecordStream stream(f.fd(), 64, file.size() - 64, RecordStream::Mapped{4096});
  std::map<uint64_t, size_t> index_of_time;
  for (size_t i = 0; i < records.size(); ++i) {
    uint64_t time = 0;
    std::memcpy(&time, records[i].data() + 8, 8);
    index_of_time[time] = i;
  }
  std::vector<uint64_t> dispatched;
  OrderedQueue queue([&](const QueuedRecord& q) {
    const size_t i = index_of_time.at(q.time);
    ASSERT_EQ(q.bytes().size(), records[i].size());
    EXPECT_EQ(std::memcmp(q.bytes().data(), records[i].data(), records[i].size()), 0)
        << "record " << i << " changed before it was dispatched";
    dispatched.push_back(q.time);
  });
  std::vector<uint64_t> skipped;
  while (auto r = stream.next()) {
    ASSERT_TRUE(r->mapped);
    if (r->type == 68) {
      queue.finished_round();
    } else if (r->type == 71) {
      uint64_t size = 0;
      std::memcpy(&size, r->bytes.data() + 8, 8);
      ASSERT_TRUE(stream.skip_payload(size, "AUXTRACE"));
      skipped.push_back(size);
    } else {
      uint64_t time = 0;
      std::memcpy(&time, r->bytes.data() + 8, 8);
      queue.push(time, r->bytes, r->file_offset, OrderedQueue::Hold::kView);
    }
    stream.release_before(queue.lowest_view_offset().value_or(UINT64_MAX));
  }
  queue.flush_all();
  EXPECT_FALSE(stream.damage()) << stream.damage()->to_string();
  EXPECT_EQ(skipped, aux_sizes);
  EXPECT_EQ(dispatched, (std::vector<uint64_t>{5, 10, 20, 30, 40}));
  EXPECT_EQ(stream.bytes_read(), file.size() - 64);
  EXPECT_GT(stream.mapped_bytes_released(), 4 * 4096u);
}

#if !defined(__SANITIZE_ADDRESS__)
uint64_t hash_bytes(std::span<const std::byte> bytes, uint64_t h) {
  for (std::byte b : bytes) h = (h ^ static_cast<uint8_t>(b)) * 0x100000001b3ULL;
  return h;
}

uint64_t virtual_memory_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmSize:") {
      uint64_t kb = 0;
      status >> kb;
      return kb << 10;
    }
  }
  return 0;
}
#endif

// When a window cannot be mapped (here: RLIMIT_AS leaves room for one window
// only), the rest is read() and records already framed from the mapping stay
// valid. Runs in a child process, as the limit cannot be lifted again.
TEST(MappedStreamTest, MmapFailureFallsBackToReadMidStream) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "RLIMIT_AS and the address sanitizer's shadow memory do not mix";
#else
  std::vector<Bytes> records;
  Bytes file(104, std::byte{0});
  uint64_t expected = 14695981039346656037ULL;
  for (size_t i = 0; file.size() < (12u << 20); ++i) {
    Bytes r = tagged_record(1, 4096, static_cast<uint8_t>(i + 1));
    expected = hash_bytes(r, expected);
    file.insert(file.end(), r.begin(), r.end());
  }
  FileFd f("mmap_fallback", file);
  ASSERT_GE(f.fd(), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = virtual_memory_bytes() + (7u << 20);
    if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(10);
    RecordStream stream(f.fd(), 104, file.size() - 104, RecordStream::Mapped{4u << 20});
    uint64_t h = 14695981039346656037ULL;
    std::span<const std::byte> first;
    bool was_mapped = false;
    while (auto r = stream.next()) {
      if (first.empty()) first = r->bytes;
      was_mapped = was_mapped || r->mapped;
      h = hash_bytes(r->bytes, h);
    }
    if (stream.damage()) ::_exit(11);
    if (!was_mapped || stream.is_mapped()) ::_exit(12);  // mapped at first, read() at the end
    if (h != expected) ::_exit(13);
    if (first.size() != 4096 || first[8] != std::byte{1}) ::_exit(14);  // still mapped
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setrlimit, 11: damage, 12: no fallback, 13: bytes "
                                       "differ, 14: an early view went stale";
#endif
}

TEST(OrderedQueueViewTest, LowestViewOffsetFollowsTheEarliestUnreleasedView) {
  std::vector<uint64_t> out;
  const Bytes record = opaque_record(1, 16);
  OrderedQueue q([&](const QueuedRecord& r) { out.push_back(r.file_offset); });
  EXPECT_FALSE(q.lowest_view_offset());
  q.push(30, record, 100, OrderedQueue::Hold::kView);
  q.push(10, record, 200, OrderedQueue::Hold::kView);
  q.push(5, record, 250, OrderedQueue::Hold::kCopy);  // copies do not hold the mapping
  q.push(20, record, 300, OrderedQueue::Hold::kView);
  EXPECT_EQ(q.lowest_view_offset(), 100u);
  q.finished_round();  // first round: nothing released
  q.finished_round();  // releases up to time 30, in time order
  EXPECT_EQ(out, (std::vector<uint64_t>{250, 200, 300, 100}));
  EXPECT_FALSE(q.lowest_view_offset());

  q.push(50, record, 400, OrderedQueue::Hold::kView);
  q.push(40, record, 500, OrderedQueue::Hold::kView);
  q.push(60, record, 600, OrderedQueue::Hold::kView);
  q.finished_round();  // up to 30: none
  q.push(70, record, 700, OrderedQueue::Hold::kView);
  q.finished_round();  // up to 60: 500, 400 and 600 go
  EXPECT_EQ(q.lowest_view_offset(), 700u);
  q.flush_all();
  EXPECT_FALSE(q.lowest_view_offset());
  EXPECT_EQ(q.buffered_bytes(), 0u);
}

TEST(OrderedQueueViewTest, AViewReleasedOutOfFileOrderDoesNotMoveTheLowOffset) {
  const Bytes record = opaque_record(1, 16);
  OrderedQueue q([](const QueuedRecord&) {});
  q.push(20, record, 100, OrderedQueue::Hold::kView);
  q.push(10, record, 200, OrderedQueue::Hold::kView);
  q.push(99, record, 300, OrderedQueue::Hold::kView);
  q.finished_round();
  q.push(15, record, 400, OrderedQueue::Hold::kView);
  q.finished_round();  // releases time <= 99: all four
  EXPECT_FALSE(q.lowest_view_offset());
  q.push(200, record, 500, OrderedQueue::Hold::kView);
  q.push(100, record, 600, OrderedQueue::Hold::kView);
  q.finished_round();  // up to 99: nothing
  q.push(300, record, 700, OrderedQueue::Hold::kView);
  q.finished_round();  // up to 200: 600 (time 100) then 500 (time 200)
  EXPECT_EQ(q.lowest_view_offset(), 700u);
  q.push(250, record, 800, OrderedQueue::Hold::kView);
  q.push(1, record, 900, OrderedQueue::Hold::kView);
  q.finished_round();  // up to 300: 900, 800, 700 all go
  EXPECT_FALSE(q.lowest_view_offset());
}

TEST(MappedStreamTest, CompressedRecordsAreUnpackedIntoOwnedBytes) {
  std::vector<Bytes> inner_records;
  Bytes inner;
  for (size_t i = 0; i < 50; ++i) {
    Bytes r = tagged_record(300, static_cast<uint16_t>(8 * (2 + i)), static_cast<uint8_t>(i));
    inner_records.push_back(r);
    inner.insert(inner.end(), r.begin(), r.end());
  }
  Bytes file(128, std::byte{0});
  Bytes before = tagged_record(301, 64, 0xaa);
  file.insert(file.end(), before.begin(), before.end());
  for (const Bytes& c : compressed_records(inner, {inner.size() / 3, inner.size() / 2 + 5}, true)) {
    file.insert(file.end(), c.begin(), c.end());
  }
  Bytes after = tagged_record(302, 64, 0xbb);
  file.insert(file.end(), after.begin(), after.end());

  auto framed = frame_all(file, 128, file.size() - 128, true, 4096);
  ASSERT_EQ(framed.size(), inner_records.size() + 2);
  EXPECT_TRUE(framed.front().mapped);
  EXPECT_EQ(framed.front().bytes, before);
  for (size_t i = 0; i < inner_records.size(); ++i) {
    EXPECT_FALSE(framed[i + 1].mapped) << "decompressed bytes are not in the file";
    EXPECT_EQ(framed[i + 1].bytes, inner_records[i]);
  }
  EXPECT_TRUE(framed.back().mapped);
  EXPECT_EQ(framed.back().bytes, after);
}

// The same capture read by path (mapped) and from standard input (read()).
ReadOutcome read_from_stdin(const Bytes& bytes) {
  std::string path = temp_path("mapped_vs_stdin");
  write_file(path, bytes);
  int saved = ::dup(STDIN_FILENO);
  int fd = ::open(path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0);
  ::dup2(fd, STDIN_FILENO);
  ::close(fd);
  ReadOutcome out;
  auto reader = Reader::open("-");
  if (reader) {
    out.reader = std::move(*reader);
    out.seen = std::make_unique<Collector>(&out.reader->info());
    auto stats = out.reader->read_records(*out.seen);
    if (stats) out.stats = *stats;
  }
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  return out;
}

void expect_same_reading(const ReadOutcome& mapped, const ReadOutcome& streamed,
                         const std::string& what) {
  ASSERT_TRUE(mapped.reader) << what;
  ASSERT_TRUE(streamed.reader) << what;
  ASSERT_EQ(mapped.seen->samples.size(), streamed.seen->samples.size()) << what;
  for (size_t i = 0; i < mapped.seen->samples.size(); ++i) {
    const SeenSample& a = mapped.seen->samples[i];
    const SeenSample& b = streamed.seen->samples[i];
    EXPECT_EQ(a.time, b.time) << what;
    EXPECT_EQ(a.ip, b.ip) << what;
    EXPECT_EQ(a.callchain, b.callchain) << what;
    EXPECT_EQ(a.stack_user, b.stack_user) << what;
  }
  ASSERT_EQ(mapped.seen->order.size(), streamed.seen->order.size()) << what;
  for (size_t i = 0; i < mapped.seen->order.size(); ++i) {
    EXPECT_EQ(mapped.seen->order[i].kind, streamed.seen->order[i].kind) << what;
    EXPECT_EQ(mapped.seen->order[i].time, streamed.seen->order[i].time) << what;
  }
  EXPECT_EQ(mapped.stats.records, streamed.stats.records) << what;
  EXPECT_EQ(mapped.stats.undecodable_records, streamed.stats.undecodable_records) << what;
  ASSERT_EQ(mapped.stats.damage.has_value(), streamed.stats.damage.has_value()) << what;
  if (mapped.stats.damage) {
    EXPECT_EQ(mapped.stats.damage->to_string(), streamed.stats.damage->to_string()) << what;
  }
}

PerfDataBuilder dwarf_like_capture() {
  TestAttr a;
  a.sample_type = bits::kIp | bits::kTid | bits::kTime | bits::kPeriod | bits::kRegsUser |
                  bits::kStackUser;
  a.flags = bits::kSampleIdAll | bits::kUseClockid;
  a.clockid = 1;
  a.sample_regs_user = 0b111;
  a.ids = {100};
  PerfDataBuilder b;
  b.attr(a);
  b.record(comm_record(a, 50, 51, "app", false, {.pid = 50, .tid = 51, .time = 5}));
  for (uint64_t i = 0; i < 40; ++i) {
    TestSample s{.ip = 0x1000 + i, .pid = 50, .tid = 51, .time = 100 + (i % 10 == 0 ? 0 : 40 - i),
                 .period = 1};
    s.regs_abi = 2;
    s.regs = {i, i + 1, i + 2};
    s.stack = Bytes(1024 + 8 * i, static_cast<std::byte>(i));
    b.record(sample_record(a, s));
    if (i % 10 == 9) b.record(finished_round_record());
  }
  return b;
}

TEST(MappedReaderTest, SameSamplesAndOrderAsReadingFromStandardInput) {
  const Bytes bytes = dwarf_like_capture().file_bytes();
  auto mapped = read_bytes(bytes, "mapped_whole");
  auto streamed = read_from_stdin(bytes);
  expect_same_reading(mapped, streamed, "whole file");
  EXPECT_EQ(mapped.seen->samples.size(), 40u);
  EXPECT_EQ(mapped.stats.bytes_read, streamed.stats.bytes_read);
}

// A truncated file: the damage report (message and byte offset) and the samples
// before the cut match the read() path, for a cut at every 8th byte and at odd
// places inside headers.
TEST(MappedReaderTest, TruncatedFileGivesTheSameDamageAndSamplesAsRead) {
  const Bytes full = dwarf_like_capture().file_bytes();
  const size_t data_offset = 104 + 144 + 8;
  size_t cuts = 0;
  for (size_t cut = data_offset; cut < full.size(); cut += (cut % 2 == 0 ? 91 : 13)) {
    Bytes cut_bytes(full.begin(), full.begin() + static_cast<long>(cut));
    auto mapped = read_bytes(cut_bytes, "mapped_cut");
    auto streamed = read_from_stdin(cut_bytes);
    expect_same_reading(mapped, streamed, "cut at " + std::to_string(cut));
    ASSERT_TRUE(mapped.stats.damage) << "cut at " << cut;
    EXPECT_NE(mapped.stats.damage->where.find("byte offset"), std::string::npos);
    ++cuts;
  }
  EXPECT_GT(cuts, 50u);
}

TEST(MappedReaderTest, OversizedRecordIsTheSameDamageAsRead) {
  PerfDataBuilder b = dwarf_like_capture();
  Bytes bad = opaque_record(99, 16);
  bad[6] = std::byte{0xf8};
  bad[7] = std::byte{0xff};  // size 65528: past the end of the file
  b.record(bad);
  const Bytes bytes = b.file_bytes();
  auto mapped = read_bytes(bytes, "mapped_oversized");
  auto streamed = read_from_stdin(bytes);
  expect_same_reading(mapped, streamed, "oversized");
  ASSERT_TRUE(mapped.stats.damage);
  EXPECT_NE(mapped.stats.damage->message.find("claims size 65528 but only"), std::string::npos)
      << mapped.stats.damage->to_string();
}

}  // namespace
}  // namespace spanprof::perfdata
