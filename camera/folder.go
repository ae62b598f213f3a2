package camera

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"neonet.dev/neonet/preprocess"
)

// Folder reads the JPEG, PNG and BMP images of a folder (not its
// subfolders) in name order, one per frame, as if they came from a camera.
// Images may differ in size; each frame has its image's size.
type Folder struct {
	dir   string
	opt   Options
	files []string
	next  int // index in files of the next image
	ended bool
	open  bool
	seq   uint64
	pace  pacer
}

// NewFolder returns the folder source of dir.
func NewFolder(dir string, opt Options) *Folder {
	return &Folder{dir: dir, opt: opt, pace: newPacer(opt.clock(), opt.FPS)}
}

func (s *Folder) String() string { return s.dir }

// Open lists the folder's images. Reopened before its end, it resumes
// after the last image read; after the end it starts again from the
// first.
func (s *Folder) Open() error {
	if s.open {
		return nil
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("camera %s: %w", s.dir, err)
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && preprocess.IsImageFile(e.Name()) {
			files = append(files, e.Name())
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("camera %s: no images (want files ending in %s)", s.dir, strings.Join(preprocess.ImageExts, ", "))
	}
	slices.Sort(files)
	if s.ended || s.next >= len(files) {
		s.next, s.ended = 0, false
	} else if s.next > 0 && s.files != nil {
		// Resume after the same name even if files were added or removed.
		last := s.files[s.next-1]
		s.next, _ = slices.BinarySearch(files, last)
		if s.next < len(files) && files[s.next] == last {
			s.next++
		}
	}
	s.files, s.open = files, true
	return nil
}

// Close implements Source.
func (s *Folder) Close() error { s.open = false; return nil }

// Read decodes the next image into f. An image that does not decode is
// an ErrBadFrame naming it: the next Read goes on with the next image.
func (s *Folder) Read(f *Frame) error {
	if !s.open {
		return fmt.Errorf("camera %s: %w", s.dir, ErrClosed)
	}
	if s.next >= len(s.files) {
		if !s.opt.Loop {
			s.ended = true
			return fmt.Errorf("camera %s: %w after %d images", s.dir, ErrEndOfStream, len(s.files))
		}
		s.next = 0
	}
	path := filepath.Join(s.dir, s.files[s.next])
	s.next++
	s.pace.wait()
	img, err := preprocess.Decode(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("camera %s: %w", s.dir, err) // the folder changed: list it again
	}
	if err != nil {
		return fmt.Errorf("camera %s: %w: %w", s.dir, ErrBadFrame, err)
	}
	f.setRGB8(preprocess.ToRGB8(img))
	stamp(f, &s.seq, s.opt.clock())
	return nil
}
