package q8

// DepthwiseUsesKernels reports whether d runs its kernel set's
// microkernels (else DepthwiseRowGo or the reference).
func DepthwiseUsesKernels(d *Depthwise) bool { return d.rows != nil }
