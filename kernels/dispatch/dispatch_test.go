package dispatch

import (
	"strings"
	"testing"
)

func TestParsePathRoundTrips(t *testing.T) {
	for _, p := range Paths() {
		got, err := ParsePath(strings.ToUpper(p.String()))
		if err != nil || got != p {
			t.Errorf("ParsePath(%q) = %v, %v", p, got, err)
		}
	}
	if _, err := ParsePath("sse9"); err == nil || !strings.Contains(err.Error(), "neondot") {
		t.Errorf("an unknown path gives %v, want an error listing the paths", err)
	}
}

func TestSelectHonoursTheEnvironment(t *testing.T) {
	t.Setenv(EnvVar, "")
	if p, err := Select(); err != nil || p != Best() {
		t.Errorf("unset: %v, %v; want Best() = %v", p, err, Best())
	}
	t.Setenv(EnvVar, "auto")
	if p, err := Select(); err != nil || p != Best() {
		t.Errorf("auto: %v, %v", p, err)
	}
	t.Setenv(EnvVar, "ref")
	if p, err := Select(); err != nil || p != Ref {
		t.Errorf("ref: %v, %v", p, err)
	}
	t.Setenv(EnvVar, "bogus")
	if _, err := Select(); err == nil || !strings.Contains(err.Error(), EnvVar) {
		t.Errorf("bogus: error %v, want one naming %s", err, EnvVar)
	}
	for _, p := range Paths() {
		t.Setenv(EnvVar, p.String())
		got, err := Select()
		if Supported(p) != (err == nil) || (err == nil && got != p) {
			t.Errorf("%s: Select = %v, %v with Supported = %v", p, got, err, Supported(p))
		}
	}
}

func TestBestIsSupportedAndNative(t *testing.T) {
	b := Best()
	if !Supported(b) {
		t.Fatalf("Best() = %v is not supported", b)
	}
	switch b {
	case NEON, NEONDot:
		if !NEONNative {
			t.Errorf("Best() = %v without the NEON assembly", b)
		}
	case AVX2:
		if !AVX2Native {
			t.Errorf("Best() = %v without the AVX2 assembly", b)
		}
	}
	t.Logf("best path here: %v (NEON assembly %v, AVX2 assembly %v)", b, NEONNative, AVX2Native)
}
