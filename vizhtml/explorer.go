package vizhtml

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/convlens/convlens/nd"
)

// ExplorerInput names the model's input (after its normalisation) in ExplorerLayer.Inputs
// and ExplorerImage.Values.
const ExplorerInput = "input"

// ExplorerModel is what the explorer draws of a model: its layers in topological order.
type ExplorerModel struct {
	Name    string
	Classes []string // class names (default "class i")
	Input   []int    // [H, W, C]
	Layers  []ExplorerLayer
	// Logits names the layer whose output is the logits (default: the last layer).
	Logits string
}

// ExplorerArithmetic lists the layer kinds whose values the page recomputes from their
// inputs (assets/explorer.js has an explainer for each; a test checks both ways).
var ExplorerArithmetic = []string{"activation", "add", "affine", "avgpool2d", "batchnorm", "concat", "conv2d", "dense",
	"dropout", "flatten", "gather", "globalavgpool", "identity", "layernorm", "maxpool2d", "merge", "multiply", "pad",
	"prelu", "reduce", "reshape", "softmax"}

// ExplorerValuesOnly are the kinds the page shows with their values only, and why.
var ExplorerValuesOnly = map[string]string{
	"convtranspose": "each output sums kernel-weighted inputs scattered from several windows",
	"resize":        "each output interpolates input cells chosen by the coordinate mapping",
}

// ExplorerLayer is one layer: its geometry and the parameters the page's arithmetic uses.
// Kinds and fields follow layers.Layer (ExplorerArithmetic lists the kinds the page
// recomputes); other kinds are shown with their values only. A layer whose output is not
// [H, W, C] or [N] is drawn flat, [N] with N its number of values; Dims keeps its shape.
type ExplorerLayer struct {
	Name       string
	Kind       string
	Inputs     []string // earlier layers or ExplorerInput
	Shape      []int    // output for one image, any rank
	Activation string   // fused (conv2d, dense, add) or the activation layer's own
	Alpha      float64  // leakyrelu slope, hardsigmoid and elu factor
	Beta       float64  // hardsigmoid offset
	Exponent   float64  // pow
	ClipMin    float64
	ClipMax    float64
	Kernel     int
	Stride     int
	Dilation   int
	KernelW    int // width's window where it differs (0: as the height's)
	StrideW    int
	DilationW  int
	Groups     int
	CountPad   bool
	Pads       [4]int // top, bottom, left, right (conv, pools, pad)
	Epsilon    float64
	Fill       float64
	Axes       []int  // reduce, softmax, concat, layernorm, gather
	Perm       []int  // reshape
	Op         string // reduce, merge
	KeepDims   bool   // reduce
	Indices    []int  // gather, with IndexShape
	IndexShape []int
	ParamShape []int // affine, prelu
	// ValuesOnly shows the layer's values without arithmetic (a dense layer on each position).
	ValuesOnly bool
	// Params holds the layer's variables by name: weights, biases (conv2d [k,k,Cin/groups,F]
	// and dense [in,out]), gamma, beta, moving_mean, moving_var (batchnorm), scale, shift (affine).
	Params map[string]nd.Array
}

// ExplorerImage is one image and every value the model computed for it.
type ExplorerImage struct {
	Caption string
	Pixels  nd.Array // [H, W, C] for display, any range (scaled to its min..max)
	// Values holds ExplorerInput (the normalised input the first layers see) and every
	// layer's output for this image, in the layer's shape.
	Values map[string]nd.Array
	CAMs   []ExplorerCAM
}

// ExplorerCAM is a Grad-CAM map [h, w] (non-negative, any resolution) for one class. The
// page lays it, min..max in viridis, over the input image at 55% opacity.
type ExplorerCAM struct {
	Class int
	Map   nd.Array
}

