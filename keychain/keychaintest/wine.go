package keychaintest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Wine is a private Wine prefix with its own wineserver, in which the
// Windows build of the helper runs against Wine's Credential Manager
// (credentials live in the prefix's registry). Every test gets a copy of a
// template prefix, made once and kept in the temporary directory (see
// wineTemplate): making one takes 10-20 s, a copy a fraction of a second.
//
// Stop ends the wineserver and every process Wine started for the prefix.
// Those processes (services.exe, winedevice.exe, ...) leave their parent
// and outlive a killed wineserver, so the harness finds them by a variable
// in their environment, which names this process: a later run also ends
// those that a killed test run left behind.
type Wine struct {
	prefix string
	env    []string
	server *daemon
	stop   sync.Once
	errs   error
}

// Bounds on the Wine harness's waits.
const (
	wineBootTimeout = 3 * time.Minute  // wineboot --init of the template
	wineCmdTimeout  = 30 * time.Second // wineserver -k, the compiler
)

// wineOwnerEnv marks every process started for a prefix with the process
// (pid and start time) that owns it.
const wineOwnerEnv = "DCP_KEYCHAINTEST_WINE_OWNER"

// wineDebs are the Debian packages the Wine harness needs.
const wineDebs = "wine64 gcc-mingw-w64-x86-64-win32"

// WineAvailable reports why the Wine harness cannot run here, or "" when
// it can.
func WineAvailable() string {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return "the Wine harness runs on linux/amd64 only"
	}
	var miss []string
	if _, _, err := wineBins(); err != nil {
		miss = append(miss, "wine64 and wineserver (package wine64)")
	}
	if _, err := exec.LookPath(mingwGCC); err != nil {
		miss = append(miss, mingwGCC+" (package gcc-mingw-w64-x86-64-win32)")
	}
	if len(miss) == 0 {
		return ""
	}
	return "missing " + strings.Join(miss, " and ") + "; run: " + Apt(strings.Fields(wineDebs)...)
}

const mingwGCC = "x86_64-w64-mingw32-gcc"

// wineBins finds wine64 and wineserver: on PATH, or where Debian's wine64
// package puts them without its wine wrapper (/usr/lib/wine).
func wineBins() (wine, server string, err error) {
	for _, dir := range []string{"", "/usr/lib/wine"} {
		w, s := "wine64", "wineserver"
		if dir != "" {
			w, s = filepath.Join(dir, w), filepath.Join(dir, s)
		}
		w, err1 := exec.LookPath(w)
		s, err2 := exec.LookPath(s)
		if err1 == nil && err2 == nil {
			return w, s, nil
		}
	}
	return "", "", errors.New("keychaintest: wine64 and wineserver not found on PATH or in /usr/lib/wine")
}

// StartWine makes a private prefix under dir (a copy of the template) and
// starts its wineserver. On error nothing is left running.
func StartWine(dir string) (*Wine, error) {
	if why := WineAvailable(); why != "" {
		return nil, errors.New(why)
	}
	sweepWine()
	tmpl, err := wineTemplate()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	prefix := filepath.Join(abs, "prefix")
	if err := clonePrefix(tmpl, prefix); err != nil {
		return nil, err
	}
	if err := os.Mkdir(wineTmp(prefix), 0o700); err != nil {
		return nil, err
	}
	w := &Wine{prefix: prefix, env: wineEnv(prefix)}
	if w.server, err = startWineserver(w.env); err != nil {
		return nil, err
	}
	// The first program in a prefix starts the session's services, which
	// keep its standard output and error: start them now, with files there,
	// so that the programs of the test have pipes that close when they exit.
	// Wine itself crashed in it once in CI, under load ("Unhandled page
	// fault on execute access to 0000000000000000"); with winedbg
	// disabled (wineEnv) the crash ends it at once, and it runs again.
	if err := runWine(w.env, wineBootTimeout, "wineboot"); err != nil {
		if again := runWine(w.env, wineBootTimeout, "wineboot"); again != nil {
			return nil, errors.Join(err, again, w.Stop())
		}
	}
	return w, nil
}

