package layers_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/convlens/convlens/layers"
)

// LeNet's figures, computed by hand (FLOPs: 2 per multiply-add, +1 per output for the
// bias, +1 per output for an activation, kernel² per pooled output).
func TestLeNetSummaryMatchesHandComputedFigures(t *testing.T) {
	sum, err := layers.LeNet().Summarize()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name   string
		shape  []int
		params int
		flops  int64
	}{
		{"conv1", []int{28, 28, 6}, 5*5*1*6 + 6, 2*25*4704 + 4704 + 4704},
		{"pool1", []int{14, 14, 6}, 0, 4 * 1176},
		{"conv2", []int{10, 10, 16}, 5*5*6*16 + 16, 2*150*1600 + 1600 + 1600},
		{"pool2", []int{5, 5, 16}, 0, 4 * 400},
		{"flatten", []int{400}, 0, 0},
		{"fc1", []int{120}, 400*120 + 120, 2*48000 + 120 + 120},
		{"fc2", []int{84}, 120*84 + 84, 2*10080 + 84 + 84},
		{"logits", []int{10}, 84*10 + 10, 2*840 + 10},
	}
	if len(sum.Layers) != len(want) {
		t.Fatalf("%d layers, want %d", len(sum.Layers), len(want))
	}
	for i, w := range want {
		got := sum.Layers[i]
		if got.Name != w.name || !slices.Equal(got.OutShape, w.shape) || got.Params != w.params || got.FLOPs != w.flops {
			t.Errorf("layer %d: got %s %v params %d flops %d, want %s %v %d %d", i, got.Name, got.OutShape, got.Params, got.FLOPs, w.name, w.shape, w.params, w.flops)
		}
	}
	if sum.TotalParams != 61706 {
		t.Errorf("total params %d, want 61706", sum.TotalParams)
	}
	if sum.TotalFLOPs != 852370 {
		t.Errorf("total FLOPs %d, want 852370", sum.TotalFLOPs)
	}
}

func TestTinyVGGSummary(t *testing.T) {
	sum, err := layers.TinyVGG(64, 64, 3, 10).Summarize()
	if err != nil {
		t.Fatal(err)
	}
	// conv_1_1: 3*3*3*10+10; three more convs 3*3*10*10+10; dense 13*13*10*10+10.
	if want := 280 + 3*910 + 16910; sum.TotalParams != want {
		t.Errorf("TinyVGG params %d, want %d", sum.TotalParams, want)
	}
	if got := sum.Layers[len(sum.Layers)-2].OutShape; !slices.Equal(got, []int{1690}) {
		t.Errorf("flatten shape %v, want [1690]", got)
	}
}

