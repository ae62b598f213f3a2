package train

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/qnet"
)

// Methods of training a head.
const (
	Softmax = "softmax" // multinomial logistic regression, L-BFGS
	Imprint = "imprint" // normalised mean embeddings, for 1-5 photos per class
)

// DefaultL2 is the softmax head's default penalty. On CIFAR-10 photos with
// SqueezeNet 1.1's embeddings it is within a point of the best validation
// accuracy from 2 to 10 classes and 10 to 150 photos per class, where
// scikit-learn's default (C = 1, a penalty of 1/n per photo) lets the head
// learn the training photos by heart and loses up to 7 points.
const DefaultL2 = 0.1

// Options tune Train.
type Options struct {
	// Method is Softmax (the default) or Imprint.
	Method string
	// L2 is the softmax penalty on the weights of standardized embeddings,
	// per photo (see DefaultL2); 0 means DefaultL2.
	L2 float64
	// Augment adds mirrored and cropped views of every training photo.
	Augment bool
	// Workers is how many photos are processed at once, each worker with
	// its own compiled backbone; 0 means one per CPU.
	Workers int
	// Progress, if not nil, is called as each stage starts ("calibration
	// photos", "training photos", "validation photos") and returns the
	// function to call after each photo of it, or nil.
	Progress func(stage string) func(done, total int)
}

func (o *Options) progress(stage string) func(done, total int) {
	if o.Progress == nil {
		return nil
	}
	return o.Progress(stage)
}

// Train trains a head for the classes of set on the backbone's embeddings
// and appends it, quantized, to the backbone: the result is one ordinary
// int8 model whose labels are the classes. The embeddings are computed by
// the backbone on the firmware's kernel path, and the reported accuracies
// are those of the int8 head on them, so what was measured is what runs.
func Train(b *Backbone, set *Set, opt Options) (*qnet.Model, *Report, error) {
	return train(context.Background(), b, set, opt)
}

// train is Train that stops early when ctx ends.
func train(ctx context.Context, b *Backbone, set *Set, opt Options) (*qnet.Model, *Report, error) {
	start := time.Now()
	if err := opt.resolve(); err != nil {
		return nil, nil, err
	}
	path, err := dispatch.Select()
	if err != nil {
		return nil, nil, err
	}
	rep := &Report{Backbone: b.Model.Name, Classes: set.Classes, Method: opt.Method, Features: b.FeatureName(), Dim: b.Dim(), Augmented: opt.Augment}
	trainEmb, valEmb, err := embed(ctx, b, set, &opt, path, rep)
	if err != nil {
		return nil, rep, err
	}
	rep.EmbedSeconds = time.Since(start).Seconds()

	headStart := time.Now()
	x := trainEmb.float()
	var h *Head
	if opt.Method == Imprint {
		h = imprint(x, trainEmb.class, b.Dim(), len(set.Classes))
	} else {
		h = fitSoftmax(x, trainEmb.class, b.Dim(), len(set.Classes), opt.L2, opt.Workers)
	}
	params := trainEmb.params
	op, out := quantizeHead(h, params, x)
	rep.HeadSeconds = time.Since(headStart).Seconds()
	rep.Iterations, rep.Converged = h.Iterations, h.Converged

	prog, err := headProgram(b.Model.Name, b.Dim(), params, op, out, path)
	if err != nil {
		return nil, nil, err
	}
	rep.Train = evaluate(h, prog, trainEmb, x, len(set.Classes))
	if valEmb.rows() > 0 {
		rep.Val = evaluate(h, prog, valEmb, valEmb.float(), len(set.Classes))
	}
	m, err := assemble(b, set.Classes, params, op, out, rep.note(b.Model.Calibration, opt.L2))
	if err != nil {
		return nil, nil, err
	}
	rep.Seconds = time.Since(start).Seconds()
	return m, rep, nil
}

// resolve checks the options and fills in the defaults.
func (o *Options) resolve() error {
	switch o.Method {
	case "":
		o.Method = Softmax
	case Softmax, Imprint:
	default:
		return fmt.Errorf("method %q: want %s or %s", o.Method, Softmax, Imprint)
	}
	if o.L2 == 0 {
		o.L2 = DefaultL2
	}
	if !(o.L2 > 0) || math.IsInf(o.L2, 0) {
		return fmt.Errorf("L2 penalty %g: want a positive number", o.L2)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	return nil
}

// embed computes the embeddings of the training photos (and their views)
// and of the validation photos, counting in rep the photos read and
// skipped.
func embed(ctx context.Context, b *Backbone, set *Set, opt *Options, path dispatch.Path, rep *Report) (train, val *embeddings, err error) {
	exs, err := newExtractors(b, path, opt.Workers)
	if err != nil {
		return nil, nil, err
	}
	trainRaw, failed := extract(ctx, exs, b.Dim(), set.Train, opt.Augment, opt.progress("training photos"))
	rep.Skipped = append(rep.Skipped, failed...)
	valRaw := &rawSet{dim: b.Dim(), per: 1}
	if len(set.Val) > 0 && ctx.Err() == nil {
		valRaw, failed = extract(ctx, exs, b.Dim(), set.Val, false, opt.progress("validation photos"))
		rep.Skipped = append(rep.Skipped, failed...)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err := rep.count(set, trainRaw, valRaw); err != nil {
		return nil, nil, err
	}
	params := b.Cut.Tensors[b.Cut.Output].Params
	var pools []*qnet.Program
	if !b.Pooled() {
		s := b.Shape()
		params = poolParams(trainRaw, s.H*s.W, params)
		if pools, err = poolPrograms(b, params, path, opt.Workers); err != nil {
			return nil, nil, err
		}
	}
	return pool(trainRaw, params, pools), pool(valRaw, params, pools), nil
}

// Evaluation is a head's result on a set of photos.
type Evaluation struct {
	Photos int `json:"photos"`
	// Accuracy is the int8 head's top-1 accuracy over the photos (not
	// their augmented views), FloatAccuracy the float head's.
	Accuracy, FloatAccuracy float64
	// Agreement is the fraction of photos on which the int8 and float
	// heads agree on the top class.
	Agreement float64
	// Confusion counts photos by true class (row) and the int8 head's
	// top class (column).
	Confusion [][]int
}

// evaluate runs the int8 head program and the float head on every photo's
// embedding (augmented views are left out).
func evaluate(h *Head, prog *qnet.Program, e *embeddings, x []float64, k int) Evaluation {
	ev := Evaluation{Confusion: make([][]int, k)}
	for c := range ev.Confusion {
		ev.Confusion[c] = make([]int, k)
	}
	z := make([]float64, k)
	in := prog.Input().Data
	var right, rightFloat, agree int
	for r := 0; r < e.rows(); r += e.per {
		copy(in, e.q[r*e.dim:][:e.dim])
		prog.Run()
		top := argmax(prog.Logits())
		h.Logits(x[r*e.dim:][:e.dim], z)
		topFloat := argmax(z)
		ev.Photos++
		ev.Confusion[e.class[r]][top]++
		right += b2i(top == e.class[r])
		rightFloat += b2i(topFloat == e.class[r])
		agree += b2i(top == topFloat)
	}
	if ev.Photos > 0 {
		n := float64(ev.Photos)
		ev.Accuracy, ev.FloatAccuracy, ev.Agreement = float64(right)/n, float64(rightFloat)/n, float64(agree)/n
	}
	return ev
}

// argmax is the index of the largest value, the first of equal ones.
func argmax[T float32 | float64](z []T) int {
	best := 0
	for i, v := range z {
		if v > z[best] {
			best = i
		}
	}
	return best
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
