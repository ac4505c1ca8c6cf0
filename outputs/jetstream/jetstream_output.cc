#include "outputs/jetstream/jetstream_output.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "outputs/batch_message.h"
#include "outputs/cursor_file.h"
#include "outputs/jetstream/nats_util.h"
#include "outputs/jetstream/subject_walk.h"
#include "sinks/log_tail.h"

namespace ringest {
namespace {

constexpr int64_t kRetryMs = 1000;
constexpr int64_t kIdleWaitMs = 50;
constexpr int64_t kCursorEveryNs = 1'000'000'000;
constexpr int64_t kLagEveryNs = 500'000'000;
constexpr int64_t kDuplicateWindowNs = 120'000'000'000;  // JetStream's default
constexpr int64_t kHeaderReserve = 512;  // our headers and Nats-Msg-Id take ~300 bytes
constexpr uint64_t kMaxCheckedMessages = 20000;  // a check of the subject past this many resumes unchecked

std::string default_node() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "ringest";
  std::string node = host;
  // A subject token: the host name's dots would make more tokens.
  std::replace(node.begin(), node.end(), '.', '-');
  return node;
}

class JetStreamOutput;

// nats.c's library state (its threads, its timers) is released once the last
// output using it has stopped, so nothing of it outlives the outputs.
std::mutex library_mu;
int library_users = 0;
void library_acquire() {
  std::lock_guard lock(library_mu);
  ++library_users;
}
void library_release() {
  std::lock_guard lock(library_mu);
  if (--library_users == 0) nats_CloseAndWait(2000);
}

// One partition's forwarder: its own thread and JetStream context.
class Forwarder {
 public:
  Forwarder(JetStreamOutput& out, PartitionSource src, OutputProbe& probe);
  ~Forwarder() { stop(0); }
  void start() { thread_ = std::thread([this] { run(); }); }
  void stop(int wait_ms);
  void resync_later() { resync_needed_.store(true); }
  std::string trouble() const {
    std::lock_guard lock(mu_);
    return trouble_;
  }

 private:
  struct InFlight {
    uint64_t first = 0, end = 0, bytes = 0;
    int64_t first_time_ns = 0;
    uint64_t seq = 0;  // the stream's, once acknowledged
    bool acked = false;
  };

  void run();
  bool ensure_context();
  bool resync();
  // Waits (bounded by po.MaxWait) for outstanding acks, then forgets the rest.
  void drop_pending(jsPubOptions& po);
  // Publishes what batch `b` becomes (one message, or several cut from an
  // influx batch); false to be handed it again later.
  bool publish(const BatchView& b, std::span<const uint8_t> stored);
  // `end`: the offset below which everything is in the stream once this
  // message is (its own end, or further when what follows is there already).
  bool publish_one(const BatchMessage& msg, uint64_t stored_bytes, uint64_t end);
  // Reads the log from `offset` on.
  void read_from(uint64_t offset);
  // The current hole is sent: on to the next, or to where forwarding goes on.
  void next_fill();
  void write_cursor_if_moved();
  void update_lag(int64_t now);
  void set_trouble(const std::string& why);
  static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);

  JetStreamOutput& out_;
  PartitionSource src_;
  OutputProbe& probe_;
  std::string subject_;
  std::filesystem::path cursor_path_;
  jsCtx* js_ = nullptr;
  bool published_any_ = false;  // on js_
  std::unique_ptr<LogTail> tail_;
  Encoding encoding_ = Encoding::kBatch;
  std::vector<BatchMessage> msgs_;
  uint64_t resume_from_ = 0;  // records below this are in the stream
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> resync_needed_{true};
  std::atomic<bool> stuck_{false};  // a batch no message may carry: forwarding of this partition stopped
  mutable std::mutex mu_;
  std::condition_variable acked_cv_;
  uint64_t acks_ = 0;  // acks and failures seen (under mu_), to wake the forwarder
  std::deque<InFlight> in_flight_;  // published, in offset order
  std::atomic<uint64_t> acked_offset_{0};
  // A point below which the stream is known complete: it holds every offset
  // below ck_offset_, and every message of it that carries offsets at or
  // above ck_offset_ has a sequence number above ck_seq_. A check after a
  // failure walks the subject from there (under mu_).
  bool ck_known_ = false;
  uint64_t ck_offset_ = 0, ck_seq_ = 0;
  uint64_t normal_from_ = 0;  // acked messages from this offset on move the point (under mu_)
  // Holes the last check found in the stream, sent again in order, then
  // forwarding goes on from after_fills_.
  std::deque<OffsetCoverage::Range> fills_;
  uint64_t after_fills_ = 0;
  bool fill_done_ = false;  // the current hole is sent: the tail moves on
  uint64_t cursor_written_ = UINT64_MAX;
  int64_t next_cursor_ns_ = 0;
  int64_t next_lag_ns_ = 0;
  int64_t behind_since_ns_ = 0;
  std::string trouble_;
  std::string last_logged_;
};

