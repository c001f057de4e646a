// Package report assembles every vizhtml view of a trained model into one page: the
// architecture, training curves, gradient flow, weight and gradient distributions,
// filters, feature maps, activation statistics, confusion matrix, misclassified examples
// and an embedding of the penultimate layer. The CLI and the notebooks share it.
package report

import (
	"fmt"
	"math"
	"slices"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/training"
	"github.com/convlens/convlens/vizhtml"
)

// Options configures a report.
type Options struct {
	// Images is the number of example images whose feature maps are shown (default 3).
	Images int
	// Examples is how many held-out examples feed the confusion matrix, embedding and
	// activation statistics (default 1000).
	Examples int
	// MaxChannels caps feature-map tiles per layer (default 64; 32 for a deep model).
	MaxChannels int
	// Layers are the layers whose feature maps and activation statistics are shown
	// (default: every conv, pool and merge layer, or for a deep model with more than
	// deepLayers of them, the output of each resolution stage, Spec.StageOutputs).
	Layers []string
	// Title of the page (default "convlens report: <model>").
	Title string
	// Links are related pages (an explain or explore page) the summary links to.
	Links []vizhtml.Link
	// Method makes the maps beside saliency and on the summary's predictions (default:
	// Grad-CAM at the last convolution).
	Method explain.Method
	// Projection adds a projector of the examples: "pca", "tsne" or "umap" ("" for none).
	Projection string
}

// deepLayers is the number of spatial layers beyond which a report shows stage outputs.
const deepLayers = 16

func (o *Options) defaults(s *layers.Spec) {
	if o.Images <= 0 {
		o.Images = 3
	}
	o.Images = min(o.Images, 32)
	if o.Examples <= 0 {
		o.Examples = 1000
	}
	deep := len(spatialLayers(s)) > deepLayers
	if o.MaxChannels <= 0 {
		o.MaxChannels = 64
		if deep {
			o.MaxChannels = 32
		}
	}
	if o.Layers == nil {
		for _, l := range spatialLayers(s) {
			o.Layers = append(o.Layers, l.Name)
		}
		if deep {
			o.Layers = s.StageOutputs()
		}
	}
}

// Input is what a report is made from. History may be nil (no training views).
type Input struct {
	Model   *layers.Model
	History *training.History
	Data    *data.Dataset // held-out examples
	Step    int64
}

