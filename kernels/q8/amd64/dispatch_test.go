package amd64

import (
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
)

func TestSelectHonoursTheEnvironment(t *testing.T) {
	t.Setenv(EnvVar, "")
	if p, err := Select(); err != nil || p != Best() {
		t.Errorf("unset: %v, %v; want Best() = %v", p, err, Best())
	}
	if Native && Supported(AVX2) && Best() != AVX2 {
		t.Errorf("Best() = %v on a CPU with AVX2 and the assembly built", Best())
	}
	if !Native && Best() != Ref {
		t.Errorf("Best() = %v without the assembly: the Go twins are not for speed", Best())
	}
	t.Setenv(EnvVar, "ref")
	if p, err := Select(); err != nil || p != Ref {
		t.Errorf("ref: %v, %v", p, err)
	}
	t.Setenv(EnvVar, "avx2")
	if p, err := Select(); (err == nil) != Supported(AVX2) || err == nil && p != AVX2 {
		t.Errorf("avx2: %v, %v with Supported = %v", p, err, Supported(AVX2))
	}
	t.Setenv(EnvVar, "neon")
	if _, err := Select(); err == nil {
		t.Error("neon: no error from the x86-64 package")
	}
	if runsAVX2(dispatch.NEONDot) || runsAVX2(Ref) {
		t.Error("a stateless kernel asked for another path runs AVX2")
	}
}
