#include "join/span_loader.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace spanprof::join {

Result<std::unique_ptr<SpanLoader>> SpanLoader::start(SpanLoaderInputs inputs,
                                                      spans::SpanReaderOptions options,
                                                      attribute::SpanScope scope) {
  // A missing span file should fail before the long part, not after it.
  for (const std::string& path : inputs.span_files) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return make_error(std::string("cannot open span file: ") + std::strerror(errno), path,
                        "check the path given to --spans");
    }
    struct stat st {};
    const bool directory = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    ::close(fd);
    if (directory) {
      // open() accepts a directory; reading it fails only later, on the loading thread.
      return make_error("is a directory, not a span file", path,
                        "pass the span files inside it, or the capture directory as DIR");
    }
  }
  for (const std::string& path : inputs.activation_files) {
    // Given by hand (--activations) it must exist, as a span file must; a
    // damaged one is skipped later with a warning.
    if (::access(path.c_str(), R_OK) != 0) {
      return make_error(std::string("cannot open activation file: ") + std::strerror(errno), path,
                        "check the path given to --activations");
    }
  }
  auto loader = std::unique_ptr<SpanLoader>(new SpanLoader());
  loader->loading_ = std::async(
      std::launch::async,
      [inputs = std::move(inputs), options = std::move(options), scope]() -> Result<LoadedSpans> {
        LoadedSpans loaded;
        spans::SpanSet set;
        for (const std::string& path : inputs.span_files) {
          auto read = spans::read_span_file(path, options, set, loaded.stats);
          if (!read) return std::unexpected(read.error());
        }
        if (!inputs.namespace_ids.empty()) {
          // Before the index is built: it keys spans by (pid, tid).
          if (auto ids = capture::read_namespace_ids(inputs.namespace_ids)) {
            loaded.namespace_mapping = map_namespaced_ids(*ids, set);
          } else {
            loaded.warnings.push_back(Warning::from_error(WarningKind::kCapture, ids.error()));
          }
        }
        loaded.attribution = std::make_unique<attribute::SpanAttribution>(std::move(set), scope);
        if (!inputs.activation_files.empty() || !inputs.activation_error_notes.empty()) {
          loaded.activations =
              activations::load_activations(inputs.activation_files, inputs.activation_error_notes);
        }
        return loaded;
      });
  return loader;
}

bool SpanLoader::ready() const {
  return loading_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

Result<LoadedSpans> SpanLoader::take() { return loading_.get(); }

}  // namespace spanprof::join
