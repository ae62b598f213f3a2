package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/models"
)

// TestSummaryRowsMatchPyTorch checks, for every model, that `neonet summary`
// prints exactly the rows of PyTorch's named_parameters() (name and element
// count, in order, from testdata/golden/manifest.json) and ends with the
// total.
func TestSummaryRowsMatchPyTorch(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.Golden(t), "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Models map[string]struct {
			ParamCount      int                 `json:"param_count"`
			NamedParameters [][]json.RawMessage `json:"named_parameters"`
		} `json:"models"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	for _, name := range models.Names() {
		entry, ok := manifest.Models[name]
		if !ok {
			t.Errorf("%s: not in the golden manifest", name)
			continue
		}
		var want []string
		for _, row := range entry.NamedParameters {
			var pname string
			var shape []int
			json.Unmarshal(row[0], &pname)
			json.Unmarshal(row[1], &shape)
			n := 1
			for _, d := range shape {
				n *= d
			}
			want = append(want, fmt.Sprintf("%s %d", pname, n))
		}
		code, out, errOut := neonet("summary", name)
		if code != 0 {
			t.Fatalf("summary %s: exit %d: %s", name, code, errOut)
		}
		var got []string
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		for _, line := range lines {
			cells := strings.Split(line, "|")
			if len(cells) != 4 || strings.TrimSpace(cells[1]) == "Modules" {
				continue
			}
			got = append(got, strings.TrimSpace(cells[1])+" "+strings.TrimSpace(cells[2]))
		}
		if !slices.Equal(got, want) {
			t.Errorf("summary %s: %d rows, PyTorch %d; first difference at %v", name, len(got), len(want), firstDiff(got, want))
		}
		if last := lines[len(lines)-1]; last != fmt.Sprintf("Total Trainable Params: %d", entry.ParamCount) {
			t.Errorf("summary %s: last line %q, PyTorch counts %d", name, last, entry.ParamCount)
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return fmt.Sprintf("row %d: %q vs %q", i, strings.Join(a[i:min(i+1, len(a))], ""), strings.Join(b[i:min(i+1, len(b))], ""))
		}
	}
	return "none"
}