class JetStreamOutput final : public Output {
 public:
  JetStreamOutput(const OutputSettings& s, std::vector<PartitionSource> partitions, std::filesystem::path state_dir)
      : settings_(s), state_dir_(std::move(state_dir)), probes_(partitions.size()) {
    if (settings_.node.empty()) settings_.node = default_node();
    for (size_t i = 0; i < partitions.size(); ++i)
      forwarders_.push_back(std::make_unique<Forwarder>(*this, partitions[i], probes_[i]));
  }
  ~JetStreamOutput() override { stop(0); }

  const OutputSettings& settings() const override { return settings_; }
  std::span<const OutputProbe> probes() const override { return probes_; }
  std::string trouble() const override {
    {
      std::lock_guard lock(mu_);
      if (!trouble_.empty()) return trouble_;
    }
    for (const auto& f : forwarders_)
      if (std::string t = f->trouble(); !t.empty()) return t;
    return "";
  }

  Status start() override;
  void stop(int wait_ms) override;

  // For the forwarders.
  natsConnection* connection() const { return ready_.load() ? conn_ : nullptr; }
  int64_t max_payload() const { return max_payload_.load(); }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  bool stopping() const { return stop_.load(); }
  void log_once(std::string& last, const std::string& line, bool error) {
    if (line == last) return;
    last = line;
    if (error)
      spdlog::error("output '{}': {}", settings_.name, line);
    else
      spdlog::info("output '{}': {}", settings_.name, line);
  }

 private:
  void connect_loop();
  bool ensure_stream();
  void set_trouble(const std::string& why, bool error);
  void set_connected(bool up) {
    for (OutputProbe& p : probes_) p.connected.set(up ? 1 : 0);
  }
  static void on_disconnected(natsConnection*, void* closure);
  static void on_reconnected(natsConnection*, void* closure);

  OutputSettings settings_;
  std::filesystem::path state_dir_;
  std::vector<OutputProbe> probes_;
  std::vector<std::unique_ptr<Forwarder>> forwarders_;
  natsOptions* opts_ = nullptr;
  natsConnection* conn_ = nullptr;
  std::atomic<bool> ready_{false};  // connected once and the stream is there
  std::atomic<int64_t> max_payload_{0};
  std::atomic<bool> stop_{false};
  bool started_ = false;
  std::thread connector_;
  mutable std::mutex mu_;
  std::string trouble_;
  std::string last_logged_;
};

// ---- the output ----

