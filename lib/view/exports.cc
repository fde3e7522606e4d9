// write_export: checks the view model once (so the writers can index it
// freely), hands it to the format's writer, and writes what it gives back
// durably (a reader sees the old file or the whole new one).
#include "view/exports.h"

#include <filesystem>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "common/durable_file.h"
#include "view/chrome_export.h"
#include "view/firefox_export.h"
#include "view/folded_export.h"

namespace spanprof::view {
namespace {

namespace fs = std::filesystem;

Error model_error(std::string what) {
  return Error{"the view model is inconsistent: " + what, "export",
               "this is a spanprof bug: please report it with the capture"};
}

// Every index in range and every stack node after its parent: the exporters
// rely on both (the Firefox stack table must be in topological order).
Result<void> check_model(const ViewModel& model) {
  for (size_t i = 0; i < model.stacks.size(); ++i) {
    const StackNode& node = model.stacks[i];
    if (node.frame >= model.frames.size()) return std::unexpected(model_error(fmt::format("stack {} frame", i)));
    if (node.parent != kNone && node.parent >= i) {
      return std::unexpected(model_error(fmt::format("stack {} comes before its parent {}", i, node.parent)));
    }
  }
  for (size_t i = 0; i < model.spans.size(); ++i) {
    const Span& span = model.spans[i];
    if (span.name >= model.names.size() || span.service >= model.services.size() ||
        (span.parent != kNone && span.parent >= model.spans.size()) ||
        (span.thread != kNone && span.thread >= model.threads.size())) {
      return std::unexpected(model_error(fmt::format("span {} index", i)));
    }
  }
  for (size_t i = 0; i < model.samples.size(); ++i) {
    const Sample& sample = model.samples[i];
    if ((sample.stack != kNone && sample.stack >= model.stacks.size()) || sample.thread >= model.threads.size() ||
        (sample.span != kNone && sample.span >= model.spans.size()) ||
        (sample.span_top != kNone && sample.span_top >= model.spans.size()) ||
        static_cast<size_t>(sample.kind) >= kSampleKinds) {
      return std::unexpected(model_error(fmt::format("sample {} index", i)));
    }
  }
  return {};
}

// The .folded files a folded export listed in its README.txt ("NAME<TAB>...").
std::vector<std::string> files_of_earlier_export(const std::string& readme) {
  std::vector<std::string> files;
  size_t start = 0;
  while (start < readme.size()) {
    size_t end = readme.find('\n', start);
    if (end == std::string::npos) end = readme.size();
    std::string_view line(readme.data() + start, end - start);
    size_t tab = line.find('\t');
    if (tab != std::string_view::npos) {
      std::string_view name = line.substr(0, tab);
      if (name.ends_with(".folded") && name.find('/') == std::string_view::npos && !name.starts_with(".")) {
        files.emplace_back(name);
      }
    }
    start = end + 1;
  }
  return files;
}

// The folded export's directory: created when missing; an earlier folded
// export in it is replaced (its listed files removed), anything else refused
// so no one's files are mixed with ours or deleted.
Result<void> prepare_folded_directory(const std::string& dir) {
  std::error_code error;
  if (!fs::exists(dir, error)) {
    if (!fs::create_directories(dir, error)) {
      return make_error(fmt::format("cannot create the directory: {}", error.message()), dir,
                        "check the path and its permissions");
    }
    return {};
  }
  if (!fs::is_directory(dir, error)) {
    return make_error("is not a directory: the folded format writes a directory of files", dir,
                      "give -o a directory path");
  }
  std::string readme_path = (fs::path(dir) / kFoldedReadme).string();
  if (fs::is_empty(dir, error)) return {};
  Result<std::string> readme = read_small_file(readme_path, 1u << 20);
  if (!readme || !readme->starts_with(kFoldedReadmeTitle)) {
    return make_error("the directory is not empty and holds no earlier folded export", dir,
                      "give -o a new or empty directory");
  }
  for (const std::string& name : files_of_earlier_export(*readme)) fs::remove(fs::path(dir) / name, error);
  return {};
}

}  // namespace

Result<ExportOutcome> write_export(const ViewModel& model, ExportFormat format, const std::string& out,
                                   const ExportContext& context) {
  if (Result<void> checked = check_model(model); !checked) return std::unexpected(checked.error());
  ExportOutcome outcome;
  switch (format) {
    case ExportFormat::kFirefox: {
      FirefoxProfile profile = firefox_profile(model, context);
      if (Result<void> written = write_file_durably(out, profile.json); !written) {
        return std::unexpected(written.error());
      }
      outcome.files.push_back(out);
      outcome.notes = std::move(profile.notes);
      return outcome;
    }
    case ExportFormat::kChrome: {
      ChromeTrace trace = chrome_trace(model, context);
      if (Result<void> written = write_file_durably(out, trace.json); !written) {
        return std::unexpected(written.error());
      }
      outcome.files.push_back(out);
      outcome.notes = std::move(trace.notes);
      return outcome;
    }
    case ExportFormat::kFolded: {
      FoldedStacks stacks = folded_stacks(model, context);
      if (Result<void> ready = prepare_folded_directory(out); !ready) return std::unexpected(ready.error());
      for (const ExportedFile& file : stacks.files) {
        std::string path = (fs::path(out) / file.name).string();
        if (Result<void> written = write_file_durably(path, file.text); !written) {
          return std::unexpected(written.error());
        }
        outcome.files.push_back(std::move(path));
      }
      outcome.notes = std::move(stacks.notes);
      return outcome;
    }
  }
  return make_error("unknown export format", "export", "use firefox, chrome or folded");
}

}  // namespace spanprof::view
