package report

import (
	"fmt"
	"math"
	"slices"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/vizhtml"
)

// DiffOptions configures the comparison of two models of one architecture.
type DiffOptions struct {
	NameA, NameB string // labels of the two models (default "A" and "B")
	// Examples is how many held-out images are evaluated (default 1000, at most the set).
	Examples int
	// CKAImages is how many of them the activation similarity uses (default 200).
	CKAImages int
	// Flips bounds the images shown for each direction of a changed answer (default 8).
	Flips int
}

// maxCKAValues bounds one example's values a layer's CKA uses: larger outputs are averaged
// over their positions first (per channel), so memory stays n × channels.
const maxCKAValues = 1 << 16

// SameArchitecture reports the first difference between two models' layers (names, kinds,
// inputs, output shapes), or nil.
func SameArchitecture(a, b *layers.Spec) error {
	ta, err := a.Topology()
	if err != nil {
		return err
	}
	tb, err := b.Topology()
	if err != nil {
		return err
	}
	if a.Height != b.Height || a.Width != b.Width || a.Chans != b.Chans || a.Classes != b.Classes {
		return fmt.Errorf("inputs %dx%dx%d with %d classes against %dx%dx%d with %d", a.Height, a.Width, a.Chans, a.Classes, b.Height, b.Width, b.Chans, b.Classes)
	}
	if len(ta.Nodes) != len(tb.Nodes) {
		return fmt.Errorf("%d layers against %d", len(ta.Nodes), len(tb.Nodes))
	}
	for i, n := range ta.Nodes {
		m := tb.Nodes[i]
		if n.Name != m.Name || n.Kind != m.Kind || !slices.Equal(n.Inputs, m.Inputs) || !slices.Equal(n.OutShape, m.OutShape) {
			return fmt.Errorf("layer %d differs: %s (%s, %v) against %s (%s, %v)", i, n.Name, n.Kind, n.OutShape, m.Name, m.Kind, m.OutShape)
		}
	}
	return nil
}

// DiffResult holds the numbers of a comparison, for tests and notebooks.
type DiffResult struct {
	A, B                       *Evaluation
	Layers                     []vizhtml.LayerDiff
	RightToWrong, WrongToRight []int // examples whose answer changed
}

