package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/live"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/vizhtml"
)

// ExplorerOptions configures Explorer.
type ExplorerOptions struct {
	Classes  []string // class names (default: the model's)
	Captions []string // one per image (default: the prediction)
	Labels   []int    // true labels, for the default captions (optional)
	Names    []string // image names (e.g. file names) starting the default captions (default "image i")
	// CAMLayer is the layer Grad-CAM explains from (default: the last conv layer);
	// CAMClasses how many of each image's top classes get a map (default 10).
	CAMLayer   string
	CAMClasses int
	// Method makes the overlay maps (default: Grad-CAM at CAMLayer); any method works.
	Method   explain.Method
	MaxBytes int // see vizhtml.ExplorerOptions (default 24 MB)
	// Layers picks the layers shown: names (or output tensor names), globs (* matches any
	// text, / included), "stages" (Spec.StageOutputs) or "all"; the logits layer is always
	// shown. Default: every layer, or the stages where every layer would pass the budget.
	Layers []string
	// MaxChannels bounds the channels of each shown layer (the first ones; 0: all, or with
	// the stages default as many as fit the budget).
	MaxChannels int
	// Explainer reuses compiled gradient programs (default: a new one).
	Explainer *explain.Explainer
	// Examples, when set, is a held-out set searched in one pass for the images that excite
	// each shown channel most (a click on a channel shows them); ExampleImages bounds the
	// images searched (default all).
	Examples      *data.Dataset
	ExampleImages int
	// TimeLapse is the model at earlier checkpoints of its training (same architecture),
	// oldest first, for the time-lapse slider; StepLabels names them and then the model
	// itself (default "checkpoint i").
	TimeLapse  []*layers.Model
	StepLabels []string
	// Live, when set, is the engine that runs the model in the page: a drawn or dropped
	// image, or a change to a parameter, is computed there (no time-lapse with it).
	Live *live.EngineFiles
}

// explorerBudget is the default bound on an explorer page's embedded data.
const explorerBudget = 24 << 20

// maxBundle bounds the model a live page carries (base64 weights): a ResNet-18's are 62 MB.
const maxBundle = 256 << 20

// explorerMaxAll is the most layers the explorer shows by default.
const explorerMaxAll = 400

