package modelfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"unsafe"

	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// maxFileSize keeps offsets, lengths and the aligned buffer within int on
// 32-bit builds.
const maxFileSize = math.MaxInt32 - align

// fileError is a Read error: its message names the file and the field,
// and it wraps one of the Err* kinds (and the underlying error, if any).
type fileError struct {
	msg         string
	kind, cause error
}

func (e *fileError) Error() string { return e.msg }

func (e *fileError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

// Read decodes a model file held in data; name identifies it in errors
// ("model file NAME: ..."). The returned model aliases data — its weights,
// biases and weight scales are views of the file's bytes when alignment
// allows — so data must not be modified while the model is in use.
func Read(data []byte, name string) (*qnet.Model, error) {
	m, _, err := ReadWithInfo(data, name)
	return m, err
}

// Load reads and decodes the model file at path.
func Load(path string) (*qnet.Model, error) {
	m, _, err := LoadWithInfo(path)
	return m, err
}

// LoadWithInfo is Load that also returns the file's Info.
func LoadWithInfo(path string) (*qnet.Model, Info, error) {
	if err := CheckFile(path); err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, Info{}, fmt.Errorf("model file %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, Info{}, fmt.Errorf("model file %s: %w", path, err)
	}
	if st.Size() > maxFileSize {
		return nil, Info{}, &fileError{msg: fmt.Sprintf("model file %s: %d bytes, more than the %d a model file may have", path, st.Size(), maxFileSize), kind: ErrInvalid}
	}
	// An aligned buffer lets Read alias the arrays instead of copying them.
	buf := alignedBuffer(int(st.Size()))
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, Info{}, fmt.Errorf("model file %s: %w", path, err)
	}
	return ReadWithInfo(buf, path)
}

// CheckFile refuses a path that is not a regular file before anything
// opens it: a folder, a device such as /dev/zero, or a named pipe (whose
// open would wait for a writer forever) is not a model file.
func CheckFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("model file %s: %w", path, err)
	}
	if what := fileKind(st.Mode()); what != "" {
		return fmt.Errorf("model file %s: %s, not a regular file (want the file written by neonet quantize)", path, what)
	}
	return nil
}

// fileKind names what a non-regular file is, "" for a regular file.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// alignedBuffer returns n bytes starting at a multiple of align.
func alignedBuffer(n int) []byte {
	b := make([]byte, n+align-1)
	off := int((align - uintptr(unsafe.Pointer(&b[0]))%align) % align)
	return b[off : off+n : off+n]
}

// ReadWithInfo is Read that also returns the file's Info.
func ReadWithInfo(data []byte, name string) (*qnet.Model, Info, error) {
	if name == "" {
		name = "(unnamed)"
	}
	r := &reader{file: data, name: name}
	info, err := r.header()
	if err != nil {
		return nil, Info{}, err
	}
	m, err := r.model()
	if err != nil {
		return nil, Info{}, err
	}
	return m, info, nil
}

type reader struct {
	file       []byte
	name       string
	meta, data []byte // the two sections
}

func (r *reader) fail(kind error, format string, args ...any) error {
	return &fileError{msg: "model file " + r.name + ": " + fmt.Sprintf(format, args...), kind: kind}
}

