package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"

	"neonet.dev/neonet/internal/progress"
	"neonet.dev/neonet/train"
)

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "--model BACKBONE [--weights FILE] --data DIR --out FILE [--val DIR | --val-split F] [--method softmax|imprint] [--json] [--plot FILE.png]", stdout)
	var cfg train.Config
	fs.StringVar(&cfg.Backbone, "model", "", "the backbone: a zoo model name with --weights (squeezenet1_1, efficientnet_b0..b3,\nshiftresnet20, ...) or an int8 model file; required")
	fs.StringVar(&cfg.Weights, "weights", "", "weights of a zoo backbone: a torchvision .pth checkpoint, or the shiftresnet20 CSV folder")
	fs.StringVar(&cfg.Data, "data", "", "folder of class folders, DIR/LABEL/PHOTO (neonet collect makes them); required")
	fs.StringVar(&cfg.Out, "out", "", "the model file to write; required")
	fs.StringVar(&cfg.Val, "val", "", "folder of validation class folders, named as the training classes")
	fs.Float64Var(&cfg.ValSplit, "val-split", 0, "instead of --val: keep this fraction of each class's photos (the last, in name order) for validation")
	fs.StringVar(&cfg.Method, "method", train.Softmax, "softmax (logistic regression) or imprint (1-5 photos per class)")
	fs.Float64Var(&cfg.L2, "l2", train.DefaultL2, "softmax: the penalty on the weights of standardized embeddings, per photo (scikit-learn's C = 1/(l2 n))")
	fs.BoolVar(&cfg.Augment, "augment", false, "also train on mirrored and cropped views of each photo (for small sets)")
	fs.StringVar(&cfg.Calib, "calib", "", "a zoo backbone is quantized with ranges calibrated on these photos (default: --data)")
	fs.IntVar(&cfg.CalibImages, "calib-images", train.DefaultCalibImages, "calibrate on at most this many photos, spread evenly over the folder")
	fs.StringVar(&cfg.CalibMethod, "calib-method", "mse", "how a zoo backbone's activation ranges are chosen: minmax, percentile, mse, kl or auto")
	fs.IntVar(&cfg.Workers, "workers", runtime.NumCPU(), "photos processed at once, each worker with its own copy of the backbone")
	asJSON := fs.Bool("json", false, `print one JSON object {"classes", "images", "train_acc", "val_acc", "seconds", ...} instead of the report`)
	plot := fs.String("plot", "", "draw the confusion matrix (validation photos, else training photos) to this PNG file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case cfg.Backbone == "":
		return usageErrorf("--model is required: a zoo model with --weights, or an int8 model file")
	case cfg.Data == "":
		return usageErrorf("--data DIR is required: a folder with one folder of photos per class")
	case cfg.Out == "":
		return usageErrorf("--out FILE is required")
	case cfg.Val != "" && cfg.ValSplit != 0:
		return usageErrorf("--val and --val-split both set aside validation photos: give one")
	case !(cfg.ValSplit >= 0 && cfg.ValSplit < 1):
		return usageErrorf("--val-split must be a fraction in [0, 1)")
	case !(cfg.L2 > 0) || math.IsInf(cfg.L2, 0):
		return usageErrorf("--l2 must be a positive number")
	case cfg.Workers < 1:
		return usageErrorf("--workers must be at least 1")
	case cfg.Method != train.Softmax && cfg.Method != train.Imprint:
		return usageErrorf("--method %q: want %s or %s", cfg.Method, train.Softmax, train.Imprint)
	}
	cfg.Progress = func(stage string) func(done, total int) { return progress.Printer(stderr, stage) }
	_, rep, err := train.Run(cfg)
	if err != nil {
		return err
	}
	if *plot != "" {
		if err := rep.Plot(*plot); err != nil {
			return err
		}
	}
	if *asJSON {
		rep.WriteProblems(stderr)
		return json.NewEncoder(stdout).Encode(rep.Summary())
	}
	rep.WriteText(stdout)
	fmt.Fprintf(stdout, "wrote %s: %s with a %s head for %d classes\n", cfg.Out, rep.Backbone, rep.Method, len(rep.Classes))
	return nil
}
