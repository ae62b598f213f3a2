// Package engine compiles a graph.Graph into a Program and runs it.
//
// Compiling does, once, everything that does not depend on the input:
//   - batch norm after a convolution is folded into the convolution's
//     weights and bias (w' = w * gamma / sqrt(var + eps),
//     b' = (b - mean) * gamma / sqrt(var + eps) + beta), computed in float64;
//     a batch norm that cannot be folded becomes a per-channel affine op;
//   - an activation that follows a convolution, linear layer, residual add
//     or affine op is fused into it, so no separate pass over memory is made;
//   - convolution weights are packed for the kernel;
//   - every intermediate tensor is allocated.
//
// Running a Program then calls one reference kernel per step and allocates
// nothing. The source graph is not modified: its parameters stay in
// PyTorch's layout and can be reloaded and compiled again.
package engine
