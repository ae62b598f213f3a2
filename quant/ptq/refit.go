package ptq

import (
	"fmt"
	"math"
	"os"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// refitLayer gathers, for one convolution or linear layer, the statistics
// of its input patches in the int8 model (x̂, from the simulator) against
// the float model's (x): H = sum x̂ x̂ᵀ and G = sum x̂ xᵀ per group, each
// patch extended by a constant 1 for the bias.
type refitLayer struct {
	l      *engine.Layer
	geo    nn.ConvGeometry
	in     tensor.Shape
	out    tensor.Shape
	groups int
	d      int         // patch length: inputs per group x taps, plus 1
	h, g   [][]float64 // per group: sum x̂ x̂ᵀ (d x d, upper half) and sum x̂ yᵀ (d x coutG)
	coutG  int
	n      float64 // patches accumulated
	maxPix int
	xq, xf []float64 // patch scratch, pixels x d
	y      []float64
}

// refitBudget bounds the multiply-adds one layer spends per image on its
// statistics, by sampling output pixels evenly.
const refitBudget = 1 << 23

var refitMode = os.Getenv("NEONET_REFIT_MODE")

func newRefitLayer(l *engine.Layer, in, out tensor.Shape) *refitLayer {
	r := &refitLayer{l: l, in: in, out: out}
	switch op := l.Node.Op.(type) {
	case *graph.Conv2D:
		r.geo = op.Geometry
	case *graph.Linear:
		r.geo = nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	}
	r.groups = r.geo.Groups
	r.coutG = out.C / r.groups
	r.d = in.C/r.groups*r.geo.KH*r.geo.KW + 1
	r.h = make([][]float64, r.groups)
	r.g = make([][]float64, r.groups)
	for i := range r.groups {
		r.h[i] = make([]float64, r.d*r.d)
		r.g[i] = make([]float64, r.d*r.coutG)
	}
	pixels := out.H * out.W
	r.maxPix = min(pixels, max(16, refitBudget/(r.groups*(r.d*r.d/2+2*r.d*r.coutG))))
	r.xq = make([]float64, r.maxPix*r.d)
	r.xf = make([]float64, r.d)
	r.y = make([]float64, r.coutG)
	return r
}

// patch writes the input patch of output pixel (oy, ox) for group grp into
// dst (OIHW order within the group, then 1).
func (r *refitLayer) patch(dst []float64, src *tensor.Tensor, grp, oy, ox int) {
	g := r.geo
	cinG := r.in.C / r.groups
	taps := g.KH * g.KW
	for ky := range g.KH {
		iy := oy*g.StrideH - g.PadH + ky*g.DilH
		for kx := range g.KW {
			ix := ox*g.StrideW - g.PadW + kx*g.DilW
			t := ky*g.KW + kx
			if iy < 0 || iy >= r.in.H || ix < 0 || ix >= r.in.W {
				for i := range cinG {
					dst[i*taps+t] = 0
				}
				continue
			}
			px := src.Pixel(0, iy, ix)[grp*cinG:]
			for i := range cinG {
				dst[i*taps+t] = float64(px[i])
			}
		}
	}
	dst[r.d-1] = 1
}

// add accumulates one image's patches: xq from the int8 simulation, xf
// from the float model.
func (r *refitLayer) add(xq, xf *tensor.Tensor) {
	pixels := r.out.H * r.out.W
	d := r.d
	for grp := range r.groups {
		for j := range r.maxPix {
			p := j * pixels / r.maxPix
			oy, ox := p/r.out.W, p%r.out.W
			r.patch(r.xq[j*d:(j+1)*d], xq, grp, oy, ox)
		}
		h, g := r.h[grp], r.g[grp]
		per := d - 1
		for j := range r.maxPix {
			p := j * pixels / r.maxPix
			r.patch(r.xf, xf, grp, p/r.out.W, p%r.out.W)
			for k := range r.coutG {
				o := grp*r.coutG + k
				s := float64(r.l.Bias[o])
				for i, w := range r.l.Weight[o*per : (o+1)*per] {
					s += float64(w) * r.xf[i]
				}
				r.y[k] = s
			}
			a := r.xq[j*d : (j+1)*d]
			for u, au := range a {
				if au == 0 {
					continue
				}
				hu, gu := h[u*d:(u+1)*d], g[u*r.coutG:(u+1)*r.coutG]
				for v := u; v < d; v++ {
					hu[v] += au * a[v]
				}
				for k, y := range r.y {
					gu[k] += au * y
				}
			}
		}
	}
	r.n += float64(r.maxPix)
}

// refitDamping is the ridge weight, relative to the mean diagonal of H,
// that keeps a refitted layer near its float weights where the
// calibration patches say little (as GPTQ damps its Hessian).
const refitDamping = 0.01

// solve refits and rounds the layer's weights: per group, the weights w*
// minimising sum |x̂ w* - x w|² + damping |w* - w|² (the float layer's
// output from the int8 model's input), then rounded one input at a time
// with the rounding error of each passed on to those not yet rounded
// (GPTQ, Frantar et al. 2022), the bias last and unrounded.
func (r *refitLayer) solve(q *qweights) error {
	before := r.objective(q)
	defer func() {
		if os.Getenv("NEONET_REFIT_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "refit %-36s d %5d n %8.0f  objective %.4g -> %.4g\n", r.l.Node.Name, r.d, r.n, before, r.objective(q))
		}
	}()
	d := r.d
	out := len(q.scales)
	coutG := out / r.groups
	per := d - 1
	for grp := range r.groups {
		h := r.h[grp]
		for u := range d {
			for v := 0; v < u; v++ {
				h[u*d+v] = h[v*d+u]
			}
		}
		var diag float64
		for u := range d {
			diag += h[u*d+u]
		}
		lambda := refitDamping*diag/float64(d) + 1e-12
		a := make([]float64, d*d)
		copy(a, h)
		for u := range d {
			a[u*d+u] += lambda
		}
		inv, err := invertSPD(a, d)
		if err != nil {
			return fmt.Errorf("refit %s group %d: %w", r.l.Node.Name, grp, err)
		}
		u := upperCholesky(inv, d)
		if u == nil {
			return fmt.Errorf("refit %s group %d: inverse not positive definite", r.l.Node.Name, grp)
		}
		w0 := make([]float64, d)
		t := make([]float64, d)
		w := make([]float64, d)
		for o := grp * coutG; o < (grp+1)*coutG; o++ {
			for i := range per {
				w0[i] = float64(r.l.Weight[o*per+i])
			}
			w0[per] = float64(r.l.Bias[o])
			k := o - grp*coutG
			switch refitMode {
			case "ls": // w = inv (sum x̂ y + lambda w0)
				for i := range d {
					t[i] = r.g[grp][i*coutG+k] + lambda*w0[i]
				}
				for i := range d {
					var s float64
					for j, x := range inv[i*d : (i+1)*d] {
						s += x * t[j]
					}
					w[i] = s
				}
			default: // the float weights, the bias that removes the mean error
				copy(w, w0)
				var s float64
				for i := range per {
					s += h[i*d+per] * w0[i]
				}
				w[per] = (r.g[grp][per*coutG+k] - s) / r.n
			}
			var m float64
			for i := range per {
				m = max(m, math.Abs(w[i]))
			}
			scale := float32(1)
			if m > 0 {
				scale = float32(m / quant.WeightQMax)
			}
			for i := range per {
				qi := quant.QuantizeWeight(float32(w[i]), scale)
				if refitMode != "nearest" {
					e := (w[i] - float64(qi)*float64(scale)) / u[i*d+i]
					for j := i; j < d; j++ {
						w[j] -= e * u[i*d+j]
					}
				}
				q.q[o*per+i] = qi
			}
			q.scales[o] = scale
			q.bias[o] = float32(w[per])
		}
	}
	return nil
}

// objective is sum |x̂ ŵ - x w|² over the patches, less its part that does
// not depend on ŵ, per patch: ŵᵀHŵ - 2 ŵᵀ G w.
func (r *refitLayer) objective(q *qweights) float64 {
	d := r.d
	per := d - 1
	out := len(q.scales)
	coutG := out / r.groups
	var total float64
	wh := make([]float64, d)
	w0 := make([]float64, d)
	for o := range out {
		grp := o / coutG
		for i := range per {
			wh[i] = float64(q.q[o*per+i]) * float64(q.scales[o])
			w0[i] = float64(r.l.Weight[o*per+i])
		}
		wh[per], w0[per] = float64(q.bias[o]), float64(r.l.Bias[o])
		h, g := r.h[grp], r.g[grp]
		k := o - grp*coutG
		for i := range d {
			for j := range d {
				hij := h[i*d+j]
				if j < i {
					hij = h[j*d+i]
				}
				total += wh[i] * hij * wh[j]
			}
			total -= 2 * wh[i] * g[i*coutG+k]
		}
	}
	return total / r.n
}

// cholesky returns the lower factor L of a (d x d, row-major), a = L Lᵀ,
// or nil if a is not positive definite.
func cholesky(a []float64, d int) []float64 {
	l := make([]float64, d*d)
	for i := range d {
		for j := 0; j <= i; j++ {
			s := a[i*d+j]
			li, lj := l[i*d:i*d+j], l[j*d:j*d+j]
			for k := range li {
				s -= li[k] * lj[k]
			}
			if i == j {
				if !(s > 0) {
					return nil
				}
				l[i*d+i] = math.Sqrt(s)
			} else {
				l[i*d+j] = s / l[j*d+j]
			}
		}
	}
	return l
}

// invertSPD inverts a symmetric positive definite matrix.
func invertSPD(a []float64, d int) ([]float64, error) {
	l := cholesky(a, d)
	if l == nil {
		return nil, fmt.Errorf("matrix not positive definite")
	}
	// inv(L) by forward substitution, then inv(a) = inv(L)ᵀ inv(L).
	li := make([]float64, d*d)
	for j := range d {
		li[j*d+j] = 1 / l[j*d+j]
		for i := j + 1; i < d; i++ {
			var s float64
			for k := j; k < i; k++ {
				s -= l[i*d+k] * li[k*d+j]
			}
			li[i*d+j] = s / l[i*d+i]
		}
	}
	inv := make([]float64, d*d)
	for i := range d {
		for j := 0; j <= i; j++ {
			var s float64
			for k := i; k < d; k++ {
				s += li[k*d+i] * li[k*d+j]
			}
			inv[i*d+j], inv[j*d+i] = s, s
		}
	}
	return inv, nil
}

// upperCholesky returns U with a = Uᵀ U, or nil.
func upperCholesky(a []float64, d int) []float64 {
	l := cholesky(a, d)
	if l == nil {
		return nil
	}
	u := make([]float64, d*d)
	for i := range d {
		for j := 0; j <= i; j++ {
			u[j*d+i] = l[i*d+j]
		}
	}
	return u
}

// refit re-derives the weights of the chosen layers from the calibration
// images run through the int8 model (simulated) and the float model.
func (c *Calibrator) refit(params map[graph.Value]quant.Params, weights map[*engine.Layer]*qweights) error {
	var rl []*refitLayer
	for _, l := range c.layers {
		q := weights[l]
		if q == nil {
			continue
		}
		depthwise := false
		if conv, ok := l.Node.Op.(*graph.Conv2D); ok {
			depthwise = conv.Geometry.Groups > 1 && conv.Geometry.Groups == c.prog.Value(l.Inputs[0]).Shape.C
		}
		switch c.opts.Refit {
		case "dw":
			if !depthwise {
				continue
			}
		case "pw":
			if depthwise {
				continue
			}
		}
		rl = append(rl, newRefitLayer(l, c.prog.Value(l.Inputs[0]).Shape, c.prog.Value(l.Output).Shape))
	}
	local := os.Getenv("NEONET_REFIT_LOCAL") != ""
	sim := newSimulator(c.g, c.layers, params, weights)
	scratch := map[*refitLayer]*tensor.Tensor{}
	for _, img := range c.inputs {
		if _, err := c.prog.RunInput(img); err != nil {
			return err
		}
		if !local {
			if _, err := sim.run(img); err != nil {
				return err
			}
		}
		for _, r := range rl {
			x := c.prog.Value(r.l.Inputs[0])
			xq := sim.values[r.l.Inputs[0]]
			if local {
				if scratch[r] == nil {
					scratch[r] = tensor.New(x.Shape)
				}
				xq = scratch[r]
				p := params[r.l.Inputs[0]]
				for i, v := range x.Data {
					xq.Data[i] = p.Dequantize(p.Quantize(v))
				}
			}
			r.add(xq, x)
		}
	}
	for _, r := range rl {
		if err := r.solve(weights[r.l]); err != nil {
			return err
		}
	}
	return nil
}
