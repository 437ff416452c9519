// Internal (namespace sgda::detail, not part of the API): ask Linux to back a large buffer with
// transparent huge pages before it is first written. Where THP is "madvise" (a common default),
// a D × D matrix of a large game otherwise takes one page fault per 4 KiB (8000 for 32 MB) and,
// read with a stride of D doubles, one TLB entry per 4 KiB; with 2 MiB pages both drop 512-fold.
// Only the 2 MiB-aligned interior of the buffer is advised; a no-op elsewhere or on failure.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace sgda::detail {

inline void advise_huge_pages(void* data, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t(2) << 20;
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t begin = (start + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t end = (start + bytes) & ~(kHuge - 1);
  if (end > begin)
    static_cast<void>(::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE));
#else
  static_cast<void>(data);
  static_cast<void>(bytes);
#endif
}

}  // namespace sgda::detail
