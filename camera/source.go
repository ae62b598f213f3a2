package camera

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// Source is a camera, or something read as if it were one.
type Source interface {
	// Open starts capture. It does nothing if the source is already open;
	// after Close it opens again (a video file or folder restarts from its
	// beginning once its end was reached).
	Open() error
	// Read waits for the next frame and stores it in f, reusing f.Pix.
	// It returns ErrEndOfStream at the end of a non-looping file or
	// folder, and an ErrBadFrame when one frame could not be read but the
	// next may be (a corrupt image in a folder); any other error means the
	// source must be closed and opened again.
	Read(f *Frame) error
	// Close releases the device. It is safe to call more than once.
	Close() error
	// String names the source: the device, pipeline, file or folder.
	String() string
}

// Options configure a source. The zero value asks for the device's defaults.
type Options struct {
	// Width and Height request a capture size from a device (the driver
	// may choose the nearest it supports) and set the synthetic pattern's
	// size when its spec has none.
	Width, Height int
	// FPS requests a frame rate from a device. Files, folders and the
	// synthetic pattern deliver frames at this rate, as a camera would;
	// 0 reads them as fast as they decode.
	FPS float64
	// Loop restarts a video file or image folder at its end instead of
	// reporting ErrEndOfStream.
	Loop bool
	// Clock paces file, folder and synthetic sources; nil is SystemClock.
	Clock Clock
}

func (o Options) clock() Clock {
	if o.Clock == nil {
		return SystemClock{}
	}
	return o.Clock
}

var (
	// ErrEndOfStream is returned by Read at the end of a non-looping video
	// file or image folder.
	ErrEndOfStream = errors.New("end of stream")
	// ErrNoCameraSupport is returned for devices, GStreamer pipelines and
	// video files by a binary built without cgo (and so without OpenCV).
	ErrNoCameraSupport = errors.New("this neonet was built without camera support (CGO_ENABLED=0): rebuild with cgo and OpenCV (libopencv-dev) for devices, GStreamer and video files")
	// ErrClosed is returned by Read on a source that is not open.
	ErrClosed = errors.New("not open")
	// ErrBadFrame is returned by Read for a frame that could not be read
	// (an image of a folder that does not decode); the source stays open
	// and the next Read goes on with the next frame.
	ErrBadFrame = errors.New("unreadable frame skipped")
)

// specGrammar is quoted in errors about a SPEC.
const specGrammar = "want synthetic[:WxH], a device index or /dev/videoN, gst:PIPELINE, a video file or an image folder"

// Open parses spec (see Parse) and opens the source.
func Open(spec string, opt Options) (Source, error) {
	src, err := Parse(spec, opt)
	if err != nil {
		return nil, err
	}
	if err := src.Open(); err != nil {
		return nil, err
	}
	return src, nil
}

// Parse returns the source a SPEC names, without opening it:
//
//	synthetic          the test pattern at Options' size, or 640x480
//	synthetic:WxH      the test pattern at W x H
//	N                  V4L2 device number N (/dev/videoN)
//	/dev/...           a V4L2 device by path
//	gst:PIPELINE       a GStreamer pipeline ending in appsink
//	PATH               a folder of images if PATH is a folder, else a video file;
//	                   which of the two is decided when it is opened, so
//	                   PATH need not exist yet
func Parse(spec string, opt Options) (Source, error) {
	switch {
	case spec == "":
		return nil, fmt.Errorf("camera: empty spec (%s)", specGrammar)
	case spec == "synthetic" || strings.HasPrefix(spec, "synthetic:"):
		w, h := 640, 480
		if opt.Width > 0 && opt.Height > 0 {
			w, h = opt.Width, opt.Height
		}
		if size, ok := strings.CutPrefix(spec, "synthetic:"); ok {
			var err error
			if w, h, err = ParseSize(size); err != nil {
				return nil, fmt.Errorf("camera spec %q: %w", spec, err)
			}
		}
		return NewSynthetic(w, h, opt), nil
	case strings.HasPrefix(spec, "gst:"):
		pipeline := strings.TrimSpace(strings.TrimPrefix(spec, "gst:"))
		if pipeline == "" {
			return nil, fmt.Errorf("camera spec %q: empty GStreamer pipeline", spec)
		}
		return newPipeline(pipeline, opt)
	case isDigits(spec):
		n, err := strconv.Atoi(spec)
		if err != nil {
			return nil, fmt.Errorf("camera spec %q: device number: %w", spec, err)
		}
		return newDevice(n, fmt.Sprintf("/dev/video%d", n), opt)
	case strings.HasPrefix(spec, "/dev/"):
		return newDevice(-1, spec, opt)
	}
	switch st, err := os.Stat(spec); {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("camera spec %q: %w (%s)", spec, err, specGrammar)
	case err == nil && !st.IsDir():
		if _, err := newVideoFile(spec, opt); err != nil {
			return nil, err // a video file this build cannot read
		}
	}
	return &pathSource{path: spec, opt: opt}, nil
}

// pathSource is a SPEC that is a path: a folder of images or a video file,
// told apart each time it is opened, so that a camera file missing when
// the daemon starts, removed for a while or replaced, is read once it is
// there.
type pathSource struct {
	path string
	opt  Options
	src  Source // the folder or the video file, as of the last Open
	dir  bool   // src is a folder
	open bool
}

func (p *pathSource) String() string { return p.path }

// Open implements Source.
func (p *pathSource) Open() error {
	if p.open {
		return nil
	}
	st, err := os.Stat(p.path)
	if err != nil {
		return statError(p.path, err)
	}
	if p.src == nil || st.IsDir() != p.dir {
		if p.src != nil {
			p.src.Close()
		}
		p.dir = st.IsDir()
		if p.dir {
			p.src = NewFolder(p.path, p.opt)
		} else if p.src, err = newVideoFile(p.path, p.opt); err != nil {
			return err
		}
	}
	if err := p.src.Open(); err != nil {
		return err
	}
	p.open = true
	return nil
}

// Read implements Source.
func (p *pathSource) Read(f *Frame) error {
	if !p.open {
		return fmt.Errorf("camera %s: %w", p.path, ErrClosed)
	}
	return p.src.Read(f)
}

// Close implements Source.
func (p *pathSource) Close() error {
	p.open = false
	if p.src == nil {
		return nil
	}
	return p.src.Close()
}

// statError says why a camera file or folder cannot be opened: "no such
// file or folder" rather than what a decoder makes of a missing file.
func statError(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("camera %s: no such file or folder", path)
	}
	return fmt.Errorf("camera %s: %w", path, err)
}

// ParseSize parses "WxH" with both sides positive.
func ParseSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(s, "x")
	if ok {
		w, err = strconv.Atoi(ws)
		if err == nil {
			h, err = strconv.Atoi(hs)
		}
	}
	if !ok || err != nil || w <= 0 || h <= 0 || w > 1<<14 || h > 1<<14 {
		return 0, 0, fmt.Errorf("size %q: want WIDTHxHEIGHT, e.g. 640x480, each side 1 to 16384", s)
	}
	return w, h, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// stamp numbers a frame just read and timestamps it.
func stamp(f *Frame, seq *uint64, clock Clock) {
	*seq++
	f.Seq = *seq
	f.Time = clock.Now()
}
