package classify

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neonet.dev/neonet/models"
)

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScanDatasetLayouts(t *testing.T) {
	imagenet, _ := models.DefaultLabels("imagenet")
	cifar, _ := models.DefaultLabels("cifar10")

	flat := t.TempDir()
	touch(t, filepath.Join(flat, "n01443537_goldfish.JPEG"))
	touch(t, filepath.Join(flat, "n01440764_tench.jpg"))
	touch(t, filepath.Join(flat, "README.txt")) // not an image: ignored
	s, err := ScanDataset(flat, imagenet)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 || s[0].Label != 0 || s[1].Label != 1 {
		t.Errorf("flat ImageNet layout: %+v", s)
	}

	folders := t.TempDir()
	touch(t, filepath.Join(folders, "truck", "a.png"))
	touch(t, filepath.Join(folders, "airplane", "b.jpg"))
	s, err = ScanDataset(folders, cifar)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 || s[0].Label != 0 || s[1].Label != 9 {
		t.Errorf("class folder layout: %+v", s)
	}

	touch(t, filepath.Join(folders, "zebra", "c.jpg"))
	if _, err := ScanDataset(folders, cifar); err == nil || !strings.Contains(err.Error(), `"zebra"`) {
		t.Errorf("unknown class folder: error %v, want one naming it", err)
	}
	if _, err := ScanDataset(t.TempDir(), cifar); err == nil || !strings.Contains(err.Error(), "no images") {
		t.Errorf("empty folder: error %v", err)
	}
	touch(t, filepath.Join(flat, "cat.jpg"))
	if _, err := ScanDataset(flat, imagenet); err == nil || !strings.Contains(err.Error(), "cat.jpg") {
		t.Errorf("file without class id: error %v, want one naming it", err)
	}
}

func TestSpread(t *testing.T) {
	var samples []Sample
	for i := range 10 {
		samples = append(samples, Sample{Label: i})
	}
	var labels []int
	for _, s := range Spread(samples, 4) {
		labels = append(labels, s.Label)
	}
	if !slices.Equal(labels, []int{0, 2, 5, 7}) {
		t.Errorf("4 of 10: %v", labels)
	}
	if len(Spread(samples, 0)) != 10 || len(Spread(samples, 20)) != 10 {
		t.Error("0 or more than there are: want them all")
	}
}
