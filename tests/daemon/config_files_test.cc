// A configuration in several files (conf.d drop-ins) and ${VAR} substitution:
// what merges, in which order, and errors that name the file and line of
// both places.
#include "daemon/config_files.h"

#include <doctest/doctest.h>

#include <fstream>
#include <map>

#include "daemon/config.h"
#include "tests/support/temp_dir.h"

namespace ringest {
namespace {

void write(const std::filesystem::path& p, std::string_view text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string substituted(std::string text, const EnvLookup& env) {
  std::string error;
  REQUIRE_MESSAGE(substitute_env(text, "f.toml", env, error), error);
  return text;
}

TEST_CASE("config files: ${VAR} and ${VAR:-default} from the environment") {
  const EnvLookup env = env_of({{"DIR", "/srv/ringest"}, {"PORT", "9125"}, {"EMPTY", ""}});
  CHECK(substituted("dir = \"${DIR}\"\n", env) == "dir = \"/srv/ringest\"\n");
  CHECK(substituted("a = \"127.0.0.1:${PORT}\" # ${DIR}\n", env) == "a = \"127.0.0.1:9125\" # /srv/ringest\n");
  CHECK(substituted("x = \"${NOPE:-fallback}\"", env) == "x = \"fallback\"");
  CHECK(substituted("x = \"${EMPTY:-fallback}\"", env) == "x = \"fallback\"");  // as the shell does
  CHECK(substituted("x = \"${PORT:-1}\"", env) == "x = \"9125\"");
  CHECK(substituted("x = \"${NOPE:-}\"", env) == "x = \"\"");
  // Not a reference: left as it is.
  CHECK(substituted("x = \"$DIR ${1} ${ ${-x} $\"", env) == "x = \"$DIR ${1} ${ ${-x} $\"");
  // Comment lines are left alone, unset variables and all.
  CHECK(substituted("# dir = \"${UNSET}\"\n  # ${UNSET}\nd = 1\n", env) == "# dir = \"${UNSET}\"\n  # ${UNSET}\nd = 1\n");

  std::string text = "a = 1\n\nb = \"${DIR}/${UNSET}\"\n", error;
  CHECK_FALSE(substitute_env(text, "conf.d/x.toml", env, error));
  CHECK(error == "conf.d/x.toml:3: ${UNSET} is not set in the environment (give a default with ${UNSET:-value})");
}

TEST_CASE("config files: drop-ins merge in name order; listeners and outputs from every file") {
  test::TempDir dir;
  const auto main = dir.path() / "ringest.toml";
  write(main, "[storage]\ndir = \"${DATA:-data}\"\n\n[[listener]]\nname = \"a\"\naddress = \"127.0.0.1:9125\"\n");
  write(dir.path() / "conf.d" / "20-b.toml", "[[listener]]\nname = \"c\"\naddress = \"127.0.0.1:9127\"\n");
  write(dir.path() / "conf.d" / "10-a.toml",
        "[receive]\nslots = 4096\n[[listener]]\nname = \"b\"\naddress = \"127.0.0.1:9126\"\n");
  write(dir.path() / "conf.d" / "30-empty.toml", "\n# nothing yet\n");
  write(dir.path() / "conf.d" / "README", "not toml [");
  write(dir.path() / "conf.d" / "x.toml.dpkg-old", "not toml [");
  write(dir.path() / "conf.d" / ".hidden.toml", "not toml [");
  ConfigResult r = load_config(main);
  REQUIRE_MESSAGE(r.ok(), r.error);
  REQUIRE(r.settings->listeners.size() == 3);
  CHECK(r.settings->listeners[0].name == "a");
  CHECK(r.settings->listeners[1].name == "b");
  CHECK(r.settings->listeners[2].name == "c");
  CHECK(r.settings->receive.slots == 4096);
  CHECK(r.settings->storage.dir == "data");
  REQUIRE(r.files.size() == 4);
  CHECK(r.files[1].ends_with("10-a.toml"));
  CHECK(r.files[2].ends_with("20-b.toml"));
  CHECK(r.files[3].ends_with("30-empty.toml"));

  // Without conf.d the main file stands alone; an explicit --config-dir must exist.
  test::TempDir other;
  const auto lone = other.path() / "ringest.toml";
  write(lone, "[[listener]]\naddress = \"127.0.0.1:9125\"\n");
  ConfigResult alone = load_config(lone);
  REQUIRE_MESSAGE(alone.ok(), alone.error);
  CHECK(alone.files.size() == 1);
  ConfigResult missing = load_config(lone, other.path() / "nope.d");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error == (other.path() / "nope.d").string() + ": cannot open: No such file or directory");
  ConfigResult not_dir = load_config(lone, lone);
  REQUIRE_FALSE(not_dir.ok());
  CHECK(not_dir.error == lone.string() + ": not a directory");
  // An explicit directory replaces conf.d.
  write(other.path() / "extra" / "a.toml", "[[listener]]\nname = \"x\"\naddress = \"127.0.0.1:9130\"\n");
  ConfigResult extra = load_config(main, other.path() / "extra");
  REQUIRE_MESSAGE(extra.ok(), extra.error);
  REQUIRE(extra.settings->listeners.size() == 2);
  CHECK(extra.settings->listeners[1].name == "x");
  CHECK(extra.settings->receive.slots != 4096);
}

TEST_CASE("config files: errors name the file and line, both places for a key set twice") {
  test::TempDir dir;
  const auto main = dir.path() / "ringest.toml";
  const std::string b = (dir.path() / "conf.d" / "b.toml").string();
  write(main, "[storage]\n\ndir = \"/a\"\n[[listener]]\naddress = \"127.0.0.1:9125\"\n");
  write(dir.path() / "conf.d" / "b.toml", "# the same key again\n[storage]\ndir = \"/b\"\n");
  ConfigResult twice = load_config(main);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error == b + ":3: storage.dir: also set in " + main.string() +
                           ":3; a key may be set in one file only");

