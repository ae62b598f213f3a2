package modelfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"neonet.dev/neonet/internal/atomicfile"
	"neonet.dev/neonet/qnet"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Write writes m as a model file. It refuses a model that Read would
// refuse, so that a bad model is caught when it is made, not on a device.
func Write(w io.Writer, m *qnet.Model) error {
	b, _, err := encode(m)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Save writes m to path atomically: the file is written under a temporary
// name in the same directory, synced, renamed over path and the directory
// synced, so a power cut leaves either the old file or the complete new
// one, never a partial file under the final name.
func Save(path string, m *qnet.Model) error {
	b, _, err := encode(m)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return fmt.Errorf("modelfile: %w", err)
	}
	return nil
}

// encode returns the file's bytes and its Info.
func encode(m *qnet.Model) ([]byte, Info, error) {
	if err := m.Validate(); err != nil {
		return nil, Info{}, fmt.Errorf("modelfile: cannot write: %w", err)
	}
	var data dataWriter
	meta := fileMeta{
		Name:        m.Name,
		Calibration: m.Calibration,
		Input:       m.Input,
		Output:      m.Output,
		Labels:      m.Labels,
		Tensors:     make([]metaTensor, len(m.Tensors)),
		Nodes:       make([]metaNode, len(m.Nodes)),
	}
	if s := m.Preprocess; s.CropH != 0 {
		filter, ok := filterNames[s.Filter]
		if !ok {
			return nil, Info{}, fmt.Errorf("modelfile: cannot write model %s: preprocess: unknown filter %v", m.Name, s.Filter)
		}
		meta.Preprocess = &metaPreprocess{
			Resize: s.Resize, CropH: s.CropH, CropW: s.CropW, Filter: filter,
			Mean: s.Mean, Std: s.Std, ColorOrder: colorOrder, Layout: layoutNHWC, Normalize: normalize,
		}
	}
	for i, t := range m.Tensors {
		s := t.Shape
		meta.Tensors[i] = metaTensor{Name: t.Name, Shape: []int{s.N, s.H, s.W, s.C}, Scale: t.Params.Scale, Zero: t.Params.Zero}
	}
	for i, n := range m.Nodes {
		meta.Nodes[i] = metaNode{Name: n.Name, Inputs: n.Inputs, Output: n.Output}
		if err := encodeOp(&meta.Nodes[i], n.Op, &data); err != nil {
			return nil, Info{}, fmt.Errorf("modelfile: cannot write model %s: node %d (%s) %w", m.Name, i, n.Name, err)
		}
	}
	js, err := marshalMeta(&meta)
	if err != nil { // only non-finite floats, which checkModel rejects
		return nil, Info{}, fmt.Errorf("modelfile: cannot write model %s: %w", m.Name, err)
	}

	dataOff := alignUp(headerSize + len(js))
	size := dataOff + len(data.b)
	b := make([]byte, size)
	copy(b, Magic)
	le := binary.LittleEndian
	le.PutUint32(b[offVersion:], Version)
	le.PutUint32(b[offFlags:], 0)
	le.PutUint32(b[offHdrSize:], headerSize)
	le.PutUint64(b[offFileSize:], uint64(size))
	le.PutUint64(b[offMetaOff:], headerSize)
	le.PutUint64(b[offMetaLen:], uint64(len(js)))
	le.PutUint64(b[offDataOff:], uint64(dataOff))
	le.PutUint64(b[offDataLen:], uint64(len(data.b)))
	copy(b[headerSize:], js)
	copy(b[dataOff:], data.b)
	sum := crc32.Checksum(b[offFlags:], castagnoli)
	le.PutUint32(b[offChecksum:], sum)
	return b, Info{Version: Version, Size: int64(size), Checksum: checksumString(sum),
		Metadata: int64(len(js)), Data: int64(len(data.b))}, nil
}

func ptr[T any](v T) *T { return &v }

// marshalMeta writes the metadata as JSON with one label, tensor or node
// per line: compact, yet readable with less or grep.
func marshalMeta(fm *fileMeta) ([]byte, error) {
	var b bytes.Buffer
	sep := "{\n"
	field := func(key string, v any) error {
		js, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s%q: %s", sep, key, js)
		sep = ",\n"
		return nil
	}
	list := func(key string, n int, elem func(i int) any) error {
		fmt.Fprintf(&b, "%s%q: [", sep, key)
		for i := range n {
			js, err := json.Marshal(elem(i))
			if err != nil {
				return err
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n ")
			b.Write(js)
		}
		b.WriteString("\n]")
		sep = ",\n"
		return nil
	}
	err := errors.Join(
		field("name", fm.Name),
		field("input", fm.Input),
		field("output", fm.Output),
	)
	if fm.Calibration != "" {
		err = errors.Join(err, field("calibration", fm.Calibration))
	}
	if fm.Preprocess != nil {
		err = errors.Join(err, field("preprocess", fm.Preprocess))
	}
	if len(fm.Labels) > 0 {
		err = errors.Join(err, list("labels", len(fm.Labels), func(i int) any { return fm.Labels[i] }))
	}
	err = errors.Join(err,
		list("tensors", len(fm.Tensors), func(i int) any { return &fm.Tensors[i] }),
		list("nodes", len(fm.Nodes), func(i int) any { return &fm.Nodes[i] }),
	)
	b.WriteString("\n}\n")
	return b.Bytes(), err
}

func alignUp(n int) int { return (n + align - 1) / align * align }

func checksumString(sum uint32) string { return fmt.Sprintf("crc32c:%08x", sum) }

// dataWriter lays out the data section: every array little-endian at a
// multiple of align from the section's start.
type dataWriter struct{ b []byte }

func (d *dataWriter) start(n int, dt string) *arrayRef {
	for len(d.b)%align != 0 {
		d.b = append(d.b, 0)
	}
	return &arrayRef{Offset: int64(len(d.b)), Length: int64(n), DType: dt}
}

func (d *dataWriter) int8s(v []int8) *arrayRef {
	r := d.start(len(v), dtInt8)
	for _, x := range v {
		d.b = append(d.b, byte(x))
	}
	return r
}

func (d *dataWriter) int32s(v []int32) *arrayRef {
	r := d.start(len(v), dtInt32)
	for _, x := range v {
		d.b = binary.LittleEndian.AppendUint32(d.b, uint32(x))
	}
	return r
}

func (d *dataWriter) float32s(v []float32) *arrayRef {
	r := d.start(len(v), dtFloat32)
	for _, x := range v {
		d.b = binary.LittleEndian.AppendUint32(d.b, math.Float32bits(x))
	}
	return r
}
