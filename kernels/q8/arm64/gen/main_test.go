package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCommittedFilesAreGenerated fails when a committed kernel differs from
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

var wordLine = regexp.MustCompile(`WORD \$0x([0-9a-f]{8}) // (.+)`)

// TestEncodings assembles the mnemonic in each WORD's comment with GNU as
// and checks that it encodes to the WORD.
func TestEncodings(t *testing.T) {
	as, err := exec.LookPath("aarch64-linux-gnu-as")
	if err != nil {
		t.Skip("aarch64-linux-gnu-as not installed (binutils-aarch64-linux-gnu)")
	}
	objdump, err := exec.LookPath("aarch64-linux-gnu-objdump")
	if err != nil {
		t.Skip("aarch64-linux-gnu-objdump not installed")
	}
	var words, source []string
	for _, text := range Files() {
		for _, m := range wordLine.FindAllStringSubmatch(text, -1) {
			words = append(words, m[1])
			source = append(source, m[2])
		}
	}
	if len(words) == 0 {
		t.Fatal("no WORD directives found")
	}
	dir := t.TempDir()
	src, obj := filepath.Join(dir, "words.s"), filepath.Join(dir, "words.o")
	if err := os.WriteFile(src, []byte(strings.Join(source, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(as, "-march=armv8.2-a+dotprod", "-o", obj, src).CombinedOutput(); err != nil {
		t.Fatalf("as: %v\n%s", err, out)
	}
	out, err := exec.Command(objdump, "-d", obj).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	insn := regexp.MustCompile(`(?m)^\s+[0-9a-f]+:\s+([0-9a-f]{8})\s`)
	var got []string
	for _, m := range insn.FindAllSubmatch(out, -1) {
		got = append(got, string(bytes.TrimSpace(m[1])))
	}
	if len(got) != len(words) {
		t.Fatalf("as produced %d instructions for %d WORDs", len(got), len(words))
	}
	for i := range words {
		if got[i] != words[i] {
			t.Errorf("%s: WORD $0x%s, as encodes 0x%s", source[i], words[i], got[i])
		}
	}
}