func TestInvalidSpecsGiveClearErrors(t *testing.T) {
	cases := map[string]*layers.Spec{
		"no layers":            layers.NewSpec("x", 8, 8, 1, 2),
		"dense before flatten": layers.NewSpec("x", 8, 8, 1, 2).Dense("d", 2),
		"conv after flatten":   layers.NewSpec("x", 8, 8, 1, 2).Flatten("f").Conv("c", 2, 3).Dense("d", 2),
		"kernel too big":       layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 2, 9).Flatten("f").Dense("d", 2),
		"huge channels":        layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 1<<20, 3).Flatten("f").Dense("d", 2),
		"duplicate names":      layers.NewSpec("x", 8, 8, 1, 2).Flatten("d").Dense("d", 2),
		"hostile name":         layers.NewSpec("x", 8, 8, 1, 2).Flatten("</script><img onerror=alert(1)>").Dense("d", 2),
		"wrong logits":         layers.NewSpec("x", 8, 8, 1, 2).Flatten("f").Dense("d", 3),
		"activated logits":     layers.NewSpec("x", 8, 8, 1, 2).Flatten("f").Dense("d", 2, layers.WithActivation(layers.ReLU)),
		"bad dropout":          layers.NewSpec("x", 8, 8, 1, 2).Dropout("p", 1.5).Flatten("f").Dense("d", 2),
		"bad activation":       layers.NewSpec("x", 8, 8, 1, 2).Act("a", "swish").Flatten("f").Dense("d", 2),
		"pool activation":      layers.NewSpec("x", 8, 8, 1, 2).MaxPool("p", 2, layers.WithActivation(layers.ReLU)).Flatten("f").Dense("d", 2),
		"zero input":           layers.NewSpec("x", 0, 8, 1, 2).Flatten("f").Dense("d", 2),
		"stride zero":          layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 2, 3, layers.WithStride(0)).Flatten("f").Dense("d", 2),
	}
	graphCases := map[string]struct {
		spec *layers.Spec
		want string // the error names this
	}{
		"unknown input": {layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 2, 3).Add("a", []string{"c", "nope"}).Flatten("f").Dense("d", 2), `"nope"`},
		"cycle": {layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 1, 3, layers.WithPadding(layers.Same), layers.From("a")).
			Add("a", []string{"c", layers.InputName}).Flatten("f", layers.From("a")).Dense("d", 2), "cycle"},
		"self loop":          {layers.NewSpec("x", 8, 8, 1, 2).Add("a", []string{"a", layers.InputName}).Flatten("f").Dense("d", 2), `"a"`},
		"unreachable":        {layers.NewSpec("x", 8, 8, 1, 2).Conv("side", 2, 3).Flatten("f", layers.From(layers.InputName)).Dense("d", 2), `"side"`},
		"merge mismatch":     {layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 2, 3).Add("a", []string{"c", layers.InputName}).Flatten("f").Dense("d", 2), `"a"`},
		"concat mismatch":    {layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 2, 3).Concat("a", []string{"c", layers.InputName}).Flatten("f").Dense("d", 2), `"a"`},
		"one-input add":      {layers.NewSpec("x", 8, 8, 1, 2).Add("a", []string{layers.InputName}).Flatten("f").Dense("d", 2), `"a"`},
		"two-input conv":     {layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 1, 3, layers.From(layers.InputName, layers.InputName)).Flatten("f").Dense("d", 2), `"c"`},
		"reserved name":      {layers.NewSpec("x", 8, 8, 1, 2).Identity(layers.InputName).Flatten("f").Dense("d", 2), `"input"`},
		"bad groups":         {layers.NewSpec("x", 8, 8, 3, 2).Conv("c", 4, 3, layers.WithGroups(3)).Flatten("f").Dense("d", 2), `"c"`},
		"bad pads":           {layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 2, 3, layers.WithPads(1, 1, 1, 9)).Flatten("f").Dense("d", 2), `"c"`},
		"max pool count_pad": {layers.NewSpec("x", 8, 8, 1, 2).MaxPool("p", 2, func(l *layers.Layer) { l.CountPad = true }).Flatten("f").Dense("d", 2), `"p"`},
		"bad reshape":        {layers.NewSpec("x", 8, 8, 1, 2).AddLayer("r", nil, func(l *layers.Layer) { l.Kind, l.Shape = layers.Reshape, []int{3, 5} }).Flatten("f").Dense("d", 2), "holds 15 values"},
		"bad perm":           {layers.NewSpec("x", 8, 8, 1, 2).AddLayer("r", nil, func(l *layers.Layer) { l.Kind, l.Perm = layers.Reshape, []int{0, 0, 1} }).Flatten("f").Dense("d", 2), "not a permutation"},
		"bad reduce axis":    {layers.NewSpec("x", 8, 8, 1, 2).AddLayer("r", nil, func(l *layers.Layer) { l.Kind, l.Op, l.Axes = layers.Reduce, "mean", []int{3} }).Flatten("f").Dense("d", 2), "axes [3]"},
		"gather index": {layers.NewSpec("x", 8, 8, 1, 2).AddLayer("r", nil, func(l *layers.Layer) {
			l.Kind, l.Axes, l.Shape, l.Indices = layers.Gather, []int{0}, []int{1}, []int{8}
		}).Flatten("f").Dense("d", 2), "index 8 outside"},
		"merge op":        {layers.NewSpec("x", 8, 8, 1, 2).Merge("m", "xor", []string{layers.InputName}).Flatten("f").Dense("d", 2), `"xor"`},
		"resize size":     {layers.NewSpec("x", 8, 8, 1, 2).AddLayer("r", nil, func(l *layers.Layer) { l.Kind, l.Mode, l.Shape = layers.Resize, "linear", []int{0, 4} }).Flatten("f").Dense("d", 2), "output size"},
		"unknown kind":    {&layers.Spec{Name: "x", Height: 8, Width: 8, Chans: 1, Classes: 2, Layers: []layers.Layer{{Name: "q", Kind: "quantum"}}}, `"quantum"`},
		"unknown output":  {&layers.Spec{Name: "x", Height: 8, Width: 8, Chans: 1, Classes: 2, Output: "zz", Layers: layers.NewSpec("x", 8, 8, 1, 2).Flatten("f").Dense("d", 2).Layers}, `"zz"`},
		"bad mean length": {&layers.Spec{Name: "x", Height: 8, Width: 8, Chans: 3, Classes: 2, InputMean: layers.PerChannel{1, 2}, InputStd: layers.PerChannel{1}, Layers: layers.NewSpec("x", 8, 8, 1, 2).Flatten("f").Dense("d", 2).Layers}, "input_mean"},
		"zero std":        {&layers.Spec{Name: "x", Height: 8, Width: 8, Chans: 1, Classes: 2, InputMean: layers.PerChannel{1}, InputStd: layers.PerChannel{0}, Layers: layers.NewSpec("x", 8, 8, 1, 2).Flatten("f").Dense("d", 2).Layers}, "input_std"},
	}
	for name, c := range graphCases {
		err := c.spec.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s", name, err, c.want)
		}
	}
	for name, s := range cases {
		if err := s.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := layers.Preset("resnet50", 28, 28, 1, 10); err == nil {
		t.Error("unknown preset: no error")
	}
	if _, err := layers.ParseSpec([]byte(`{"name":"x","height":8,"width":8,"channels":1,"classes":2,"layers":[{"name":"f","kind":"flatten"},{"name":"d","kind":"dense","units":2}],"bogus":1}`)); err == nil {
		t.Error("unknown JSON field: no error")
	}
}

