package onnx_test

import (
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
)

// LRP equals Zennit 0.5.1 on a VGG-style and a ResNet-style CNN (batch norm merged, residual
// sums by Zennit's Norm rule) for three composites: every input value's relevance within
// 1e-4 of the largest, and the same total (Zennit's own conservation, bias absorption
// included) within 1e-4 of the target's relevance, 1.
func TestLRPMatchesZennit(t *testing.T) {
	py := testutil.TorchPython(t)
	dir := t.TempDir()
	if out, err := exec.Command(py, "testdata/lrp.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("Zennit references: %v\n%s", err, out)
	}
	xla := testutil.XLA(t)
	for _, name := range []string{"vgg", "resnet"} {
		m, _, err := onnx.Open(filepath.Join(dir, name+".onnx"), xla)
		if err != nil {
			t.Fatal(err)
		}
		read := refReader(t, dir, name)
		input, _ := nd.NCHWToNHWC(read("input"))
		targets := classIndices(read("targets"))
		ex := explain.New(m)
		for tag, c := range map[string]explain.Composite{"epsilon-plus-flat": explain.EpsilonPlusFlat(),
			"epsilon-gamma-box": explain.EpsilonGammaBox(-3, 3), "epsilon-alpha2-beta1": explain.EpsilonAlpha2Beta1()} {
			maps, err := explain.LRP{Composite: c}.Attribute(ex, input, targets)
			if err != nil {
				t.Fatalf("%s %s: %v", name, tag, err)
			}
			want, _ := nd.NCHWToNHWC(read(tag))
			for i := range targets {
				got, ref := maps.Raw.Sub(i).Data, want.Sub(i).Data
				var diff, scale, sumGot, sumRef float64
				for j := range ref {
					diff = math.Max(diff, math.Abs(float64(got[j]-ref[j])))
					scale = math.Max(scale, math.Abs(float64(ref[j])))
					sumGot += float64(got[j])
					sumRef += float64(ref[j])
				}
				if diff > 1e-4*scale {
					t.Errorf("%s %s image %d: relevance differs from Zennit's by %.3g of the largest (%.3g)", name, tag, i, diff/scale, scale)
				}
				if math.Abs(sumGot-sumRef) > 1e-4 {
					t.Errorf("%s %s image %d: total relevance %.6f, Zennit %.6f", name, tag, i, sumGot, sumRef)
				}
			}
		}
	}
}