Status JetStreamOutput::start() {
  auto check = [](natsStatus s, const char* what) {
    return s == NATS_OK ? Status{} : Status::invalid(std::string(what) + ": " + nats_error(s));
  };
  library_acquire();
  started_ = true;
  if (Status st = check(natsOptions_Create(&opts_), "nats options"); !st) return st;
  std::vector<const char*> urls;
  for (const std::string& u : settings_.servers) urls.push_back(u.c_str());
  Status st = check(natsOptions_SetServers(opts_, urls.data(), static_cast<int>(urls.size())), "servers");
  if (st) st = check(natsOptions_SetName(opts_, ("ringest " + settings_.node).c_str()), "name");
  if (st) st = check(natsOptions_SetMaxReconnect(opts_, -1), "max reconnect");
  if (st) st = check(natsOptions_SetReconnectWait(opts_, 250), "reconnect wait");
  if (st) st = check(natsOptions_SetTimeout(opts_, 2000), "timeout");
  // A server that stops answering (stopped, cut off) is left within ~6 s for
  // another one, not after nats.c's default of minutes.
  if (st) st = check(natsOptions_SetPingInterval(opts_, 2000), "ping interval");
  if (st) st = check(natsOptions_SetMaxPingsOut(opts_, 2), "max pings out");
  if (st) st = check(natsOptions_SetDisconnectedCB(opts_, on_disconnected, this), "disconnected callback");
  if (st) st = check(natsOptions_SetReconnectedCB(opts_, on_reconnected, this), "reconnected callback");
  if (st) {
    const NatsAuth auth{settings_.user,   settings_.password, settings_.token,  settings_.creds_file,
                        settings_.tls_ca, settings_.tls_cert, settings_.tls_key};
    std::string what;
    const natsStatus s = apply_auth(opts_, auth, what);
    st = check(s, what.c_str());
  }
  if (!st) return Status::invalid("output '" + settings_.name + "': " + st.message());
  spdlog::info("output '{}': jetstream stream {} on {}, subjects {}.{}.<partition>, encoding {}", settings_.name,
               settings_.stream, settings_.servers.front(), settings_.subject_prefix, settings_.node,
               settings_.encoding);
  connector_ = std::thread([this] { connect_loop(); });
  for (auto& f : forwarders_) f->start();
  return {};
}

void JetStreamOutput::stop(int wait_ms) {
  if (stop_.exchange(true)) return;
  for (auto& f : forwarders_) f->stop(wait_ms);
  if (connector_.joinable()) connector_.join();
  if (conn_ != nullptr) {
    natsConnection_Close(conn_);
    natsConnection_Destroy(conn_);
    conn_ = nullptr;
  }
  if (opts_ != nullptr) natsOptions_Destroy(opts_);
  opts_ = nullptr;
  if (started_) library_release();
}

void JetStreamOutput::set_trouble(const std::string& why, bool error) {
  {
    std::lock_guard lock(mu_);
    trouble_ = why;
  }
  if (!why.empty()) log_once(last_logged_, why, error);
}

