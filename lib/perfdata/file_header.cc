#include "perfdata/file_header.h"

#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/byte_reader.h"
#include "perfdata/event_attr.h"
#include "perfdata/feature_parsers.h"
#include "perfdata/perf_abi.h"

namespace spanprof::perfdata {
namespace {

std::string at_offset(uint64_t offset) { return "perf.data byte offset " + std::to_string(offset); }

std::string describe_magic(std::span<const std::byte> first) {
  std::string text;
  std::string hex;
  char buf[4];
  for (size_t i = 0; i < first.size() && i < 8; ++i) {
    auto c = static_cast<unsigned char>(first[i]);
    text += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
    std::snprintf(buf, sizeof buf, "%02x", c);
    hex += buf;
  }
  return "\"" + text + "\" = 0x" + hex;
}

FileSection read_section(ByteReader& in) {
  FileSection section;
  section.offset = in.u64();
  section.size = in.u64();
  return section;
}

bool section_in_file(const FileSection& section, uint64_t file_size) {
  auto end = checked_add(section.offset, section.size);
  return end && *end <= file_size;
}

}  // namespace

Result<std::vector<std::byte>> read_exact_at(int fd, uint64_t offset, uint64_t size,
                                             const std::string& what) {
  std::vector<std::byte> out(size);
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return make_error("cannot read " + what + ": " + std::strerror(errno), at_offset(offset + done));
    }
    if (n == 0) {
      return make_error(what + " is cut short: " + std::to_string(size) + " bytes expected, " +
                            std::to_string(done) + " present",
                        at_offset(offset), "the capture is truncated; record it again");
    }
    done += static_cast<uint64_t>(n);
  }
  return out;
}

Result<FileHeader> parse_header_prefix(std::span<const std::byte> first, const std::string& path) {
  if (first.empty()) {
    return make_error("not a perf.data file: it is empty", path,
                      "perf record may have failed before writing anything");
  }
  ByteReader in(first);
  uint64_t magic = in.u64();
  uint64_t size = in.u64();
  if (first.size() >= 8 && magic == abi::kMagicSwapped) {
    return make_error(
        "the capture is from a big-endian machine; spanprof reads little-endian perf.data only",
        path,
        "convert it on that machine: run `perf script` or `perf report` there, or record on a "
        "little-endian host");
  }
  if (first.size() < 8 || magic != abi::kMagic) {
    return make_error("not a perf.data file (magic " + describe_magic(first) +
                          ", expected \"PERFILE2\")",
                      path, "pass a file written by `perf record`");
  }
  if (!in.ok()) {
    return make_error("perf.data header is cut short after the magic", path,
                      "the capture is truncated; record it again");
  }
  FileHeader header;
  header.header_size = size;
  if (size == abi::kPipeHeaderSize) {
    header.pipe_mode = true;
  } else if (size < abi::kFileHeaderSize) {
    return make_error("perf.data header size " + std::to_string(size) +
                          " is neither 16 (pipe mode) nor at least 104 (file mode)",
                      at_offset(8), "the file is corrupt; record it again");
  }
  return header;
}

