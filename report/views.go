package report

import (
	"fmt"
	"slices"
	"sort"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/training"
	"github.com/convlens/convlens/vizhtml"
)

// Each view function returns a vizhtml.Section (title, note, body, error), ready for Page.Add.

// Architecture converts a summary to the architecture view.
func Architecture(sum *layers.Summary) vizhtml.Section {
	f, err := vizhtml.Architecture(sum.Model, sum.InputShape, ArchRows(sum))
	return vizhtml.Section{Title: "Architecture", Note: "Output shape, parameters and FLOPs of every layer.", Body: f, Err: err}
}

// ArchRows converts a layers summary into vizhtml rows.
func ArchRows(sum *layers.Summary) []vizhtml.ArchLayer {
	rows := make([]vizhtml.ArchLayer, len(sum.Layers))
	for i, l := range sum.Layers {
		rows[i] = vizhtml.ArchLayer{Name: l.Name, Kind: string(l.Kind), Activation: l.Activation, OutShape: l.OutShape, Params: l.Params, FLOPs: l.FLOPs, Inputs: l.Inputs}
	}
	return rows
}

// TrainingCurves plots loss and accuracy over training, train (smoothed) and held-out.
func TrainingCurves(h *training.History) vizhtml.Section {
	loss, acc := h.Series()
	f, err := vizhtml.TrainingCurves(smoothAll(loss), smoothAll(acc))
	return vizhtml.Section{Title: "Training curves", Note: "Train curves are smoothed over 20 steps; held-out points are exact.", Body: f, Err: err}
}

// GradientFlow plots every weight tensor's gradient norm over training.
func GradientFlow(h *training.History) vizhtml.Section {
	var series []nd.Series
	index := map[string]int{}
	for _, snap := range h.Stats {
		for _, v := range snap.Vars {
			if v.Var != layers.VarWeights {
				continue
			}
			i, ok := index[v.Layer]
			if !ok {
				i = len(series)
				index[v.Layer] = i
				series = append(series, nd.Series{Name: v.Layer})
			}
			series[i].X = append(series[i].X, float64(snap.Step))
			series[i].Y = append(series[i].Y, v.Grads.Norm)
		}
	}
	f, err := vizhtml.GradientFlow(series, "‖gradient‖₂")
	return vizhtml.Section{Title: "Gradient flow", Note: "L2 norm of each layer's weight gradient, recorded inside the training step.", Body: f, Err: err}
}

// Distributions shows weight and gradient distributions over training per layer.
func Distributions(h *training.History) vizhtml.Section {
	type key struct{ layer, what string }
	snaps := map[key][]vizhtml.HistogramAt{}
	var order []key
	for _, snap := range h.Stats {
		for _, v := range snap.Vars {
			if v.Var != layers.VarWeights {
				continue
			}
			for _, k := range []key{{v.Layer, "weights"}, {v.Layer, "gradients"}} {
				if _, ok := snaps[k]; !ok {
					order = append(order, k)
				}
				hist := v.WeightsH
				if k.what == "gradients" {
					hist = v.GradsH
				}
				snaps[k] = append(snaps[k], vizhtml.HistogramAt{Step: snap.Step, Hist: hist})
			}
		}
	}
	var out vizhtml.Fragment
	for _, k := range order {
		var f vizhtml.Fragment
		var err error
		if k.what == "weights" {
			f, err = vizhtml.Distributions(k.layer+" weights", snaps[k], 40)
		} else {
			f, err = vizhtml.PercentileBands(k.layer+" gradients", snaps[k])
		}
		if err != nil {
			return vizhtml.Section{Title: "Weight and gradient distributions", Err: err}
		}
		out = vizhtml.Join(out, f)
	}
	return vizhtml.Section{Title: "Weight and gradient distributions", Note: "Weights: each column is one recorded step, colour the share of values in each bin. Gradients: percentile bands per step.", Body: out}
}

