//go:build !linux || !(amd64 || arm64 || riscv64 || ppc64le || s390x || loong64)

package prefault

// Populate does nothing here.
func Populate() {}
