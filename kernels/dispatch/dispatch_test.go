package dispatch

import (
	"reflect"
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
	if !NEONNative && !AVX2Native && b != Ref {
		t.Errorf("Best() = %v without any assembly: the Go twins are not for speed", b)
	}
	if AVX2Native && Supported(AVX2) && b != AVX2 {
		t.Errorf("Best() = %v on a CPU with AVX2 and the assembly built", b)
	}
	t.Logf("best path here: %v (NEON assembly %v, AVX2 assembly %v)", b, NEONNative, AVX2Native)
}

// TestQ8KernelsAreComplete checks the table: the reference has no
// microkernels, every other path a set with every field, and a path this
// CPU cannot run, or no path at all, is an error.
func TestQ8KernelsAreComplete(t *testing.T) {
	for _, p := range Paths() {
		k, err := Q8Kernels(p)
		if (err == nil) != Supported(p) {
			t.Errorf("%v: Q8Kernels error %v with Supported = %v", p, err, Supported(p))
		}
		if err != nil {
			t.Logf("%v: %v", p, err)
			continue
		}
		if (k == nil) != (p == Ref) {
			t.Errorf("%v: kernel set %p", p, k)
			continue
		}
		if k == nil {
			continue
		}
		v := reflect.ValueOf(*k)
		for i := range v.NumField() {
			if f := v.Field(i); (f.Kind() == reflect.Func || f.Kind() == reflect.Interface) && f.IsNil() {
				t.Errorf("%v: no %s kernel", p, v.Type().Field(i).Name)
			}
		}
		if d := k.Depthwise; d.Prepare == nil || d.MinChannels < 1 || d.MaxTaps < 1 {
			t.Errorf("%v: depthwise kernel %+v", p, d)
		}
		if b := k.LookupBlock; b < 1 || b&(b-1) != 0 {
			t.Errorf("%v: lookup block %d, want a power of two", p, b)
		}
	}
	if _, err := Q8Kernels(Path(len(Paths()))); err == nil {
		t.Error("an unknown path has kernels")
	}
}
