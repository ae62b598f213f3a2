package models

import (
	"math"
	"testing"

	"neonet.dev/neonet/nn"
)

// Parameter totals as torchvision (and, for ShiftNet-A, the paper) count
// them: sum(p.numel() for p in model.parameters()).
var wantParams = map[string]int{
	"squeezenet1_0":   1_248_424,
	"squeezenet1_1":   1_235_496,
	"efficientnet_b0": 5_288_548,
	"efficientnet_b1": 7_794_184,
	"efficientnet_b2": 9_109_994,
	"efficientnet_b3": 12_233_232,
	"shiftnet_a":      4_188_680,
}

func TestParameterTotals(t *testing.T) {
	for _, m := range All() {
		g, err := m.Build(m.Classes)
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		got := g.TrainableParams()
		t.Logf("%-16s %10d params %8.3f GMACs input %v", m.Name, got, float64(g.MACs())/1e9, g.InputShape())
		if want, ok := wantParams[m.Name]; ok && got != want {
			t.Errorf("%s: %d trainable parameters, want %d", m.Name, got, want)
		}
	}
}

func TestShiftNetAMACs(t *testing.T) {
	g, err := ShiftNetA(1000)
	if err != nil {
		t.Fatal(err)
	}
	// The paper reports 1.4 G multiply-adds; the reconstruction gives 1.424 G.
	if macs := float64(g.MACs()) / 1e9; math.Abs(macs-1.424) > 0.0005 {
		t.Errorf("ShiftNet-A: %.4f G MACs, want 1.424", macs)
	}
}

// The published B-variant coefficients are the compound rule rounded: check
// each is within rounding of alpha^phi, beta^phi and 224*gamma^phi.
func TestCompoundScaling(t *testing.T) {
	for _, v := range EfficientNetVariants {
		d, w, r := Compound(v.Phi)
		if math.Abs(d-v.Depth) > 0.05 || math.Abs(w-v.Width) > 0.05 || math.Abs(r-float64(v.Resolution)) > 5 {
			t.Errorf("%s: compound rule gives depth %.3f width %.3f resolution %.1f, published %.1f/%.1f/%d",
				v.Name, d, w, r, v.Depth, v.Width, v.Resolution)
		}
	}
	// alpha * beta^2 * gamma^2 ~ 2: each step of phi doubles the MACs.
	if c := compoundAlpha * compoundBeta * compoundBeta * compoundGamma * compoundGamma; math.Abs(c-2) > 0.1 {
		t.Errorf("alpha*beta^2*gamma^2 = %.3f, want about 2", c)
	}
}

func TestShiftOffsets(t *testing.T) {
	inter := nn.InterleavedShift(20)
	// 18 channels shift, the last two stay; channel 0 goes up-left, 4 stays, 8 down-right.
	if inter[0].DY != -1 || inter[0].DX != -1 || inter[4].DY != 0 || inter[4].DX != 0 ||
		inter[8].DY != 1 || inter[8].DX != 1 || inter[9] != inter[0] || inter[19].DY != 0 || inter[19].DX != 0 {
		t.Errorf("interleaved offsets wrong: %v", inter)
	}
	grouped := nn.GroupedShift(52, 5) // groups of 2, remainder 2 joins the last group
	if grouped[0].DY != -2 || grouped[0].DX != -2 || grouped[1] != grouped[0] || grouped[2].DX != -1 ||
		grouped[51].DY != 2 || grouped[51].DX != 2 || grouped[48] != grouped[51] || grouped[24].DY != 0 || grouped[24].DX != 0 {
		t.Errorf("grouped offsets wrong: %v", grouped)
	}
}
