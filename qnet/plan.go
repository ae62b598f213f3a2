package qnet

import "sort"

// Plan is where each tensor of a model lives in one activation arena,
// decided from tensor lifetimes before anything runs: a tensor occupies
// its bytes from the node that writes it to the last node that reads it,
// and tensors whose lifetimes overlap never share bytes. The input lives
// from the start and the output to the end.
type Plan struct {
	Offsets []int // per tensor, into the arena
	Size    int   // bytes: the peak activation memory
	Total   int   // bytes if every tensor had its own buffer
}

// Align is the alignment of every tensor in the arena, a cache line.
const Align = 64

// PlanMemory plans m's activations (m must be valid) for the reference
// path, where every node reads its own inputs.
func PlanMemory(m *Model) Plan { return planMemory(m, fusion{}) }

func planMemory(m *Model, f fusion) Plan {
	n := len(m.Tensors)
	first, last := make([]int, n), make([]int, n)
	for i := range first {
		first[i], last[i] = -1, -1
	}
	first[m.Input] = -1
	for s, node := range m.Nodes {
		first[node.Output] = s
		last[node.Output] = max(last[node.Output], s)
		for _, t := range node.Inputs {
			last[t] = max(last[t], s)
		}
	}
	for t, s := range f.readAt {
		last[t] = max(last[t], s)
	}
	for t, s := range f.writeAt {
		first[t] = min(first[t], s)
	}
	last[m.Output] = len(m.Nodes)
	size := make([]int, n)
	order := make([]int, n)
	p := Plan{Offsets: make([]int, n)}
	for i, t := range m.Tensors {
		size[i] = (t.Shape.Elems() + Align - 1) / Align * Align
		order[i] = i
		p.Total += size[i]
		if f.skip[i] {
			size[i] = 0
		}
	}
	// Largest first, each at the lowest offset free of every placed tensor
	// alive at the same time (greedy by size: near optimal for chains).
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] > size[order[b]] })
	var placed []int
	for _, t := range order {
		if size[t] == 0 {
			continue
		}
		var busy [][2]int
		for _, o := range placed {
			if first[t] <= last[o] && first[o] <= last[t] {
				busy = append(busy, [2]int{p.Offsets[o], p.Offsets[o] + size[o]})
			}
		}
		sort.Slice(busy, func(a, b int) bool { return busy[a][0] < busy[b][0] })
		off := 0
		for _, b := range busy {
			if off+size[t] <= b[0] {
				break
			}
			off = max(off, b[1])
		}
		p.Offsets[t] = off
		p.Size = max(p.Size, off+size[t])
		placed = append(placed, t)
	}
	return p
}
