//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Reference helpers come from this module version, built the way upstream's
// Makefile builds them (build-%: -trimpath, -s -w, Version and Name stamped).
const (
	refModule  = "github.com/docker/docker-credential-helpers"
	refVersion = "v0.9.12"
)

// buildPat builds docker-credential-pat from the working tree as `make
// build` does: static, stripped.
func buildPat(ctx context.Context, cfg config, dir string) (string, error) {
	bin := filepath.Join(dir, "docker-credential-pat")
	ldflags := "-s -w -X main.version=" + gitDescribe(ctx)
	cmd := exec.CommandContext(ctx, cfg.goCommand, "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "./cmd/docker-credential-pat")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if err := runQuiet(cmd, 5*time.Minute); err != nil {
		return "", err
	}
	return bin, install(bin)
}

// floorSource is colFloor's program: it prints a line, like `version`.
const floorSource = `package main

import "os"

func main() { os.Stdout.WriteString("floor\n") }
`

// buildFloor builds colFloor's program with buildPat's toolchain and
// flags, in a module of its own.
func buildFloor(ctx context.Context, cfg config, dir string) (string, error) {
	src := filepath.Join(dir, "floor-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	for name, text := range map[string]string{"go.mod": "module floor\n\ngo 1.21\n", "main.go": floorSource} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	bin := filepath.Join(dir, "go-floor")
	cmd := exec.CommandContext(ctx, cfg.goCommand, "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if err := runQuiet(cmd, 2*time.Minute); err != nil {
		return "", err
	}
	return bin, install(bin)
}

// buildRef builds docker-credential-<name> from the reference module.
// `go install pkg@version` names the binary after the package directory
// ("cmd"), so each goes to its own GOBIN and is renamed to upstream's name.
func buildRef(ctx context.Context, cfg config, dir, name string, cgo bool) (string, error) {
	gobin := filepath.Join(dir, "gobin-"+name)
	if err := os.MkdirAll(gobin, 0o755); err != nil {
		return "", err
	}
	pkg := refModule + "/credentials"
	ldflags := fmt.Sprintf("-s -w -X %s.Version=%s -X %s.Package=%s -X %s.Name=docker-credential-%s",
		pkg, refVersion, pkg, refModule, pkg, name)
	cmd := exec.CommandContext(ctx, cfg.goCommand, "install", "-trimpath", "-ldflags", ldflags,
		refModule+"/"+name+"/cmd@"+refVersion)
	cmd.Dir = dir // outside our module: the reference helpers use their own go.mod
	cgoFlag := "CGO_ENABLED=0"
	if cgo {
		cgoFlag = "CGO_ENABLED=1"
	}
	cmd.Env = append(os.Environ(), cgoFlag, "GOBIN="+gobin, "GOFLAGS=-mod=mod")
	if err := runQuiet(cmd, 8*time.Minute); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "docker-credential-"+name)
	if err := os.Rename(filepath.Join(gobin, "cmd"), bin); err != nil {
		return "", err
	}
	return bin, install(bin)
}

// install rewrites bin with plain writes, as `make install` (install(1))
// and package managers leave a binary, and drops it from the page cache, so
// that its first run reads it back from disk, as after a reboot: the state
// a helper spends most of its life in, and one state for every binary
// timed. How the page cache came to hold a binary changes how long each
// exec of it takes, with the same page faults: on the machine of
// BENCHMARKS.md, a get from docker-credential-pat's file as the Go linker
// left it (written through a shared memory map) took 2.7 ms longer than
// from a byte-identical copy written with write(2), and from a copy read
// back from disk 1.5 ms longer than from the fresh one (medians of 120-250
// interleaved runs); docker-credential-secretservice, 2 MB with most of its
// code in shared libraries read from disk, showed no difference.
func install(bin string) error {
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	tmp := bin + ".installing"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync() // only clean pages leave the page cache
	}
	if err == nil {
		err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, bin)
}

// runQuiet runs cmd with a deadline and returns its stderr's last lines in
// the error when it fails.
func runQuiet(cmd *exec.Cmd, timeout time.Duration) error {
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return err
	}
	timer := time.AfterFunc(timeout, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(cmd.Path), err, lastLines(stderr.String(), 3))
	}
	return nil
}

func gitDescribe(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "git", "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		return "dev"
	}
	return strings.TrimSpace(string(out))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
