package amd64

import (
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
)

func TestAddMatchesReference(t *testing.T) { kerneltest.AddMatchesReference(t, kernelOps) }

func TestMulChannelsMatchesReference(t *testing.T) {
	kerneltest.MulChannelsMatchesReference(t, kernelOps)
}

func TestElementwiseAllocatesNothing(t *testing.T) {
	kerneltest.ElementwiseAllocatesNothing(t, kernelOps)
}

func BenchmarkAdd(b *testing.B) { kerneltest.BenchAdd(b, kernelOps) }

func BenchmarkMulChannels(b *testing.B) { kerneltest.BenchMulChannels(b, kernelOps) }
