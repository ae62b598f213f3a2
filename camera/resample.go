package camera

import "neonet.dev/neonet/preprocess"

// half is the rounding bias every fixed-point sum starts from (see
// preprocess.PrecisionBits).
const half = 1 << (preprocess.PrecisionBits - 1)

// axis maps the outputs of the centre crop along one axis to source pixels:
// of the crop's outputs, Before are padding, then Valid are read from the
// source with the weights of preprocess.NewCoeffs (output i of them reads
// N[i] pixels from Start[i] with weights W[i*KSize:]), then After are
// padding.
type axis struct {
	preprocess.Crop
	preprocess.Coeffs
}

// newAxis maps an axis of inSize pixels, resized to resized, centre-cropped
// to crop. Resampling windows are padded to a multiple of taps when the
// axis is long enough (see uniform).
func newAxis(inSize, resized, crop int, f preprocess.Filter, taps int) axis {
	c := preprocess.CenterCrop(resized, crop)
	a := axis{Crop: c, Coeffs: preprocess.NewCoeffs(inSize, resized, c.Before+c.Offset, c.Valid, f)}
	if a.KSize > 1 {
		a.uniform(inSize, taps)
	}
	return a
}

// uniform gives every window the same length, the longest one's rounded
// up to a multiple of taps if the axis has that many pixels, so that the
// inner loops run a fixed, unrollable number of taps: shorter windows get
// zero weights after their own, moved back to end at the image border when
// needed. Zero weights add nothing, so the sums are unchanged.
func (a *axis) uniform(inSize, taps int) {
	k := 1
	for _, n := range a.N {
		k = max(k, n)
	}
	if rounded := (k + taps - 1) / taps * taps; rounded <= inSize {
		k = rounded
	}
	w := make([]int32, a.Valid*k)
	for i, n := range a.N {
		start := min(a.Start[i], inSize-k)
		copy(w[i*k+a.Start[i]-start:], a.W[i*a.KSize:][:n])
		a.Start[i], a.N[i] = start, k
	}
	a.KSize, a.W = k, w
}
