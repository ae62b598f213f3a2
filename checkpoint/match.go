package checkpoint

import (
	"fmt"
	"slices"
	"strings"
)

// Spec is a tensor a model expects: its key and shape.
type Spec struct {
	Name  string
	Shape []int
}

// ShapeMismatch is a key present on both sides with different shapes.
type ShapeMismatch struct {
	Name       string
	Checkpoint []int
	Model      []int
}

func (m ShapeMismatch) String() string {
	return fmt.Sprintf("%s: checkpoint has %v, model expects %v", m.Name, m.Checkpoint, m.Model)
}

// MismatchError lists every difference between a checkpoint and a model,
// so one run shows all that is wrong rather than the first problem.
type MismatchError struct {
	Path       string
	Missing    []string // expected by the model, absent from the checkpoint
	Unexpected []string // in the checkpoint, unknown to the model
	Shapes     []ShapeMismatch
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "checkpoint %s does not match the model:", e.Path)
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, "\n  missing keys (%d): %s", len(e.Missing), strings.Join(e.Missing, ", "))
	}
	if len(e.Unexpected) > 0 {
		fmt.Fprintf(&b, "\n  unexpected keys (%d): %s", len(e.Unexpected), strings.Join(e.Unexpected, ", "))
	}
	if len(e.Shapes) > 0 {
		fmt.Fprintf(&b, "\n  shape mismatches (%d):", len(e.Shapes))
		for _, m := range e.Shapes {
			b.WriteString("\n    " + m.String())
		}
	}
	return b.String()
}

// Match checks the state dict against the tensors a model expects, as
// PyTorch's load_state_dict(strict=True) does. It returns nil on an exact
// match, otherwise a *MismatchError listing all missing keys (in want
// order), unexpected keys (in file order) and shape mismatches.
func (sd *StateDict) Match(want []Spec) error {
	e := &MismatchError{Path: sd.Path}
	expected := make(map[string]bool, len(want))
	for _, w := range want {
		expected[w.Name] = true
		t, ok := sd.Tensors[w.Name]
		switch {
		case !ok:
			e.Missing = append(e.Missing, w.Name)
		case !slices.Equal(t.Shape, w.Shape): // nil and [] both mean a scalar
			e.Shapes = append(e.Shapes, ShapeMismatch{Name: w.Name, Checkpoint: t.Shape, Model: w.Shape})
		}
	}
	for _, k := range sd.Keys {
		if !expected[k] {
			e.Unexpected = append(e.Unexpected, k)
		}
	}
	if len(e.Missing)+len(e.Unexpected)+len(e.Shapes) == 0 {
		return nil
	}
	return e
}
