//! The process heap's first megabytes on transparent huge pages.
//!
//! Loading a scenario and building its run write a few megabytes of fresh memory (a 10 000-task
//! file: some 1 300 pages). Each first touch of a 4 KiB page is a page fault, about 1.2 µs on a
//! virtual machine: a tenth of that whole run. In a fresh process on the machine of the README's
//! figures, 2 MiB touched page by page took about 600 µs, as one huge page about 160 µs (the
//! fault, the zeroing included). Where the kernel gives huge pages only to memory that asks for
//! them (`transparent_hugepage` set to `madvise`, the usual default), the heap has to ask.
//!
//! So, once at start-up, glibc's allocator is told to grow its heap in steps of `STRETCH` (32 MiB),
//! to keep what is freed (up to twice that) instead of handing it back at once, and to serve
//! allocations up to `MMAP_FROM` (4 MiB) from the heap (by default those over 128 KiB are mappings
//! of their own, on small pages); the heap is grown once, and that stretch marked `MADV_HUGEPAGE`.
//! Allocations from it then come on huge pages as they are first touched; past it the heap grows as
//! before. Only the 2 MiB blocks something writes to take memory, so a small run costs at most a
//! few MiB more; other threads allocate from arenas of their own, untouched. Nothing here changes
//! what the program computes, and if any call fails the heap is simply the usual one.

/// The stretch of heap on huge pages: enough for the tables of a run of some 50 000 tasks.
const STRETCH: usize = 32 << 20;

/// Allocations up to this size come from the heap (and so from the stretch); larger ones are
/// mappings of their own, as before.
const MMAP_FROM: usize = 4 << 20;

/// Puts the heap's first 32 MiB (`STRETCH`) on huge pages (see the module's doc). Call once, first
/// thing in `main`.
pub fn use_huge_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt`; `malloc` of two blocks of our own, kept for good and never written;
    // `sbrk(0)`, which only reads the break; and `madvise` on pages the heap owns, which changes
    // how they are backed, not what they hold.
    unsafe {
        const HUGE: usize = 2 << 20;
        if libc::mallopt(libc::M_TOP_PAD, STRETCH as i32) == 0
            || libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * STRETCH as i32) == 0
            || libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_FROM as i32) == 0
        {
            return;
        }
        // Grow the heap now, by the pad, so that the stretch exists to be marked. The block is
        // kept: it is never written, so it costs no memory. (`black_box`: the compiler drops an
        // allocation nothing reads.)
        const BLOCK: usize = 1 << 20;
        let block = std::hint::black_box(libc::malloc(BLOCK)) as usize;
        if block == 0 {
            return;
        }
        // The allocator has written the header of what is left just past the block. A huge page
        // can only back a 2 MiB block of pages none of which is written yet: start at the next
        // boundary past that header, and set aside what lies before it, never to be written.
        let free_from = block + BLOCK;
        let from = (free_from + 4096).next_multiple_of(HUGE);
        let end = libc::sbrk(0) as usize;
        if end < from + HUGE {
            return;
        }
        // 64 bytes short, so that its header and the next one stay below `from`.
        std::hint::black_box(libc::malloc(from - free_from - 64));
        libc::madvise(from as *mut libc::c_void, (end - from) & !(HUGE - 1), libc::MADV_HUGEPAGE);
    }
}
