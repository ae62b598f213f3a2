package train

import "math"

// imprintScale is the imprinted head's logit for an embedding that points
// exactly at its class's weights, at the typical distance from the
// centre: Qi et al.'s scale factor s, which sets how sharp the scores are.
const imprintScale = 10

// imprint makes a head from few photos per class by weight imprinting
// (Qi, Brown and Lowe, "Low-Shot Learning with Imprinted Weights", CVPR
// 2018): each class's weights are the normalised mean of its normalised
// embeddings. The embeddings are first centred on the mean of the class
// means, because a frozen backbone's features (after ReLU) all point into
// the same corner and differ little in direction until centred. A class
// then scores s times the cosine between the centred embedding and its
// weights, scaled by the embedding's length over the typical length; the
// length is the same for every class, so the best class is the one of
// highest cosine, as in the paper, and the whole head is linear:
//
//	logits = (s/typical) W (x - centre) = W' x + B.
func imprint(x []float64, class []int, dim, k int) *Head {
	n := len(class)
	centre := make([]float64, dim)
	means := make([]float64, k*dim)
	count := make([]float64, k)
	for r := range n {
		axpy(means[class[r]*dim:][:dim], 1, x[r*dim:][:dim])
		count[class[r]]++
	}
	for c := range k {
		axpy(centre, 1/(count[c]*float64(k)), means[c*dim:][:dim])
	}
	h := &Head{W: make([]float64, k*dim), B: make([]float64, k), Dim: dim, Converged: true}
	v := make([]float64, dim)
	typical := 0.0
	for r := range n {
		copy(v, x[r*dim:][:dim])
		axpy(v, -1, centre)
		norm := math.Sqrt(dot(v, v))
		typical += norm / float64(n)
		if norm > 0 {
			axpy(h.W[class[r]*dim:][:dim], 1/norm, v)
		}
	}
	for c := range k {
		w := h.W[c*dim:][:dim]
		if norm := math.Sqrt(dot(w, w)); norm > 0 {
			scale(w, imprintScale/(norm*max(typical, 1e-12)))
		}
		h.B[c] = -dot(w, centre)
	}
	return h
}
