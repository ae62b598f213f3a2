package main

import (
	"flag"
	"fmt"
	"io"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/models"
)

// modelFlags are the flags every command that runs a model shares.
type modelFlags struct {
	model, weights, labels string
}

func (f *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.model, "model", "", "model name (see 'neonet models'); shiftresnet20:E sets the expansion E")
	fs.StringVar(&f.weights, "weights", "", "weights: a torchvision .pth checkpoint, or the shiftresnet20 CSV folder;\nempty means seeded random weights (for timing only)")
	fs.StringVar(&f.labels, "labels", "", "class names, one per line in output order (default: the model's dataset labels)")
}

// load builds the model, loads its weights and resolves its labels. It
// warns on stderr when the predictions will mean nothing.
func (f *modelFlags) load(stderr io.Writer) (models.Model, *graph.Graph, *models.Labels, error) {
	if f.model == "" {
		return models.Model{}, nil, nil, usageErrorf("--model is required (one of: %v)", models.Names())
	}
	m, err := models.Lookup(f.model)
	if err != nil {
		return models.Model{}, nil, nil, usageError{err}
	}
	if f.weights == "" {
		fmt.Fprintf(stderr, "neonet: no --weights given: %s runs with seeded random weights, predictions are meaningless\n", m.Name)
	}
	g, err := m.Load(f.weights)
	if err != nil {
		return m, nil, nil, err
	}
	classes := g.OutputShape().C
	var labels *models.Labels
	if f.labels != "" {
		labels, err = models.LoadLabels(f.labels)
	} else {
		labels, err = models.DefaultLabels(m.Labels)
	}
	if err != nil {
		return m, nil, nil, err
	}
	if len(labels.Names) != classes {
		if f.labels != "" {
			return m, nil, nil, fmt.Errorf("labels %s has %d classes, the model outputs %d", f.labels, len(labels.Names), classes)
		}
		fmt.Fprintf(stderr, "neonet: the checkpoint has %d classes, not %s's %d: pass --labels FILE to name them\n", classes, m.Labels, len(labels.Names))
		labels = &models.Labels{}
		for i := range classes {
			name := fmt.Sprintf("class %d", i)
			labels.Names, labels.IDs = append(labels.Names, name), append(labels.IDs, name)
		}
	}
	return m, g, labels, nil
}
