package arm64

import (
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
)

func TestLinearMatchesReference(t *testing.T) { kerneltest.LinearMatchesReference(t, gemmLayers) }

func BenchmarkLinear(b *testing.B) { kerneltest.BenchLinear(b, gemmLayers) }