// Filters shows every conv layer's kernels and a heatmap of the first layer's first kernel.
func Filters(m *layers.Model) vizhtml.Section {
	var out vizhtml.Fragment
	first := true
	convs := m.Spec.ConvLayers()
	note := "What each convolution looks for."
	if len(convs) > 8 {
		convs = stageConvs(m.Spec, convs)
		note += fmt.Sprintf(" A deep model: the first convolution and the last of each resolution stage (%d of %d).", len(convs), len(m.Spec.ConvLayers()))
	}
	for _, name := range convs {
		l, _, _ := m.Spec.Layer(name)
		w, err := m.Variable(l.Name, layers.VarWeights)
		if err != nil {
			return vizhtml.Section{Title: "Filters", Body: out, Err: err}
		}
		f, err := vizhtml.Filters(w, vizhtml.FilterOptions{Title: l.Name})
		if err != nil {
			return vizhtml.Section{Title: "Filters", Body: out, Err: err}
		}
		out = vizhtml.Join(out, f)
		if first {
			first = false
			k := nd.New(w.Shape[0], w.Shape[1])
			for p := range k.Data {
				k.Data[p] = w.Data[p*w.Shape[2]*w.Shape[3]]
			}
			hm, err := vizhtml.KernelHeatmap(k, l.Name+" filter 0, input channel 0")
			if err != nil {
				return vizhtml.Section{Title: "Filters", Body: out, Err: err}
			}
			out = vizhtml.Join(out, hm)
		}
	}
	if out.HTML == "" {
		return vizhtml.Section{Title: "Filters", Body: out, Err: fmt.Errorf("model has no conv layers")}
	}
	return vizhtml.Section{Title: "Filters", Note: note, Body: out}
}

// stageConvs keeps the first convolution and the last one of each output resolution.
func stageConvs(s *layers.Spec, convs []string) []string {
	t, err := s.Topology()
	if err != nil {
		return convs[:1]
	}
	last := map[[2]int]string{}
	var order [][2]int
	for _, name := range convs {
		n, _ := t.Node(name)
		key := [2]int{n.OutShape[0], n.OutShape[1]}
		if _, ok := last[key]; !ok {
			order = append(order, key)
		}
		last[key] = name
	}
	out := []string{convs[0]}
	for _, k := range order {
		if last[k] != convs[0] {
			out = append(out, last[k])
		}
	}
	return out
}

// Confusion is the confusion matrix; with more than 30 classes, of the classes that occur.
func Confusion(truth, preds []int, classes []string) vizhtml.Section {
	note := ""
	if len(classes) > 30 {
		seen := map[int]bool{}
		for i := range truth {
			seen[truth[i]], seen[preds[i]] = true, true
		}
		var keep []int
		for c := range classes {
			if seen[c] {
				keep = append(keep, c)
			}
		}
		index := map[int]int{}
		var names []string
		for i, c := range keep {
			index[c] = i
			names = append(names, className(classes, c))
		}
		t, p := make([]int, len(truth)), make([]int, len(preds))
		for i := range truth {
			t[i], p[i] = index[truth[i]], index[preds[i]]
		}
		note = fmt.Sprintf("The %d of %d classes that occur as a true or predicted class.", len(keep), len(classes))
		truth, preds, classes = t, p, names
	}
	f, err := vizhtml.ConfusionMatrix(truth, preds, classes)
	return vizhtml.Section{Title: "Confusion matrix", Note: note, Body: f, Err: err}
}

// cellImages bounds the images shown per confusion cell, and cellsShown the cells.
const cellImages, cellsShown = 8, 60

// ConfusionWithCells is the confusion matrix with the images of each mistaken cell (the
// most confident first, each with method's map of its predicted class, Grad-CAM by
// default), opened by a click on the cell; the worst cells stay open for viewers without
// scripts. truth, preds and confidence are for the first examples of ds.
func ConfusionWithCells(ex *explain.Explainer, ds *data.Dataset, truth, preds []int, confidence []float64, method explain.Method) vizhtml.Section {
	const title = "Confusion matrix"
	k := ex.Model.Spec.Classes
	classes := classNames(ds.Classes, k)
	byCell := map[[2]int][]int{}
	var keys [][2]int
	for i, t := range truth {
		if p := preds[i]; p != t {
			key := [2]int{t, p}
			if byCell[key] == nil {
				keys = append(keys, key)
			}
			byCell[key] = append(byCell[key], i)
		}
	}
	slices.SortStableFunc(keys, func(a, b [2]int) int { return len(byCell[b]) - len(byCell[a]) })
	keys = keys[:min(len(keys), cellsShown)]
	var shown []int
	for _, key := range keys {
		idx := byCell[key]
		sort.SliceStable(idx, func(a, b int) bool { return confidence[idx[a]] > confidence[idx[b]] })
		shown = append(shown, idx[:min(len(idx), cellImages)]...)
	}
	overlays := map[int][]byte{}
	name := "Grad-CAM"
	if len(shown) > 0 {
		if method == nil {
			if l, err := explain.ResolveLayer(ex.Model.Spec, ""); err == nil {
				method = explain.GradCAM{Layer: l}
			}
		} else {
			name = method.Name()
		}
	}
	if method != nil && len(shown) > 0 {
		images := nd.New(len(shown), ds.H, ds.W, ds.C)
		targets := make([]int, len(shown))
		for j, i := range shown {
			copy(images.Data[j*ds.ImageSize():], ds.Image(i))
			targets[j] = preds[i]
		}
		maps, err := method.Attribute(ex, images, targets)
		if err != nil {
			return vizhtml.Section{Title: title, Err: err}
		}
		for j, i := range shown {
			img := ds.ImageArray(i)
			png, err := vizhtml.OverlayPNG(img, maps.Image(j), vizhtml.OverlayOptions{Alpha: 0.6, Scale: max(1, 72/max(img.Shape[0], 1))})
			if err != nil {
				return vizhtml.Section{Title: title, Err: err}
			}
			overlays[i] = png
		}
	}
	var cells []vizhtml.ConfusionCell
	for _, key := range keys {
		c := vizhtml.ConfusionCell{True: key[0], Pred: key[1], Count: len(byCell[key])}
		for _, i := range byCell[key][:min(len(byCell[key]), cellImages)] {
			c.Examples = append(c.Examples, vizhtml.CellExample{Image: ds.ImageArray(i), Overlay: overlays[i],
				Caption: fmt.Sprintf("#%d (%.0f%%)", i, 100*confidence[i])})
		}
		cells = append(cells, c)
	}
	f, err := vizhtml.ConfusionMatrixWithCells(truth, preds, classes, cells, name)
	return vizhtml.Section{Title: title, Body: f, Err: err}
}

