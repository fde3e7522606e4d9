#include "profile/profile_text.h"

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pprof.pb.h"
#include "profile/gzip.h"

namespace spanprof::profile {
namespace {

std::string_view basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string hex(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%" PRIx64, value);
  return buffer;
}

// Bounds rendered text. A sample names its locations by id and a frame or label
// names strings by index, so a few KiB of profile can name a location of
// thousands of lines thousands of times: the text would grow as the product of
// input sizes, not with them.
class TextBudget {
 public:
  explicit TextBudget(size_t max_bytes) : max_bytes_(max_bytes), left_(max_bytes) {}

  // Appends text to out; false, appending nothing, when that would go over the bound.
  [[nodiscard]] bool append(std::string& out, std::string_view text) {
    if (text.size() > left_) return false;
    left_ -= text.size();
    out += text;
    return true;
  }

  bool has_room(size_t bytes) const { return bytes <= left_; }

  std::unexpected<Error> exceeded() const {
    return make_error("profile text would exceed " + std::to_string(max_bytes_ >> 20) + " MiB",
                      {}, "locations or strings repeated far beyond what a real profile holds");
  }

 private:
  size_t max_bytes_;
  size_t left_;
};

class TextRenderer {
 public:
  explicit TextRenderer(const pprof::Profile& profile) : profile_(profile) {
    for (const auto& m : profile.mapping()) mappings_[m.id()] = &m;
    for (const auto& f : profile.function()) functions_[f.id()] = &f;
    for (const auto& l : profile.location()) locations_[l.id()] = &l;
  }

  Result<std::string> render() const {
    const size_t width = static_cast<size_t>(profile_.sample_type_size());
    std::map<std::string, std::vector<int64_t>> blocks;
    std::vector<int64_t> totals(width, 0);
    // Samples merged into one block are rendered too: they count against the bound.
    TextBudget rendering(kMaxProfileTextBytes);
    for (const auto& sample : profile_.sample()) {
      if (static_cast<size_t>(sample.value_size()) != width) {
        return make_error("sample has " + std::to_string(sample.value_size()) +
                          " values, expected " + std::to_string(width));
      }
      auto body = sample_body(sample, rendering);
      if (!body) return std::unexpected(body.error());
      auto& sums = blocks.try_emplace(std::move(*body), width, 0).first->second;
      for (size_t i = 0; i < width; ++i) {
        int64_t value = sample.value(static_cast<int>(i));
        if (__builtin_add_overflow(sums[i], value, &sums[i]) ||
            __builtin_add_overflow(totals[i], value, &totals[i])) {
          const auto& type = profile_.sample_type(static_cast<int>(i));
          return make_error("sum of " + str(type.type()) + "/" + str(type.unit()) +
                            " sample values overflows int64");
        }
      }
    }

    TextBudget output(kMaxProfileTextBytes);
    std::string out;
    bool fits = output.append(out, "sample_types:");
    for (const auto& type : profile_.sample_type()) {
      fits = fits && output.append(out, " " + str(type.type()) + "/" + str(type.unit()));
    }
    fits = fits && output.append(out, "\nperiod_type: " + str(profile_.period_type().type()) +
                                          "/" + str(profile_.period_type().unit()));
    fits = fits && output.append(out, "\nperiod: " + std::to_string(profile_.period()));
    fits = fits && output.append(out, "\ntotals:" + values_text(totals));
    fits = fits && output.append(out, "\nsamples: " + std::to_string(blocks.size()) + "\n");
    for (const auto& [body, sums] : blocks) {
      fits = fits && output.append(out, "\nsample:" + values_text(sums) + "\n") &&
             output.append(out, body);
    }
    if (!fits) return output.exceeded();
    return out;
  }

 private:
  // Out-of-range indices render visibly rather than failing: this is a debugging view.
  std::string str(int64_t index) const {
    if (index < 0 || index >= profile_.string_table_size()) {
      return "<bad string " + std::to_string(index) + ">";
    }
    return profile_.string_table(static_cast<int>(index));
  }

