package main

import (
	"encoding/json"
	"fmt"
	"io"

	"neonet.dev/neonet/classify"
)

func runClassify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classify", "--model NAME|FILE [--weights FILE] [--top K] [--json] IMAGE... | --camera SPEC [--frames N]", `
Classify images (JPEG, PNG or BMP) with a model and print the K most likely
classes with their probabilities. Each image is preprocessed as torchvision
does for the model's reference weights (resize, centre crop, normalise).

Examples:
  neonet classify --model squeezenet1_1 --weights squeezenet1_1.pth cat.jpg
  neonet classify --model squeezenet1_1.neonet cat.jpg          (an int8 model file)
`+cameraHelp, stdout)
	var mf modelFlags
	mf.register(fs)
	var cam cameraFlags
	cam.register(fs)
	top := fs.Int("top", 5, "number of classes to print per image")
	asJSON := fs.Bool("json", false, `print one JSON object per image: {"file": ..., "top": [{"index", "label", "score"}]}`)
	images, err := parse(fs, args)
	if err != nil {
		return err
	}
	if cam.requested(fs) {
		return cam.classifyCamera(images, &mf, *top, *asJSON, stdout, stderr)
	}
	if len(images) == 0 {
		return usageErrorf("no IMAGE given")
	}
	if *top < 1 {
		return usageErrorf("--top must be at least 1")
	}
	o, err := mf.open(stderr)
	if err != nil {
		return err
	}
	c, err := o.newClassifier()
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
		for _, p := range preds {
			fmt.Fprintf(stdout, "  %6.2f%%  %4d  %s\n", 100*p.Score, p.Index, p.Label)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images could not be classified", failed, len(images))
	}
	return nil
}
