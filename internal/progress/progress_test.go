package progress

import (
	"strings"
	"testing"
)

// Away from a terminal, a line per tenth of the work, the last one at the
// end.
func TestPrinterLogsTenths(t *testing.T) {
	var w strings.Builder
	p := Printer(&w, "images")
	for i := 1; i <= 40; i++ {
		p(i, 40)
	}
	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if len(lines) != 10 || !strings.HasPrefix(lines[9], "  40/40 images") || !strings.HasPrefix(lines[0], "  4/40 images") {
		t.Errorf("%d lines:\n%s", len(lines), w.String())
	}
	if IsTerminal(&w) {
		t.Error("a strings.Builder is not a terminal")
	}
}
