#include "profile/profile_text.h"

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <map>
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
    for (const auto& sample : profile_.sample()) {
      if (static_cast<size_t>(sample.value_size()) != width) {
        return make_error("sample has " + std::to_string(sample.value_size()) +
                          " values, expected " + std::to_string(width));
      }
      auto body = sample_body(sample);
      if (!body) return std::unexpected(body.error());
      auto& sums = blocks.try_emplace(std::move(*body), width, 0).first->second;
      for (size_t i = 0; i < width; ++i) {
        sums[i] += sample.value(static_cast<int>(i));
        totals[i] += sample.value(static_cast<int>(i));
      }
    }

    std::string out = "sample_types:";
    for (const auto& type : profile_.sample_type()) {
      out += " " + str(type.type()) + "/" + str(type.unit());
    }
    out += "\nperiod_type: " + str(profile_.period_type().type()) + "/" +
           str(profile_.period_type().unit());
    out += "\nperiod: " + std::to_string(profile_.period());
    out += "\ntotals:" + values_text(totals);
    out += "\nsamples: " + std::to_string(blocks.size()) + "\n";
    for (const auto& [body, sums] : blocks) {
      out += "\nsample:" + values_text(sums) + "\n" + body;
    }
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

  std::string labels_text(const pprof::Sample& sample) const {
    std::vector<std::pair<std::string, std::string>> labels;  // key, value text
    for (const auto& label : sample.label()) {
      std::string value;
      if (label.str() != 0) {
        value = "\"" + str(label.str()) + "\"";
      } else {
        value = std::to_string(label.num());
        if (label.num_unit() != 0) value += " " + str(label.num_unit());
      }
      labels.emplace_back(str(label.key()), std::move(value));
    }
    std::sort(labels.begin(), labels.end());
    std::string out = "  labels:";
    for (const auto& [key, value] : labels) out += " " + key + "=" + value;
    return out + "\n";
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

  Result<std::string> sample_body(const pprof::Sample& sample) const {
    std::string out = sample.label_size() > 0 ? labels_text(sample) : "";
    for (uint64_t id : sample.location_id()) {
      auto it = locations_.find(id);
      if (it == locations_.end()) {
        return make_error("sample names unknown location " + std::to_string(id));
      }
      const pprof::Location& location = *it->second;
      if (location.line_size() == 0) {
        out += "  " + unsymbolized_text(location) + "\n";
        continue;
      }
      // pprof: the last line is the caller the preceding ones were inlined into.
      for (int i = 0; i < location.line_size(); ++i) {
        bool inlined = i + 1 < location.line_size();
        out += inlined ? "  [inline] " : "  ";
        out += frame_text(location.line(i)) + "\n";
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
