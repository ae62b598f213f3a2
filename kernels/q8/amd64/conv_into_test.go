package amd64

import (
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
)

func TestConvRunRangeIntoWritesAConcatenation(t *testing.T) {
	kerneltest.ConvRunRangeIntoWritesAConcatenation(t, gemmLayers)
}

func TestConvRunRangeIntoRejectsOutputsThatDoNotFit(t *testing.T) {
	kerneltest.ConvRunRangeIntoRejectsOutputsThatDoNotFit(t, gemmLayers)
}
