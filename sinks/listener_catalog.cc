#include "sinks/listener_catalog.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <span>

#include "common/clock.h"
#include "sinks/crc32c.h"
#include "sinks/file_layer.h"

namespace ringest {
namespace {

using Json = nlohmann::json;

std::string checksum_hex(const std::string& json) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc32c::value(json.data(), json.size()));
  return hex;
}

// One line without its '\n': the JSON it holds if the checksum matches.
bool parse_line(std::string_view line, Json& out) {
  if (line.size() < 10 || line[8] != ' ') return false;
  const std::string json(line.substr(9));
  if (checksum_hex(json) != line.substr(0, 8)) return false;
  out = Json::parse(json, nullptr, false);
  return out.is_object();
}

}  // namespace

Status ListenerCatalog::read(const std::filesystem::path& data_dir, ListenerCatalog& out,
                             std::vector<std::string>* damage) {
  out = ListenerCatalog();
  out.path_ = data_dir / kFileName;
  std::error_code ec;
  if (!std::filesystem::exists(out.path_, ec)) return Status();
  std::vector<uint8_t> bytes;
  if (Status st = read_file(out.path_, bytes); !st.ok()) return st;
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  size_t at = 0;
  uint32_t entry_lines = 0;  // whole lines after the first, damaged ones too
  for (size_t line_no = 1; at < text.size(); ++line_no) {
    const size_t end = text.find('\n', at);
    if (end == std::string_view::npos) {
      if (damage) damage->push_back(out.path_.string() + ": line " + std::to_string(line_no) + ": torn (no end)");
      break;  // size_ stays at the last whole line: the writer cuts the rest
    }
    Json j;
    const bool ok = parse_line(text.substr(at, end - at), j);
    at = end + 1;
    out.size_ = at;
    if (line_no > 1) ++entry_lines;
    if (ok && j.contains("first_id") && j["first_id"].is_number_unsigned()) {
      out.first_id_ = j["first_id"].get<uint16_t>();
      out.next_id_ = std::max<uint32_t>(out.next_id_, out.first_id_);
    } else if (ok && j.contains("id") && j["id"].is_number_unsigned() && j.value("name", Json()).is_string() &&
               j.value("format", Json()).is_string()) {
      CatalogEntry e;
      e.id = j["id"].get<uint16_t>();
      e.name = j["name"].get<std::string>();
      e.format = j["format"].get<std::string>();
      e.added_ns = j.value("added_ns", int64_t{0});
      out.next_id_ = std::max<uint32_t>(out.next_id_, uint32_t{e.id} + 1);
      out.entries_.push_back(std::move(e));
    } else if (damage) {
      damage->push_back(out.path_.string() + ": line " + std::to_string(line_no) + ": damaged, skipped");
    }
  }
  // Ids are handed out in line order: a damaged line's id is not reused either.
  out.next_id_ = std::max(out.next_id_, uint32_t{out.first_id_} + entry_lines);
  return Status();
}

Status ListenerCatalog::open(const std::filesystem::path& data_dir, bool has_old_data, ListenerCatalog& out,
                             std::vector<std::string>* damage) {
  if (Status st = read(data_dir, out, damage); !st.ok()) return st;
  std::error_code ec;
  const bool exists = std::filesystem::exists(out.path_, ec);
  FileHandle f;
  if (exists) {
    if (Status st = open_file(out.path_, OpenMode::kReadWrite, f); !st.ok()) return st;
    uint64_t size = 0;
    Status st = file_size(f, size);
    if (st.ok() && size != out.size_) st = truncate_file(f, out.size_);  // a torn last line
    if (st.ok()) st = datasync_file(f);
    close_file(f);
    return st;
  }
  out.first_id_ = has_old_data ? kFirstIdOverOldData : 0;
  out.next_id_ = out.first_id_;
  if (Status st = open_file(out.path_, OpenMode::kCreateNew, f); !st.ok()) return st;
  close_file(f);
  if (Status st = out.append_line(Json{{"first_id", out.first_id_}}.dump()); !st.ok()) return st;
  return sync_directory(data_dir);
}

Status ListenerCatalog::id_for(const std::string& name, const std::string& format, uint16_t& id) {
  for (const CatalogEntry& e : entries_) {
    if (e.name == name && e.format == format) {
      id = e.id;
      return Status();
    }
  }
  if (next_id_ > UINT16_MAX) return Status::invalid(path_.string() + ": no listener ids left");
  CatalogEntry e{static_cast<uint16_t>(next_id_), name, format, wall_ns()};
  Json j{{"id", e.id}, {"name", e.name}, {"format", e.format}, {"added_ns", e.added_ns}};
  if (Status st = append_line(j.dump()); !st.ok()) return st;
  ++next_id_;
  id = e.id;
  entries_.push_back(std::move(e));
  return Status();
}

const CatalogEntry* ListenerCatalog::find(uint16_t id) const {
  for (const CatalogEntry& e : entries_)
    if (e.id == id) return &e;
  return nullptr;
}

Status ListenerCatalog::append_line(const std::string& json) {
  const std::string line = checksum_hex(json) + ' ' + json + '\n';
  FileHandle f;
  if (Status st = open_file(path_, OpenMode::kReadWrite, f); !st.ok()) return st;
  Status st = write_file_at(f, size_, std::span(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
  if (st.ok()) st = datasync_file(f);
  close_file(f);
  if (!st.ok()) {
    // Whatever part of the line got written is cut when the catalog is next opened.
    return st;
  }
  size_ += line.size();
  return Status();
}

}  // namespace ringest
