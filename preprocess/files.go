package preprocess

import (
	"path/filepath"
	"slices"
	"strings"
)

// ImageExts are the file name extensions of the images Decode reads, in
// lower case.
var ImageExts = []string{".jpg", ".jpeg", ".png", ".bmp"}

// IsImageFile reports whether a file name has one of ImageExts, in any
// case.
func IsImageFile(name string) bool {
	return slices.Contains(ImageExts, strings.ToLower(filepath.Ext(name)))
}
