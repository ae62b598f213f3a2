package camera

import (
	"fmt"
	"math"

	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/quant"
)

// Preprocessor turns frames of one size into a model's int8 input. Its
// output equals, value for value, preprocess.Spec.Tensor on the frame's RGB
// picture followed by quant.Params.Quantize; it gets there in one pass over
// the frame with tables computed once:
//
//   - Resize: Pillow's separable convolution (horizontal pass, then
//     vertical), with preprocess.Resize's fixed-point weights
//     (preprocess.NewCoeffs) and the same rounding and clamping after each
//     pass, so the resized pixels are bit-identical to preprocess.Resize's. Only the pixels that survive the
//     centre crop are computed: the horizontal pass produces the cropped
//     columns of the source rows the vertical pass reads, into a ring of a
//     few rows that stays in cache.
//   - Crop: torchvision's offsets (preprocess.CenterCrop), with zero
//     padding where the crop is larger than the resized image.
//   - BGR to RGB, (v/255 - mean)/std in float32 and quantization with ties
//     to even: all functions of one byte per channel, so one 256-entry int8
//     table per channel replaces them.
//
// A Preprocessor is not safe for concurrent use.
type Preprocessor struct {
	spec           preprocess.Spec
	frameW, frameH int
	cols, rows     axis
	lut            [3][256]int8 // by RGB channel: byte -> quantized normalised value
	ring           [][]byte     // horizontally resampled source rows, BGR, cropped columns only
	ringRow        []int        // the source row each ring slot holds, -1 for none
	acc            []int32      // vertical pass accumulators for one output row
}

// NewPreprocessor prepares the preprocessing of frameW x frameH frames for
// a model whose input is quantized with in.
func NewPreprocessor(spec preprocess.Spec, in quant.Params, frameW, frameH int) (*Preprocessor, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("camera: %w", err)
	}
	if !(in.Scale > 0) || math.IsInf(float64(in.Scale), 0) {
		return nil, fmt.Errorf("camera: input quantization %v: want a positive finite scale", in)
	}
	if frameW <= 0 || frameH <= 0 {
		return nil, fmt.Errorf("camera: frame size %dx%d: want positive", frameW, frameH)
	}
	resW, resH := spec.ResizedSize(frameW, frameH)
	p := &Preprocessor{
		spec: spec, frameW: frameW, frameH: frameH,
		cols: newAxis(frameW, resW, spec.CropW, spec.Filter, 4),
		rows: newAxis(frameH, resH, spec.CropH, spec.Filter, 1),
	}
	norm := spec.NormTable()
	for c := range 3 {
		for v := range 256 {
			p.lut[c][v] = in.Quantize(norm[c][v])
		}
	}
	ringRows := 1
	for _, n := range p.rows.N {
		ringRows = max(ringRows, n)
	}
	p.ring = make([][]byte, ringRows)
	for i := range p.ring {
		p.ring[i] = make([]byte, 3*p.cols.Valid)
	}
	p.ringRow = make([]int, ringRows)
	p.acc = make([]int32, 3*p.cols.Valid)
	return p, nil
}

// Len is the number of int8 values Run writes: CropH*CropW*3.
func (p *Preprocessor) Len() int { return p.spec.Len() }

// FrameSize is the frame size the Preprocessor was made for.
func (p *Preprocessor) FrameSize() (w, h int) { return p.frameW, p.frameH }

// Run writes the preprocessed, quantized frame into dst as NHWC int8 RGB.
// f must have the size given to NewPreprocessor and len(dst) must be Len().
func (p *Preprocessor) Run(dst []int8, f *Frame) error {
	if f.Width != p.frameW || f.Height != p.frameH {
		return fmt.Errorf("camera: preprocessing set up for %dx%d frames, got %dx%d", p.frameW, p.frameH, f.Width, f.Height)
	}
	if err := f.check(); err != nil {
		return err
	}
	if len(dst) != p.Len() {
		return fmt.Errorf("camera: preprocessed input needs %d values (%dx%dx3), got %d", p.Len(), p.spec.CropH, p.spec.CropW, len(dst))
	}
	for i := range p.ringRow {
		p.ringRow[i] = -1
	}
	rowLen := 3 * p.spec.CropW
	o := 0
	for range p.rows.Before {
		p.padPixels(dst[o : o+rowLen])
		o += rowLen
	}
	rows := p.rows
	for vy := range rows.Valid {
		start, n := rows.Start[vy], rows.N[vy]
		for r := start; r < start+n; r++ {
			slot := r % len(p.ring)
			if p.ringRow[slot] != r {
				p.resampleRow(p.ring[slot], f.row(r))
				p.ringRow[slot] = r
			}
		}
		p.resampleColumns(rows.W[vy*rows.KSize:][:n], start)
		out := dst[o : o+rowLen]
		p.padPixels(out[:3*p.cols.Before])
		p.quantizeRow(out[3*p.cols.Before:][:3*p.cols.Valid])
		p.padPixels(out[3*(p.cols.Before+p.cols.Valid):])
		o += rowLen
	}
	for range p.rows.After {
		p.padPixels(dst[o : o+rowLen])
		o += rowLen
	}
	return nil
}