// ExplorerOptions bounds and annotates the explorer.
type ExplorerOptions struct {
	// MaxBytes bounds the embedded data (default 24 MB): images beyond it are left out,
	// with a note; if one image does not fit, Explorer fails naming the largest layers.
	MaxBytes int
	// CAMLayer names the layer the Grad-CAM maps explain from (for the page's text).
	CAMLayer string
	// CAMMethod names the method of the overlay maps (default "Grad-CAM").
	CAMMethod string
	Note      string
	// Examples holds, by layer name, what excites the layer's channels in a held-out set
	// (rows as ChannelExamples draws them; Visualization is not drawn). A click on a
	// channel shows its row; ExamplesFrom says where they come from ("1000 held-out images").
	Examples     map[string][]ChannelRow
	ExamplesFrom string
	// Steps are the model at earlier checkpoints, oldest first, for a time-lapse slider; the
	// explorer's own model and values are the last step, labelled StepLabel (default "now").
	Steps     []ExplorerStep
	StepLabel string
	// Live, when set, runs the model in the page (see ExplorerLive).
	Live *ExplorerLive
}

// Explorer caps.
const (
	explorerMaxLayers = 2000
	explorerMaxImages = 256
)

//go:embed assets/explorer.js
var explorerJS string

//go:embed assets/explorer.css
var explorerCSS string

type explorerArray struct {
	Shape []int  `json:"shape"`
	B64   string `json:"b64"`
}

type explorerLayerJSON struct {
	Name       string                   `json:"name"`
	Kind       string                   `json:"kind"`
	Inputs     []string                 `json:"inputs"`
	Shape      []int                    `json:"shape"`
	Dims       []int                    `json:"dims,omitempty"`
	Activation string                   `json:"act,omitempty"`
	Alpha      float64                  `json:"alpha,omitempty"`
	Beta       float64                  `json:"beta,omitempty"`
	Exponent   float64                  `json:"exponent,omitempty"`
	Clip       [2]float64               `json:"clip"`
	Kernel     int                      `json:"k,omitempty"`
	Stride     int                      `json:"stride,omitempty"`
	Dilation   int                      `json:"dil,omitempty"`
	KernelW    int                      `json:"kw,omitempty"`
	StrideW    int                      `json:"sw,omitempty"`
	DilationW  int                      `json:"dw,omitempty"`
	Groups     int                      `json:"groups,omitempty"`
	CountPad   bool                     `json:"countPad,omitempty"`
	Pads       [4]int                   `json:"pads"`
	Epsilon    float64                  `json:"eps,omitempty"`
	Fill       float64                  `json:"fill,omitempty"`
	Axes       []int                    `json:"axes,omitempty"`
	Perm       []int                    `json:"perm,omitempty"`
	Op         string                   `json:"op,omitempty"`
	KeepDims   bool                     `json:"keep,omitempty"`
	Indices    []int                    `json:"indices,omitempty"`
	IndexShape []int                    `json:"ishape,omitempty"`
	ParamShape []int                    `json:"paramShape,omitempty"`
	ValuesOnly bool                     `json:"valuesOnly,omitempty"`
	Params     map[string]explorerArray `json:"params,omitempty"`
}

type explorerCAMJSON struct {
	Class int    `json:"class"`
	PNG   string `json:"png"`
}

type explorerImageJSON struct {
	Caption string            `json:"caption"`
	PNG     string            `json:"png"`
	Raw     string            `json:"raw,omitempty"` // the pixels as the model takes them (live pages)
	Values  map[string]string `json:"values"`
	CAMs    []explorerCAMJSON `json:"cams,omitempty"`
}

