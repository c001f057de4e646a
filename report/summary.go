package report

import (
	"fmt"
	"math"
	"sort"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/vizhtml"
)

// Evaluation is a model's result on a whole held-out set.
type Evaluation struct {
	N, Correct int
	Loss       float64 // mean cross-entropy
	Preds      []int
	Confidence []float64 // softmax probability of the predicted class
}

// Accuracy is Correct / N.
func (e *Evaluation) Accuracy() float64 { return float64(e.Correct) / float64(max(e.N, 1)) }

// Evaluate runs the model over every example of ds, in batches (memory independent of
// the set's size): the figure `convlens train` writes to metrics.json.
func Evaluate(m *layers.Model, ds *data.Dataset) (*Evaluation, error) {
	if ds.N == 0 {
		return nil, fmt.Errorf("evaluate: %s has no examples", ds.Name)
	}
	e := &Evaluation{N: ds.N}
	k := min(250, m.Spec.ForwardBatch())
	for start := 0; start < ds.N; start += k {
		n := min(k, ds.N-start)
		logits, err := m.Logits(ds.Batch(start, n))
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			row := logits.Sub(i).Data
			best, conf := argmaxProb(row)
			label := int(ds.Labels[start+i])
			if label < 0 || label >= len(row) {
				return nil, fmt.Errorf("evaluate: example %d has label %d, the model has %d classes", start+i, label, len(row))
			}
			// −log softmax(label) = log Σ exp(v − best) − (label − best), and conf = 1 / Σ.
			e.Loss += (-math.Log(conf) - float64(row[label]-row[best])) / float64(ds.N)
			if best == label {
				e.Correct++
			}
			e.Preds = append(e.Preds, best)
			e.Confidence = append(e.Confidence, conf)
		}
	}
	return e, nil
}

// Summary is a report's first section: accuracy and loss on the whole held-out set, a few
// predictions with Grad-CAM (cams, of at least the first shown images, or nil for none; a
// camErr is shown instead), the most confident mistakes and links to related pages.
func Summary(ds *data.Dataset, e *Evaluation, step int64, shown int, links []vizhtml.Link, cams *explain.Maps, camErr error) vizhtml.Section {
	const title = "Summary"
	name := func(c int) string { return className(ds.Classes, c) }
	figures := []vizhtml.SummaryFigure{
		{Name: "accuracy", Value: fmt.Sprintf("%.2f %%", 100*e.Accuracy()), Detail: fmt.Sprintf("%d of %d held-out images", e.Correct, e.N)},
		{Name: "loss", Value: fmt.Sprintf("%.4f", e.Loss), Detail: "mean cross-entropy, held out"},
		{Name: "step", Value: fmt.Sprint(step), Detail: "training steps"},
	}
	if camErr != nil {
		return vizhtml.Section{Title: title, Err: camErr}
	}
	shown = min(shown, ds.N)
	var preds []vizhtml.SummaryPrediction
	for i := 0; i < shown; i++ {
		p := vizhtml.SummaryPrediction{Wrong: e.Preds[i] != int(ds.Labels[i]),
			Image: vizhtml.Tile{Image: ds.ImageArray(i), Label: fmt.Sprintf("true %s, predicted %s (%.0f%%)", name(int(ds.Labels[i])), name(e.Preds[i]), 100*e.Confidence[i])}}
		if cams != nil {
			img := ds.ImageArray(i)
			png, err := vizhtml.OverlayPNG(img, cams.Image(i), vizhtml.OverlayOptions{Alpha: 0.6, Scale: max(1, 84/max(img.Shape[0], 1))})
			if err != nil {
				return vizhtml.Section{Title: title, Err: err}
			}
			p.Overlay = png
			if cams.Method != (explain.GradCAM{}).Name() {
				p.OverlayName = cams.Method
			}
		}
		preds = append(preds, p)
	}
	var wrong []int
	for i, p := range e.Preds {
		if p != int(ds.Labels[i]) {
			wrong = append(wrong, i)
		}
	}
	sort.SliceStable(wrong, func(a, b int) bool { return e.Confidence[wrong[a]] > e.Confidence[wrong[b]] })
	var mistakes []vizhtml.SummaryPrediction
	for _, i := range wrong[:min(len(wrong), 6)] {
		mistakes = append(mistakes, vizhtml.SummaryPrediction{Wrong: true,
			Image: vizhtml.Tile{Image: ds.ImageArray(i), Label: fmt.Sprintf("#%d: true %s, predicted %s (%.0f%%)", i, name(int(ds.Labels[i])), name(e.Preds[i]), 100*e.Confidence[i])}})
	}
	f, err := vizhtml.SummaryCard(figures, preds, mistakes, links)
	return vizhtml.Section{Title: title, Body: f, Err: err,
		Note: "Accuracy and loss on every held-out image; green frames are right, red wrong."}
}

// firstMaps is method's maps (nil: Grad-CAM at the model's last convolution) of the first
// n held-out images, computed once for the summary and the attribution section (nil, nil
// for Grad-CAM without a spatial layer).
func firstMaps(ex *explain.Explainer, ds *data.Dataset, n int, method explain.Method) (*explain.Maps, error) {
	if method == nil {
		l, err := explain.ResolveLayer(ex.Model.Spec, "")
		if err != nil {
			return nil, nil
		}
		method = explain.GradCAM{Layer: l}
	}
	if err := ex.Check(method); err != nil {
		return nil, err
	}
	return method.Attribute(ex, ds.Batch(0, min(n, ds.N)), nil)
}
