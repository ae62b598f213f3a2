package pipeline

import (
	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/kernels/fp32"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
)

// Classifier is a model that classifies camera frames.
type Classifier interface {
	// Prepare preprocesses f into the model's input.
	Prepare(f *camera.Frame) error
	// Classify runs the model on its input and returns every class's
	// probability, in output order, in a slice the next call reuses.
	Classify() ([]classify.Prediction, error)
}

// Model is a compiled int8 program as a Classifier: frames go straight
// into its int8 input (camera.Preprocessor, made again only when the frame
// size changes) and its logits become probabilities.
type Model struct {
	prog   *qnet.Program
	pre    *camera.Preprocessor // for the last frame size seen
	scores scorer
}

// NewModel wraps a compiled program.
func NewModel(p *qnet.Program) *Model {
	m := p.Model()
	return &Model{prog: p, scores: newScorer(m.Labels, m.Tensors[m.Output].Shape.Elems())}
}

// Program is the compiled program.
func (m *Model) Program() *qnet.Program { return m.prog }

// Labels are the model's class names, in output order.
func (m *Model) Labels() []string { return m.prog.Model().Labels }

// Input is the program's int8 input, which Prepare fills.
func (m *Model) Input() []int8 { return m.prog.Input().Data }

// Prepare implements Classifier.
func (m *Model) Prepare(f *camera.Frame) error {
	if w, h := m.frameSize(); m.pre == nil || w != f.Width || h != f.Height {
		qm := m.prog.Model()
		pre, err := camera.NewPreprocessor(qm.Preprocess, qm.Tensors[qm.Input].Params, f.Width, f.Height)
		if err != nil {
			return err
		}
		m.pre = pre
	}
	return m.pre.Run(m.Input(), f)
}

func (m *Model) frameSize() (int, int) {
	if m.pre == nil {
		return 0, 0
	}
	return m.pre.FrameSize()
}

// Classify implements Classifier.
func (m *Model) Classify() ([]classify.Prediction, error) {
	m.prog.Run()
	return m.scores.of(m.prog.Logits()), nil
}

// NewClassifier compiles an opened model for camera frames: an int8
// model as a Model (on the kernel path of this CPU, on every core), a
// float one as a FloatModel.
func NewClassifier(m *classify.Model) (Classifier, error) {
	if m.Int8 != nil {
		prog, err := qnet.Compile(m.Int8)
		if err != nil {
			return nil, err
		}
		return NewModel(prog), nil
	}
	c, err := m.NewClassifier()
	if err != nil {
		return nil, err
	}
	return NewFloatModel(c, m.Labels.Names), nil
}

// FloatModel is a float classifier as a Classifier: frames are converted
// to RGB and go through the float preprocessing, as image files do.
type FloatModel struct {
	c      *classify.Classifier
	rgb    *preprocess.RGB8
	scores scorer
}

// NewFloatModel wraps a classifier; labels are its class names.
func NewFloatModel(c *classify.Classifier, labels []string) *FloatModel {
	return &FloatModel{c: c, scores: scorer{labels: labels}}
}

// Prepare implements Classifier.
func (m *FloatModel) Prepare(f *camera.Frame) error {
	rgb, err := f.RGB8(m.rgb)
	if err != nil {
		return err
	}
	m.rgb = rgb
	return m.c.LoadImage(rgb)
}

// Classify implements Classifier.
func (m *FloatModel) Classify() ([]classify.Prediction, error) {
	return m.scores.of(m.c.Logits()), nil
}

// scorer turns logits into every class's probability, in slices reused
// from call to call.
type scorer struct {
	labels []string
	probs  []float32
	scores []classify.Prediction
}

func newScorer(labels []string, classes int) scorer {
	s := scorer{labels: labels}
	s.size(classes)
	return s
}

func (s *scorer) size(classes int) {
	s.probs = make([]float32, classes)
	s.scores = make([]classify.Prediction, classes)
	for i := range s.scores {
		s.scores[i] = classify.Prediction{Index: i, Label: models.ClassName(s.labels, i)}
	}
}

func (s *scorer) of(logits []float32) []classify.Prediction {
	if len(logits) != len(s.probs) {
		s.size(len(logits))
	}
	fp32.Softmax(s.probs, logits, len(logits))
	for i, p := range s.probs {
		s.scores[i].Score = p
	}
	return s.scores
}