type explorerJSON struct {
	Model    string                            `json:"model"`
	Classes  []string                          `json:"classes"`
	Input    []int                             `json:"input"`
	Logits   string                            `json:"logits"`
	CAMLayer string                            `json:"camLayer,omitempty"`
	Method   string                            `json:"camMethod,omitempty"`
	Note     string                            `json:"note,omitempty"`
	Layers   []explorerLayerJSON               `json:"layers"`
	Images   []explorerImageJSON               `json:"images"`
	Examples map[string][]explorerExamplesJSON `json:"examples,omitempty"`
	ExFrom   string                            `json:"examplesFrom,omitempty"`
	Steps    []explorerStepJSON                `json:"steps,omitempty"`
	StepNow  string                            `json:"stepLabel,omitempty"`
	Live     bool                              `json:"live,omitempty"`
}

// Explorer renders the interactive walkthrough: every layer as a column of channel tiles
// for the chosen image, class probabilities, a Grad-CAM toggle, and for any tile the
// arithmetic of any output value from its inputs and the layer's parameters, computed by
// the page and shown next to the value the model computed. Values are embedded exactly
// (float32); only the tiles' colours are quantised.
func Explorer(m ExplorerModel, images []ExplorerImage, opt ExplorerOptions) (Fragment, error) {
	payload, err := explorerPayload(m, images, opt)
	if err != nil {
		return Fragment{}, fmt.Errorf("explorer: %w", err)
	}
	data, err := json.Marshal(payload) // escapes <, > and &: no name can close the script
	if err != nil {
		return Fragment{}, fmt.Errorf("explorer: %w", err)
	}
	pic, err := explorerPicture(m, images[0])
	if err != nil {
		return Fragment{}, fmt.Errorf("explorer: %w", err)
	}
	id := newID()
	var b strings.Builder
	b.Grow(len(data) + len(explorerJS) + len(explorerCSS) + 1024)
	b.WriteString("<style>" + explorerCSS + "</style>")
	fmt.Fprintf(&b, `<div class="cl-ex" id="%s"><p class="cl-ex-noscript" style="color:#a60;font:13px sans-serif">`+
		`The explorer of %s needs JavaScript: run the cell, trust the notebook or open the page with scripts on. `+
		`Without it, the first image's layers:</p><img alt="first channels of every layer" src="%s"></div>`,
		id, esc(m.Name), DataURI(pic))
	b.WriteString(`<p class="cl-ex-foot">Every number shown is the model's own float32 value, embedded exactly; ` +
		`only the drawings are quantised: tiles in 8-bit colour on one scale per layer, Grad-CAM at its map's resolution.</p>`)
	fmt.Fprintf(&b, `<script type="application/json" id="%s-data">%s</script>`, id, data)
	if opt.Live != nil {
		scripts, err := liveScripts(id, opt.Live)
		if err != nil {
			return Fragment{}, fmt.Errorf("explorer: %w", err)
		}
		b.WriteString(scripts)
		fmt.Fprintf(&b, "<script>%s\n%s\nconvlensLive(convlensExplore(%q));</script>", explorerJS, explorerLiveJS, id)
	} else {
		fmt.Fprintf(&b, "<script>%s\nconvlensExplore(%q);</script>", explorerJS, id)
	}
	return Fragment{HTML: b.String(), Pictures: [][]byte{pic}}, nil
}

// ExplorerJSON is the data a live explorer starts from (convlensLive in a page that already
// runs the engine, such as the static site's): what Explorer embeds, the pixels included.
func ExplorerJSON(m ExplorerModel, images []ExplorerImage, opt ExplorerOptions) ([]byte, error) {
	opt.Live = &ExplorerLive{}
	payload, err := explorerPayload(m, images, opt)
	if err != nil {
		return nil, fmt.Errorf("explorer: %w", err)
	}
	return json.Marshal(payload)
}

// ExplorerPage is a standalone page holding the explorer.
func ExplorerPage(m ExplorerModel, images []ExplorerImage, opt ExplorerOptions) (*Page, error) {
	f, err := Explorer(m, images, opt)
	if err != nil {
		return nil, err
	}
	p := &Page{Title: "convlens explorer: " + m.Name,
		Subtitle: "Click a channel tile to see how its values are computed; hover (or use the arrow keys on) the large map to pick a value."}
	p.Add(Section{Title: "Explorer", Note: opt.Note, Body: f})
	return p, nil
}

