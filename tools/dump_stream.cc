// ringest-dump stream: reads what an output forwarded to a JetStream stream
// (through nats.c, an ordered consumer on a subject filter) and checks it:
// per subject, offsets contiguous from the first message on, none twice, and
// for the batch encoding every batch's checksum and records. A message that
// came after later offsets (one the forwarder sent again after finding it
// lost) is counted as late, not as an error. --print writes
// the records (JSON lines, or the line protocol of influx messages).
// Summary on stdout as JSON; exit 0 when everything checked, 1 otherwise.
#include <nats/nats.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <string>

#include "outputs/batch_message.h"
#include "outputs/jetstream/nats_util.h"
#include "outputs/offset_coverage.h"
#include "tools/dump.h"

namespace ringest::dump {
namespace {

struct SubjectState {
  uint64_t messages = 0, records = 0;
  OffsetCoverage offsets;
  uint64_t duplicates = 0, late = 0, bad = 0;
};

}  // namespace

int stream_command(int argc, char** argv) {
  CLI::App app{"ringest-dump stream: check (and print) what an output forwarded to a JetStream stream"};
  app.name("ringest-dump stream");
  std::string server = "nats://127.0.0.1:4222", stream = "RINGEST", subject = "ringest.>";
  NatsAuth auth;
  bool print = false, origin = false;
  int idle_ms = 2000;
  app.add_option("--server", server, "a NATS server URL");
  app.add_option("--stream", stream, "the stream");
  app.add_option("--subject", subject, "subject filter (ringest.<node>.<partition>, or with > or *)");
  app.add_option("--user", auth.user);
  app.add_option("--password", auth.password);
  app.add_option("--token", auth.token);
  app.add_option("--creds", auth.creds_file, "NATS credentials file");
  app.add_option("--tls-ca", auth.tls_ca, "CA certificates to trust the server's certificate with (PEM)");
  app.add_option("--tls-cert", auth.tls_cert, "client certificate, for a server that verifies clients (PEM)");
  app.add_option("--tls-key", auth.tls_key, "the client certificate's key (PEM)");
  app.add_flag("--print", print, "print the records (JSON lines; influx messages as their line protocol)");
  app.add_flag("--origin", origin, "with --print: add each record's origin");
  app.add_option("--idle-ms", idle_ms, "give up waiting for more after this long without a message");
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  natsSubscription* sub = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, server.c_str());
  std::string what;
  if (s == NATS_OK) s = apply_auth(opts, auth, what);
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts);
  if (s == NATS_OK) s = natsConnection_JetStream(&js, nc, nullptr);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Ordered = true;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_SubscribeSync(&sub, js, subject.c_str(), nullptr, &so, &jerr);
  if (s != NATS_OK) {
    std::fprintf(stderr, "ringest-dump: %s: stream %s, subject %s: %s\n", server.c_str(), stream.c_str(),
                 subject.c_str(), nats_error(s).c_str());
    return 1;
  }
  RecordPrinter printer(Format::kJson, origin, std::filesystem::path());
  std::map<std::string, SubjectState> subjects;
  uint64_t total_messages = 0;
  for (;;) {
    natsMsg* m = nullptr;
    if (natsSubscription_NextMsg(&m, sub, idle_ms) != NATS_OK) break;
    ++total_messages;
    SubjectState& st = subjects[natsMsg_GetSubject(m)];
    uint64_t first = 0, last = 0, partition = 0;
    const bool ok = header_u64(m, kHeaderFirstOffset, first) && header_u64(m, kHeaderLastOffset, last) &&
                    header_u64(m, kHeaderPartition, partition);
    const char* enc = nullptr;
    natsMsgHeader_Get(m, kHeaderEncoding, &enc);
    ++st.messages;
    if (!ok || last < first) {
      ++st.bad;
      std::fprintf(stderr, "ringest-dump: %s: a message without ringest's offset headers\n", natsMsg_GetSubject(m));
    } else {
      if (!st.offsets.empty() && first < st.offsets.end()) {
        if (st.offsets.add(first, last + 1) > 0) {
          ++st.duplicates;
          std::fprintf(stderr, "ringest-dump: %s: offsets %llu..%llu again\n", natsMsg_GetSubject(m),
                       static_cast<unsigned long long>(first), static_cast<unsigned long long>(last));
        } else {
          ++st.late;
        }
      } else {
        st.offsets.add(first, last + 1);
      }
      st.records += last - first + 1;
      const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(m));
      const size_t len = static_cast<size_t>(natsMsg_GetDataLength(m));
      if (enc != nullptr && std::string_view(enc) == "batch") {
        // The stored batch: header, CRC and records checked by the log's own reader.
        SegmentReader reader(std::span<const uint8_t>(data, len), nullptr, SegmentReader::OnDamage::kStop);
        reader.resume(0, first);
        BatchView b;
        if (!reader.next_batch(b) || b.header.base_offset != first || b.header.end_offset() != last + 1 ||
            reader.valid_end() != len) {
          ++st.bad;
          std::fprintf(stderr, "ringest-dump: %s: the batch at offset %llu does not verify\n", natsMsg_GetSubject(m),
                       static_cast<unsigned long long>(first));
        } else if (print) {
          BatchRecords records(b);
          RecordView r;
          uint64_t off = 0;
          while (records.next(r, off)) printer.print(static_cast<uint32_t>(partition), off, r);
        }
      } else if (print) {
        std::fwrite(data, 1, len, stdout);
      }
    }
    natsMsg_Destroy(m);
  }
  uint64_t gaps = 0, dups = 0, bad = 0;
  std::string out = "{\"messages\":" + std::to_string(total_messages) + ",\"subjects\":{";
  bool first_subject = true;
  for (const auto& [name, st] : subjects) {
    const auto holes = st.offsets.holes(st.offsets.begin());
    for (const auto& [from, to] : holes)
      std::fprintf(stderr, "ringest-dump: %s: offsets %llu..%llu missing\n", name.c_str(),
                   static_cast<unsigned long long>(from), static_cast<unsigned long long>(to - 1));
    gaps += holes.size();
    dups += st.duplicates;
    bad += st.bad;
    if (!first_subject) out += ',';
    first_subject = false;
    out += "\"" + name + "\":{\"messages\":" + std::to_string(st.messages) +
           ",\"records\":" + std::to_string(st.records) + ",\"first_offset\":" +
           std::to_string(st.offsets.begin()) + ",\"next_offset\":" + std::to_string(st.offsets.end()) +
           ",\"gaps\":" + std::to_string(holes.size()) + ",\"duplicates\":" + std::to_string(st.duplicates) +
           ",\"late\":" + std::to_string(st.late) + ",\"bad\":" + std::to_string(st.bad) + "}";
  }
  const bool ok = gaps == 0 && dups == 0 && bad == 0;
  out += std::string("},\"ok\":") + (ok ? "true" : "false") + "}\n";
  std::fflush(stdout);
  std::fputs(out.c_str(), print ? stderr : stdout);
  natsSubscription_Destroy(sub);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
  nats_CloseAndWait(2000);
  return ok ? 0 : 1;
}

}  // namespace ringest::dump
