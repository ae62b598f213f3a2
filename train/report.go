package train

import (
	"fmt"
	"io"
	"strings"

	"neonet.dev/neonet/internal/chart"
)

// Report is what a training run did and how well the head does.
type Report struct {
	// Backbone is the name of the model the backbone was cut from.
	Backbone string
	Classes  []string
	Counts   []ClassCount
	// Images is the number of photos used, training and validation.
	Images   int
	Skipped  []Failure // photos that could not be read, left out
	Warnings []string
	Method   string
	// Features names the backbone's tensor the embeddings are pooled
	// from, and Dim is their length.
	Features  string
	Dim       int
	Augmented bool
	// Train is the head on the training photos; Val on the validation
	// photos (Photos 0 without any).
	Train, Val Evaluation
	// Iterations is how many L-BFGS iterations the softmax head took, and
	// Converged whether it met its tolerance.
	Iterations int
	Converged  bool
	// Seconds is the whole run; BackboneSeconds loading the backbone, or
	// quantizing a zoo model (calibration); EmbedSeconds the embeddings
	// (decoding, preprocessing, backbone); HeadSeconds fitting and
	// quantizing the head.
	Seconds, BackboneSeconds, EmbedSeconds, HeadSeconds float64
}

// ClassCount is one class's photos.
type ClassCount struct {
	Name                string
	Train, Val, Skipped int
}

// Summary is the one-line JSON form of a report.
type Summary struct {
	Classes     []string `json:"classes"`
	Images      int      `json:"images"`
	TrainAcc    float64  `json:"train_acc"`
	ValAcc      *float64 `json:"val_acc"` // null without validation photos
	Seconds     float64  `json:"seconds"`
	Method      string   `json:"method"`
	Skipped     int      `json:"skipped"`
	HeadSeconds float64  `json:"head_seconds"`
}

// Summary returns the report's JSON summary.
func (r *Report) Summary() Summary {
	s := Summary{Classes: r.Classes, Images: r.Images, TrainAcc: r.Train.Accuracy, Seconds: r.Seconds,
		Method: r.Method, Skipped: len(r.Skipped), HeadSeconds: r.HeadSeconds}
	if r.Val.Photos > 0 {
		s.ValAcc = &r.Val.Accuracy
	}
	return s
}

// count fills the per-class counts from the photos that were read, and
// fails if a class has no training photo left.
func (r *Report) count(set *Set, train, val *rawSet) error {
	r.Counts = make([]ClassCount, len(set.Classes))
	for c, name := range set.Classes {
		r.Counts[c].Name = name
	}
	for i := 0; i < train.rows(); i += train.per {
		r.Counts[train.class[i]].Train++
	}
	for _, c := range val.class {
		r.Counts[c].Val++
	}
	skipped := map[string]bool{}
	for _, f := range r.Skipped {
		skipped[f.Path] = true
	}
	for _, photos := range [][]Photo{set.Train, set.Val} {
		for _, p := range photos {
			if skipped[p.Path] {
				r.Counts[p.Class].Skipped++
			}
		}
	}
	counts := make([]int, len(r.Counts))
	for c, n := range r.Counts {
		if n.Train == 0 {
			return fmt.Errorf("class %q has no readable training photos (%d unreadable)", n.Name, n.Skipped)
		}
		counts[c] = n.Train
		r.Images += n.Train + n.Val
	}
	r.Warnings = append(r.Warnings, imbalance(set.Classes, counts)...)
	return nil
}

// note describes the model's calibration and head for its file.
func (r *Report) note(backbone string, l2 float64) string {
	how := fmt.Sprintf("%s head (L2 %g)", r.Method, l2)
	if r.Method == Imprint {
		how = "imprinted head"
	}
	if r.Augmented {
		how += " with augmented views"
	}
	return fmt.Sprintf("%s; %s trained by neonet train on %d photos of %d classes",
		backbone, how, r.Images-r.Val.Photos, len(r.Classes))
}

// WriteText prints the report for people: classes and counts, accuracy,
// the confusion matrix, skipped photos, warnings and times.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%d classes, %d photos (embeddings: %s, %d values)\n", len(r.Classes), r.Images, r.Features, r.Dim)
	width := len("class")
	for _, c := range r.Counts {
		width = max(width, len(c.Name))
	}
	fmt.Fprintf(w, "  %-*s  %6s  %6s  %7s\n", width, "class", "train", "val", "skipped")
	for _, c := range r.Counts {
		fmt.Fprintf(w, "  %-*s  %6d  %6d  %7d\n", width, c.Name, c.Train, c.Val, c.Skipped)
	}
	how := r.Method
	if r.Method == Softmax {
		how = fmt.Sprintf("softmax, %d L-BFGS iterations", r.Iterations)
		if !r.Converged {
			how += ", not converged"
		}
	}
	fmt.Fprintf(w, "head: %s; int8 head agrees with its float version on %.1f%% of training photos\n", how, 100*r.Train.Agreement)
	fmt.Fprintf(w, "training accuracy:   %.2f%% (%d photos)\n", 100*r.Train.Accuracy, r.Train.Photos)
	confusion, of := r.Train.Confusion, "training"
	if r.Val.Photos > 0 {
		fmt.Fprintf(w, "validation accuracy: %.2f%% (%d photos)\n", 100*r.Val.Accuracy, r.Val.Photos)
		confusion, of = r.Val.Confusion, "validation"
	} else {
		fmt.Fprintln(w, "validation accuracy: no validation photos (--val DIR or --val-split 0.2 sets some aside)")
	}
	fmt.Fprintf(w, "confusion matrix of the %s photos (rows: true class, columns: predicted):\n", of)
	writeConfusion(w, r.Classes, confusion)
	r.WriteProblems(w)
	fmt.Fprintf(w, "time: %.1f s (backbone %.1f s, embeddings %.1f s, head %.2f s)\n", r.Seconds, r.BackboneSeconds, r.EmbedSeconds, r.HeadSeconds)
}

// WriteProblems prints the photos skipped and the warnings, if any.
func (r *Report) WriteProblems(w io.Writer) {
	for _, f := range r.Skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", f.Path, f.Err)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "%d unreadable photos skipped\n", len(r.Skipped))
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
}

// writeConfusion prints a confusion matrix with numbered columns.
func writeConfusion(w io.Writer, classes []string, m [][]int) {
	width := 0
	for _, c := range classes {
		width = max(width, len(c))
	}
	cell := 5
	for _, row := range m {
		for _, v := range row {
			cell = max(cell, len(fmt.Sprint(v))+1)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  %*s", width+4, "")
	for j := range classes {
		fmt.Fprintf(&b, "%*s", cell, fmt.Sprintf("[%d]", j))
	}
	fmt.Fprintln(w, b.String())
	for i, row := range m {
		b.Reset()
		fmt.Fprintf(&b, "  [%d] %-*s", i, width, classes[i])
		for _, v := range row {
			fmt.Fprintf(&b, "%*d", cell, v)
		}
		fmt.Fprintln(w, b.String())
	}
}

// Plot draws the confusion matrix of the validation photos (of the
// training photos without any) to a PNG file.
func (r *Report) Plot(path string) error {
	confusion, title := r.Train.Confusion, fmt.Sprintf("%s head: training photos, %.1f%% right", r.Method, 100*r.Train.Accuracy)
	if r.Val.Photos > 0 {
		confusion, title = r.Val.Confusion, fmt.Sprintf("%s head: validation photos, %.1f%% right", r.Method, 100*r.Val.Accuracy)
	}
	return chart.SaveConfusion(path, r.Classes, confusion, title)
}
