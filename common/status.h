// Status: the one error type below daemon/. OS error numbers (errno, WSA/Win32
// codes) are translated into it at the platform edge; nothing on the data path
// throws. A default-constructed Status is success and costs nothing.
#pragma once

#include <string>
#include <utility>

namespace ringest {

class Status {
 public:
  Status() = default;

  // `what` names the operation that failed ("bind 127.0.0.1:8125"); `code` is
  // the OS error number (0 if none applies).
  static Status from_errno(int code, std::string what);
  static Status invalid(std::string what) { return Status(-1, std::move(what)); }
  // An OS error whose text the platform edge looked up itself (Win32 and WSA
  // codes, which strerror does not know).
  static Status with_text(int code, std::string what, std::string text) {
    Status st = from_errno(code, std::move(what));
    st.text_ = std::move(text);
    return st;
  }

  bool ok() const { return code_ == 0; }
  explicit operator bool() const { return ok(); }
  int code() const { return code_; }
  // "bind 127.0.0.1:8125: Address already in use"
  std::string message() const;

 private:
  Status(int code, std::string what) : code_(code), what_(std::move(what)) {}
  int code_ = 0;
  std::string what_;
  std::string text_;  // set by with_text()
};

}  // namespace ringest
