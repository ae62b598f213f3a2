package arm64

import (
	"math"
	"unsafe"
)

// gemmPack lays weights out for layout l, once, when a layer is built.
// For each tile of l.nr output channels: for each tap t and each chunk of
// up to 16 of its kcs[t] input channels, 16*l.nr weight bytes in the order
// the kernel reads them (l.weightIndex; a tail chunk at the positions of
// gemmChunkPositions, every other byte zero); then l.nr int32 biases and
// l.nr float32 multipliers. Channels past cout get zero weights, bias and
// multiplier; the kernel computes them but never stores them.
//
// The result is []int32 so that biases and multipliers are 4-byte
// aligned; the kernels read it as bytes.
func gemmPack(l gemmLayout, kcs []int32, cout int, weight func(t, k, o int) int8, bias []int32, mult func(o int) float32) []int32 {
	chunks := 0
	for _, n := range kcs {
		chunks += (int(n) + gemmChunk - 1) / gemmChunk
	}
	tiles := (cout + l.nr - 1) / l.nr
	tileBytes := chunks*gemmChunk*l.nr + 8*l.nr
	packed := make([]int32, tiles*tileBytes/4)
	if len(packed) == 0 {
		return packed
	}
	bytes := unsafe.Slice((*int8)(unsafe.Pointer(&packed[0])), 4*len(packed))
	off := 0
	for tile := range tiles {
		for t, n := range kcs {
			for k0 := 0; k0 < int(n); k0 += gemmChunk {
				m := min(gemmChunk, int(n)-k0)
				pos := gemmChunkPositions(m)
				chunk := bytes[off : off+gemmChunk*l.nr]
				for c := range l.nr {
					o := tile*l.nr + c
					if o >= cout {
						continue
					}
					for i := range m {
						chunk[l.weightIndex(c, pos[i])] = weight(t, k0+i, o)
					}
				}
				off += gemmChunk * l.nr
			}
		}
		for c := range l.nr {
			if o := tile*l.nr + c; o < cout {
				packed[off/4+c] = bias[o]
				packed[off/4+l.nr+c] = int32(math.Float32bits(mult(o)))
			}
		}
		off += 8 * l.nr
	}
	return packed
}
