package classify

import (
	"cmp"
	"fmt"
	"image"
	"slices"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/kernels/fp32"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
)

// Prediction is one ranked class.
type Prediction struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Score float32 `json:"score"` // softmax probability
}

// Classifier runs one compiled copy of a model, float or int8. It is not
// safe for concurrent use: give each goroutine its own Clone (clones share
// the weights read-only).
type Classifier struct {
	names   []string
	spec    preprocess.Spec
	backend backend
	probs   []float32
	order   []int
}

// backend is a compiled model of either precision.
type backend interface {
	// clone compiles another copy sharing the weights.
	clone() (backend, error)
	// input is the float NHWC input to fill before run.
	input() []float32
	// run computes the logits of the current input.
	run() []float32
	precision() string
}

// New compiles the float model g for classifying one image at a time with
// spec's preprocessing.
func New(g *graph.Graph, spec preprocess.Spec, labels []string) (*Classifier, error) {
	prog, err := engine.Compile(g, engine.Options{Batch: 1})
	if err != nil {
		return nil, err
	}
	return newClassifier(&fp32Backend{prog}, spec, labels), nil
}

// NewInt8 compiles an int8 model; labels and preprocessing come from the
// model.
func NewInt8(m *qnet.Model) (*Classifier, error) {
	prog, err := qnet.Compile(m)
	if err != nil {
		return nil, err
	}
	b := &int8Backend{prog: prog, in: make([]float32, len(prog.Input().Data))}
	return newClassifier(b, m.Preprocess, m.Labels), nil
}

func newClassifier(b backend, spec preprocess.Spec, labels []string) *Classifier {
	classes := len(b.run())
	return &Classifier{names: labels, spec: spec, backend: b, probs: make([]float32, classes), order: make([]int, classes)}
}

type fp32Backend struct{ prog *engine.Program }

func (b *fp32Backend) clone() (backend, error) { return &fp32Backend{b.prog.Clone()}, nil }
func (b *fp32Backend) input() []float32        { return b.prog.Input().Data }
func (b *fp32Backend) run() []float32          { return b.prog.Run().Data }
func (b *fp32Backend) precision() string       { return "fp32" }

type int8Backend struct {
	prog *qnet.Program
	in   []float32
}

func (b *int8Backend) clone() (backend, error) {
	prog, err := qnet.Compile(b.prog.Model()) // int8 weights are shared, not copied
	if err != nil {
		return nil, err
	}
	return &int8Backend{prog: prog, in: make([]float32, len(b.in))}, nil
}
func (b *int8Backend) input() []float32 { return b.in }
func (b *int8Backend) run() []float32 {
	b.prog.QuantizeInput(b.in) // sizes match by construction
	b.prog.Run()
	return b.prog.Logits()
}
func (b *int8Backend) precision() string { return "int8" }

// Clone returns another classifier for the same model, sharing its
// weights, for use on another goroutine.
func (c *Classifier) Clone() (*Classifier, error) {
	b, err := c.backend.clone()
	if err != nil {
		return nil, err
	}
	return newClassifier(b, c.spec, c.names), nil
}

// Precision is "fp32" or "int8".
func (c *Classifier) Precision() string { return c.backend.precision() }

// Input is the model's float input (NHWC, preprocessed): fill it and call
// Logits or Top, or use LoadFile.
func (c *Classifier) Input() []float32 { return c.backend.input() }

// Logits runs the model on the current input and returns its raw outputs
// (valid until the next run).
func (c *Classifier) Logits() []float32 { return c.backend.run() }

// Label names class i ("class i" when the labels do not cover it).
func (c *Classifier) Label(i int) string { return models.ClassName(c.names, i) }

// Top runs the model on the current input and returns the k most likely
// classes, most likely first.
func (c *Classifier) Top(k int) []Prediction {
	logits := c.Logits()
	fp32.Softmax(c.probs, logits, len(logits))
	for i := range c.order {
		c.order[i] = i
	}
	// Stable, so equal scores keep index order as in torch.topk on CPU.
	slices.SortStableFunc(c.order, func(a, b int) int { return cmp.Compare(c.probs[b], c.probs[a]) })
	k = min(max(k, 1), len(c.order))
	top := make([]Prediction, k)
	for i, idx := range c.order[:k] {
		top[i] = Prediction{Index: idx, Label: c.Label(idx), Score: c.probs[idx]}
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

// LoadFile decodes and preprocesses an image file into the input.
func (c *Classifier) LoadFile(path string) error {
	img, err := preprocess.Decode(path)
	if err != nil {
		return err
	}
	if err := c.LoadImage(img); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// LoadImage preprocesses a decoded image into the input.
func (c *Classifier) LoadImage(img image.Image) error { return c.spec.Tensor(img, c.Input()) }

// TopIndices returns the indices of the k largest scores, largest first
// (ties keep index order).
func TopIndices(scores []float32, k int) []int {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	return order[:min(k, len(order))]
}

// TopK appends to dst[:0] the k highest of scores (every class's
// prediction, in any order), highest first; equal scores keep their order
// in scores, as Top and TopIndices do. It allocates nothing when dst has
// room for k.
func TopK(dst, scores []Prediction, k int) []Prediction {
	dst = dst[:0]
	for _, p := range scores {
		j := len(dst)
		for j > 0 && cmp.Compare(p.Score, dst[j-1].Score) > 0 {
			j--
		}
		if j >= k {
			continue
		}
		if len(dst) < k {
			dst = append(dst, Prediction{})
		}
		copy(dst[j+1:], dst[j:len(dst)-1])
		dst[j] = p
	}
	return dst
}
