package ptq

import (
	"fmt"
	"math"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/quant/calib"
	"neonet.dev/neonet/tensor"
)

// LowerOptions is how float models are compiled for quantization and for
// comparison with their int8 version: every layer output then has an int8
// counterpart.
var LowerOptions = engine.Options{Batch: 1, FuseClampsOnly: true}

// Calibrator collects activation ranges of a float model.
type Calibrator struct {
	g         *graph.Graph
	layers    []*engine.Layer
	prog      *engine.Program
	cur       *engine.Program // the program whose values record reads: prog or a worker's clone
	observers map[graph.Value]*calib.Observer
	gains     *gains
	sums      map[graph.Value][]float64 // per-channel sums, for channel means
	pixels    map[graph.Value]int64
	images    int
	// BiasCorrection removes, from every convolution and
	// linear layer's bias, the mean error that rounding its weights adds:
	// sum over inputs of (dequantized w - w) * mean input channel value.
	// Rounding errors of a depthwise filter's 9 or 25 weights do not
	// average out, and without the correction they shift every output of
	// the channel the same way, image after image (Nagel et al. 2019).
	BiasCorrection bool
}

// NewCalibrator compiles g for calibration.
func NewCalibrator(g *graph.Graph) (*Calibrator, error) {
	prog, err := engine.Compile(g, LowerOptions)
	if err != nil {
		return nil, err
	}
	c := &Calibrator{g: g, layers: engine.Lower(g, LowerOptions), prog: prog, observers: map[graph.Value]*calib.Observer{},
		sums: map[graph.Value][]float64{}, pixels: map[graph.Value]int64{}}
	c.observers[g.Input] = calib.NewObserver()
	for _, l := range c.layers {
		c.observers[l.Output] = calib.NewObserver()
	}
	c.cur = prog
	c.gains = newGains(c.layers, func(v graph.Value) tensor.Shape { return prog.Value(v).Shape },
		func(v graph.Value) *tensor.Tensor { return c.cur.Value(v) })
	return c, nil
}

// Observe runs the float model on one preprocessed image (NHWC) and
// records the range of every activation. Each channel's values count in
// the histogram the range is chosen from by how much their error matters
// at the next layer that mixes channels (see gains), so that the MSE, KL
// and percentile ranges minimise the error the block's output sees rather
// than the tensor's own.
func (c *Calibrator) Observe(image []float32) error {
	if _, err := c.prog.RunInput(image); err != nil {
		return err
	}
	c.record(c.prog)
	return nil
}

// activationBytes is the memory of one image's activations, which a
// Calibrator's program (and each clone of it) holds.
func (c *Calibrator) activationBytes() int64 {
	var n int64
	for v := range c.observers {
		if t := c.prog.Value(v); t != nil {
			n += 4 * int64(len(t.Data))
		}
	}
	return n
}

// record adds the activations p holds, from its last run, to the ranges.
// The ranges depend on the order images are recorded in, so images
// evaluated side by side are recorded one at a time in their order.
func (c *Calibrator) record(p *engine.Program) {
	c.cur = p
	defer func() { c.cur = c.prog }()
	c.gains.update()
	for v, o := range c.observers {
		t := p.Value(v)
		if w := c.gains.observed(v); w != nil {
			o.ObserveWeighted(t.Data, w)
		} else {
			o.Observe(t.Data)
		}
		sum := c.sums[v]
		if sum == nil {
			sum = make([]float64, t.Shape.C)
			c.sums[v] = sum
		}
		for p := 0; p < len(t.Data); p += t.Shape.C {
			for ch, x := range t.Data[p : p+t.Shape.C] {
				sum[ch] += float64(x)
			}
		}
		c.pixels[v] += int64(len(t.Data) / t.Shape.C)
	}
	c.images++
}

// channelMean is the mean of each channel of value v over the calibration
// images, or nil when bias correction is off.
func (c *Calibrator) channelMean(v graph.Value) []float64 {
	if !c.BiasCorrection {
		return nil
	}
	mean := make([]float64, len(c.sums[v]))
	for ch, s := range c.sums[v] {
		mean[ch] = s / float64(c.pixels[v])
	}
	return mean
}

