// RetentionHolds: what readers outside the log (outputs) still need of one
// partition. Each hold says "records from offset N on"; retention deletes a
// sealed segment only when every record in it is below every hold — except
// holds that let retention override them, which count the records deleted
// before they were read. Holds are added while the daemon starts and moved
// by their readers from any thread; retention reads them once a second.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "common/counter.h"

namespace ringest {

class RetentionHold {
 public:
  RetentionHold(std::string name, bool overridable) : name_(std::move(name)), overridable_(overridable) {}
  // The holder: records below `offset` are no longer needed.
  void release_below(uint64_t offset) { from_.store(offset, std::memory_order_release); }
  uint64_t from() const { return from_.load(std::memory_order_acquire); }
  bool overridable() const { return overridable_; }
  const std::string& name() const { return name_; }
  // Records retention deleted that this hold still needed (overridable only).
  uint64_t deleted_unread() const { return deleted_unread_.load(std::memory_order_relaxed); }
  void count_deleted(uint64_t n) { deleted_unread_.fetch_add(n, std::memory_order_relaxed); }

 private:
  std::string name_;
  bool overridable_;
  std::atomic<uint64_t> from_{0};
  std::atomic<uint64_t> deleted_unread_{0};
};

class RetentionHolds {
 public:
  // Before the holder starts reading; the hold lives as long as this object.
  RetentionHold* add(std::string name, bool overridable) {
    std::lock_guard lock(mu_);
    return &holds_.emplace_back(std::move(name), overridable);
  }
  template <class F>
  void visit(F&& f) const {
    std::lock_guard lock(mu_);
    for (const RetentionHold& h : holds_) f(h);
  }
  // Whether retention may delete the records [base, end): none of them is
  // needed by a hold that can't be overridden. When it may, the records
  // overridable holds still needed are counted against them.
  bool may_delete(uint64_t base, uint64_t end) {
    std::lock_guard lock(mu_);
    for (const RetentionHold& h : holds_)
      if (!h.overridable() && h.from() < end) return false;
    for (RetentionHold& h : holds_)
      if (h.from() < end) h.count_deleted(end - std::max(base, h.from()));
    return true;
  }

 private:
  mutable std::mutex mu_;
  std::deque<RetentionHold> holds_;
};

}  // namespace ringest