// The ResNet preset's graph and figures, by hand for 32×32×3 and 2 classes.
func TestResNetSummary(t *testing.T) {
	s := layers.ResNet(32, 32, 3, 2)
	sum, err := s.Summarize()
	if err != nil {
		t.Fatal(err)
	}
	conv := func(k, cin, cout int) int { return k*k*cin*cout + cout }
	want := conv(3, 3, 16) + 2*16 + // stem + bn
		2*(conv(3, 16, 16)+2*16) + // block1
		conv(3, 16, 32) + conv(3, 32, 32) + conv(1, 16, 32) + 3*2*32 + // block2
		conv(3, 32, 64) + conv(3, 64, 64) + conv(1, 32, 64) + 3*2*64 + // block3
		64*2 + 2
	if sum.TotalParams != want {
		t.Errorf("ResNet params %d, want %d", sum.TotalParams, want)
	}
	byName := map[string]layers.LayerSummary{}
	for _, l := range sum.Layers {
		byName[l.Name] = l
	}
	if l := byName["block1"]; !slices.Equal(l.Inputs, []string{"block1_bn2", "stem_relu"}) || !slices.Equal(l.OutShape, []int{32, 32, 16}) {
		t.Errorf("block1: inputs %v shape %v", l.Inputs, l.OutShape)
	}
	if l := byName["block3"]; !slices.Equal(l.Inputs, []string{"block3_bn2", "block3_proj_bn"}) || !slices.Equal(l.OutShape, []int{8, 8, 64}) {
		t.Errorf("block3: inputs %v shape %v", l.Inputs, l.OutShape)
	}
	if l := byName["gap"]; !slices.Equal(l.OutShape, []int{64}) || l.FLOPs != 8*8*64 {
		t.Errorf("gap: shape %v flops %d", l.OutShape, l.FLOPs)
	}
	// block1 add: one extra input over 32·32·16 values, plus the ReLU.
	if l := byName["block1"]; l.FLOPs != 2*32*32*16 {
		t.Errorf("block1 add FLOPs %d, want %d", l.FLOPs, 2*32*32*16)
	}
	// Every input comes before its consumer.
	seen := map[string]bool{layers.InputName: true}
	for _, l := range sum.Layers {
		for _, in := range l.Inputs {
			if !seen[in] {
				t.Errorf("layer %s comes before its input %s", l.Name, in)
			}
		}
		seen[l.Name] = true
	}
	if taps := s.TapNames(); !slices.Contains(taps, "block2.pre") || slices.Contains(taps, "block2_bn2.pre") {
		t.Errorf("taps %v: want a .pre tap for each add with ReLU only", taps)
	}
}

