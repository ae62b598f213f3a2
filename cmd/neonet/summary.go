package main

import (
	"io"

	"neonet.dev/neonet/models"
)

func runSummary(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("summary", "MODEL", stdout)
	classes := fs.Int("classes", 0, "number of output classes (default: the model's dataset)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("want exactly one MODEL, got %d arguments (models: %v)", len(pos), models.Names())
	}
	m, err := models.Lookup(pos[0])
	if err != nil {
		return usageError{err}
	}
	n := m.Classes
	if *classes > 0 {
		n = *classes
	}
	g, err := m.Build(n)
	if err != nil {
		return err
	}
	models.WriteSummary(stdout, g)
	return nil
}
