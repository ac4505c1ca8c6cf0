// A point as one InfluxDB line-protocol entry, the shape `ringest-dump print
// --format line` prints: what ringest's own `influx` parser and InfluxDB
// accept. Line protocol cannot say everything a point may hold, so:
//   - tags are sorted by key (a stable sort), as InfluxDB keeps them; of
//     repeated keys (DogStatsD allows "env:a,env:b") the first is kept;
//   - a tag without a value (a DogStatsD bare tag "t") is written t=true, as
//     Telegraf's DogStatsD input maps it: line protocol has no empty tag value;
//   - NaN and infinite floats, which line protocol can't write, are left out;
//   - a newline in a name, key or tag value is written as the two bytes "\n"
//     (line protocol has no escape for it); string fields keep theirs;
//   - a byte that is not part of valid UTF-8 is written as U+FFFD (line
//     protocol is UTF-8; stored strings are the bytes a sender sent);
//   - the time is the point's, in nanoseconds.
// Appends one line, its '\n' included, to `out`.
#pragma once

#include <string>
#include <string_view>

#include "common/point.h"

namespace ringest {

void append_point_line(std::string& out, const PointView& p);
// A string field value: "…" with '"' and '\' escaped.
void append_line_string(std::string& out, std::string_view s);
// `s` with a backslash before each byte of `special`, newlines as "\n".
void append_line_escaped(std::string& out, std::string_view s, std::string_view special);

}  // namespace ringest