// Build renders every view into a page. A view that fails shows its error in its section;
// Build itself fails only on unusable input.
func Build(in Input, opt Options) (*vizhtml.Page, error) {
	m, ds := in.Model, in.Data
	if m == nil || ds == nil {
		return nil, fmt.Errorf("report: model and data are required")
	}
	s := m.Spec
	opt.defaults(s)
	for i, l := range opt.Layers {
		opt.Layers[i] = s.Resolve(l)
	}
	if err := m.CheckTapNames(opt.Layers); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if ds.H != s.Height || ds.W != s.Width || ds.C != s.Chans {
		return nil, fmt.Errorf("report: dataset %q has %dx%dx%d images, model %q wants %dx%dx%d", ds.Name, ds.H, ds.W, ds.C, s.Name, s.Height, s.Width, s.Chans)
	}
	n := min(opt.Examples, ds.N)
	statLayers := activatedLayers(s, opt.Layers)
	needed := append(slices.Clone(opt.Layers), statLayers...)
	if p := penultimate(s); p != "" {
		needed = append(needed, p)
	}
	if l := explain.LastConvLayer(s); l != "" {
		needed = append(needed, l) // the channel examples' pass shares this program
	}
	slices.Sort(needed)
	needed = slices.Compact(needed)
	taps, err := Taps(m, ds, n, needed...)
	if err != nil {
		return nil, err
	}
	page := &vizhtml.Page{Title: opt.Title}
	if page.Title == "" {
		page.Title = "convlens report: " + s.Name
	}
	eval, err := Evaluate(m, ds)
	if err != nil {
		return nil, err
	}
	page.Subtitle = fmt.Sprintf("model %s on %s, step %d, backend %s; accuracy on all %d held-out images: %.2f%%",
		s.Name, ds.Name, in.Step, m.Backend.Kind, eval.N, 100*eval.Accuracy())
	shown := min(opt.Images+1, 4)
	ex := explain.New(m)
	cams, camErr := firstMaps(ex, ds, max(shown, opt.Images), opt.Method)
	page.Add(Summary(ds, eval, in.Step, shown, opt.Links, cams, camErr))
	preds := eval.Preds[:n] // the first n, whose taps the other views show

	sum, err := s.Summarize()
	if err != nil {
		return nil, err
	}
	page.Add(Architecture(sum))
	if h := in.History; h != nil && len(h.Train) > 0 {
		page.Add(TrainingCurves(h))
		if len(h.Stats) > 0 {
			page.Add(GradientFlow(h))
			page.Add(Distributions(h))
		}
	}
	page.Add(Filters(m))
	page.Add(FeatureMaps(m, ds, taps, opt))
	if l := explain.LastConvLayer(s); l != "" {
		co := ChannelExampleOptions{Examples: n, Visualize: sum.TotalFLOPs < 20e6, Seed: 1, SameTaps: needed}
		if len(spatialLayers(s)) > deepLayers { // a deep model's page stays small: fewer rows
			co.Channels, co.Top = 12, 4
		}
		page.Add(ChannelExamplesSection(ex, ds, l, co))
	}
	page.Add(ActivationStats(m, taps, statLayers...))
	page.Add(Attributions(ex, ds, opt.Images, cams, camErr))
	classes := ds.Classes
	truth := make([]int, n)
	for i := range truth {
		truth[i] = int(ds.Labels[i])
	}
	if len(classes) <= 30 && len(classes) > 0 {
		page.Add(ConfusionWithCells(ex, ds, truth, preds, eval.Confidence[:n], opt.Method))
	} else {
		page.Add(Confusion(truth, preds, classes))
	}
	page.Add(Misclassified(ds, taps, truth, preds))
	page.Add(Embedding(m, taps, truth, classes))
	if opt.Projection != "" {
		page.Add(Projector(m, ds, taps, truth, preds, opt.Projection))
	}
	return page, nil
}

// Taps runs the model over the first n examples of ds in batches and concatenates
// the logits and the named taps (every tap when none are named).
func Taps(m *layers.Model, ds *data.Dataset, n int, names ...string) (*layers.TapResult, error) {
	batch := min(250, m.Spec.ForwardBatch())
	n = min(n, ds.N)
	if n <= 0 {
		return nil, fmt.Errorf("report: no examples")
	}
	var out *layers.TapResult
	for start := 0; start < n; start += batch {
		k := min(batch, n-start)
		images := ds.Batch(start, k)
		r, err := m.Taps(images, names...)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = r
			continue
		}
		out.Logits = nd.AppendRows(out.Logits, r.Logits)
		for name, a := range r.Outputs {
			out.Outputs[name] = nd.AppendRows(out.Outputs[name], a)
		}
	}
	return out, nil
}

// smoothAll smooths the first series (per-step training values) and keeps the others
// (held-out evaluations) exact.
func smoothAll(series []nd.Series) []nd.Series {
	out := slices.Clone(series)
	if len(out) > 0 && len(out[0].Y) > 200 {
		out[0] = smooth(out[0], 20)
	}
	return out
}

// smooth replaces each point by the mean of the previous window points and keeps at most
// ~1000 points.
func smooth(s nd.Series, window int) nd.Series {
	out := nd.Series{Name: s.Name}
	step := max(1, len(s.Y)/1000)
	sum := 0.0
	for i, y := range s.Y {
		sum += y
		if i >= window {
			sum -= s.Y[i-window]
		}
		if i%step == 0 || i == len(s.Y)-1 {
			out.X = append(out.X, s.X[i])
			out.Y = append(out.Y, sum/float64(min(i+1, window)))
		}
	}
	return out
}

func argmaxProb(logits []float32) (int, float64) {
	best := layers.ArgMax(nd.Array{Shape: []int{1, len(logits)}, Data: logits})[0]
	var z float64
	for _, v := range logits {
		z += math.Exp(float64(v - logits[best]))
	}
	return best, 1 / z
}
