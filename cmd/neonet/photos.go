package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/internal/cli"
	"neonet.dev/neonet/internal/progress"
	"neonet.dev/neonet/train"
)

// The commands for the user's own classes: collect and train.

func runCollect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("collect", "--camera SPEC --out DIR/LABEL [--frames N] [--every D]", stdout)
	var cam cameraFlags
	cam.register(fs, "the camera: a device (0, /dev/video0), gst:PIPELINE, a video file, an image folder\nor synthetic[:WxH] (docs/camera.md); required", false)
	out := fs.String("out", "", "the class folder to save frames in, DIR/LABEL (created if missing); required")
	frames := fs.Int("frames", 50, "how many frames to save")
	every := fs.Duration("every", 500*time.Millisecond, "the least time between two saved frames (0: every frame)")
	quality := fs.Int("quality", 95, "JPEG quality, 1 to 100")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case cam.spec == "":
		return cli.Usagef("--camera SPEC is required")
	case *out == "":
		return cli.Usagef("--out DIR/LABEL is required: the folder is the class, its name the label")
	case *frames < 1:
		return cli.Usagef("--frames must be at least 1")
	case *every < 0:
		return cli.Usagef("--every %v: must not be negative", *every)
	}
	opt, err := cam.options()
	if err != nil {
		return err
	}
	src, err := camera.Parse(cam.spec, opt)
	if err != nil {
		return err
	}
	ctx, stop := interrupted()
	defer stop()
	fmt.Fprintf(stderr, "collecting %d frames from %s into %s, one per %v at most (Ctrl-C stops)\n", *frames, src, *out, *every)
	saved, err := camera.Collect(ctx, src, *out, camera.CollectOptions{Frames: *frames, Every: *every, Quality: *quality,
		Saved: func(path string, n, total int) { fmt.Fprintf(stderr, "  %d/%d %s\n", n, total, path) }})
	if len(saved) > 0 {
		fmt.Fprintf(stdout, "saved %d photos of %q in %s: %s to %s\n", len(saved), filepath.Base(*out), *out,
			filepath.Base(saved[0]), filepath.Base(saved[len(saved)-1]))
	}
	if err == nil && len(saved) < *frames && ctx.Err() == nil {
		fmt.Fprintf(stderr, "neonet collect: %s ended after %d of %d frames\n", src, len(saved), *frames)
	}
	return err
}

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
	fs.StringVar(&cfg.CalibMethod, "calib-method", "", "how a zoo backbone's activation ranges are chosen: minmax, percentile, mse, kl or auto\n(default: auto for the EfficientNets, mse for the others)")
	fs.IntVar(&cfg.Workers, "workers", runtime.NumCPU(), "photos processed at once, each worker with its own copy of the backbone")
	asJSON := fs.Bool("json", false, `print one JSON object {"classes", "images", "train_acc", "val_acc", "seconds", ...} instead of the report`)
	plot := fs.String("plot", "", "draw the confusion matrix (validation photos, else training photos) to this PNG file")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case cfg.Backbone == "":
		return cli.Usagef("--model is required: a zoo model with --weights, or an int8 model file")
	case cfg.Data == "":
		return cli.Usagef("--data DIR is required: a folder with one folder of photos per class")
	case cfg.Out == "":
		return cli.Usagef("--out FILE is required")
	case cfg.Val != "" && cfg.ValSplit != 0:
		return cli.Usagef("--val and --val-split both set aside validation photos: give one")
	case !(cfg.ValSplit >= 0 && cfg.ValSplit < 1):
		return cli.Usagef("--val-split must be a fraction in [0, 1)")
	case !(cfg.L2 > 0) || math.IsInf(cfg.L2, 0):
		return cli.Usagef("--l2 must be a positive number")
	case cfg.Workers < 1:
		return cli.Usagef("--workers must be at least 1")
	case cfg.Method != train.Softmax && cfg.Method != train.Imprint:
		return cli.Usagef("--method %q: want %s or %s", cfg.Method, train.Softmax, train.Imprint)
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
