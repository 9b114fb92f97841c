//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || s390x || loong64)

package prefault

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// populateWorks skips the test on a kernel without MADV_POPULATE_READ
// (before Linux 5.14), where the package does nothing by design.
func populateWorks(t *testing.T) {
	t.Helper()
	var b [1]byte
	page := uintptr(unsafe.Pointer(&b)) &^ uintptr(os.Getpagesize()-1)
	if _, _, errno := unix.Syscall(unix.SYS_MADVISE, page, uintptr(os.Getpagesize()), madvPopulateRead); errors.Is(errno, unix.EINVAL) {
		t.Skip("this kernel has no MADV_POPULATE_READ (Linux 5.14)")
	}
}

func TestMain(m *testing.M) {
	Populate() // as the helper's start does
	os.Exit(m.Run())
}

// After Populate, every page of
// the executable's code and read-only data is mapped, which page faults
// alone do only for the pages a program touches and their neighbours.
func TestReadOnlyMappingsPopulated(t *testing.T) {
	populateWorks(t)
	if len(populated.segments) < 2 {
		t.Fatalf("populated %d read-only mappings of the executable, want its code and read-only data", len(populated.segments))
	}
	smaps := readSmaps(t)
	for _, s := range populated.segments {
		m, ok := smaps[s.start]
		if !ok {
			t.Errorf("%#x-%#x: no such mapping in /proc/self/smaps", s.start, s.end)
			continue
		}
		if !strings.HasPrefix(m.perms, "r") || m.perms[1] != '-' || m.end != s.end {
			t.Errorf("%#x-%#x: /proc/self/smaps has %#x-%#x %s", s.start, s.end, m.start, m.end, m.perms)
		}
		if m.rssKB != m.sizeKB {
			t.Errorf("%#x-%#x %s: %d of %d KiB mapped", s.start, s.end, m.perms, m.rssKB, m.sizeKB)
		}
	}
	var code bool
	for _, m := range smaps {
		if m.perms == "r-xp" && m.exe {
			code = true
			if !populatedSpan(span{m.start, m.end}) {
				t.Errorf("the executable's code at %#x-%#x was not populated", m.start, m.end)
			}
		}
	}
	if !code {
		t.Error("no mapping of the executable's code in /proc/self/smaps")
	}
}

func populatedSpan(s span) bool {
	for _, p := range populated.segments {
		if p == s {
			return true
		}
	}
	return false
}

// The heap from Populate's object on is resident, as far as heapAhead.
func TestHeapPopulated(t *testing.T) {
	populateWorks(t)
	h := populated.heap
	p := uintptr(unsafe.Pointer(sink))
	if h.start > p || p >= h.end || h.end-h.start > heapAhead {
		t.Fatalf("populated heap %#x-%#x (%d KiB) for an object at %#x", h.start, h.end, (h.end-h.start)>>10, p)
	}
	// The runtime maps its heap as it grows; since Populate it may have mapped
	// more after the mapping that held p, never less.
	if m := readSmaps(t); !inWritable(m, h) {
		t.Fatalf("populated heap %#x-%#x is not all in writable mappings", h.start, h.end)
	}
	page := uintptr(os.Getpagesize())
	vec := make([]byte, (h.end-h.start)/page)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, h.start, h.end-h.start, uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	missing := 0
	for _, v := range vec {
		if v&1 == 0 {
			missing++
		}
	}
	// The runtime may have given a page or two back since; not hundreds.
	if missing > len(vec)/10 {
		t.Errorf("%d of the %d pages of the populated heap are not resident", missing, len(vec))
	}
}

func inWritable(smaps map[uintptr]*smapsEntry, s span) bool {
	for a := s.start; a < s.end; {
		var next *smapsEntry
		for _, m := range smaps {
			if m.start <= a && a < m.end && strings.HasPrefix(m.perms, "rw") {
				next = m
			}
		}
		if next == nil {
			return false
		}
		a = next.end
	}
	return true
}

