package train

import (
	"context"
	"fmt"
	"os"
	"time"

	"neonet.dev/neonet/classify"

	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/ptq"
)

// DefaultCalibImages is how many photos a zoo backbone is calibrated on
// by default. Calibration runs the float model on one core, about 0.15 s
// a photo on a PC and several times that on a board, where training should
// take seconds. With 32 photos, SqueezeNet 1.1's pooled features of the
// 2,000 CIFAR-10 photos are 22.6 dB from PyTorch's float ones (SQNR);
// with 100, 23.0 dB, and with 300, 22.7 dB.
const DefaultCalibImages = 32

// Config is a whole training run, as neonet train's flags give it.
type Config struct {
	// Backbone is a zoo model's name, with Weights, or an int8 model file.
	Backbone, Weights string
	// Calib is the folder of photos a zoo backbone is calibrated on (the
	// training photos when empty), at most CalibImages of them (0:
	// DefaultCalibImages),
	// with CalibMethod (calib.Default when empty, as neonet quantize).
	Calib       string
	CalibImages int
	CalibMethod string
	// Data is the folder of class folders; Val a folder of validation
	// class folders, or ValSplit the fraction of each class kept aside.
	Data, Val string
	ValSplit  float64
	// Out is the model file to write; empty writes none.
	Out string
	Options
}

// Run trains a head as cfg says: it scans the photos, makes the backbone
// (loading the model file, or quantizing the zoo model on the calibration
// photos), trains, and writes the model file.
func Run(cfg Config) (*qnet.Model, *Report, error) { return RunContext(context.Background(), cfg) }

// RunContext is Run that stops early, with ctx's error, when ctx ends
// while the photos' embeddings are computed (each worker finishes the
// photo it has).
func RunContext(ctx context.Context, cfg Config) (*qnet.Model, *Report, error) {
	start := time.Now()
	classes, photos, err := ScanClasses(cfg.Data)
	if err != nil {
		return nil, nil, err
	}
	set, err := Split(classes, photos, cfg.Val, cfg.ValSplit)
	if err != nil {
		return nil, nil, err
	}
	m, err := cfg.backbone()
	if err != nil {
		return nil, nil, err
	}
	backboneSeconds := time.Since(start).Seconds()
	b, err := NewBackbone(m)
	if err != nil {
		return nil, nil, err
	}
	model, rep, err := train(ctx, b, set, cfg.Options)
	if err != nil {
		return nil, rep, err
	}
	if cfg.Out != "" {
		if err := modelfile.Save(cfg.Out, model); err != nil {
			return nil, rep, err
		}
	}
	rep.Seconds, rep.BackboneSeconds = time.Since(start).Seconds(), backboneSeconds
	return model, rep, nil
}

// backbone loads or makes the int8 backbone the configuration names.
func (cfg *Config) backbone() (*qnet.Model, error) {
	if classify.IsModelFile(cfg.Backbone) {
		if cfg.Weights != "" {
			return nil, fmt.Errorf("backbone %s is a model file: it holds its weights, drop --weights", cfg.Backbone)
		}
		return LoadModelFile(cfg.Backbone)
	}
	if classify.LooksLikePath(cfg.Backbone) {
		_, err := os.Stat(cfg.Backbone)
		return nil, fmt.Errorf("backbone %s: %w", cfg.Backbone, err)
	}
	c := ptq.Calibration{Dir: cfg.Calib, Workers: cfg.Options.Workers, Progress: cfg.progress("calibration photos")}
	if c.Dir == "" {
		c.Dir = cfg.Data
	}
	if c.Limit = cfg.CalibImages; c.Limit == 0 {
		c.Limit = DefaultCalibImages
	}
	return Quantize(cfg.Backbone, cfg.Weights, cfg.CalibMethod, c)
}
