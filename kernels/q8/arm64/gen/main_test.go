package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCommittedFilesAreGenerated fails when a committed file differs from
// what the generator writes: edit gen, then run go generate.
func TestCommittedFilesAreGenerated(t *testing.T) {
	for name, text := range Files() {
		got, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != text {
			t.Errorf("%s differs from the generator's output: run go generate in kernels/q8/arm64", name)
		}
	}
}

// TestWordsOnlyInEncoders fails when a file of kernels/q8/arm64 other than
// neon_arm64.h writes a WORD: an instruction the Go assembler lacks goes
// into the encoders table, where TestEncodings checks it.
func TestWordsOnlyInEncoders(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "*_arm64.[sh]"))
	if err != nil {
		t.Fatal(err)
	}
	word := regexp.MustCompile(`^[^/]*\bWORD\b`)
	for _, f := range files {
		if filepath.Base(f) == "neon_arm64.h" {
			continue
		}
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(text), "\n") {
			if word.MatchString(line) {
				t.Errorf("%s:%d: WORD outside neon_arm64.h: %s", filepath.Base(f), i+1, strings.TrimSpace(line))
			}
		}
	}
	if len(files) < 6 {
		t.Fatalf("found %d assembly files in kernels/q8/arm64, want the 6 kernels and 2 headers", len(files))
	}
}

// TestEncodings assembles every encoder macro of neon_arm64.h with the Go
// assembler, for every value of each operand in turn (the others fixed),
// and the same instructions in GNU syntax with aarch64-linux-gnu-as, and
// compares the words.
func TestEncodings(t *testing.T) {
	as := lookTool(t, "aarch64-linux-gnu-as")
	objcopy := lookTool(t, "aarch64-linux-gnu-objcopy")
	var calls, gnu []string
	for _, e := range encoders {
		for _, vals := range sweep(e.ops) {
			calls = append(calls, e.call(vals))
			gnu = append(gnu, e.gnuSyntax(vals))
		}
	}
	got := goAssemble(t, calls)
	want := gnuAssemble(t, as, objcopy, gnu)
	if len(got) != len(calls) || len(want) != len(calls) {
		t.Fatalf("%d instructions: the Go assembler wrote %d words, GNU as %d", len(calls), len(got), len(want))
	}
	for i := range calls {
		if got[i] != want[i] {
			t.Errorf("%s = 0x%08x, but %s is 0x%08x", calls[i], got[i], gnu[i], want[i])
		}
	}
	t.Logf("%d encodings checked", len(calls))
}

func lookTool(t *testing.T, name string) string {
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (Debian: binutils-aarch64-linux-gnu)", name)
	}
	return path
}

// sweep returns operand values: each operand over its whole range, the
// others at fixed values that differ from each other.
func sweep(ops []operand) [][]int {
	base := make([]int, len(ops))
	for i, o := range ops {
		base[i] = min(o.min+3*i+1, o.max)
	}
	var all [][]int
	for i, o := range ops {
		for v := o.min; v <= o.max; v++ {
			vals := append([]int(nil), base...)
			vals[i] = v
			all = append(all, vals)
		}
	}
	return all
}

var goWord = regexp.MustCompile(`\tWORD\t\$(\d+)\n`)

// goAssemble assembles the macro calls with the Go assembler for arm64,
// including neon_arm64.h, and returns the words it wrote.
func goAssemble(t *testing.T, calls []string) []uint32 {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	pkg, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "probe.s")
	text := "#include \"textflag.h\"\n#include \"neon_arm64.h\"\n\nTEXT ·probe(SB), NOSPLIT, $0-0\n\t" +
		strings.Join(calls, "\n\t") + "\n\tRET\n"
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "asm", "-p", "probe", "-S", "-o", filepath.Join(dir, "probe.o"),
		"-I", filepath.Join(strings.TrimSpace(string(goroot)), "pkg", "include"), "-I", pkg, src)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go tool asm: %v\n%s", err, cmdStderr(err))
	}
	var words []uint32
	for _, m := range goWord.FindAllSubmatch(out, -1) {
		v, err := strconv.ParseUint(string(m[1]), 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		words = append(words, uint32(v))
	}
	return words
}

// gnuAssemble assembles the instructions with GNU as and returns their
// words.
func gnuAssemble(t *testing.T, as, objcopy string, insns []string) []uint32 {
	dir := t.TempDir()
	src, obj, bin := filepath.Join(dir, "w.s"), filepath.Join(dir, "w.o"), filepath.Join(dir, "w.bin")
	if err := os.WriteFile(src, []byte(strings.Join(insns, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{
		{as, "-march=armv8.2-a+dotprod", "-o", obj, src},
		{objcopy, "-O", "binary", "-j", ".text", obj, bin},
	} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", filepath.Base(cmd[0]), err, out)
		}
	}
	code, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	words := make([]uint32, len(code)/4)
	for i := range words {
		words[i] = binary.LittleEndian.Uint32(code[4*i:])
	}
	return words
}

func cmdStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return fmt.Sprint(err)
}
