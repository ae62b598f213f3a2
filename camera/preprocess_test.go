package camera

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/quant"
)

// referenceInt8 is the float path the Preprocessor replaces: the frame as
// an RGB image through Spec.Tensor, then Params.Quantize.
func referenceInt8(t testing.TB, spec preprocess.Spec, in quant.Params, f *Frame) []int8 {
	t.Helper()
	img, err := f.RGB8(nil)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, spec.Len())
	if err := spec.Tensor(img, x); err != nil {
		t.Fatal(err)
	}
	q := make([]int8, len(x))
	for i, v := range x {
		q[i] = in.Quantize(v)
	}
	return q
}

// testSpecs cover every filter, shrinking and enlarging, an axis that is
// not resized, a stretch without aspect (Resize 0) and crop padding.
func testSpecs() map[string]preprocess.Spec {
	padded := preprocess.ImageNet(200, 224, preprocess.Bilinear) // crop larger than the resize: padding
	wide := preprocess.ImageNet(256, 224, preprocess.Bilinear)
	wide.CropW = 300
	return map[string]preprocess.Spec{
		"imagenet-bilinear": preprocess.ImageNet(256, 224, preprocess.Bilinear),
		"imagenet-bicubic":  preprocess.ImageNet(256, 224, preprocess.Bicubic),
		"imagenet-nearest":  preprocess.ImageNet(256, 224, preprocess.Nearest),
		"efficientnet-b3":   preprocess.ImageNet(320, 300, preprocess.Bicubic),
		"upscale":           preprocess.ImageNet(600, 512, preprocess.Bilinear),
		"cifar10":           preprocess.CIFAR10(),
		"padded":            padded,
		"wide-crop":         wide,
	}
}

// testParams are input quantizations: a calibrated-looking one and one
// whose scale puts many values on rounding ties.
var testParams = []quant.Params{
	quant.ChooseParams(-2.1179, 2.64),
	{Scale: 1.0 / 32, Zero: -3},
}

func checkAgainstReference(t *testing.T, name string, f *Frame) {
	t.Helper()
	for specName, spec := range testSpecs() {
		for _, in := range testParams {
			p, err := NewPreprocessor(spec, in, f.Width, f.Height)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]int8, p.Len())
			if err := p.Run(got, f); err != nil {
				t.Fatal(err)
			}
			want := referenceInt8(t, spec, in, f)
			differ, worst := 0, 0
			for i := range got {
				if d := int(got[i]) - int(want[i]); d != 0 {
					differ++
					worst = max(worst, d, -d)
				}
			}
			// The tables reproduce the reference exactly; the product
			// requirement is at most 1 LSB, the test holds it to 0.
			if differ > 0 {
				t.Errorf("%s %dx%d, %s, %v: %d of %d values differ from Spec.Tensor+Quantize (max %d LSB)",
					name, f.Width, f.Height, specName, in, differ, len(got), worst)
			}
		}
	}
}

func TestPreprocessorMatchesReferenceOnPhotos(t *testing.T) {
	src := NewFolder(testenv.SharedData(t, "images", "samples"), Options{})
	if err := src.Open(); err != nil {
		t.Fatal(err)
	}
	var f Frame
	for range 13 {
		if err := src.Read(&f); err != nil {
			break
		}
		checkAgainstReference(t, fmt.Sprintf("photo %d", f.Seq), &f)
	}
	if f.Seq < 12 {
		t.Errorf("read %d sample photos, want all 12", f.Seq)
	}
}

func TestPreprocessorMatchesReferenceOnOddSizes(t *testing.T) {
	// Tiny, odd and exactly-crop-sized frames, with a row stride wider
	// than the pixels (as OpenCV may deliver).
	for _, size := range [][2]int{{1, 1}, {3, 7}, {33, 17}, {224, 224}, {256, 256}, {257, 341}, {641, 479}} {
		var f Frame
		f.setSize(size[0], size[1])
		SyntheticPattern(&f, uint64(size[0]+size[1]))
		padded := Frame{Width: f.Width, Height: f.Height, Stride: 3*f.Width + 5, Seq: f.Seq}
		padded.Pix = make([]byte, padded.Stride*f.Height)
		for y := range f.Height {
			copy(padded.Pix[y*padded.Stride:], f.row(y))
		}
		checkAgainstReference(t, "synthetic", &padded)
	}
}

