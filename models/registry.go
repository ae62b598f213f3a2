package models

import (
	"fmt"
	"slices"
	"strings"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/quant/calib"
)

// Model is one entry of the zoo.
type Model struct {
	Name        string
	Description string
	// Build makes the graph with a classifier for the given number of
	// classes (weights zero until loaded).
	Build func(classes int) (*graph.Graph, error)
	// Preprocess turns an image into the model's input, as torchvision's
	// evaluation transforms do for the reference weights.
	Preprocess preprocess.Spec
	// Classes is the number of classes of the reference dataset and Labels
	// names that dataset's label set ("imagenet" or "cifar10").
	Classes int
	Labels  string
	// Classifier is the state_dict key of the final layer's weight, whose
	// first dimension is the number of classes a checkpoint was trained for.
	Classifier string
	// perTensorRanges makes the model's default calibration choose each
	// tensor's range method by its error (calib.Auto): the depthwise + SiLU
	// + squeeze-and-excitation networks, whose tensors differ most in how
	// they are best clipped (docs/quantization.md).
	perTensorRanges bool
}

// Ranges is the calibration method named by name (see calib.ParseMethod)
// or, when name is empty, the model's default: calib.Auto for the
// EfficientNets, calib.Default for the others.
func (m Model) Ranges(name string) (calib.Method, error) {
	switch {
	case name != "":
		return calib.ParseMethod(name)
	case m.perTensorRanges:
		return calib.Auto, nil
	}
	return calib.Default, nil
}

var zoo = buildZoo()

func buildZoo() []Model {
	imagenet := func(resize, crop int, f preprocess.Filter) preprocess.Spec {
		return preprocess.ImageNet(resize, crop, f)
	}
	ms := []Model{
		{
			Name: "squeezenet1_0", Description: "SqueezeNet 1.0, 224x224 ImageNet (torchvision)",
			Build:      func(n int) (*graph.Graph, error) { return SqueezeNet("1_0", n) },
			Preprocess: imagenet(256, 224, preprocess.Bilinear), Classes: 1000, Labels: "imagenet",
			Classifier: "classifier.1.weight",
		},
		{
			Name: "squeezenet1_1", Description: "SqueezeNet 1.1, 224x224 ImageNet (torchvision)",
			Build:      func(n int) (*graph.Graph, error) { return SqueezeNet("1_1", n) },
			Preprocess: imagenet(256, 224, preprocess.Bilinear), Classes: 1000, Labels: "imagenet",
			Classifier: "classifier.1.weight",
		},
	}
	for _, v := range slices.Concat(EfficientNetVariants, TFEfficientNetVariants) {
		origin := "torchvision"
		if v.Same {
			origin = "TensorFlow-trained, SAME padding"
		}
		ms = append(ms, Model{
			Name:        v.Name,
			Description: fmt.Sprintf("EfficientNet-%s, %dx%d ImageNet (%s)", strings.ToUpper(v.Name[len(v.Name)-2:]), v.Crop, v.Crop, origin),
			Build:       func(n int) (*graph.Graph, error) { return EfficientNet(v, n) },
			Preprocess:  imagenet(v.Resize, v.Crop, preprocess.Bicubic), Classes: 1000, Labels: "imagenet",
			Classifier: "classifier.1.weight", perTensorRanges: true,
		})
	}
	ms = append(ms,
		Model{
			Name: "shiftresnet20", Description: "ShiftResNet-20, expansion 1, 32x32 CIFAR-10",
			Build:      func(n int) (*graph.Graph, error) { return ShiftResNet(20, 1, n) },
			Preprocess: preprocess.CIFAR10(), Classes: 10, Labels: "cifar10", Classifier: "linear.weight",
		},
		Model{
			Name: "shiftresnet56", Description: "ShiftResNet-56, expansion 3, 32x32 CIFAR-10",
			Build:      func(n int) (*graph.Graph, error) { return ShiftResNet(56, 3, n) },
			Preprocess: preprocess.CIFAR10(), Classes: 10, Labels: "cifar10", Classifier: "linear.weight",
		},
		Model{
			Name: "shiftnet_a", Description: "ShiftNet-A, 224x224 ImageNet (Wu et al. 2018)",
			Build:      ShiftNetA,
			Preprocess: imagenet(256, 224, preprocess.Bilinear), Classes: 1000, Labels: "imagenet",
			Classifier: "fc.weight",
		},
	)
	return ms
}

// All lists the zoo in a stable order.
func All() []Model { return slices.Clone(zoo) }

// Names lists the model names.
func Names() []string {
	names := make([]string, len(zoo))
	for i, m := range zoo {
		names[i] = m.Name
	}
	return names
}

// Lookup finds a model by name. The name may carry an expansion for the
// ShiftResNets, e.g. "shiftresnet20:3" for expansion 3.
func Lookup(name string) (Model, error) {
	base, arg, hasArg := strings.Cut(name, ":")
	for _, m := range zoo {
		if m.Name != base {
			continue
		}
		if !hasArg {
			return m, nil
		}
		if !strings.HasPrefix(base, "shiftresnet") {
			return Model{}, fmt.Errorf("model %s takes no parameter (got %q)", base, arg)
		}
		var expansion float64
		if _, err := fmt.Sscanf(arg, "%g", &expansion); err != nil || expansion <= 0 {
			return Model{}, fmt.Errorf("model %s: expansion %q is not a positive number", base, arg)
		}
		depth := 20
		if base == "shiftresnet56" {
			depth = 56
		}
		m.Name = name
		m.Description = fmt.Sprintf("ShiftResNet-%d, expansion %g, 32x32 CIFAR-10", depth, expansion)
		m.Build = func(n int) (*graph.Graph, error) { return ShiftResNet(depth, expansion, n) }
		return m, nil
	}
	return Model{}, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(Names(), ", "))
}
