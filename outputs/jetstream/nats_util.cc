#include "outputs/jetstream/nats_util.h"

#include <cstdlib>

namespace ringest {

std::string nats_error(natsStatus s) {
  const char* text = nats_GetLastError(nullptr);
  return text != nullptr && *text != '\0' ? std::string(text) : std::string(natsStatus_GetText(s));
}

bool header_u64(natsMsg* m, const char* key, uint64_t& out) {
  const char* v = nullptr;
  if (natsMsgHeader_Get(m, key, &v) != NATS_OK || v == nullptr) return false;
  out = std::strtoull(v, nullptr, 10);
  return true;
}

natsStatus apply_auth(natsOptions* opts, const NatsAuth& auth, std::string& what) {
  natsStatus s = NATS_OK;
  auto step = [&](const char* name, auto&& call) {
    if (s != NATS_OK) return;
    s = call();
    if (s != NATS_OK) what = name;
  };
  if (!auth.user.empty())
    step("user", [&] { return natsOptions_SetUserInfo(opts, auth.user.c_str(), auth.password.c_str()); });
  if (!auth.token.empty()) step("token", [&] { return natsOptions_SetToken(opts, auth.token.c_str()); });
  if (!auth.creds_file.empty())
    step("creds_file", [&] { return natsOptions_SetUserCredentialsFromFiles(opts, auth.creds_file.c_str(), nullptr); });
  if (!auth.tls_ca.empty() || !auth.tls_cert.empty()) step("tls", [&] { return natsOptions_SetSecure(opts, true); });
  if (!auth.tls_ca.empty())
    step("tls_ca", [&] { return natsOptions_LoadCATrustedCertificates(opts, auth.tls_ca.c_str()); });
  if (!auth.tls_cert.empty()) {
    step("tls_cert/tls_key",
         [&] { return natsOptions_LoadCertificatesChain(opts, auth.tls_cert.c_str(), auth.tls_key.c_str()); });
  }
  return s;
}

}  // namespace ringest
