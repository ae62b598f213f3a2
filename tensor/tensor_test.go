package tensor

import "testing"

func TestShape(t *testing.T) {
	s := Shape{N: 2, H: 3, W: 5, C: 7}
	if s.Elems() != 210 || !s.Valid() || s.String() != "[2 3 5 7]" {
		t.Errorf("%v: %d elements, valid %v", s, s.Elems(), s.Valid())
	}
	for _, bad := range []Shape{{}, {N: 0, H: 1, W: 1, C: 1}, {N: 1, H: -1, W: 1, C: 1}, {N: 1, H: 1, W: 0, C: 1}, {N: 1, H: 1, W: 1, C: 0}} {
		if bad.Valid() {
			t.Errorf("%v is valid", bad)
		}
	}
}

// TestIndexIsRowMajorNHWC walks every element in N, H, W, C order: the
// offsets must count up from 0 without gaps.
func TestIndexIsRowMajorNHWC(t *testing.T) {
	s := Shape{N: 2, H: 3, W: 4, C: 5}
	x := New(s)
	if len(x.Data) != s.Elems() || x.Shape != s {
		t.Fatalf("New(%v): %d values, shape %v", s, len(x.Data), x.Shape)
	}
	for i := range x.Data {
		if x.Data[i] != 0 {
			t.Fatal("New is not zeroed")
		}
		x.Data[i] = float32(i)
	}
	want := 0
	for n := range s.N {
		for y := range s.H {
			for xx := range s.W {
				for c := range s.C {
					if got := x.Index(n, y, xx, c); got != want {
						t.Fatalf("Index(%d, %d, %d, %d) = %d, want %d", n, y, xx, c, got, want)
					}
					if x.At(n, y, xx, c) != float32(want) {
						t.Fatalf("At(%d, %d, %d, %d) = %v, want %d", n, y, xx, c, x.At(n, y, xx, c), want)
					}
					want++
				}
			}
		}
	}
}

func TestPixelIsAViewOfOnePixel(t *testing.T) {
	s := Shape{N: 2, H: 3, W: 4, C: 5}
	x, q := New(s), NewInt8(s)
	if len(q.Data) != s.Elems() || q.Shape != s {
		t.Fatalf("NewInt8(%v): %d values, shape %v", s, len(q.Data), q.Shape)
	}
	for i := range x.Data {
		x.Data[i] = float32(i)
		q.Data[i] = int8(i % 127)
	}
	for _, p := range [][3]int{{0, 0, 0}, {1, 2, 3}, {0, 1, 2}, {1, 0, 3}} {
		n, y, xx := p[0], p[1], p[2]
		px, qx := x.Pixel(n, y, xx), q.Pixel(n, y, xx)
		if len(px) != s.C || len(qx) != s.C {
			t.Fatalf("pixel %v has %d and %d channels, want %d", p, len(px), len(qx), s.C)
		}
		for c := range s.C {
			i := x.Index(n, y, xx, c)
			if px[c] != x.Data[i] || qx[c] != q.Data[i] {
				t.Errorf("pixel %v channel %d: %v and %v, want element %d", p, c, px[c], qx[c], i)
			}
		}
		px[s.C-1], qx[0] = -1, -1
		if x.At(n, y, xx, s.C-1) != -1 || q.Data[x.Index(n, y, xx, 0)] != -1 {
			t.Errorf("pixel %v: writing through Pixel does not reach Data", p)
		}
	}
}