func explorerPayload(m ExplorerModel, images []ExplorerImage, opt ExplorerOptions) (*explorerJSON, error) {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 24 << 20
	}
	if len(m.Input) != 3 || m.Input[0] < 1 || m.Input[1] < 1 || m.Input[2] < 1 || m.Input[0]*m.Input[1] > MaxImageSide*MaxImageSide {
		return nil, fmt.Errorf("input shape %v, want [H W C]", m.Input)
	}
	if len(m.Layers) == 0 || len(m.Layers) > explorerMaxLayers {
		return nil, fmt.Errorf("%d layers (want 1 to %d)", len(m.Layers), explorerMaxLayers)
	}
	if len(images) == 0 || len(images) > explorerMaxImages {
		return nil, fmt.Errorf("%d images (want 1 to %d)", len(images), explorerMaxImages)
	}
	p := &explorerJSON{Model: m.Name, Input: m.Input, Logits: m.Logits, CAMLayer: opt.CAMLayer, Method: opt.CAMMethod, Note: opt.Note}
	if p.Logits == "" {
		p.Logits = m.Layers[len(m.Layers)-1].Name
	}
	shapes := map[string][]int{ExplorerInput: m.Input}
	for _, l := range m.Layers {
		lj, err := explorerLayer(l, shapes)
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", l.Name, err)
		}
		shapes[l.Name] = l.Shape
		p.Layers = append(p.Layers, lj)
	}
	logits, ok := shapes[p.Logits]
	if !ok || len(logits) != 1 || logits[0] < 2 {
		return nil, fmt.Errorf("logits layer %q: want a layer with a vector output", p.Logits)
	}
	classes := logits[0]
	p.Classes = make([]string, classes)
	for i := range p.Classes {
		if i < len(m.Classes) && m.Classes[i] != "" {
			p.Classes[i] = m.Classes[i]
		} else {
			p.Classes[i] = fmt.Sprintf("class %d", i)
		}
	}
	size := len(explorerJS) + 4096
	for _, l := range p.Layers {
		for _, a := range l.Params {
			size += len(a.B64) * (1 + len(opt.Steps))
		}
	}
	ex, exBytes, err := explorerExamples(opt.Examples, shapes, classes)
	if err != nil {
		return nil, err
	}
	p.Examples, p.ExFrom, size = ex, opt.ExamplesFrom, size+exBytes
	if opt.Live != nil && len(opt.Steps) > 0 {
		return nil, fmt.Errorf("a live page computes one model: no time-lapse steps")
	}
	p.Live = opt.Live != nil
	if len(opt.Steps) > 0 {
		p.StepNow = opt.StepLabel
		if p.StepNow == "" {
			p.StepNow = "now"
		}
	}
	for i, img := range images {
		ij, err := explorerImage(img, shapes, classes)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
		if opt.Live != nil {
			ij.Raw = nd.EncodeFloats(img.Pixels.Data)
		}
		n := imageBytes(ij) * (1 + len(opt.Steps))
		if size+n > opt.MaxBytes {
			if i == 0 {
				return nil, fmt.Errorf("one image needs %s of values and the parameters %s, over the %s budget (largest layers: %s); pick fewer layers or a larger budget",
					bytesText(n), bytesText(size), bytesText(opt.MaxBytes), largestLayers(shapes, 3))
			}
			p.Note = strings.TrimSpace(p.Note + fmt.Sprintf(" %d of %d images embedded (the page's %s budget).", i, len(images), bytesText(opt.MaxBytes)))
			break
		}
		size += n
		p.Images = append(p.Images, ij)
	}
	for i, st := range opt.Steps {
		sj, err := explorerStep(st, images, p, shapes, classes, len(p.Images))
		if err != nil {
			return nil, fmt.Errorf("step %d (%s): %w", i, st.Label, err)
		}
		p.Steps = append(p.Steps, sj)
	}
	return p, nil
}

