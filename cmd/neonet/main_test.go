package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"neonet.dev/neonet/internal/testenv"
)

// neonet runs a command line and returns its exit code and outputs.
func neonet(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// neonetWithin is neonet that fails the test if the command does not end
// within d.
func neonetWithin(t *testing.T, d time.Duration, args ...string) (int, string, string) {
	t.Helper()
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := neonet(args...)
		done <- result{code, out, errOut}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.errOut
	case <-time.After(d):
		t.Fatalf("%q did not end within %v", args, d)
	}
	return 0, "", ""
}

func TestHelp(t *testing.T) {
	code, out, _ := neonet()
	if code != 0 || !strings.Contains(out, "Commands:") {
		t.Errorf("no arguments: exit %d, output %q", code, out)
	}
	for _, c := range commands {
		code, out, errOut := neonet(c.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: neonet "+c.name) || errOut != "" {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", c.name, code, out, errOut)
		}
		if text, err := help.ReadFile("help/" + c.name + ".txt"); err != nil || !strings.Contains(out, strings.TrimSpace(string(text))) {
			t.Errorf("%s --help does not print help/%s.txt (%v)", c.name, c.name, err)
		}
	}
	if code, out, _ := neonet("help", "classify"); code != 0 || !strings.Contains(out, "--top") {
		t.Errorf("help classify: exit %d, output %q", code, out)
	}
	// A flag error is reported once, on stderr, with a pointer to --help.
	if code, out, errOut := neonet("classify", "--frobnicate"); code != 2 || out != "" || strings.Count(errOut, "frobnicate") != 1 {
		t.Errorf("bad flag: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A mistyped model file is a missing file, not an unknown model.
	if code, _, errOut := neonet("classify", "--model", "nope/sq.neonet", "x.jpg"); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing model file: exit %d, %q", code, errOut)
	}
	if code, _, errOut := neonet("frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, output %q", code, errOut)
	}
}

func TestSummary(t *testing.T) {
	code, out, errOut := neonet("summary", "efficientnet_b0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if last := lines[len(lines)-1]; last != "Total Trainable Params: 5288548" {
		t.Errorf("last line %q", last)
	}
	for _, want := range []string{"|             Modules", "| features.1.0.block.1.fc1.weight ", "MACs: 385", "Input size: 1 x 3 x 224 x 224"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if rows := strings.Count(out, "\n| "); rows != 213+1 { // 213 parameters and the header
		t.Errorf("%d table rows, want 214", rows)
	}
	if code, _, errOut := neonet("summary"); code != 2 || !strings.Contains(errOut, "want exactly one MODEL") {
		t.Errorf("summary without model: exit %d, %q", code, errOut)
	}
	if code, _, errOut := neonet("summary", "resnet50"); code != 2 || !strings.Contains(errOut, `unknown model "resnet50"`) {
		t.Errorf("unknown model: exit %d, %q", code, errOut)
	}
	// Expansion 3 and 4 classes: the head is 4x64 + 4 and conv1 of the
	// first block is 3*16 x 16.
	code, out, _ = neonet("summary", "shiftresnet20:3", "--classes", "4")
	for _, want := range []string{" linear.weight ", " 256 ", " layer1.0.conv1.weight ", " 768 "} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("summary shiftresnet20:3 --classes 4: exit %d, no %q", code, want)
		}
	}
}

func TestClassifyErrors(t *testing.T) {
	if code, _, errOut := neonet("classify", "x.jpg"); code != 2 || !strings.Contains(errOut, "--model is required") {
		t.Errorf("no model: exit %d, %q", code, errOut)
	}
	if code, _, errOut := neonet("classify", "--model", "squeezenet1_1"); code != 2 || !strings.Contains(errOut, "no IMAGE") {
		t.Errorf("no image: exit %d, %q", code, errOut)
	}
	missing := filepath.Join(t.TempDir(), "nope.pth")
	if code, _, errOut := neonet("classify", "--model", "squeezenet1_1", "--weights", missing, "x.jpg"); code != 1 || !strings.Contains(errOut, "nope.pth") {
		t.Errorf("missing weights: exit %d, %q", code, errOut)
	}
	// A checkpoint for another model: the error lists keys and shapes.
	wrong := filepath.Join(testenv.SharedData(t), "weights", "squeezenet1_1_imagenet.pth")
	code, _, errOut := neonet("classify", "--model", "squeezenet1_0", "--weights", wrong, "x.jpg")
	if code != 1 || !strings.Contains(errOut, "features.0.weight: checkpoint has [64 3 3 3], model expects [96 3 7 7]") {
		t.Errorf("wrong checkpoint: exit %d, %q", code, errOut)
	}
}

