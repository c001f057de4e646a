package onnx_test

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/onnx"
	"github.com/convlens/convlens/vizhtml"
)

// importsAs names the kinds an ONNX file brings back as another kind, and why.
var importsAs = map[layers.Kind]string{
	layers.Dropout: "identity: ONNX's Dropout is the identity at inference",
}

// Every layer kind is everywhere a kind must be (docs/DESIGN.md, "adding a layer kind"):
// in the layer table of layers_test.go (checked there), in an export case that round-trips
// through ONNX and onnxruntime (TestExportRoundTrip), with an exporter, imported back from
// the file it writes, with the explorer's arithmetic (or declared values-only), and with a
// geometry.
func TestEveryKindEverywhere(t *testing.T) {
	used := map[layers.Kind]bool{}
	back := map[layers.Kind]bool{}
	gob := testutil.Go(t)
	for name, spec := range exportCases() {
		for _, l := range spec.Layers {
			used[l.Kind] = true
		}
		m, err := layers.New(spec, gob, 1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := onnx.Encode(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		dec, err := onnx.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		imp, err := onnx.Import(dec, name, onnx.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, l := range imp.Spec.Layers {
			back[l.Kind] = true
		}
	}
	js, err := os.ReadFile("../vizhtml/assets/explorer.js")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)var explainers = \{(.*?)\n  \};`).FindSubmatch(js)
	if block == nil {
		t.Fatal("no explainers in explorer.js")
	}
	var explained []string
	for _, m := range regexp.MustCompile(`(?m)^    (\w+): `).FindAllSubmatch(block[1], -1) {
		explained = append(explained, string(m[1]))
	}
	sort.Strings(explained)
	arith := slices.Sorted(slices.Values(vizhtml.ExplorerArithmetic))
	if !slices.Equal(explained, arith) {
		t.Errorf("explorer.js explains %v; vizhtml.ExplorerArithmetic lists %v", explained, arith)
	}
	for _, name := range layers.KindNames() {
		k := layers.Kind(name)
		if !used[k] {
			t.Errorf("%s: in no export case (onnx/export_test.go exportCases)", k)
		}
		if !onnx.ExportsKind(k) {
			t.Errorf("%s: no exporter (onnx/export_kinds.go)", k)
		}
		if !back[k] && importsAs[k] == "" {
			t.Errorf("%s: not imported back from its export (onnx/ops_*.go)", k)
		}
		inArith, valuesOnly := slices.Contains(vizhtml.ExplorerArithmetic, name), vizhtml.ExplorerValuesOnly[name] != ""
		if inArith == valuesOnly {
			t.Errorf("%s: the explorer must either explain it (assets/explorer.js) or list it as values-only", k)
		}
		if layers.KindGeometry(k) == "" {
			t.Errorf("%s: no geometry (register it with one)", k)
		}
	}
}