func TestPreprocessorErrors(t *testing.T) {
	spec := preprocess.ImageNet(256, 224, preprocess.Bilinear)
	in := testParams[0]
	bad := []struct {
		spec preprocess.Spec
		in   quant.Params
		w, h int
	}{
		{preprocess.Spec{Resize: 256}, in, 640, 480},
		{spec, quant.Params{}, 640, 480},
		{spec, in, 0, 480},
		{preprocess.Spec{Resize: 256, CropH: 224, CropW: 224, Filter: 7, Std: [3]float32{1, 1, 1}}, in, 640, 480},
		{preprocess.Spec{Resize: 256, CropH: 224, CropW: 224}, in, 640, 480}, // zero std
	}
	for _, b := range bad {
		if _, err := NewPreprocessor(b.spec, b.in, b.w, b.h); err == nil {
			t.Errorf("NewPreprocessor(%+v, %v, %d, %d) accepted", b.spec, b.in, b.w, b.h)
		}
	}
	p, err := NewPreprocessor(spec, in, 640, 480)
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	f.setSize(320, 240)
	if err := p.Run(make([]int8, p.Len()), &f); err == nil {
		t.Error("Run accepted a frame of the wrong size")
	}
	f.setSize(640, 480)
	if err := p.Run(make([]int8, p.Len()-1), &f); err == nil {
		t.Error("Run accepted a short destination")
	}
	f.Pix = f.Pix[:100]
	if err := p.Run(make([]int8, p.Len()), &f); err == nil {
		t.Error("Run accepted a frame whose buffer is too small")
	}
}

func TestPreprocessorAllocatesNothing(t *testing.T) {
	var f Frame
	f.setSize(640, 480)
	SyntheticPattern(&f, 1)
	p, err := NewPreprocessor(preprocess.ImageNet(256, 224, preprocess.Bilinear), testParams[0], 640, 480)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]int8, p.Len())
	if n := testing.AllocsPerRun(20, func() {
		if err := p.Run(dst, &f); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Run allocates %v times per frame, want 0", n)
	}
}

// BenchmarkPreprocessor measures one frame, camera size to model input.
func BenchmarkPreprocessor(b *testing.B) {
	cases := []struct {
		name string
		w, h int
		spec preprocess.Spec
	}{
		{"640x480-to-224-bilinear", 640, 480, preprocess.ImageNet(256, 224, preprocess.Bilinear)},
		{"640x480-to-224-bicubic", 640, 480, preprocess.ImageNet(256, 224, preprocess.Bicubic)},
		{"1280x720-to-224-bilinear", 1280, 720, preprocess.ImageNet(256, 224, preprocess.Bilinear)},
		{"320x240-to-224-bilinear", 320, 240, preprocess.ImageNet(256, 224, preprocess.Bilinear)},
		{"640x480-to-300-bicubic", 640, 480, preprocess.ImageNet(320, 300, preprocess.Bicubic)},
		{"640x480-to-32-cifar", 640, 480, preprocess.CIFAR10()},
	}
	for _, c := range cases {
		var f Frame
		f.setSize(c.w, c.h)
		SyntheticPattern(&f, 1)
		b.Run(c.name, func(b *testing.B) {
			p, err := NewPreprocessor(c.spec, testParams[0], c.w, c.h)
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]int8, p.Len())
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start, ok := threadCPU()
			for b.Loop() {
				if err := p.Run(dst, &f); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start, ok)
		})
	}
}

// BenchmarkReferencePreprocessing is the float path for comparison: BGR to
// RGB, Spec.Tensor, then quantizing every value.
func BenchmarkReferencePreprocessing(b *testing.B) {
	var f Frame
	f.setSize(640, 480)
	SyntheticPattern(&f, 1)
	spec := preprocess.ImageNet(256, 224, preprocess.Bilinear)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, ok := threadCPU()
	for b.Loop() {
		referenceInt8(b, spec, testParams[0], &f)
	}
	reportCPU(b, start, ok)
}

// reportCPU adds the benchmark's CPU time per frame ("cpu-ms/op"), the
// figure to quote from a machine shared with other work.
func reportCPU(b *testing.B, start time.Duration, ok bool) {
	end, endOK := threadCPU()
	if ok && endOK && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N)/1e6, "cpu-ms/op")
	}
}

func TestFrameCheckRejectsInconsistentFrames(t *testing.T) {
	for _, f := range []Frame{
		{},
		{Width: 2, Height: 2, Stride: 6, Pix: make([]byte, 11)},
		{Width: 2, Height: 2, Stride: 5, Pix: make([]byte, 12)},
		{Width: 2, Height: 3, Stride: math.MaxInt, Pix: make([]byte, 18)},
		{Width: -1, Height: 1, Stride: 0, Pix: make([]byte, 3)},
	} {
		if _, err := f.RGB8(nil); err == nil {
			t.Errorf("frame %dx%d stride %d with %d bytes accepted", f.Width, f.Height, f.Stride, len(f.Pix))
		}
	}
	ok := Frame{Width: 2, Height: 2, Stride: 7, Pix: make([]byte, 13)}
	if _, err := ok.RGB8(nil); err != nil {
		t.Errorf("a padded frame whose last row is short of the stride: %v", err)
	}
}
