package qnet

import "fmt"

// Prefix returns the part of m that computes tensor t: the nodes t depends
// on, in m's order, with t as the output and the tensors renumbered. Ops,
// and so weights, are shared with m; the prefix has no labels, its output
// being features rather than classes. It is how a classifier's backbone is
// cut from it (package train).
func (m *Model) Prefix(t int) (*Model, error) {
	if t < 0 || t >= len(m.Tensors) {
		return nil, fmt.Errorf("model %s: tensor %d out of range (%d tensors)", m.Name, t, len(m.Tensors))
	}
	producer := make([]int, len(m.Tensors))
	for i := range producer {
		producer[i] = -1
	}
	for i, n := range m.Nodes {
		producer[n.Output] = i
	}
	needed := make([]bool, len(m.Nodes))
	stack := []int{t}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v == m.Input {
			continue
		}
		k := producer[v]
		if k < 0 {
			return nil, fmt.Errorf("model %s: tensor %d (%s) is never written", m.Name, v, m.Tensors[v].Name)
		}
		if !needed[k] {
			needed[k] = true
			stack = append(stack, m.Nodes[k].Inputs...)
		}
	}
	p := *m
	p.Tensors, p.Nodes, p.Labels = nil, nil, nil
	index := map[int]int{}
	keep := func(v int) int {
		if i, ok := index[v]; ok {
			return i
		}
		index[v] = len(p.Tensors)
		p.Tensors = append(p.Tensors, m.Tensors[v])
		return index[v]
	}
	p.Input = keep(m.Input)
	for k, n := range m.Nodes {
		if !needed[k] {
			continue
		}
		ins := make([]int, len(n.Inputs))
		for i, v := range n.Inputs {
			ins[i] = keep(v)
		}
		p.Nodes = append(p.Nodes, Node{Name: n.Name, Op: n.Op, Inputs: ins, Output: keep(n.Output)})
	}
	p.Output = keep(t)
	return &p, nil
}
