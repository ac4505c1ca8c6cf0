#include "rio/stream_assembler.h"

#include <algorithm>
#include <cstring>

namespace ringest::rio {
namespace {

bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }
constexpr uint8_t kMaxHeaderDigits = 9;  // a length below 10^9: more than any slot

}  // namespace

StreamAssembler::StreamAssembler(BufferPool& pool, const StreamOptions& opts) : pool_(pool), opts_(opts) {
  opts_.max_line_bytes = std::min(opts_.max_line_bytes, pool_.slot_bytes());
  free_.reserve(pool_.slots());
  for (uint32_t s = pool_.slots(); s-- > 0;) free_.push_back(s);
  out_.reserve(pool_.slots());
}

int32_t StreamAssembler::open(const SourceAddress& peer, int64_t mono_now) {
  if (open_ >= opts_.max_connections) {
    probe_.refused.add();
    return -1;
  }
  int32_t id;
  if (!unused_.empty()) {
    id = unused_.back();
    unused_.pop_back();
  } else {
    id = static_cast<int32_t>(conns_.size());
    conns_.emplace_back();
  }
  Conn& c = conns_[id];
  c = Conn{};
  c.open = true;
  c.peer = peer;
  c.last_mono = mono_now;
  ++open_;
  probe_.accepted.add();
  probe_.open.set(open_);
  return id;
}

void StreamAssembler::close(int32_t id, Close why) {
  Conn& c = conns_[id];
  if (!c.open) return;
  const bool unfinished = (c.state == Conn::kLine && !c.carry.empty()) || c.state == Conn::kHeader ||
                          c.state == Conn::kBody;
  if (unfinished) probe_.partial.add();
  if (why == Close::kIdle) probe_.idle_closed.add();
  if (why == Close::kError) probe_.errors.add();
  c.open = false;
  c.carry = std::string();
  unused_.push_back(id);
  --open_;
  probe_.open.set(open_);
}

void StreamAssembler::idle(int64_t mono_now, std::vector<int32_t>& out) const {
  if (opts_.idle_timeout_ms == 0) return;
  const int64_t limit = int64_t{opts_.idle_timeout_ms} * 1'000'000;
  for (size_t i = 0; i < conns_.size(); ++i)
    if (conns_[i].open && mono_now - conns_[i].last_mono >= limit) out.push_back(static_cast<int32_t>(i));
}

void StreamAssembler::discard(int32_t c, std::string_view bytes) {
  discarding_ = true;
  feed(c, bytes, 0, conns_[c].last_mono);
  discarding_ = false;
}

bool StreamAssembler::emit(const Conn& c, std::string_view head, std::string_view tail, int64_t wall_now) {
  if (discarding_) {
    socket_.shutdown_drops.add();
    return true;
  }
  if (free_.empty()) {
    probe_.stalls.add();
    return false;
  }
  uint32_t slot = free_.back();
  free_.pop_back();
  uint8_t* p = pool_.slot(slot);
  std::memcpy(p, head.data(), head.size());
  std::memcpy(p + head.size(), tail.data(), tail.size());
  SlotMeta& m = pool_.meta(slot);
  m.offset = 0;
  m.length = static_cast<uint32_t>(head.size() + tail.size());
  m.listener = socket_.listener;
  m.socket = 0;
  m.source = c.peer;
  m.receive_ns = wall_now;
  socket_.datagrams.add();
  out_.push_back(slot);
  return true;
}

bool StreamAssembler::end_line(Conn& c, std::string_view piece, int64_t wall_now) {
  std::string_view head = c.carry;
  if (piece.empty() && !head.empty() && head.back() == '\r') {
    head.remove_suffix(1);
  } else if (!piece.empty() && piece.back() == '\r') {
    piece.remove_suffix(1);
  }
  const size_t n = head.size() + piece.size();
  if (n == 0) return true;  // an empty line: nothing to store or count
  if (n > opts_.max_line_bytes) {
    probe_.too_long.add();
    return true;
  }
  return emit(c, head, piece, wall_now);
}

size_t StreamAssembler::feed(int32_t id, std::string_view b, int64_t wall_now, int64_t mono_now) {
  Conn& c = conns_[id];
  c.last_mono = mono_now;
  const size_t max = opts_.max_line_bytes;
  size_t pos = 0;
  while (pos < b.size()) {
    switch (c.state) {
      case Conn::kStart:
        c.state = opts_.framing == Framing::kSyslog && is_digit(b[pos]) ? Conn::kHeader : Conn::kLine;
        c.header = 0;
        c.header_digits = 0;
        break;
      case Conn::kLine: {
        const void* nl = std::memchr(b.data() + pos, '\n', b.size() - pos);
        if (nl == nullptr) {
          const size_t n = b.size() - pos;
          if (c.carry.size() + n > max + 1) {  // + 1: a '\r' the '\n' may still follow
            probe_.too_long.add();
            c.carry.clear();
            c.state = Conn::kSkipLine;
          } else {
            c.carry.append(b.data() + pos, n);
          }
          pos = b.size();
          break;
        }
        const size_t end = static_cast<const char*>(nl) - b.data();
        if (!end_line(c, b.substr(pos, end - pos), wall_now)) {
          socket_.bytes.add(pos);
          return pos;
        }
        c.carry.clear();
        c.state = Conn::kStart;
        pos = end + 1;
        break;
      }
      case Conn::kSkipLine: {
        const void* nl = std::memchr(b.data() + pos, '\n', b.size() - pos);
        if (nl == nullptr) {
          pos = b.size();
        } else {
          pos = static_cast<const char*>(nl) - b.data() + 1;
          c.state = Conn::kStart;
        }
        break;
      }
      case Conn::kHeader:
        while (pos < b.size() && is_digit(b[pos]) && c.header_digits < kMaxHeaderDigits) {
          c.header = c.header * 10 + static_cast<uint32_t>(b[pos] - '0');
          ++c.header_digits;
          ++pos;
        }
        if (pos == b.size()) break;
        if (b[pos] != ' ') {
          probe_.bad_frame.add();
          c.state = Conn::kSkipLine;
          break;
        }
        ++pos;
        c.octets = c.header;
        if (c.header == 0) {
          c.state = Conn::kStart;
        } else if (c.header > max) {
          probe_.too_long.add();
          c.state = Conn::kSkipBody;
        } else {
          c.state = Conn::kBody;
        }
        break;
      case Conn::kBody: {
        const size_t need = c.octets - c.carry.size();
        if (b.size() - pos < need) {
          c.carry.append(b.data() + pos, b.size() - pos);
          pos = b.size();
          break;
        }
        if (!emit(c, c.carry, b.substr(pos, need), wall_now)) {
          socket_.bytes.add(pos);
          return pos;
        }
        c.carry.clear();
        c.state = Conn::kStart;
        pos += need;
        break;
      }
      case Conn::kSkipBody: {
        const size_t take = std::min<uint64_t>(c.octets, b.size() - pos);
        c.octets -= take;
        pos += take;
        if (c.octets == 0) c.state = Conn::kStart;
        break;
      }
    }
  }
  socket_.bytes.add(pos);
  return pos;
}

}  // namespace ringest::rio