// header checks everything up to and including the checksum and locates
// the sections.
func (r *reader) header() (Info, error) {
	b := r.file
	switch {
	case len(b) == 0:
		return Info{}, r.fail(ErrTruncated, "empty file")
	case len(b) < len(Magic) && bytes.HasPrefix([]byte(Magic), b):
		return Info{}, r.fail(ErrTruncated, "truncated: %d bytes", len(b))
	case !bytes.HasPrefix(b, []byte(Magic)):
		return Info{}, r.fail(ErrNotModelFile, "not a neonet model file (bad magic %q)", b[:min(len(b), len(Magic))])
	case len(b) < offChecksum:
		return Info{}, r.fail(ErrTruncated, "truncated: %d bytes", len(b))
	}
	le := binary.LittleEndian
	if v := le.Uint32(b[offVersion:]); v != Version {
		if v > Version {
			return Info{}, &fileError{msg: fmt.Sprintf("model file %s is format version %d; this neonet reads version %d: update neonet", r.name, v, Version), kind: ErrVersion}
		}
		return Info{}, r.fail(ErrVersion, "format version %d is not a valid version (this neonet reads version %d)", v, Version)
	}
	if len(b) < headerSize {
		return Info{}, r.fail(ErrTruncated, "truncated: %d bytes, shorter than the %d-byte header", len(b), headerSize)
	}
	size := le.Uint64(b[offFileSize:])
	switch {
	case size > uint64(len(b)):
		return Info{}, r.fail(ErrTruncated, "truncated: the header says %d bytes, the file has %d (%d missing)", size, len(b), size-uint64(len(b)))
	case size < uint64(len(b)):
		return Info{}, r.fail(ErrInvalid, "the header says %d bytes, the file has %d (%d extra bytes)", size, len(b), uint64(len(b))-size)
	}
	stored, sum := le.Uint32(b[offChecksum:]), crc32.Checksum(b[offFlags:], castagnoli)
	if stored != sum {
		return Info{}, r.fail(ErrChecksum, "checksum mismatch: file is corrupt (stored crc32c %08x, computed %08x)", stored, sum)
	}
	// The checksum matched, so the rest is what a writer wrote; these
	// checks catch writers that do not follow the format.
	if f := le.Uint32(b[offFlags:]); f != 0 {
		return Info{}, r.fail(ErrInvalid, "flags %#x: version %d defines none", f, Version)
	}
	if h := le.Uint32(b[offHdrSize:]); h != headerSize {
		return Info{}, r.fail(ErrInvalid, "header size %d, want %d", h, headerSize)
	}
	metaOff, metaLen := le.Uint64(b[offMetaOff:]), le.Uint64(b[offMetaLen:])
	dataOff, dataLen := le.Uint64(b[offDataOff:]), le.Uint64(b[offDataLen:])
	if metaOff != headerSize || metaLen > size-metaOff {
		return Info{}, r.fail(ErrInvalid, "metadata at %d, %d bytes: want it at %d, inside the %d-byte file", metaOff, metaLen, headerSize, size)
	}
	if dataOff%align != 0 || dataOff < metaOff+metaLen || dataOff > size || dataLen != size-dataOff {
		return Info{}, r.fail(ErrInvalid, "data at %d, %d bytes: want it %d-byte aligned, after the metadata (ending at %d) and ending at the file's end (%d)",
			dataOff, dataLen, align, metaOff+metaLen, size)
	}
	r.meta = b[metaOff : metaOff+metaLen]
	r.data = b[dataOff:size]
	return Info{Version: Version, Size: int64(size), Checksum: checksumString(sum), Metadata: int64(metaLen), Data: int64(dataLen)}, nil
}

// model decodes the metadata and arrays and checks the result.
func (r *reader) model() (*qnet.Model, error) {
	var fm fileMeta
	dec := json.NewDecoder(bytes.NewReader(r.meta))
	// A field this version does not know means a writer that should have
	// bumped the version: refuse rather than ignore what it meant.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fm); err != nil {
		return nil, &fileError{msg: fmt.Sprintf("model file %s: metadata: %v", r.name, err), kind: ErrInvalid, cause: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, r.fail(ErrInvalid, "metadata: unexpected data after the JSON object")
	}
	m := &qnet.Model{
		Name:        fm.Name,
		Calibration: fm.Calibration,
		Input:       fm.Input,
		Output:      fm.Output,
		Labels:      fm.Labels,
		Tensors:     make([]qnet.Tensor, len(fm.Tensors)),
		Nodes:       make([]qnet.Node, len(fm.Nodes)),
	}
	if len(m.Labels) == 0 {
		m.Labels = nil // "labels": [] and no labels are the same
	}
	if p := fm.Preprocess; p != nil {
		s, err := r.preprocess(p)
		if err != nil {
			return nil, err
		}
		m.Preprocess = s
	}
	for i, t := range fm.Tensors {
		if len(t.Shape) != 4 {
			return nil, r.fail(ErrInvalid, "tensor %d (%s) shape: %d dimensions, want 4 (NHWC)", i, t.Name, len(t.Shape))
		}
		m.Tensors[i] = qnet.Tensor{Name: t.Name, Shape: tensor.Shape{N: t.Shape[0], H: t.Shape[1], W: t.Shape[2], C: t.Shape[3]},
			Params: quant.Params{Scale: t.Scale, Zero: t.Zero}}
	}
	for i := range fm.Nodes {
		mn := &fm.Nodes[i]
		op, err := r.decodeOp(mn)
		if err != nil {
			return nil, r.fail(ErrInvalid, "node %d (%s) %v", i, mn.Name, err)
		}
		m.Nodes[i] = qnet.Node{Name: mn.Name, Op: op, Inputs: mn.Inputs, Output: mn.Output}
	}
	if err := m.Validate(); err != nil {
		return nil, &fileError{msg: fmt.Sprintf("model file %s: %v", r.name, err), kind: ErrInvalid, cause: err}
	}
	return m, nil
}

