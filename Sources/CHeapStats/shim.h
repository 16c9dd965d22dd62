#ifndef KK_CHEAPSTATS_SHIM_H
#define KK_CHEAPSTATS_SHIM_H
/* The allocator's count of bytes the program holds allocated right now (the heap's logical
 * size, not what the allocator keeps cached or what RSS shows). Prefix: crelay_. */
#include <malloc.h>
#include <stddef.h>

/* Defined by a sanitizer runtime (AddressSanitizer, ThreadSanitizer) when the process is built
 * with one, whose allocator replaces glibc's; null addresses otherwise. */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));
extern size_t __sanitizer_get_heap_size(void) __attribute__((weak));

/* The sanitizer allocator's figure under -sanitize=address/thread; otherwise glibc's
 * mallinfo2(3): chunks in use in every arena plus chunks served by mmap. */
static inline size_t crelay_heap_bytes_in_use(void) {
    if (__sanitizer_get_current_allocated_bytes) return __sanitizer_get_current_allocated_bytes();
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* What the allocator holds from the system for the heap (in use, cached free chunks, and under
 * a sanitizer its own bookkeeping of them): the sanitizer allocator's heap size, or glibc's arena
 * bytes plus mmapped chunks. Mapped minus in use is what the allocator keeps. */
static inline size_t crelay_heap_bytes_mapped(void) {
    if (__sanitizer_get_heap_size) return __sanitizer_get_heap_size();
    struct mallinfo2 m = mallinfo2();
    return m.arena + m.hblkhd;
}

#endif
