package modelfile

import (
	"errors"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/preprocess"
)

// Magic starts every model file; the NUL keeps it from reading as text.
const Magic = "NEONETM\x00"

// Version is the format version this package writes and reads.
const Version = 1

const (
	headerSize = 64
	align      = 64 // array alignment: a cache line, more than any SIMD load needs

	// Header field offsets.
	offVersion  = 8
	offChecksum = 12
	offFlags    = 16 // the checksum covers everything from here on
	offHdrSize  = 20
	offFileSize = 24
	offMetaOff  = 32
	offMetaLen  = 40
	offDataOff  = 48
	offDataLen  = 56
)

// Fixed descriptions of the preprocessing this version supports; a reader
// refuses any other, so a future writer can describe a new convention
// without old readers misinterpreting it.
const (
	colorOrder = "RGB"
	layoutNHWC = "NHWC"
	normalize  = "(x/255-mean)/std"
)

// Errors that Read wraps, for callers that react to the kind of failure
// (errors.Is); the messages themselves name the file and the field.
var (
	ErrNotModelFile = errors.New("not a neonet model file")
	ErrVersion      = errors.New("unsupported model file version")
	ErrTruncated    = errors.New("model file truncated")
	ErrChecksum     = errors.New("checksum mismatch: file is corrupt")
	ErrInvalid      = errors.New("invalid model file")
)

// Info describes a model file as stored.
type Info struct {
	Version  int    // format version
	Size     int64  // bytes
	Checksum string // "crc32c:" and 8 hex digits
	Metadata int64  // bytes of JSON metadata
	Data     int64  // bytes of the data section
}

// The metadata schema (see doc.go). Field names are snake_case JSON.
type (
	fileMeta struct {
		Name        string          `json:"name"`
		Calibration string          `json:"calibration,omitempty"`
		Input       int             `json:"input"`
		Output      int             `json:"output"`
		Labels      []string        `json:"labels,omitempty"`
		Preprocess  *metaPreprocess `json:"preprocess,omitempty"`
		Tensors     []metaTensor    `json:"tensors"`
		Nodes       []metaNode      `json:"nodes"`
	}
	metaPreprocess struct {
		Resize     int        `json:"resize"`
		CropH      int        `json:"crop_h"`
		CropW      int        `json:"crop_w"`
		Filter     string     `json:"filter"`
		Mean       [3]float32 `json:"mean"`
		Std        [3]float32 `json:"std"`
		ColorOrder string     `json:"color_order"`
		Layout     string     `json:"layout"`
		Normalize  string     `json:"normalize"`
	}
	metaTensor struct {
		Name  string  `json:"name"`
		Shape []int   `json:"shape"`
		Scale float32 `json:"scale"`
		Zero  int32   `json:"zero"`
	}
	metaNode struct {
		Name         string    `json:"name"`
		Op           string    `json:"op"`
		Inputs       []int     `json:"inputs"`
		Output       int       `json:"output"`
		Out          *int      `json:"out,omitempty"`
		Act          *string   `json:"act,omitempty"`
		Fn           *string   `json:"fn,omitempty"`
		Conv         *metaConv `json:"conv,omitempty"`
		Pool         *metaPool `json:"pool,omitempty"`
		Weights      *arrayRef `json:"weights,omitempty"`
		WeightScales *arrayRef `json:"weight_scales,omitempty"`
		Bias         *arrayRef `json:"bias,omitempty"`
		Table        *arrayRef `json:"table,omitempty"`
		Offsets      *arrayRef `json:"offsets,omitempty"`
	}
	// metaWindow is the part of a convolution's or pooling's geometry
	// they share.
	metaWindow struct {
		KH      int `json:"kh"`
		KW      int `json:"kw"`
		StrideH int `json:"stride_h"`
		StrideW int `json:"stride_w"`
		PadH    int `json:"pad_h"`
		PadW    int `json:"pad_w"`
	}
	metaConv struct {
		metaWindow
		DilH   int `json:"dil_h"`
		DilW   int `json:"dil_w"`
		Groups int `json:"groups"`
	}
	metaPool struct {
		metaWindow
		CeilMode        bool `json:"ceil_mode"`
		CountIncludePad bool `json:"count_include_pad"`
	}
	// arrayRef points into the data section. int64 so that a 32-bit reader
	// sees the same (rejected) values as a 64-bit one.
	arrayRef struct {
		Offset int64  `json:"offset"`
		Length int64  `json:"length"`
		DType  string `json:"dtype"`
	}
)

const (
	dtInt8    = "int8"
	dtInt32   = "int32"
	dtFloat32 = "float32"
)

func dtypeSize(dt string) int64 {
	switch dt {
	case dtInt8:
		return 1
	case dtInt32, dtFloat32:
		return 4
	}
	return 0
}

// Activation and filter names, spelled out here rather than taken from
// String methods so that the format is pinned by this package.
var (
	actNames = map[nn.Activation]string{
		nn.ActNone:    "none",
		nn.ActReLU:    "relu",
		nn.ActReLU6:   "relu6",
		nn.ActSiLU:    "silu",
		nn.ActSigmoid: "sigmoid",
	}
	filterNames = map[preprocess.Filter]string{
		preprocess.Bilinear: "bilinear",
		preprocess.Bicubic:  "bicubic",
		preprocess.Nearest:  "nearest",
	}
)

// parseName is the value names gives the name s.
func parseName[K comparable](names map[K]string, s string) (K, bool) {
	for k, n := range names {
		if n == s {
			return k, true
		}
	}
	var zero K
	return zero, false
}