func (r *reader) preprocess(p *metaPreprocess) (preprocess.Spec, error) {
	f, ok := parseName(filterNames, p.Filter)
	switch {
	case !ok:
		return preprocess.Spec{}, r.fail(ErrInvalid, "preprocess filter %q: want bilinear, bicubic or nearest", p.Filter)
	case p.ColorOrder != colorOrder:
		return preprocess.Spec{}, r.fail(ErrInvalid, "preprocess color_order %q: this neonet supports %q", p.ColorOrder, colorOrder)
	case p.Layout != layoutNHWC:
		return preprocess.Spec{}, r.fail(ErrInvalid, "preprocess layout %q: this neonet supports %q", p.Layout, layoutNHWC)
	case p.Normalize != normalize:
		return preprocess.Spec{}, r.fail(ErrInvalid, "preprocess normalize %q: this neonet supports %q", p.Normalize, normalize)
	case p.CropH == 0:
		// A zero crop would read back as "no preprocessing".
		return preprocess.Spec{}, r.fail(ErrInvalid, "preprocess crop_h 0: want a positive size")
	}
	return preprocess.Spec{Resize: p.Resize, CropH: p.CropH, CropW: p.CropW, Filter: f, Mean: p.Mean, Std: p.Std}, nil
}

// littleEndianHost reports whether the file's byte order is the host's,
// which allows aliasing int32 and float32 arrays.
var littleEndianHost = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// array returns the bytes ref points to, after checking its dtype,
// alignment and bounds.
func (r *reader) array(ref *arrayRef, dt, what string) ([]byte, error) {
	if ref.DType != dt {
		return nil, fmt.Errorf("%s: dtype %q, want %q", what, ref.DType, dt)
	}
	size := dtypeSize(dt)
	n := int64(len(r.data))
	if ref.Offset < 0 || ref.Offset%align != 0 || ref.Offset > n {
		return nil, fmt.Errorf("%s: offset %d: want a multiple of %d within the %d-byte data section", what, ref.Offset, align, n)
	}
	if ref.Length < 0 || ref.Length > (n-ref.Offset)/size {
		return nil, fmt.Errorf("%s: %d %s values at offset %d run past the end of the %d-byte data section", what, ref.Length, dt, ref.Offset, n)
	}
	return r.data[ref.Offset : ref.Offset+ref.Length*size], nil
}

func (r *reader) int8s(ref *arrayRef, what string) ([]int8, error) {
	b, err := r.array(ref, dtInt8, what)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b)), nil
}

// aliasable reports whether b can be viewed as 4-byte values in place.
func aliasable(b []byte) bool {
	return littleEndianHost && uintptr(unsafe.Pointer(&b[0]))%4 == 0
}

func (r *reader) int32s(ref *arrayRef, what string) ([]int32, error) {
	return words(r, ref, dtInt32, what, func(u uint32) int32 { return int32(u) })
}

func (r *reader) float32s(ref *arrayRef, what string) ([]float32, error) {
	return words(r, ref, dtFloat32, what, math.Float32frombits)
}

// words returns the 4-byte values ref points to: a view of the file's
// bytes when it can be, else a copy decoded by fromBits.
func words[T int32 | float32](r *reader, ref *arrayRef, dt, what string, fromBits func(uint32) T) ([]T, error) {
	b, err := r.array(ref, dt, what)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	if aliasable(b) {
		return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/4), nil
	}
	v := make([]T, len(b)/4)
	for i := range v {
		v[i] = fromBits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