void JetStreamOutput::connect_loop() {
  while (!stop_.load() && conn_ == nullptr) {
    natsConnection* nc = nullptr;
    natsStatus s = natsConnection_Connect(&nc, opts_);
    if (s == NATS_OK) {
      conn_ = nc;
      max_payload_.store(natsConnection_GetMaxPayload(nc));
      set_connected(true);
      break;
    }
    // A server that verifies clients closes a TLS connection without a
    // client certificate; nats.c then only sees the connection end.
    const bool tls_without_cert = (!settings_.tls_ca.empty() || settings_.servers.front().starts_with("tls://")) &&
                                  settings_.tls_cert.empty() && s != NATS_NO_SERVER;
    set_trouble("cannot connect to " + settings_.servers.front() + (settings_.servers.size() > 1 ? " (and the others)" : "") +
                    ": " + nats_error(s) +
                    (tls_without_cert ? " (over TLS without tls_cert/tls_key: a server that verifies clients refuses)"
                                      : "") +
                    "; retrying every second, ingestion goes on into the local log",
                true);
    for (int i = 0; i < kRetryMs / 50 && !stop_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  while (!stop_.load() && !ensure_stream())
    for (int i = 0; i < kRetryMs / 50 && !stop_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (stop_.load()) return;
  set_trouble("", false);
  log_once(last_logged_, "connected; forwarding to stream " + settings_.stream, false);
  ready_.store(true);
}

bool JetStreamOutput::ensure_stream() {
  jsCtx* js = nullptr;
  if (natsStatus s = natsConnection_JetStream(&js, conn_, nullptr); s != NATS_OK) {
    set_trouble("jetstream: " + nats_error(s), true);
    return false;
  }
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, settings_.stream.c_str(), nullptr, &jerr);
  bool ok = s == NATS_OK;
  if (si != nullptr) jsStreamInfo_Destroy(si);
  if (!ok && s == NATS_NOT_FOUND && settings_.create_stream) {
    const std::string subjects = settings_.subject_prefix + ".>";
    const char* subject_list[] = {subjects.c_str()};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = settings_.stream.c_str();
    cfg.Subjects = subject_list;
    cfg.SubjectsLen = 1;
    cfg.Replicas = static_cast<int64_t>(settings_.replicas);
    cfg.Duplicates = kDuplicateWindowNs;
    cfg.Storage = js_FileStorage;
    s = js_AddStream(&si, js, &cfg, nullptr, &jerr);
    if (si != nullptr) jsStreamInfo_Destroy(si);
    ok = s == NATS_OK;
    if (ok) spdlog::info("output '{}': created stream {} (subjects {}, {} replica(s))", settings_.name,
                         settings_.stream, subjects, settings_.replicas);
    else
      set_trouble("cannot create stream " + settings_.stream + ": " + nats_error(s), true);
  } else if (!ok && s == NATS_NOT_FOUND) {
    set_trouble("stream " + settings_.stream + " does not exist and create_stream = false; create it with subjects " +
                    settings_.subject_prefix + ".> (checking again every second)",
                true);
  } else if (!ok) {
    set_trouble("stream " + settings_.stream + ": " + nats_error(s), true);
  }
  jsCtx_Destroy(js);
  return ok;
}

void JetStreamOutput::on_disconnected(natsConnection*, void* closure) {
  auto* self = static_cast<JetStreamOutput*>(closure);
  self->set_connected(false);
  if (!self->stop_.load())
    self->set_trouble("disconnected from the server; reconnecting (ingestion goes on into the local log)", true);
}

void JetStreamOutput::on_reconnected(natsConnection*, void* closure) {
  auto* self = static_cast<JetStreamOutput*>(closure);
  self->set_connected(true);
  self->set_trouble("", false);
  self->log_once(self->last_logged_, "reconnected; resuming from the stream", false);
  for (auto& f : self->forwarders_) f->resync_later();
}

// ---- one partition ----

Forwarder::Forwarder(JetStreamOutput& out, PartitionSource src, OutputProbe& probe)
    : out_(out), src_(std::move(src)), probe_(probe) {
  const OutputSettings& s = out_.settings();
  subject_ = s.subject_prefix + "." + s.node + "." + std::to_string(src_.partition);
  cursor_path_ = out_.state_dir() / s.name / (std::to_string(src_.partition) + ".cursor");
  parse_encoding(s.encoding, encoding_);
  // Until the stream says where it stands, the cursor is the best guess of
  // what was acknowledged (for the lag metrics; never for resuming).
  uint64_t cursor = 0, seq = 0;
  if (read_cursor(cursor_path_, cursor, &seq)) {
    acked_offset_.store(cursor);
    // Where a check of the stream after a restart may start.
    if (seq > 0) {
      ck_known_ = true;
      ck_offset_ = cursor;
      ck_seq_ = seq;
    }
  }
}

void Forwarder::stop(int wait_ms) {
  if (stop_.exchange(true) || !thread_.joinable()) return;
  acked_cv_.notify_all();
  thread_.join();
  if (js_ != nullptr) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = std::max(wait_ms, 1);
    drop_pending(po);
    jsCtx_Destroy(js_);
    js_ = nullptr;
  }
  write_cursor_if_moved();
}

void Forwarder::write_cursor_if_moved() {
  uint64_t offset = acked_offset_.load(), seq = 0;
  {
    std::lock_guard lock(mu_);
    if (ck_known_) {
      offset = ck_offset_;
      seq = ck_seq_;
    }
  }
  if (offset == cursor_written_ || offset == 0) return;
  if (write_cursor(cursor_path_, offset, seq).ok()) cursor_written_ = offset;
}

void Forwarder::set_trouble(const std::string& why) {
  {
    std::lock_guard lock(mu_);
    trouble_ = why;
  }
  if (!why.empty()) out_.log_once(last_logged_, why, true);
}

bool Forwarder::ensure_context() {
  if (js_ != nullptr) return true;
  natsConnection* nc = out_.connection();
  if (nc == nullptr) return false;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = out_.settings().ack_timeout_ms;
  // One more than ours: publishing never stalls inside the client.
  jo.PublishAsync.MaxPending = out_.settings().max_in_flight + 1;
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = this;
  if (natsStatus s = natsConnection_JetStream(&js_, nc, &jo); s != NATS_OK) {
    set_trouble("partition " + std::to_string(src_.partition) + ": jetstream: " + nats_error(s));
    js_ = nullptr;
    return false;
  }
  return true;
}

void Forwarder::drop_pending(jsPubOptions& po) {
  // nats.c keeps no pending list until the first asynchronous publish, and
  // asking for it before then crashes.
  if (!published_any_) return;
  js_PublishAsyncComplete(js_, &po);
  natsMsgList pending{};
  if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) natsMsgList_Destroy(&pending);
}

