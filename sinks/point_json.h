// A point as one JSON object, the shape ringest-dump prints (and `ringestd
// parse` will): {"measurement":…,"tags":[[k,v],…],"fields":[{"key":…,"type":…,
// "value":…}],"time_ns":N}.
//   - tags are sorted by key (a stable sort: equal keys keep their order);
//   - int and uint values are decimal strings (JSON numbers lose precision
//     past 2^53 in most readers); floats are numbers in the shortest form that
//     reads back to the same double; NaN and infinities, which JSON can't
//     hold, are the strings "NaN", "+Inf", "-Inf";
//   - strings escape quotes, backslash and control characters, and every byte
//     that is not part of valid UTF-8 as \u00XX.
// Appends to `out`; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/point.h"

namespace ringest {

// "…" with the escaping above.
void append_json_string(std::string& out, std::string_view s);
// The members of a point object without braces: "measurement":…,…,"time_ns":N
void append_point_members(std::string& out, const PointView& p);
// {"measurement":…,…}
void append_point_json(std::string& out, const PointView& p);
// The members of an origin: "listener":L,"source":"1.2.3.4:5","receive_ns":N
void append_origin_members(std::string& out, const Origin& o);

}  // namespace ringest
