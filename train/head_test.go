package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/quant"
)

// L-BFGS finds the minimum of Rosenbrock's valley (not convex, badly
// scaled) and of a convex quadratic to the tolerance asked.
func TestMinimizeFindsKnownMinima(t *testing.T) {
	rosenbrock := func(x, g []float64) float64 {
		a, b := 1-x[0], x[1]-x[0]*x[0]
		g[0], g[1] = -2*a-400*x[0]*b, 200*b
		return a*a + 100*b*b
	}
	x := []float64{-1.2, 1}
	res := minimize(rosenbrock, x, defaultLBFGS)
	if !res.Converged || math.Abs(x[0]-1) > 1e-5 || math.Abs(x[1]-1) > 1e-5 {
		t.Errorf("Rosenbrock: minimum at %v after %+v, want (1, 1)", x, res)
	}
	// sum of (i+1) (x_i - i)^2: minimum at x_i = i.
	quadratic := func(x, g []float64) float64 {
		f := 0.0
		for i, v := range x {
			d := v - float64(i)
			f += float64(i+1) * d * d
			g[i] = 2 * float64(i+1) * d
		}
		return f
	}
	x = make([]float64, 50)
	res = minimize(quadratic, x, defaultLBFGS)
	for i, v := range x {
		if math.Abs(v-float64(i)) > 1e-6 {
			t.Fatalf("quadratic: x[%d] = %g after %+v, want %d", i, v, res, i)
		}
	}
}

// blobs draws n embeddings per class around k random centres in dim
// dimensions, non-negative as ReLU features are.
func blobs(k, n, dim int, spread float64, seed uint64) ([]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := make([]float64, k*dim)
	for i := range centres {
		centres[i] = 4 * rng.Float64()
	}
	var x []float64
	var y []int
	for c := range k {
		for range n {
			for j := range dim {
				x = append(x, max(0, centres[c*dim+j]+spread*rng.NormFloat64()))
			}
			y = append(y, c)
		}
	}
	return x, y
}

// The softmax objective's gradient is its derivative, checked by central
// differences, on every worker split.
func TestSoftmaxGradientMatchesFiniteDifferences(t *testing.T) {
	x, y := blobs(3, 21, 5, 1, 1)
	rng := rand.New(rand.NewPCG(2, 2))
	for _, workers := range []int{1, 2, 3} {
		p := &softmaxProblem{x: x, class: y, dim: 5, k: 3, l2: 0.3, workers: workers}
		p.partials = make([][]float64, workers)
		theta := make([]float64, 3*5+3)
		for i := range p.partials {
			p.partials[i] = make([]float64, len(theta)+1)
		}
		for i := range theta {
			theta[i] = rng.NormFloat64()
		}
		grad, g2 := make([]float64, len(theta)), make([]float64, len(theta))
		f := p.eval(theta, grad)
		for i := range theta {
			const h = 1e-6
			old := theta[i]
			theta[i] = old + h
			fp := p.eval(theta, g2)
			theta[i] = old - h
			fm := p.eval(theta, g2)
			theta[i] = old
			if d := (fp - fm) / (2 * h); math.Abs(d-grad[i]) > 1e-6*max(1, math.Abs(d)) {
				t.Errorf("workers %d: d/dtheta[%d] = %g by differences, gradient says %g (f %g)", workers, i, d, grad[i], f)
			}
		}
	}
}

// The softmax head fitted on standardized embeddings and turned back into
// a head on the embeddings separates clearly separated classes, its
// gradient vanishes at the result, and the penalty shrinks the weights.
func TestFitSoftmaxConverges(t *testing.T) {
	x, y := blobs(4, 30, 16, 0.5, 3)
	weak := fitSoftmax(x, y, 16, 4, 0.01, 2)
	strong := fitSoftmax(x, y, 16, 4, 1, 2)
	if !weak.Converged || !strong.Converged {
		t.Fatalf("not converged: %d and %d iterations", weak.Iterations, strong.Iterations)
	}
	if acc := accuracy(weak, x, y); acc != 1 {
		t.Errorf("training accuracy %.3f on separated classes, want 1", acc)
	}
	if norm(weak.W) <= norm(strong.W) {
		t.Errorf("|W| %g with penalty 0.01, %g with 1: the penalty does not shrink the weights", norm(weak.W), norm(strong.W))
	}
}