bool Forwarder::resync() {
  const OutputSettings& s = out_.settings();
  // What is outstanding may still be acknowledged; past the wait it is
  // dropped, and the stream says what arrived.
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = s.ack_timeout_ms;
  drop_pending(po);
  {
    std::lock_guard lock(mu_);
    in_flight_.clear();
  }
  probe_.in_flight.set(0);

  natsMsg* last = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = s.ack_timeout_ms;
  natsStatus st = js_GetLastMsg(&last, js_, s.stream.c_str(), subject_.c_str(), &jo, &jerr);
  const std::string part = "partition " + std::to_string(src_.partition);
  bool known = false;
  uint64_t ck_offset = 0, ck_seq = 0;
  {
    std::lock_guard lock(mu_);
    known = ck_known_;
    ck_offset = ck_offset_;
    ck_seq = ck_seq_;
  }
  uint64_t next = 0;
  std::vector<OffsetCoverage::Range> holes;
  std::string from;
  if (st == NATS_OK) {
    const char* value = nullptr;
    if (natsMsgHeader_Get(last, kHeaderLastOffset, &value) != NATS_OK || value == nullptr) {
      natsMsg_Destroy(last);
      set_trouble(part + ": the last message on " + subject_ + " has no " + kHeaderLastOffset +
                  " header: another writer uses this subject");
      return false;
    }
    next = std::stoull(value) + 1;
    const uint64_t last_seq = natsMsg_GetSequence(last);
    natsMsg_Destroy(last);
    from = "after the stream's last message";
    // A publish may have been lost while later ones were stored (a leader
    // change can do that): the subject is checked from the last point known
    // complete, and what it lacks is sent again.
    if (!known) {
      from += " (not checked: no earlier point known)";
    } else if (ck_seq > last_seq) {
      from += " (not checked: the stream's sequence numbers are behind the cursor's; was it recreated?)";
    } else if (ck_seq < last_seq) {
      SubjectWalk w = walk_subject(out_.connection(), js_, s.stream, subject_, ck_seq, last_seq,
                                   kMaxCheckedMessages, static_cast<int>(s.ack_timeout_ms));
      if (!w.error.empty() && w.messages < kMaxCheckedMessages) {
        set_trouble(part + ": checking " + subject_ + " from offset " + std::to_string(ck_offset) + ": " + w.error);
        return false;
      }
      next = std::max({next, w.offsets.end(), ck_offset});
      if (!w.error.empty()) {
        from += " (not checked: " + w.error + ")";
      } else {
        holes = w.offsets.holes(ck_offset);
        from += " (checked from offset " + std::to_string(ck_offset) + ")";
        if (holes.empty()) {
          // Nothing of the subject up to last_seq carries offsets from next on.
          std::lock_guard lock(mu_);
          ck_offset_ = next;
          ck_seq_ = last_seq;
        }
      }
    }
  } else if (st == NATS_NOT_FOUND && jerr == JSNoMessageFoundErr) {
    uint64_t cursor = 0;
    if (read_cursor(cursor_path_, cursor)) {
      next = cursor;
      from = "from the cursor file (the subject is empty: a new or recreated stream)";
    } else {
      next = 0;
      from = "from the start of the log (the subject is empty and there is no cursor)";
    }
    // Any message the subject gets from now on comes after sequence 0.
    std::lock_guard lock(mu_);
    ck_known_ = true;
    ck_offset_ = next;
    ck_seq_ = 0;
  } else {
    set_trouble(part + ": cannot read the last message of " + subject_ + ": " + nats_error(st));
    return false;
  }
  fills_.assign(holes.begin(), holes.end());
  after_fills_ = next;
  fill_done_ = false;
  {
    std::lock_guard lock(mu_);
    normal_from_ = next;
  }
  if (!holes.empty()) {
    uint64_t missing = 0;
    std::string ranges;
    for (const auto& [a, b] : holes) {
      missing += b - a;
      if (ranges.size() < 200) ranges += (ranges.empty() ? "" : ", ") + std::to_string(a) + ".." + std::to_string(b - 1);
    }
    probe_.gap_records.add(missing);
    spdlog::warn("output '{}': {}: {} lacks {} record(s) below offset {} ({}): publishes lost while later ones were "
                 "stored; sending them again",
                 s.name, part, subject_, missing, next, ranges);
    next = holes.front().first;
  }
  read_from(next);
  acked_offset_.store(next);
  probe_.acked_offset.set(next);
  if (src_.hold != nullptr) src_.hold->release_below(next);
  set_trouble("");
  out_.log_once(last_logged_, part + ": forwarding " + subject_ + " from offset " + std::to_string(next) + ", " + from,
                false);
  return true;
}