// SelectLayers resolves layer choices (names, output tensor names, globs, "stages", "all")
// into layer names in forward order.
func SelectLayers(s *layers.Spec, choices []string) ([]string, error) {
	t, err := s.Topology()
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, c := range choices {
		switch c = strings.TrimSpace(c); {
		case c == "all":
			for _, n := range t.Nodes {
				want[n.Name] = true
			}
		case c == "stages":
			for _, name := range s.StageOutputs() {
				want[name] = true
			}
		case strings.ContainsAny(c, "*?"):
			re, err := regexp.Compile("^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(c)) + "$")
			if err != nil {
				return nil, err
			}
			found := false
			for _, n := range t.Nodes {
				if re.MatchString(n.Name) {
					want[n.Name], found = true, true
				}
			}
			if !found {
				return nil, fmt.Errorf("layers: %q matches no layer of model %q", c, s.Name)
			}
		default:
			name := s.Resolve(c)
			if _, ok := t.Node(name); !ok {
				return nil, fmt.Errorf("layers: unknown layer %q in model %q", c, s.Name)
			}
			want[name] = true
		}
	}
	var out []string
	for _, n := range t.Nodes {
		if want[n.Name] {
			out = append(out, n.Name)
		}
	}
	return out, nil
}

// Explorer computes every layer's values for the images [N,H,W,C] in one forward pass,
// reads the layers' parameters and Grad-CAM maps of the top classes, and hands them to the
// interactive explorer.
func Explorer(m *layers.Model, images nd.Array, opt ExplorerOptions) (vizhtml.Fragment, error) {
	em, ims, vopt, err := explorerData(m, images, opt)
	if err != nil {
		return vizhtml.Fragment{}, err
	}
	return vizhtml.Explorer(em, ims, vopt)
}

// ExplorerJSON is the explorer's data for a page that runs the engine itself (the static
// site's): vizhtml.ExplorerJSON of the model and images.
func ExplorerJSON(m *layers.Model, images nd.Array, opt ExplorerOptions) ([]byte, error) {
	em, ims, vopt, err := explorerData(m, images, opt)
	if err != nil {
		return nil, err
	}
	return vizhtml.ExplorerJSON(em, ims, vopt)
}

// ExplorerPage is Explorer as a standalone page.
func ExplorerPage(m *layers.Model, images nd.Array, opt ExplorerOptions) (*vizhtml.Page, error) {
	em, ims, vopt, err := explorerData(m, images, opt)
	if err != nil {
		return nil, err
	}
	return vizhtml.ExplorerPage(em, ims, vopt)
}

func explorerData(m *layers.Model, images nd.Array, opt ExplorerOptions) (vizhtml.ExplorerModel, []vizhtml.ExplorerImage, vizhtml.ExplorerOptions, error) {
	var em vizhtml.ExplorerModel
	vopt := vizhtml.ExplorerOptions{MaxBytes: opt.MaxBytes}
	if opt.Live != nil && len(opt.TimeLapse) > 0 { // before any work
		return em, nil, vopt, fmt.Errorf("explorer: a live page computes one model, not a time-lapse")
	}
	if err := m.CheckImages(images); err != nil {
		return em, nil, vopt, err
	}
	s := m.Spec
	t, err := s.Topology()
	if err != nil {
		return em, nil, vopt, err
	}
	if vopt.MaxBytes == 0 {
		vopt.MaxBytes = explorerBudget
	}
	shown, maxCh, note, err := explorerSelection(s, t, images.Shape[0], opt, vopt.MaxBytes)
	if err != nil {
		return em, nil, vopt, err
	}
	vopt.Note = note
	taps, err := m.Taps(images, shown...)
	if err != nil {
		return em, nil, vopt, err
	}
	classes := opt.Classes
	if len(classes) == 0 {
		classes = s.ClassNames
	}
	em = vizhtml.ExplorerModel{Name: s.Name, Classes: classes, Input: []int{s.Height, s.Width, s.Chans}, Logits: t.Logits}
	isShown := map[string]bool{layers.InputName: true}
	for _, name := range shown {
		isShown[name] = true
	}
	nearest := map[string][]string{layers.InputName: {layers.InputName}} // the shown layers a layer reads, through hidden ones
	for _, n := range t.Nodes {
		var near []string
		for _, in := range n.Inputs {
			for _, a := range nearest[in] {
				if !slices.Contains(near, a) {
					near = append(near, a)
				}
			}
		}
		if isShown[n.Name] {
			l, err := explorerLayer(m, n)
			if err != nil {
				return em, nil, vopt, err
			}
			if slices.ContainsFunc(n.Inputs, func(in string) bool { return !isShown[in] }) { // inputs hidden: no arithmetic
				l.Inputs, l.ValuesOnly, l.Params = near, true, nil
			}
			if c := len(l.Shape) - 1; maxCh > 0 && len(l.Shape) == 3 && l.Shape[c] > maxCh {
				l.Shape = []int{l.Shape[0], l.Shape[1], maxCh}
				l.ValuesOnly, l.Params = true, nil
			}
			em.Layers = append(em.Layers, l)
			near = []string{n.Name}
		}
		nearest[n.Name] = near
	}
	ims, camNote, err := explorerImages(m, images, em, opt, taps)
	if err != nil {
		return em, nil, vopt, err
	}
	vopt.Note = strings.TrimSpace(vopt.Note + " " + camNote)
	if method, err := explorerMethod(s, opt); err == nil {
		vopt.CAMLayer, vopt.CAMMethod = explain.CAMLayer(method), overlayName(method, opt)
	}
	for i, mt := range opt.TimeLapse {
		if err := SameArchitecture(s, mt.Spec); err != nil {
			return em, nil, vopt, fmt.Errorf("time-lapse checkpoint %d: %w", i, err)
		}
		st := vizhtml.ExplorerStep{Label: stepLabel(opt.StepLabels, i), Params: map[string]map[string]nd.Array{}}
		for _, l := range em.Layers {
			if len(l.Params) > 0 {
				if st.Params[l.Name], err = mt.LayerVariables(l.Name); err != nil {
					return em, nil, vopt, err
				}
			}
		}
		stepTaps, err := mt.Taps(images, shown...)
		if err != nil {
			return em, nil, vopt, err
		}
		o := opt
		o.Explainer = nil
		if st.Images, _, err = explorerImages(mt, images, em, o, stepTaps); err != nil {
			return em, nil, vopt, fmt.Errorf("time-lapse checkpoint %d: %w", i, err)
		}
		vopt.Steps = append(vopt.Steps, st)
	}
	if len(opt.TimeLapse) > 0 {
		vopt.StepLabel = stepLabel(opt.StepLabels, len(opt.TimeLapse))
	}
	if opt.Live != nil {
		b, err := live.Pack(m)
		if err != nil {
			return em, nil, vopt, err
		}
		bundle, err := json.Marshal(b)
		if err != nil {
			return em, nil, vopt, err
		}
		if len(bundle) > maxBundle {
			return em, nil, vopt, fmt.Errorf("explorer: a live page carries the model's weights, here %d MB: more than the %d MB a page holds well",
				len(bundle)>>20, maxBundle>>20)
		}
		vopt.Live = &vizhtml.ExplorerLive{Bundle: bundle, Engine: opt.Live.Wasm, Exec: opt.Live.Exec}
	}
	if opt.Examples != nil {
		var note string
		vopt.Examples, vopt.ExamplesFrom, note = explorerExamples(m, em, opt, vopt.MaxBytes/4)
		vopt.Note = strings.TrimSpace(vopt.Note + " " + note)
	}
	return em, ims, vopt, nil
}

func stepLabel(labels []string, i int) string {
	if i < len(labels) && labels[i] != "" {
		return labels[i]
	}
	return fmt.Sprintf("checkpoint %d", i+1)
}

// explorerMethod is the overlay's method: opt.Method, else Grad-CAM at opt.CAMLayer (or
// the last conv layer); an error where the model has no layer for it.
func explorerMethod(s *layers.Spec, opt ExplorerOptions) (explain.Method, error) {
	camLayer, err := explain.ResolveLayer(s, opt.CAMLayer)
	if opt.Method != nil {
		return opt.Method, nil
	}
	if err != nil {
		return nil, err
	}
	return explain.GradCAM{Layer: camLayer}, nil
}

// overlayName names the overlay's method on the page: "Grad-CAM" for the default.
func overlayName(method explain.Method, opt ExplorerOptions) string {
	if opt.Method == nil {
		return "Grad-CAM"
	}
	return method.Name()
}

// explorerImages is every image's values (taps of m), caption and overlay maps; the note
// says what maps were left out.
func explorerImages(m *layers.Model, images nd.Array, em vizhtml.ExplorerModel, opt ExplorerOptions, taps *layers.TapResult) ([]vizhtml.ExplorerImage, string, error) {
	s := m.Spec
	classes := em.Classes
	n := images.Shape[0]
	ims := make([]vizhtml.ExplorerImage, n)
	preds := layers.ArgMax(taps.Logits)
	for i := range ims {
		ims[i] = vizhtml.ExplorerImage{Pixels: images.Sub(i), Values: map[string]nd.Array{vizhtml.ExplorerInput: normalized(s, images.Sub(i))}}
		for _, l := range em.Layers {
			v := taps.Outputs[l.Name].Sub(i)
			if len(l.Shape) == 3 && v.Shape[2] > l.Shape[2] {
				v = firstChannels(v, l.Shape[2])
			}
			ims[i].Values[l.Name] = v
		}
		_, p := argmaxProb(taps.Logits.Sub(i).Data)
		name := fmt.Sprintf("image %d", i+1)
		if i < len(opt.Names) && opt.Names[i] != "" {
			name = opt.Names[i]
		}
		switch {
		case i < len(opt.Captions):
			ims[i].Caption = opt.Captions[i]
		case i < len(opt.Labels):
			ims[i].Caption = fmt.Sprintf("%s: true %s, predicted %s (%.0f%%)", name, className(classes, opt.Labels[i]), className(classes, preds[i]), 100*p)
		default:
			ims[i].Caption = fmt.Sprintf("%s: predicted %s (%.0f%%)", name, className(classes, preds[i]), 100*p)
		}
	}
	method, err := explorerMethod(s, opt)
	if err != nil {
		if opt.CAMLayer != "" {
			return nil, "", fmt.Errorf("explorer: %w", err)
		}
		return ims, "No Grad-CAM: the model has no layer with an H×W×C output.", nil
	}
	ex := opt.Explainer
	if ex == nil {
		ex = explain.New(m)
	}
	if err := ex.Check(method); err != nil {
		return nil, "", fmt.Errorf("explorer: %w", err)
	}
	k := opt.CAMClasses
	if k <= 0 {
		k = 10
	}
	k = min(k, s.Classes)
	ranked := make([][]int, n) // each image's classes by logit, highest first
	for i := range ranked {
		z := taps.Logits.Sub(i).Data
		ranked[i] = make([]int, len(z))
		for c := range z {
			ranked[i][c] = c
		}
		slices.SortStableFunc(ranked[i], func(a, b int) int {
			switch {
			case z[a] > z[b]:
				return -1
			case z[a] < z[b]:
				return 1
			}
			return 0
		})
	}
	for r := 0; r < k; r++ {
		targets := make([]int, n)
		for i := range targets {
			targets[i] = ranked[i][r]
		}
		maps, err := method.Attribute(ex, images, targets)
		if err != nil {
			return nil, "", fmt.Errorf("explorer: %w", err)
		}
		for i := range ims {
			ims[i].CAMs = append(ims[i].CAMs, vizhtml.ExplorerCAM{Class: targets[i], Map: maps.Image(i)})
		}
	}
	note := ""
	if k < s.Classes {
		note = fmt.Sprintf("%s maps for each image's top %d classes.", overlayName(method, opt), k)
	}
	return ims, note, nil
}

// explorerSelection picks the layers shown and a channel cap: opt's choice, else every
// layer where n images of them fit half the budget, else each stage's output (and the
// logits) with as many channels as fit. The note tells what was left out.
func explorerSelection(s *layers.Spec, t *layers.Topology, n int, opt ExplorerOptions, budget int) ([]string, int, string, error) {
	valueBytes := func(names []string, maxCh int) int {
		total := 0
		for _, name := range names {
			node, _ := t.Node(name)
			sh := slices.Clone(node.OutShape)
			if maxCh > 0 && len(sh) == 3 {
				sh[2] = min(sh[2], maxCh)
			}
			total += prodOf(sh)
		}
		return total * 16 / 3 * n // base64 of float32
	}
	withLogits := func(names []string) []string {
		if !slices.Contains(names, t.Logits) {
			names = append(names, t.Logits)
		}
		return names
	}
	if len(opt.Layers) > 0 {
		names, err := SelectLayers(s, opt.Layers)
		if err != nil {
			return nil, 0, "", err
		}
		return withLogits(names), opt.MaxChannels, fmt.Sprintf("%d of %d layers shown (chosen).", len(withLogits(names)), len(t.Nodes)), nil
	}
	var all []string
	for _, node := range t.Nodes {
		all = append(all, node.Name)
	}
	// Every layer, where they fit; not for thousands of layers, whose taps XLA compiles
	// slowly (1,000 outputs took 21 s).
	if len(all) <= explorerMaxAll && (opt.MaxChannels > 0 || valueBytes(all, 0) <= budget/2) {
		return all, opt.MaxChannels, "", nil
	}
	stages := withLogits(s.StageOutputs())
	maxCh := opt.MaxChannels
	if maxCh == 0 {
		maxCh = 1 << 20
		for maxCh > 8 && valueBytes(stages, maxCh) > budget*3/4 {
			maxCh = min(maxCh, maxChannelsOf(t, stages)) / 2
		}
	}
	note := fmt.Sprintf("A large model: %d of %d layers shown, the output of each resolution stage", len(stages), len(t.Nodes))
	if maxCh < maxChannelsOf(t, stages) {
		note += fmt.Sprintf(", each with its first %d channels", maxCh)
	} else {
		maxCh = 0
	}
	return stages, maxCh, note + " (-layers picks others).", nil
}

func maxChannelsOf(t *layers.Topology, names []string) int {
	m := 0
	for _, name := range names {
		node, _ := t.Node(name)
		if len(node.OutShape) == 3 {
			m = max(m, node.OutShape[2])
		}
	}
	return m
}

func prodOf(d []int) int {
	p := 1
	for _, v := range d {
		p *= v
	}
	return p
}

// firstChannels keeps the first c channels of an [H, W, C] array.
func firstChannels(a nd.Array, c int) nd.Array {
	h, w, all := a.Shape[0], a.Shape[1], a.Shape[2]
	out := nd.New(h, w, c)
	for p := range h * w {
		copy(out.Data[p*c:(p+1)*c], a.Data[p*all:p*all+c])
	}
	return out
}

// explorerLayer is one node's geometry and parameters, with defaults resolved as the model applies them.
func explorerLayer(m *layers.Model, n layers.Node) (vizhtml.ExplorerLayer, error) {
	l := n.Layer
	params, err := m.LayerVariables(l.Name)
	if err != nil {
		return vizhtml.ExplorerLayer{}, err
	}
	out := vizhtml.ExplorerLayer{Name: l.Name, Kind: string(l.Kind), Inputs: n.Inputs, Shape: n.OutShape,
		Activation: string(l.Activation), Alpha: l.Alpha, Beta: l.Beta, Exponent: l.Exponent, ClipMin: l.ClipMin, ClipMax: l.ClipMax,
		Kernel: l.Kernel, Stride: l.Stride, Dilation: l.Dilation, KernelW: l.KernelW, StrideW: l.StrideW, DilationW: l.DilationW,
		Groups: l.Groups, CountPad: l.CountPad, Fill: l.Fill, Axes: l.Axes, Perm: l.Perm, Op: l.Op, KeepDims: l.KeepDims,
		Indices: l.Indices, IndexShape: l.Shape, ParamShape: l.ParamShape, Epsilon: l.Epsilon, Params: params}
	if l.Kind != layers.Gather {
		out.IndexShape = nil
	}
	if l.Kind == layers.Dense && len(n.InShapes[0]) != 1 { // a dense layer on each position
		out.ValuesOnly = true
	}
	switch l.Kind {
	case layers.Conv2D, layers.MaxPool2D, layers.AvgPool2D:
		in := n.InShapes[0]
		out.Pads = l.WindowPads(in[0], in[1])
	case layers.Pad:
		copy(out.Pads[:], l.Pads)
	case layers.BatchNorm:
		if out.Epsilon == 0 {
			out.Epsilon = layers.BatchNormEpsilon
		}
	case layers.LayerNorm:
		if out.Epsilon == 0 {
			out.Epsilon = layers.LayerNormEpsilon
		}
	}
	return out, nil
}

// normalized is the image as the model's first layers see it: (x − mean) / std per channel,
// in float32 as the model computes it.
func normalized(s *layers.Spec, img nd.Array) nd.Array {
	if len(s.InputStd) == 0 {
		return img
	}
	out := nd.Array{Shape: img.Shape, Data: make([]float32, len(img.Data))}
	for i, v := range img.Data {
		mean, std := s.Normalization(i % s.Chans)
		out.Data[i] = (v - float32(mean)) * float32(1/std)
	}
	return out
}

// explorerExamples finds, in one pass over opt.Examples, the top images of every shown
// channel of the shown H×W×C layers, within budget bytes (the first layers first).
func explorerExamples(m *layers.Model, em vizhtml.ExplorerModel, opt ExplorerOptions, budget int) (map[string][]vizhtml.ChannelRow, string, string) {
	var names []string
	shown := map[string]int{}
	for _, l := range em.Layers {
		if len(l.Shape) == 3 {
			names = append(names, l.Name)
			shown[l.Name] = l.Shape[2]
		}
	}
	if len(names) == 0 {
		return nil, "", ""
	}
	const top = 4
	found, err := FindChannelExamplesOf(m, opt.Examples, names, ChannelExampleOptions{Top: top, Examples: opt.ExampleImages})
	if err != nil {
		return nil, "", "No dataset examples: " + err.Error() + "."
	}
	out, size, note := map[string][]vizhtml.ChannelRow{}, 0, ""
	for i, f := range found {
		rows := channelRows(f, opt.Examples, shown[f.Layer])
		n := 0
		for _, r := range rows {
			for _, t := range r.Examples {
				n += len(t.Image.Data)*4/3 + len(t.Label) + 200 // base64 PNG, at worst about its raw size
			}
		}
		if size+n > budget {
			note = fmt.Sprintf("Dataset examples for the first %d of %d layers (the page's budget).", i, len(found))
			break
		}
		size += n
		out[f.Layer] = rows
	}
	return out, fmt.Sprintf("%d held-out images", found[0].Images), note
}
