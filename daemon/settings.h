// Settings: the plain structs the daemon's components receive. Only config.cc
// reads files; every field's default, bounds and description live in the one
// settings table there (and are printed by `ringestd --help-config`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sinks/partition_log.h"

namespace ringest {

struct ListenerSettings {
  std::string name;                      // metric label; unique
  std::string address = "127.0.0.1:8125";  // host:port, [v6]:port
  std::string format = "statsd";
  std::string precision = "ns";          // line protocol timestamps: ns | us | ms | s
  std::string engine = "auto";           // auto | uring | recvmmsg
  uint32_t sockets = 1;                  // SO_REUSEPORT sockets, one engine thread each
  uint32_t rcvbuf_bytes = 4u << 20;      // SO_RCVBUF asked for
  bool keep_raw = false;                 // store lines that fail to parse as raw records
  std::vector<std::string> allow;        // source CIDR allowlist; empty allows every source
  uint32_t max_datagram_bytes = 65535;   // larger datagrams are dropped and counted
};

struct ReceiveSettings {
  uint32_t slot_bytes = 4096;  // one datagram per slot (with its address and control data)
  uint32_t slots = 8192;       // per engine
  uint32_t batch = 64;         // completions harvested per wakeup, at most
};

struct StorageSettings {
  std::string dir = "data";
  Durability durability = Durability::kInterval;
  uint32_t sync_interval_ms = 200;
  uint32_t linger_ms = 5;          // longest a datagram waits in an open batch
  uint64_t segment_bytes = 128ull << 20;
  uint32_t batch_bytes = 256u << 10;
  uint32_t writes_in_flight = 4;
  uint64_t segment_ms = 0;         // also seal a segment this old (0: by size only)
  uint64_t retention_bytes = 0;    // per partition (0: keep everything)
  uint64_t retention_ms = 0;       // sealed longer ago than this (0: keep everything)
  std::string compression = "none";  // none | zstd | lz4, per batch
  bool preallocate = true;         // fallocate each new segment to segment_bytes
};

struct Settings {
  std::vector<ListenerSettings> listeners;
  ReceiveSettings receive;
  StorageSettings storage;
  uint32_t parser_threads = 2;                // parser shards = partitions
  std::string metrics_listen = "127.0.0.1:9310";  // empty disables the endpoint
  std::string log_level = "info";
};

}  // namespace ringest