func norm(v []float64) float64 { return math.Sqrt(dot(v, v)) }

func accuracy(h *Head, x []float64, y []int) float64 {
	z := make([]float64, h.Classes())
	right := 0
	for r, c := range y {
		h.Logits(x[r*h.Dim:][:h.Dim], z)
		right += b2i(argmax(z) == c)
	}
	return float64(right) / float64(len(y))
}

// The imprinted head ranks classes by the cosine between the centred
// embedding and each class's normalised mean direction, and gives the
// imprinting scale to an embedding on its class's direction at the
// typical length.
func TestImprintIsTheCosineClassifier(t *testing.T) {
	const k, dim = 3, 8
	x, y := blobs(k, 5, dim, 1.5, 4)
	h := imprint(x, y, dim, k)
	centre := make([]float64, dim)
	for c := range k {
		mean := make([]float64, dim)
		for r := range y {
			if y[r] == c {
				axpy(mean, 1.0/5, x[r*dim:][:dim])
			}
		}
		axpy(centre, 1.0/k, mean)
	}
	probe, _ := blobs(k, 20, dim, 3, 5)
	z := make([]float64, k)
	v := make([]float64, dim)
	for r := range len(probe) / dim {
		copy(v, probe[r*dim:][:dim])
		axpy(v, -1, centre)
		h.Logits(probe[r*dim:][:dim], z)
		best, bestCos := -1, math.Inf(-1)
		for c := range k {
			w := h.W[c*dim:][:dim]
			if cos := dot(w, v) / (norm(w) * norm(v)); cos > bestCos {
				best, bestCos = c, cos
			}
		}
		if argmax(z) != best {
			t.Fatalf("probe %d: head picks %d, the highest cosine is class %d", r, argmax(z), best)
		}
	}
	if acc := accuracy(h, x, y); acc < 0.9 {
		t.Errorf("imprinted head: %.2f on its own photos", acc)
	}
}

// The int8 head (quantized weights, bias, output) gives the float head's
// logits to within the quantization steps, and the same top class on
// every embedding whose top two float logits are apart by more than that.
func TestInt8HeadAgreesWithFloatHead(t *testing.T) {
	const k, dim = 5, 64
	x, y := blobs(k, 40, dim, 1, 6)
	params := quant.ChooseParams(0, float32(slicesMax(x)))
	e := &embeddings{dim: dim, per: 1, params: params, q: make([]int8, len(x)), class: y}
	for i, v := range x {
		e.q[i] = params.Quantize(float32(v))
	}
	xq := e.float()
	h := fitSoftmax(xq, y, dim, k, 0.1, 1)
	op, out := quantizeHead(h, params, xq)
	path, err := dispatch.Select()
	if err != nil {
		t.Fatal(err)
	}
	prog, err := headProgram("test", dim, params, op, out, path)
	if err != nil {
		t.Fatal(err)
	}
	z := make([]float64, k)
	tol := 2 * float64(out.Scale)
	worst := 0.0
	for r := range y {
		copy(prog.Input().Data, e.q[r*dim:][:dim])
		prog.Run()
		got := prog.Logits()
		h.Logits(xq[r*dim:][:dim], z)
		for c := range k {
			worst = max(worst, math.Abs(float64(got[c])-z[c]))
		}
	}
	if worst > tol {
		t.Errorf("int8 logits differ from float ones by up to %g, want at most %g (two output steps)", worst, tol)
	}
	ev := evaluate(h, prog, e, xq, k)
	if ev.Agreement < 0.99 || ev.Accuracy != ev.FloatAccuracy && math.Abs(ev.Accuracy-ev.FloatAccuracy) > 0.01 {
		t.Errorf("int8 head: accuracy %.3f, float %.3f, agreement %.3f", ev.Accuracy, ev.FloatAccuracy, ev.Agreement)
	}
}

func slicesMax(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	return m
}