func explorerLayer(l ExplorerLayer, shapes map[string][]int) (explorerLayerJSON, error) {
	if l.Name == "" || l.Name == ExplorerInput {
		return explorerLayerJSON{}, fmt.Errorf("bad name")
	}
	if _, dup := shapes[l.Name]; dup {
		return explorerLayerJSON{}, fmt.Errorf("name used twice")
	}
	if len(l.Shape) == 0 || len(l.Shape) > 8 {
		return explorerLayerJSON{}, fmt.Errorf("shape %v", l.Shape)
	}
	for _, d := range l.Shape {
		if d < 1 || d > 1<<24 {
			return explorerLayerJSON{}, fmt.Errorf("shape %v", l.Shape)
		}
	}
	if len(l.Inputs) == 0 {
		return explorerLayerJSON{}, fmt.Errorf("no inputs")
	}
	for _, in := range l.Inputs {
		if _, ok := shapes[in]; !ok {
			return explorerLayerJSON{}, fmt.Errorf("input %q is not an earlier layer", in)
		}
	}
	lj := explorerLayerJSON{Name: l.Name, Kind: l.Kind, Inputs: l.Inputs, Shape: l.Shape, Activation: l.Activation,
		Alpha: l.Alpha, Beta: l.Beta, Exponent: l.Exponent, Clip: [2]float64{l.ClipMin, l.ClipMax}, Kernel: l.Kernel,
		Stride: max(l.Stride, 1), Dilation: max(l.Dilation, 1), KernelW: l.KernelW, StrideW: l.StrideW, DilationW: l.DilationW,
		Groups: max(l.Groups, 1), CountPad: l.CountPad, Pads: l.Pads, Epsilon: l.Epsilon, Fill: l.Fill, Axes: l.Axes, Perm: l.Perm,
		Op: l.Op, KeepDims: l.KeepDims, Indices: l.Indices, IndexShape: l.IndexShape, ParamShape: l.ParamShape, ValuesOnly: l.ValuesOnly}
	if l.Kind == "gather" && lj.IndexShape == nil {
		lj.IndexShape = []int{}
	}
	if len(l.Shape) != 1 && len(l.Shape) != 3 { // drawn flat
		lj.Dims, lj.Shape = l.Shape, []int{prodInts(l.Shape)}
	}
	for _, f := range []float64{l.Alpha, l.Beta, l.Exponent, l.ClipMin, l.ClipMax, l.Epsilon, l.Fill} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return explorerLayerJSON{}, fmt.Errorf("non-finite setting %v", f)
		}
	}
	if err := checkExplorerParams(l, shapes); err != nil {
		return explorerLayerJSON{}, err
	}
	if len(l.Params) > 0 {
		lj.Params = map[string]explorerArray{}
		for _, name := range sortedKeys(l.Params) {
			a := l.Params[name]
			lj.Params[name] = explorerArray{Shape: a.Shape, B64: nd.EncodeFloats(a.Data)}
		}
	}
	return lj, nil
}

