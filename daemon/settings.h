// Settings: the plain structs the daemon's components receive. Only config.cc
// reads files; every field's bounds and description live in the one settings
// table there (and are printed by `ringestd --help-config`). Its defaults are
// the initializers here; where a component has an options struct of its own
// (the engines', the log's), the default is that struct's and is named here
// from it, not written a second time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rio/engine.h"
#include "sinks/compression.h"
#include "sinks/partition_log.h"

namespace ringest {

inline const rio::EngineOptions kEngineDefaults{};
inline const rio::SocketSpec kSocketDefaults{};
inline const rio::StreamOptions kStreamDefaults{};
inline const LogOptions kLogDefaults{};

struct ListenerSettings {
  std::string name;                      // metric label; unique
  std::string address = "127.0.0.1:8125";  // host:port, [v6]:port, unix:///path (Linux)
  std::string format = "statsd";
  std::string precision = "ns";          // line protocol timestamps: kPrecisionNames
  std::string engine = "auto";           // rio::kEngineNames
  uint32_t sockets = 1;                  // SO_REUSEPORT sockets, one engine thread each
  uint32_t rcvbuf_bytes = kSocketDefaults.rcvbuf_bytes;  // SO_RCVBUF asked for
  bool keep_raw = false;                 // store lines that fail to parse as raw records
  std::vector<std::string> allow;        // source CIDR allowlist; empty allows every source
  uint32_t max_datagram_bytes = 65535;   // larger datagrams are dropped and counted
  std::string socket_mode = "0660";      // unix:// only: the socket file's permissions, octal
  std::string socket_group;              // unix:// only: the socket file's group; "" the daemon's
  std::string transport = "udp";         // "udp" (datagrams, also unix://) or "tcp"
  uint32_t max_connections = kStreamDefaults.max_connections;  // tcp: per socket
  uint32_t idle_timeout_ms = kStreamDefaults.idle_timeout_ms;  // tcp: 0 never
  uint32_t max_line_bytes = kStreamDefaults.max_line_bytes;    // tcp: at most receive.slot_bytes

  bool operator==(const ListenerSettings&) const = default;
};

// One [[output]] table: where the log's durable batches are forwarded.
struct OutputSettings {
  std::string type = "jetstream";        // kOutputTypes
  std::string name;                      // metric label; unique; defaults to the type
  std::vector<std::string> servers = {"nats://127.0.0.1:4222"};
  std::string stream = "RINGEST";
  std::string subject_prefix = "ringest";  // subjects <prefix>.<node>.<partition>
  std::string node;                      // empty: the host name
  uint32_t replicas = 1;
  std::string encoding = "batch";        // kOutputEncodings
  uint32_t max_in_flight = 256;          // messages published and not yet acknowledged, per partition
  uint32_t max_message_bytes = 0;        // 0: the server's max_payload
  uint32_t ack_timeout_ms = 5000;        // a message not acknowledged by then is published again
  bool create_stream = true;
  bool retention_overrides_forwarding = false;
  std::string user, password, token, creds_file;
  std::string tls_ca, tls_cert, tls_key;

  bool operator==(const OutputSettings&) const = default;
};

struct ReceiveSettings {
  uint32_t slot_bytes = kEngineDefaults.slot_bytes;  // one datagram per slot (with its address and control data)
  uint32_t slots = kEngineDefaults.slots;  // per engine
  uint32_t batch = kEngineDefaults.batch;  // completions harvested per wakeup, at most
};

struct StorageSettings {
  std::string dir = "data";
  Durability durability = kLogDefaults.durability;
  uint32_t sync_interval_ms = kLogDefaults.sync_interval_ms;
  uint32_t linger_ms = kLogDefaults.linger_ms;  // longest a datagram waits in an open batch
  uint64_t segment_bytes = kLogDefaults.segment_bytes;
  uint32_t batch_bytes = kLogDefaults.batch_bytes;
  uint32_t writes_in_flight = kLogDefaults.writes_in_flight;
  uint64_t segment_ms = kLogDefaults.segment_ms;  // also seal a segment this old (0: by size only)
  uint64_t retention_bytes = kLogDefaults.retention_bytes;  // per partition (0: keep everything)
  uint64_t retention_ms = kLogDefaults.retention_ms;  // sealed longer ago than this (0: keep everything)
  std::string compression = to_string(kLogDefaults.compression);  // kCompressionNames, per batch
  bool preallocate = kLogDefaults.preallocate;  // fallocate each new segment to segment_bytes
  bool direct_io = kLogDefaults.direct_io;      // O_DIRECT / FILE_FLAG_NO_BUFFERING where the file system takes it
};

struct Settings {
  std::vector<ListenerSettings> listeners;
  std::vector<OutputSettings> outputs;
  ReceiveSettings receive;
  StorageSettings storage;
  uint32_t parser_threads = 2;                // parser shards = partitions
  std::string metrics_listen = "127.0.0.1:9310";  // empty disables the endpoint
  std::string log_level = "info";
};

}  // namespace ringest
