#include <windows.h>

#include <new>

#include "rio/buffer_pool.h"

namespace ringest::rio {

BufferPool::BufferPool(uint32_t slot_bytes, uint32_t slots) : slot_bytes_(slot_bytes), slots_(slots) {
  void* p = VirtualAlloc(nullptr, size_bytes(), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  if (p == nullptr) return;
  slab_ = static_cast<uint8_t*>(p);
  meta_ = new (std::nothrow) SlotMeta[slots];
  if (!meta_) {
    VirtualFree(slab_, 0, MEM_RELEASE);
    slab_ = nullptr;
  }
}

BufferPool::~BufferPool() {
  if (slab_) VirtualFree(slab_, 0, MEM_RELEASE);
  delete[] meta_;
}

}  // namespace ringest::rio