// wineEnv is the environment of every Wine process for prefix: nothing of
// this process's but PATH (no display), Wine quiet, and the owner mark.
func wineEnv(prefix string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"WINEPREFIX=" + prefix,
		// Debian's wineserver makes its socket directory, wine-XXXXXX,
		// here: under the directory of the test, removed with it.
		"TMPDIR=" + wineTmp(prefix),
		"WINEDEBUG=-all",
		// No menu entries, no Mono or Gecko installer dialogs, and no
		// debugger for a crash, which would wait for nobody.
		"WINEDLLOVERRIDES=winemenubuilder.exe=d;mscoree=d;mshtml=d;winedbg.exe=d",
		"LANG=C.UTF-8",
		wineOwnerEnv + "=" + ownerMark(),
	}
}

// startWineserver starts a persistent wineserver in the foreground, our
// child: without one, every Wine process waits at exit for the server it
// started to time out, holding its stderr open.
func startWineserver(env []string) (*daemon, error) {
	_, server, err := wineBins()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(server, "--foreground", "--persistent")
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr()
	d, err := startDaemon("wineserver", cmd)
	if err != nil {
		return nil, err
	}
	if err := waitSocket(prefixOf(env), d); err != nil {
		return nil, errors.Join(err, d.kill())
	}
	return d, nil
}

// prefixOf is the WINEPREFIX of env.
func prefixOf(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "WINEPREFIX="); ok {
			return v
		}
	}
	return ""
}

// waitSocket waits until the wineserver of prefix listens: a program
// started before then finds the server's directory named but not made,
// and fails ("chdir to /tmp/wine-XXXXXX/server-...").
func waitSocket(prefix string, d *daemon) error {
	deadline := time.Now().Add(startTimeout)
	for {
		if dir, err := serverDir(prefix); err == nil {
			if socks, _ := filepath.Glob(filepath.Join(dir, "server-*", "socket")); len(socks) > 0 {
				return nil
			}
		}
		select {
		case <-d.done:
			return fmt.Errorf("keychaintest: wineserver exited at start (%v): %s", d.err, d.out)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("keychaintest: wineserver: no socket after %v: %s", startTimeout, d.out)
		}
		time.Sleep(pollEvery)
	}
}

// Env returns the variables a Wine process for this prefix needs:
// WINEPREFIX, TMPDIR (where its wineserver listens), WINEDEBUG,
// WINEDLLOVERRIDES and the owner mark (all of wineEnv's but PATH).
func (w *Wine) Env() []string {
	var env []string
	for _, kv := range w.env {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return env
}

// Prefix is the prefix directory (WINEPREFIX).
func (w *Wine) Prefix() string { return w.prefix }

// Err reports a wineserver that exited before Stop, nil while it runs.
func (w *Wine) Err() error {
	select {
	case <-w.server.done:
		return fmt.Errorf("keychaintest: wineserver (pid %d) exited during the test (%v): %s",
			w.server.cmd.Process.Pid, w.server.err, w.server.out)
	default:
		return nil
	}
}

// PIDs returns the wineserver's pid and those of the Wine processes of the
// prefix that are running.
func (w *Wine) PIDs() []int {
	return append([]int{w.server.cmd.Process.Pid}, winePIDs(func(prefix, _ string) bool { return prefix == w.prefix })...)
}

// Stop ends every Wine process of the prefix (wineserver -k), then the
// wineserver, then any process of the prefix still there, by PID, and
// removes the wineserver's socket directory. Safe to call twice.
func (w *Wine) Stop() error {
	w.stop.Do(func() { w.errs = stopWine(w.prefix, w.env, w.server) })
	return w.errs
}

func stopWine(prefix string, env []string, server *daemon) error {
	var errs []error
	if _, bin, err := wineBins(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), wineCmdTimeout)
		cmd := exec.CommandContext(ctx, bin, "-k")
		cmd.Env = env
		_ = cmd.Run() // fails when the server is already gone
		cancel()
	}
	if server != nil {
		select {
		case <-server.done:
		case <-time.After(stopTimeout):
			errs = append(errs, server.kill())
		}
	}
	errs = append(errs, killWine(func(p, _ string) bool { return p == prefix }))
	errs = append(errs, removeServerDir(prefix))
	return errors.Join(errs...)
}

