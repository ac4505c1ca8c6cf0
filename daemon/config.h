// Configuration: reads the TOML files (the main one and its drop-ins,
// config_files.h) into the plain structs of settings.h.
//
// Every key is declared once, in the settings table in config.cc (key, bounds,
// description, whether a reload applies it); the same table drives parsing,
// validation, `describe_settings()` (ringestd --help) and the restart check on
// reload. Defaults are the initializers in settings.h: the table reads them, so
// the documentation cannot drift from what the daemon does.
//
// Errors are one line naming the file, the line and the key:
//   ringest.toml:7: listener[0].sockets: must be between 1 and 64 (got 0)
// Nothing here throws: TOML syntax errors, wrong types, out-of-range values,
// unknown keys and I/O errors all come back in ConfigResult::error.
//
// Threading: every function may be called from any thread; they share no state.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/settings.h"

namespace ringest {

struct ConfigResult {
  std::optional<Settings> settings;  // set on success
  std::string error;                 // one line, set on failure
  std::vector<std::string> files;    // read, the main one first (load_config)
  bool ok() const { return settings.has_value(); }
};

// Reads and validates the file at `path` and the drop-ins of `config_dir`
// (empty: conf.d beside the file, when it exists); errors name the file as
// given and the line.
ConfigResult load_config(const std::filesystem::path& path, const std::filesystem::path& config_dir = {});

// Validates `toml_text`; `source_name` is the file name used in errors.
// An empty text is a valid configuration: every default, one statsd listener.
ConfigResult parse_config(std::string_view toml_text, std::string_view source_name);

// Every key with its default, bounds and description, for `ringestd --help`.
std::string describe_settings();

// One row of the settings table, as documentation.
struct SettingDoc {
  std::string key;            // dotted: "storage.dir", "listener.sockets"
  std::string default_value;  // TOML syntax: "\"data\"", "200", "false"
  std::string allowed;        // "1..64", "none | interval | batch", "" when anything goes
  std::string description;
  bool reloadable = false;  // a reload (SIGHUP) applies a change without a restart
};
std::vector<SettingDoc> setting_docs();

// The keys whose change between `running` and `loaded` only a restart applies
// ("storage.dir", "listener[1].address", "listener" when listeners were added
// or removed). Empty when a reload can apply everything.
std::vector<std::string> changes_needing_restart(const Settings& running, const Settings& loaded);

}  // namespace ringest
