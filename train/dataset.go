package train

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"neonet.dev/neonet/preprocess"
)

// Photo is one labelled photo of a training or validation set.
type Photo struct {
	Path  string
	Class int
}

// Set is the photos of a training run: the classes, named after their
// folders in name order, and the photos used for training and for
// validation.
type Set struct {
	Classes    []string
	Train, Val []Photo
}

// ScanClasses reads the class folders of dir (dir/<class>/<photo>; photos
// are .jpg, .jpeg, .png and .bmp files, anything else is ignored): the
// classes in name order and each class's photos sorted by name. It fails
// when there are fewer than two classes or a class has no photos.
func ScanClasses(dir string) ([]string, [][]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("training photos: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	switch len(names) {
	case 0:
		return nil, nil, fmt.Errorf("training photos %s: no class folders: put each class's photos in %s/LABEL/ (neonet collect --out %s/LABEL)", dir, dir, dir)
	case 1:
		return nil, nil, fmt.Errorf("training photos %s: only one class (%q): a classifier needs at least two, e.g. a \"nothing\" class of the empty scene", dir, names[0])
	}
	photos, err := scanPhotos(dir, names)
	if err != nil {
		return nil, nil, fmt.Errorf("training photos: %w", err)
	}
	for c, p := range photos {
		if len(p) == 0 {
			return nil, nil, fmt.Errorf("training photos %s: class folder %q has no photos (.jpg, .jpeg, .png, .bmp)", dir, names[c])
		}
	}
	return names, photos, nil
}

// scanPhotos lists the photos of dir's class folders by class index, each
// class sorted by name; a folder that is not one of classes is an error
// naming it, and a missing one has no photos.
func scanPhotos(dir string, classes []string) ([][]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	photos := make([][]string, len(classes))
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		c := slices.Index(classes, e.Name())
		if c < 0 {
			return nil, fmt.Errorf("%s: folder %q is not one of the classes (%s)", dir, e.Name(), strings.Join(classes, ", "))
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if !f.IsDir() && preprocess.IsImageFile(f.Name()) {
				photos[c] = append(photos[c], filepath.Join(dir, e.Name(), f.Name()))
			}
		}
		slices.Sort(photos[c])
	}
	return photos, nil
}

// Split makes the training run's set from the classes of ScanClasses.
// With valDir, its class folders (named as the training classes; some may
// be missing) are the validation photos; otherwise the last valSplit of
// each class's photos in name order are, keeping at least one photo per
// class for training. Photos named in time order, as neonet collect names
// them, so validate on the latest ones, which are less alike the training
// photos than randomly drawn frames of the same minutes would be.
func Split(classes []string, photos [][]string, valDir string, valSplit float64) (*Set, error) {
	if valSplit < 0 || valSplit >= 1 || math.IsNaN(valSplit) {
		return nil, fmt.Errorf("validation split %g: want a fraction in [0, 1)", valSplit)
	}
	if valDir != "" && valSplit > 0 {
		return nil, fmt.Errorf("give a validation folder or a validation split, not both")
	}
	set := &Set{Classes: slices.Clone(classes)}
	for c, paths := range photos {
		nVal := 0
		if valSplit > 0 {
			nVal = min(int(math.Round(valSplit*float64(len(paths)))), len(paths)-1)
		}
		for i, p := range paths {
			if i < len(paths)-nVal {
				set.Train = append(set.Train, Photo{Path: p, Class: c})
			} else {
				set.Val = append(set.Val, Photo{Path: p, Class: c})
			}
		}
	}
	if valDir != "" {
		val, err := scanPhotos(valDir, classes)
		if err != nil {
			return nil, fmt.Errorf("validation photos: %w", err)
		}
		for c, paths := range val {
			for _, p := range paths {
				set.Val = append(set.Val, Photo{Path: p, Class: c})
			}
		}
		if len(set.Val) == 0 {
			return nil, fmt.Errorf("validation photos %s: no photos in class folders named as the training classes (%s)", valDir, strings.Join(classes, ", "))
		}
	}
	return set, nil
}

// imbalance returns a warning for each class with far fewer photos (less
// than a third) than the largest: the head then favours the larger ones.
func imbalance(classes []string, counts []int) []string {
	largest := 0
	for c := range counts {
		if counts[c] > counts[largest] {
			largest = c
		}
	}
	var warnings []string
	for c, n := range counts {
		if 3*n < counts[largest] {
			warnings = append(warnings, fmt.Sprintf("class %q has %d training photos, far fewer than %q (%d): the classifier will favour the larger classes; collect more photos of it",
				classes[c], n, classes[largest], counts[largest]))
		}
	}
	return warnings
}
