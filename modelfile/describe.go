package modelfile

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
)

// Describe writes a human-readable summary of m and of the file it came
// from (info; the zero Info for a model not read from a file): the header,
// the input and its preprocessing, the labels, a table of nodes, totals
// and, for a valid model, its peak activation memory (qnet.PlanMemory). It is meant for people; its format may change.
func Describe(w io.Writer, m *qnet.Model, info Info) {
	if info.Version != 0 {
		fmt.Fprintf(w, "neonet model file, format version %d, %s bytes (metadata %s, data %s), %s\n",
			info.Version, commas(info.Size), commas(info.Metadata), commas(info.Data), info.Checksum)
	} else {
		fmt.Fprintf(w, "neonet model (not read from a file)\n")
	}
	tensorLine := func(i int) string {
		if i < 0 || i >= len(m.Tensors) {
			return fmt.Sprintf("tensor %d (missing)", i)
		}
		t := m.Tensors[i]
		return fmt.Sprintf("tensor %d %q %v, %v", i, t.Name, t.Shape, t.Params)
	}
	hw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(hw, "model:\t%s\n", m.Name)
	fmt.Fprintf(hw, "input:\t%s\n", tensorLine(m.Input))
	fmt.Fprintf(hw, "preprocess:\t%s\n", describePreprocess(m.Preprocess))
	fmt.Fprintf(hw, "output:\t%s\n", tensorLine(m.Output))
	fmt.Fprintf(hw, "labels:\t%s\n", describeLabels(m.Labels))
	if m.Calibration != "" {
		fmt.Fprintf(hw, "calibration:\t%s\n", m.Calibration)
	}
	hw.Flush()
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "#\tnode\top\toutput\tscale\tzero\tweight bytes\tMACs\n")
	var params, bytes, macs int64
	for i, n := range m.Nodes {
		var out string
		var scale float32
		var zero int32
		if n.Output >= 0 && n.Output < len(m.Tensors) {
			t := m.Tensors[n.Output]
			out, scale, zero = t.Shape.String(), t.Params.Scale, t.Params.Zero
		}
		p, b, mac := nodeCost(m, &n)
		params, bytes, macs = params+p, bytes+b, macs+mac
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.6g\t%d\t%s\t%s\n", i, n.Name, describeOp(n.Op), out, scale, zero, commas(b), commas(mac))
	}
	tw.Flush()
	fmt.Fprintf(w, "\ntotals: %d nodes, %d tensors, %s parameters, %s weight bytes, %s MACs per inference\n",
		len(m.Nodes), len(m.Tensors), commas(params), commas(bytes), commas(macs))
	if m.Validate() == nil {
		plan := qnet.PlanMemory(m)
		fmt.Fprintf(w, "peak activation memory: %s bytes, one arena planned from tensor lifetimes (reference path); %s bytes with a buffer per tensor (%.1fx as much)\n",
			commas(int64(plan.Size)), commas(int64(plan.Total)), float64(plan.Total)/float64(max(plan.Size, 1)))
	}
}

func describePreprocess(s preprocess.Spec) string {
	if s == (preprocess.Spec{}) {
		return "none (the input tensor is filled directly)"
	}
	resize := "stretch to the crop size"
	if s.Resize > 0 {
		resize = fmt.Sprintf("shorter side to %d", s.Resize)
	}
	return fmt.Sprintf("resize %s (%v), center crop %dx%d, RGB, x/255 then (x-mean)/std, mean %v, std %v",
		resize, s.Filter, s.CropH, s.CropW, s.Mean, s.Std)
}

func describeLabels(labels []string) string {
	if len(labels) == 0 {
		return "none"
	}
	const show = 5
	first := labels[:min(show, len(labels))]
	q := make([]string, len(first))
	for i, l := range first {
		q[i] = fmt.Sprintf("%q", l)
	}
	more := ""
	if len(labels) > show {
		more = ", ..."
	}
	s := fmt.Sprintf("%d (%s%s)", len(labels), strings.Join(q, ", "), more)
	if rep := RepeatedLabels(labels); len(rep) > 0 {
		s += "; names of more than one class: " + strings.Join(rep, ", ")
	}
	return s
}

// RepeatedLabels describes the names that more than one class has, with
// their indices ("crane" 134 and 517), in order of first appearance; a
// label that names several classes matches any of them.
func RepeatedLabels(labels []string) []string {
	at := map[string][]int{}
	var order []string
	for i, l := range labels {
		if len(at[l]) == 1 {
			order = append(order, l)
		}
		at[l] = append(at[l], i)
	}
	out := make([]string, len(order))
	for i, l := range order {
		idx := make([]string, len(at[l]))
		for j, n := range at[l] {
			idx[j] = strconv.Itoa(n)
		}
		last := len(idx) - 1
		out[i] = fmt.Sprintf("%q %s and %s", l, strings.Join(idx[:last], ", "), idx[last])
	}
	return out
}

func describeOp(op qnet.Op) string {
	if op == nil {
		return "(none)"
	}
	return qnet.DescribeOp(op)
}

// nodeCost returns a node's parameter count (weights and biases), the
// bytes its arrays take in the file and its multiply-accumulates
// (qnet.NodeMACs). The model need not be valid.
func nodeCost(m *qnet.Model, n *qnet.Node) (params, bytes, macs int64) {
	if n.Op == nil {
		return 0, 0, 0
	}
	var mn metaNode
	encodeOp(&mn, n.Op, &dataWriter{}) // an error leaves out only what the format cannot store
	for _, f := range nodeFields {
		if ref, ok := f.slot(&mn).(**arrayRef); ok && *ref != nil {
			bytes += (*ref).Length * dtypeSize((*ref).DType)
		}
	}
	for _, ref := range []*arrayRef{mn.Weights, mn.Bias} {
		if ref != nil {
			params += ref.Length
		}
	}
	if n.Output >= 0 && n.Output < len(m.Tensors) {
		macs = qnet.NodeMACs(m, n)
	}
	return params, bytes, macs
}

// commas formats n with thousands separators.
func commas(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