// A spec written out of order is run in topological order; JSON round-trips it.
func TestGraphSpecOrderAndJSON(t *testing.T) {
	s := &layers.Spec{Name: "g", Height: 6, Width: 6, Chans: 2, Classes: 3, Output: "probs", InputMean: layers.PerChannel{0.5}, InputStd: layers.PerChannel{0.25, 0.5}, Layers: []layers.Layer{
		{Name: "d", Kind: layers.Dense, Units: 3, Inputs: []string{"f"}},
		{Name: "probs", Kind: layers.Softmax, Inputs: []string{"d"}},
		{Name: "f", Kind: layers.Flatten, Inputs: []string{"cat"}},
		{Name: "cat", Kind: layers.Concat, Inputs: []string{"c", layers.InputName}},
		{Name: "c", Kind: layers.Conv2D, Filters: 2, Kernel: 3, Stride: 1, Padding: layers.Same, Inputs: []string{layers.InputName}},
	}}
	topo, err := s.Topology()
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, n := range topo.Nodes {
		order = append(order, n.Name)
	}
	if want := []string{"c", "cat", "f", "d", "probs"}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if topo.Logits != "d" {
		t.Errorf("logits %q, want d (the softmax input)", topo.Logits)
	}
	if sh, _ := s.TapShape("f"); !slices.Equal(sh, []int{6 * 6 * 4}) {
		t.Errorf("flatten shape %v", sh)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := layers.ParseSpec(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.TapNames(), s.TapNames()) || !slices.Equal(back.InputStd, s.InputStd) {
		t.Errorf("round trip changed the spec: %s", b)
	}
	// Older checkpoints store the normalisation as numbers.
	old, err := layers.ParseSpec([]byte(`{"name":"x","height":8,"width":8,"channels":1,"classes":2,"input_mean":0.13,"input_std":0.3,"layers":[{"name":"f","kind":"flatten"},{"name":"d","kind":"dense","units":2}]}`))
	if err != nil || !slices.Equal(old.InputMean, layers.PerChannel{0.13}) || !slices.Equal(old.InputStd, layers.PerChannel{0.3}) {
		t.Errorf("scalar normalisation: %v %v %v", old, err, old.InputMean)
	}
}

// Stage outputs: the last image-shaped layer of each resolution, in order.
func TestStageOutputs(t *testing.T) {
	s := layers.ResNet(32, 32, 3, 10)
	got := s.StageOutputs()
	if len(got) < 2 {
		t.Fatalf("stage outputs %v", got)
	}
	top, _ := s.Topology()
	prev := 1 << 30
	for _, name := range got {
		n, _ := top.Node(name)
		if len(n.OutShape) != 3 || n.OutShape[0] >= prev {
			t.Errorf("%s: shape %v after a stage of height %d", name, n.OutShape, prev)
		}
		prev = n.OutShape[0]
		for _, m := range top.Nodes { // nothing later has this resolution
			if m.Index > n.Index && len(m.OutShape) == 3 && m.OutShape[0] == n.OutShape[0] && m.OutShape[1] == n.OutShape[1] {
				t.Errorf("%s is not the last layer at %dx%d (%s is)", name, n.OutShape[0], n.OutShape[1], m.Name)
			}
		}
	}
}
