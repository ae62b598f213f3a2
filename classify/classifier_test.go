package classify

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TopK ranks as TopIndices does, ties included, and allocates nothing
// into a slice with room.
func TestTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3, 10, 1000} {
		probs := make([]float32, n)
		scores := make([]Prediction, n)
		for i := range probs {
			probs[i] = float32(rng.IntN(8)) / 8 // many ties
			scores[i] = Prediction{Index: i, Score: probs[i]}
		}
		for _, k := range []int{1, 2, 5, n} {
			var got []int
			for _, p := range TopK(nil, scores, k) {
				got = append(got, p.Index)
			}
			if want := TopIndices(probs, k); !slices.Equal(got, want) {
				t.Errorf("n=%d k=%d: %v, want %v", n, k, got, want)
			}
		}
	}
	dst := make([]Prediction, 0, 5)
	scores := make([]Prediction, 100)
	if n := testing.AllocsPerRun(10, func() { dst = TopK(dst, scores, 5) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
