package arm64

import (
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
)

// kernelOps is this package's stateless kernels, for the tests they share
// with the other architecture's package (kernels/internal/kerneltest).
var kernelOps = kerneltest.Ops{
	Paths:         dwTestPaths,
	Fast:          NEON,
	MaxPool:       MaxPool,
	AvgPool:       AvgPool,
	GlobalAvgPool: GlobalAvgPool,
	Add:           Add,
	MulChannels:   MulChannels,
	LookupTable:   LookupTable,
}

func TestPoolsMatchReference(t *testing.T) { kerneltest.PoolsMatchReference(t, kernelOps) }

func TestGlobalAvgPoolMatchesReference(t *testing.T) {
	kerneltest.GlobalAvgPoolMatchesReference(t, kernelOps)
}

func TestPoolsAllocateNothing(t *testing.T) { kerneltest.PoolsAllocateNothing(t, kernelOps) }

func BenchmarkPools(b *testing.B) { kerneltest.BenchPools(b, kernelOps) }
