package report

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/training"
)

// The start, the end and the change are drawn on one scale (the largest weight of start
// and end), and the note's figures are the layer's relative change and correlation.
func TestFilterChangeSharesOneScale(t *testing.T) {
	spec := layers.NewSpec("c", 8, 8, 1, 2).Conv("conv", 3, 3).Flatten("f").Dense("logits", 2)
	m, err := layers.New(spec, testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	later, _ := m.Clone()
	w0, _ := m.Variable("conv", layers.VarWeights)
	w := nd.New(w0.Shape...)
	for i, v := range w0.Data {
		w.Data[i] = 2*v + 0.01*float32(i%5)
	}
	if err := later.SetVariable("conv", layers.VarWeights, w); err != nil {
		t.Fatal(err)
	}
	s := FilterChange(m, later, "conv", 64)
	if s.Err != nil {
		t.Fatal(s.Err)
	}
	scales := regexp.MustCompile(`class="cl-scale" data-lo="([^"]+)" data-hi="([^"]+)"`).FindAllStringSubmatch(s.Body.HTML, -1)
	if len(scales) != 3 {
		t.Fatalf("%d colour scales, want 3", len(scales))
	}
	biggest := 0.0
	for _, v := range w.Data {
		biggest = max(biggest, float64(v), -float64(v))
	}
	for _, sc := range scales {
		lo, _ := strconv.ParseFloat(sc[1], 64)
		hi, _ := strconv.ParseFloat(sc[2], 64)
		if math.Abs(hi-biggest) > 1e-6*biggest || lo != -hi {
			t.Errorf("scale %v … %v, want ±%v for all three", lo, hi, biggest)
		}
	}
	rel, _ := nd.RelativeChange(w0.Data, w.Data)
	corr, _ := nd.Correlation(w0.Data, w.Data)
	if want := fmt.Sprintf("moved by %.2f of its initial size; correlation with the start %.3f", rel, corr); !strings.Contains(s.Note, want) {
		t.Errorf("note %q lacks %q", s.Note, want)
	}
	if s := FilterChange(m, later, "logits", 64); s.Err == nil {
		t.Error("a dense layer's weights are drawn as filters")
	}
	if s := FilterChange(m, later, "nope", 64); s.Err == nil {
		t.Error("an unknown layer is accepted")
	}
	if s := ChangeSinceInit(nil); s.Err == nil {
		t.Error("no layers accepted")
	}
	s = ChangeSinceInit([]training.LayerChange{{Layer: "a", Steps: []int64{0, 5}, Relative: []float64{0, 0.5}, Correlation: []float64{1, 0.9}}})
	if s.Err != nil || s.Body.Charts != 3 || !strings.Contains(s.Body.HTML, "Relative change, layer by checkpoint") {
		t.Errorf("change charts: %v, %d charts (want the two lines and the layer × step heatmap)", s.Err, s.Body.Charts)
	}
}
