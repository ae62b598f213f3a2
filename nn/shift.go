package nn

// Offset is how far one channel moves in a shift: output pixel (y, x) takes
// input pixel (y+DY, x+DX).
type Offset struct{ DY, DX int }

// InterleavedShift gives channel c < 9*floor(C/9) the offset
// (dy, dx) = ((c/3)%3 - 1, c%3 - 1), cycling through the 3x3 neighbourhood
// channel by channel; the remaining channels stay put. This is the layout
// of the trained ShiftResNet-20 weights (models.ShiftResNet).
func InterleavedShift(channels int) []Offset {
	offsets := make([]Offset, channels)
	for c := range 9 * (channels / 9) {
		offsets[c] = Offset{DY: (c/3)%3 - 1, DX: c%3 - 1}
	}
	return offsets
}

// GroupedShift splits channels into k*k contiguous groups of C/(k*k)
// channels (the remainder joins the last group); group i moves by
// (i/k - k/2, i%k - k/2), in raster order over the k x k window.
func GroupedShift(channels, k int) []Offset {
	offsets := make([]Offset, channels)
	size := max(channels/(k*k), 1)
	for c := range offsets {
		i := min(c/size, k*k-1)
		offsets[c] = Offset{DY: i/k - k/2, DX: i%k - k/2}
	}
	return offsets
}
