// The files a configuration is made of, as Telegraf reads its own: the main
// file, then every *.toml of a drop-in directory in name order (by default
// conf.d beside the main file, when it exists). In each, ${NAME} and
// ${NAME:-default} are replaced from the environment before parsing (not on
// comment lines); a variable that is unset and has no default is an error
// naming it. The parsed files are merged into one table: [[listener]] and
// [[output]] tables from every file, in file order; any other key may be set
// in one file only, and an error names both places.
//
// Every node of the merged table keeps the file and line it came from, so the
// loader's errors name the right file.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringest {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> process_env(const std::string& name);

// Replaces ${NAME} and ${NAME:-default} (NAME: a letter or '_', then letters,
// digits, '_') in `text`; lines whose first non-blank is '#' are left alone.
// False with `error` ("<file>:<line>: ${NAME} is not set ...") on an unset
// variable without a default.
bool substitute_env(std::string& text, std::string_view file, const EnvLookup& env, std::string& error);

// Adds `from` to `into` as described above; false with `error` on a key set
// in both.
bool merge_config(toml::table& into, toml::table&& from, std::string& error);

struct ConfigFiles {
  toml::table root;                 // merged
  std::vector<std::string> files;   // read, in order
  std::string error;                // one line, set on failure
};

// `config_dir`: the drop-in directory, which must exist; empty for conf.d
// beside `main` when there is one.
ConfigFiles read_config_files(const std::filesystem::path& main, const std::filesystem::path& config_dir,
                              const EnvLookup& env = process_env);

}  // namespace ringest
