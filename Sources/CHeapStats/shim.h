#ifndef KK_CHEAPSTATS_SHIM_H
#define KK_CHEAPSTATS_SHIM_H
/* The allocator's figures for the heap: the bytes the program holds allocated right now (the
 * heap's logical size, not what RSS shows) and what the allocator holds from the system for it.
 * Prefix: crelay_. */
#include <malloc.h>
#include <stddef.h>

/* Defined by a sanitizer runtime (AddressSanitizer, ThreadSanitizer) when the process is built
 * with one, whose allocator replaces glibc's; null addresses otherwise. */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));
extern size_t __sanitizer_get_heap_size(void) __attribute__((weak));

struct crelay_heap_stats {
    /* Bytes in use. */
    size_t in_use;
    /* Bytes held from the system: in use, cached free chunks, and under a sanitizer its own
     * bookkeeping of them. Held minus in use is what the allocator keeps. */
    size_t mapped;
};

/* The sanitizer allocator's figures under -sanitize=address/thread; otherwise one mallinfo2(3)
 * walk of glibc's arenas: chunks in use (plus chunks served by mmap) and arena bytes (plus the
 * same mmapped chunks). */
static inline struct crelay_heap_stats crelay_heap_stats(void) {
    struct crelay_heap_stats s;
    if (__sanitizer_get_current_allocated_bytes && __sanitizer_get_heap_size) {
        s.in_use = __sanitizer_get_current_allocated_bytes();
        s.mapped = __sanitizer_get_heap_size();
        return s;
    }
    struct mallinfo2 m = mallinfo2();
    s.in_use = m.uordblks + m.hblkhd;
    s.mapped = m.arena + m.hblkhd;
    return s;
}

#endif