// Images is the number of images observed.
func (c *Calibrator) Images() int { return c.images }

// Meta describes the model for its file: name, labels, preprocessing.
type Meta struct {
	Name       string
	Labels     []string
	Preprocess preprocess.Spec
	// Calibration is a note for people on how ranges were chosen.
	Calibration string
}

// sigmoidParams is the fixed output quantization of a sigmoid: [0, 1) in
// steps of 1/256, so every int8 value is used and no calibration is needed.
var sigmoidParams = quant.Params{Scale: 1.0 / 256, Zero: quant.QMin}

// Quantize converts the calibrated model to int8, choosing every
// activation range with method.
func (c *Calibrator) Quantize(meta Meta, method calib.Method) (*qnet.Model, error) {
	if c.images == 0 {
		return nil, fmt.Errorf("ptq: %s: no calibration images observed", c.g.Name)
	}
	b := &builder{c: c, model: &qnet.Model{Name: meta.Name, Labels: meta.Labels, Preprocess: meta.Preprocess,
		Calibration: meta.Calibration}, tensor: map[graph.Value]int{}}
	params := c.chooseParams(method)
	b.model.Input = b.addTensor("input", c.g.Input, params[c.g.Input])
	for _, l := range c.layers {
		if err := b.convert(l, params); err != nil {
			return nil, fmt.Errorf("ptq: %s: layer %s (%s): %w", c.g.Name, l.Node.Name, l.Kind, err)
		}
	}
	b.model.Output = b.tensor[c.g.Output]
	if err := b.model.Validate(); err != nil {
		return nil, fmt.Errorf("ptq: %w", err)
	}
	return b.model, nil
}

// isDataMovement reports whether a layer only moves values, so its output
// must keep its input's parameters.
func isDataMovement(l *engine.Layer) bool {
	switch l.Node.Op.(type) {
	case *graph.MaxPool, *graph.Shift, *graph.Flatten:
		return true
	}
	return false
}

func isConcat(l *engine.Layer) bool {
	_, ok := l.Node.Op.(*graph.Concat)
	return ok
}

// chooseParams picks every value's parameters: calibrated ranges, fixed
// sigmoid outputs, inherited parameters for data movement, and concat
// parameters shared with the layers that feed only the concat.
func (c *Calibrator) chooseParams(method calib.Method) map[graph.Value]quant.Params {
	params := map[graph.Value]quant.Params{}
	producer := map[graph.Value]*engine.Layer{}
	readers := map[graph.Value]int{}
	reader := map[graph.Value]*engine.Layer{}
	for _, l := range c.layers {
		for _, v := range l.Inputs {
			readers[v]++
			reader[v] = l
		}
	}
	readers[c.g.Output]++
	calibrated := func(v graph.Value) quant.Params {
		// A tensor read only by a lookup-table activation is ranged for the
		// error after the activation (see calib.Observer.RangeThrough).
		var f func(float64) float64
		if r := reader[v]; readers[v] == 1 && r != nil {
			if _, ok := r.Node.Op.(*graph.Activation); ok {
				f, _ = activationFunc(r.Act)
			}
		}
		lo, hi := c.observers[v].RangeThrough(method, f)
		return quant.ChooseParams(lo, hi)
	}
	params[c.g.Input] = calibrated(c.g.Input)
	for _, l := range c.layers {
		producer[l.Output] = l
		switch {
		case isDataMovement(l):
			params[l.Output] = params[l.Inputs[0]]
		case l.Kind == "sigmoid":
			params[l.Output] = sigmoidParams
		default:
			params[l.Output] = calibrated(l.Output)
		}
		if isConcat(l) {
			// Inputs that only feed this concat write in its parameters
			// (but not another concat or data movement, whose parameters
			// are tied to their own inputs).
			for _, v := range l.Inputs {
				if p := producer[v]; p != nil && !isDataMovement(p) && !isConcat(p) && readers[v] == 1 {
					params[v] = params[l.Output]
				}
			}
		}
	}
	return params
}

