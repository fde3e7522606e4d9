#include "push/outbox.h"

#include "common/durable_file.h"

#include "common/json_quote.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <simdjson.h>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

namespace spanprof::push {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kBodySuffix = ".body";
constexpr std::string_view kInfoSuffix = ".json";
constexpr std::string_view kOutboxSchema = "spanprof.outbox/2";
constexpr std::string_view kLedgerPrefix = "delivered-";
constexpr std::string_view kLedgerSuffix = ".log";
constexpr std::string_view kLedgerSchema = "# spanprof.delivered/1 ";
constexpr const char* kReshapeHint =
    "push again with --reshape: it shapes DIR anew and sends it to the destinations given";

struct KindName {
  BatchKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {BatchKind::kPyroscopePush, "pyroscope-push"},
    {BatchKind::kPyroscopeIngest, "pyroscope-ingest"},
    {BatchKind::kOtlpTraces, "otlp-traces"},
};

std::string info_json(const BatchInfo& info) {
  return fmt::format(
      "{{\"schema\":\"{}\",\"id\":{},\"kind\":\"{}\",\"path_and_query\":{},"
      "\"content_type\":{},\"profile_type\":{},\"profiles\":{},\"samples\":{},\"spans\":{},"
      "\"window_start_ns\":{},\"window_end_ns\":{},\"body_bytes\":{},"
      "\"uncompressed_bytes\":{}}}\n",
      kOutboxSchema, json_quoted(info.id), batch_kind_name(info.kind), json_quoted(info.path_and_query),
      json_quoted(info.content_type), json_quoted(info.profile_type), info.profiles, info.samples, info.spans,
      info.window_start_ns, info.window_end_ns, info.body_bytes, info.uncompressed_bytes);
}

Error io_error(std::string_view what, const std::string& path, int err) {
  return Error{fmt::format("cannot {}: {}", what, std::strerror(err)), path,
               "check the directory's permissions and free space"};
}

void sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '-' || c == '_';
  });
}

Result<BatchInfo> parse_info(const std::string& path, const std::string& text) {
  auto bad = [&](std::string_view what) {
    return std::unexpected(Error{fmt::format("damaged outbox entry: {}", what), path,
                                 "delete it to drop this batch, or push again with --reshape"});
  };
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS) return bad("not JSON");
  BatchInfo info;
  std::string_view text_value;
  if (root["schema"].get(text_value) != simdjson::SUCCESS) return bad("no schema");
  if (text_value != kOutboxSchema) {
    // spanprof.outbox/1 removed batches on delivery and kept no ledgers: what
    // each destination has cannot be known.
    return std::unexpected(Error{
        fmt::format("outbox entry has schema {}, this spanprof reads {} (written by another "
                    "version; it kept no per-destination delivery state)",
                    text_value, kOutboxSchema),
        path, kReshapeHint});
  }
  if (root["id"].get(text_value) != simdjson::SUCCESS || !valid_id(text_value)) return bad("id");
  info.id = std::string(text_value);
  if (root["kind"].get(text_value) != simdjson::SUCCESS) return bad("kind");
  auto kind = std::find_if(std::begin(kKindNames), std::end(kKindNames),
                           [&](const KindName& k) { return text_value == k.name; });
  if (kind == std::end(kKindNames)) return bad(fmt::format("unknown kind \"{}\"", text_value));
  info.kind = kind->kind;
  if (root["path_and_query"].get(text_value) != simdjson::SUCCESS) return bad("path_and_query");
  info.path_and_query = std::string(text_value);
  if (root["content_type"].get(text_value) != simdjson::SUCCESS) return bad("content_type");
  info.content_type = std::string(text_value);
  // Absent in entries written before off-CPU pushes: those held CPU profiles.
  if (root["profile_type"].get(text_value) == simdjson::SUCCESS) {
    info.profile_type = std::string(text_value);
  } else if (info.kind != BatchKind::kOtlpTraces) {
    info.profile_type = "process_cpu";
  }
  struct U64Field {
    const char* name;
    uint64_t* target;
  };
  for (U64Field field : {U64Field{"profiles", &info.profiles}, U64Field{"samples", &info.samples},
                         U64Field{"spans", &info.spans}, U64Field{"body_bytes", &info.body_bytes},
                         U64Field{"uncompressed_bytes", &info.uncompressed_bytes}}) {
    if (root[field.name].get(*field.target) != simdjson::SUCCESS) return bad(field.name);
  }
  if (root["window_start_ns"].get(info.window_start_ns) != simdjson::SUCCESS) {
    return bad("window_start_ns");
  }
  if (root["window_end_ns"].get(info.window_end_ns) != simdjson::SUCCESS) {
    return bad("window_end_ns");
  }
  return info;
}

