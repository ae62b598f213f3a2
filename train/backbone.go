package train

import (
	"errors"
	"fmt"

	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/ptq"
	"neonet.dev/neonet/tensor"
)

// Backbone is an int8 classifier cut before its classifier: the part that
// turns a photo into features, exactly as the firmware runs it.
type Backbone struct {
	// Model is the whole int8 model the backbone was cut from.
	Model *qnet.Model
	// Features is the model's tensor the original classifier reads: the
	// pooled features of EfficientNet and ShiftResNet ([1,1,1,C]), the
	// last Fire module's output of SqueezeNet ([1,13,13,512]).
	Features int
	// Cut computes Features; its output is Features.
	Cut *qnet.Model
}

// NewBackbone cuts m before its classifier, the last layer with weights
// (a convolution or a fully connected layer): the features are that
// layer's input. A model made by Train cuts before its trained head, so
// it can be trained again.
func NewBackbone(m *qnet.Model) (*Backbone, error) {
	last := -1
	for i, n := range m.Nodes {
		switch n.Op.(type) {
		case *qnet.Conv, *qnet.Linear:
			last = i
		}
	}
	if last < 0 {
		return nil, fmt.Errorf("model %s has no layer with weights to cut its classifier at", m.Name)
	}
	features := m.Nodes[last].Inputs[0]
	if features == m.Input {
		return nil, fmt.Errorf("model %s: its classifier reads the input: there are no features to train on", m.Name)
	}
	cut, err := m.Prefix(features)
	if err != nil {
		return nil, err
	}
	if s := cut.Tensors[cut.Output].Shape; s.N != 1 {
		return nil, fmt.Errorf("model %s: features %v: want one image at a time", m.Name, s)
	}
	return &Backbone{Model: m, Features: features, Cut: cut}, nil
}

// Shape is the shape of the features, [1,H,W,C].
func (b *Backbone) Shape() tensor.Shape { return b.Cut.Tensors[b.Cut.Output].Shape }

// Pooled reports whether the features are already pooled ([1,1,1,C]);
// otherwise the head starts with a global average pool.
func (b *Backbone) Pooled() bool { s := b.Shape(); return s.H == 1 && s.W == 1 }

// Dim is the length of an embedding: the features' channels.
func (b *Backbone) Dim() int { return b.Shape().C }

// FeatureName names the features' tensor, as inspect lists it.
func (b *Backbone) FeatureName() string { return b.Cut.Tensors[b.Cut.Output].Name }

// LoadModelFile reads an int8 model file as a backbone's model, saying
// what to do instead when the file is something else (a PyTorch
// checkpoint, an image).
func LoadModelFile(path string) (*qnet.Model, error) {
	m, err := modelfile.Load(path)
	if errors.Is(err, modelfile.ErrNotModelFile) {
		return nil, fmt.Errorf("backbone %s is not an int8 model file (neonet quantize and neonet train make them): for float weights give the zoo model's name and the weights, e.g. --model squeezenet1_1 --weights FILE.pth", path)
	}
	return m, err
}

// Quantize builds zoo model name with its weights and quantizes it to int8
// with activation ranges calibrated on c's photos, as neonet quantize does:
// by the named range method, or the model's own when method is empty
// (models.Model.Ranges).
func Quantize(name, weights, method string, c ptq.Calibration) (*qnet.Model, error) {
	zoo, err := models.Lookup(name)
	if err != nil {
		return nil, err
	}
	if c.Method, err = zoo.Ranges(method); err != nil {
		return nil, err
	}
	if weights == "" {
		return nil, fmt.Errorf("backbone %s needs its weights (--weights): features of random weights mean nothing", name)
	}
	g, err := zoo.Load(weights)
	if err != nil {
		return nil, err
	}
	return ptq.QuantizeImages(g, ptq.Meta{Name: zoo.Name, Preprocess: zoo.Preprocess}, c)
}
