//go:build cgo

package camera

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"gocv.io/x/gocv"
)

// captureKind says what an OpenCV VideoCapture reads.
type captureKind int

const (
	v4l2Device captureKind = iota
	gstPipeline
	videoFile
)

// capture is a source read through OpenCV's VideoCapture: a V4L2 device, a
// GStreamer pipeline or a video file.
type capture struct {
	kind   captureKind
	index  int    // device number, or -1 to open by path
	target string // device path, pipeline or file
	opt    Options
	vc     *gocv.VideoCapture
	mat    gocv.Mat // decoded frame, reused
	bgr    gocv.Mat // colour conversion of grey or BGRA frames, reused
	seq    uint64
	pace   pacer
}

func newDevice(index int, path string, opt Options) (Source, error) {
	return &capture{kind: v4l2Device, index: index, target: path, opt: opt}, nil
}

func newPipeline(pipeline string, opt Options) (Source, error) {
	return &capture{kind: gstPipeline, index: -1, target: pipeline, opt: opt}, nil
}

func newVideoFile(path string, opt Options) (Source, error) {
	return &capture{kind: videoFile, index: -1, target: path, opt: opt, pace: newPacer(opt.clock(), opt.FPS)}, nil
}

func (c *capture) String() string {
	if c.kind == gstPipeline {
		return "gst:" + c.target
	}
	return c.target
}

// Open opens the VideoCapture and, for a device, asks for MJPG (which USB
// cameras deliver at higher rates than raw YUYV), the requested size and
// rate, and a one-frame driver queue so that a read returns a fresh frame
// rather than one that waited in the queue.
func (c *capture) Open() error {
	if c.vc != nil {
		return nil
	}
	if c.kind == videoFile {
		// Checked first: OpenCV calls a missing file one it cannot decode.
		if _, err := os.Stat(c.target); err != nil {
			return statError(c.target, err)
		}
	}
	if c.kind == v4l2Device {
		// Checked first because OpenCV's own error says only "can't open".
		st, err := os.Stat(c.target)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("camera %s: no such device (is the camera plugged in? ls /dev/video*)", c)
		case err != nil:
			return fmt.Errorf("camera %s: %w", c, err)
		case st.Mode()&fs.ModeCharDevice == 0:
			return fmt.Errorf("camera %s: not a video device (want a character device such as /dev/video0)", c)
		}
	}
	var vc *gocv.VideoCapture
	var err error
	switch {
	case c.kind == v4l2Device && c.index >= 0:
		vc, err = gocv.VideoCaptureDeviceWithAPI(c.index, gocv.VideoCaptureV4L2)
	case c.kind == v4l2Device:
		vc, err = gocv.VideoCaptureFileWithAPI(c.target, gocv.VideoCaptureV4L2)
	case c.kind == gstPipeline:
		vc, err = gocv.VideoCaptureFileWithAPI(c.target, gocv.VideoCaptureGstreamer)
	default:
		// FFmpeg only: other backends tried in turn (GStreamer) add
		// nothing for a file but their own complaints when it is broken.
		vc, err = gocv.VideoCaptureFileWithAPI(c.target, gocv.VideoCaptureFFmpeg)
	}
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close()
		}
		return fmt.Errorf("camera %s: cannot open: %s", c, c.openHint())
	}
	if c.kind == v4l2Device {
		vc.Set(gocv.VideoCaptureFOURCC, vc.ToCodec("MJPG")) // ignored by drivers without MJPG
		if c.opt.Width > 0 && c.opt.Height > 0 {
			vc.Set(gocv.VideoCaptureFrameWidth, float64(c.opt.Width))
			vc.Set(gocv.VideoCaptureFrameHeight, float64(c.opt.Height))
		}
		if c.opt.FPS > 0 {
			vc.Set(gocv.VideoCaptureFPS, c.opt.FPS)
		}
		vc.Set(gocv.VideoCaptureBufferSize, 1)
	}
	c.vc = vc
	c.mat, c.bgr = gocv.NewMat(), gocv.NewMat()
	return nil
}

// openHint explains the usual reasons OpenCV refuses to open a source.
func (c *capture) openHint() string {
	switch c.kind {
	case v4l2Device:
		return "busy (another program has it open) or not a capture device (v4l2-ctl --list-devices)"
	case gstPipeline:
		return "OpenCV without GStreamer support, an unknown element, or a pipeline that does not end in appsink (gst-launch-1.0 tests it)"
	}
	return "not a video OpenCV's FFmpeg backend can decode"
}

// Close implements Source.
func (c *capture) Close() error {
	if c.vc != nil {
		c.vc.Close()
		c.mat.Close()
		c.bgr.Close()
		c.vc = nil
	}
	return nil
}

// Read implements Source. At the end of a looping file it opens the file
// again, so that a file removed or replaced meanwhile is noticed.
func (c *capture) Read(f *Frame) error {
	if c.vc == nil {
		return fmt.Errorf("camera %s: %w", c, ErrClosed)
	}
	c.pace.wait()
	if !c.vc.Read(&c.mat) || c.mat.Empty() {
		if c.kind != videoFile {
			return fmt.Errorf("camera %s: no frame: %s", c, c.readHint())
		}
		if !c.opt.Loop {
			return fmt.Errorf("camera %s: %w after %d frames", c, ErrEndOfStream, c.seq)
		}
		c.Close()
		if err := c.Open(); err != nil {
			return err
		}
		if !c.vc.Read(&c.mat) || c.mat.Empty() {
			return fmt.Errorf("camera %s: no frame after restarting the file", c)
		}
	}
	if err := c.store(f); err != nil {
		return err
	}
	stamp(f, &c.seq, c.opt.clock())
	return nil
}

// readHint tells why a device or pipeline stopped delivering.
func (c *capture) readHint() string {
	if c.kind == v4l2Device {
		if _, err := os.Stat(c.target); errors.Is(err, fs.ErrNotExist) {
			return "device removed (unplugged)"
		}
		return "the driver returned no frame (camera stalled, unplugged or taken by another program)"
	}
	return "the pipeline stopped (end of stream or an element failed; GST_DEBUG=2 shows why)"
}

// store copies the decoded Mat into f as packed BGR.
func (c *capture) store(f *Frame) error {
	m := &c.mat
	switch m.Type() {
	case gocv.MatTypeCV8UC3:
	case gocv.MatTypeCV8UC1:
		gocv.CvtColor(c.mat, &c.bgr, gocv.ColorGrayToBGR)
		m = &c.bgr
	case gocv.MatTypeCV8UC4:
		gocv.CvtColor(c.mat, &c.bgr, gocv.ColorBGRAToBGR)
		m = &c.bgr
	default:
		return fmt.Errorf("camera %s: frames of OpenCV type %v, want 8-bit BGR (a GStreamer pipeline should end in video/x-raw,format=BGR ! appsink)", c, m.Type())
	}
	w, h := m.Cols(), m.Rows()
	step := m.Step()
	data, err := m.DataPtrUint8()
	if err != nil || step < 3*w || len(data) < step*(h-1)+3*w {
		return fmt.Errorf("camera %s: unreadable %dx%d frame (%v)", c, w, h, err)
	}
	f.setSize(w, h)
	for y := range h {
		copy(f.row(y), data[y*step:][:3*w])
	}
	return nil
}
