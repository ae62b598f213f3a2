package engine

import "time"

// RunProfiled executes every step like Run and adds each step's wall time
// to d, which has one entry per step (see Steps). It allocates nothing, so
// profiles over many runs can share one slice.
func (p *Program) RunProfiled(d []time.Duration) {
	if len(d) != len(p.steps) {
		panic("engine: RunProfiled needs one duration per step")
	}
	for i := range p.steps {
		t0 := time.Now()
		p.steps[i].run()
		d[i] += time.Since(t0)
	}
}