// resampleRow is the horizontal pass over one source row (BGR): the
// cropped columns of the resized row, rounded and clamped to bytes.
func (p *Preprocessor) resampleRow(out, in []byte) {
	c := &p.cols
	k := c.KSize
	out = out[:3*c.Valid]
	if k%4 == 0 {
		resampleRowBy4(out, in, c.Start, c.W, k)
		return
	}
	for x, start := range c.Start {
		w := c.W[x*k:][:k]
		px := in[3*start:][:3*k]
		b, g, r := int32(half), int32(half), int32(half)
		for _, wi := range w {
			b += int32(px[0]) * wi
			g += int32(px[1]) * wi
			r += int32(px[2]) * wi
			px = px[3:]
		}
		out[3*x], out[3*x+1], out[3*x+2] = preprocess.ClipFixed(b), preprocess.ClipFixed(g), preprocess.ClipFixed(r)
	}
}

// resampleRowBy4 is resampleRow for windows of a multiple of 4 taps,
// unrolled by 4 (about 1.7 times faster). Integer sums do not depend on
// their order, so the result is the same.
func resampleRowBy4(out, in []byte, starts []int, weights []int32, k int) {
	for x, start := range starts {
		w := weights[k*x:][:k]
		px := in[3*start:][:3*k]
		b, g, r := int32(half), int32(half), int32(half)
		for len(w) >= 4 && len(px) >= 12 {
			w0, w1, w2, w3 := w[0], w[1], w[2], w[3]
			b += int32(px[0])*w0 + int32(px[3])*w1 + int32(px[6])*w2 + int32(px[9])*w3
			g += int32(px[1])*w0 + int32(px[4])*w1 + int32(px[7])*w2 + int32(px[10])*w3
			r += int32(px[2])*w0 + int32(px[5])*w1 + int32(px[8])*w2 + int32(px[11])*w3
			w, px = w[4:], px[12:]
		}
		o := out[3*x:][:3]
		o[0], o[1], o[2] = preprocess.ClipFixed(b), preprocess.ClipFixed(g), preprocess.ClipFixed(r)
	}
}

// resampleColumns is the vertical pass: it accumulates the ring rows
// first, first+1, ... with weights w into p.acc.
func (p *Preprocessor) resampleColumns(w []int32, first int) {
	acc := p.acc
	for i := range acc {
		acc[i] = half
	}
	for i, wi := range w {
		src := p.ring[(first+i)%len(p.ring)][:len(acc)]
		for x, v := range src {
			acc[x] += int32(v) * wi
		}
	}
}

// quantizeRow rounds the accumulated BGR pixels to bytes as the vertical
// pass does and maps them through the tables into RGB order.
func (p *Preprocessor) quantizeRow(out []int8) {
	acc := p.acc[:len(out)]
	lr, lg, lb := &p.lut[0], &p.lut[1], &p.lut[2]
	for i := 0; i+2 < len(acc); i += 3 {
		out[i] = lr[preprocess.ClipFixed(acc[i+2])]
		out[i+1] = lg[preprocess.ClipFixed(acc[i+1])]
		out[i+2] = lb[preprocess.ClipFixed(acc[i])]
	}
}

// padPixels fills RGB pixels with the value of a zero (black) pixel, as
// torchvision's CenterCrop pads.
func (p *Preprocessor) padPixels(out []int8) {
	for i := 0; i+2 < len(out); i += 3 {
		out[i], out[i+1], out[i+2] = p.lut[0][0], p.lut[1][0], p.lut[2][0]
	}
}
