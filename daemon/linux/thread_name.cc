#include "daemon/thread_name.h"

#include <pthread.h>

namespace ringest {

void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());  // best effort
}

}  // namespace ringest