// wineTmp is the TMPDIR of the Wine processes of prefix, beside it.
func wineTmp(prefix string) string { return filepath.Join(filepath.Dir(prefix), "wine-tmp") }

// serverDir is the directory Debian's wineserver makes for the prefix's
// sockets (TMPDIR/wine-XXXXXX), which the prefix's file "wineserver" names.
func serverDir(prefix string) (string, error) {
	b, err := os.ReadFile(filepath.Join(prefix, "wineserver"))
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if !strings.HasPrefix(name, "wine-") || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("keychaintest: %s/wineserver names %q, not a wine-XXXXXX directory", prefix, name)
	}
	return filepath.Join(wineTmp(prefix), name), nil
}

// removeServerDir removes the prefix's serverDir and the file naming it.
func removeServerDir(prefix string) error {
	dir, err := serverDir(prefix)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(prefix, "wineserver"))
	return os.RemoveAll(dir)
}

// ownerMark names this process: its pid and start time (a pid alone is
// reused).
func ownerMark() string {
	return strconv.Itoa(os.Getpid()) + "-" + startTime(os.Getpid())
}

// startTime is the start time of process pid (in clock ticks since boot,
// /proc/PID/stat field 22), or "" if it does not run.
func startTime(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || f[0] == "Z" {
		return ""
	}
	return f[19]
}

// winePIDs lists this user's running processes that Wine started for a
// prefix of the harness (they carry wineOwnerEnv) and match wants
// (WINEPREFIX and owner mark).
func winePIDs(wants func(prefix, owner string) bool) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ") // another user's: permission denied
		if err != nil {
			continue
		}
		var prefix, owner string
		for _, kv := range bytes.Split(b, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte("WINEPREFIX=")); ok {
				prefix = string(v)
			} else if v, ok := bytes.CutPrefix(kv, []byte(wineOwnerEnv+"=")); ok {
				owner = string(v)
			}
		}
		if owner != "" && startTime(pid) != "" && wants(prefix, owner) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killWine kills the Wine processes that match wants, by PID, and waits
// (boundedly) until they are gone.
func killWine(wants func(prefix, owner string) bool) error {
	deadline := time.Now().Add(stopTimeout)
	for {
		pids := winePIDs(wants)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("keychaintest: Wine processes %v still run after SIGKILL", pids)
		}
		for _, pid := range pids {
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
			}
		}
		time.Sleep(pollEvery)
	}
}

var sweepOnce sync.Once

// sweepWine ends, once per process, the Wine processes that a test run
// which no longer runs left behind (killed before its Stop).
func sweepWine() {
	sweepOnce.Do(func() {
		_ = killWine(func(_, owner string) bool {
			pid, start, ok := strings.Cut(owner, "-")
			n, err := strconv.Atoi(pid)
			return !ok || err != nil || startTime(n) != start
		})
		// The Windows helpers those runs built.
		dirs, _ := filepath.Glob(helperDir("*-*"))
		for _, d := range dirs {
			pid, start, _ := strings.Cut(strings.TrimPrefix(d, helperDir("")), "-")
			if n, err := strconv.Atoi(pid); err == nil && startTime(n) != start {
				os.RemoveAll(d)
			}
		}
	})
}

// The template prefix: made once per machine and user for a Wine version
// and stub, under a lock, and shared by the test processes (go test runs
// packages in parallel) and later runs.
var (
	templateOnce sync.Once
	templateDir  string
	templateErr  error
)

// wineTemplate returns the template prefix, making it if need be.
func wineTemplate() (string, error) {
	templateOnce.Do(func() { templateDir, templateErr = makeTemplate() })
	return templateDir, templateErr
}

