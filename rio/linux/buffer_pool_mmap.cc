#include "rio/buffer_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <new>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older C library headers lack it
#endif

namespace ringest::rio {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

// The slab, backed by huge pages where the kernel has them to give (THP in
// "madvise" or "always" mode), every page faulted in now. A slot is touched
// by the kernel's copy and then by a parser on another core, in the ring's
// order; with small pages and lazily faulted memory each datagram of the first
// pass through the pool paid a page fault, and every one a TLB miss.
uint8_t* map_slab(size_t bytes) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const size_t padded = bytes >= kHugePage ? bytes + kHugePage : bytes;  // room to align to a huge page
  void* p = mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = padded > bytes ? (start + kHugePage - 1) & ~(kHugePage - 1) : start;
  const uintptr_t end = (aligned + bytes + page - 1) & ~(page - 1);  // the slab's last page ends here
  if (aligned > start) munmap(p, aligned - start);
  if (end < start + padded) munmap(reinterpret_cast<void*>(end), start + padded - end);
  auto* slab = reinterpret_cast<uint8_t*>(aligned);
  madvise(slab, bytes, MADV_HUGEPAGE);  // advice: without THP the pages stay small
  if (madvise(slab, bytes, MADV_POPULATE_WRITE) != 0) {
    if (errno != EINVAL) {  // out of memory now rather than at the first datagrams
      munmap(slab, bytes);
      return nullptr;
    }
    for (size_t at = 0; at < bytes; at += page) slab[at] = 0;  // before Linux 5.14
  }
  return slab;
}

}  // namespace

BufferPool::BufferPool(uint32_t slot_bytes, uint32_t slots) : slot_bytes_(slot_bytes), slots_(slots) {
  slab_ = map_slab(size_bytes());
  if (!slab_) return;
  meta_ = new (std::nothrow) SlotMeta[slots];
  if (!meta_) {
    munmap(slab_, size_bytes());
    slab_ = nullptr;
  }
}

BufferPool::~BufferPool() {
  if (slab_) munmap(slab_, size_bytes());
  delete[] meta_;
}

}  // namespace ringest::rio