void Forwarder::read_from(uint64_t offset) {
  // Batches go on whole, CRC checked: their records are decoded only to be
  // written as line protocol (and by the consumer).
  tail_ = std::make_unique<LogTail>(src_.dir, offset, 16u << 20,
                                    encoding_ == Encoding::kBatch ? SegmentReader::Checks::kCrcOnly
                                                                  : SegmentReader::Checks::kRecords);
  resume_from_ = offset;
}

void Forwarder::next_fill() {
  fills_.pop_front();
  fill_done_ = false;
  if (!fills_.empty()) {
    read_from(fills_.front().first);
    return;
  }
  read_from(after_fills_);
  spdlog::info("output '{}': partition {}: the missing records are sent again; forwarding goes on from offset {}",
               out_.settings().name, src_.partition, after_fills_);
}

bool Forwarder::publish(const BatchView& b, std::span<const uint8_t> stored) {
  const OutputSettings& s = out_.settings();
  if (resync_needed_.load() || stop_.load() || fill_done_) return false;
  // Nothing goes into the client's reconnect buffer: what was in the socket
  // when the connection dropped may be lost while what follows it arrives,
  // and forwarding resumes from the stream after a reconnect anyway.
  natsConnection* nc = out_.connection();
  if (nc == nullptr || natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) return false;
  // max_payload counts the headers too: they get a fixed share of it.
  int64_t limit = out_.max_payload() > 0 ? out_.max_payload() - kHeaderReserve : 0;
  if (s.max_message_bytes > 0 && (limit <= 0 || s.max_message_bytes < limit)) limit = s.max_message_bytes;
  const size_t count = encode_batch_messages(s.node, src_.partition, b, stored, encoding_,
                                             static_cast<size_t>(std::max<int64_t>(limit, 0)), resume_from_, msgs_);
  {
    std::lock_guard lock(mu_);
    if (!in_flight_.empty() && in_flight_.size() + count > s.max_in_flight) return false;
  }
  for (size_t i = 0; i < count; ++i) {
    const BatchMessage& msg = msgs_[i];
    if (limit > 0 && static_cast<int64_t>(msg.body.size()) > limit) {
      stuck_.store(true);
      set_trouble("partition " + std::to_string(src_.partition) + ": the " +
                  (encoding_ == Encoding::kBatch ? "batch" : "record") + " at offset " +
                  std::to_string(msg.first_offset) + " is " + std::to_string(msg.body.size()) +
                  " bytes as a message, more than the " + std::to_string(limit) +
                   " a message body may carry (the server's max_payload less 512 bytes for headers, or max_message_bytes); "
                  "forwarding of this "
                  "partition stops here: raise max_payload or lower storage.batch_bytes");
      return false;
    }
    const uint64_t share = stored.size() * msg.records / std::max<uint32_t>(b.header.record_count, 1);
    if (!fills_.empty()) {
      // Sending a hole again: up to its end, and what follows is there already.
      const uint64_t hole_end = fills_.front().second;
      if (msg.first_offset >= hole_end) {
        fill_done_ = true;
        return false;
      }
      if (msg.last_offset + 1 >= hole_end) {
        const uint64_t then = fills_.size() > 1 ? fills_[1].first : after_fills_;
        if (!publish_one(msg, share, std::max(then, msg.last_offset + 1))) return false;
        fill_done_ = true;
        return false;
      }
    }
    if (!publish_one(msg, share, msg.last_offset + 1)) return false;
  }
  resume_from_ = b.header.end_offset();
  return true;
}

