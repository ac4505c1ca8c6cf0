// The configuration loader: defaults, the example file, and one test per kind
// of error (each must name the file, the line and the key).
#include "daemon/config.h"
#include "outputs/output.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>

#include "daemon/formats/parser.h"

namespace ringest {
namespace {

// The error for `text`, which must not load.
std::string error_of(std::string_view text) {
  ConfigResult r = parse_config(text, "ringest.toml");
  REQUIRE_MESSAGE(!r.ok(), text);
  CHECK_MESSAGE(r.error.find('\n') == std::string::npos, r.error);
  return r.error;
}

Settings load_ok(std::string_view text) {
  ConfigResult r = parse_config(text, "ringest.toml");
  REQUIRE_MESSAGE(r.ok(), r.error);
  return *r.settings;
}

TEST_CASE("config: an empty file gives every default and one statsd listener") {
  Settings s = load_ok("");
  Settings d;
  CHECK(s.storage.dir == "data");
  CHECK(s.storage.durability == Durability::kInterval);
  CHECK(s.storage.sync_interval_ms == d.storage.sync_interval_ms);
  CHECK(s.storage.segment_bytes == d.storage.segment_bytes);
  CHECK(s.storage.batch_bytes == d.storage.batch_bytes);
  CHECK(s.storage.writes_in_flight == d.storage.writes_in_flight);
  CHECK(s.receive.slot_bytes == d.receive.slot_bytes);
  CHECK(s.receive.slots == d.receive.slots);
  CHECK(s.receive.batch == d.receive.batch);
  CHECK(s.parser_threads == d.parser_threads);
  CHECK(s.metrics_listen == "127.0.0.1:9310");
  CHECK(s.log_level == "info");
  REQUIRE(s.listeners.size() == 1);
  CHECK(s.listeners[0].name == "statsd");
  CHECK(s.listeners[0].address == "127.0.0.1:8125");
  CHECK(s.listeners[0].format == "statsd");
  CHECK(s.listeners[0].engine == "auto");
  CHECK(s.listeners[0].sockets == 1);
  CHECK(s.listeners[0].keep_raw == false);
}

TEST_CASE("config: every key is read into its field") {
  Settings s = load_ok(R"(
[storage]
dir = "/var/lib/ringest"
durability = "batch"
sync_interval_ms = 50
segment_bytes = 1073741824
batch_bytes = 65536
writes_in_flight = 8
[receive]
slot_bytes = 9000
slots = 1024
batch = 128
[parser]
threads = 4
[metrics]
listen = "[::1]:9400"
[log]
level = "debug"
[[listener]]
name = "dogstatsd"
address = "0.0.0.0:8125"
format = "statsd"
engine = "recvmmsg"
sockets = 4
rcvbuf_bytes = 33554432
keep_raw = true
[[listener]]
address = "[::]:0"
)");
  CHECK(s.storage.dir == "/var/lib/ringest");
  CHECK(s.storage.durability == Durability::kBatch);
  CHECK(s.storage.sync_interval_ms == 50);
  CHECK(s.storage.segment_bytes == (1ull << 30));
  CHECK(s.storage.batch_bytes == 65536);
  CHECK(s.storage.writes_in_flight == 8);
  CHECK(s.receive.slot_bytes == 9000);
  CHECK(s.receive.slots == 1024);
  CHECK(s.receive.batch == 128);
  CHECK(s.parser_threads == 4);
  CHECK(s.metrics_listen == "[::1]:9400");
  CHECK(s.log_level == "debug");
  REQUIRE(s.listeners.size() == 2);
  CHECK(s.listeners[0].name == "dogstatsd");
  CHECK(s.listeners[0].address == "0.0.0.0:8125");
  CHECK(s.listeners[0].engine == "recvmmsg");
  CHECK(s.listeners[0].sockets == 4);
  CHECK(s.listeners[0].rcvbuf_bytes == (32u << 20));
  CHECK(s.listeners[0].keep_raw);
  CHECK(s.listeners[1].name == "statsd");  // defaults to the format's name
  CHECK(s.listeners[1].address == "[::]:0");
  CHECK(s.listeners[1].engine == "auto");
}

TEST_CASE("config: durability names map to the enum") {
  CHECK(load_ok("[storage]\ndurability = \"none\"").storage.durability == Durability::kNone);
  CHECK(load_ok("[storage]\ndurability = \"interval\"").storage.durability ==
        Durability::kInterval);
  CHECK(load_ok("[storage]\ndurability = \"batch\"").storage.durability == Durability::kBatch);
}

TEST_CASE("config: the example config loads with the documented values") {
  const std::filesystem::path path =
      std::filesystem::path(RINGEST_SOURCE_DIR) / "configs/ringest.toml";
  ConfigResult r = load_config(path);
  REQUIRE_MESSAGE(r.ok(), r.error);
  const Settings& s = *r.settings;
  CHECK(s.storage.dir == "data");
  CHECK(s.storage.durability == Durability::kInterval);
  CHECK(s.metrics_listen == "127.0.0.1:9310");
  REQUIRE(s.listeners.size() == 1);
  CHECK(s.listeners[0].name == "statsd");
  CHECK(s.listeners[0].address == "127.0.0.1:8125");
  CHECK(s.listeners[0].format == "statsd");
  CHECK(s.listeners[0].engine == "auto");
  CHECK(s.listeners[0].sockets == 1);
}

TEST_CASE("config: load_config names the file it cannot open") {
  ConfigResult r = load_config("/nonexistent/ringest.toml");
  REQUIRE(!r.ok());
  CHECK(r.error.rfind("/nonexistent/ringest.toml: cannot open", 0) == 0);
}

TEST_CASE("config: out of bounds names file, line and key") {
  CHECK(error_of("[[listener]]\nname = \"a\"\n\n\n\n\nsockets = 0\n") ==
        "ringest.toml:7: listener[0].sockets: must be between 1 and 64 (got 0)");
  CHECK(error_of("[parser]\nthreads = -1") ==
        "ringest.toml:2: parser.threads: must be between 1 and 256 (got -1)");
  CHECK(error_of("\n[storage]\nsegment_bytes = 1") ==
        "ringest.toml:3: storage.segment_bytes: must be between 1048576 and 1099511627776 (got 1)");
  CHECK(error_of("[receive]\nslots = 99999999999") ==
        "ringest.toml:2: receive.slots: must be between 64 and 32768 (got 99999999999)");
}

TEST_CASE("config: wrong types name the key and the line") {
  CHECK(error_of("[receive]\nslots = \"many\"") ==
        "ringest.toml:2: receive.slots: expected an integer (got a string)");
  CHECK(error_of("[receive]\nslots = 1.5") ==
        "ringest.toml:2: receive.slots: expected an integer (got a float)");
  CHECK(error_of("[storage]\ndir = 5") ==
        "ringest.toml:2: storage.dir: expected a string (got an integer)");
  CHECK(error_of("[[listener]]\nkeep_raw = \"yes\"") ==
        "ringest.toml:2: listener[0].keep_raw: expected a boolean (got a string)");
  CHECK(error_of("storage = 3") == "ringest.toml:1: storage: expected a table (got an integer)");
  CHECK(error_of("\n[listener]\nname = \"x\"") ==
        "ringest.toml:2: listener: expected [[listener]] tables (got a table)");
}

TEST_CASE("config: unknown keys are errors, with their line") {
  CHECK(error_of("[storage]\ndir = \"d\"\ndirectory = \"d\"") ==
        "ringest.toml:3: storage.directory: unknown key");
  CHECK(error_of("[[listener]]\nname = \"a\"\n[[listener]]\nname = \"b\"\nport = 8125") ==
        "ringest.toml:5: listener[1].port: unknown key");
  std::string e = error_of("\n\n[storge]\ndir = \"d\"");
  CHECK(e.rfind("ringest.toml:3: storge: unknown key", 0) == 0);
  CHECK(error_of("threads = 4").rfind("ringest.toml:1: threads: unknown key", 0) == 0);
}

TEST_CASE("config: unknown choices are errors") {
  CHECK(error_of("[[listener]]\nengine = \"epoll\"") ==
        "ringest.toml:2: listener[0].engine: must be one of auto, uring, recvmmsg, rio, iocp (got \"epoll\")");
  CHECK(error_of("[storage]\ndurability = \"always\"") ==
        "ringest.toml:2: storage.durability: must be one of none, interval, batch (got "
        "\"always\")");
  CHECK(error_of("[log]\nlevel = \"loud\"").rfind("ringest.toml:2: log.level: must be one of", 0) ==
        0);
}

TEST_CASE("config: unknown format is an error") {
  // The list of known formats grows with the registry; its start is stable.
  std::string err = error_of("[[listener]]\nname = \"x\"\nformat = \"carrier-pigeon\"");
  CHECK(err.rfind("ringest.toml:3: listener[0].format: unknown format \"carrier-pigeon\" (known: statsd", 0) == 0);
}

TEST_CASE("config: line protocol precision per listener") {
  Settings s = load_ok("[[listener]]\nname = \"a\"\nformat = \"influx\"\nprecision = \"ms\"\n"
                       "[[listener]]\nname = \"b\"\nformat = \"influx\"\n");
  CHECK(s.listeners[0].precision == "ms");
  CHECK(s.listeners[1].precision == "ns");
  CHECK(error_of("[[listener]]\nprecision = \"min\"") ==
        "ringest.toml:2: listener[0].precision: must be one of ns, us, ms, s (got \"min\")");
}

TEST_CASE("config: addresses") {
  for (std::string_view ok : {"127.0.0.1:8125", "0.0.0.0:0", "localhost:65535", "[::1]:8125",
                              "[::]:0", "[fe80::1%eth0]:8125", "metrics-host.example:9310"}) {
    Settings s = load_ok("[[listener]]\naddress = \"" + std::string(ok) + "\"");
    CHECK(s.listeners[0].address == ok);
  }
  const std::pair<std::string_view, std::string_view> bad[] = {
      {"127.0.0.1", "must be host:port or [v6]:port"},
      {"127.0.0.1:", "port must be 0..65535"},
      {"127.0.0.1:65536", "port must be 0..65535"},
      {"127.0.0.1:http", "port must be 0..65535"},
      {":8125", "must be host:port or [v6]:port"},
      {"::1:8125", "an IPv6 address needs brackets"},
      {"[::1]8125", "must be host:port or [v6]:port"},
      {"[::1:8125", "must be host:port or [v6]:port"},
      {"[]:8125", "must be host:port or [v6]:port"},
      {"[1.2.3.4]:8125", "must be host:port or [v6]:port"},
      {"bad host:8125", "must be host:port or [v6]:port"},
      {"", "must be host:port or [v6]:port"},
  };
  for (auto [addr, why] : bad) {
    std::string e = error_of("\n[[listener]]\naddress = \"" + std::string(addr) + "\"");
    CHECK_MESSAGE(e.rfind("ringest.toml:3: listener[0].address: " + std::string(why), 0) == 0, e);
  }
  CHECK(load_ok("[metrics]\nlisten = \"\"").metrics_listen.empty());
  CHECK(error_of("[metrics]\nlisten = \"9310\"").rfind("ringest.toml:2: metrics.listen: ", 0) == 0);
}

TEST_CASE("config: duplicate listener names") {
  CHECK(error_of("[[listener]]\nname = \"a\"\n[[listener]]\naddress = \"[::1]:1\"\nname = \"a\"") ==
        "ringest.toml:5: listener[1].name: duplicate listener name \"a\" (also listener[0]); "
        "names must be unique");
  // Two listeners named by default after the same format collide too.
  std::string e = error_of("[[listener]]\n[[listener]]\naddress = \"127.0.0.1:9000\"\n");
  CHECK(e.rfind("ringest.toml:2: listener[1].name: duplicate listener name \"statsd\"", 0) == 0);
  CHECK(error_of("[[listener]]\nname = \"\"") ==
        "ringest.toml:2: listener[0].name: must not be empty");
}

TEST_CASE("config: rules between keys") {
  CHECK(error_of("[receive]\nslots = 64\nbatch = 65") ==
        "ringest.toml:3: receive.batch: must not exceed receive.slots (64) (got 65)");
  CHECK(error_of("[storage]\nsegment_bytes = 1048576\nbatch_bytes = 2097152")
            .rfind("ringest.toml:3: storage.batch_bytes: must not exceed storage.segment_bytes",
                   0) == 0);
}

TEST_CASE("config: TOML syntax errors carry the line") {
  std::string e = error_of("[storage]\ndir = \"data\"\ndurability = \n");
  CHECK(e.rfind("ringest.toml:3: syntax error: ", 0) == 0);
  e = error_of("[storage]\n[storage]\n");
  CHECK(e.rfind("ringest.toml:2: syntax error: ", 0) == 0);
  e = error_of("\n\n\n[storage\n");
  CHECK(e.rfind("ringest.toml:4: syntax error: ", 0) == 0);
}

TEST_CASE("config: describe_settings lists every key with its default") {
  const std::string text = describe_settings();
  for (const SettingDoc& d : setting_docs()) {
    const std::string name = d.key.substr(d.key.find('.') + 1);
    CHECK_MESSAGE(text.find(name + " = " + d.default_value) != std::string::npos, d.key);
    CHECK_MESSAGE(text.find(d.description) != std::string::npos, d.key);
    CHECK(!d.description.empty());
  }
  CHECK(text.find("[[listener]]") != std::string::npos);
  CHECK(text.find("dir = \"data\"") != std::string::npos);
  CHECK(text.find("durability = \"interval\"    (none | interval | batch)") != std::string::npos);
  CHECK(text.find("sockets = 1    (1..64)") != std::string::npos);
  CHECK(text.find("level = \"info\"    (trace | debug | info | warn | error | critical | off)    (reloads)") !=
        std::string::npos);
  CHECK(text.find("dir = \"data\"    (non-empty)    (reloads)") == std::string::npos);
}

// Each name list is the owning component's: the table offers exactly what
// that component parses.
TEST_CASE("config: the choices are the components' own name lists") {
  auto allowed = [](std::string_view key) {
    for (const SettingDoc& d : setting_docs())
      if (d.key == key) return d.allowed;
    return std::string("?");
  };
  auto joined = [](std::span<const std::string_view> names) {
    std::string out;
    for (std::string_view n : names) out += (out.empty() ? "" : " | ") + std::string(n);
    return out;
  };
  CHECK(allowed("storage.compression") == joined(kCompressionNames));
  CHECK(allowed("storage.durability") == joined(kDurabilityNames));
  CHECK(allowed("listener.engine") == joined(rio::kEngineNames));
  CHECK(allowed("listener.precision") == joined(kPrecisionNames));
  for (std::string_view n : kCompressionNames) {
    Compression c;
    CHECK(parse_compression(n, c));
    CHECK(to_string(c) == n);
  }
  for (std::string_view n : rio::kEngineNames) {
    rio::EngineKind k;
    CHECK(rio::parse_engine_kind(n, k));
    CHECK(rio::to_string(k) == n);
  }
  int64_t ns = 0;
  CHECK((precision_from_name("ms", ns) && ns == 1'000'000));
  CHECK_FALSE(precision_from_name("m", ns));
  // The defaults the components declare are the settings' defaults.
  Settings d;
  CHECK(d.storage.sync_interval_ms == LogOptions{}.sync_interval_ms);
  CHECK(d.receive.slots == rio::EngineOptions{}.slots);
  CHECK(d.storage.compression == to_string(LogOptions{}.compression));
}

// The example configuration shows every key with its default (set or commented
// out): it must show the table's, so a default changed in one place only fails
// here.
TEST_CASE("config: the example config shows every key with the table's default") {
  std::ifstream in(std::filesystem::path(RINGEST_SOURCE_DIR) / "configs/ringest.toml");
  REQUIRE(in);
  std::map<std::string, SettingDoc> docs;
  for (const SettingDoc& d : setting_docs()) docs[d.key] = d;
  std::string line, section;
  size_t compared = 0;
  while (std::getline(in, line)) {
    if (line.rfind("# [[", 0) == 0) line = line.substr(2);  // a table shown commented out
    if (line.rfind("[[", 0) == 0) {
      section = line.substr(2, line.find("]]") - 2);
      continue;
    }
    if (line.rfind("[", 0) == 0) {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    if (line.rfind("# ", 0) == 0) line = line.substr(2);
    size_t eq = line.find(" = ");
    if (eq == std::string::npos || line.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != eq) continue;
    std::string key = section + "." + line.substr(0, eq);
    std::string value = line.substr(eq + 3);
    value = value.substr(0, value.find(" #"));
    value = value.substr(0, value.find_last_not_of(' ') + 1);
    INFO(key);
    auto it = docs.find(key);
    REQUIRE(it != docs.end());
    if (it->second.default_value.front() == '(') continue;  // a default described, not a value
    CHECK(value == it->second.default_value);
    ++compared;
  }
  CHECK(compared + 3 == docs.size());  // every key but listener.name, output.name and output.node
}

TEST_CASE("config: a listener allowlist takes CIDR blocks and names a bad one") {
  Settings s = load_ok("[[listener]]\nallow = [\"10.0.0.0/8\", \"::1\"]\nmax_datagram_bytes = 1500");
  CHECK(s.listeners[0].allow == std::vector<std::string>{"10.0.0.0/8", "::1"});
  CHECK(s.listeners[0].max_datagram_bytes == 1500);
  CHECK(error_of("[[listener]]\nallow = [\"10.0.0.0/33\"]") ==
        "ringest.toml:2: listener[0].allow: not an address block: \"10.0.0.0/33\" (want e.g. \"10.0.0.0/8\" or "
        "\"::1/128\")");
  CHECK(error_of("[[listener]]\nallow = \"10.0.0.0/8\"") ==
        "ringest.toml:2: listener[0].allow: expected an array of strings (got a string)");
}

TEST_CASE("config: a unix:// listener takes a mode and a group, one socket and no allow list") {
  Settings s = load_ok("[[listener]]\naddress = \"unix:///run/ringest/dsd.socket\"\nsocket_mode = \"0622\"\n"
                       "socket_group = \"dd-agent\"");
  CHECK(s.listeners[0].address == "unix:///run/ringest/dsd.socket");
  CHECK(s.listeners[0].socket_mode == "0622");
  CHECK(s.listeners[0].socket_group == "dd-agent");
  CHECK(error_of("[[listener]]\naddress = \"unix:///run/a.socket\"\nsockets = 2") ==
        "ringest.toml:1: listener[0]: a unix:// listener has one socket (got sockets = 2)");
  CHECK(error_of("[[listener]]\naddress = \"unix:///run/a.socket\"\nallow = [\"10.0.0.0/8\"]") ==
        "ringest.toml:1: listener[0]: allow filters IP sources; a unix:// listener's senders have none (remove allow)");
  CHECK(error_of("[[listener]]\naddress = \"unix://run/a.socket\"") ==
        "ringest.toml:2: listener[0].address: a Unix socket address is unix:///absolute/path (got "
        "\"unix://run/a.socket\")");
  CHECK(error_of("[[listener]]\nsocket_mode = \"1777\"") ==
        "ringest.toml:2: listener[0].socket_mode: must be octal permission bits such as \"0660\" (got \"1777\")");
  CHECK(error_of("[[listener]]\ntransport = \"tcp\"\naddress = \"unix:///run/a.socket\"") ==
        "ringest.toml:1: listener[0]: transport tcp takes host:port, not a unix:// address");
  CHECK(error_of("[[listener]]\ntransport = \"tcp\"\nengine = \"recvmmsg\"") ==
        "ringest.toml:1: listener[0]: transport tcp receives with engine uring (Linux) or iocp (Windows) (got "
        "engine = recvmmsg)");
  CHECK(error_of("[[listener]]\ntransport = \"quic\"") ==
        "ringest.toml:2: listener[0].transport: must be one of udp, tcp (got \"quic\")");
  CHECK(error_of("[receive]\nslot_bytes = 2048\n[[listener]]\ntransport = \"tcp\"\nmax_line_bytes = 4096") ==
        "ringest.toml:5: listener[0].max_line_bytes: must not exceed receive.slot_bytes (2048): a message is "
        "stored from one slot (got 4096)");
  CHECK(error_of("[[listener]]\naddress = \"8125\"") ==
        "ringest.toml:2: listener[0].address: must be host:port or [v6]:port (got \"8125\") or unix:///path");
}

TEST_CASE("config: a TCP listener's max_line_bytes left unset follows smaller slots") {
  Settings s = load_ok("[receive]\nslot_bytes = 2048\n[[listener]]\ntransport = \"tcp\"\n");
  CHECK(s.listeners[0].max_line_bytes == 2048);
  s = load_ok("[[listener]]\ntransport = \"tcp\"\nmax_line_bytes = 100\n");
  CHECK(s.listeners[0].max_line_bytes == 100);
}

TEST_CASE("config: the table has every key once") {
  std::vector<SettingDoc> docs = setting_docs();
  CHECK(docs.size() == 55);
  for (size_t i = 0; i < docs.size(); ++i) {
    for (size_t j = i + 1; j < docs.size(); ++j) CHECK(docs[i].key != docs[j].key);
  }
}

TEST_CASE("config: changes that need a restart") {
  Settings a = load_ok("");
  Settings b = a;
  CHECK(changes_needing_restart(a, b).empty());
  b.log_level = "debug";
  b.listeners[0].keep_raw = true;
  CHECK(changes_needing_restart(a, b).empty());
  b.storage.dir = "elsewhere";
  b.storage.durability = Durability::kBatch;  // the open logs keep the policy they were opened with
  b.listeners[0].sockets = 2;
  CHECK(changes_needing_restart(a, b) ==
        std::vector<std::string>{"storage.dir", "storage.durability", "listener[0].sockets"});
  b.listeners.push_back(b.listeners[0]);
  CHECK(changes_needing_restart(a, b) ==
        std::vector<std::string>{"storage.dir", "storage.durability", "listener"});
}

}  // namespace
}  // namespace ringest

namespace ringest {

// Where this build has no output of the type (Windows: no NATS client), the
// table is refused by name.
bool outputs_built() {
  if (check_output(OutputSettings{}).empty()) return true;
  CHECK(error_of("[[output]]\n") ==
        "ringest.toml:1: output[0]: this build has no jetstream output (it is built on Linux, with libnats)");
  return false;
}

TEST_CASE("config: [[output]] tables: defaults, every key, and the errors that name them") {
  if (!outputs_built()) return;
  Settings s = load_ok("[[output]]\n");
  REQUIRE(s.outputs.size() == 1);
  const OutputSettings& d = s.outputs[0];
  CHECK(d.type == "jetstream");
  CHECK(d.name == "jetstream");  // the type's name
  CHECK(d.servers == std::vector<std::string>{"nats://127.0.0.1:4222"});
  CHECK(d.stream == "RINGEST");
  CHECK(d.encoding == "batch");
  CHECK(d.create_stream);

  s = load_ok(
      "[[output]]\nname = \"a\"\nservers = [\"nats://10.0.0.1:4222\", \"tls://[::1]:4443\"]\nstream = \"TELEMETRY\"\n"
      "subject_prefix = \"dc1.ringest\"\nnode = \"edge-7\"\nreplicas = 3\nencoding = \"influx\"\nmax_in_flight = 64\n"
      "max_message_bytes = 1048576\nack_timeout_ms = 2000\ncreate_stream = false\n"
      "retention_overrides_forwarding = true\nuser = \"u\"\npassword = \"p\"\n"
      "[[output]]\nname = \"b\"\ntoken = \"t\"\n");
  REQUIRE(s.outputs.size() == 2);
  const OutputSettings& a = s.outputs[0];
  CHECK(a.servers.size() == 2);
  CHECK(a.subject_prefix == "dc1.ringest");
  CHECK(a.node == "edge-7");
  CHECK(a.replicas == 3);
  CHECK(a.encoding == "influx");
  CHECK(a.max_in_flight == 64);
  CHECK(a.ack_timeout_ms == 2000);
  CHECK_FALSE(a.create_stream);
  CHECK(a.retention_overrides_forwarding);
  CHECK(s.outputs[1].token == "t");

  CHECK(error_of("[[output]]\nservers = [\"http://x:1\"]") ==
        "ringest.toml:2: output[0].servers: a server is nats://host:port or tls://host:port (got \"http://x:1\")");
  CHECK(error_of("[[output]]\nservers = [\"nats://u:p@x:1\"]").find("credentials go in user/password") !=
        std::string::npos);
  CHECK(error_of("[[output]]\nservers = []") == "ringest.toml:2: output[0].servers: must name at least one server");
  CHECK(error_of("[[output]]\nencoding = \"json\"") ==
        "ringest.toml:2: output[0].encoding: must be one of batch, influx (got \"json\")");
  CHECK(error_of("[[output]]\nnode = \"a b\"").find("output[0].node: only letters, digits") != std::string::npos);
  CHECK(error_of("[[output]]\nsubject_prefix = \"a..b\"").find("output[0].subject_prefix: a '.' must stand") !=
        std::string::npos);
  CHECK(error_of("[[output]]\nreplicas = 6") ==
        "ringest.toml:2: output[0].replicas: must be between 1 and 5 (got 6)");
  CHECK(error_of("[[output]]\nuser = \"u\"") == "ringest.toml:1: output[0]: user and password go together");
  CHECK(error_of("[[output]]\ntoken = \"t\"\nuser = \"u\"\npassword = \"p\"") ==
        "ringest.toml:1: output[0]: token and user/password exclude each other");
  CHECK(error_of("[[output]]\ncreds_file = \"/nonexistent/x.creds\"") ==
        "ringest.toml:1: output[0]: cannot read /nonexistent/x.creds");
  CHECK(error_of("[[output]]\n[[output]]\n") ==
        "ringest.toml:2: output[1].name: duplicate output name \"jetstream\" (also output[0]); names must be unique");
  CHECK(error_of("[[output]]\nbrokers = 1") == "ringest.toml:2: output[0].brokers: unknown key");
  CHECK(error_of("output = 1") == "ringest.toml:1: output: expected [[output]] tables (got an integer)");
}

TEST_CASE("config: a changed output needs a restart") {
  if (!outputs_built()) return;
  Settings a = load_ok("[[output]]\n");
  Settings b = a;
  CHECK(changes_needing_restart(a, b).empty());
  b.outputs[0].max_in_flight = 7;
  CHECK(changes_needing_restart(a, b) == std::vector<std::string>{"output"});
  b.outputs.clear();
  CHECK(changes_needing_restart(a, b) == std::vector<std::string>{"output"});
}

}  // namespace ringest