Result<FileHeader> read_file_header(int fd, uint64_t file_size, const std::string& path,
                                    CaptureInfo& info) {
  auto bytes = read_exact_at(fd, 0, abi::kFileHeaderSize, "perf.data header");
  if (!bytes) return std::unexpected(bytes.error());
  auto header = parse_header_prefix(*bytes, path);
  if (!header) return header;
  if (header->pipe_mode) return header;

  ByteReader in(*bytes);
  in.skip(16);
  header->attr_size = in.u64();
  header->attrs = read_section(in);
  header->data = read_section(in);
  read_section(in);  // event_types: unused since perf 2.6.32
  for (auto& word : header->features) word = in.u64();

  const uint64_t attr_size = header->attr_size;
  if (attr_size < 16 + abi::kAttrSizeVer0 || attr_size > (1U << 20)) {
    return make_error("perf.data attr_size " + std::to_string(attr_size) +
                          " is not a valid attr entry size (80 bytes or more)",
                      at_offset(16), "the header is corrupt; record the capture again");
  }
  if (!section_in_file(header->attrs, file_size) || header->attrs.size % attr_size != 0) {
    return make_error("perf.data attrs section {offset " + std::to_string(header->attrs.offset) +
                          ", size " + std::to_string(header->attrs.size) +
                          "} does not fit the file (" + std::to_string(file_size) +
                          " bytes) or is not a multiple of attr_size " + std::to_string(attr_size),
                      at_offset(24), "the capture is truncated or corrupt; record it again");
  }
  if (header->attrs.size == 0) {
    return make_error("perf.data has no events (empty attrs section)", at_offset(24),
                      "perf record did not finish writing the header; record the capture again");
  }
  if (header->data.offset > file_size) {
    return make_error("perf.data data section starts at " + std::to_string(header->data.offset) +
                          ", past the end of the file (" + std::to_string(file_size) + " bytes)",
                      at_offset(40), "the capture is truncated; record it again");
  }

  auto attr_bytes = read_exact_at(fd, header->attrs.offset, header->attrs.size, "perf.data attrs");
  if (!attr_bytes) return std::unexpected(attr_bytes.error());
  ByteReader attrs_in(*attr_bytes, header->attrs.offset);
  // perf writes one ids section per attr, so together they fit in the file; a
  // file whose attrs share one large section would multiply it in memory.
  uint64_t id_bytes_total = 0;
  while (attrs_in.remaining() > 0) {
    uint64_t entry_offset = attrs_in.file_offset();
    // perf.data-file-format.txt: attr_size - 16 bytes of perf_event_attr, then {offset,size} of ids.
    EventAttr attr = parse_event_attr(attrs_in.bytes(attr_size - 16));
    FileSection ids = read_section(attrs_in);
    if (ids.size % 8 != 0 || !section_in_file(ids, file_size)) {
      return make_error("ids of the attr at byte " + std::to_string(entry_offset) +
                            " ({offset " + std::to_string(ids.offset) + ", size " +
                            std::to_string(ids.size) + "}) lie outside the file",
                        at_offset(entry_offset + attr_size - 16),
                        "the capture is truncated or corrupt; record it again");
    }
    id_bytes_total += ids.size;
    if (id_bytes_total > file_size) {
      return make_error("the ids sections of the attrs add up to " +
                            std::to_string(id_bytes_total) + " bytes, more than the file (" +
                            std::to_string(file_size) + " bytes): they overlap",
                        at_offset(entry_offset + attr_size - 16),
                        "the capture is corrupt; record it again");
    }
    auto id_bytes = read_exact_at(fd, ids.offset, ids.size, "attr ids");
    if (!id_bytes) return std::unexpected(id_bytes.error());
    ByteReader ids_in(*id_bytes, ids.offset);
    while (ids_in.remaining() >= 8) attr.ids.push_back(ids_in.u64());
    info.attrs.push_back(std::move(attr));
  }
  return header;
}

bool feature_table_plausible(int fd, const FileHeader& header, uint64_t file_size) {
  uint64_t count = 0;
  for (uint64_t word : header.features) count += static_cast<uint64_t>(std::popcount(word));
  if (count == 0) return false;
  uint64_t table_offset = header.data.offset + header.data.size;
  auto table_end = checked_add(table_offset, count * 16);
  if (!table_end || *table_end > file_size) return false;
  auto table = read_exact_at(fd, table_offset, count * 16, "feature table");
  if (!table) return false;
  ByteReader in(*table);
  for (uint64_t i = 0; i < count; ++i) {
    FileSection section = read_section(in);
    if (section.offset < *table_end || !section_in_file(section, file_size)) return false;
  }
  return true;
}

void read_features(int fd, const FileHeader& header, uint64_t file_size, CaptureInfo& info) {
  std::vector<uint32_t> bits;
  for (uint32_t bit = 0; bit < abi::kFeatureBits; ++bit) {
    if (header.has_feature(bit)) bits.push_back(bit);
  }
  if (bits.empty()) return;
  auto table_offset = checked_add(header.data.offset, header.data.size);
  if (!table_offset) return;
  auto table = read_exact_at(fd, *table_offset, bits.size() * 16, "feature table");
  if (!table) {
    info.warnings.push_back(table.error().to_string() + "; header features are ignored");
    return;
  }
  ByteReader in(*table, *table_offset);
  for (uint32_t bit : bits) {
    FileSection section = read_section(in);
    if (!section_in_file(section, file_size) || section.size > (1ULL << 30)) {
      info.warnings.push_back("feature " + std::to_string(bit) + " section {offset " +
                              std::to_string(section.offset) + ", size " +
                              std::to_string(section.size) + "} lies outside the file; skipped");
      continue;
    }
    auto payload = read_exact_at(fd, section.offset, section.size, "feature section");
    if (!payload) {
      info.warnings.push_back(payload.error().to_string());
      continue;
    }
    auto parsed = parse_feature(bit, *payload, section.offset, info);
    if (!parsed) info.warnings.push_back(parsed.error().to_string());
  }
}

}  // namespace spanprof::perfdata