Result<std::string> read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(io_error("open", path, errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::unexpected(io_error("read", path, errno));
  return bytes;
}

}  // namespace

const char* batch_kind_name(BatchKind kind) {
  for (const KindName& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

const char* delivery_class_name(DeliveryClass what) {
  return what == DeliveryClass::kTraces ? "traces" : "profiles";
}

std::string Destination::describe() const {
  std::string out = url.display();
  if (!tenant.empty()) out += fmt::format(" (tenant {})", tenant);
  return out;
}

std::string Destination::canonical() const {
  return fmt::format("{} {}://{}:{}{} tenant={}", delivery_class_name(what), url.scheme, url.host,
                     url.port, url.path.empty() ? "/" : url.path, tenant);
}

std::string Destination::key() const {
  // FNV-1a 64: stable across builds and platforms, which std::hash is not.
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : canonical()) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", hash);
}

Result<Destination> destination_for(DeliveryClass what, const std::string& url,
                                    const std::string& tenant) {
  auto parts = split_url(url);
  if (!parts) {
    const char* flag = what == DeliveryClass::kTraces ? "--traces-endpoint" : "--server";
    return make_error(fmt::format("{}: {}", flag, parts.error().message), {}, parts.error().hint);
  }
  return Destination{what, std::move(*parts), tenant};
}

Outbox::Outbox(std::string capture_dir) : path_((fs::path(capture_dir) / "outbox").string()) {}

Result<void> Outbox::write(const Batch& batch) {
  if (!valid_id(batch.info.id)) {
    return make_error(fmt::format("invalid outbox batch id \"{}\"", batch.info.id), path_);
  }
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec) return make_error(fmt::format("cannot create the outbox: {}", ec.message()), path_);
  BatchInfo info = batch.info;
  info.body_bytes = batch.body.size();
  std::string base = (fs::path(path_) / info.id).string();
  if (auto ok = write_file_durably(base + std::string(kBodySuffix), batch.body); !ok) return ok;
  if (auto ok = write_file_durably(base + std::string(kInfoSuffix), info_json(info)); !ok) return ok;
  sync_directory(path_);
  return {};
}

Result<std::vector<BatchInfo>> Outbox::batches() const {
  std::vector<BatchInfo> batches;
  std::error_code ec;
  if (!fs::exists(path_, ec)) return batches;
  std::vector<std::string> bodies;
  std::vector<std::string> infos;
  for (fs::directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.ends_with(kBodySuffix)) bodies.push_back(name.substr(0, name.size() - kBodySuffix.size()));
    if (name.ends_with(kInfoSuffix)) infos.push_back(name.substr(0, name.size() - kInfoSuffix.size()));
    // An interrupted write (".tmp" is how spanprof 0.1 named them).
    if (is_durable_temporary(name) || name.ends_with(".tmp")) {
      std::error_code removed;  // a leftover that cannot be removed is listed again next time
      fs::remove(it->path(), removed);
    }
  }
  if (ec) return make_error(fmt::format("cannot list the outbox: {}", ec.message()), path_);
  std::sort(infos.begin(), infos.end());
  for (const std::string& stem : bodies) {
    if (!std::binary_search(infos.begin(), infos.end(), stem)) {
      std::error_code ignored;
      fs::remove(fs::path(path_) / (stem + std::string(kBodySuffix)), ignored);
    }
  }
  for (const std::string& stem : infos) {
    std::string info_path = (fs::path(path_) / (stem + std::string(kInfoSuffix))).string();
    auto text = read_whole(info_path);
    if (!text) return std::unexpected(text.error());
    auto info = parse_info(info_path, *text);
    if (!info) return std::unexpected(info.error());
    if (info->id != stem) {
      return make_error(fmt::format("outbox entry names batch \"{}\"", info->id), info_path,
                        "delete it to drop this batch, or push again with --reshape");
    }
    batches.push_back(std::move(*info));
  }
  return batches;
}

