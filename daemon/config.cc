// The settings table and the TOML loader (see config.h for the contract).
#include "daemon/config.h"

#include "daemon/config_files.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <map>
#include <span>
#include <sstream>
#include <system_error>
#include <variant>

#include "common/host_port.h"
#include "common/ip_address.h"
#include "common/socket_address.h"
#include "daemon/formats/parser.h"
#include "outputs/output.h"
#include "rio/engine.h"
#include "sinks/compression.h"

namespace ringest {
namespace {

// Where a key's value lives in the structs: bind() picks the member, so the
// table, not a second list, says which struct field a key sets.
using Ref = std::variant<std::string*, uint32_t*, uint64_t*, bool*, Durability*, std::vector<std::string>*>;

enum class Check : uint8_t {
  kNone,
  kNonEmpty,        // a string that must not be empty
  kRange,           // an integer in [min, max]
  kChoice,          // a string in `choices`
  kAddress,         // host:port or [v6]:port
  kListenAddress,   // host:port, [v6]:port or unix:///path
  kFileMode,        // octal permission bits: "0660"
  kAddressOrEmpty,  // the same, or "" to disable
  kFormat,          // a name known_formats() lists
  kCidrList,        // an array of address blocks: "10.0.0.0/8", "::1/128", "192.0.2.7"
  kServerList,      // a non-empty array of nats://host:port (or tls://host:port)
  kSubjectToken,    // a NATS subject token or dotted tokens: no spaces, *, > or empty tokens
};

struct Spec {
  std::string_view section;  // "listener" keys live in each [[listener]] table
  std::string_view name;
  Check check = Check::kNone;
  uint64_t min = 0;
  uint64_t max = 0;
  std::span<const std::string_view> choices;
  bool reloadable = false;
  std::string_view description;
  std::string_view default_note;  // shown instead of the struct default when set
  Ref (*bind)(Settings&, ListenerSettings&) = nullptr;
  Ref (*bind_output)(OutputSettings&) = nullptr;  // instead of bind, for [[output]] keys
};

constexpr std::string_view kLogLevels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};

constexpr std::string_view kListener = "listener";
constexpr std::string_view kTransports[] = {"udp", "tcp"};
constexpr std::string_view kOutput = "output";
constexpr uint64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024, kTiB = kGiB * 1024;

// THE settings table. Defaults are the initializers in settings.h.
const Spec kSpecs[] = {
    {.section = "storage",
     .name = "dir",
     .check = Check::kNonEmpty,
     .description = "Directory of the segment log; one subdirectory per partition.",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.dir; }},
    {.section = "storage",
     .name = "durability",
     .check = Check::kChoice,
     .choices = kDurabilityNames,
     .description = "When appended batches are made durable: none (page cache only), "
                    "interval (fdatasync every sync_interval_ms), batch (each batch).",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.durability; }},
    {.section = "storage",
     .name = "sync_interval_ms",
     .check = Check::kRange,
     .min = 1,
     .max = 3'600'000,
     .description = "Milliseconds between fdatasyncs with durability = \"interval\".",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.sync_interval_ms; }},
    {.section = "storage",
     .name = "linger_ms",
     .check = Check::kRange,
     .min = 0,
     .max = 1000,
     .description = "Longest a received datagram waits in a batch that is not full before the "
                    "batch is written (0: write whenever input pauses).",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.linger_ms; }},
    {.section = "storage",
     .name = "segment_bytes",
     .check = Check::kRange,
     .min = 1 * kMiB,
     .max = 1 * kTiB,
     .description = "A segment is sealed and a new one started when it reaches this size.",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.segment_bytes; }},
    {.section = "storage",
     .name = "batch_bytes",
     .check = Check::kRange,
     .min = 4 * kKiB,
     .max = 64 * kMiB,
     .description = "A record batch is written when it reaches this size (at most "
                    "segment_bytes).",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.batch_bytes; }},
    {.section = "storage",
     .name = "writes_in_flight",
     .check = Check::kRange,
     .min = 1,
     .max = 256,
     .description = "Asynchronous writes outstanding per partition.",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.writes_in_flight; }},
    {.section = "storage",
     .name = "segment_ms",
     .check = Check::kRange,
     .min = 0,
     .max = 366ull * 24 * 3'600'000,
     .description = "Also seal the active segment when it is this many milliseconds old, at its "
                    "next batch (0: by size only).",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.segment_ms; }},
    {.section = "storage",
     .name = "retention_bytes",
     .check = Check::kRange,
     .min = 0,
     .max = 1024 * kTiB,
     .description = "Per partition: delete the oldest sealed segments while the partition holds "
                    "more than this (0: keep everything).",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.retention_bytes; }},
    {.section = "storage",
     .name = "retention_ms",
     .check = Check::kRange,
     .min = 0,
     .max = 100ull * 366 * 24 * 3'600'000,
     .description = "Delete sealed segments sealed more than this many milliseconds ago "
                    "(0: keep everything).",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.retention_ms; }},
    {.section = "storage",
     .name = "compression",
     .check = Check::kChoice,
     .choices = kCompressionNames,
     .description = "Compress each record batch (recorded in its flags) when that makes it "
                    "smaller: none, zstd or lz4.",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.compression; }},
    {.section = "storage",
     .name = "preallocate",
     .check = Check::kNone,
     .description = "Reserve each new segment's full size on disk (fallocate) so appends do not "
                    "allocate blocks.",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.preallocate; }},
    {.section = "storage",
     .name = "direct_io",
     .check = Check::kNone,
     .description = "Write segments with direct I/O (O_DIRECT, FILE_FLAG_NO_BUFFERING) from "
                    "aligned, registered buffers, bypassing the page cache; where the file "
                    "system refuses it the log uses the page cache and says why.",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.storage.direct_io; }},
    {.section = "receive",
     .name = "slot_bytes",
     .check = Check::kRange,
     .min = 512,
     .max = 128 * kKiB,
     .description = "Bytes per receive slot: one datagram with its source address and control "
                    "data; a longer datagram is counted as truncated.",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.receive.slot_bytes; }},
    {.section = "receive",
     .name = "slots",
     .check = Check::kRange,
     .min = 64,
     .max = 32768,  // the kernel's limit for one io_uring buffer ring
     .description = "Receive slots per engine. While all are in use datagrams wait in the "
                    "socket buffer; what overflows it then is counted as dropped (no_free_slot).",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.receive.slots; }},
    {.section = "receive",
     .name = "batch",
     .check = Check::kRange,
     .min = 1,
     .max = 4096,
     .description = "Completions harvested per wakeup, at most (at most slots).",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.receive.batch; }},
    {.section = "parser",
     .name = "threads",
     .check = Check::kRange,
     .min = 1,
     .max = 256,
     .description = "Parser threads; each owns one shard and one partition of the log.",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.parser_threads; }},
    {.section = "metrics",
     .name = "listen",
     .check = Check::kAddressOrEmpty,
     .description = "Address of the HTTP endpoint serving /metrics; \"\" disables it.",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.metrics_listen; }},
    {.section = "log",
     .name = "level",
     .check = Check::kChoice,
     .choices = kLogLevels,
     .reloadable = true,
     .description = "Least severe log level written.",
     .bind = [](Settings& s, ListenerSettings&) -> Ref { return &s.log_level; }},
    {.section = kListener,
     .name = "name",
     .check = Check::kNonEmpty,
     .description = "Unique name, used as the metric label of this listener.",
     .default_note = "the format's name",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.name; }},
    {.section = kListener,
     .name = "address",
     .check = Check::kListenAddress,
     .description = "host:port or [v6]:port to receive on (port 0 picks a free port), or "
                    "unix:///path for a Unix datagram socket (Linux; DogStatsD's socket in "
                    "containers), whose senders' pid and uid become each record's source.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.address; }},
    {.section = kListener,
     .name = "format",
     .check = Check::kFormat,
     .description = "Wire format of the datagrams.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.format; }},
    {.section = kListener,
     .name = "precision",
     .check = Check::kChoice,
     .choices = kPrecisionNames,
     .description = "Unit of the timestamps in InfluxDB line protocol (format influx); a point "
                    "without one takes the receive time truncated to this unit.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.precision; }},
    {.section = kListener,
     .name = "engine",
     .check = Check::kChoice,
     .choices = rio::kEngineNames,
     .description = "Receive engine; auto picks the best one that works here and logs it. uring and "
                    "recvmmsg exist on Linux, rio (Registered I/O) and iocp on Windows.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.engine; }},
    {.section = kListener,
     .name = "sockets",
     .check = Check::kRange,
     .min = 1,
     .max = 64,
     .description = "Sockets bound to the address (SO_REUSEPORT), one engine thread each.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.sockets; }},
    {.section = kListener,
     .name = "rcvbuf_bytes",
     .check = Check::kRange,
     .min = 4 * kKiB,
     .max = 2 * kGiB - 1,
     .description = "Kernel receive buffer asked for per socket (SO_RCVBUF); a warning is "
                    "logged when the OS grants less.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.rcvbuf_bytes; }},
    {.section = kListener,
     .name = "keep_raw",
     .check = Check::kNone,
     .reloadable = true,
     .description = "Store lines that fail to parse as raw records (they are counted either "
                    "way).",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.keep_raw; }},
    {.section = kListener,
     .name = "allow",
     .check = Check::kCidrList,
     .description = "Source address blocks allowed to send (CIDR, IPv4 or IPv6); datagrams from "
                    "elsewhere are dropped and counted (stage filter, reason not_allowed). Empty "
                    "allows every source.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.allow; }},
    {.section = kListener,
     .name = "max_datagram_bytes",
     .check = Check::kRange,
     .min = 1,
     .max = 65535,
     .description = "Larger datagrams are dropped and counted (stage filter, reason too_large).",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.max_datagram_bytes; }},
    {.section = kListener,
     .name = "socket_mode",
     .check = Check::kFileMode,
     .description = "unix:// addresses: the socket file's permissions, octal; a sender needs "
                    "write permission.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.socket_mode; }},
    {.section = kListener,
     .name = "socket_group",
     .description = "unix:// addresses: the group the socket file is given (the daemon must be "
                    "a member, or root); empty keeps the daemon's group.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.socket_group; }},
    {.section = kListener,
     .name = "transport",
     .check = Check::kChoice,
     .choices = kTransports,
     .description = "udp: datagrams (or a Unix datagram socket for unix:// addresses); tcp: "
                    "connections whose messages end at a newline, or for syslog are octet-counted "
                    "(RFC 6587). Each TCP message is accounted as one datagram is.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.transport; }},
    {.section = kListener,
     .name = "max_connections",
     .check = Check::kRange,
     .min = 1,
     .max = 1'000'000,
     .description = "tcp: connections open at once, per socket; one more is accepted and closed at "
                    "once (counted as refused).",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.max_connections; }},
    {.section = kListener,
     .name = "idle_timeout_ms",
     .check = Check::kRange,
     .min = 0,
     .max = 86'400'000,
     .description = "tcp: a connection that sends nothing this long is closed and counted "
                    "(0: never).",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.idle_timeout_ms; }},
    {.section = kListener,
     .name = "max_line_bytes",
     .check = Check::kRange,
     .min = 1,
     .max = 1 * kMiB,
     .description = "tcp: a longer message is skipped and counted (stage receive, reason "
                    "line_too_long); at most receive.slot_bytes.",
     .bind = [](Settings&, ListenerSettings& l) -> Ref { return &l.max_line_bytes; }},
    {.section = kOutput,
     .name = "type",
     .check = Check::kChoice,
     .choices = kOutputTypes,
     .description = "What the output forwards to: jetstream (a NATS JetStream stream).",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.type; }},
    {.section = kOutput,
     .name = "name",
     .check = Check::kNonEmpty,
     .description = "Unique name, used as the metric label of this output.",
     .default_note = "the type's name",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.name; }},
    {.section = kOutput,
     .name = "servers",
     .check = Check::kServerList,
     .description = "NATS servers to connect to (any one will do; the client finds the others).",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.servers; }},
    {.section = kOutput,
     .name = "stream",
     .check = Check::kSubjectToken,
     .description = "JetStream stream that stores the forwarded batches.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.stream; }},
    {.section = kOutput,
     .name = "subject_prefix",
     .check = Check::kSubjectToken,
     .description = "Subjects are <subject_prefix>.<node>.<partition>; the stream takes <subject_prefix>.>.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.subject_prefix; }},
    {.section = kOutput,
     .name = "node",
     .check = Check::kSubjectToken,
     .description = "This daemon's name in subjects and message ids; must stay the same across "
                    "restarts and be unique among the nodes writing to the stream.",
     .default_note = "the host name",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.node; }},
    {.section = kOutput,
     .name = "replicas",
     .check = Check::kRange,
     .min = 1,
     .max = 5,
     .description = "Replicas of the stream when ringest creates it.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.replicas; }},
    {.section = kOutput,
     .name = "encoding",
     .check = Check::kChoice,
     .choices = kOutputEncodings,
     .description = "Message body: batch (the stored record batch, checksum included) or influx "
                    "(the batch's points as InfluxDB line protocol).",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.encoding; }},
    {.section = kOutput,
     .name = "max_in_flight",
     .check = Check::kRange,
     .min = 1,
     .max = 65536,
     .description = "Messages published and not yet acknowledged, per partition, at most.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.max_in_flight; }},
    {.section = kOutput,
     .name = "max_message_bytes",
     .check = Check::kRange,
     .min = 0,
     .max = 64 * kMiB,
     .description = "Largest message body sent (0: the server's max_payload). A batch larger "
                    "than this stops its partition's forwarding with an error naming it.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.max_message_bytes; }},
    {.section = kOutput,
     .name = "ack_timeout_ms",
     .check = Check::kRange,
     .min = 100,
     .max = 600'000,
     .description = "A message not acknowledged in this time counts as failed; forwarding then "
                    "resumes from what the stream holds.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.ack_timeout_ms; }},
    {.section = kOutput,
     .name = "create_stream",
     .check = Check::kNone,
     .description = "Create the stream (subjects <subject_prefix>.>) if it does not exist; if "
                    "false, a missing stream is an error naming it.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.create_stream; }},
    {.section = kOutput,
     .name = "retention_overrides_forwarding",
     .check = Check::kNone,
     .description = "Let storage retention delete segments not yet acknowledged (each record "
                    "deleted unforwarded is counted); if false, retention waits for the output.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.retention_overrides_forwarding; }},
    {.section = kOutput,
     .name = "user",
     .description = "User name (with password).",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.user; }},
    {.section = kOutput,
     .name = "password",
     .description = "Password (with user).",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.password; }},
    {.section = kOutput,
     .name = "token",
     .description = "Authentication token.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.token; }},
    {.section = kOutput,
     .name = "creds_file",
     .description = "NATS credentials file (user JWT and NKey seed).",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.creds_file; }},
    {.section = kOutput,
     .name = "tls_ca",
     .description = "CA certificates (PEM) to verify the servers with; enables TLS.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.tls_ca; }},
    {.section = kOutput,
     .name = "tls_cert",
     .description = "Client certificate (PEM), with tls_key.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.tls_cert; }},
    {.section = kOutput,
     .name = "tls_key",
     .description = "Client key (PEM), with tls_cert.",
     .bind_output = [](OutputSettings& o) -> Ref { return &o.tls_key; }},
};

std::string dotted(const Spec& s) { return std::string(s.section) + "." + std::string(s.name); }

const Spec* find_spec(std::string_view section, std::string_view name) {
  for (const Spec& s : kSpecs) {
    if (s.section == section && s.name == name) return &s;
  }
  return nullptr;
}

bool is_global_section(std::string_view section) {
  if (section == kListener || section == kOutput) return false;
  return std::any_of(std::begin(kSpecs), std::end(kSpecs),
                     [&](const Spec& s) { return s.section == section; });
}

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string join(std::span<const std::string_view> items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

// "" when `s` is host:port or [v6]:port with a port in 0..65535, else why not.
// Only the shape is checked here; whether the host resolves or the port is
// free is found out when the listener binds.
std::string check_address(std::string_view s) {
  HostPort parts;
  switch (parse_host_port(s, parts)) {
    case HostPortError::kNone: return "";
    case HostPortError::kBareIPv6:
      return "an IPv6 address needs brackets: [v6]:port (got \"" + std::string(s) + "\")";
    case HostPortError::kPort: return "port must be 0..65535 (got \"" + std::string(s) + "\")";
    case HostPortError::kShape: break;
  }
  return "must be host:port or [v6]:port (got \"" + std::string(s) + "\")";
}

// "" unless a listener asks for what its kind of socket doesn't have: a
// unix:// one for what only IP sockets have, a TCP one for a datagram engine.
std::string check_listener(const ListenerSettings& l) {
  std::string path;
  const bool unix_path = unix_socket_path(l.address, path);
  if (l.transport == "tcp") {
    if (unix_path) return "transport tcp takes host:port, not a unix:// address";
    if (l.engine != "auto" && l.engine != "uring" && l.engine != "iocp")
      return "transport tcp receives with engine uring (Linux) or iocp (Windows) (got engine = " + l.engine + ")";
  }
  if (!unix_path) return "";
  if (l.sockets != 1) return "a unix:// listener has one socket (got sockets = " + std::to_string(l.sockets) + ")";
  if (!l.allow.empty()) return "allow filters IP sources; a unix:// listener's senders have none (remove allow)";
  return "";
}

// "" when `s` is nats://host:port or tls://host:port (credentials in the URL
// are not taken: the output has keys for them), else why not.
std::string check_server(const std::string& s) {
  const std::string got = " (got \"" + s + "\")";
  const size_t scheme = s.find("://");
  if (scheme == std::string::npos || (s.compare(0, scheme, "nats") != 0 && s.compare(0, scheme, "tls") != 0))
    return "a server is nats://host:port or tls://host:port" + got;
  const std::string rest = s.substr(scheme + 3);
  if (rest.find('@') != std::string::npos) return "credentials go in user/password, token or creds_file" + got;
  return check_address(rest).empty() ? "" : "a server is nats://host:port or tls://host:port" + got;
}

// "" when `s` can stand in a NATS subject or stream name as we use it: dotted
// tokens of letters, digits, '-' and '_'.
std::string check_subject_token(const std::string& s) {
  if (s.empty()) return "must not be empty";
  bool token_empty = true;
  for (char c : s) {
    if (c == '.') {
      if (token_empty) break;
      token_empty = true;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return "only letters, digits, '-', '_' and '.' between them (got \"" + s + "\")";
    token_empty = false;
  }
  if (token_empty) return "a '.' must stand between two names (got \"" + s + "\")";
  return "";
}

// Stores `node` into `ref` after the spec's checks; returns "" or the problem.
std::string apply(const Spec& spec, const toml::node& node, Ref ref) {
  auto wrong_type = [&](std::string_view want) {
    return "expected " + std::string(want) + " (got " + std::string(type_name(node.type())) + ")";
  };
  if (auto* p = std::get_if<std::vector<std::string>*>(&ref)) {
    const auto* arr = node.as_array();
    if (arr == nullptr) return wrong_type("an array of strings");
    std::vector<std::string> items;
    for (const toml::node& el : *arr) {
      const auto* str = el.as_string();
      if (str == nullptr) return "expected an array of strings (got " + std::string(type_name(el.type())) + " in it)";
      if (spec.check == Check::kServerList) {
        if (std::string why = check_server(str->get()); !why.empty()) return why;
      } else {
        Cidr cidr;
        if (!parse_cidr(str->get(), cidr))
          return "not an address block: \"" + str->get() + "\" (want e.g. \"10.0.0.0/8\" or \"::1/128\")";
      }
      items.push_back(str->get());
    }
    if (spec.check == Check::kServerList && items.empty()) return "must name at least one server";
    **p = std::move(items);
    return "";
  }
  if (auto* p = std::get_if<bool*>(&ref)) {
    const auto* v = node.as_boolean();
    if (v == nullptr) return wrong_type("a boolean");
    **p = v->get();
    return "";
  }
  if (std::holds_alternative<uint32_t*>(ref) || std::holds_alternative<uint64_t*>(ref)) {
    const auto* v = node.as_integer();
    if (v == nullptr) return wrong_type("an integer");
    const int64_t n = v->get();
    if (n < 0 || static_cast<uint64_t>(n) < spec.min || static_cast<uint64_t>(n) > spec.max) {
      return "must be between " + std::to_string(spec.min) + " and " + std::to_string(spec.max) +
             " (got " + std::to_string(n) + ")";
    }
    if (auto* p32 = std::get_if<uint32_t*>(&ref)) {
      **p32 = static_cast<uint32_t>(n);
    } else {
      *std::get<uint64_t*>(ref) = static_cast<uint64_t>(n);
    }
    return "";
  }
  const auto* v = node.as_string();
  if (v == nullptr) return wrong_type("a string");
  const std::string& text = v->get();
  const std::string got = " (got \"" + text + "\")";
  switch (spec.check) {
    case Check::kNonEmpty:
      if (text.empty()) return "must not be empty";
      break;
    case Check::kChoice: {
      auto it = std::find(spec.choices.begin(), spec.choices.end(), text);
      if (it == spec.choices.end()) return "must be one of " + join(spec.choices, ", ") + got;
      if (auto* d = std::get_if<Durability*>(&ref)) {
        **d = static_cast<Durability>(it - spec.choices.begin());
        return "";
      }
      break;
    }
    case Check::kAddressOrEmpty:
      if (text.empty()) break;
      [[fallthrough]];
    case Check::kAddress:
      if (std::string why = check_address(text); !why.empty()) return why;
      break;
    case Check::kFormat: {
      auto known = known_formats();
      if (std::find(known.begin(), known.end(), text) == known.end()) {
        return "unknown format \"" + text + "\" (known: " + join(known, ", ") + ")";
      }
      break;
    }
    case Check::kSubjectToken:
      if (std::string why = check_subject_token(text); !why.empty()) return why;
      break;
    case Check::kListenAddress:
      if (std::string path; unix_socket_path(text, path)) {
        if (std::string why = check_unix_address(text); !why.empty()) return why;
      } else if (std::string why = check_address(text); !why.empty()) {
        return why + " or unix:///path";
      }
      break;
    case Check::kFileMode:
      if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos ||
          std::stoul(text, nullptr, 8) > 0777)
        return "must be octal permission bits such as \"0660\" (got \"" + text + "\")";
      break;
    case Check::kNone:
    case Check::kRange:
    case Check::kCidrList:
    case Check::kServerList:
      break;
  }
  *std::get<std::string*>(ref) = text;
  return "";
}

const toml::source_region& line_of(const toml::node& n) { return n.source(); }

class Loader {
 public:
  explicit Loader(std::string_view source) : source_(source) {}

  // Fills `out`; false with error() set on the first problem.
  bool load(const toml::table& root, Settings& out) {
    ListenerSettings unused;
    for (auto&& [key, node] : root) {
      const std::string_view section = key.str();
      if (section == kListener) {
        if (!load_listeners(node, out)) return false;
      } else if (section == kOutput) {
        if (!load_outputs(node, out)) return false;
      } else if (is_global_section(section)) {
        const toml::table* t = node.as_table();
        if (t == nullptr) {
          return fail(line_of(node), section,
                      "expected a table (got " + std::string(type_name(node.type())) + ")");
        }
        for (auto&& [k, v] : *t) {
          const Spec* spec = find_spec(section, k.str());
          const std::string name = std::string(section) + "." + std::string(k.str());
          if (spec == nullptr) return fail(k.source(), name, "unknown key");
          if (std::string why = apply(*spec, v, spec->bind(out, unused)); !why.empty()) {
            return fail(line_of(v), name, why);
          }
          lines_[name] = line_of(v);
        }
      } else {
        return fail(key.source(), section,
                    "unknown key (sections: storage, receive, parser, metrics, log, listener, output)");
      }
    }
    if (out.listeners.empty()) {
      ListenerSettings l;
      l.name = l.format;
      out.listeners.push_back(std::move(l));
    }
    return cross_checks(out);
  }

  const std::string& error() const { return error_; }

 private:
  // Where a node came from: its file (the merged table's nodes come from several).
  bool fail(const toml::source_region& at, std::string_view key, std::string_view problem) {
    error_ = (at.path ? *at.path : std::string(source_)) + ":" + std::to_string(at.begin.line) + ": " +
             std::string(key) + ": " +
             std::string(problem);
    return false;
  }

  bool load_listeners(const toml::node& node, Settings& out) {
    const toml::array* arr = node.as_array();
    if (arr == nullptr) {
      return fail(line_of(node), kListener,
                  "expected [[listener]] tables (got " + std::string(type_name(node.type())) + ")");
    }
    Settings unused;
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& item = *arr->get(i);
      const std::string prefix = "listener[" + std::to_string(i) + "]";
      const toml::table* t = item.as_table();
      if (t == nullptr) {
        return fail(line_of(item), prefix,
                    "expected a table (got " + std::string(type_name(item.type())) + ")");
      }
      ListenerSettings l;
      toml::source_region name_line = line_of(item);
      bool named = false;
      for (auto&& [k, v] : *t) {
        const Spec* spec = find_spec(kListener, k.str());
        const std::string name = prefix + "." + std::string(k.str());
        if (spec == nullptr) return fail(k.source(), name, "unknown key");
        if (std::string why = apply(*spec, v, spec->bind(unused, l)); !why.empty()) {
          return fail(line_of(v), name, why);
        }
        lines_[name] = line_of(v);
        if (k.str() == "name") {
          name_line = line_of(v);
          named = true;
        }
      }
      if (l.name.empty()) l.name = l.format;  // the documented default
      if (std::string why = check_listener(l); !why.empty()) return fail(line_of(item), prefix, why);
      auto [it, inserted] = names.emplace(l.name, i);
      if (!inserted) {
        return fail(name_line, prefix + ".name",
                    "duplicate listener name \"" + l.name + "\" (also listener[" +
                        std::to_string(it->second) + "]); names must be unique" +
                        (named ? "" : " (an unnamed listener takes its format's name)"));
      }
      out.listeners.push_back(std::move(l));
    }
    return true;
  }

  bool load_outputs(const toml::node& node, Settings& out) {
    const toml::array* arr = node.as_array();
    if (arr == nullptr) {
      return fail(line_of(node), kOutput,
                  "expected [[output]] tables (got " + std::string(type_name(node.type())) + ")");
    }
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& item = *arr->get(i);
      const std::string prefix = "output[" + std::to_string(i) + "]";
      const toml::table* t = item.as_table();
      if (t == nullptr) {
        return fail(line_of(item), prefix, "expected a table (got " + std::string(type_name(item.type())) + ")");
      }
      OutputSettings o;
      toml::source_region line = line_of(item);
      for (auto&& [k, v] : *t) {
        const Spec* spec = find_spec(kOutput, k.str());
        const std::string name = prefix + "." + std::string(k.str());
        if (spec == nullptr) return fail(k.source(), name, "unknown key");
        if (std::string why = apply(*spec, v, spec->bind_output(o)); !why.empty()) return fail(line_of(v), name, why);
        if (k.str() == "name") line = line_of(v);
      }
      if (o.name.empty()) o.name = o.type;
      if (std::string why = check_output(o); !why.empty()) return fail(line_of(item), prefix, why);
      auto [it, inserted] = names.emplace(o.name, i);
      if (!inserted) {
        return fail(line, prefix + ".name",
                    "duplicate output name \"" + o.name + "\" (also output[" + std::to_string(it->second) +
                        "]); names must be unique");
      }
      out.outputs.push_back(std::move(o));
    }
    return true;
  }

  // Rules between keys. The line is the later key's if it was given.
  bool cross_checks(Settings& s) {
    for (size_t i = 0; i < s.listeners.size(); ++i) {
      ListenerSettings& l = s.listeners[i];
      const std::string key = "listener[" + std::to_string(i) + "].max_line_bytes";
      // Not set: the default, or the slot where slots are smaller.
      if (!lines_.contains(key)) l.max_line_bytes = std::min(l.max_line_bytes, s.receive.slot_bytes);
      if (l.transport == "tcp" && l.max_line_bytes > s.receive.slot_bytes) {
        return fail(line(key, "receive.slot_bytes"), key,
                    "must not exceed receive.slot_bytes (" + std::to_string(s.receive.slot_bytes) +
                        "): a message is stored from one slot (got " + std::to_string(l.max_line_bytes) + ")");
      }
    }
    if (s.receive.batch > s.receive.slots) {
      return fail(line("receive.batch", "receive.slots"), "receive.batch",
                  "must not exceed receive.slots (" + std::to_string(s.receive.slots) + ") (got " +
                      std::to_string(s.receive.batch) + ")");
    }
    if (s.storage.batch_bytes > s.storage.segment_bytes) {
      return fail(line("storage.batch_bytes", "storage.segment_bytes"), "storage.batch_bytes",
                  "must not exceed storage.segment_bytes (" +
                      std::to_string(s.storage.segment_bytes) + ") (got " +
                      std::to_string(s.storage.batch_bytes) + ")");
    }
    return true;
  }

  toml::source_region line(const std::string& a, const std::string& b) const {
    auto ia = lines_.find(a), ib = lines_.find(b);
    if (ia == lines_.end()) return ib == lines_.end() ? toml::source_region{} : ib->second;
    if (ib == lines_.end()) return ia->second;
    // The later of the two, in one file; else the second key's.
    const bool same_file = ia->second.path && ib->second.path && *ia->second.path == *ib->second.path;
    return same_file && ia->second.begin.line > ib->second.begin.line ? ia->second : ib->second;
  }

  std::string_view source_;
  std::string error_;
  std::map<std::string, toml::source_region> lines_;  // dotted key -> where, for cross checks
};

// Sizes read better in binary units where they are exact.
std::string human_bytes(uint64_t n) {
  const std::pair<uint64_t, std::string_view> units[] = {
      {kTiB, "TiB"}, {kGiB, "GiB"}, {kMiB, "MiB"}, {kKiB, "KiB"}};
  for (auto [unit, name] : units) {
    if (n >= unit && n % unit == 0) return std::to_string(n / unit) + " " + std::string(name);
  }
  return std::to_string(n);
}

bool is_bytes(const Spec& s) { return s.name.ends_with("_bytes"); }

std::string value_text(Ref ref, const Spec& spec) {
  if (auto* p = std::get_if<std::string*>(&ref)) return "\"" + **p + "\"";
  if (auto* p = std::get_if<uint32_t*>(&ref)) return std::to_string(**p);
  if (auto* p = std::get_if<uint64_t*>(&ref)) return std::to_string(**p);
  if (auto* p = std::get_if<bool*>(&ref)) return **p ? "true" : "false";
  if (auto* p = std::get_if<std::vector<std::string>*>(&ref)) {
    std::string out = "[";
    for (const std::string& v : **p) out += (out.size() > 1 ? ", \"" : "\"") + v + "\"";
    return out + "]";
  }
  return "\"" + std::string(spec.choices[static_cast<size_t>(*std::get<Durability*>(ref))]) + "\"";
}

bool same_value(Ref a, Ref b) {
  return std::visit(
      [&](auto* pa) {
        using P = decltype(pa);
        return *pa == *std::get<P>(b);
      },
      a);
}

}  // namespace

namespace {

ConfigResult load_table(const toml::table& root, std::string_view source_name) {
  ConfigResult result;
  try {
    Settings settings;
    Loader loader(source_name);
    if (!loader.load(root, settings)) {
      result.error = loader.error();
      return result;
    }
    result.settings = std::move(settings);
  } catch (const std::exception& e) {
    // Only allocation failures are expected here; keep the no-throw promise.
    result.error = std::string(source_name) + ": " + e.what();
  }
  return result;
}

}  // namespace

ConfigResult parse_config(std::string_view toml_text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    ConfigResult result;
    result.error = std::string(source_name) + ":" + std::to_string(e.source().begin.line) +
                   ": syntax error: " + std::string(e.description());
    return result;
  } catch (const std::exception& e) {
    ConfigResult result;
    result.error = std::string(source_name) + ": " + e.what();
    return result;
  }
  return load_table(root, source_name);
}

ConfigResult load_config(const std::filesystem::path& path, const std::filesystem::path& config_dir) {
  ConfigFiles files;
  try {
    files = read_config_files(path, config_dir);
  } catch (const std::exception& e) {
    files.error = path.string() + ": " + e.what();
  }
  if (!files.error.empty()) {
    ConfigResult r;
    r.error = files.error;
    return r;
  }
  ConfigResult r = load_table(files.root, path.string());
  r.files = std::move(files.files);
  return r;
}

std::vector<SettingDoc> setting_docs() {
  std::vector<SettingDoc> docs;
  Settings defaults;
  ListenerSettings listener_defaults;
  OutputSettings output_defaults;
  for (const Spec& s : kSpecs) {
    SettingDoc d;
    d.key = dotted(s);
    const Ref ref = s.bind_output ? s.bind_output(output_defaults) : s.bind(defaults, listener_defaults);
    d.default_value = s.default_note.empty() ? value_text(ref, s) : "(" + std::string(s.default_note) + ")";
    switch (s.check) {
      case Check::kRange:
        d.allowed = is_bytes(s) ? human_bytes(s.min) + " .. " + human_bytes(s.max)
                                : std::to_string(s.min) + ".." + std::to_string(s.max);
        break;
      case Check::kChoice:
        d.allowed = join(s.choices, " | ");
        break;
      case Check::kFormat:
        d.allowed = join(known_formats(), " | ");
        break;
      case Check::kAddress:
        d.allowed = "host:port | [v6]:port";
        break;
      case Check::kListenAddress:
        d.allowed = "host:port | [v6]:port | unix:///path";
        break;
      case Check::kFileMode:
        d.allowed = "octal, 000 .. 0777";
        break;
      case Check::kAddressOrEmpty:
        d.allowed = "host:port | [v6]:port | \"\"";
        break;
      case Check::kNonEmpty:
        d.allowed = "non-empty";
        break;
      case Check::kCidrList:
        d.allowed = "array of CIDR blocks";
        break;
      case Check::kServerList:
        d.allowed = "array of nats://host:port | tls://host:port";
        break;
      case Check::kSubjectToken:
        d.allowed = "letters, digits, - and _, dotted";
        break;
      case Check::kNone:
        break;
    }
    d.description = std::string(s.description);
    d.reloadable = s.reloadable;
    docs.push_back(std::move(d));
  }
  return docs;
}

std::string describe_settings() {
  const std::vector<SettingDoc> docs = setting_docs();
  std::string out =
      "Settings (TOML). Every key is optional; a file without [[listener]] gets one statsd\n"
      "listener named \"statsd\" on 127.0.0.1:8125. A reload (SIGHUP) applies the\n"
      "[[listener]] tables and the keys marked (reloads); the others take effect on restart.\n";
  std::string_view section;
  for (const SettingDoc& d : docs) {
    std::string_view this_section = std::string_view(d.key).substr(0, d.key.find('.'));
    if (this_section != section) {
      section = this_section;
      if (section == kListener)
        out += "\n[[listener]]  (repeat for each listener; a reload starts, stops or restarts each "
               "listener whose table appeared, went or changed)\n";
      else if (section == kOutput)
        out += "\n[[output]]  (repeat for each output; changes take effect on restart)\n";
      else
        out += "\n[" + std::string(section) + "]\n";
    }
    out += "  " + d.key.substr(d.key.find('.') + 1) + " = " + d.default_value;
    if (!d.allowed.empty()) out += "    (" + d.allowed + ")";
    if (d.reloadable && section != kListener) out += "    (reloads)";
    out += "\n      " + d.description + "\n";
  }
  return out;
}

std::vector<std::string> changes_needing_restart(const Settings& running, const Settings& loaded) {
  std::vector<std::string> keys;
  Settings a = running, b = loaded;  // bind() hands out non-const members
  ListenerSettings la, lb;
  for (const Spec& s : kSpecs) {
    if (s.reloadable || s.section == kListener || s.section == kOutput) continue;
    if (!same_value(s.bind(a, la), s.bind(b, lb))) keys.push_back(dotted(s));
  }
  if (a.outputs != b.outputs) keys.push_back(std::string(kOutput));
  if (a.listeners.size() != b.listeners.size()) {
    keys.push_back(std::string(kListener));
    return keys;
  }
  for (size_t i = 0; i < a.listeners.size(); ++i) {
    for (const Spec& s : kSpecs) {
      if (s.reloadable || s.section != kListener) continue;
      if (!same_value(s.bind(a, a.listeners[i]), s.bind(b, b.listeners[i]))) {
        keys.push_back("listener[" + std::to_string(i) + "]." + std::string(s.name));
      }
    }
  }
  return keys;
}

}  // namespace ringest
