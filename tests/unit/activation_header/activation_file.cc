#include "activation_file.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace activation_test {
namespace {

constexpr size_t kHeaderSize = 40;
constexpr size_t kRecordSize = 40;

uint64_t le(const std::vector<uint8_t>& bytes, size_t offset, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) value |= static_cast<uint64_t>(bytes[offset + i]) << (8 * i);
  return value;
}

}  // namespace

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

ActivationFile read_activation_file(const std::string& dir, pid_t pid) {
  ActivationFile file;
  std::string path = dir + "/activations-" + std::to_string(pid) + ".bin";
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return file;
  file.exists = true;
  file.mode = info.st_mode & 07777;
  std::string text = read_text(path);
  std::vector<uint8_t> bytes(text.begin(), text.end());
  if (bytes.size() < kHeaderSize) {
    file.problem = "shorter than the header: " + std::to_string(bytes.size()) + " bytes";
    return file;
  }
  // docs/activations.md: magic "SPANACT\0", version 1, header and record size 40, clock 1.
  if (std::memcmp(bytes.data(), "SPANACT\0", 8) != 0) file.problem = "bad magic";
  if (le(bytes, 8, 2) != 1) file.problem = "version is not 1";
  if (le(bytes, 10, 2) != kHeaderSize) file.problem = "header_size is not 40";
  if (le(bytes, 12, 2) != kRecordSize) file.problem = "record_size is not 40";
  if (le(bytes, 14, 2) != 1) file.problem = "clock_id is not 1 (CLOCK_MONOTONIC)";
  if (le(bytes, 20, 4) != 0) file.problem = "reserved is not 0";
  if ((bytes.size() - kHeaderSize) % kRecordSize != 0) {
    file.problem = "torn tail: " + std::to_string((bytes.size() - kHeaderSize) % kRecordSize);
  }
  file.pid = static_cast<uint32_t>(le(bytes, 16, 4));
  file.monotonic_ns = le(bytes, 24, 8);
  file.realtime_ns = le(bytes, 32, 8);
  for (size_t at = kHeaderSize; at + kRecordSize <= bytes.size(); at += kRecordSize) {
    Record record;
    record.time_ns = le(bytes, at, 8);
    record.pid = static_cast<uint32_t>(le(bytes, at + 8, 4));
    record.tid = static_cast<uint32_t>(le(bytes, at + 12, 4));
    std::memcpy(record.ids.data(), &bytes[at + 16], record.ids.size());
    file.records.push_back(record);
  }
  return file;
}

std::vector<pid_t> activation_file_pids(const std::string& dir) {
  std::vector<pid_t> pids;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    const std::string prefix = "activations-", suffix = ".bin";
    if (name.size() > prefix.size() + suffix.size() && name.starts_with(prefix) &&
        name.ends_with(suffix)) {
      pids.push_back(static_cast<pid_t>(
          std::stol(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()))));
    }
  }
  return pids;
}

Ids make_ids(uint8_t trace_byte, uint8_t span_byte) {
  Ids ids{};
  for (size_t i = 0; i < 16; ++i) ids[i] = static_cast<uint8_t>(trace_byte + i);
  for (size_t i = 16; i < 24; ++i) ids[i] = static_cast<uint8_t>(span_byte + i);
  return ids;
}

}  // namespace activation_test
