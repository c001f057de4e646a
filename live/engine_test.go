package live_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/live"
	"github.com/convlens/convlens/nd"
)

// A bundle written as JSON and read back builds a model whose every layer output equals the
// original's bit for bit; the engine's Grad-CAM is explain's; a change to a variable shows
// in the outputs and Reset undoes it.
func TestBundleAndEngineReproduceTheModel(t *testing.T) {
	b := testutil.Go(t)
	m, err := layers.New(layers.LeNet(), b, 4)
	if err != nil {
		t.Fatal(err)
	}
	packed, err := live.Pack(m)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(packed)
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := live.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	e, err := live.NewEngine(bundle, b)
	if err != nil {
		t.Fatal(err)
	}
	img := testutil.RandomArray(3, 0, 1, 28, 28, 1)
	batch := nd.Array{Shape: []int{1, 28, 28, 1}, Data: img.Data}
	want, err := m.Taps(batch)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Run(img, nil, -1)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range want.Outputs {
		if !nd.SameBits(got.Values[name].Data, a.Data) {
			t.Errorf("%s differs from the original model's", name)
		}
	}
	pred := layers.ArgMax(want.Logits)[0]
	cam, err := explain.GradCAM{Layer: e.CAMLayer}.Attribute(explain.New(m), batch, []int{pred})
	if err != nil {
		t.Fatal(err)
	}
	if got.Target != pred || e.CAMLayer != "conv2" || !nd.SameBits(got.CAM.Data, cam.Image(0).Data) {
		t.Errorf("Grad-CAM of %d at %s differs from explain's (of %d)", got.Target, e.CAMLayer, pred)
	}
	// Zero conv1's channel 2: its output is zero there (ReLU of 0), and Reset restores it.
	w, _ := m.Variable("conv1", layers.VarWeights)
	bias, _ := m.Variable("conv1", layers.VarBiases)
	for i := 2; i < len(w.Data); i += 6 {
		w.Data[i] = 0
	}
	bias.Data[2] = 0
	if err := e.Set("conv1", layers.VarWeights, w); err != nil {
		t.Fatal(err)
	}
	if err := e.Set("conv1", layers.VarBiases, bias); err != nil {
		t.Fatal(err)
	}
	zeroed, err := e.Run(img, []string{"conv1"}, -1)
	if err != nil {
		t.Fatal(err)
	}
	c1 := zeroed.Values["conv1"]
	for p := 2; p < len(c1.Data); p += 6 {
		if c1.Data[p] != 0 {
			t.Fatalf("conv1 channel 2 at %d is %v after zeroing its kernel and bias", p, c1.Data[p])
		}
	}
	if err := e.Reset(); err != nil {
		t.Fatal(err)
	}
	again, err := e.Run(img, nil, pred)
	if err != nil || !nd.SameBits(again.Logits, want.Logits.Data) {
		t.Errorf("after Reset the logits differ (%v)", err)
	}
	for _, bad := range []nd.Array{nd.New(28, 28, 3), {Shape: []int{28, 28, 1}, Data: append(make([]float32, 783), float32(math.NaN()))}} {
		if _, err := e.Run(bad, nil, -1); err == nil {
			t.Errorf("image %v accepted", bad.Shape)
		}
	}
	if err := e.Set("conv1", layers.VarWeights, nd.New(3, 3)); err == nil {
		t.Error("a variable of the wrong shape accepted")
	}
	if _, err := live.Parse([]byte(`{"vars":[]}`)); err == nil {
		t.Error("a bundle without a spec accepted")
	}
}

// Switching a skip connection off makes the sum its other term (block1 = ReLU(block1_bn2)),
// changes what follows, and switching it back on, or Reset, restores every value.
func TestSkipConnectionOff(t *testing.T) {
	m, err := layers.New(layers.ResNet(16, 16, 3, 2), testutil.Go(t), 5)
	if err != nil {
		t.Fatal(err)
	}
	e, err := live.EngineFor(m)
	if err != nil {
		t.Fatal(err)
	}
	img := testutil.RandomArray(8, 0, 1, 16, 16, 3)
	before, err := e.Run(img, nil, -1)
	if err != nil {
		t.Fatal(err)
	}
	l, _, _ := m.Spec.Layer("block1")
	if len(l.Inputs) != 2 || l.Inputs[0] != "block1_bn2" {
		t.Fatalf("block1's inputs %v", l.Inputs)
	}
	if err := e.SetInputOff("block1", 1, true); err != nil {
		t.Fatal(err)
	}
	off, err := e.Run(img, nil, -1)
	if err != nil {
		t.Fatal(err)
	}
	bn, sum := off.Values["block1_bn2"].Data, off.Values["block1"].Data
	for i := range sum {
		if want := max(bn[i], 0); sum[i] != want {
			t.Fatalf("block1 with its skip off at %d: %v, ReLU(block1_bn2) = %v", i, sum[i], want)
		}
	}
	if nd.SameBits(off.Values["block2"].Data, before.Values["block2"].Data) {
		t.Error("block2 did not change with block1's skip off")
	}
	if err := e.SetInputOff("block1", 1, false); err != nil {
		t.Fatal(err)
	}
	on, err := e.Run(img, nil, -1)
	if err != nil || !nd.SameBits(on.Logits, before.Logits) || !nd.SameBits(on.CAM.Data, before.CAM.Data) {
		t.Errorf("switched back on: the logits or the map differ (%v)", err)
	}
	if err := e.SetInputOff("block2", 1, true); err != nil {
		t.Fatal(err)
	}
	if err := e.Reset(); err != nil {
		t.Fatal(err)
	}
	reset, err := e.Run(img, nil, -1)
	if err != nil || !nd.SameBits(reset.Logits, before.Logits) {
		t.Errorf("after Reset the logits differ (%v)", err)
	}
	for _, c := range []struct {
		layer string
		k     int
	}{{"stem", 0}, {"block1", 2}, {"nope", 0}} {
		if err := e.SetInputOff(c.layer, c.k, true); err == nil {
			t.Errorf("switching off input %d of %q: no error", c.k, c.layer)
		}
	}
}