bool Forwarder::publish_one(const BatchMessage& msg, uint64_t stored_bytes, uint64_t end) {
  const OutputSettings& s = out_.settings();
  natsMsg* m = nullptr;
  if (natsMsg_Create(&m, subject_.c_str(), nullptr, msg.body.data(), static_cast<int>(msg.body.size())) != NATS_OK)
    return false;
  const std::string values[] = {std::to_string(msg.partition),     std::to_string(msg.first_offset),
                                std::to_string(msg.last_offset),   std::to_string(msg.records),
                                std::to_string(msg.first_time_ns), std::to_string(msg.last_time_ns),
                                std::string(to_string(msg.encoding)), s.node};
  const char* keys[] = {kHeaderPartition, kHeaderFirstOffset, kHeaderLastOffset, kHeaderRecords,
                        kHeaderFirstTime, kHeaderLastTime,    kHeaderEncoding,   kHeaderNode};
  for (size_t i = 0; i < std::size(keys); ++i) natsMsgHeader_Set(m, keys[i], values[i].c_str());
  if (msg.raw_left_out > 0) natsMsgHeader_Set(m, kHeaderRawLeftOut, std::to_string(msg.raw_left_out).c_str());
  {
    std::lock_guard lock(mu_);
    in_flight_.push_back({msg.first_offset, end, stored_bytes, msg.first_time_ns, 0, false});
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = msg.id.c_str();
  po.MaxWait = s.ack_timeout_ms;
  natsStatus st = js_PublishMsgAsync(js_, &m, &po);
  published_any_ = true;
  if (st != NATS_OK) {
    if (m != nullptr) natsMsg_Destroy(m);
    {
      std::lock_guard lock(mu_);
      if (!in_flight_.empty() && in_flight_.back().first == msg.first_offset) in_flight_.pop_back();
    }
    probe_.publish_errors.add();
    set_trouble("partition " + std::to_string(src_.partition) + ": publish: " + nats_error(st));
    resync_needed_.store(true);
    return false;
  }
  probe_.messages_published.add();
  probe_.records_published.add(msg.records);
  return true;
}

void Forwarder::on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* self = static_cast<Forwarder*>(closure);
  const char* value = nullptr;
  uint64_t first = UINT64_MAX;
  if (natsMsgHeader_Get(msg, kHeaderFirstOffset, &value) == NATS_OK && value != nullptr) first = std::stoull(value);
  uint32_t records = 0;
  if (natsMsgHeader_Get(msg, kHeaderRecords, &value) == NATS_OK && value != nullptr)
    records = static_cast<uint32_t>(std::stoul(value));
  natsMsg_Destroy(msg);
  OutputProbe& p = self->probe_;
  if (pa == nullptr) {
    p.failures.add();
    self->resync_needed_.store(true);
    if (pae != nullptr)
      self->set_trouble("partition " + std::to_string(self->src_.partition) + ": publish not acknowledged: " +
                        (pae->ErrText != nullptr ? std::string(pae->ErrText) : std::string(natsStatus_GetText(pae->Err))) +
                        "; resuming from the stream");
    {
      std::lock_guard lock(self->mu_);
      ++self->acks_;
    }
    self->acked_cv_.notify_all();
    return;
  }
  p.messages_acked.add();
  p.records_acked.add(records);
  if (pa->Duplicate) p.duplicates.add();
  p.last_ack_ns.set(static_cast<uint64_t>(wall_ns()));
  {
    std::lock_guard lock(self->mu_);
    for (InFlight& f : self->in_flight_) {
      if (f.first != first) continue;
      f.acked = true;
      f.seq = pa->Sequence;
      break;
    }
    while (!self->in_flight_.empty() && self->in_flight_.front().acked) {
      const InFlight& f = self->in_flight_.front();
      self->acked_offset_.store(f.end);
      // Published in order after everything the stream held at the last
      // check: the point known complete moves on (a hole sent again does not
      // move it, later offsets were stored before it).
      if (f.first >= self->normal_from_) {
        self->ck_known_ = true;
        self->ck_offset_ = f.end;
        self->ck_seq_ = f.seq;
      }
      self->in_flight_.pop_front();
    }
    ++self->acks_;
  }
  self->acked_cv_.notify_all();
}

