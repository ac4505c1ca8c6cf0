#include "sinks/point_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace ringest {
namespace {

using Json = nlohmann::ordered_json;

const char* type_name(FieldType t) {
  switch (t) {
    case FieldType::kFloat: return "float";
    case FieldType::kInt: return "int";
    case FieldType::kUint: return "uint";
    case FieldType::kString: return "string";
    case FieldType::kBool: return "bool";
  }
  return "unknown";
}

Json float_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return v;
}

Json field_value(const Field& f) {
  switch (f.type) {
    case FieldType::kFloat: return float_value(f.f);
    case FieldType::kInt: return std::to_string(f.i);
    case FieldType::kUint: return std::to_string(f.u);
    case FieldType::kString: return std::string(f.s);
    case FieldType::kBool: return f.b;
  }
  return nullptr;
}

}  // namespace

void add_point_members(Json& obj, const PointView& p) {
  obj["measurement"] = std::string(p.measurement);
  std::vector<const Tag*> sorted;
  sorted.reserve(p.tags.size());
  for (const Tag& t : p.tags) sorted.push_back(&t);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Tag* a, const Tag* b) { return a->key < b->key; });
  Json& tags = obj["tags"] = Json::array();
  for (const Tag* t : sorted) tags.push_back(Json::array({std::string(t->key), std::string(t->value)}));
  Json& fields = obj["fields"] = Json::array();
  for (const Field& f : p.fields) {
    fields.push_back(Json{{"key", std::string(f.key)}, {"type", type_name(f.type)}, {"value", field_value(f)}});
  }
  obj["time_ns"] = p.time_ns;
}

void add_origin_members(Json& obj, const Origin& o) {
  obj["listener"] = o.listener;
  obj["source"] = o.source.to_string();
  obj["receive_ns"] = o.receive_ns;
}

void append_json(std::string& out, const Json& j) {
  out += j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void append_point_json(std::string& out, const PointView& p) {
  Json obj = Json::object();
  add_point_members(obj, p);
  append_json(out, obj);
}

}  // namespace ringest
