package report_test

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/report"
	"github.com/convlens/convlens/training"
	"github.com/convlens/convlens/vizhtml"
)

const hostile = `<script>alert(1)</script>"'&`

// trained returns a small graph model (a residual merge) trained a few steps on colour
// data whose class names are hostile strings.
func trained(t *testing.T) (*layers.Model, *training.History, *data.Dataset) {
	t.Helper()
	train, err := data.Synthetic(64, 8, 8, 3, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	test, err := data.Synthetic(24, 8, 8, 3, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range []*data.Dataset{train, test} {
		ds.Classes = []string{hostile, "b" + hostile, "c"}
	}
	spec := layers.NewSpec("res"+hostile[:0], 8, 8, 3, 3).
		Conv("c1", 4, 3, layers.WithPadding(layers.Same), layers.WithActivation(layers.ReLU)).
		Conv("c2", 4, 3, layers.WithPadding(layers.Same)).
		Conv("proj", 4, 1, layers.From(layers.InputName)).
		Add("sum", []string{"c2", "proj"}, layers.WithActivation(layers.ReLU)).
		MaxPool("pool", 2).
		GlobalAvgPool("gap").
		Dense("logits", 3)
	m, err := layers.New(spec, testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := training.NewTrainer(m, train, test, training.Config{Steps: 6, Batch: 8, StatsEvery: 2, EvalEvery: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	return m, tr.History, test
}

func render(t *testing.T, p *vizhtml.Page) string {
	t.Helper()
	var b bytes.Buffer
	if err := p.Render(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The report has every section, in order, without errors, on a graph model; hostile class
// names are escaped everywhere; the page stays small.
func TestReportSectionsEscapingAndSize(t *testing.T) {
	m, h, test := trained(t)
	page, err := report.Build(report.Input{Model: m, History: h, Data: test, Step: 6}, report.Options{Images: 2, Examples: 24})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, s := range page.Sections {
		titles = append(titles, s.Title)
		if s.Err != nil {
			t.Errorf("section %q: %v", s.Title, s.Err)
		}
	}
	want := []string{"Summary", "Architecture", "Training curves", "Gradient flow", "Weight and gradient distributions", "Filters", "Feature maps",
		"What excites each channel of proj", "Activation statistics", "Saliency and Grad-CAM", "Confusion matrix", "Misclassified examples", "Embedding"}
	if !slices.Equal(titles, want) {
		t.Errorf("sections %q, want %q", titles, want)
	}
	html := render(t, page)
	if strings.Contains(html, "<script>alert(1)") || strings.Contains(html, `"'&<`) {
		t.Error("a class name reached the page unescaped")
	}
	if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") && !strings.Contains(html, `\u003cscript\u003ealert(1)`) {
		t.Error("the escaped class name is missing")
	}
	for _, layer := range []string{">c1<", ">sum<", ">gap<"} {
		if !strings.Contains(html, layer) {
			t.Errorf("graph view lacks %s", layer)
		}
	}
	if n := len(html); n > 2_000_000 {
		t.Errorf("page is %d bytes", n)
	}
}

// A method that cannot run says why in its section, instead of an empty grid.
func TestExplainPageSurfacesMethodErrors(t *testing.T) {
	m, _, test := trained(t)
	ex := explain.New(m)
	page, err := report.Explain(ex, test, report.ExplainOptions{Methods: []explain.Method{explain.GradCAM{Layer: "gap"}}, Images: 2})
	if err != nil {
		t.Fatal(err)
	}
	if e := page.Sections[0].Err; e == nil || !strings.Contains(e.Error(), "spatial") {
		t.Errorf("attribution section error %v, want the CAM layer's cause", e)
	}
}

// The summary's accuracy is over every held-out image, equal to a count by hand and to the
// page's subtitle; its links are escaped and a script link is neutralised.
func TestSummaryUsesTheWholeHeldOutSet(t *testing.T) {
	m, h, test := trained(t)
	links := []vizhtml.Link{{Text: "explain <page>", Href: "explain.html"}, {Text: "bad", Href: " JavaScript:alert(1)"}}
	page, err := report.Build(report.Input{Model: m, History: h, Data: test, Step: 6}, report.Options{Images: 2, Examples: 5, Links: links})
	if err != nil {
		t.Fatal(err)
	}
	preds, err := m.Predict(test.Batch(0, test.N))
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, p := range preds {
		if p == int(test.Labels[i]) {
			right++
		}
	}
	e, err := report.Evaluate(m, test)
	if err != nil || e.Correct != right || e.N != test.N {
		t.Fatalf("evaluation %+v, %v; by hand %d of %d", e, err, right, test.N)
	}
	html := page.Sections[0].Body.HTML
	want := fmt.Sprintf("%d of %d held-out images", right, test.N)
	if page.Sections[0].Title != "Summary" || !strings.Contains(html, want) ||
		!strings.Contains(page.Subtitle, fmt.Sprintf("all %d held-out images: %.2f%%", test.N, 100*float64(right)/float64(test.N))) {
		t.Errorf("summary lacks %q or the subtitle %q disagrees", want, page.Subtitle)
	}
	if !strings.Contains(html, `<a href="explain.html">explain &lt;page&gt;</a>`) || strings.Contains(strings.ToLower(html), "javascript:") {
		t.Error("links are not escaped or a script link survived")
	}
	logits, _ := m.Logits(test.Batch(0, test.N))
	loss := 0.0
	for i := 0; i < test.N; i++ {
		row, z := logits.Sub(i).Data, 0.0
		for _, v := range row {
			z += math.Exp(float64(v))
		}
		loss += (math.Log(z) - float64(row[test.Labels[i]])) / float64(test.N)
	}
	if math.Abs(e.Loss-loss) > 1e-6*max(1, loss) {
		t.Errorf("loss %v, by hand %v", e.Loss, loss)
	}
}