void Forwarder::update_lag(int64_t now) {
  const uint64_t durable = src_.probe->durable_offset.get();
  const uint64_t acked = acked_offset_.load();
  probe_.acked_offset.set(acked);
  if (src_.hold != nullptr) src_.hold->release_below(acked);
  probe_.lag_records.set(durable > acked ? durable - acked : 0);
  uint64_t bytes = 0;
  int64_t oldest = 0;
  size_t n = 0;
  {
    std::lock_guard lock(mu_);
    n = in_flight_.size();
    for (const InFlight& f : in_flight_) bytes += f.bytes;
    if (!in_flight_.empty()) oldest = in_flight_.front().first_time_ns;
  }
  probe_.in_flight.set(n);
  if (durable <= acked) {
    behind_since_ns_ = 0;
    oldest = 0;
  } else if (oldest == 0) {
    if (behind_since_ns_ == 0) behind_since_ns_ = now;
    oldest = behind_since_ns_;
  }
  if (now >= next_lag_ns_ && tail_ != nullptr) {
    next_lag_ns_ = now + kLagEveryNs;
    probe_.lag_bytes.set(durable <= acked ? 0 : bytes + tail_->bytes_behind());
  }
  probe_.oldest_unacked_ns.set(static_cast<uint64_t>(oldest));
  if (now >= next_cursor_ns_) {
    next_cursor_ns_ = now + kCursorEveryNs;
    write_cursor_if_moved();
  }
}

void Forwarder::run() {
  while (!stop_.load()) {
    if (!ensure_context()) {
      update_lag(wall_ns());
      std::this_thread::sleep_for(std::chrono::milliseconds(kIdleWaitMs));
      continue;
    }
    if (resync_needed_.exchange(false)) {
      if (!resync()) {
        resync_needed_.store(true);
        update_lag(wall_ns());
        for (int i = 0; i < kRetryMs / kIdleWaitMs && !stop_.load(); ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(kIdleWaitMs));
        continue;
      }
    }
    if (fill_done_) next_fill();
    size_t handed = 0;
    if (!stuck_.load()) {
      handed = tail_->step([this](const BatchView& b, std::span<const uint8_t> stored) { return publish(b, stored); },
                           src_.probe->durable_offset.get(),
                           [this](const std::filesystem::path& seg, uint64_t pos) {
                             spdlog::warn("output '{}': partition {}: {}: damage at byte {}; forwarding goes on "
                                          "with the next valid batch",
                                          out_.settings().name, src_.partition, seg.string(), pos);
                           });
    }
    update_lag(wall_ns());
    if (handed > 0) continue;
    // Nothing to send now: wait for an ack (room in flight) or for new durable records.
    std::unique_lock lock(mu_);
    const uint64_t seen = acks_;
    acked_cv_.wait_for(lock, std::chrono::milliseconds(kIdleWaitMs), [&] { return stop_.load() || acks_ != seen; });
  }
}

}  // namespace

std::unique_ptr<Output> make_jetstream_output(const OutputSettings& s, std::vector<PartitionSource> partitions,
                                              const std::filesystem::path& state_dir) {
  return std::make_unique<JetStreamOutput>(s, std::move(partitions), state_dir);
}

}  // namespace ringest
