// What every user of nats.c here shares: error text, numeric headers, and the
// connection's credentials and TLS (the output and ringest-dump stream).
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <string>

namespace ringest {

// nats.c's last error text for this thread, else the status's name.
std::string nats_error(natsStatus s);

// A header holding a decimal number; false when the message lacks it.
bool header_u64(natsMsg* m, const char* key, uint64_t& out);

// Credentials and TLS as nats.c takes them; empty fields are not set.
struct NatsAuth {
  std::string user, password, token, creds_file;
  std::string tls_ca, tls_cert, tls_key;  // any set: the connection is TLS
};

// Sets `auth` on `opts`. On failure `what` names the setting ("tls_ca", ...).
natsStatus apply_auth(natsOptions* opts, const NatsAuth& auth, std::string& what);

}  // namespace ringest
