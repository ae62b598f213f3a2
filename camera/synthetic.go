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
// size: what Synthetic.Read delivers as frame seq. Each pixel is its bar's
// colour mixed with the row's gradient, half each, plus a brightness
// level; the eight colours of a row are mixed once and copied in spans,
// so that drawing costs a camera's frame rate little CPU time.
func SyntheticPattern(f *Frame, seq uint64) {
	barW := max(f.Width/8, 1)
	shift := int(seq*4) % (8 * barW)
	level := int(seq % 64) // brightness step, so consecutive frames differ everywhere
	for y := range f.Height {
		row := f.row(y)
		grad := 255 * y / max(f.Height-1, 1)
		var mixed [8][3]byte
		for b, c := range barColors {
			for ch := range 3 {
				mixed[b][ch] = byte((int(c[ch])+grad)/2*3/4 + level)
			}
		}
		// Pixel x is in bar (x + 8*barW - shift) / barW, modulo 8: the
		// row is spans of one colour, the first cut short by the shift.
		pos := 8*barW - shift
		bar, x := pos/barW%8, 0
		for n := barW - pos%barW; x < f.Width; n = barW {
			span := row[3*x : 3*min(x+n, f.Width)]
			copy(span, mixed[bar][:])
			for done := 3; done < len(span); done *= 2 {
				copy(span[done:], span[:done])
			}
			x, bar = x+n, (bar+1)%8
		}
	}
}