func makeTemplate() (string, error) {
	wine, _, err := wineBins()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wineCmdTimeout)
	version, err := exec.CommandContext(ctx, wine, "--version").Output()
	cancel()
	if err != nil {
		return "", fmt.Errorf("keychaintest: %s --version: %w", wine, err)
	}
	key := sha256.Sum256([]byte(templateFormat + "\x00" + string(version) + "\x00" + prngStub))
	base := filepath.Join(os.TempDir(), fmt.Sprintf("docker-credential-pat-wine-%d", os.Getuid()))
	dir := base + "-" + hex.EncodeToString(key[:6])
	// Another test process may be making it: wait for it (a bit longer
	// than it may take).
	unlock, err := lockFile(base+".lock", wineBootTimeout+time.Minute)
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, readyFile)); err == nil {
		return dir, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	work, err := os.MkdirTemp(os.TempDir(), "dcp-wine-template-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	prefix := filepath.Join(work, "prefix")
	if err := buildTemplate(work, prefix); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(prefix, readyFile), nil, 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(prefix, dir); err != nil {
		return "", err
	}
	return dir, nil
}

const (
	// templateFormat changes when the way the template is made changes.
	templateFormat = "1"
	// readyFile is written last into a finished template.
	readyFile = ".keychaintest-ready"
)

// prngStub is a bcryptprimitives.dll for Wine 8.0, which lacks it: the Go
// runtime (1.22 and later) takes its random bytes from ProcessPrng there.
const prngStub = `#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!RtlGenRandom(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
`

// buildTemplate initialises prefix (wineboot --init), adds the PRNG stub
// to its system32 unless Wine has the DLL, and stops its processes, which
// writes the registry files.
func buildTemplate(work, prefix string) error {
	for _, d := range []string{prefix, wineTmp(prefix)} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	dll := filepath.Join(work, "bcryptprimitives.dll")
	if err := os.WriteFile(filepath.Join(work, "stub.c"), []byte(prngStub), 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wineCmdTimeout)
	defer cancel()
	cc := exec.CommandContext(ctx, mingwGCC, "-O2", "-shared", "-o", dll, filepath.Join(work, "stub.c"), "-ladvapi32", "-Wl,--kill-at")
	if out, err := cc.CombinedOutput(); err != nil {
		return fmt.Errorf("keychaintest: build the bcryptprimitives.dll stub: %v: %s", err, out)
	}

	env := wineEnv(prefix)
	server, err := startWineserver(env)
	if err != nil {
		return err
	}
	err = runWine(env, wineBootTimeout, "wineboot", "--init")
	if err == nil {
		sys32 := filepath.Join(prefix, "drive_c", "windows", "system32")
		if _, serr := os.Stat(filepath.Join(sys32, "bcryptprimitives.dll")); errors.Is(serr, fs.ErrNotExist) {
			err = copyFile(dll, filepath.Join(sys32, "bcryptprimitives.dll"))
		}
	}
	return errors.Join(err, stopWine(prefix, env, server))
}

// runWine runs wine64 with args and env, bounded by timeout. Its output
// goes to a file, not a pipe: the processes Wine starts for the session
// (services.exe and its drivers) inherit it and keep it open long after
// the program exits, so a reader of a pipe would wait for them.
func runWine(env []string, timeout time.Duration, args ...string) error {
	wine, _, err := wineBins()
	if err != nil {
		return err
	}
	out, err := os.CreateTemp("", "dcp-wine-out-")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, wine, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(out.Name())
		return fmt.Errorf("keychaintest: wine64 %s: %v: %s", strings.Join(args, " "), err, (&tail{max: 2048, buf: b}).String())
	}
	return nil
}

// clonePrefix copies the template prefix to dst: the Windows programs and
// libraries (most of its 700 MB) as hard links, which Wine only reads;
// everything else (the registry, where the credentials go, the user's
// files) as copies.
func clonePrefix(tmpl, dst string) error {
	return filepath.WalkDir(tmpl, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(tmpl, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.Mkdir(to, 0o700)
		case d.Type()&fs.ModeSymlink != 0: // dosdevices: c: and z:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case rel == readyFile:
			return nil
		case sharedFile(d.Name()):
			if err := os.Link(path, to); err == nil {
				return nil
			}
			return copyFile(path, to) // another file system
		default:
			return copyFile(path, to)
		}
	})
}

// sharedFile reports whether a prefix file of this name is a program or
// library that Wine never writes.
func sharedFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".dll", ".exe", ".nls", ".sys", ".drv", ".ocx", ".cpl", ".acm", ".tlb", ".ds", ".ax", ".com", ".msstyles":
		return true
	}
	return false
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// HelperPackage is the import path of the helper's command.
const HelperPackage = "github.com/docker-credential-pat/docker-credential-pat/cmd/docker-credential-pat"