// Diff compares two models of one architecture: accuracy, which held-out images changed
// their answer (with both models' Grad-CAM), per layer the weights' relative change and
// correlation and the outputs' linear CKA, the first convolution's filters A | B | B − A,
// and the confusion matrix's difference.
func Diff(a, b *layers.Model, ds *data.Dataset, opt DiffOptions) (*vizhtml.Page, *DiffResult, error) {
	if err := SameArchitecture(a.Spec, b.Spec); err != nil {
		return nil, nil, fmt.Errorf("diff: not one architecture: %w", err)
	}
	if opt.NameA == "" {
		opt.NameA = "A"
	}
	if opt.NameB == "" {
		opt.NameB = "B"
	}
	if opt.Examples <= 0 {
		opt.Examples = 1000
	}
	if opt.CKAImages <= 0 {
		opt.CKAImages = 200
	}
	if opt.Flips <= 0 {
		opt.Flips = 8
	}
	n := min(opt.Examples, ds.N)
	if n == 0 {
		return nil, nil, fmt.Errorf("diff: %s has no examples", ds.Name)
	}
	sub := &data.Dataset{Name: ds.Name, Images: ds.Images[:n*ds.ImageSize()], Labels: ds.Labels[:n], N: n, H: ds.H, W: ds.W, C: ds.C, Classes: ds.Classes}
	res := &DiffResult{}
	var err error
	if res.A, err = Evaluate(a, sub); err != nil {
		return nil, nil, err
	}
	if res.B, err = Evaluate(b, sub); err != nil {
		return nil, nil, err
	}
	truth := make([]int, n)
	for i := range truth {
		truth[i] = int(sub.Labels[i])
		ra, rb := res.A.Preds[i] == truth[i], res.B.Preds[i] == truth[i]
		switch {
		case ra && !rb:
			res.RightToWrong = append(res.RightToWrong, i)
		case !ra && rb:
			res.WrongToRight = append(res.WrongToRight, i)
		}
	}
	page := &vizhtml.Page{Title: fmt.Sprintf("convlens diff: %s against %s", opt.NameB, opt.NameA),
		Subtitle: fmt.Sprintf("%s, %d held-out images of %s", a.Spec.Name, n, ds.Name)}
	figures := []vizhtml.SummaryFigure{
		{Name: "accuracy " + opt.NameA, Value: fmt.Sprintf("%.2f %%", 100*res.A.Accuracy()), Detail: fmt.Sprintf("%d of %d", res.A.Correct, n)},
		{Name: "accuracy " + opt.NameB, Value: fmt.Sprintf("%.2f %%", 100*res.B.Accuracy()), Detail: fmt.Sprintf("%d of %d", res.B.Correct, n)},
		{Name: "right → wrong", Value: fmt.Sprint(len(res.RightToWrong)), Detail: "right under " + opt.NameA + ", wrong under " + opt.NameB},
		{Name: "wrong → right", Value: fmt.Sprint(len(res.WrongToRight)), Detail: "wrong under " + opt.NameA + ", right under " + opt.NameB},
	}
	card, err := vizhtml.SummaryCard(figures, nil, nil, nil)
	page.Add(vizhtml.Section{Title: "Summary", Body: card, Err: err})
	res.Layers, err = layerDiffs(a, b, sub, min(opt.CKAImages, n))
	var table vizhtml.Fragment
	if err == nil {
		table, err = vizhtml.LayerDiffTable(opt.NameA, opt.NameB, res.Layers)
	}
	page.Add(vizhtml.Section{Title: "Layers", Body: table, Err: err,
		Note: fmt.Sprintf("Weights: how far %s's moved from %s's, in units of %s's size, and how much of their pattern they keep (correlation). "+
			"Outputs: linear CKA of the layer's outputs on the same %d images (1: the same up to a rotation and scale; outputs over %d values an image are averaged over positions first).",
			opt.NameB, opt.NameA, opt.NameA, min(opt.CKAImages, n), maxCKAValues)})
	if convs := a.Spec.ConvLayers(); len(convs) > 0 {
		f, rel, corr, err := filterTriple(a, b, convs[0], 0, [3]string{convs[0] + " in " + opt.NameA, convs[0] + " in " + opt.NameB, convs[0] + ": " + opt.NameB + " − " + opt.NameA})
		page.Add(vizhtml.Section{Title: "First filters: " + opt.NameA + " | " + opt.NameB + " | " + opt.NameB + " − " + opt.NameA, Body: f, Err: err,
			Note: fmt.Sprintf("One scale for all three: relative change %.3f, correlation %.3f.", rel, corr)})
	}
	page.Add(flipSection(a, b, sub, res, opt))
	f, err := vizhtml.ConfusionDifference(opt.NameA, opt.NameB, truth, res.A.Preds, res.B.Preds, classNames(sub.Classes, a.Spec.Classes))
	page.Add(vizhtml.Section{Title: "Confusion matrix difference", Body: f, Err: err})
	return page, res, nil
}

func classNames(names []string, k int) []string {
	out := make([]string, k)
	for c := range out {
		out[c] = className(names, c)
	}
	return out
}

