// Points and records as JSON, the shape ringest-dump prints and `ringestd
// parse` writes: {"measurement":…,"tags":[[k,v],…],"fields":[{"key":…,
// "type":…,"value":…}],"time_ns":N}, written by nlohmann-json.
//   - members keep this order; tags are sorted by key (a stable sort: equal
//     keys keep their order);
//   - int and uint values are decimal strings (JSON numbers lose precision
//     past 2^53 in most readers); floats are numbers in the shortest form that
//     reads back to the same double; NaN and infinities, which JSON can't
//     hold, are the strings "NaN", "+Inf", "-Inf";
//   - strings escape quotes, backslash and control characters; bytes that are
//     not valid UTF-8 become U+FFFD (as in the line-protocol output).
// Thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "common/point.h"

namespace ringest {

// Adds the point's members (measurement, tags, fields, time_ns) to `obj`.
void add_point_members(nlohmann::ordered_json& obj, const PointView& p);
// Adds an origin's members: "listener":L,"source":"1.2.3.4:5","receive_ns":N.
void add_origin_members(nlohmann::ordered_json& obj, const Origin& o);
// Appends `j` as one line of compact JSON (no newline).
void append_json(std::string& out, const nlohmann::ordered_json& j);
// {"measurement":…,…}
void append_point_json(std::string& out, const PointView& p);

}  // namespace ringest