func TestClassifyRealWeights(t *testing.T) {
	data := testenv.SharedData(t)
	weights := filepath.Join(data, "weights", "squeezenet1_1_imagenet.pth")
	img := filepath.Join(data, "images", "samples", "cat.bmp")
	// Flags after the image work too.
	code, out, errOut := neonet("classify", "--model", "squeezenet1_1", "--weights", weights, img, "--json", "--top", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var line struct {
		File string `json:"file"`
		Top  []struct {
			Index int     `json:"index"`
			Label string  `json:"label"`
			Score float64 `json:"score"`
		} `json:"top"`
	}
	if err := json.Unmarshal([]byte(out), &line); err != nil {
		t.Fatalf("output %q is not one JSON object: %v", out, err)
	}
	if line.File != img || len(line.Top) != 3 || line.Top[0].Index != 285 || line.Top[0].Label != "Egyptian cat" {
		t.Errorf("unexpected result %+v", line)
	}
	if s := line.Top[0].Score; s < 0.3 || s > 0.7 || line.Top[1].Score > s {
		t.Errorf("scores %+v", line.Top)
	}
}

func TestEvalJSON(t *testing.T) {
	data := testenv.SharedData(t)
	// A small CIFAR-10 style folder: three images of two classes.
	dir := t.TempDir()
	for _, f := range []string{"cat/0000.jpg", "cat/0001.jpg", "ship/0000.jpg"} {
		src, err := os.ReadFile(filepath.Join(data, "images", "cifar10-dev", f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	preds := filepath.Join(t.TempDir(), "preds.jsonl")
	code, out, errOut := neonet("eval", "--model", "shiftresnet20", "--weights",
		filepath.Join(data, "weights", "shiftresnet20_cifar10"), "--data", dir, "--json", "--predictions", preds, "--workers", "64")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// 64 workers asked for 3 images: one classifier per image and core.
	if want := fmt.Sprintf("with %d workers", min(3, runtime.NumCPU())); !strings.Contains(errOut, want) {
		t.Errorf("--workers 64 on 3 images: %q, want %q", errOut, want)
	}
	var sum struct {
		Images int      `json:"images"`
		Top1   *float64 `json:"top1"`
		Top5   *float64 `json:"top5"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Images != 3 || sum.Top1 == nil || sum.Top5 == nil {
		t.Errorf("summary %q: %v", out, err)
	}
	if !strings.Contains(errOut, "3/3 images") {
		t.Errorf("no progress shown: %q", errOut)
	}
	lines, err := os.ReadFile(preds)
	if err != nil || strings.Count(string(lines), "\n") != 3 {
		t.Errorf("predictions file: %v, %q", err, lines)
	}
	if code, _, errOut := neonet("eval", "--model", "shiftresnet20"); code != 2 || !strings.Contains(errOut, "--data is required") {
		t.Errorf("no data: exit %d, %q", code, errOut)
	}
}

// TestModelThatIsNoFile: a --model (or inspect's FILE) that exists but is
// a folder, a device or a named pipe is refused at once with what it is,
// by every command that loads models.
func TestModelThatIsNoFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, "/dev/zero", fifo} {
		for _, args := range [][]string{
			{"classify", "--model", path, "x.jpg"},
			{"eval", "--model", path, "--data", dir},
			{"bench", "--model", path, "--runs", "1"},
			{"inspect", path},
		} {
			code, _, errOut := neonetWithin(t, 10*time.Second, args...)
			if code != 1 || !strings.Contains(errOut, path+": ") || !strings.Contains(errOut, "not a regular file") || strings.Contains(errOut, "%!") {
				t.Errorf("%q: exit %d, %q: want the path and that it is not a regular file", args, code, errOut)
			}
		}
	}
}

// TestCalibImagesAtLeastOne: --calib-images 0 is refused rather than read
// as "every image", by every command that calibrates.
func TestCalibImagesAtLeastOne(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"quantize", "--model", "shiftresnet20", "--weights", dir, "--calib", dir, "--out", filepath.Join(dir, "m.neonet")},
		{"classify", "--model", "shiftresnet20", "--precision", "int8", "--calib", dir, "x.jpg"},
		{"bench", "--model", "shiftresnet20", "--precision", "int8", "--calib", dir},
	} {
		for _, n := range []string{"0", "-3"} {
			args := append(args, "--calib-images", n)
			if code, _, errOut := neonet(args...); code != 2 || !strings.Contains(errOut, "calib-images: want a whole number, at least 1") {
				t.Errorf("%q: exit %d, %q", args, code, errOut)
			}
		}
	}
}