// layerDiffs compares every layer: weights where it has them, outputs (CKA) where they
// are an image or a vector.
func layerDiffs(a, b *layers.Model, ds *data.Dataset, n int) ([]vizhtml.LayerDiff, error) {
	t, err := a.Spec.Topology()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, node := range t.Nodes {
		names = append(names, node.Name)
	}
	images := ds.Batch(0, n)
	ta, err := a.Taps(images, names...)
	if err != nil {
		return nil, err
	}
	tb, err := b.Taps(images, names...)
	if err != nil {
		return nil, err
	}
	var out []vizhtml.LayerDiff
	for _, node := range t.Nodes {
		d := vizhtml.LayerDiff{Layer: node.Name, Kind: string(node.Kind), Relative: math.NaN(), Correlation: math.NaN(), CKA: math.NaN()}
		if wa, err := a.Variable(node.Name, layers.VarWeights); err == nil {
			wb, err := b.Variable(node.Name, layers.VarWeights)
			if err != nil {
				return nil, err
			}
			if d.Relative, err = nd.RelativeChange(wa.Data, wb.Data); err != nil {
				d.Relative = math.NaN()
			}
			if d.Correlation, err = nd.Correlation(wa.Data, wb.Data); err != nil {
				d.Correlation = math.NaN()
			}
		}
		if n >= 2 {
			if cka, err := nd.LinearCKA(ckaValues(ta.Outputs[node.Name]), ckaValues(tb.Outputs[node.Name])); err == nil {
				d.CKA = cka
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// ckaValues is a layer's outputs [n, ...] as CKA takes them, averaged over positions when
// one example has more than maxCKAValues values.
func ckaValues(a nd.Array) nd.Array {
	if len(a.Shape) != 4 || len(a.Data)/a.Shape[0] <= maxCKAValues {
		return a
	}
	n, h, w, c := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
	out := nd.New(n, c)
	for i := 0; i < n; i++ {
		for p := 0; p < h*w; p++ {
			for k := 0; k < c; k++ {
				out.Data[i*c+k] += a.Data[(i*h*w+p)*c+k] / float32(h*w)
			}
		}
	}
	return out
}

// flipSection shows the images whose answer changed, each with both models' Grad-CAM of
// their own predicted class.
func flipSection(a, b *layers.Model, ds *data.Dataset, res *DiffResult, opt DiffOptions) vizhtml.Section {
	title := "Changed answers"
	layer, err := explain.ResolveLayer(a.Spec, "")
	if err != nil {
		layer = ""
	}
	var parts []vizhtml.Fragment
	for _, group := range []struct {
		name string
		idx  []int
	}{{"right under " + opt.NameA + ", wrong under " + opt.NameB, res.RightToWrong}, {"wrong under " + opt.NameA + ", right under " + opt.NameB, res.WrongToRight}} {
		if len(group.idx) == 0 {
			parts = append(parts, vizhtml.Fragment{HTML: "<p class=\"cl-note\">No image " + vizhtml.Escape(group.name) + ".</p>"})
			continue
		}
		idx := group.idx[:min(len(group.idx), opt.Flips)]
		images := nd.New(len(idx), ds.H, ds.W, ds.C)
		var imgs []nd.Array
		var rows []string
		for j, i := range idx {
			copy(images.Data[j*ds.ImageSize():], ds.Image(i))
			imgs = append(imgs, ds.ImageArray(i))
			rows = append(rows, fmt.Sprintf("#%d true %s: %s says %s, %s says %s", i, className(ds.Classes, int(ds.Labels[i])),
				opt.NameA, className(ds.Classes, res.A.Preds[i]), opt.NameB, className(ds.Classes, res.B.Preds[i])))
		}
		var cols []vizhtml.AttributionColumn
		if layer != "" {
			for _, m := range []struct {
				name  string
				model *layers.Model
				preds []int
			}{{opt.NameA, a, res.A.Preds}, {opt.NameB, b, res.B.Preds}} {
				targets := make([]int, len(idx))
				for j, i := range idx {
					targets[j] = m.preds[i]
				}
				maps, err := explain.GradCAM{Layer: layer}.Attribute(explain.New(m.model), images, targets)
				if err != nil {
					return vizhtml.Section{Title: title, Err: err}
				}
				col := vizhtml.AttributionColumn{Method: "grad-cam " + m.name}
				for j := range idx {
					col.Maps = append(col.Maps, maps.Image(j))
				}
				cols = append(cols, col)
			}
		}
		f, err := vizhtml.AttributionGrid(imgs, rows, cols)
		if err != nil {
			return vizhtml.Section{Title: title, Err: err}
		}
		head := fmt.Sprintf("<h4>%s: %d images", vizhtml.Escape(group.name), len(group.idx))
		if len(group.idx) > len(idx) {
			head += fmt.Sprintf(" (the first %d shown)", len(idx))
		}
		parts = append(parts, vizhtml.Fragment{HTML: head + "</h4>"}, f)
	}
	return vizhtml.Section{Title: title, Body: vizhtml.Join(parts...),
		Note: "Each model's Grad-CAM explains its own answer, at the last convolution."}
}
