package camera

import (
	"fmt"
	"time"

	"neonet.dev/neonet/preprocess"
)

// Frame is one captured picture: 8-bit BGR pixels (OpenCV's order), row y
// starting at Pix[y*Stride]. Sources resize Pix as needed, so a Frame is
// reused from one read to the next without allocating.
type Frame struct {
	Pix           []byte
	Width, Height int
	Stride        int       // bytes per row, at least 3*Width
	Seq           uint64    // the source's frame number, from 1, continuing across reopens
	Time          time.Time // when the source delivered the frame
	// Skipped is the number of frames the Grabber dropped between the
	// previous frame Latest returned and this one (0 from a Source).
	Skipped uint64
}

// setSize makes f a w x h frame with packed rows, reusing Pix when it is
// large enough.
func (f *Frame) setSize(w, h int) {
	f.Width, f.Height, f.Stride = w, h, 3*w
	n := f.Stride * h
	if cap(f.Pix) < n {
		f.Pix = make([]byte, n)
	}
	f.Pix = f.Pix[:n]
}

// row returns the 3*Width bytes of row y.
func (f *Frame) row(y int) []byte { return f.Pix[y*f.Stride:][:3*f.Width] }

// check reports a frame whose buffer cannot hold its declared size.
func (f *Frame) check() error {
	ok := f.Width > 0 && f.Height > 0 && f.Width <= len(f.Pix)/3 && f.Stride >= 3*f.Width
	if ok && f.Height > 1 {
		// Stride*(Height-1) + 3*Width <= len(Pix), without overflow.
		ok = f.Stride <= (len(f.Pix)-3*f.Width)/(f.Height-1)
	}
	if !ok {
		return fmt.Errorf("camera: frame %dx%d with stride %d does not fit its %d bytes", f.Width, f.Height, f.Stride, len(f.Pix))
	}
	return nil
}

// RGB8 converts the frame to a packed RGB image, reusing dst (which may be
// nil) and returning it. This is the input of the float preprocessing path
// (preprocess.Spec.Tensor).
func (f *Frame) RGB8(dst *preprocess.RGB8) (*preprocess.RGB8, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if dst == nil {
		dst = &preprocess.RGB8{}
	}
	n := 3 * f.Width * f.Height
	if cap(dst.Pix) < n {
		dst.Pix = make([]uint8, n)
	}
	dst.W, dst.H, dst.Pix = f.Width, f.Height, dst.Pix[:n]
	o := 0
	for y := range f.Height {
		row := f.row(y)
		for i := 0; i < len(row); i += 3 {
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2] = row[i+2], row[i+1], row[i]
			o += 3
		}
	}
	return dst, nil
}

// setRGB8 fills f from a packed RGB image.
func (f *Frame) setRGB8(img *preprocess.RGB8) {
	f.setSize(img.W, img.H)
	for i := 0; i < len(img.Pix); i += 3 {
		f.Pix[i], f.Pix[i+1], f.Pix[i+2] = img.Pix[i+2], img.Pix[i+1], img.Pix[i]
	}
}
