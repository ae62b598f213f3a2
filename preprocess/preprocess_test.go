package preprocess

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neonet.dev/neonet/internal/testenv"
)

// The reference outputs in testdata were produced by PIL and torchvision
// with testdata/pil_reference.py; see that script to regenerate them.

type manifest struct {
	PIL    string
	Decode []struct {
		File, Ref string
		W, H      int
		Exact     bool
	}
	Resize []struct {
		Src, Filter, Ref string
		W, H             int
	}
	Tensor []struct {
		Src, Filter, Ref string
		Resize           int
		CropH            int `json:"crop_h"`
		CropW            int `json:"crop_w"`
		Mean, Std        [3]float32
	}
}

func loadManifest(t *testing.T) *manifest {
	t.Helper()
	var m manifest
	if err := json.Unmarshal(testenv.Testdata(t, "reference.json"), &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func decodeRGB(t testing.TB, name string) *RGB8 {
	t.Helper()
	img, err := Decode(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return ToRGB8(img)
}

func parseFilter(t *testing.T, s string) Filter {
	t.Helper()
	for _, f := range []Filter{Bilinear, Bicubic, Nearest} {
		if f.String() == s {
			return f
		}
	}
	t.Fatalf("unknown filter %q", s)
	return 0
}

// pixelDiff compares two byte images: number of differing bytes, largest
// and mean absolute difference.
func pixelDiff(a, b []uint8) (n, maxD int, mean float64) {
	sum := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		if d != 0 {
			n++
		}
		maxD = max(maxD, d)
		sum += d
	}
	return n, maxD, float64(sum) / float64(len(a))
}

// TestDecodeMatchesPIL compares decoded pixels with PIL's convert("RGB").
// PNG, BMP and the blocky JPEGs (flat 8x8 blocks, which every IDCT decodes
// exactly) must match exactly: this pins chroma upsampling and colour
// conversion to libjpeg-turbo's. Photographic JPEGs differ only where Go's
// IDCT rounds differently from libjpeg's integer IDCT.
func TestDecodeMatchesPIL(t *testing.T) {
	for _, c := range loadManifest(t).Decode {
		t.Run(c.File, func(t *testing.T) {
			got := decodeRGB(t, c.File)
			want := testenv.Testdata(t, c.Ref)
			if got.W != c.W || got.H != c.H || len(got.Pix) != len(want) {
				t.Fatalf("size %dx%d, want %dx%d", got.W, got.H, c.W, c.H)
			}
			n, maxD, mean := pixelDiff(got.Pix, want)
			t.Logf("%d/%d values differ, max %d, mean abs %.4f", n, len(want), maxD, mean)
			switch {
			case c.Exact && n != 0:
				t.Errorf("want identical pixels, %d differ (max %d)", n, maxD)
			case !c.Exact && (maxD > 3 || mean > 0.06):
				// Measured: max 3, mean abs <= 0.045 on these files.
				t.Errorf("max diff %d (limit 3), mean abs %.4f (limit 0.06)", maxD, mean)
			}
		})
	}
}

func TestResizeMatchesPIL(t *testing.T) {
	m := loadManifest(t)
	src := decodeRGB(t, "photo.png")
	for _, c := range m.Resize {
		f := parseFilter(t, c.Filter)
		t.Run(strings.TrimSuffix(c.Ref, ".rgb"), func(t *testing.T) {
			got := Resize(src, c.W, c.H, f)
			want := testenv.Testdata(t, c.Ref)
			if n, maxD, _ := pixelDiff(got.Pix, want); n != 0 {
				t.Errorf("%d/%d values differ from PIL, max %d", n, len(want), maxD)
			}
		})
	}
}

func TestResizeIntoReusesBuffer(t *testing.T) {
	src := decodeRGB(t, "photo.png")
	dst := &RGB8{W: 57, H: 43, Pix: make([]uint8, 80*60*3)}
	p := &dst.Pix[0]
	ResizeInto(dst, src, Bicubic)
	if &dst.Pix[0] != p {
		t.Error("ResizeInto reallocated a large enough buffer")
	}
	if want := Resize(src, 57, 43, Bicubic); !bytes.Equal(dst.Pix, want.Pix) {
		t.Error("ResizeInto differs from Resize")
	}
	same := Resize(src, src.W, src.H, Bilinear)
	if !bytes.Equal(same.Pix, src.Pix) {
		t.Error("resize to the same size changed pixels")
	}
}

// TestTensorMatchesTorchvision runs Spec.Tensor on PNG inputs (whose decode
// is exact) against torchvision's Resize/CenterCrop/ToTensor/Normalize.
func TestTensorMatchesTorchvision(t *testing.T) {
	for i, c := range loadManifest(t).Tensor {
		spec := Spec{Resize: c.Resize, CropH: c.CropH, CropW: c.CropW,
			Filter: parseFilter(t, c.Filter), Mean: c.Mean, Std: c.Std}
		t.Run(c.Ref, func(t *testing.T) {
			raw := testenv.Testdata(t, c.Ref)
			want := make([]float32, len(raw)/4)
			if err := binary.Read(bytes.NewReader(raw), binary.LittleEndian, want); err != nil {
				t.Fatal(err)
			}
			got, err := spec.Load(filepath.Join("testdata", c.Src))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("len %d, want %d", len(got), len(want))
			}
			maxD := 0.0
			for j := range got {
				maxD = max(maxD, math.Abs(float64(got[j]-want[j])))
			}
			t.Logf("case %d: max abs diff %g", i, maxD)
			if maxD > 1e-6 {
				t.Errorf("max abs diff %g > 1e-6", maxD)
			}
		})
	}
}

func TestPresets(t *testing.T) {
	in := ImageNet(256, 224, Bicubic)
	if in.Resize != 256 || in.CropH != 224 || in.CropW != 224 || in.Filter != Bicubic ||
		in.Mean != [3]float32{0.485, 0.456, 0.406} || in.Std != [3]float32{0.229, 0.224, 0.225} {
		t.Errorf("ImageNet: %+v", in)
	}
	c := CIFAR10()
	if c.Resize != 0 || c.CropH != 32 || c.CropW != 32 || c.Len() != 32*32*3 {
		t.Errorf("CIFAR10: %+v", c)
	}
}

func TestResizedSize(t *testing.T) {
	s := ImageNet(256, 224, Bilinear)
	for _, c := range []struct{ w, h, ww, wh int }{
		{500, 375, 341, 256},
		{375, 500, 256, 341},
		{333, 500, 256, 384},
		{256, 256, 256, 256},
		{100, 50, 512, 256},
		{1, 1 << 26, 256, 1 << 30}, // 2^34 clamped, an int on 32-bit too
	} {
		if w, h := s.ResizedSize(c.w, c.h); w != c.ww || h != c.wh {
			t.Errorf("%dx%d -> %dx%d, want %dx%d", c.w, c.h, w, h, c.ww, c.wh)
		}
	}
}

func TestCropOffset(t *testing.T) {
	// Python: int(round((n - c) / 2.0)) rounds halves to even;
	// padding puts (c - n) // 2 zeros first.
	for _, c := range []struct{ n, c, want int }{
		{10, 10, 0}, {11, 10, 0}, {12, 10, 1}, {13, 10, 2}, {15, 10, 2}, {17, 10, 4},
		{256, 224, 16}, {9, 10, 0}, {7, 10, -1}, {6, 10, -2},
	} {
		if got := cropOffset(c.n, c.c); got != c.want {
			t.Errorf("cropOffset(%d, %d) = %d, want %d", c.n, c.c, got, c.want)
		}
	}
}

func TestTensorErrors(t *testing.T) {
	img := NewRGB8(4, 4)
	s := CIFAR10()
	if err := s.Tensor(img, make([]float32, 10)); err == nil {
		t.Error("short dst: no error")
	}
	if err := (Spec{CropH: 0, CropW: 3, Std: [3]float32{1, 1, 1}}).Tensor(img, nil); err == nil {
		t.Error("zero crop: no error")
	}
	if err := (Spec{CropH: 2, CropW: 2}).Tensor(img, make([]float32, 12)); err == nil {
		t.Error("zero std: no error")
	}
	if err := s.Tensor(NewRGB8(0, 0), make([]float32, s.Len())); err == nil {
		t.Error("empty image: no error")
	}
	// 1x65536 resized by its shorter side would be 256x16777216 (12 GB).
	in := ImageNet(256, 224, Bilinear)
	if err := in.Tensor(NewRGB8(1, 1<<16), make([]float32, in.Len())); err == nil || !strings.Contains(err.Error(), "resizes to 256x16777216") {
		t.Errorf("an image too elongated to resize: %v", err)
	}
	if err := in.Tensor(NewRGB8(1, 512), make([]float32, in.Len())); err != nil {
		t.Errorf("1x512 resized to 256x131072: %v", err)
	}
}

// TestDecodeErrors checks that broken files give an error naming the file
// and never a panic.
func TestDecodeErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string][]byte{"empty.jpg": nil, "text.png": []byte("not an image")}
	for _, f := range []string{"photo_420.jpg", "progressive.jpg", "photo.png", "photo.bmp", "palette.bmp"} {
		data := testenv.Testdata(t, f)
		cases["truncated_"+f] = data[:len(data)/2]
		cases["header_"+f] = data[:min(len(data), 20)]
		cases["corrupt_"+f] = corrupt(data)
	}
	for name, data := range cases {
		p := write(name, data)
		img, err := Decode(p)
		if err == nil {
			t.Errorf("%s: decoded a %v image, want an error", name, img.Bounds())
			continue
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if _, err := Decode(filepath.Join(dir, "missing.jpg")); err == nil || !strings.Contains(err.Error(), "missing.jpg") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := CIFAR10().Load(filepath.Join(dir, "text.png")); err == nil {
		t.Error("Load of a bad file: no error")
	}
}

// corrupt damages the header of an image file after its magic bytes. JPEG
// decoders skip unknown bytes between markers, so for JPEG the frame
// header's height and width are zeroed instead.
func corrupt(data []byte) []byte {
	bad := bytes.Clone(data)
	if bytes.HasPrefix(bad, []byte{0xff, 0xd8}) {
		for _, sof := range [][]byte{{0xff, 0xc0}, {0xff, 0xc2}} { // baseline, progressive
			if i := bytes.Index(bad, sof); i > 0 {
				clear(bad[i+5 : i+9])
				return bad
			}
		}
	}
	for i := 2; i < 64; i++ {
		bad[i] ^= 0xa5
	}
	return bad
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"blocky_420.jpg", "progressive.jpg", "gray.jpg", "cmyk.jpg",
		"rgba.png", "photo.bmp", "palette.bmp"} {
		f.Add(testenv.Testdata(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A small size limit keeps the fuzzer fast: a few header bytes can
		// claim an image of maxPixels, which takes seconds to decode.
		img, err := decodeBytes(data, 1<<20)
		if err != nil {
			return
		}
		rgb := ToRGB8(img)
		if b := img.Bounds(); rgb.W != b.Dx() || rgb.H != b.Dy() || len(rgb.Pix) != rgb.W*rgb.H*3 {
			t.Fatalf("ToRGB8 of %v gave %dx%d with %d bytes", b, rgb.W, rgb.H, len(rgb.Pix))
		}
		if rgb.W*rgb.H <= 1<<16 {
			if err := CIFAR10().Tensor(rgb, make([]float32, 32*32*3)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func BenchmarkImageNetTensor(b *testing.B) {
	img, err := Decode(filepath.Join("testdata", "photo_420.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	s := ImageNet(256, 224, Bilinear)
	dst := make([]float32, s.Len())
	for b.Loop() {
		if err := s.Tensor(img, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func TestToRGB8Types(t *testing.T) {
	rgba := image.NewRGBA(image.Rect(0, 0, 2, 1))
	rgba.Set(0, 0, color.RGBA{10, 20, 30, 255})
	rgba.Set(1, 0, color.NRGBA{200, 100, 50, 128}) // stored premultiplied
	got := ToRGB8(rgba).Pix
	want := []uint8{10, 20, 30, 200, 100, 50}
	for i := range want {
		if d := int(got[i]) - int(want[i]); d < -1 || d > 1 { // un-premultiplying loses a little
			t.Fatalf("RGBA: got %v, want %v", got, want)
		}
	}

	src := NewRGB8(2, 2)
	src.Pix[0] = 7
	cp := ToRGB8(src)
	cp.Pix[0] = 9
	if src.Pix[0] != 7 {
		t.Error("ToRGB8 shares memory with an *RGB8 input")
	}
	if c := src.At(0, 0).(color.RGBA); c != (color.RGBA{7, 0, 0, 255}) {
		t.Errorf("At(0, 0) = %v", c)
	}
}

// TestToRGB8SubImages converts sub-images (bounds not at the origin) of
// every type with its own conversion and compares with the generic path.
func TestToRGB8SubImages(t *testing.T) {
	r := image.Rect(0, 0, 7, 5)
	sub := image.Rect(2, 1, 6, 4)
	gray, nrgba, cmyk := image.NewGray(r), image.NewNRGBA(r), image.NewCMYK(r)
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 7)
	}
	for i := range nrgba.Pix {
		nrgba.Pix[i] = uint8(i*13 + 5)
		if i%4 == 3 { // opaque: the generic path would lose the colour of a transparent pixel
			nrgba.Pix[i] = 255
		}
		cmyk.Pix[i] = uint8(i*29 + 3)
	}
	for _, img := range []image.Image{gray.SubImage(sub), nrgba.SubImage(sub), cmyk.SubImage(sub)} {
		got, want := ToRGB8(img), genericToRGB8(img)
		if got.W != 4 || got.H != 3 {
			t.Fatalf("%T: %dx%d, want 4x3", img, got.W, got.H)
		}
		if _, ok := img.(*image.CMYK); ok {
			// Pillow's CMYK rule may differ from Go's by one level.
			if n, maxD, _ := pixelDiff(got.Pix, want.Pix); maxD > 1 {
				t.Errorf("%T: %d values differ, by up to %d", img, n, maxD)
			}
			continue
		}
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%T: got %v, want %v", img, got.Pix, want.Pix)
		}
	}
}

func TestCenterCrop(t *testing.T) {
	for _, c := range []struct {
		n, c int
		want Crop
	}{
		{256, 224, Crop{Offset: 16, Valid: 224}},
		{13, 10, Crop{Offset: 2, Valid: 10}},
		{7, 10, Crop{Offset: -1, Before: 1, Valid: 7, After: 2}},
		{1, 4, Crop{Offset: -1, Before: 1, Valid: 1, After: 2}},
	} {
		got := CenterCrop(c.n, c.c)
		if got != c.want {
			t.Errorf("CenterCrop(%d, %d) = %+v, want %+v", c.n, c.c, got, c.want)
		}
		if got.Inside(got.Before-1) || !got.Inside(got.Before) || !got.Inside(got.Before+got.Valid-1) || got.Inside(got.Before+got.Valid) {
			t.Errorf("CenterCrop(%d, %d).Inside disagrees with %+v", c.n, c.c, got)
		}
	}
}
