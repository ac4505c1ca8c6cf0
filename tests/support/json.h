// JSON test vectors (one document per line), read by nlohmann-json into a
// plain tree the tests walk: objects keep their members in document order and
// numbers keep the text they were written as (through nlohmann's SAX
// interface, which hands a float's text over).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringest::testing {

struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool b = false;
  double num = 0;
  std::string str;  // the string, or a number's text as written
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;  // in document order

  bool is_null() const { return kind == Kind::kNull; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_number() const { return kind == Kind::kNumber; }
  bool is_bool() const { return kind == Kind::kBool; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_object() const { return kind == Kind::kObject; }

  // The member named `key`, or nullptr.
  const Json* find(std::string_view key) const {
    for (const auto& [k, v] : members) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

namespace json_detail {

// Builds a Json from nlohmann's SAX events.
class Builder : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit Builder(Json& root) : root_(root) {}

  bool null() override { return put(Json{}); }
  bool boolean(bool v) override {
    Json j;
    j.kind = Json::Kind::kBool;
    j.b = v;
    return put(std::move(j));
  }
  // Integers come without their text: JSON writes an integer one way only.
  bool number_integer(number_integer_t v) override { return number(std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return number(std::to_string(v)); }
  bool number_float(number_float_t, const string_t& text) override { return number(text); }
  bool string(string_t& v) override {
    Json j;
    j.kind = Json::Kind::kString;
    j.str = std::move(v);
    return put(std::move(j));
  }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return open(Json::Kind::kObject); }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(Json::Kind::kArray); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool number(const string_t& text) {
    Json j;
    j.kind = Json::Kind::kNumber;
    j.str = text;
    j.num = std::strtod(text.c_str(), nullptr);
    return put(std::move(j));
  }
  // Adds `j` to the open container (under the last key in an object).
  Json* add(Json j) {
    if (open_.empty()) {
      root_ = std::move(j);
      return &root_;
    }
    Json& top = *open_.back();
    if (top.kind == Json::Kind::kObject) {
      top.members.emplace_back(std::move(key_), std::move(j));
      return &top.members.back().second;
    }
    top.items.push_back(std::move(j));
    return &top.items.back();
  }
  bool put(Json j) {
    add(std::move(j));
    return true;
  }
  // A container stays where add() put it: its parent grows only after it closes.
  bool open(Json::Kind kind) {
    Json j;
    j.kind = kind;
    open_.push_back(add(std::move(j)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }

  Json& root_;
  std::vector<Json*> open_;
  std::string key_;
};

}  // namespace json_detail

// The document `text` holds, or nullopt if it is not exactly one JSON value.
inline std::optional<Json> parse_json(std::string_view text) {
  Json out;
  json_detail::Builder b(out);
  if (!nlohmann::json::sax_parse(text, &b)) return std::nullopt;
  return out;
}

// Decodes standard base64 (with '=' padding); nullopt on a bad character.
inline std::optional<std::string> decode_base64(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace ringest::testing
