package models

import (
	"fmt"
	"io"
	"strings"

	"neonet.dev/neonet/graph"
)

// WriteSummary prints every trainable parameter of g with its PyTorch name
// and size, in the layout PyTorch users know from the usual
// count_parameters recipe (a PrettyTable with columns "Modules" and
// "Parameters"), then the input size, the multiply-accumulates of one
// inference and the total ("Total Trainable Params: N").
func WriteSummary(w io.Writer, g *graph.Graph) {
	nameWidth, countWidth := len("Modules"), len("Parameters")
	for _, p := range g.Params {
		if p.Trainable {
			nameWidth = max(nameWidth, len(p.Name))
			countWidth = max(countWidth, len(fmt.Sprint(p.Elems())))
		}
	}
	rule := "+" + strings.Repeat("-", nameWidth+2) + "+" + strings.Repeat("-", countWidth+2) + "+"
	row := func(a, b string) {
		fmt.Fprintf(w, "| %s | %s |\n", center(a, nameWidth), center(b, countWidth))
	}
	fmt.Fprintln(w, rule)
	row("Modules", "Parameters")
	fmt.Fprintln(w, rule)
	for _, p := range g.Params {
		if p.Trainable {
			row(p.Name, fmt.Sprint(p.Elems()))
		}
	}
	fmt.Fprintln(w, rule)
	in := g.InputShape()
	fmt.Fprintf(w, "Input size: %d x %d x %d x %d (N, C, H, W)\n", in.N, in.C, in.H, in.W)
	fmt.Fprintf(w, "MACs: %d (%.3f G)\n", g.MACs(), float64(g.MACs())/1e9)
	fmt.Fprintf(w, "Total Trainable Params: %d\n", g.TrainableParams())
}

// center pads s to width, centred as PrettyTable does (extra space right).
func center(s string, width int) string {
	pad := width - len(s)
	if pad <= 0 {
		return s
	}
	left := pad / 2
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", pad-left)
}
