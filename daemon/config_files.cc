#include "daemon/config_files.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

namespace ringest {
namespace {

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

std::string where(const toml::source_region& r) {
  return (r.path ? *r.path : std::string("?")) + ":" + std::to_string(r.begin.line);
}

bool blank(const std::string& text) { return text.find_first_not_of(" \t\r\n") == std::string::npos; }

bool read_text(const std::filesystem::path& path, std::string& text, std::string& error) {
  const std::string name = path.string();
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    error = name + ": cannot open: " + (ec ? ec.message() : std::string("No such file or directory"));
    return false;
  }
  if (!std::filesystem::is_regular_file(st)) {
    error = name + ": not a regular file" + (std::filesystem::is_directory(st) ? " (a directory)" : "");
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = name + ": cannot open: " + std::generic_category().message(errno);
    return false;
  }
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) {
    error = name + ": cannot read";
    return false;
  }
  text = s.str();
  return true;
}

bool merge_table(toml::table& into, toml::table& from, const std::string& prefix, std::string& error) {
  for (auto&& [k, v] : from) {
    const std::string name = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    toml::node* have = into.get(k.str());
    if (have == nullptr) {
      into.insert(k, std::move(v));
    } else if (have->is_array_of_tables() && v.is_array_of_tables()) {
      for (toml::node& item : *v.as_array()) have->as_array()->push_back(std::move(item));
    } else if (have->is_table() && v.is_table()) {
      if (!merge_table(*have->as_table(), *v.as_table(), name, error)) return false;
    } else {
      error = where(v.source()) + ": " + name + ": also set in " + where(have->source()) +
              "; a key may be set in one file only";
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

bool substitute_env(std::string& text, std::string_view file, const EnvLookup& env, std::string& error) {
  std::string out;
  out.reserve(text.size());
  size_t line = 1;
  bool line_start = true, comment = false;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = true;
      comment = false;
    } else if (line_start && c != ' ' && c != '\t') {
      line_start = false;
      comment = c == '#';
    }
    if (!comment && c == '$' && i + 2 < text.size() && text[i + 1] == '{' && name_start(text[i + 2])) {
      size_t j = i + 2;
      while (j < text.size() && name_char(text[j])) ++j;
      const std::string name = text.substr(i + 2, j - i - 2);
      if (j < text.size() && text[j] == '}') {
        const std::optional<std::string> value = env(name);
        if (!value) {
          error = std::string(file) + ":" + std::to_string(line) + ": ${" + name +
                  "} is not set in the environment (give a default with ${" + name + ":-value})";
          return false;
        }
        out += *value;
        i = j + 1;
        continue;
      }
      if (text.compare(j, 2, ":-") == 0) {
        const size_t close = text.find_first_of("}\n", j + 2);
        if (close != std::string::npos && text[close] == '}') {
          const std::optional<std::string> value = env(name);
          out += value && !value->empty() ? *value : text.substr(j + 2, close - j - 2);
          i = close + 1;
          continue;
        }
      }
    }
    out += c;
    ++i;
  }
  text = std::move(out);
  return true;
}

bool merge_config(toml::table& into, toml::table&& from, std::string& error) {
  return merge_table(into, from, "", error);
}

ConfigFiles read_config_files(const std::filesystem::path& main, const std::filesystem::path& config_dir,
                              const EnvLookup& env) {
  ConfigFiles out;
  std::vector<std::filesystem::path> files{main};
  const bool given = !config_dir.empty();
  const std::filesystem::path dir = given ? config_dir : main.parent_path() / "conf.d";
  std::error_code ec;
  if (given || std::filesystem::is_directory(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec)) {
      out.error = dir.string() + ": " +
                  (std::filesystem::exists(dir, ec) ? "not a directory" : "cannot open: No such file or directory");
      return out;
    }
    std::vector<std::filesystem::path> drop_ins;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::filesystem::path& p = it->path();
      const std::string leaf = p.filename().string();
      // Editors' and package managers' leftovers (.x.toml.swp, x.toml.dpkg-old) do not end in .toml or start with '.'.
      if (p.extension() == ".toml" && leaf.front() != '.' && std::filesystem::is_regular_file(p)) drop_ins.push_back(p);
    }
    if (ec) {
      out.error = dir.string() + ": cannot list: " + ec.message();
      return out;
    }
    std::sort(drop_ins.begin(), drop_ins.end(),
              [](const auto& a, const auto& b) { return a.filename().string() < b.filename().string(); });
    files.insert(files.end(), drop_ins.begin(), drop_ins.end());
  }
  bool any = false;
  for (const std::filesystem::path& f : files) {
    const std::string name = f.string();
    std::string text;
    if (!read_text(f, text, out.error)) return out;
    out.files.push_back(name);
    if (blank(text)) continue;
    any = true;
    if (!substitute_env(text, name, env, out.error)) return out;
    toml::table t;
    try {
      t = toml::parse(std::string_view(text), std::string_view(name));
    } catch (const toml::parse_error& e) {
      out.error = name + ":" + std::to_string(e.source().begin.line) + ": syntax error: " + std::string(e.description());
      return out;
    }
    if (!merge_config(out.root, std::move(t), out.error)) return out;
  }
  // An empty file would mean every default: one listener on the default port,
  // which a truncated file or a wrong path is far more likely to be than intent.
  if (!any)
    out.error = main.string() + ": empty configuration file" + (files.size() > 1 ? " (and drop-ins)" : "") +
                " (want at least one [[listener]])";
  return out;
}

}  // namespace ringest
