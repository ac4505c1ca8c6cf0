#include "rio/buffer_pool.h"

#include <sys/mman.h>

#include <new>

namespace ringest::rio {

BufferPool::BufferPool(uint32_t slot_bytes, uint32_t slots) : slot_bytes_(slot_bytes), slots_(slots) {
  void* p = mmap(nullptr, size_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  slab_ = static_cast<uint8_t*>(p);
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