Result<std::string> Outbox::read_body(const BatchInfo& info) const {
  std::string body_path = (fs::path(path_) / (info.id + std::string(kBodySuffix))).string();
  auto body = read_whole(body_path);
  if (!body) return body;
  if (body->size() != info.body_bytes) {
    return make_error(fmt::format("outbox body has {} bytes, its entry says {}", body->size(),
                                  info.body_bytes),
                      body_path, "delete the batch's two files, or push again with --reshape");
  }
  return body;
}

Result<DeliveryLedger> Outbox::ledger(const Destination& destination) const {
  DeliveryLedger ledger;
  ledger.path_ = (fs::path(path_) / (std::string(kLedgerPrefix) + destination.key() +
                                     std::string(kLedgerSuffix)))
                     .string();
  ledger.header_ = std::string(kLedgerSchema) + destination.canonical();
  std::error_code ec;
  if (!fs::exists(ledger.path_, ec)) return ledger;
  auto text = read_small_file(ledger.path_, 64u << 20);
  if (!text) return std::unexpected(text.error());
  const char* hint = "delete it to send every batch to that destination again, or push with --reshape";
  ledger.file_bytes_ = text->size();
  size_t line_start = 0;
  for (size_t line = 1;; ++line) {
    size_t newline = text->find('\n', line_start);
    if (newline == std::string::npos) break;  // a torn last line (or none): ignored
    std::string_view content(text->data() + line_start, newline - line_start);
    if (line == 1) {
      if (content != ledger.header_) {
        return make_error(fmt::format("delivery ledger names another destination: \"{}\"",
                                      content.substr(0, 200)),
                          ledger.path_, hint);
      }
      ledger.existed_ = true;
    } else if (!valid_id(content)) {
      return make_error(fmt::format("damaged delivery ledger: line {} is not a batch id", line),
                        ledger.path_, hint);
    } else {
      ledger.ids_.emplace(content);
    }
    line_start = newline + 1;
    ledger.valid_bytes_ = line_start;
  }
  return ledger;
}

Result<void> DeliveryLedger::record(const std::string& id) {
  if (!valid_id(id)) return make_error(fmt::format("invalid batch id \"{}\"", id), path_);
  if (!existed_) {
    // New (or only a torn first line): the whole file at once.
    std::error_code ec;
    fs::create_directories(fs::path(path_).parent_path(), ec);
    if (ec) return make_error(fmt::format("cannot create the outbox: {}", ec.message()), path_);
    std::string text = header_ + "\n";
    for (const std::string& known : ids_) text += known + "\n";
    text += id + "\n";
    if (auto ok = write_file_durably(path_, text); !ok) return ok;
    existed_ = true;
    valid_bytes_ = file_bytes_ = text.size();
    ids_.insert(id);
    return {};
  }
  if (file_bytes_ != valid_bytes_) {
    if (::truncate(path_.c_str(), static_cast<off_t>(valid_bytes_)) != 0) {
      return std::unexpected(io_error("cut the torn last line of", path_, errno));
    }
    file_bytes_ = valid_bytes_;
  }
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return std::unexpected(io_error("open", path_, errno));
  std::string line = id + "\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return std::unexpected(io_error("append to", path_, err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return std::unexpected(io_error("fsync", path_, err));
  }
  ::close(fd);
  valid_bytes_ = file_bytes_ = valid_bytes_ + line.size();
  ids_.insert(id);
  return {};
}

Result<void> Outbox::clear() {
  std::error_code ec;
  if (!fs::exists(path_, ec)) return {};
  // By name, not by parsing: an outbox of another version is cleared too.
  for (fs::directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    bool ours = name.ends_with(kBodySuffix) || name.ends_with(kInfoSuffix) ||
                (name.starts_with(kLedgerPrefix) && name.ends_with(kLedgerSuffix)) ||
                is_durable_temporary(name) || name.ends_with(".tmp");
    if (!ours) continue;
    std::error_code removed;
    fs::remove(it->path(), removed);
    if (removed) {
      return make_error(fmt::format("cannot remove {}: {}", name, removed.message()), path_,
                        "check the directory's permissions");
    }
  }
  if (ec) return make_error(fmt::format("cannot list the outbox: {}", ec.message()), path_);
  sync_directory(path_);
  return {};
}

}  // namespace spanprof::push
