package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
	"sync/atomic"
	"time"

	"neonet.dev/neonet/camera"
)

// jpegQuality is the live picture's JPEG quality: a 640x480 frame is
// about 40 kB.
const jpegQuality = 75

// stream turns the frames the model saw into JPEGs, at most one every
// interval and only while someone watches. The loop copies the pixels
// into one of two buffers; the encoder goroutine takes them from there.
type stream struct {
	interval time.Duration
	watchers atomic.Int32
	last     time.Time               // of the last frame copied; the loop's own
	free     chan *camera.Frame      // buffers the loop may fill
	work     chan *camera.Frame      // filled buffers for the encoder
	grabs    chan chan *camera.Frame // requests for a copy of the next frame

	mu    sync.Mutex
	jpeg  []byte        // the newest JPEG, never changed once published
	fresh chan struct{} // closed when a newer JPEG is published
}

func newStream(fps float64) *stream {
	s := &stream{
		interval: time.Duration(float64(time.Second) / fps),
		free:     make(chan *camera.Frame, 2),
		work:     make(chan *camera.Frame, 2),
		grabs:    make(chan chan *camera.Frame, maxGrabs),
		fresh:    make(chan struct{}),
	}
	s.free <- &camera.Frame{}
	s.free <- &camera.Frame{}
	return s
}

// offer hands a copy of the frame to those who asked for one (grab), and
// copies it for the encoder when someone watches, the last copy is at
// least interval old and a buffer is free. Without a grab it does not
// allocate once the buffers have the frame's size.
func (s *stream) offer(f *camera.Frame, now time.Time) {
	if f != nil && len(s.grabs) > 0 {
		s.handOut(f)
	}
	if f == nil || s.watchers.Load() == 0 || now.Sub(s.last) < s.interval {
		return
	}
	var buf *camera.Frame
	select {
	case buf = <-s.free:
	default:
		return // the encoder is busy with both
	}
	copyFrame(buf, f)
	s.last = now
	s.work <- buf // never blocks: work holds every buffer
}

// maxGrabs is how many requests for a frame may wait for the next one.
const maxGrabs = 8

// handOut gives one copy of f to every waiting grab.
func (s *stream) handOut(f *camera.Frame) {
	var cp *camera.Frame
	for {
		select {
		case c := <-s.grabs:
			if cp == nil {
				cp = &camera.Frame{}
				copyFrame(cp, f)
			}
			c <- cp // never blocks: c has room for it
		default:
			return
		}
	}
}

// grab returns a copy of the next frame the model sees (the copy is
// shared with other grabs of the same frame: read it only). It fails when
// none comes within wait, ctx ends or too many grabs wait.
func (s *stream) grab(ctx context.Context, wait time.Duration) (*camera.Frame, error) {
	c := make(chan *camera.Frame, 1)
	select {
	case s.grabs <- c:
	default:
		return nil, fmt.Errorf("%d frames asked for already: try again", maxGrabs)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case f := <-c:
		return f, nil
	case <-t.C:
		return nil, fmt.Errorf("no frame from the camera in %v", wait)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// copyFrame copies src into dst with packed rows.
func copyFrame(dst, src *camera.Frame) {
	row := 3 * src.Width
	n := row * src.Height
	if cap(dst.Pix) < n {
		dst.Pix = make([]byte, n)
	}
	dst.Pix = dst.Pix[:n]
	for y := range src.Height {
		copy(dst.Pix[y*row:(y+1)*row], src.Pix[y*src.Stride:])
	}
	dst.Width, dst.Height, dst.Stride, dst.Seq, dst.Time = src.Width, src.Height, row, src.Seq, src.Time
}

// encode runs until done: each copied frame becomes the newest JPEG.
func (s *stream) encode(done <-chan struct{}) {
	var img image.RGBA
	var out bytes.Buffer
	for {
		var f *camera.Frame
		select {
		case <-done:
			return
		case f = <-s.work:
		}
		toRGBA(&img, f)
		s.free <- f
		out.Reset()
		if err := jpeg.Encode(&out, &img, &jpeg.Options{Quality: jpegQuality}); err != nil {
			continue // an empty frame; the next one will do
		}
		s.publish(bytes.Clone(out.Bytes()))
	}
}

// toRGBA converts a BGR frame into img, reusing its pixels.
func toRGBA(img *image.RGBA, f *camera.Frame) {
	n := 4 * f.Width * f.Height
	if cap(img.Pix) < n {
		img.Pix = make([]byte, n)
	}
	img.Pix, img.Stride, img.Rect = img.Pix[:n], 4*f.Width, image.Rect(0, 0, f.Width, f.Height)
	src := f.Pix[:3*f.Width*f.Height]
	for i, o := 0, 0; i < len(src); i, o = i+3, o+4 {
		img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = src[i+2], src[i+1], src[i], 0xff
	}
}

func (s *stream) publish(j []byte) {
	s.mu.Lock()
	s.jpeg = j
	close(s.fresh)
	s.fresh = make(chan struct{})
	s.mu.Unlock()
}

// current returns the newest JPEG (nil before the first) and a channel
// closed when a newer one is published.
func (s *stream) current() ([]byte, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jpeg, s.fresh
}

// watch counts a watcher until the returned function is called.
func (s *stream) watch() (stop func()) {
	s.watchers.Add(1)
	return func() { s.watchers.Add(-1) }
}
