package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot is the directory holding go.mod, found by walking up from the
// test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// SharedData returns the shared data folder: $NEONET_DATA, or ../shared/data
// beside the repository; with elem, the path elem names inside it.
func SharedData(t testing.TB, elem ...string) string {
	t.Helper()
	dir := os.Getenv("NEONET_DATA")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "..", "shared", "data")
	}
	return filepath.Join(append([]string{require(t, dir, "shared data (set NEONET_DATA)")}, elem...)...)
}

// Golden returns the folder of PyTorch golden outputs: $NEONET_GOLDEN, or
// testdata/golden in the repository (written by `make golden`); with elem,
// the path elem names inside it.
func Golden(t testing.TB, elem ...string) string {
	t.Helper()
	dir := os.Getenv("NEONET_GOLDEN")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "testdata", "golden")
	}
	return filepath.Join(append([]string{require(t, dir, "golden outputs (run `make golden`)")}, elem...)...)
}

// Testdata returns the contents of file name in the test's testdata folder.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func require(t testing.TB, path, what string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("NEONET_REQUIRE_DATA") == "1" {
			t.Fatalf("%s missing: %v", what, err)
		}
		t.Skipf("%s missing: %v", what, err)
	}
	return path
}

// TempFile writes content to a file called name in a new temporary folder
// that the test removes, and returns its path: the configuration, password
// and token files that tests hand to neonet. Only the owner may read it,
// as a secret should be.
func TempFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
