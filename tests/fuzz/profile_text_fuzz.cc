// `spanprof dump`: a pprof profile (gzip or raw protobuf) rendered as text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.h"
#include "profile/profile_text.h"
#include "quiet_protobuf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = spanprof::profile::profile_to_text(
      std::string_view(reinterpret_cast<const char*>(data), size));
  spanprof::fuzz::Sink sink;
  sink.add_text(text ? *text : text.error().to_string());
  return 0;
}
