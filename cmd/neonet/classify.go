package main

import (
	"encoding/json"
	"fmt"
	"io"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/internal/cli"
)

func runClassify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classify", "--model NAME|FILE [--weights FILE] [--top K] [--json] IMAGE... | --camera SPEC [--frames N]", stdout)
	var mf modelFlags
	mf.register(fs)
	var cam cameraFlags
	cam.register(fs, "classify camera frames instead of images: synthetic[:WxH], a device (0, /dev/video0),\ngst:PIPELINE, a video file or an image folder (docs/camera.md)", true)
	frames := fs.Int("frames", 0, "with --camera: classify this many frames, then stop (0: until interrupted)")
	top := fs.Int("top", 5, "number of classes to print per image")
	asJSON := fs.Bool("json", false, `print one JSON object per image: {"file": ..., "top": [{"index", "label", "score"}]}`)
	images, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case cli.Given(fs, "camera", "frames", "camera-size", "camera-fps", "loop"):
		return cam.classifyCamera(images, *frames, &mf, *top, *asJSON, stdout, stderr)
	case len(images) == 0:
		return cli.Usagef("no IMAGE given")
	case *top < 1:
		return cli.Usagef("--top must be at least 1")
	}
	o, err := mf.open(stderr)
	if err != nil {
		return err
	}
	c, err := o.NewClassifier()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	failed := 0
	for _, path := range images {
		preds, err := c.ClassifyFile(path, *top)
		if err != nil {
			fmt.Fprintf(stderr, "neonet classify: %v\n", err)
			failed++
			continue
		}
		if *asJSON {
			if err := enc.Encode(struct {
				File string                `json:"file"`
				Top  []classify.Prediction `json:"top"`
			}{path, preds}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(stdout, path)
		printTop(stdout, preds)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images could not be classified", failed, len(images))
	}
	return nil
}

// printTop prints ranked classes, one line each: probability, index, label.
func printTop(w io.Writer, preds []classify.Prediction) {
	for _, p := range preds {
		fmt.Fprintf(w, "  %6.2f%%  %4d  %s\n", 100*p.Score, p.Index, p.Label)
	}
}