// FeatureMaps shows, for the first opt.Images examples, every conv and pool layer's output.
func FeatureMaps(m *layers.Model, ds *data.Dataset, taps *layers.TapResult, opt Options) vizhtml.Section {
	var out vizhtml.Fragment
	for i := 0; i < min(opt.Images, taps.Logits.Shape[0]); i++ {
		img := ds.ImageArray(i)
		pred, p := argmaxProb(taps.Logits.Sub(i).Data)
		head := vizhtml.Fragment{HTML: fmt.Sprintf("<h3>Example %d: true %s, predicted %s (%.0f%%)</h3>",
			i, vizhtml.Escape(className(ds.Classes, int(ds.Labels[i]))), vizhtml.Escape(className(ds.Classes, pred)), 100*p)}
		out = vizhtml.Join(out, head)
		shown := false
		for _, name := range opt.Layers {
			in := nd.Array{}
			if !shown {
				in, shown = img, true
			}
			f, err := vizhtml.FeatureMaps(in, taps.Outputs[name].Sub(i), vizhtml.FeatureMapOptions{Title: name, MaxChannels: opt.MaxChannels})
			if err != nil {
				return vizhtml.Section{Title: "Feature maps", Body: out, Err: err}
			}
			out = vizhtml.Join(out, f)
		}
	}
	note := "Each tile is one channel of a layer's output for the image on the left (bright = strong)."
	if n := len(spatialLayers(m.Spec)); len(opt.Layers) < n {
		note += fmt.Sprintf(" %d of the %d conv, pool and merge layers: the output of each resolution stage.", len(opt.Layers), n)
	}
	return vizhtml.Section{Title: "Feature maps", Note: note, Body: out}
}

// activatedLayers lists the layers with an activation (every one, or for a deep model
// those among shown, the report's feature-map layers).
func activatedLayers(s *layers.Spec, shown []string) []string {
	var all []string
	for _, l := range s.OrderedLayers() {
		if l.HasActivation() || l.Kind == layers.Activate {
			all = append(all, l.Name)
		}
	}
	if len(all) <= 2*deepLayers {
		return all
	}
	var out []string
	for _, name := range all {
		if slices.Contains(shown, name) {
			out = append(out, name)
		}
	}
	return out
}

// ActivationStats charts per-channel statistics of the named activated layers (every
// activated layer when none are named).
func ActivationStats(m *layers.Model, taps *layers.TapResult, names ...string) vizhtml.Section {
	var out vizhtml.Fragment
	if len(names) == 0 {
		for _, l := range m.Spec.OrderedLayers() {
			if l.HasActivation() || l.Kind == layers.Activate {
				names = append(names, l.Name)
			}
		}
	}
	for _, name := range names {
		l, _, _ := m.Spec.Layer(name)
		s, err := vizhtml.ComputeChannelStats(taps.Outputs[l.Name])
		if err != nil {
			return vizhtml.Section{Title: "Activation statistics", Body: out, Err: err}
		}
		f, err := vizhtml.ActivationStats(l.Name, s)
		if err != nil {
			return vizhtml.Section{Title: "Activation statistics", Body: out, Err: err}
		}
		out = vizhtml.Join(out, f)
	}
	return vizhtml.Section{Title: "Activation statistics", Note: fmt.Sprintf("Over %d held-out examples.", taps.Logits.Shape[0]), Body: out}
}

