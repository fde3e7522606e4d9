// A span file's bytes as a stream: plain, or gzip inflated on the fly, so a
// large compressed file is never held in memory whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/result.h"

namespace spanprof::spans {

class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Fills the front of out; returns how many bytes were read, 0 at the end.
  // An error (unreadable file, corrupt gzip data) ends the stream.
  virtual Result<size_t> read(std::span<char> out) = 0;
};

// Opens path, detecting gzip by its magic bytes (RFC 1952: 1f 8b). Concatenated
// gzip members are read one after another, as gunzip does.
Result<std::unique_ptr<ByteSource>> open_byte_source(const std::string& path);

// Reads until out is full or the stream ends; returns the bytes read.
Result<size_t> read_fully(ByteSource& source, std::span<char> out);

}  // namespace spanprof::spans
