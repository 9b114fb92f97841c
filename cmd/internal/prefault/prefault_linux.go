//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || s390x || loong64)

package prefault

import (
	"syscall"
	"unsafe"
)

// heapAhead is how much of the heap, from the page of an object allocated
// in Populate, is populated: about what a get touches.
const heapAhead = 1280 << 10

// madvise(2) advice, Linux 5.14 (not in package syscall).
const (
	madvPopulateRead  = 22
	madvPopulateWrite = 23
)

// span is an address range [start, end).
type span struct{ start, end uintptr }

// populated records what Populate populated, for the tests.
var populated struct {
	segments []span // read-only mappings of the executable
	heap     span
}

// sink keeps the object whose address locates the heap on the heap.
var sink *[64]byte

// Populate maps in the executable's read-only mappings and the next
// heapAhead of heap. It is called once, from the init of package startup,
// which runs before most others: this package imports syscall and unsafe
// only.
func Populate() {
	sink = new([64]byte)
	var exe syscall.Stat_t
	text, ok := readSmall("/proc/self/maps")
	if !ok || syscall.Stat("/proc/self/exe", &exe) != nil {
		return
	}
	maps := parseMaps(text)
	populated.segments = readOnly(maps, uint64(exe.Dev), exe.Ino)
	for _, s := range populated.segments {
		madvise(s, madvPopulateRead)
	}
	populated.heap = heapSpan(maps, uintptr(unsafe.Pointer(sink)), heapAhead, uintptr(syscall.Getpagesize()))
	madvise(populated.heap, madvPopulateWrite)
}

// heapSpan is the page-aligned range of n bytes from the page of the heap
// address p, cut at the end of the mapping that holds p (the runtime maps
// the heap as it grows, in parts of the address range it reserved): empty
// if no writable mapping does.
func heapSpan(maps []mapping, p, n, page uintptr) span {
	for _, m := range maps {
		if m.start <= p && p < m.end && m.perms[0] == 'r' && m.perms[1] == 'w' {
			start := p &^ (page - 1)
			return span{start, min(start+n, m.end)}
		}
	}
	return span{}
}

// madvise gives the kernel advice on s; an error (a kernel before 5.14,
// a range the kernel will not populate) leaves the memory as it was.
func madvise(s span, advice uintptr) {
	if s.end > s.start {
		syscall.Syscall(syscall.SYS_MADVISE, s.start, s.end-s.start, advice)
	}
}

// mapping is a line of /proc/PID/maps.
type mapping struct {
	span
	perms    string // "r-xp"
	dev, ino uint64 // of the file mapped, or 0
}

// readOnly returns the mappings of the file with device dev and inode ino
// that are readable and not writable: for the executable's file, its code
// and read-only data.
func readOnly(maps []mapping, dev, ino uint64) []span {
	var segs []span
	for _, m := range maps {
		if m.ino == ino && m.dev == dev && m.perms[0] == 'r' && m.perms[1] == '-' {
			segs = append(segs, m.span)
		}
	}
	return segs
}

// parseMaps parses the text of /proc/PID/maps, skipping lines it cannot.
func parseMaps(text []byte) []mapping {
	var maps []mapping
	for len(text) > 0 {
		line := text
		if i := indexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		// start-end perms offset major:minor inode [path]
		f := fields(line, 5)
		if len(f) < 5 || len(f[1]) != 4 {
			continue
		}
		start, end, ok1 := cut(f[0], '-')
		major, minor, ok2 := cut(f[3], ':')
		lo, ok3 := hex(start)
		hi, ok4 := hex(end)
		maj, ok5 := hex(major)
		mnr, ok6 := hex(minor)
		inode, ok7 := dec(f[4])
		if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || hi <= lo {
			continue
		}
		maps = append(maps, mapping{span{uintptr(lo), uintptr(hi)}, string(f[1]), mkdev(maj, mnr), inode})
	}
	return maps
}

// mkdev is the Linux device number of major and minor (unix.Mkdev).
func mkdev(major, minor uint64) uint64 {
	return major&0x00000fff<<8 | major&0xfffff000<<32 | minor&0x000000ff | minor&0xffffff00<<12
}

// readSmall reads the whole of a small file (at most 64 KiB).
func readSmall(path string) ([]byte, bool) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(fd)
	buf := make([]byte, 0, 8<<10)
	for len(buf) < 64<<10 {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, cap(buf))...)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, false
		}
		if n == 0 {
			return buf, true
		}
		buf = buf[:len(buf)+n]
	}
	return nil, false
}

// The few byte-slice helpers parseMaps needs, here so that this package
// imports nothing that has to be initialised before it.

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// fields splits b at runs of spaces into at most n fields.
func fields(b []byte, n int) [][]byte {
	var f [][]byte
	for len(f) < n {
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
		}
		if len(b) == 0 {
			break
		}
		i := indexByte(b, ' ')
		if i < 0 {
			i = len(b)
		}
		f, b = append(f, b[:i]), b[i:]
	}
	return f
}

func cut(b []byte, sep byte) ([]byte, []byte, bool) {
	if i := indexByte(b, sep); i >= 0 {
		return b[:i], b[i+1:], true
	}
	return nil, nil, false
}

func hex(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	return v, true
}

func dec(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}
