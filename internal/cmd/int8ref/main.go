// Command int8ref writes, for each int8 model file given, the reference
// run the arm64 tests compare against: one input quantized from a photo and
// the output the pure-Go reference kernels (kernels/q8ref) compute from it on
// this machine. `make golden` runs it on amd64; the qnet tests then check
// that every kernel path, on every architecture, gives the same bytes.
//
// Usage: int8ref --image PHOTO MODEL.neonet...  (writes MODEL.ref beside each)
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"neonet.dev/neonet/internal/atomicfile"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
)

func main() {
	image := flag.String("image", "", "photo to quantize as the input (required)")
	flag.Parse()
	if *image == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: int8ref --image PHOTO MODEL.neonet...")
		os.Exit(2)
	}
	for _, path := range flag.Args() {
		if err := write(path, *image); err != nil {
			fmt.Fprintln(os.Stderr, "int8ref:", err)
			os.Exit(1)
		}
	}
}

// write runs the model on the reference path and saves input and output:
// the .ref file is the input bytes followed by the output bytes.
func write(path, image string) error {
	m, err := modelfile.Load(path)
	if err != nil {
		return err
	}
	p, err := qnet.CompileWith(m, qnet.Options{Kernels: dispatch.Ref})
	if err != nil {
		return err
	}
	img, err := preprocess.Decode(image)
	if err != nil {
		return err
	}
	x := make([]float32, m.Preprocess.Len())
	if err := m.Preprocess.Tensor(img, x); err != nil {
		return fmt.Errorf("%s: %w", image, err)
	}
	if err := p.QuantizeInput(x); err != nil {
		return err
	}
	in := p.Input().Data
	ref := make([]byte, 0, len(in))
	for _, v := range in { // before Run: the arena reuses the input's bytes
		ref = append(ref, byte(v))
	}
	p.Run()
	out := p.Value(m.Output).Data
	for _, v := range out {
		ref = append(ref, byte(v))
	}
	refPath := strings.TrimSuffix(path, ".neonet") + ".ref"
	if err := atomicfile.Write(refPath, func(w io.Writer) error { _, err := w.Write(ref); return err }); err != nil {
		return err
	}
	fmt.Printf("%s: %d input and %d output bytes\n", refPath, len(in), len(out))
	return nil
}
