package nn

import (
	"fmt"
	"strings"
	"testing"
)

func TestPoolWindows(t *testing.T) {
	// A 3x3 window, stride 2, padding 1 over 4x4: PyTorch's AvgPool2d
	// divides the corner window by 4 pixels, or by 9 with
	// count_include_pad.
	for _, includePad := range []bool{false, true} {
		p := PoolGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CountIncludePad: includePad}
		oh, ow := p.OutSize(4, 4)
		var got []string
		p.Windows(4, 4, oh, ow, func(oy, ox int, w Window) {
			got = append(got, fmt.Sprintf("%d,%d:[%d,%d)x[%d,%d)/%d", oy, ox, w.Y0, w.Y1, w.X0, w.X1, w.Count))
		})
		want := "0,0:[0,2)x[0,2)/4 0,1:[0,2)x[1,4)/6 1,0:[1,4)x[0,2)/6 1,1:[1,4)x[1,4)/9"
		if includePad {
			want = "0,0:[0,2)x[0,2)/9 0,1:[0,2)x[1,4)/9 1,0:[1,4)x[0,2)/9 1,1:[1,4)x[1,4)/9"
		}
		if s := strings.Join(got, " "); s != want {
			t.Errorf("count_include_pad %v:\n got %s\nwant %s", includePad, s, want)
		}
	}
}
