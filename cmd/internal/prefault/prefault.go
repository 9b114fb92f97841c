// Package prefault maps in, at start-up, memory the helper is about to touch
// page by page: its code and read-only data, and the first stretch of the
// Go heap. The helper's main package imports it for that side effect; it
// does something on Linux only.
//
// A get touches about 430 pages it has never touched before, and the
// kernel maps each on a page fault of its own: the code and read-only data
// of the packages it runs (about 100 faults, each mapping up to 16 pages
// of the file already in the page cache), and the heap (about 180 faults:
// the runtime gives each size class of object a span of its own, so even
// 300 KB of allocations touch pages spread over about 1.2 MB). One
// madvise(MADV_POPULATE_READ) over the read-only segments and one
// madvise(MADV_POPULATE_WRITE) over the next MiB and a quarter of heap
// map those in two system calls instead, at a fraction of a fault's cost
// per page; where a page fault is dear (a virtual machine), that is a
// millisecond or more of a get (BENCHMARKS.md, README's Speed).
//
// Both are hints: a kernel without them (before Linux 5.14) or a failure
// leaves the process as it was. The price is memory: at most 1.25 MiB of
// heap the process may not use, and page tables for the whole file.
package prefault
