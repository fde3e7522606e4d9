// Activation files made byte by byte, as docs/activations.md lays them out
// (version 1: a 40-byte header, 40-byte records, little-endian), so each test
// can damage exactly the field it is about.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace spanprof::activations::testing {

// The header's fields, version 1's values by default.
struct ActivationHeader {
  std::string magic{"SPANACT\0", 8};
  uint16_t version = 1;
  uint16_t header_size = 40;
  uint16_t record_size = 40;
  uint16_t clock_id = 1;
  uint32_t pid = 100;
  uint32_t reserved = 0;
  uint64_t monotonic_ns = 5'000'000'000;
  uint64_t realtime_ns = 1'700'000'000'000'000'000;
};

class ActivationBytes {
 public:
  using Header = ActivationHeader;

  explicit ActivationBytes(Header header = {}) : header_(header) {
    bytes_.resize(header.magic.size());
    std::memcpy(bytes_.data(), header.magic.data(), header.magic.size());
    put(header.version);
    put(header.header_size);
    put(header.record_size);
    put(header.clock_id);
    put(header.pid);
    put(header.reserved);
    put(header.monotonic_ns);
    put(header.realtime_ns);
    // A longer header (a later version's fields) is zero-filled.
    if (header.header_size > bytes_.size()) bytes_.resize(header.header_size, 0);
  }

  // One record; trace and span ids are written big-endian (hex order). A
  // record_size over 40 pads each record with bytes a reader must skip.
  ActivationBytes& record(uint64_t time_ns, uint32_t tid, uint8_t trace_low, uint64_t span_id,
                          uint32_t pid = 0) {
    size_t start = bytes_.size();
    put(time_ns);
    put(pid == 0 ? header_.pid : pid);
    put(tid);
    for (int i = 0; i < 15; ++i) bytes_.push_back(0);
    bytes_.push_back(trace_low);
    for (int shift = 56; shift >= 0; shift -= 8) {
      bytes_.push_back(static_cast<uint8_t>(span_id >> shift));
    }
    while (bytes_.size() - start < header_.record_size) bytes_.push_back(0xee);
    return *this;
  }
  // "No span is current" from time_ns on: all-zero ids.
  ActivationBytes& none(uint64_t time_ns, uint32_t tid) { return record(time_ns, tid, 0, 0); }

  ActivationBytes& raw(std::initializer_list<uint8_t> tail) {
    bytes_.insert(bytes_.end(), tail);
    return *this;
  }

  std::vector<uint8_t>& data() { return bytes_; }
  std::span<const std::byte> bytes() const {
    return {reinterpret_cast<const std::byte*>(bytes_.data()), bytes_.size()};
  }

 private:
  template <class T>
  void put(T value) {
    for (size_t i = 0; i < sizeof(T); ++i) {
      bytes_.push_back(static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i)));
    }
  }

  Header header_;
  std::vector<uint8_t> bytes_;
};

}  // namespace spanprof::activations::testing