// The heap range populated stays in the writable mapping that holds the
// object: the runtime reserves more than it maps (PROT_NONE), and
// populating that would fail.
func TestHeapSpanStaysInItsMapping(t *testing.T) {
	const page = 4096
	maps := []mapping{
		{span{0x3157_0000_0000, 0x3157_0040_0000}, "---p", 0, 0},
		{span{0x3157_0040_0000, 0x3157_0080_0000}, "rw-p", 0, 0},
		{span{0x3157_0080_0000, 0x3157_0400_0000}, "---p", 0, 0},
		{span{0x7f00_0000_0000, 0x7f00_0001_0000}, "r--p", 0, 0},
	}
	for _, tc := range []struct {
		p, n       uintptr
		start, end uintptr
	}{
		{0x3157_0040_a008, 4 * page, 0x3157_0040_a000, 0x3157_0040_e000},
		{0x3157_007f_e100, 4 * page, 0x3157_007f_e000, 0x3157_0080_0000},
		{0x3157_0040_0000, page, 0x3157_0040_0000, 0x3157_0040_1000},
		{0x3157_0000_1000, page, 0, 0}, // reserved, not mapped
		{0x7f00_0000_0010, page, 0, 0}, // not writable
		{0x1000, page, 0, 0},           // in no mapping
	} {
		if got := heapSpan(maps, tc.p, tc.n, page); got != (span{tc.start, tc.end}) {
			t.Errorf("heapSpan(%#x, %#x) = %#x-%#x, want %#x-%#x", tc.p, tc.n, got.start, got.end, tc.start, tc.end)
		}
	}
}

func TestParseMaps(t *testing.T) {
	const maps = `00400000-0078a000 r-xp 00000000 fe:01 1234                               /usr/local/bin/docker-credential-pat
0078a000-00b41000 r--p 0038a000 fe:01 1234                               /usr/local/bin/docker-credential-pat
00b41000-00b9e000 rw-p 00741000 fe:01 1234                               /usr/local/bin/docker-credential-pat
00b9e000-02c00000 rw-p 00000000 00:00 0 
55d0c0000000-55d0c0010000 r--p 00000000 fe:01 1234                       /usr/local/bin/docker-credential-pat (deleted)
55d0c0010000-55d0c0020000 r--p 00000000 fe:01 999                        /usr/lib/other
55d0c0020000-55d0c0030000 r--p 00000000 103:02 1234                      /mnt/same-inode-other-device
55d0c0030000-55d0c0040000 ---p 00000000 fe:01 1234                       /usr/local/bin/docker-credential-pat
garbage line
7ffd3c4fe000-7ffd3c520000 rw-p 00000000 00:00 0                          [stack]
7fff0000-7ffe0000 r--p 00000000 fe:01 1234                               /backwards
`
	parsed := parseMaps([]byte(maps))
	if len(parsed) != 9 {
		t.Errorf("parsed %d lines, want the 9 well-formed ones: %v", len(parsed), parsed)
	}
	if m := parsed[3]; m != (mapping{span{0xb9e000, 0x2c00000}, "rw-p", 0, 0}) {
		t.Errorf("anonymous line parsed as %#v", m)
	}
	got := readOnly(parsed, mkdev(0xfe, 0x01), 1234)
	want := []span{{0x400000, 0x78a000}, {0x78a000, 0xb41000}, {0x55d0c0000000, 0x55d0c0010000}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("readOnly = %#x\nwant %#x", got, want)
	}
	if got := parseMaps(nil); got != nil {
		t.Errorf("parseMaps of nothing = %v", got)
	}
}

// mkdev packs device numbers as the kernel does in stat(2).
func TestMkdev(t *testing.T) {
	for _, d := range [][2]uint64{{0xfe, 1}, {8, 17}, {259, 3}, {0x1234, 0x56789}} {
		if got, want := mkdev(d[0], d[1]), unix.Mkdev(uint32(d[0]), uint32(d[1])); got != want {
			t.Errorf("mkdev(%#x, %#x) = %#x, want %#x", d[0], d[1], got, want)
		}
	}
}

type smapsEntry struct {
	start, end    uintptr
	perms         string
	exe           bool
	sizeKB, rssKB int
}

// readSmaps reads /proc/self/smaps, by start address.
func readSmaps(t *testing.T) map[uintptr]*smapsEntry {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all := map[uintptr]*smapsEntry{}
	var cur *smapsEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uint64
		var perms string
		if n, _ := fmt.Sscanf(line, "%x-%x %s", &lo, &hi, &perms); n == 3 && strings.Contains(line, "-") && !strings.HasSuffix(strings.Fields(line)[0], ":") {
			cur = &smapsEntry{start: uintptr(lo), end: uintptr(hi), perms: perms, exe: strings.HasSuffix(line, " "+exe)}
			all[cur.start] = cur
			continue
		}
		if cur == nil {
			continue
		}
		fmt.Sscanf(line, "Size: %d kB", &cur.sizeKB)
		fmt.Sscanf(line, "Rss: %d kB", &cur.rssKB)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}