// builder assembles the int8 model.
type builder struct {
	c      *Calibrator
	model  *qnet.Model
	tensor map[graph.Value]int // float value -> int8 tensor
}

func (b *builder) addTensor(name string, v graph.Value, p quant.Params) int {
	b.model.Tensors = append(b.model.Tensors, qnet.Tensor{Name: name, Shape: b.c.prog.Value(v).Shape, Params: p})
	i := len(b.model.Tensors) - 1
	b.tensor[v] = i
	return i
}

func (b *builder) convert(l *engine.Layer, params map[graph.Value]quant.Params) error {
	ins := make([]int, len(l.Inputs))
	for i, v := range l.Inputs {
		ins[i] = b.tensor[v]
	}
	inP := params[l.Inputs[0]]
	outP := params[l.Output]
	clampOnly := l.Act == nn.ActNone || l.Act == nn.ActReLU || l.Act == nn.ActReLU6
	var op qnet.Op
	switch g := l.Node.Op.(type) {
	case *graph.Conv2D:
		if !clampOnly {
			return fmt.Errorf("activation %s must be a separate layer", l.Act)
		}
		op = convOp(l.Weight, l.Bias, g.Geometry, g.Out, b.c.prog.Value(l.Inputs[0]).Shape.C, inP, l.Act, b.c.channelMean(l.Inputs[0]))
	case *graph.BatchNorm: // an unfoldable batch norm: a depthwise 1x1 convolution
		c := len(l.Scale)
		geo := nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: c}
		op = convOp(l.Scale, l.Shift, geo, c, c, inP, l.Act, b.c.channelMean(l.Inputs[0]))
	case *graph.Linear:
		if !clampOnly {
			return fmt.Errorf("activation %s must be a separate layer", l.Act)
		}
		op = QuantizeLinear(l.Weight, l.Bias, g.Out, inP, l.Act, b.c.channelMean(l.Inputs[0]))
	case *graph.Activation:
		f, err := activationFunc(l.Act)
		if err != nil {
			return err
		}
		op = &qnet.Table{Fn: l.Act, Table: quant.LookupTable(f, inP, outP)}
	case *graph.Add:
		if !clampOnly {
			return fmt.Errorf("activation %s after an add is not supported", l.Act)
		}
		op = &qnet.Add{Act: l.Act}
	case *graph.MulChannels:
		op = &qnet.MulChannels{}
	case *graph.MaxPool:
		op = &qnet.MaxPool{Geometry: g.Geometry}
	case *graph.AvgPool:
		op = &qnet.AvgPool{Geometry: g.Geometry}
	case *graph.GlobalAvgPool:
		op = &qnet.GlobalAvgPool{}
	case *graph.Shift:
		op = &qnet.Shift{Offsets: g.Offsets}
	case *graph.Flatten:
		op = &qnet.Flatten{}
	case *graph.Concat:
		for i, v := range l.Inputs {
			if params[v] != outP { // a producer shared with another reader: re-express
				t := len(b.model.Tensors)
				b.model.Tensors = append(b.model.Tensors, qnet.Tensor{Name: l.Node.Name + ".requant", Shape: b.c.prog.Value(v).Shape, Params: outP})
				b.model.Nodes = append(b.model.Nodes, qnet.Node{Name: fmt.Sprintf("%s.requant%d", l.Node.Name, i), Op: &qnet.Requant{}, Inputs: []int{ins[i]}, Output: t})
				ins[i] = t
			}
		}
		op = &qnet.Concat{}
	default:
		return fmt.Errorf("no int8 version of %s", l.Node.Op.Type())
	}
	out := b.addTensor(l.Node.Name, l.Output, outP)
	b.model.Nodes = append(b.model.Nodes, qnet.Node{Name: l.Node.Name, Op: op, Inputs: ins, Output: out})
	return nil
}

