// SourceFilter: a listener's allowlist of source address blocks. Empty
// means every source is allowed.
#pragma once

#include <string>
#include <vector>

#include "common/ip_address.h"

namespace ringest {

class SourceFilter {
 public:
  // Builds from CIDR strings already validated by the config loader; an
  // entry that does not parse is ignored.
  explicit SourceFilter(const std::vector<std::string>& cidrs) {
    for (const std::string& c : cidrs) {
      Cidr cidr;
      if (parse_cidr(c, cidr)) blocks_.push_back(cidr);
    }
  }
  bool empty() const { return blocks_.empty(); }
  bool contains(const SourceAddress& a) const {
    for (const Cidr& c : blocks_)
      if (c.contains(a)) return true;
    return false;
  }

 private:
  std::vector<Cidr> blocks_;
};

}  // namespace ringest
