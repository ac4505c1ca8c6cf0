#include "outputs/jetstream/subject_walk.h"

#include <nlohmann/json.hpp>

#include <string_view>

#include "outputs/batch_message.h"
#include "outputs/jetstream/nats_util.h"

namespace ringest {
namespace {

constexpr int kNoMessageFound = 10037;  // JetStream's err_code for "no message found"

}  // namespace

SubjectWalk walk_subject(natsConnection* nc, jsCtx* js, const std::string& stream, const std::string& subject,
                         uint64_t after_seq, uint64_t to_seq, uint64_t max_messages, int timeout_ms) {
  SubjectWalk w;
  const std::string api = "$JS.API.STREAM.MSG.GET." + stream;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = timeout_ms;
  for (uint64_t seq = after_seq + 1; seq <= to_seq;) {
    if (w.messages >= max_messages) {
      w.error = "more than " + std::to_string(max_messages) + " messages to check";
      return w;
    }
    // The sequence number of the subject's next message...
    const std::string request = nlohmann::json{{"seq", seq}, {"next_by_subj", subject}}.dump();
    natsMsg* reply = nullptr;
    natsStatus s = natsConnection_Request(&reply, nc, api.c_str(), request.data(), static_cast<int>(request.size()),
                                          timeout_ms);
    if (s != NATS_OK) {
      w.error = "asking for the message after " + std::to_string(seq - 1) + ": " + nats_error(s);
      return w;
    }
    const auto j = nlohmann::json::parse(
        std::string_view(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply))), nullptr, false);
    natsMsg_Destroy(reply);
    if (j.is_discarded() || !j.is_object()) {
      w.error = "an unreadable reply to STREAM.MSG.GET";
      return w;
    }
    if (const auto e = j.find("error"); e != j.end()) {
      if (e->value("err_code", 0) == kNoMessageFound) break;
      w.error = "STREAM.MSG.GET: " + e->value("description", std::string("an error"));
      return w;
    }
    const uint64_t found = j.value("/message/seq"_json_pointer, uint64_t{0});
    if (found < seq) {
      w.error = "STREAM.MSG.GET answered without a sequence number";
      return w;
    }
    if (found > to_seq) break;
    // ...and its offsets, from its headers.
    natsMsg* m = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    if (s = js_GetMsg(&m, js, stream.c_str(), found, &jo, &jerr); s != NATS_OK) {
      w.error = "reading message " + std::to_string(found) + ": " + nats_error(s);
      return w;
    }
    uint64_t first = 0, last = 0;
    const bool ok = header_u64(m, kHeaderFirstOffset, first) && header_u64(m, kHeaderLastOffset, last) && last >= first;
    natsMsg_Destroy(m);
    if (!ok) {
      w.error = "message " + std::to_string(found) + " on " + subject + " has no offset headers";
      return w;
    }
    w.offsets.add(first, last + 1);
    ++w.messages;
    w.last_seq = found;
    seq = found + 1;
  }
  return w;
}

}  // namespace ringest
