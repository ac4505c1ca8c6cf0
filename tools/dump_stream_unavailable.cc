// ringest-dump stream where this build has no NATS client (Windows).
#include <cstdio>

#include "tools/dump.h"

namespace ringest::dump {

int stream_command(int, char**) {
  std::fprintf(stderr, "ringest-dump: stream: this build has no NATS client (it is built on Linux, with libnats)\n");
  return 2;
}

}  // namespace ringest::dump
