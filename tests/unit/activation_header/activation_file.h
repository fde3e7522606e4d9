// Reads an activation file (docs/activations.md, version 1) for the header's tests:
// strict, because the writer under test must produce exactly the documented bytes.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace activation_test {

using Ids = std::array<uint8_t, 24>;  // trace_id (16) then span_id (8), as in a record

struct Record {
  uint64_t time_ns = 0;
  uint32_t pid = 0;
  uint32_t tid = 0;
  Ids ids{};
};

struct ActivationFile {
  bool exists = false;
  std::string problem;  // empty when the bytes follow the format exactly
  uint32_t mode = 0;    // permission bits
  uint32_t pid = 0;
  uint64_t monotonic_ns = 0;
  uint64_t realtime_ns = 0;
  std::vector<Record> records;
};

// Reads DIR/activations-PID.bin.
ActivationFile read_activation_file(const std::string& dir, pid_t pid);

// The pids of every DIR/activations-PID.bin.
std::vector<pid_t> activation_file_pids(const std::string& dir);

// The whole of a small text file, or "" when it cannot be read.
std::string read_text(const std::string& path);

Ids make_ids(uint8_t trace_byte, uint8_t span_byte);

}  // namespace activation_test
