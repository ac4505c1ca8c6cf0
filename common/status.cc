#include "common/status.h"

#include <cstring>

namespace ringest {

Status Status::from_errno(int code, std::string what) {
  return Status(code == 0 ? -1 : code, std::move(what));
}

std::string Status::message() const {
  if (ok()) return "ok";
  if (code_ < 0) return what_;
  if (!text_.empty()) return what_ + ": " + text_;
  return what_ + ": " + std::strerror(code_);
}

}  // namespace ringest
