#include "rio/linux/uring_ring.h"

#include <sys/mman.h>

#include <cerrno>

namespace ringest::rio::linux_uring {

uint32_t next_pow2(uint32_t v) {
  uint32_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

Status init_ring(io_uring& ring, uint32_t cq_entries) {
  const unsigned flag_sets[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                IORING_SETUP_COOP_TASKRUN, 0};
  int r = -EINVAL;
  for (unsigned flags : flag_sets) {
    io_uring_params p{};
    p.flags = flags | IORING_SETUP_CQSIZE;
    p.cq_entries = cq_entries;
    r = io_uring_queue_init_params(64, &ring, &p);
    if (r != -EINVAL) break;
  }
  if (r < 0) return Status::from_errno(-r, "io_uring_queue_init");
  return {};
}

BufferRing::~BufferRing() {
  if (br_) munmap(br_, bytes_);
}

Status BufferRing::setup(io_uring& ring, uint32_t buffers, uint16_t bgid) {
  uint32_t entries = next_pow2(buffers);
  bytes_ = entries * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return Status::from_errno(errno, "buffer ring");
  br_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br_);
  reg.ring_entries = entries;
  reg.bgid = bgid;
  if (int r = io_uring_register_buf_ring(&ring, &reg, 0); r < 0)
    return Status::from_errno(-r, "io_uring_register_buf_ring");
  io_uring_buf_ring_init(br_);
  mask_ = io_uring_buf_ring_mask(entries);
  return {};
}

}  // namespace ringest::rio::linux_uring
