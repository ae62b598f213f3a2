package arm64

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// wordLine is an instruction the Go assembler lacks: its encoding and, in
// the comment, the GNU mnemonic it encodes.
var wordLine = regexp.MustCompile(`^\s*WORD\s+\$0x([0-9a-f]{8})\s*//\s*(\S.*)$`)

// TestWordEncodings assembles the GNU mnemonic of every WORD in the
// depthwise, pooling, element-wise and lookup-table kernels with
// aarch64-linux-gnu-as and checks that it is the encoded instruction. To
// add an instruction, write "WORD $0x00000000 // <GNU mnemonic>" and copy
// the encoding this test reports.
func TestWordEncodings(t *testing.T) {
	if runtime.GOARCH == "arm64" {
		t.Skip("checked on the build machine, where the cross assembler runs")
	}
	as, err := exec.LookPath("aarch64-linux-gnu-as")
	if err != nil {
		t.Skip("aarch64-linux-gnu-as not installed (Debian: binutils-aarch64-linux-gnu)")
	}
	objcopy, err := exec.LookPath("aarch64-linux-gnu-objcopy")
	if err != nil {
		t.Skip("aarch64-linux-gnu-objcopy not installed")
	}
	var mnemonics []string
	var words []uint32
	var where []string
	for _, f := range []string{"dw_arm64.s", "pool_arm64.s", "elementwise_arm64.s", "lut_arm64.s"} {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(text), "\n") {
			if !strings.Contains(line, "WORD") {
				continue
			}
			m := wordLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: WORD without an encoding and its mnemonic: %q", f, i+1, line)
				continue
			}
			v, _ := strconv.ParseUint(m[1], 16, 32)
			words = append(words, uint32(v))
			mnemonics = append(mnemonics, m[2])
			where = append(where, f+":"+strconv.Itoa(i+1))
		}
	}
	if len(words) == 0 {
		t.Fatal("no WORD instructions found")
	}
	dir := t.TempDir()
	src, obj, bin := filepath.Join(dir, "w.s"), filepath.Join(dir, "w.o"), filepath.Join(dir, "w.bin")
	if err := os.WriteFile(src, []byte(strings.Join(mnemonics, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{as, "-march=armv8-a", "-o", obj, src}, {objcopy, "-O", "binary", "-j", ".text", obj, bin}} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", filepath.Base(cmd[0]), err, out)
		}
	}
	code, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != 4*len(words) {
		t.Fatalf("assembled %d bytes for %d instructions", len(code), len(words))
	}
	for i, w := range words {
		if want := binary.LittleEndian.Uint32(code[4*i:]); w != want {
			t.Errorf("%s: WORD $0x%08x, but %q is 0x%08x", where[i], w, mnemonics[i], want)
		}
	}
	t.Logf("%d encodings checked", len(words))
}
