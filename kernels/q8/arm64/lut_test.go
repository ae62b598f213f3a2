package arm64

import (
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
)

func TestLookupTableMatchesReference(t *testing.T) {
	kerneltest.LookupTableMatchesReference(t, kernelOps)
}

func TestLookupTableAllocatesNothing(t *testing.T) {
	kerneltest.LookupTableAllocatesNothing(t, kernelOps)
}

func BenchmarkLookupTable(b *testing.B) { kerneltest.BenchLookupTable(b, kernelOps) }
