package classify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/qnet"
)

// Model is a model opened by name or from a model file, ready to be
// compiled into classifiers, one per worker.
type Model struct {
	Name      string
	Precision string         // "fp32" or "int8"
	Zoo       models.Model   // the zoo entry (zero for a model file)
	Float     *graph.Graph   // the float model (nil for a model file)
	Labels    *models.Labels // the class names, in output order
	Int8      *qnet.Model    // the int8 model (nil at fp32)
}

// NewClassifier compiles one more classifier for the model: int8 when it
// has an int8 model, else fp32.
func (m *Model) NewClassifier() (*Classifier, error) {
	if m.Int8 != nil {
		return NewInt8(m.Int8)
	}
	return New(m.Float, m.Zoo.Preprocess, m.Labels.Names)
}

// Classifiers compiles n classifiers for the model, one per worker; they
// share the weights.
func (m *Model) Classifiers(n int) ([]*Classifier, error) {
	c, err := m.NewClassifier()
	if err != nil {
		return nil, err
	}
	pool := []*Classifier{c}
	for len(pool) < n {
		if c, err = pool[0].Clone(); err != nil {
			return nil, err
		}
		pool = append(pool, c)
	}
	return pool, nil
}

// IsModelFile reports whether a model name is an existing file (an int8
// model file) rather than a zoo model.
func IsModelFile(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// LooksLikePath reports whether a model name was meant as a file (it has a
// folder or an extension), so that a typo in a path is reported as a
// missing file rather than an unknown model name.
func LooksLikePath(name string) bool {
	return strings.ContainsRune(name, os.PathSeparator) || filepath.Ext(name) != ""
}

// OpenFile loads an int8 model file. labelsFile, if set, renames its
// classes; it must name as many as the model outputs.
func OpenFile(path, labelsFile string) (*Model, error) {
	qm, err := modelfile.Load(path)
	if err != nil {
		return nil, err
	}
	labels := models.LabelsFromNames(qm.Labels)
	if labelsFile != "" {
		if labels, err = models.LoadLabels(labelsFile); err != nil {
			return nil, err
		}
		if classes := qm.Tensors[qm.Output].Shape.C; len(labels.Names) != classes {
			return nil, fmt.Errorf("labels %s has %d classes, the model outputs %d", labelsFile, len(labels.Names), classes)
		}
		qm.Labels = labels.Names
	}
	return &Model{Name: qm.Name, Precision: "int8", Int8: qm, Labels: labels}, nil
}

// LoadFloat builds the zoo model zoo, loads weights (a .pth checkpoint or
// the ShiftResNet CSV folder; "" gives seeded random weights) and names
// its classes from labelsFile, or else from the zoo model's dataset. A
// checkpoint trained for another number of classes than that dataset's
// gets the names "class 0", "class 1", ...; datasetClasses is then the
// dataset's count, else 0.
func LoadFloat(zoo models.Model, weights, labelsFile string) (m *Model, datasetClasses int, err error) {
	g, err := zoo.Load(weights)
	if err != nil {
		return nil, 0, err
	}
	classes := g.OutputShape().C
	var labels *models.Labels
	if labelsFile != "" {
		labels, err = models.LoadLabels(labelsFile)
	} else {
		labels, err = models.DefaultLabels(zoo.Labels)
	}
	if err != nil {
		return nil, 0, err
	}
	if len(labels.Names) != classes {
		if labelsFile != "" {
			return nil, 0, fmt.Errorf("labels %s has %d classes, the model outputs %d", labelsFile, len(labels.Names), classes)
		}
		datasetClasses = len(labels.Names)
		labels = &models.Labels{}
		for i := range classes {
			name := models.ClassName(nil, i)
			labels.Names, labels.IDs = append(labels.Names, name), append(labels.IDs, name)
		}
	}
	return &Model{Name: zoo.Name, Precision: "fp32", Zoo: zoo, Float: g, Labels: labels}, datasetClasses, nil
}
