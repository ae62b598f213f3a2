package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// touch creates the files under dir (with empty content).
func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Class folders give the labels in name order and their photos sorted;
// other files and hidden folders are ignored.
func TestScanClassesReadsClassFolders(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "open/2.jpg", "open/1.JPG", "open/notes.txt", "closed/a.png", "closed/b.bmp", "closed/c.jpeg",
		".thumbnails/x.jpg", "loose.jpg")
	classes, photos, err := ScanClasses(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(classes, ",") != "closed,open" || len(photos[0]) != 3 || len(photos[1]) != 2 ||
		filepath.Base(photos[1][0]) != "1.JPG" {
		t.Errorf("classes %v, photos %v", classes, photos)
	}
}

// Every way a folder cannot be trained on is an error that says what to do.
func TestScanClassesRefusesUnusableFolders(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"no classes", []string{"a.jpg"}, "no class folders"},
		{"one class", []string{"cat/a.jpg", "cat/b.jpg"}, `only one class ("cat")`},
		{"empty class", []string{"cat/a.jpg", "nothing/readme.txt"}, `class folder "nothing" has no photos`},
	} {
		dir := t.TempDir()
		touch(t, dir, tc.files...)
		if _, _, err := ScanClasses(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	if _, _, err := ScanClasses(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing folder is not an error")
	}
}

// A validation split takes the last photos of each class in name order,
// leaving at least one to train on; a validation folder must use the
// training classes' names.
func TestSplit(t *testing.T) {
	classes := []string{"a", "b"}
	photos := [][]string{{"a/1", "a/2", "a/3", "a/4", "a/5"}, {"b/1"}}
	set, err := Split(classes, photos, "", 0.4)
	if err != nil {
		t.Fatal(err)
	}
	var val []string
	for _, p := range set.Val {
		val = append(val, p.Path)
	}
	if len(set.Train) != 4 || strings.Join(val, ",") != "a/4,a/5" {
		t.Errorf("split 0.4: %d training photos, validation %v", len(set.Train), val)
	}
	for _, bad := range []float64{-0.1, 1} {
		if _, err := Split(classes, photos, "", bad); err == nil {
			t.Errorf("split %g accepted", bad)
		}
	}
	valDir := t.TempDir()
	touch(t, valDir, "a/x.jpg", "b/y.jpg")
	if set, err = Split(classes, photos, valDir, 0); err != nil || len(set.Val) != 2 || len(set.Train) != 6 {
		t.Errorf("validation folder: %+v, %v", set, err)
	}
	if _, err := Split(classes, photos, valDir, 0.2); err == nil {
		t.Error("a validation folder and a split together accepted")
	}
	touch(t, valDir, "c/z.jpg")
	if _, err := Split(classes, photos, valDir, 0); err == nil || !strings.Contains(err.Error(), `"c" is not one of the classes`) {
		t.Errorf("unknown validation class: error %v", err)
	}
}

// A class with less than a third of the largest class's photos is warned
// about, by name.
func TestImbalanceWarns(t *testing.T) {
	w := imbalance([]string{"door", "nothing", "cat"}, []int{30, 9, 11})
	if len(w) != 1 || !strings.Contains(w[0], `"nothing" has 9`) || !strings.Contains(w[0], `"door" (30)`) {
		t.Errorf("warnings %q", w)
	}
}
