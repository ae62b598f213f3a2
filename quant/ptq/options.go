package ptq

import "fmt"

// Options are the quantization choices beyond the range method.
type Options struct {
	BiasCorrection bool
	LogitsMinMax   bool
	Weighted       bool
	Refit          string // which layers: "dw", "all"
}

// Set turns on one option by name.
func (o *Options) Set(name string) error {
	switch name {
	case "bc":
		o.BiasCorrection = true
	case "logits-minmax":
		o.LogitsMinMax = true
	case "weighted":
		o.Weighted = true
	case "refit-dw", "refit-all", "refit-pw":
		o.Refit = name[len("refit-"):]
	default:
		return fmt.Errorf("ptq: unknown option %q", name)
	}
	return nil
}
