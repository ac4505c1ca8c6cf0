// Names the calling thread for ps, top, perf and debuggers (at most 15
// characters are kept on Linux): "ringest-rx3", "ringest-shard0".
#pragma once

#include <string>

namespace ringest {

void name_this_thread(const std::string& name);

}  // namespace ringest