var (
	helperMu  sync.Mutex
	helperExe string // "" until built, and after CleanupWine
)

// WindowsHelper builds the helper for windows/amd64, once per process
// (again after CleanupWine), and returns the path of the .exe. It lives in
// a directory named after this process, which CleanupWine removes (and
// sweepWine, in a later run, if this one was killed). The go command must
// be able to build the module from the working directory, as it can in a
// test of one of its packages.
func WindowsHelper() (string, error) {
	helperMu.Lock()
	defer helperMu.Unlock()
	if helperExe == "" {
		exe, err := buildWindowsHelper()
		if err != nil {
			return "", err
		}
		helperExe = exe
	}
	return helperExe, nil
}

func buildWindowsHelper() (string, error) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			return "", errors.New("keychaintest: no go command to build the Windows helper with")
		}
	}
	dir := helperDir(ownerMark())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	exe := filepath.Join(dir, "docker-credential-pat.exe")
	ctx, cancel := context.WithTimeout(context.Background(), wineBootTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-o", exe, HelperPackage)
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("keychaintest: build the Windows helper: %v: %s", err, out)
	}
	return exe, nil
}

// helperDir is where the process owner builds the Windows helper.
func helperDir(owner string) string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("docker-credential-pat-wine-%d-bin-%s", os.Getuid(), owner))
}

// CleanupWine removes what the Wine harness of this process keeps beyond
// its tests (the Windows helper it built); call it from TestMain after the
// tests ran, or when a test is done with it (the next WindowsHelper builds
// it again). The template prefix stays, for the next run.
func CleanupWine() {
	helperMu.Lock()
	defer helperMu.Unlock()
	os.RemoveAll(helperDir(ownerMark()))
	helperExe = ""
}

// WriteWrapper writes dir/name, a shell script that runs the Windows
// program exe under Wine in this prefix with the arguments it is given,
// and dir/name.exe, a link to exe; it returns the script's path. The
// script passes on what a Windows user would have: the directories of
// PATH as the Windows PATH (WINEPATH, Z:\ paths), so that the program
// finds name.exe where a Unix program would find the script; and Z:\
// paths in the variables that name directories (DOCKER_CONFIG,
// DOCKER_CREDENTIAL_PAT_STATE_DIR).
func (w *Wine) WriteWrapper(dir, name, exe string) (string, error) {
	wine, _, err := wineBins()
	if err != nil {
		return "", err
	}
	if err := os.Symlink(exe, filepath.Join(dir, name+".exe")); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# " + name + ": " + exe + " under Wine (keychaintest).\n")
	b.WriteString(`winpath() { printf 'Z:%s' "$1" | tr / '\\'; }` + "\n")
	for _, v := range []string{"DOCKER_CONFIG", "DOCKER_CREDENTIAL_PAT_STATE_DIR"} {
		fmt.Fprintf(&b, "case ${%[1]s-} in /*) %[1]s=$(winpath \"$%[1]s\"); export %[1]s ;; esac\n", v)
	}
	b.WriteString(`WINEPATH=$(printf '%s' "$PATH" | awk -v RS=: '/^\//{gsub("/","\\\\"); printf "%sZ:%s", s, $0; s=";"}')` + "\nexport WINEPATH\n")
	for _, kv := range w.Env() {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
	}
	fmt.Fprintf(&b, "exec %s %s \"$@\"\n", shellQuote(wine), shellQuote(exe))
	path := filepath.Join(dir, name)
	return path, writeExecutable(path, b.String())
}

// writeExecutable writes an executable file through a child process: had
// this process opened it for writing, a child forked meanwhile by another
// goroutine (the tests run in parallel) could hold it open, and running
// the file would fail with "text file busy".
func writeExecutable(path, content string) error {
	ctx, cancel := context.WithTimeout(context.Background(), wineCmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", `umask 077 && cat > "$1" && chmod 0700 "$1"`, "sh", path)
	cmd.Stdin = strings.NewReader(content)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("keychaintest: write %s: %v: %s", path, err, out)
	}
	return nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
