package preprocess

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"io"
	"os"

	"golang.org/x/image/bmp"
)

// maxPixels bounds the image size Decode accepts, so that a corrupt or
// hostile header cannot make us allocate gigabytes (about 8k x 8k).
const maxPixels = 1 << 26

// Decode reads a JPEG, PNG or BMP file. Errors name the file.
//
// The result keeps the decoder's native type (*image.YCbCr, *image.Gray,
// *image.CMYK, *image.NRGBA, *RGB8, ...); ToRGB8 and Spec.Tensor convert it
// to RGB the way PIL's convert("RGB") would, including libjpeg's chroma
// upsampling for JPEG.
func Decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %w", err) // *PathError names the file
	}
	defer f.Close()
	return DecodeReader(f, path)
}

// DecodeReader is Decode for an already open stream; name is used in error
// messages only. The format is recognised from the first bytes, not from the
// name.
func DecodeReader(r io.Reader, name string) (image.Image, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("preprocess: read %s: %w", name, err)
	}
	img, err := decodeBytes(data, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("preprocess: decode %s: %w", name, err)
	}
	return img, nil
}

type format struct {
	name   string
	magic  string
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var formats = []format{
	{"jpeg", "\xff\xd8", jpeg.DecodeConfig, jpeg.Decode},
	{"png", "\x89PNG\r\n\x1a\n", png.DecodeConfig, png.Decode},
	{"bmp", "BM", bmp.DecodeConfig, bmp.Decode},
}

// decodeBytes decodes an image of at most limit pixels.
func decodeBytes(data []byte, limit int) (image.Image, error) {
	for _, f := range formats {
		if !bytes.HasPrefix(data, []byte(f.magic)) {
			continue
		}
		cfg, err := f.config(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, noEOF(err))
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > limit/cfg.Height {
			return nil, fmt.Errorf("%s: unsupported size %dx%d", f.name, cfg.Width, cfg.Height)
		}
		img, err := f.decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, noEOF(err))
		}
		return img, nil
	}
	if len(data) == 0 {
		return nil, errors.New("empty file")
	}
	return nil, errors.New("unknown image format (want JPEG, PNG or BMP)")
}

// noEOF turns a bare EOF from a decoder, which would read as a clean end of
// input, into an explicit truncation error.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated file: %w", io.ErrUnexpectedEOF)
	}
	return err
}
