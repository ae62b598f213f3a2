package classify

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"neonet.dev/neonet/models"
)

// Sample is one labelled image.
type Sample struct {
	Path  string
	Label int // class index
}

var imageExts = []string{".jpg", ".jpeg", ".png", ".bmp"}

func isImage(name string) bool {
	return slices.Contains(imageExts, strings.ToLower(filepath.Ext(name)))
}

// ScanDataset lists the labelled images of dir, in one of two layouts:
//   - class subfolders (CIFAR-10 style): dir/<class name or id>/<image>;
//   - a flat folder whose file names start with the class id (ImageNet
//     style): dir/n01443537_goldfish.JPEG, the label being the text before
//     the first underscore.
//
// Samples are sorted by path, so runs are repeatable. An image whose class
// is not in labels is an error naming the file.
func ScanDataset(dir string, labels *models.Labels) ([]Sample, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var samples []Sample
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		switch {
		case e.IsDir():
			label := labels.Index(e.Name())
			if label < 0 {
				return nil, fmt.Errorf("dataset %s: folder %q is not a class of the model's labels", dir, e.Name())
			}
			files, err := os.ReadDir(path)
			if err != nil {
				return nil, fmt.Errorf("dataset: %w", err)
			}
			for _, f := range files {
				if !f.IsDir() && isImage(f.Name()) {
					samples = append(samples, Sample{Path: filepath.Join(path, f.Name()), Label: label})
				}
			}
		case isImage(e.Name()):
			id, _, _ := strings.Cut(e.Name(), "_")
			label := labels.Index(id)
			if label < 0 {
				return nil, fmt.Errorf("dataset %s: file %q does not start with a class id of the model's labels (like n01443537_goldfish.JPEG)", dir, e.Name())
			}
			samples = append(samples, Sample{Path: path, Label: label})
		}
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("dataset %s: no images (.jpg, .jpeg, .png, .bmp) found", dir)
	}
	slices.SortFunc(samples, func(a, b Sample) int { return strings.Compare(a.Path, b.Path) })
	return samples, nil
}

// Spread returns n of samples spread evenly over the list (every class of
// a sorted dataset is then seen), or all of them when n is 0 or at least
// their number.
func Spread(samples []Sample, n int) []Sample {
	if n <= 0 || n >= len(samples) {
		return samples
	}
	picked := make([]Sample, n)
	for i := range picked {
		picked[i] = samples[i*len(samples)/n]
	}
	return picked
}
