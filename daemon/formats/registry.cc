// The format registry: one row per wire format. Adding a format is one new
// file in daemon/formats/ plus one row in kFormats.
#include <array>

#include "daemon/formats/graphite.h"
#include "daemon/formats/line_protocol.h"
#include "daemon/formats/parser.h"
#include "daemon/formats/statsd.h"
#include "daemon/formats/syslog.h"

namespace ringest {
namespace {

struct FormatEntry {
  std::string_view name;
  std::unique_ptr<Parser> (*make)(const ParserOptions& opts);
};

template <typename P>
std::unique_ptr<Parser> make(const ParserOptions& opts) {
  return std::make_unique<P>(opts);
}

constexpr FormatEntry kFormats[] = {
    {"statsd", &make<StatsdParser>},
    {"influx", &make<LineProtocolParser>},
    {"graphite", &make<GraphiteParser>},
    {"syslog", &make<SyslogParser>},
    {"rfc5424", &make<Rfc5424Parser>},
    {"rfc3164", &make<Rfc3164Parser>},
};

// known_formats() hands out a span, so the names are kept contiguous too.
constexpr auto kNames = [] {
  std::array<std::string_view, std::size(kFormats)> names{};
  for (size_t i = 0; i < names.size(); ++i) names[i] = kFormats[i].name;
  return names;
}();

}  // namespace

std::unique_ptr<Parser> make_parser(std::string_view format, const ParserOptions& opts) {
  for (const FormatEntry& f : kFormats) {
    if (f.name == format) return f.make(opts);
  }
  return nullptr;
}

std::span<const std::string_view> known_formats() { return kNames; }

bool precision_from_name(std::string_view name, int64_t& ns) {
  int64_t unit = 1;
  for (std::string_view n : kPrecisionNames) {
    if (n == name) {
      ns = unit;
      return true;
    }
    unit *= 1000;
  }
  return false;
}

}  // namespace ringest