  static std::string values_text(const std::vector<int64_t>& values) {
    std::string out;
    for (int64_t v : values) out += " " + std::to_string(v);
    return out;
  }

  std::string labels_text(const pprof::Sample& sample, TextBudget& budget, bool& fits) const {
    std::vector<std::pair<std::string, std::string>> labels;  // key, value text
    size_t text_bytes = 0;  // checked as the labels are collected, before sorting them
    for (const auto& label : sample.label()) {
      std::string value;
      if (label.str() != 0) {
        value = "\"" + str(label.str()) + "\"";
      } else {
        value = std::to_string(label.num());
        if (label.num_unit() != 0) value += " " + str(label.num_unit());
      }
      labels.emplace_back(str(label.key()), std::move(value));
      text_bytes += labels.back().first.size() + labels.back().second.size() + 2;
      if (!budget.has_room(text_bytes)) {
        fits = false;
        return {};
      }
    }
    std::sort(labels.begin(), labels.end());
    std::string out;
    fits = budget.append(out, "  labels:");
    for (const auto& [key, value] : labels) {
      fits = fits && budget.append(out, " " + key + "=" + value);
    }
    fits = fits && budget.append(out, "\n");
    return out;
  }

  std::string frame_text(const pprof::Line& line) const {
    auto it = functions_.find(line.function_id());
    if (it == functions_.end())
      return "<unknown function " + std::to_string(line.function_id()) + ">";
    const pprof::Function& function = *it->second;
    std::string out = str(function.name());
    std::string file{basename(str(function.filename()))};
    if (!file.empty()) {
      out += " " + file;
      if (line.line() != 0) out += ":" + std::to_string(line.line());
    }
    return out;
  }

  std::string unsymbolized_text(const pprof::Location& location) const {
    auto it = mappings_.find(location.mapping_id());
    if (it == mappings_.end()) return hex(location.address()) + " ?";
    const pprof::Mapping& m = *it->second;
    uint64_t offset = location.address() - m.memory_start() + m.file_offset();
    return hex(offset) + " " + std::string(basename(str(m.filename())));
  }

  Result<std::string> sample_body(const pprof::Sample& sample, TextBudget& budget) const {
    bool fits = true;
    std::string out = sample.label_size() > 0 ? labels_text(sample, budget, fits) : "";
    if (!fits) return budget.exceeded();
    for (uint64_t id : sample.location_id()) {
      auto it = locations_.find(id);
      if (it == locations_.end()) {
        return make_error("sample names unknown location " + std::to_string(id));
      }
      const pprof::Location& location = *it->second;
      if (location.line_size() == 0) {
        if (!budget.append(out, "  " + unsymbolized_text(location) + "\n")) {
          return budget.exceeded();
        }
        continue;
      }
      // pprof: the last line is the caller the preceding ones were inlined into.
      for (int i = 0; i < location.line_size(); ++i) {
        bool inlined = i + 1 < location.line_size();
        if (!budget.append(out, (inlined ? "  [inline] " : "  ") + frame_text(location.line(i)) +
                                    "\n")) {
          return budget.exceeded();
        }
      }
    }
    return out;
  }

  const pprof::Profile& profile_;
  std::unordered_map<uint64_t, const pprof::Mapping*> mappings_;
  std::unordered_map<uint64_t, const pprof::Function*> functions_;
  std::unordered_map<uint64_t, const pprof::Location*> locations_;
};

}  // namespace

Result<std::string> profile_to_text(std::string_view bytes) {
  std::string inflated;
  if (has_gzip_magic(bytes)) {
    auto result = gzip_decompress(bytes);
    if (!result) return std::unexpected(result.error());
    inflated = std::move(*result);
    bytes = inflated;
  }
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return make_error("profile larger than protobuf's 2 GiB message limit");
  }
  pprof::Profile profile;
  if (!profile.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return make_error("not a pprof profile (protobuf parse failed)");
  }
  return TextRenderer(profile).render();
}

}  // namespace spanprof::profile
