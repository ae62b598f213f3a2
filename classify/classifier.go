package classify

import (
	"cmp"
	"fmt"
	"slices"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/kernels"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/preprocess"
)

// Prediction is one ranked class.
type Prediction struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Score float32 `json:"score"` // softmax probability
}

// Classifier runs one compiled copy of a model. It is not safe for
// concurrent use: make one per goroutine with New (they share the graph's
// weights read-only).
type Classifier struct {
	model  models.Model
	labels *models.Labels
	prog   *engine.Program
	probs  []float32
	order  []int
}

// New compiles g, built from m, for classifying one image at a time.
func New(m models.Model, g *graph.Graph, labels *models.Labels) (*Classifier, error) {
	prog, err := engine.Compile(g, engine.Options{Batch: 1})
	if err != nil {
		return nil, err
	}
	classes := g.OutputShape().C
	c := &Classifier{model: m, labels: labels, prog: prog, probs: make([]float32, classes), order: make([]int, classes)}
	return c, nil
}

// Input is the model's input tensor data: fill it and call Run, or use
// ClassifyFile.
func (c *Classifier) Input() []float32 { return c.prog.Input().Data }

// Logits runs the model on the current input and returns its raw outputs
// (valid until the next run).
func (c *Classifier) Logits() []float32 { return c.prog.Run().Data }

// Top runs the model on the current input and returns the k most likely
// classes, most likely first.
func (c *Classifier) Top(k int) []Prediction {
	logits := c.Logits()
	kernels.Softmax(c.probs, logits, len(logits))
	for i := range c.order {
		c.order[i] = i
	}
	// Stable, so equal scores keep index order as in torch.topk on CPU.
	slices.SortStableFunc(c.order, func(a, b int) int { return cmp.Compare(c.probs[b], c.probs[a]) })
	k = min(max(k, 1), len(c.order))
	top := make([]Prediction, k)
	for i, idx := range c.order[:k] {
		top[i] = Prediction{Index: idx, Label: c.labels.Name(idx), Score: c.probs[idx]}
	}
	return top
}

// ClassifyFile decodes and preprocesses an image file, then returns its
// top k classes.
func (c *Classifier) ClassifyFile(path string, k int) ([]Prediction, error) {
	if err := c.LoadFile(path); err != nil {
		return nil, err
	}
	return c.Top(k), nil
}

// LoadFile decodes and preprocesses an image file into the input tensor.
func (c *Classifier) LoadFile(path string) error {
	img, err := preprocess.Decode(path)
	if err != nil {
		return err
	}
	if err := c.model.Preprocess.Tensor(img, c.Input()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
