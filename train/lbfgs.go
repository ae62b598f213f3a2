package train

import "math"

// objective computes a function's value at x and writes its gradient to
// grad.
type objective func(x, grad []float64) float64

// lbfgsOptions bound a minimization.
type lbfgsOptions struct {
	Memory   int     // correction pairs kept (10)
	MaxIter  int     // iterations at most
	GradTol  float64 // stop when every gradient component is at most this
	RelTol   float64 // stop when an iteration lowers the value by less than this, relatively
	MaxTries int     // function evaluations per line search at most
}

var defaultLBFGS = lbfgsOptions{Memory: 10, MaxIter: 1000, GradTol: 1e-6, RelTol: 1e-12, MaxTries: 40}

// lbfgsResult says how a minimization ended.
type lbfgsResult struct {
	Iterations, Evaluations int
	Value                   float64
	Converged               bool // a tolerance was met (not the iteration limit)
}

// minimize finds the minimum of a smooth convex f, starting from x and
// leaving the minimizer in x, by limited-memory BFGS (Nocedal and Wright,
// Numerical Optimization, algorithms 7.4 and 7.5): the two-loop recursion
// turns the last Memory steps and gradient changes into a quasi-Newton
// direction, and a backtracking line search with the Armijo condition
// (quadratic interpolation, the unit step first) finds the step. A pair
// without positive curvature is not kept; a direction that does not
// descend falls back to steepest descent.
func minimize(f objective, x []float64, opt lbfgsOptions) lbfgsResult {
	n := len(x)
	g, gNew, xNew, d := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	var s, y [][]float64
	var rho []float64
	alpha := make([]float64, opt.Memory)
	fx := f(x, g)
	res := lbfgsResult{Evaluations: 1, Value: fx}
	for res.Iterations < opt.MaxIter {
		if normInf(g) <= opt.GradTol {
			res.Converged = true
			break
		}
		// d = -H g by the two-loop recursion.
		copy(d, g)
		for i := len(s) - 1; i >= 0; i-- {
			alpha[i] = rho[i] * dot(s[i], d)
			axpy(d, -alpha[i], y[i])
		}
		gamma := 1 / math.Sqrt(dot(g, g)) // the first step moves x by 1
		if k := len(s) - 1; k >= 0 {
			gamma = 1 / (rho[k] * dot(y[k], y[k]))
		}
		scale(d, gamma)
		for i := range s {
			beta := rho[i] * dot(y[i], d)
			axpy(d, alpha[i]-beta, s[i])
		}
		scale(d, -1)
		slope := dot(d, g)
		if !(slope < 0) {
			s, y, rho = nil, nil, nil
			copy(d, g)
			scale(d, -1/math.Sqrt(dot(g, g)))
			slope = dot(d, g)
		}
		fNew, evals, ok := lineSearch(f, x, d, fx, slope, xNew, gNew, opt.MaxTries)
		res.Evaluations += evals
		if !ok {
			break // no lower value along d: as low as float64 can tell
		}
		res.Iterations++
		sk, yk := make([]float64, n), make([]float64, n)
		for i := range n {
			sk[i], yk[i] = xNew[i]-x[i], gNew[i]-g[i]
		}
		if sy := dot(sk, yk); sy > 1e-12*dot(yk, yk) {
			if len(s) == opt.Memory {
				s, y, rho = s[1:], y[1:], rho[1:]
			}
			s, y, rho = append(s, sk), append(y, yk), append(rho, 1/sy)
		}
		decrease := fx - fNew
		copy(x, xNew)
		copy(g, gNew)
		fx = fNew
		res.Value = fx
		if decrease <= opt.RelTol*max(math.Abs(fx), 1) {
			res.Converged = true
			break
		}
	}
	return res
}

// lineSearch backtracks along d from x until f falls enough (Armijo, with
// c1 = 1e-4), writing the point to xNew and its gradient to gNew.
func lineSearch(f objective, x, d []float64, fx, slope float64, xNew, gNew []float64, tries int) (fNew float64, evals int, ok bool) {
	const c1 = 1e-4
	t := 1.0
	for evals < tries {
		for i := range x {
			xNew[i] = x[i] + t*d[i]
		}
		fNew = f(xNew, gNew)
		evals++
		if fNew <= fx+c1*t*slope {
			return fNew, evals, true
		}
		// The minimum of the parabola through f(x), its slope and f(x+td),
		// kept within [t/10, t/2].
		next := -slope * t * t / (2 * (fNew - fx - slope*t))
		if math.IsNaN(next) || math.IsInf(fNew, 0) {
			next = t / 2
		}
		t = min(max(next, t/10), t/2)
	}
	return fx, evals, false
}

func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds a*x to y.
func axpy(y []float64, a float64, x []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

func scale(x []float64, a float64) {
	for i := range x {
		x[i] *= a
	}
}

func normInf(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}
