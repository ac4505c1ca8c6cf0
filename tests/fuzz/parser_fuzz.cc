// libFuzzer target for one wire format's parser (RINGEST_FUZZ_FORMAT names
// it; CMake builds one binary per format). Beyond "no crash, no sanitizer
// report", it checks the PointSink contract on every input: reasons index
// reasons(), line numbers are 1-based, a rejected line's text lies inside the
// datagram, and every point has a measurement and at least one field.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "daemon/formats/parser.h"

namespace {

class CheckingSink final : public ringest::PointSink {
 public:
  CheckingSink(std::string_view datagram, size_t n_reasons) : d_(datagram), n_reasons_(n_reasons) {}
  void point(const ringest::PointView& p) override {
    if (p.measurement.empty() || p.fields.empty()) std::abort();
    for (const ringest::Tag& t : p.tags) touch(t.key), touch(t.value);
    for (const ringest::Field& f : p.fields) {
      touch(f.key);
      if (f.type == ringest::FieldType::kString) touch(f.s);
    }
  }
  void reject(uint16_t reason, uint32_t line, std::string_view text) override {
    if (reason >= n_reasons_ || line == 0) std::abort();
    if (!text.empty() && (text.data() < d_.data() || text.data() + text.size() > d_.data() + d_.size())) {
      std::abort();
    }
  }
  volatile unsigned sum = 0;

 private:
  // Reads every byte, so ASan sees a view that points anywhere it should not.
  void touch(std::string_view s) {
    for (char c : s) sum = sum + static_cast<unsigned char>(c);
  }
  std::string_view d_;
  size_t n_reasons_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<ringest::Parser> parser = [] {
    int64_t ns = 1;
    ringest::precision_from_name("ms", ns);  // exercises the scaling overflow checks
    return ringest::make_parser(RINGEST_FUZZ_FORMAT, ringest::ParserOptions{ns});
  }();
  if (!parser) std::abort();
  std::string_view d(reinterpret_cast<const char*>(data), size);
  CheckingSink sink(d, parser->reasons().size());
  parser->parse(d, ringest::ParseContext{1'700'000'000'000'000'000}, sink);
  return 0;
}
