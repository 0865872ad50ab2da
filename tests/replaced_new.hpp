// Replaces the global operator new and delete of a test binary so a test can watch its
// allocations: every new calls `on_test_allocation(size)` (which the including file
// defines) and then malloc; every delete frees. Include it in exactly one source file
// of a test binary (these are definitions, not declarations).
//
// Every unaligned form is replaced, the nothrow and array ones too (Catch allocates with
// new (std::nothrow)): a form left to the runtime would pair its allocation with these
// frees, which ASan reports as alloc-dealloc-mismatch. Not inlined: GCC would then see
// free() on memory from operator new and warn (-Wmismatched-new-delete), though both
// sides are these replacements.
#pragma once

#include <cstdlib>
#include <new>

void on_test_allocation(std::size_t n) noexcept;

namespace ikekit::test {
inline void* watched_malloc(std::size_t n) noexcept {
  on_test_allocation(n);
  return std::malloc(n ? n : 1);
}
} // namespace ikekit::test

__attribute__((noinline)) void* operator new(std::size_t n) {
  if (void* p = ikekit::test::watched_malloc(n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new[](std::size_t n) {
  if (void* p = ikekit::test::watched_malloc(n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return ikekit::test::watched_malloc(n);
}
__attribute__((noinline)) void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return ikekit::test::watched_malloc(n);
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
