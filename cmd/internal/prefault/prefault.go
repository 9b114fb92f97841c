// Package prefault maps in, at start-up, memory the helper is about to touch
// page by page: its code and read-only data, and the first stretch of the
// Go heap (Populate, called from package startup's init); it does
// something on Linux only.
//
// A get touches about 430 pages it had never touched, and the kernel maps
// each in on a page fault of its own: code and read-only data of the
// packages it runs (each fault maps up to 16 pages of the file already in
// the page cache), runtime structures, and the heap: the runtime gives
// each size class of object spans of its own, so the 300 KB a get
// allocates touch about 180 pages spread over 1.2 MB. In package startup's
// init, after the runtime's start and a dozen small inits (about 250 of
// those faults), madvise(MADV_POPULATE_READ) maps in each read-only
// mapping of the executable (/proc/self/maps) and madvise
// (MADV_POPULATE_WRITE) the next 1.25 MiB of the heap, at a fraction of a
// fault's cost a page: about 30 faults are left after it. On the machine of
// BENCHMARKS.md, where a fault is dear (a virtual machine), that took 1.6-
// 1.8 ms off a get of 17 ms and 0.7 ms off version (medians of 100
// interleaved runs); see README's Speed.
//
// Both are hints: a kernel without them (before Linux 5.14) or a range the
// kernel will not populate leaves the process as it was. The price is
// memory: the heap the process may not use (at most 1.25 MiB), and page
// tables for the whole file, whose pages count in the resident set though
// the page cache holds them anyway (peak RSS of a get 7.1 -> 9.1 MiB); and
// the first run after a boot reads the whole file from disk, not only the
// parts it runs.
package prefault
