// The one place that knows which outputs this build has.
#include "outputs/output.h"

#if defined(RINGEST_HAVE_JETSTREAM)
#include "outputs/jetstream/jetstream_output.h"
#endif

namespace ringest {

std::string check_output(const OutputSettings& s) {
#if !defined(RINGEST_HAVE_JETSTREAM)
  if (s.type == "jetstream") return "this build has no jetstream output (it is built on Linux, with libnats)";
#endif
  if (s.user.empty() != s.password.empty()) return "user and password go together";
  if (!s.token.empty() && !s.user.empty()) return "token and user/password exclude each other";
  if (s.tls_cert.empty() != s.tls_key.empty()) return "tls_cert and tls_key go together";
  for (const std::string* file : {&s.creds_file, &s.tls_ca, &s.tls_cert, &s.tls_key}) {
    std::error_code ec;
    if (!file->empty() && !std::filesystem::is_regular_file(*file, ec)) return "cannot read " + *file;
  }
  return "";
}

std::unique_ptr<Output> make_output(const OutputSettings& s, [[maybe_unused]] std::vector<PartitionSource> partitions,
                                    [[maybe_unused]] const std::filesystem::path& state_dir, std::string& error) {
  error = check_output(s);
  if (!error.empty()) return nullptr;
#if defined(RINGEST_HAVE_JETSTREAM)
  if (s.type == "jetstream") return make_jetstream_output(s, std::move(partitions), state_dir);
#endif
  error = "unknown output type \"" + s.type + "\"";
  return nullptr;
}

}  // namespace ringest