// checkExplorerParams checks the parameters the page's arithmetic indexes into.
func checkExplorerParams(l ExplorerLayer, shapes map[string][]int) error {
	for name, a := range l.Params {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("param %s: %w", name, err)
		}
	}
	in := shapes[l.Inputs[0]]
	want := map[string][]int{}
	if l.ValuesOnly {
		return nil
	}
	switch l.Kind {
	case "conv2d":
		if len(in) != 3 || len(l.Shape) != 3 || l.Kernel < 1 || max(l.Groups, 1) > in[2] || in[2]%max(l.Groups, 1) != 0 {
			return fmt.Errorf("conv geometry: kernel %d, groups %d, input %v", l.Kernel, l.Groups, in)
		}
		kw := l.Kernel
		if l.KernelW > 0 {
			kw = l.KernelW
		}
		want["weights"] = []int{l.Kernel, kw, in[2] / max(l.Groups, 1), l.Shape[2]}
		want["biases"] = []int{l.Shape[2]}
	case "dense":
		if len(in) != 1 || len(l.Shape) != 1 {
			return fmt.Errorf("dense needs vectors, input %v", in)
		}
		want["weights"] = []int{in[0], l.Shape[0]}
		want["biases"] = []int{l.Shape[0]}
	case "batchnorm", "affine", "prelu":
		c := []int{in[len(in)-1]}
		if l.ParamShape != nil {
			c = l.ParamShape
		}
		names := map[string][]string{"batchnorm": {"gamma", "beta", "moving_mean", "moving_var"}, "affine": {"scale", "shift"}, "prelu": {"slope"}}[l.Kind]
		for _, n := range names {
			want[n] = c
		}
	case "maxpool2d", "avgpool2d":
		if len(in) != 3 || l.Kernel < 1 {
			return fmt.Errorf("pool geometry: kernel %d, input %v", l.Kernel, in)
		}
	}
	for name, shape := range want {
		a, ok := l.Params[name]
		if !ok {
			return fmt.Errorf("missing param %s", name)
		}
		if !slices.Equal(a.Shape, shape) {
			return fmt.Errorf("param %s has shape %v, want %v", name, a.Shape, shape)
		}
	}
	return nil
}

func explorerImage(img ExplorerImage, shapes map[string][]int, classes int) (explorerImageJSON, error) {
	ij := explorerImageJSON{Caption: img.Caption, Values: map[string]string{}}
	px := img.Pixels
	if err := checkImage("image", px, 1, 3); err != nil {
		return ij, err
	}
	r := RangeOf(px.Data, false)
	pic, err := ImagePNG(px, r)
	if err != nil {
		return ij, err
	}
	ij.PNG = DataURI(pic)
	for name, shape := range shapes {
		v, ok := img.Values[name]
		if !ok {
			return ij, fmt.Errorf("no values for %q", name)
		}
		if len(v.Data) != prodInts(shape) {
			return ij, fmt.Errorf("values of %q: %d, want %v", name, len(v.Data), shape)
		}
		ij.Values[name] = nd.EncodeFloats(v.Data)
	}
	for _, c := range img.CAMs {
		if c.Class < 0 || c.Class >= classes {
			return ij, fmt.Errorf("grad-cam class %d outside [0, %d)", c.Class, classes)
		}
		heat := camImage(c.Map)
		png, err := HeatPNG(heat, Viridis, RangeOf(heat.Data, false))
		if err != nil {
			return ij, fmt.Errorf("grad-cam: %w", err)
		}
		ij.CAMs = append(ij.CAMs, explorerCAMJSON{Class: c.Class, PNG: DataURI(png)})
	}
	return ij, nil
}

// camImage views a [h, w] map as [h, w, 1], zeroing non-finite values.
func camImage(a nd.Array) nd.Array {
	if len(a.Shape) == 2 {
		a = nd.Array{Shape: []int{a.Shape[0], a.Shape[1], 1}, Data: a.Data}
	}
	out := nd.Array{Shape: a.Shape, Data: slices.Clone(a.Data)}
	for i, v := range out.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			out.Data[i] = 0
		}
	}
	return out
}

func largestLayers(shapes map[string][]int, n int) string {
	names := sortedKeys(shapes)
	slices.SortStableFunc(names, func(a, b string) int { return prodInts(shapes[b]) - prodInts(shapes[a]) })
	var parts []string
	for _, name := range names[:min(n, len(names))] {
		parts = append(parts, fmt.Sprintf("%s %v", name, shapes[name]))
	}
	return strings.Join(parts, ", ")
}

func bytesText(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func prodInts(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
