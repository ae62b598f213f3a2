package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"neonet.dev/neonet/models"
)

func runModels(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("models", "", stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tPARAMS\tGMACS\tINPUT\tDESCRIPTION")
	for _, m := range models.All() {
		g, err := m.Build(m.Classes)
		if err != nil {
			return err
		}
		in := g.InputShape()
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%dx%d\t%s\n", m.Name, g.TrainableParams(), float64(g.MACs())/1e9, in.W, in.H, m.Description)
	}
	return tw.Flush()
}
