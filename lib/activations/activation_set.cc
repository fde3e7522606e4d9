#include "activations/activation_set.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "common/durable_file.h"

namespace spanprof::activations {

namespace {

// The bytes of a file, mapped read-only (activation files of long runs are
// tens of MB; they are read once).
class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(std::string("cannot open: ") + std::strerror(errno), path);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return make_error("not a regular file", path);
    }
    MappedFile file;
    file.size_ = static_cast<size_t>(st.st_size);
    if (file.size_ > 0) {
      void* data = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED) {
        int error = errno;
        ::close(fd);
        return make_error(std::string("cannot map: ") + std::strerror(error), path);
      }
      file.data_ = data;
    }
    ::close(fd);
    return file;
  }
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  MappedFile& operator=(MappedFile&&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }
  std::span<const std::byte> bytes() const {
    return {static_cast<const std::byte*>(data_), size_};
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

uint64_t key_of(uint32_t pid, uint32_t tid) { return (static_cast<uint64_t>(pid) << 32) | tid; }

// An error note is one line a writer left; more than a line is not its own.
std::string first_line(std::string text) {
  if (auto end = text.find('\n'); end != std::string::npos) text.resize(end);
  if (text.size() > 300) {
    // Cut before the character that byte 300 belongs to: summary.json carries
    // the note as text, and half a UTF-8 sequence is not text.
    size_t cut = 300;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    text.resize(cut);
  }
  // A note is the writer's bytes: anything that is not UTF-8 text (or a
  // control character) becomes '?', so summary.json stays valid.
  std::string clean;
  clean.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3
                                    : (byte >> 3) == 0x1e ? 4 : 0;
    bool valid = length > 0 && i + length <= text.size() && (length > 1 || byte >= 0x20);
    for (size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    }
    if (!valid) {
      clean += '?';
      ++i;
      continue;
    }
    clean.append(text, i, length);
    i += length;
  }
  return clean;
}

}  // namespace

ActivationSet load_activations(const std::vector<std::string>& files,
                               const std::vector<std::string>& error_notes) {
  ActivationSet set;
  std::map<uint64_t, ThreadActivations> threads;
  for (const std::string& path : files) {
    auto mapped = MappedFile::open(path);
    if (!mapped) {
      ++set.stats.files_skipped;
      set.warnings.push_back(Warning::from_error(WarningKind::kActivations, mapped.error()));
      continue;
    }
    auto parsed = parse_activation_file(mapped->bytes(), path);
    if (!parsed) {
      ++set.stats.files_skipped;
      set.warnings.push_back(Warning::from_error(WarningKind::kActivations, parsed.error()));
      continue;
    }
    ++set.stats.files;
    ActivationFile& file = *parsed;
    if (file.torn_bytes > 0) {
      ++set.stats.files_torn;
      set.stats.torn_bytes += file.torn_bytes;
      set.warnings.push_back(Warning{
          WarningKind::kActivations,
          fmt::format("a partial record of {} bytes at the end was dropped (the process stopped "
                      "mid-write)", file.torn_bytes),
          path});
    }
    if (file.records_wrong_pid > 0) {
      // Records of another process in a file one process writes are
      // overwritten bytes: the records around them may be damaged too, and a
      // damaged switch would give samples a wrong span. None of it is used.
      set.stats.records_wrong_pid += file.records_wrong_pid;
      --set.stats.files;
      ++set.stats.files_skipped;
      set.warnings.push_back(Warning{
          WarningKind::kActivations,
          fmt::format("{} records name another process than the file's ({}): the file is "
                      "damaged and none of it is used (its threads are joined by span times)",
                      file.records_wrong_pid, file.pid),
          path});
      continue;
    }
    std::optional<int64_t> realtime_minus_monotonic;
    // A reading past 2^63 ns (292 years) is no clock's: garbage, and the
    // difference would not fit.
    constexpr uint64_t kMaxReading = INT64_MAX;
    if (file.created_monotonic_ns != 0 && file.created_realtime_ns != 0 &&
        file.created_monotonic_ns <= kMaxReading && file.created_realtime_ns <= kMaxReading) {
      realtime_minus_monotonic = static_cast<int64_t>(file.created_realtime_ns) -
                                 static_cast<int64_t>(file.created_monotonic_ns);
    }
    for (const ActivationRecord& record : file.records) {
      ThreadActivations& thread = threads[key_of(record.pid, record.tid)];
      if (thread.records.empty()) {
        thread.pid = record.pid;
        thread.tid = record.tid;
        thread.realtime_minus_monotonic_ns = realtime_minus_monotonic;
      } else if (record.time_ns < thread.records.back().time_ns) {
        ++set.stats.records_out_of_order;
      }
      thread.records.push_back(record);
      ++set.stats.records;
    }
  }
  for (auto& [key, thread] : threads) {
    std::stable_sort(thread.records.begin(), thread.records.end(),
                     [](const ActivationRecord& a, const ActivationRecord& b) {
                       return a.time_ns < b.time_ns;
                     });
    set.threads.push_back(std::move(thread));
  }
  set.stats.threads = set.threads.size();
  if (set.stats.records_out_of_order > 0) {
    set.warnings.push_back(Warning{
        WarningKind::kActivations,
        fmt::format("{} activation records were earlier than their thread's previous one (a writer "
                    "that does not keep one thread's records in order); sorted by time",
                    set.stats.records_out_of_order),
        ""});
  }
  for (const std::string& path : error_notes) {
    ++set.stats.writer_errors;
    auto text = read_small_file(path, 64 * 1024);
    std::string why = text ? first_line(*text) : "(its note cannot be read)";
    set.warnings.push_back(Warning{
        WarningKind::kActivations,
        "an activation writer gave up, so this process's samples are joined by span times: " + why,
        path});
  }
  return set;
}

}  // namespace spanprof::activations
