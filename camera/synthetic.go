package camera

import "fmt"

// Synthetic is a test pattern that needs no hardware: eight vertical
// colour bars scrolling right by 4 pixels a frame over a vertical gradient,
// with a brightness that depends on the frame number, so every frame
// differs from its neighbours and its content identifies it.
type Synthetic struct {
	w, h  int
	open  bool
	seq   uint64
	pace  pacer
	clock Clock
}

// NewSynthetic returns a w x h pattern delivered at opt.FPS (0: as fast as
// it is read).
func NewSynthetic(w, h int, opt Options) *Synthetic {
	return &Synthetic{w: w, h: h, pace: newPacer(opt.clock(), opt.FPS), clock: opt.clock()}
}

func (s *Synthetic) String() string { return fmt.Sprintf("synthetic:%dx%d", s.w, s.h) }

// Open implements Source.
func (s *Synthetic) Open() error {
	if s.w <= 0 || s.h <= 0 {
		return fmt.Errorf("camera %s: size must be positive", s)
	}
	s.open = true
	return nil
}

// Close implements Source.
func (s *Synthetic) Close() error { s.open = false; return nil }

// barColors are the BGR colours of the bars (SMPTE order: white, yellow,
// cyan, green, magenta, red, blue, black).
var barColors = [8][3]byte{
	{255, 255, 255}, {0, 255, 255}, {255, 255, 0}, {0, 255, 0},
	{255, 0, 255}, {0, 0, 255}, {255, 0, 0}, {0, 0, 0},
}

// Read implements Source.
func (s *Synthetic) Read(f *Frame) error {
	if !s.open {
		return fmt.Errorf("camera %s: %w", s, ErrClosed)
	}
	s.pace.wait()
	f.setSize(s.w, s.h)
	SyntheticPattern(f, s.seq+1)
	stamp(f, &s.seq, s.clock)
	return nil
}

// SyntheticPattern draws frame number seq of the pattern into f at f's
// size: what Synthetic.Read delivers as frame seq.
func SyntheticPattern(f *Frame, seq uint64) {
	barW := max(f.Width/8, 1)
	shift := int(seq*4) % (8 * barW)
	level := int(seq % 64) // brightness step, so consecutive frames differ everywhere
	for y := range f.Height {
		row := f.row(y)
		grad := 255 * y / max(f.Height-1, 1)
		for x := range f.Width {
			bar := ((x + 8*barW - shift) / barW) % 8
			c := barColors[bar]
			for ch := range 3 {
				// Mix the bar with the gradient: half each, plus the level.
				row[3*x+ch] = byte((int(c[ch])+grad)/2*3/4 + level)
			}
		}
	}
}
