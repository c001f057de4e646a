package report_test

import (
	"math"
	"strings"
	"testing"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/report"
)

// A model compared with itself changes nothing: every layer's relative change is 0, its
// correlation and CKA 1, no answer flips. Re-drawing one layer's weights moves that layer
// only, leaves the outputs before it alike (CKA 1), and models of two architectures are
// refused.
func TestDiff(t *testing.T) {
	b := testutil.Go(t)
	ds, err := data.Synthetic(64, 28, 28, 1, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := layers.New(layers.LeNet(), b, 1)
	if err != nil {
		t.Fatal(err)
	}
	page, res, err := report.Diff(m, m, ds, report.DiffOptions{CKAImages: 32})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.RightToWrong)+len(res.WrongToRight) != 0 {
		t.Errorf("a model against itself: %d and %d flips", len(res.RightToWrong), len(res.WrongToRight))
	}
	for _, l := range res.Layers {
		if !math.IsNaN(l.Relative) && (l.Relative != 0 || math.Abs(l.Correlation-1) > 1e-9) {
			t.Errorf("%s: relative change %g, correlation %g against itself", l.Layer, l.Relative, l.Correlation)
		}
		if math.Abs(l.CKA-1) > 1e-6 {
			t.Errorf("%s: CKA %g against itself", l.Layer, l.CKA)
		}
	}
	var html strings.Builder
	if err := page.Render(&html); err != nil {
		t.Fatal(err)
	}
	for _, s := range page.Sections {
		if s.Err != nil {
			t.Errorf("section %s: %v", s.Title, s.Err)
		}
	}
	other, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Reinitialize("fc2", 9); err != nil {
		t.Fatal(err)
	}
	_, res, err = report.Diff(m, other, ds, report.DiffOptions{CKAImages: 32})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range res.Layers {
		moved := !math.IsNaN(l.Relative) && l.Relative > 0
		if moved != (l.Layer == "fc2") {
			t.Errorf("%s: relative change %g after re-drawing fc2 only", l.Layer, l.Relative)
		}
		if before := l.Layer != "fc2" && l.Layer != "logits"; before && math.Abs(l.CKA-1) > 1e-6 {
			t.Errorf("%s (before fc2): CKA %g", l.Layer, l.CKA)
		}
	}
	tiny, err := layers.New(layers.NewSpec("tiny", 28, 28, 1, 10).Flatten("f").Dense("logits", 10), b, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := report.Diff(m, tiny, ds, report.DiffOptions{}); err == nil || !strings.Contains(err.Error(), "not one architecture") {
		t.Errorf("two architectures: %v", err)
	}
}