  // A table where the main file has a value.
  write(dir.path() / "conf.d" / "b.toml", "storage = 5\n");
  ConfigResult shape = load_config(main);
  REQUIRE_FALSE(shape.ok());
  CHECK(shape.error.find(b + ":1: storage: also set in " + main.string() + ":1") == 0);

  // The loader's own errors name the drop-in a bad key is in.
  write(dir.path() / "conf.d" / "b.toml", "\n[[listener]]\naddress = \"127.0.0.1:9126\"\nsockets = 0\n");
  ConfigResult bounds = load_config(main);
  REQUIRE_FALSE(bounds.ok());
  CHECK(bounds.error.find(b + ":4: listener[1].sockets: must be between") == 0);
  write(dir.path() / "conf.d" / "b.toml", "[receive]\nsloots = 1\n");
  ConfigResult unknown = load_config(main);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error == b + ":2: receive.sloots: unknown key");
  // Listener names are unique across files.
  write(dir.path() / "conf.d" / "b.toml", "[[listener]]\naddress = \"127.0.0.1:9126\"\n");
  ConfigResult dup = load_config(main);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error.find("duplicate listener name \"statsd\"") != std::string::npos);
  CHECK(dup.error.find(b + ":") == 0);
  // Syntax errors and unset variables in a drop-in name it.
  write(dir.path() / "conf.d" / "b.toml", "[receive\n");
  ConfigResult syntax = load_config(main);
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.error.find(b + ":1: syntax error") == 0);
  write(dir.path() / "conf.d" / "b.toml", "\n\n[log]\nlevel = \"${RINGEST_TEST_SURELY_UNSET_VARIABLE}\"\n");
  ConfigResult unset = load_config(main);
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.error.find(b + ":4: ${RINGEST_TEST_SURELY_UNSET_VARIABLE} is not set") == 0);
  // Every file empty is the empty-file error.
  write(main, "\n");
  write(dir.path() / "conf.d" / "b.toml", "");
  ConfigResult empty = load_config(main);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error == main.string() + ": empty configuration file (and drop-ins) (want at least one [[listener]])");
  // An empty main file with listeners in a drop-in is fine.
  write(dir.path() / "conf.d" / "b.toml", "[[listener]]\naddress = \"127.0.0.1:9126\"\n");
  ConfigResult from_drop_in = load_config(main);
  REQUIRE_MESSAGE(from_drop_in.ok(), from_drop_in.error);
  CHECK(from_drop_in.settings->listeners.size() == 1);
}

}  // namespace
}  // namespace ringest
