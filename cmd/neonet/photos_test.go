package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neonet.dev/neonet/internal/testenv"
)

// From the camera to a model for new classes: collect photos of two
// classes from folder cameras, train on them, and evaluate the model file
// on the same folders (labels matched by name).
func TestCollectTrainEval(t *testing.T) {
	dir := t.TempDir()
	photos := filepath.Join(dir, "photos")
	for label, cifar := range map[string]string{"cat at the door": "cat", "nobody": "ship"} {
		code, out, errOut := neonet("collect", "--camera", testenv.SharedData(t, "images", "cifar10-dev", cifar),
			"--out", filepath.Join(photos, label), "--frames", "12", "--every", "0", "--camera-fps", "0")
		if code != 0 || !strings.Contains(out, "saved 12 photos of \""+label+"\"") || !strings.Contains(errOut, "12/12") {
			t.Fatalf("collect %s: exit %d, %q, %q", label, code, out, errOut)
		}
	}
	model := filepath.Join(dir, "door.neonet")
	plot := filepath.Join(dir, "confusion.png")
	code, out, errOut := neonet("train", "--model", testenv.Golden(t, "int8", "shiftresnet20.neonet"), "--data", photos,
		"--val-split", "0.25", "--out", model, "--json", "--plot", plot)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	var sum struct {
		Classes  []string `json:"classes"`
		Images   int      `json:"images"`
		TrainAcc float64  `json:"train_acc"`
		ValAcc   *float64 `json:"val_acc"`
		Seconds  float64  `json:"seconds"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || strings.Join(sum.Classes, ",") != "cat at the door,nobody" ||
		sum.Images != 24 || sum.ValAcc == nil || sum.TrainAcc < 0.8 || sum.Seconds <= 0 {
		t.Fatalf("train --json: %q (%v)", out, err)
	}
	if st, err := os.Stat(plot); err != nil || st.Size() == 0 {
		t.Errorf("--plot: %v", err)
	}
	code, out, errOut = neonet("eval", "--model", model, "--data", photos, "--json")
	var ev struct {
		Images int     `json:"images"`
		Top1   float64 `json:"top1"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &ev) != nil || ev.Images != 24 || ev.Top1 < 0.8 {
		t.Errorf("eval of the trained model: exit %d, %q, %q", code, out, errOut)
	}
	code, out, _ = neonet("train", "--model", testenv.Golden(t, "int8", "shiftresnet20.neonet"), "--data", photos,
		"--method", "imprint", "--out", model)
	for _, want := range []string{"2 classes, 24 photos", "imprint", "no validation photos", "confusion matrix of the training photos", "wrote " + model} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("train --method imprint: exit %d, no %q in\n%s", code, want, out)
		}
	}
}

// Command lines that cannot work are usage errors that say why.
func TestTrainAndCollectUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", "d", "--out", "o"}, "--model is required"},
		{[]string{"train", "--model", "m", "--out", "o"}, "--data DIR is required"},
		{[]string{"train", "--model", "m", "--data", "d"}, "--out FILE is required"},
		{[]string{"train", "--model", "m", "--data", "d", "--out", "o", "--val", "v", "--val-split", "0.2"}, "give one"},
		{[]string{"train", "--model", "m", "--data", "d", "--out", "o", "--val-split", "1"}, "--val-split"},
		{[]string{"train", "--model", "m", "--data", "d", "--out", "o", "--method", "knn"}, `--method "knn"`},
		{[]string{"train", "--model", "m", "--data", "d", "--out", "o", "--l2", "0"}, "--l2"},
		{[]string{"collect", "--out", "o"}, "--camera SPEC is required"},
		{[]string{"collect", "--camera", "synthetic"}, "--out DIR/LABEL is required"},
		{[]string{"collect", "--camera", "synthetic", "--out", "o", "--frames", "0"}, "--frames"},
		{[]string{"collect", "--camera", "synthetic", "--out", "o", "--camera-size", "big"}, "--camera-size"},
	} {
		if code, _, errOut := neonet(tc.args...); code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %q, want a usage error saying %q", tc.args, code, errOut, tc.want)
		}
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "only"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := neonet("train", "--model", "squeezenet1_1", "--data", dir, "--out", filepath.Join(dir, "m.neonet")); code != 1 || !strings.Contains(errOut, "only one class") {
		t.Errorf("one class: exit %d, %q", code, errOut)
	}
}
