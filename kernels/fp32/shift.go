package fp32

import (
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// Shift moves each channel by its own offset; positions whose source falls
// outside the image become zero. It is pure data movement: no
// multiplications, no parameters (Wu et al. 2018). offsets has one entry
// per channel.
func Shift(dst, src *tensor.Tensor, offsets []nn.Offset) {
	s := src.Shape
	for n := 0; n < s.N; n++ {
		for y := 0; y < s.H; y++ {
			for x := 0; x < s.W; x++ {
				out := dst.Pixel(n, y, x)
				for c, o := range offsets[:s.C] {
					sy, sx := y+o.DY, x+o.DX
					if sy < 0 || sy >= s.H || sx < 0 || sx >= s.W {
						out[c] = 0
						continue
					}
					out[c] = src.Data[src.Index(n, sy, sx, c)]
				}
			}
		}
	}
}
