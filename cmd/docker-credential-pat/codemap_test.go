package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/docker-credential-pat/docker-credential-pat/"

// packageDirs returns the directories of the repository, from root and
// slash-separated, that hold a Go package, with the packages of this module
// that its non-test files import.
func packageDirs(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		imports := out[dir]
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if dep, ok := strings.CutPrefix(p, module); ok && !slices.Contains(imports, dep) {
				imports = append(imports, dep)
			}
		}
		out[dir] = imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The README's code map names every package of the tree, and only those.
func TestCodeMapMatchesTree(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Code map\n")
	if !ok {
		t.Fatal("README.md has no section ## Code map")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var mapped []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllStringSubmatch(section, -1) {
		mapped = append(mapped, m[1])
	}
	dirs := packageDirs(t, root)
	for dir := range dirs {
		if !slices.Contains(mapped, dir) {
			t.Errorf("the code map in README.md does not name the package %s", dir)
		}
	}
	for _, dir := range mapped {
		if _, ok := dirs[dir]; !ok {
			t.Errorf("the code map in README.md names %s, which holds no package", dir)
		}
	}
}

// Imports run one way, as the code map says: each package imports only
// packages of a lower layer.
func TestImportsRunOneWay(t *testing.T) {
	layer := map[string]int{
		"credstore/registryurl": 0, "credstore/hint": 0, "credstore/when": 0,
		"credstore/internal/atomicfile": 0, "credstore/credstoretest": 0, "keychain/earlybus": 0,
		"cmd/internal/oneproc": 0, "cmd/internal/prefault": 0,
		"credstore/internal/statefile": 1, "credstore/protocol": 1, "keychain": 1,
		"cmd/internal/startup": 1,
		"keychain/keychainmem": 2, "keychain/keychaintest": 2,
		"credstore/token":        2,
		"credstore/dockerconfig": 3, "credstore/probe": 3,
		"credstore":                 4,
		"credstore/doctor":          5,
		"cmd/docker-credential-pat": 6, "cmd/internal/bench": 6, "cmd/internal/testsum": 6,
	}
	for dir, imports := range packageDirs(t, filepath.Join("..", "..")) {
		l, ok := layer[dir]
		if !ok {
			t.Errorf("package %s has no layer in this test: give it one", dir)
			continue
		}
		for _, dep := range imports {
			if d, ok := layer[dep]; ok && d >= l {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports run downward only", dir, l, dep, d)
			}
		}
	}
}

// Provider ids are literals in the provider table only: every other
// package names them through token's constants.
func TestProviderIDsInOnePackage(t *testing.T) {
	root := filepath.Join("..", "..")
	table := filepath.Join(root, "credstore", "token", "providers.go")
	f, err := parser.ParseFile(token.NewFileSet(), table, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Provider") || i >= len(vs.Values) {
					continue
				}
				// "unknown" and "docker" are words the code uses for other things.
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if id, _ := strconv.Unquote(lit.Value); id != "unknown" && id != "docker" {
						ids[id] = true
					}
				}
			}
		}
		return true
	})
	if len(ids) < 10 {
		t.Fatalf("found only %d provider ids in %s", len(ids), table)
	}
	eachString(t, root, func(dir string) bool { return dir != "credstore/token" }, func(path, s string) {
		if ids[s] {
			t.Errorf("%s: the provider id %q as a literal: use token's constant", path, s)
		}
	})
}

// The library gives commands of this program in its hints through
// Options.Program (Store.Command), never as a literal command line.
func TestLibraryNamesNoProgram(t *testing.T) {
	root := filepath.Join("..", "..")
	command := regexp.MustCompile(`docker-credential-pat (doctor|setup|prune|rm|annotate|ls|inspect|add|probe|get|store|erase|list|--)`)
	// The wire error for an unknown action: docker shows it as it is.
	wire := "unknown action: want store, get, erase, list or version (see docker-credential-pat --help)"
	lib := func(dir string) bool {
		return (strings.HasPrefix(dir, "credstore") || strings.HasPrefix(dir, "keychain")) && dir != "keychain/keychaintest"
	}
	n := eachString(t, root, lib, func(path, s string) {
		if s != wire && command.MatchString(s) {
			t.Errorf("%s: %q gives a command line of the program by name: use Store.Command", path, s)
		}
	})
	if n < 20 {
		t.Fatalf("read only %d files of the library", n)
	}
}

// eachString calls fn with every string literal of the non-test Go files
// of the packages under root whose directory keep accepts, and returns how
// many files it read.
func eachString(t *testing.T, root string, keep func(dir string) bool, fn func(path, s string)) int {
	t.Helper()
	n := 0
	for dir := range packageDirs(t, root) {
		if !keep(dir) {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(dir), "*.go"))
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			n++
			ast.Inspect(f, func(nd ast.Node) bool {
				if lit, ok := nd.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						fn(path, s)
					}
				}
				return true
			})
		}
	}
	return n
}
