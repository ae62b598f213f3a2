//go:build unix

package train

import (
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/preprocess"
)

// cpuTime is the CPU time the process has used, all threads: unlike wall
// time, it does not grow when other processes share the cores.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// photos224 writes n photos of 224x224 into four class folders of dir:
// crops of the ImageNet photos of the shared data (resized to 256 on the
// short side, seven crops each), so that decoding costs what a camera's
// JPEGs of that size cost.
func photos224(b *testing.B, dir string, n int) {
	src := testenv.SharedData(b, "images", "imagenet-dev")
	entries, err := os.ReadDir(src)
	if err != nil {
		b.Fatal(err)
	}
	offsets := [][2]int{{0, 0}, {16, 16}, {32, 32}, {0, 32}, {32, 0}, {8, 24}, {24, 8}}
	out := image.NewRGBA(image.Rect(0, 0, 224, 224))
	if n > len(entries)*len(offsets) {
		b.Fatalf("%d photos wanted, %d can be made", n, len(entries)*len(offsets))
	}
	for p, e := range entries {
		img, err := preprocess.Decode(filepath.Join(src, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		rgb := preprocess.ToRGB8(img)
		w, h := preprocess.ImageNet(256, 224, preprocess.Bilinear).ResizedSize(rgb.W, rgb.H)
		rgb = preprocess.Resize(rgb, w, h, preprocess.Bilinear)
		for v, i := 0, p; v < len(offsets) && i < n; v, i = v+1, i+len(entries) {
			x0, y0 := offsets[v][0], offsets[v][1]
			for y := range 224 {
				for x := range 224 {
					px := rgb.Pix[3*((y0+y)*rgb.W+x0+x):]
					copy(out.Pix[4*(y*224+x):], []byte{px[0], px[1], px[2], 0xff})
				}
			}
			class := filepath.Join(dir, fmt.Sprintf("class%d", i%4))
			if err := os.MkdirAll(class, 0o755); err != nil {
				b.Fatal(err)
			}
			f, err := os.Create(filepath.Join(class, fmt.Sprintf("%04d.jpg", i)))
			if err != nil {
				b.Fatal(err)
			}
			if err := jpeg.Encode(f, out, &jpeg.Options{Quality: 90}); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	}
}

// BenchmarkTrain2000 trains a softmax head on 2,000 photos of 224x224
// with SqueezeNet 1.1: from the zoo model and its weights (calibrated on
// some of the photos first, as neonet train does), and from an int8 model
// file; then the head alone on those photos' embeddings. It reports wall
// and CPU seconds per run and the parts of a run; on a shared machine the
// CPU time says what the run costs.
func BenchmarkTrain2000(b *testing.B) {
	dir := b.TempDir()
	photos224(b, dir, 2000)
	weights := testenv.SharedData(b, "weights", "squeezenet1_1_imagenet.pth")
	modelFile := testenv.Golden(b, "int8", "squeezenet1_1.neonet")
	for _, bb := range []struct{ name, backbone, weights string }{
		{"zoo", "squeezenet1_1", weights},
		{"modelfile", modelFile, ""},
	} {
		b.Run(bb.name, func(b *testing.B) {
			var rep *Report
			cpu := cpuTime(b)
			for b.Loop() {
				var err error
				if _, rep, err = Run(Config{Backbone: bb.backbone, Weights: bb.weights, Data: dir}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime(b)-cpu).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(rep.BackboneSeconds, "backbone-s")
			b.ReportMetric(rep.EmbedSeconds, "embed-s")
			b.ReportMetric(rep.HeadSeconds, "head-s")
			b.Logf("%s: %d photos, %.1f s (backbone %.1f s, embeddings %.1f s, head %.2f s)", bb.name, rep.Images, rep.Seconds, rep.BackboneSeconds, rep.EmbedSeconds, rep.HeadSeconds)
		})
	}
	b.Run("head", func(b *testing.B) {
		opt := Options{}
		if err := opt.resolve(); err != nil {
			b.Fatal(err)
		}
		_, bb := mustBackbone(b, modelFile)
		set := mustSplit(b, dir, "")
		path, _ := dispatch.Select()
		emb, _, err := embed(b.Context(), bb, set, &opt, path, &Report{})
		if err != nil {
			b.Fatal(err)
		}
		x := emb.float()
		var h *Head
		cpu := cpuTime(b)
		for b.Loop() {
			h = fitSoftmax(x, emb.class, bb.Dim(), len(set.Classes), opt.L2, opt.Workers)
			quantizeHead(h, emb.params, x)
		}
		b.ReportMetric((cpuTime(b)-cpu).Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(h.Iterations), "iterations")
	})
}

// BenchmarkCIFAR10MatchesPyTorch is the accuracy target on the whole of
// cifar10-dev: the softmax head on SqueezeNet 1.1's int8 embeddings (150
// photos per class to train, 50 held out) within a point of the fp32
// PyTorch reference, and the imprinted head from 5 photos of each of
// three classes within a point too.
func BenchmarkCIFAR10MatchesPyTorch(b *testing.B) {
	classes := []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
	dir := b.TempDir()
	data := cifarFolders(b, filepath.Join(dir, "train"), classes, 0, 150)
	val := cifarFolders(b, filepath.Join(dir, "val"), classes, 150, 200)
	few := cifarFolders(b, filepath.Join(dir, "few"), fewShot, 0, 5)
	rest := cifarFolders(b, filepath.Join(dir, "rest"), fewShot, 5, 200)
	softmaxRef, imprintRef := readReference(b, "cifar10_softmax"), readReference(b, "cifar3_imprint")
	for b.Loop() {
		_, rep, err := Run(Config{Backbone: "squeezenet1_1", Weights: testenv.SharedData(b, "weights", "squeezenet1_1_imagenet.pth"),
			Data: data, Val: val})
		if err != nil {
			b.Fatal(err)
		}
		compareWithReference(b, "10 classes, softmax", rep, softmaxRef, 0.01)
		if _, rep, err = Run(Config{Backbone: "squeezenet1_1", Weights: testenv.SharedData(b, "weights", "squeezenet1_1_imagenet.pth"),
			Data: few, Val: rest, Options: Options{Method: Imprint}}); err != nil {
			b.Fatal(err)
		}
		compareWithReference(b, "3 classes, imprinted from 5 photos each", rep, imprintRef, 0.01)
	}
}
