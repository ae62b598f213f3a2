package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CollectOptions configure Collect.
type CollectOptions struct {
	// Frames is how many frames to save.
	Frames int
	// Every is the least time between two saved frames, measured on the
	// frames' timestamps; frames in between are read and dropped, so a
	// saved frame is always a fresh one. 0 saves every frame.
	Every time.Duration
	// Quality is the JPEG quality, 1 to 100 (0: CollectQuality).
	Quality int
	// Saved, if not nil, is called after each frame is saved with its
	// file and the count so far.
	Saved func(path string, saved, total int)
}

// CollectQuality is the JPEG quality photos are saved with by default:
// high enough that training sees what the model sees.
const CollectQuality = 95

// collectDigits is the width of the numbers frames are saved under:
// 000001.jpg, 000002.jpg, ...
const collectDigits = 6

// Collect saves frames from src as numbered JPEG files in dir, created if
// missing: the training photos of one class. Numbers continue after the
// highest already in dir, and a file is created only if its name is free,
// so running it again (or twice at once) adds photos and never overwrites
// one. It stops after opt.Frames frames, when ctx ends, or at the end of a
// video file or folder, and returns the files saved.
func Collect(ctx context.Context, src Source, dir string, opt CollectOptions) ([]string, error) {
	if opt.Frames < 1 {
		return nil, fmt.Errorf("collect: %d frames: want at least 1", opt.Frames)
	}
	quality := opt.Quality
	if quality == 0 {
		quality = CollectQuality
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("collect: JPEG quality %d: want 1 to 100", quality)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	next, err := nextNumber(dir)
	if err != nil {
		return nil, err
	}
	if err := src.Open(); err != nil {
		return nil, err
	}
	defer src.Close()
	var saved []string
	var f Frame
	var img *image.RGBA
	var last time.Time
	for len(saved) < opt.Frames && ctx.Err() == nil {
		if err := src.Read(&f); err != nil {
			if errors.Is(err, ErrEndOfStream) {
				break
			}
			return saved, fmt.Errorf("collect from %s: %w", src, err)
		}
		if len(saved) > 0 && f.Time.Sub(last) < opt.Every {
			continue
		}
		if img, err = f.rgba(img); err != nil {
			return saved, err
		}
		path, n, err := saveJPEG(dir, next, img, quality)
		if err != nil {
			return saved, err
		}
		next, last = n+1, f.Time
		saved = append(saved, path)
		if opt.Saved != nil {
			opt.Saved(path, len(saved), opt.Frames)
		}
	}
	return saved, nil
}

// SaveFrame saves one frame as Collect saves each of its frames: a JPEG
// of quality CollectQuality in dir (created if missing), numbered after
// the highest number already there, under a name that was free (never
// replacing a file). It returns the file's path.
func SaveFrame(dir string, f *Frame) (string, error) {
	img, err := f.rgba(nil)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("collect: %w", err)
	}
	next, err := nextNumber(dir)
	if err != nil {
		return "", err
	}
	path, _, err := saveJPEG(dir, next, img, CollectQuality)
	return path, err
}

// nextNumber is one more than the highest number a file in dir is named
// with (000041.jpg: 41), or 1.
func nextNumber(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("collect: %w", err)
	}
	next := 1
	for _, e := range entries {
		stem := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		if n, err := strconv.Atoi(stem); err == nil && n >= next && isDigits(stem) {
			next = n + 1
		}
	}
	return next, nil
}

// saveJPEG writes img to the first free name numbered n or more, created
// exclusively so that no existing file is replaced, and returns its path
// and number.
func saveJPEG(dir string, n int, img image.Image, quality int) (string, int, error) {
	for {
		path := filepath.Join(dir, fmt.Sprintf("%0*d.jpg", collectDigits, n))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			n++
			continue
		}
		if err != nil {
			return "", 0, fmt.Errorf("collect: %w", err)
		}
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: quality})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return "", 0, fmt.Errorf("collect: %s: %w", path, err)
		}
		return path, n, nil
	}
}

// rgba converts the frame to an opaque RGBA image, reusing dst when it has
// the frame's size (the JPEG encoder's fast path reads RGBA).
func (f *Frame) rgba(dst *image.RGBA) (*image.RGBA, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if dst == nil || dst.Rect.Dx() != f.Width || dst.Rect.Dy() != f.Height {
		dst = image.NewRGBA(image.Rect(0, 0, f.Width, f.Height))
	}
	for y := range f.Height {
		row, out := f.row(y), dst.Pix[y*dst.Stride:][:4*f.Width]
		for x := range f.Width {
			out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = row[3*x+2], row[3*x+1], row[3*x], 0xff
		}
	}
	return dst, nil
}