// convOp quantizes a convolution given in PyTorch's OIHW layout; mean, if
// not nil, is the mean of each input channel for bias correction.
func convOp(w, bias []float32, geo nn.ConvGeometry, out, cin int, in quant.Params, act nn.Activation, mean []float64) *qnet.Conv {
	scales := quant.WeightScales(w, out)
	wq := quantizeWeights(w, scales)
	bias = correctBias(bias, w, wq, scales, geo.KH*geo.KW, mean)
	bq := quantizeBias(bias, wq, scales, in)
	return &qnet.Conv{Geometry: geo, Out: out, Weights: packConv(wq, out, cin/geo.Groups, geo.KH, geo.KW),
		WeightScales: scales, Bias: bq, Act: act}
}

// correctBias returns bias minus the expected error of the quantized
// weights: for output o, sum over its inputs of (wq*scale - w) * mean of the
// input channel. Weights are grouped by output channel, taps consecutive
// (OIHW or [Out][In]); with groups, output o reads input channels
// group(o)*cinG onwards. A nil mean returns bias unchanged. Every tap is
// assumed to see the channel mean; at image borders taps read zero padding
// instead, so small feature maps are slightly over-corrected.
func correctBias(bias, w []float32, wq []int8, scales []float32, taps int, mean []float64) []float32 {
	if mean == nil {
		return bias
	}
	out := len(scales)
	per := len(w) / out // cinG * taps
	cinG := per / taps
	groups := len(mean) / cinG
	coutG := out / groups
	corrected := make([]float32, out)
	for o := range out {
		first := (o / coutG) * cinG
		var e float64
		for i := range cinG {
			for k := range taps {
				j := o*per + i*taps + k
				e += (float64(wq[j])*float64(scales[o]) - float64(w[j])) * mean[first+i]
			}
		}
		corrected[o] = float32(float64(bias[o]) - e)
	}
	return corrected
}

// quantizeWeights quantizes weights grouped by output channel (OIHW or
// [Out][In]).
func quantizeWeights(w []float32, scales []float32) []int8 {
	per := len(w) / len(scales)
	q := make([]int8, len(w))
	for i, v := range w {
		q[i] = quant.QuantizeWeight(v, scales[i/per])
	}
	return q
}

// quantizeBias returns the int32 bias in scale in.Scale*wScale[o], with the
// input zero-point correction -zIn*sum(w[o]) folded in (see kernels/q8ref).
func quantizeBias(bias []float32, wq []int8, wScales []float32, in quant.Params) []int32 {
	per := len(wq) / len(wScales)
	out := make([]int32, len(wScales))
	for o := range out {
		b := math.RoundToEven(float64(bias[o]) / (float64(in.Scale) * float64(wScales[o])))
		var sum int64
		for _, v := range wq[o*per : (o+1)*per] {
			sum += int64(v)
		}
		v := int64(min(max(b, math.MinInt32/2), math.MaxInt32/2)) - int64(in.Zero)*sum
		out[o] = int32(min(max(v, math.MinInt32), math.MaxInt32))
	}
	return out
}

// packConv re-lays OIHW int8 weights as [KH][KW][Cin/groups][Out].
func packConv(oihw []int8, out, cinG, kh, kw int) []int8 {
	packed := make([]int8, len(oihw))
	for o := range out {
		for i := range cinG {
			for y := range kh {
				for x := range kw {
					packed[((y*kw+x)*cinG+i)*out+o] = oihw[((o*cinG+i)*kh+y)*kw+x]
				}
			}
		}
	}
	return packed
}

// activationFunc is the real function a lookup table tabulates.
func activationFunc(a nn.Activation) (func(float64) float64, error) {
	switch a {
	case nn.ActReLU:
		return func(x float64) float64 { return max(x, 0) }, nil
	case nn.ActReLU6:
		return func(x float64) float64 { return min(max(x, 0), 6) }, nil
	case nn.ActSiLU:
		return func(x float64) float64 { return x / (1 + math.Exp(-x)) }, nil
	case nn.ActSigmoid:
		return func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, nil
	}
	return nil, fmt.Errorf("no lookup table for %s", a)
}