// Misclassified shows the held-out examples the model got wrong, most confident first.
func Misclassified(ds *data.Dataset, taps *layers.TapResult, truth, preds []int) vizhtml.Section {
	var ex []vizhtml.Example
	for i, p := range preds {
		if p == truth[i] {
			continue
		}
		_, conf := argmaxProb(taps.Logits.Sub(i).Data)
		ex = append(ex, vizhtml.Example{Image: ds.ImageArray(i), True: truth[i], Pred: p, Confidence: conf})
	}
	sort.SliceStable(ex, func(a, b int) bool { return ex[a].Confidence > ex[b].Confidence })
	f, err := vizhtml.Gallery("", ex, ds.Classes, 48)
	return vizhtml.Section{Title: "Misclassified examples", Note: fmt.Sprintf("%d of %d wrong; captions read true → predicted (confidence).", len(ex), len(preds)), Body: f, Err: err}
}

// Embedding projects the penultimate layer's outputs with PCA.
func Embedding(m *layers.Model, taps *layers.TapResult, truth []int, classes []string) vizhtml.Section {
	layer := penultimate(m.Spec)
	if layer == "" {
		return vizhtml.Section{Title: "Embedding", Err: fmt.Errorf("model has no penultimate layer")}
	}
	feat := taps.Outputs[layer]
	if feat.Shape[0] < 3 {
		return vizhtml.Section{Title: "Embedding", Note: fmt.Sprintf("An embedding needs at least 3 images; %d were given.", feat.Shape[0])}
	}
	flat := nd.Array{Shape: []int{feat.Shape[0], len(feat.Data) / feat.Shape[0]}, Data: feat.Data}
	pts, explained, err := vizhtml.PCA(flat)
	if err != nil {
		return vizhtml.Section{Title: "Embedding", Err: err}
	}
	sub := fmt.Sprintf("PCA of %q outputs; PC1 %.0f%%, PC2 %.0f%% of variance", layer, 100*explained[0], 100*explained[1])
	f, err := vizhtml.EmbeddingScatter("Penultimate-layer embedding", sub, pts, truth, classes)
	return vizhtml.Section{Title: "Embedding", Note: "Each point is one held-out image, coloured by its true class.", Body: f, Err: err}
}

// spatialLayers lists the layers whose feature maps are worth showing: convolutions, pools
// and merges (batch norm, activation and identity outputs repeat their input's pattern).
func spatialLayers(s *layers.Spec) []layers.Layer {
	var out []layers.Layer
	for _, l := range s.OrderedLayers() {
		switch l.Kind {
		case layers.Conv2D, layers.MaxPool2D, layers.AvgPool2D, layers.Add, layers.Concat:
			out = append(out, l)
		}
	}
	return out
}

// penultimate is the layer feeding the logits layer ("" if that is the input).
func penultimate(s *layers.Spec) string {
	t, err := s.Topology()
	if err != nil {
		return ""
	}
	n, _ := t.Node(t.Logits)
	if len(n.Inputs) == 0 || n.Inputs[0] == layers.InputName {
		return ""
	}
	return n.Inputs[0]
}

func className(classes []string, c int) string {
	if c >= 0 && c < len(classes) {
		return classes[c]
	}
	return fmt.Sprintf("class %d", c)
}

// Attributions overlays saliency and Grad-CAM (cams: at the last conv layer, of at least
// the first n images, or nil without one; a camErr is shown instead) on the first example
// images; convlens explain has every method and the sanity checks.
func Attributions(ex *explain.Explainer, ds *data.Dataset, n int, cams *explain.Maps, camErr error) vizhtml.Section {
	title := "Saliency and Grad-CAM"
	if cams != nil && cams.Method != (explain.GradCAM{}).Name() {
		title = "Saliency and " + cams.Method
	}
	if camErr != nil {
		return vizhtml.Section{Title: title, Err: camErr}
	}
	n = min(n, ds.N)
	saliency, err := explain.Saliency{}.Attribute(ex, ds.Batch(0, n), nil)
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	var cols []vizhtml.AttributionColumn
	for _, maps := range []*explain.Maps{saliency, cams} {
		if maps == nil || (maps != saliency && maps.Method == saliency.Method) {
			continue
		}
		col := vizhtml.AttributionColumn{Method: maps.Method, Signed: maps.Signed}
		for i := 0; i < n; i++ {
			col.Maps = append(col.Maps, maps.Image(i))
		}
		cols = append(cols, col)
	}
	var imgs []nd.Array
	var rows []string
	for i := 0; i < n; i++ {
		imgs = append(imgs, ds.ImageArray(i))
		rows = append(rows, "true "+className(ds.Classes, int(ds.Labels[i])))
	}
	f, err := vizhtml.AttributionGrid(imgs, rows, cols)
	return vizhtml.Section{Title: title, Note: "Where the predicted class's evidence lies; the explain command (convlens explain) compares every method and runs the sanity checks.", Body: f, Err: err}
}
