package train

import (
	"math"
	"sync"
)

// Head is a linear classifier on embeddings: logits = W x + B, with W
// [classes][dim] row-major.
type Head struct {
	W, B       []float64
	Dim        int
	Iterations int // L-BFGS iterations (softmax)
	Converged  bool
}

// Classes is the number of classes.
func (h *Head) Classes() int { return len(h.B) }

// Logits writes the logits of embedding x to z.
func (h *Head) Logits(x []float64, z []float64) {
	for k := range z {
		z[k] = h.B[k] + dot(h.W[k*h.Dim:][:h.Dim], x)
	}
}

// standardizer maps each embedding value to (x - Mean) / Std, per
// component; a component that never changes keeps Std 1.
type standardizer struct{ Mean, Std []float64 }

func newStandardizer(x []float64, dim int) standardizer {
	n := len(x) / dim
	s := standardizer{Mean: make([]float64, dim), Std: make([]float64, dim)}
	for r := range n {
		axpy(s.Mean, 1, x[r*dim:][:dim])
	}
	scale(s.Mean, 1/float64(n))
	for r := range n {
		for j, v := range x[r*dim:][:dim] {
			s.Std[j] += (v - s.Mean[j]) * (v - s.Mean[j])
		}
	}
	for j := range s.Std {
		s.Std[j] = math.Sqrt(s.Std[j] / float64(n))
		if s.Std[j] < 1e-6 {
			s.Std[j] = 1
		}
	}
	return s
}

func (s standardizer) apply(x []float64) []float64 {
	dim := len(s.Mean)
	out := make([]float64, len(x))
	for i, v := range x {
		j := i % dim
		out[i] = (v - s.Mean[j]) / s.Std[j]
	}
	return out
}

// unstandardize turns a head on standardized embeddings into one on the
// embeddings themselves: W/Std, and B less W/Std times Mean.
func (s standardizer) unstandardize(h *Head) {
	for k := range h.Classes() {
		w := h.W[k*h.Dim:][:h.Dim]
		for j := range w {
			w[j] /= s.Std[j]
		}
		h.B[k] -= dot(w, s.Mean)
	}
}

// softmaxProblem is multinomial logistic regression with an L2 penalty on
// the weights (not the biases):
//
//	(1/n) sum over the n rows of -log softmax(W x + B)[class] + (l2/2) |W|^2
//
// which is scikit-learn's LogisticRegression with C = 1/(l2 n). The
// penalty is per row, so that augmented views or a longer recording of the
// same scenes do not weaken it. The rows are split over workers for each
// evaluation.
type softmaxProblem struct {
	x        []float64 // rows x dim
	class    []int
	dim, k   int
	l2       float64
	workers  int
	partials [][]float64 // per worker: gradient, then loss
}

// eval is the objective: theta holds W then B.
func (p *softmaxProblem) eval(theta, grad []float64) float64 {
	n := len(p.class)
	nw := max(min(p.workers, n/64), 1)
	var wg sync.WaitGroup
	for w := range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.partial(theta, p.partials[w], w*n/nw, (w+1)*n/nw)
		}()
	}
	wg.Wait()
	clear(grad)
	loss := 0.0
	for _, part := range p.partials[:nw] {
		axpy(grad, 1, part[:len(grad)])
		loss += part[len(grad)]
	}
	inv := 1 / float64(n)
	scale(grad, inv)
	wlen := p.k * p.dim
	axpy(grad[:wlen], p.l2, theta[:wlen])
	return loss*inv + p.l2/2*dot(theta[:wlen], theta[:wlen])
}

// partial adds up the loss and its gradient over rows [r0, r1) into out:
// the gradient, then the loss. Rows go four at a time, so that each
// weight read serves four rows in the logits and each gradient value
// written gathers four rows.
func (p *softmaxProblem) partial(theta, out []float64, r0, r1 int) {
	dim, k := p.dim, p.k
	w, b := theta[:k*dim], theta[k*dim:]
	clear(out)
	gw, gb := out[:k*dim], out[k*dim:k*dim+k]
	z := make([]float64, 4*k)
	var xs [4][]float64
	loss := 0.0
	for r := r0; r < r1; r += 4 {
		rows := min(4, r1-r)
		for i := range 4 {
			xs[i] = p.x[min(r+i, r1-1)*dim:][:dim] // a short block repeats its last row, unused
		}
		for c := range k {
			s := dot4(w[c*dim:][:dim], xs[0], xs[1], xs[2], xs[3])
			for i := range 4 {
				z[i*k+c] = b[c] + s[i]
			}
		}
		for i := range 4 {
			if i >= rows {
				clear(z[i*k : (i+1)*k])
				continue
			}
			loss += softmaxCoefs(z[i*k:(i+1)*k], p.class[r+i])
		}
		for c := range k {
			gb[c] += z[c] + z[k+c] + z[2*k+c] + z[3*k+c]
			axpy4(gw[c*dim:][:dim], z[c], z[k+c], z[2*k+c], z[3*k+c], xs[0], xs[1], xs[2], xs[3])
		}
	}
	out[k*dim+k] = loss
}

// softmaxCoefs turns logits z into the gradient of the row's loss by the
// logits (the probabilities, less one for class y) and returns the loss.
func softmaxCoefs(z []float64, y int) float64 {
	top := math.Inf(-1)
	for _, v := range z {
		top = max(top, v)
	}
	sum := 0.0
	for c, v := range z {
		z[c] = math.Exp(v - top)
		sum += z[c]
	}
	loss := -math.Log(z[y] / sum)
	for c := range z {
		z[c] /= sum
	}
	z[y]--
	return loss
}

// dot4 returns the dot products of w with four vectors.
func dot4(w, x0, x1, x2, x3 []float64) [4]float64 {
	x0, x1, x2, x3 = x0[:len(w)], x1[:len(w)], x2[:len(w)], x3[:len(w)]
	var s0, s1, s2, s3 float64
	for j, v := range w {
		s0 += v * x0[j]
		s1 += v * x1[j]
		s2 += v * x2[j]
		s3 += v * x3[j]
	}
	return [4]float64{s0, s1, s2, s3}
}

// axpy4 adds a0*x0 + a1*x1 + a2*x2 + a3*x3 to y.
func axpy4(y []float64, a0, a1, a2, a3 float64, x0, x1, x2, x3 []float64) {
	x0, x1, x2, x3 = x0[:len(y)], x1[:len(y)], x2[:len(y)], x3[:len(y)]
	for j := range y {
		y[j] += a0*x0[j] + a1*x1[j] + a2*x2[j] + a3*x3[j]
	}
}

// fitSoftmax trains the softmax head on embeddings x (rows x dim) of
// classes 0..k-1 with penalty l2, to convergence: L-BFGS on standardized
// embeddings, from zero weights (the problem is convex, so the start
// does not change the result).
func fitSoftmax(x []float64, class []int, dim, k int, l2 float64, workers int) *Head {
	std := newStandardizer(x, dim)
	p := &softmaxProblem{x: std.apply(x), class: class, dim: dim, k: k, l2: l2, workers: max(workers, 1)}
	theta := make([]float64, k*dim+k)
	p.partials = make([][]float64, p.workers)
	for i := range p.partials {
		p.partials[i] = make([]float64, len(theta)+1)
	}
	res := minimize(p.eval, theta, defaultLBFGS)
	h := &Head{W: theta[:k*dim], B: theta[k*dim:], Dim: dim, Iterations: res.Iterations, Converged: res.Converged}
	std.unstandardize(h)
	return h
}
