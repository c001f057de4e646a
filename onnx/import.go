package onnx

import (
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// Imported is an ONNX model as a convlens spec and the values of its layers' variables.
type Imported struct {
	Spec      *layers.Spec
	Variables map[string]map[string]nd.Array // layer → variable → value
	Opset     int64
	Producer  string
	// Layouts holds each layer's output as the ONNX file sees it.
	Layouts map[string]Layout
}

// Layout is an ONNX tensor's shape per image ([C,H,W] or [K]) and how convlens holds it:
// spatial tensors channels last; a vector flattened from C×H×W (CHW set) in H,W,C order.
type Layout struct {
	Shape []int
	CHW   []int
	// ChannelsLast: the ONNX tensor is [H, W, C] (Shape still lists C, H, W), as convlens holds it.
	ChannelsLast bool
}

// AsONNX rearranges a batch of a layer's outputs [N, convlens shape...] into the ONNX
// file's layout [N, ONNX shape...].
func (imp *Imported) AsONNX(layer string, a nd.Array) (nd.Array, error) {
	l, ok := imp.Layouts[imp.Spec.Resolve(layer)]
	if !ok {
		return nd.Array{}, fmt.Errorf("unknown layer %q", layer)
	}
	if a.Validate() != nil || len(a.Shape) < 2 || prod(a.Shape[1:]) != prod(l.Shape) {
		return nd.Array{}, fmt.Errorf("layer %q: values of shape %v for an ONNX tensor %v", layer, a.Shape, l.Shape)
	}
	n := a.Shape[0]
	out := nd.Array{Shape: append([]int{n}, l.Shape...), Data: slices.Clone(a.Data)}
	if l.ChannelsLast {
		out.Shape = []int{n, l.Shape[1], l.Shape[2], l.Shape[0]}
		return out, nil
	}
	chw := l.CHW
	if len(l.Shape) == 3 {
		chw = l.Shape
	}
	if chw == nil {
		return out, nil
	}
	nd.ChannelsFirst(out.Data, a.Data, n, chw[0], chw[1]*chw[2])
	return out, nil
}

// maxFileBytes bounds the ONNX files read.
const maxFileBytes = 2 << 30

// Open reads an ONNX file and returns it as a convlens model on backend b.
func Open(path string, b *backend.Backend) (*layers.Model, *Imported, error) {
	imp, err := ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	m, err := imp.Model(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, imp, nil
}

// ReadFile decodes and imports an ONNX file.
func ReadFile(path string) (*Imported, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes is larger than the %d bytes convlens reads", path, st.Size(), maxFileBytes)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	imp, err := Import(m, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return imp, nil
}

// Model creates the convlens model with the imported weights.
func (imp *Imported) Model(b *backend.Backend) (*layers.Model, error) {
	m, err := layers.New(imp.Spec, b, 0)
	if err != nil {
		return nil, err
	}
	for _, l := range slices.Sorted(maps.Keys(imp.Variables)) {
		for name, v := range imp.Variables[l] {
			if err := m.SetVariable(l, name, v); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func mapsKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// value is a graph tensor: the convlens layer that makes it and its ONNX shape per image
// ([C,H,W] or [K]). Spatial tensors are channels-last inside convlens; a vector flattened from
// C×H×W (chw) holds its values in H,W,C order.
type value struct {
	layer string
	shape []int
	chw   []int // C, H, W of the tensor flattened into this vector, when H·W > 1
	hwc   bool  // an image in ONNX's NHWC order (a Transpose made it): only Transpose or Flatten may use it
}

func (v value) spatial() bool { return len(v.shape) == 3 && !v.hwc }

type importer struct {
	spec    *layers.Spec
	vars    map[string]map[string]nd.Array
	vals    map[string]value
	consts  map[string]*Tensor
	names   map[string]bool
	layouts map[string]Layout
	opset   int64
	current *Node
}

// supported lists the ops the importer converts.
var supported = map[string]bool{
	"Conv": true, "BatchNormalization": true, "Relu": true, "LeakyRelu": true, "Sigmoid": true, "Tanh": true,
	"Softmax": true, "MaxPool": true, "AveragePool": true, "GlobalAveragePool": true, "Add": true, "Sub": true,
	"Mul": true, "Div": true, "Concat": true, "Flatten": true, "Reshape": true, "Gemm": true, "MatMul": true,
	"Dropout": true, "Identity": true, "Constant": true, "Clip": true, "Pad": true, "Transpose": true, "Shape": true, "Gather": true, "Unsqueeze": true,
}

// Import converts a decoded ONNX model into a convlens spec and its variables.
func Import(m *Model, name string) (*Imported, error) {
	g := &m.Graph
	if len(g.Outputs) == 0 {
		return nil, fmt.Errorf("the graph has no outputs")
	}
	imp := &importer{vals: map[string]value{}, consts: map[string]*Tensor{}, names: map[string]bool{}, layouts: map[string]Layout{}, vars: map[string]map[string]nd.Array{}, opset: m.Opset}
	for i := range g.Initializers {
		imp.consts[g.Initializers[i].Name] = &g.Initializers[i]
	}
	nodes, err := needed(g)
	if err != nil {
		return nil, err
	}
	if err := checkSupported(nodes); err != nil {
		return nil, err
	}
	in, err := imageInput(g, imp.consts)
	if err != nil {
		return nil, err
	}
	c, h, w := int(in.Shape[1]), int(in.Shape[2]), int(in.Shape[3])
	layout := layers.LayoutNCHW
	if channelsLastInput(nodes, in.Name) { // tf2onnx: NHWC images, transposed before the first conv
		h, w, c, layout = int(in.Shape[1]), int(in.Shape[2]), int(in.Shape[3]), layers.LayoutNHWC
	}
	if g.Name != "" {
		name = g.Name
	}
	imp.spec = &layers.Spec{Name: name, Height: h, Width: w, Chans: c, Layout: layout, Aliases: map[string]string{}}
	imp.vals[in.Name] = value{layer: layers.InputName, shape: []int{c, h, w}, hwc: layout == layers.LayoutNHWC}
	for i := range nodes {
		imp.current = &nodes[i]
		if err := imp.convert(&nodes[i]); err != nil {
			n := &nodes[i]
			return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err)
		}
	}
	out, ok := imp.vals[g.Outputs[0].Name]
	if !ok || out.layer == layers.InputName {
		return nil, fmt.Errorf("output %q is not computed from the image", g.Outputs[0].Name)
	}
	if len(out.shape) != 1 {
		return nil, fmt.Errorf("output %q has shape %v per image; convlens needs class scores [classes]", g.Outputs[0].Name, out.shape)
	}
	imp.spec.Output, imp.spec.Classes = out.layer, out.shape[0]
	if err := imp.spec.Validate(); err != nil {
		return nil, err
	}
	return &Imported{Spec: imp.spec, Variables: imp.vars, Opset: m.Opset, Producer: m.Producer, Layouts: imp.layouts}, nil
}

// needed returns, in file order, the nodes the first output depends on.
func needed(g *Graph) ([]Node, error) {
	producer := map[string]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			producer[o] = i
		}
	}
	keep := make([]bool, len(g.Nodes))
	stack := []string{g.Outputs[0].Name}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, ok := producer[t]
		if !ok || keep[i] {
			continue
		}
		keep[i] = true
		stack = append(stack, g.Nodes[i].Inputs...)
	}
	var out []Node
	for i, n := range g.Nodes {
		if keep[i] {
			out = append(out, n)
		}
	}
	// ONNX requires topological order; check it rather than trust it.
	seen := map[string]bool{}
	for _, in := range g.Inputs {
		seen[in.Name] = true
	}
	for _, t := range g.Initializers {
		seen[t.Name] = true
	}
	for _, n := range out {
		for _, in := range n.Inputs {
			if in != "" && !seen[in] {
				return nil, fmt.Errorf("node %q (%s) uses %q before any node makes it (the graph is not topologically sorted or lacks that tensor)", n.Name, n.OpType, in)
			}
		}
		for _, o := range n.Outputs {
			seen[o] = true
		}
	}
	return out, nil
}

// checkSupported lists every unsupported op with the nodes that use it, in one error.
func checkSupported(nodes []Node) error {
	bad := map[string][]string{}
	for _, n := range nodes {
		if (n.Domain != "" && n.Domain != "ai.onnx") || !supported[n.OpType] {
			op := n.OpType
			if n.Domain != "" && n.Domain != "ai.onnx" {
				op = n.Domain + "." + op
			}
			bad[op] = append(bad[op], fmt.Sprintf("%q", n.Name))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(bad)) {
		ns := bad[op]
		if len(ns) > 5 {
			ns = append(ns[:5], fmt.Sprintf("and %d more", len(ns)-5))
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", op, strings.Join(ns, ", ")))
	}
	ops := slices.Sorted(maps.Keys(supported))
	return fmt.Errorf("unsupported ONNX ops: %s; convlens imports %s", strings.Join(parts, "; "), strings.Join(ops, ", "))
}

// channelsLastInput reports whether every use of the input is a Transpose from NHWC to NCHW.
func channelsLastInput(nodes []Node, input string) bool {
	uses := 0
	for _, n := range nodes {
		for _, in := range n.Inputs {
			if in != input {
				continue
			}
			uses++
			if n.OpType != "Transpose" || !slices.Equal(n.Attrs["perm"].Ints, []int64{0, 3, 1, 2}) {
				return false
			}
		}
	}
	return uses > 0
}

// imageInput finds the one graph input that is not an initializer and checks it is an image batch.
func imageInput(g *Graph, consts map[string]*Tensor) (ValueInfo, error) {
	var ins []ValueInfo
	for _, in := range g.Inputs {
		if consts[in.Name] == nil {
			ins = append(ins, in)
		}
	}
	if len(ins) != 1 {
		var names []string
		for _, in := range ins {
			names = append(names, in.Name)
		}
		return ValueInfo{}, fmt.Errorf("the model takes %d inputs %v; convlens needs exactly one image input", len(ins), names)
	}
	in := ins[0]
	if in.ElemType != typeFloat {
		return in, fmt.Errorf("input %q has element type %d; convlens needs float32 images", in.Name, in.ElemType)
	}
	if len(in.Shape) != 4 {
		return in, fmt.Errorf("input %q has shape %v; convlens needs an image batch [N, C, H, W]", in.Name, in.Shape)
	}
	for i, d := range in.Shape[1:] {
		if d < 1 {
			return in, fmt.Errorf("input %q has shape %v: dimension %d is dynamic; only the batch may be", in.Name, in.Shape, i+1)
		}
	}
	if in.Shape[1] > 4096 || in.Shape[2] > 8192 || in.Shape[3] > 8192 {
		return in, fmt.Errorf("input %q has shape %v; convlens needs [N, C, H, W] with at most 4096 channels", in.Name, in.Shape)
	}
	return in, nil
}

var badNameChars = regexp.MustCompile(`[^A-Za-z0-9_./:-]`)

// layerName gives node n a unique, valid convlens layer name (its ONNX name where possible)
// and records its output and original name as aliases.
func (imp *importer) layerName(n *Node) string {
	name := n.Name
	if name == "" && len(n.Outputs) > 0 {
		name = n.Outputs[0]
	}
	name = badNameChars.ReplaceAllString(name, "_")
	if name == "" || strings.ContainsAny(name[:1], ".:-") {
		name = n.OpType + "_" + name
	}
	if len(name) > 190 {
		name = name[:190]
	}
	if strings.HasSuffix(name, layers.PreSuffix) || name == layers.InputName {
		name += "_"
	}
	base := name
	for i := 2; imp.names[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	imp.names[name] = true
	for _, alias := range append([]string{n.Name}, n.Outputs...) {
		if alias != "" && alias != name {
			imp.spec.Aliases[alias] = name
		}
	}
	return name
}

// addLayer appends l (named after the current node, taking its first input unless l names
// its inputs) and records its output value.
func (imp *importer) addLayer(l layers.Layer, out value, vars map[string]nd.Array) {
	l.Name = imp.layerName(imp.current)
	if l.Inputs == nil {
		l.Inputs = []string{imp.vals[imp.current.Inputs[0]].layer}
	}
	out.layer = l.Name
	imp.layouts[l.Name] = Layout{Shape: out.shape, CHW: out.chw, ChannelsLast: out.hwc}
	imp.spec.Layers = append(imp.spec.Layers, l)
	if len(vars) > 0 {
		imp.vars[l.Name] = vars
	}
	imp.vals[imp.current.Outputs[0]] = out
}

// graphInput returns input i as a graph tensor.
func (imp *importer) graphInput(n *Node, i int) (value, error) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return value{}, fmt.Errorf("input %d is missing", i)
	}
	v, ok := imp.vals[n.Inputs[i]]
	if !ok {
		if imp.consts[n.Inputs[i]] != nil {
			return value{}, fmt.Errorf("input %q is a constant where convlens needs a tensor computed from the image", n.Inputs[i])
		}
		return value{}, fmt.Errorf("input %q is unknown", n.Inputs[i])
	}
	return v, nil
}

// constInput returns input i as a constant (nil, nil when it is absent and optional).
func (imp *importer) constInput(n *Node, i int, optional bool) (*Tensor, error) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		if optional {
			return nil, nil
		}
		return nil, fmt.Errorf("input %d is missing", i)
	}
	t := imp.consts[n.Inputs[i]]
	if t == nil {
		return nil, fmt.Errorf("input %q must be a constant (an initializer or a Constant node); convlens imports weights, not computed ones", n.Inputs[i])
	}
	return t, nil
}

func attrInt(n *Node, name string, def int64) int64 {
	if a, ok := n.Attrs[name]; ok {
		return a.Int
	}
	return def
}

func attrFloat(n *Node, name string, def float32) float32 {
	if a, ok := n.Attrs[name]; ok {
		return a.Float
	}
	return def
}

func (imp *importer) convert(n *Node) error {
	if len(n.Outputs) == 0 {
		return fmt.Errorf("the node has no output")
	}
	switch n.OpType {
	case "Constant":
		a, ok := n.Attrs["value"]
		if !ok || a.Tensor == nil {
			if f, ok := n.Attrs["value_float"]; ok {
				a.Tensor = &Tensor{DataType: typeFloat, Floats: []float32{f.Float}}
			} else if i, ok := n.Attrs["value_ints"]; ok {
				a.Tensor = &Tensor{DataType: typeInt64, Dims: []int64{int64(len(i.Ints))}, Ints: i.Ints}
			} else if i, ok := n.Attrs["value_int"]; ok {
				a.Tensor = &Tensor{DataType: typeInt64, Ints: []int64{i.Int}}
			} else {
				return fmt.Errorf("a Constant without a tensor value")
			}
		}
		imp.consts[n.Outputs[0]] = a.Tensor
		return nil
	case "Identity", "Dropout":
		if t := imp.consts[n.Inputs[0]]; t != nil {
			imp.consts[n.Outputs[0]] = t
			return nil
		}
		x, err := imp.graphInput(n, 0)
		if err != nil {
			return err
		}
		imp.addLayer(layers.Layer{Kind: layers.Identity}, x, nil)
		return nil
	case "Relu", "Sigmoid", "Tanh", "LeakyRelu":
		x, err := imp.graphInput(n, 0)
		if err != nil {
			return err
		}
		l := layers.Layer{Kind: layers.Activate, Activation: map[string]layers.Activation{
			"Relu": layers.ReLU, "Sigmoid": layers.Sigmoid, "Tanh": layers.Tanh, "LeakyRelu": layers.LeakyReLU}[n.OpType]}
		if n.OpType == "LeakyRelu" {
			l.Alpha = float64(attrFloat(n, "alpha", 0.01))
		}
		imp.addLayer(l, x, nil)
		return nil
	case "Clip":
		return imp.clip(n)
	case "Pad":
		return imp.pad(n)
	case "Transpose":
		return imp.transpose(n)
	case "Softmax":
		return imp.softmax(n)
	case "Conv":
		return imp.conv(n)
	case "BatchNormalization":
		return imp.batchNorm(n)
	case "MaxPool", "AveragePool":
		return imp.pool(n)
	case "GlobalAveragePool":
		x, err := imp.graphInput(n, 0)
		if err != nil {
			return err
		}
		if !x.spatial() {
			return fmt.Errorf("input has shape %v; GlobalAveragePool needs [C, H, W]", x.shape)
		}
		imp.addLayer(layers.Layer{Kind: layers.GlobalAvgPool, KeepDims: true}, value{shape: []int{x.shape[0], 1, 1}}, nil)
		return nil
	case "Flatten":
		if axis := attrInt(n, "axis", 1); axis != 1 {
			return fmt.Errorf("axis %d; convlens flattens everything but the batch (axis 1)", axis)
		}
		return imp.flatten(n)
	case "Reshape":
		return imp.reshape(n)
	case "Gemm", "MatMul":
		return imp.dense(n)
	case "Add", "Sub", "Mul", "Div":
		return imp.arith(n)
	case "Concat":
		if _, ok := imp.vals[n.Inputs[0]]; !ok {
			return imp.concatConst(n)
		}
		return imp.concat(n)
	case "Shape":
		return imp.shapeOf(n)
	case "Gather":
		return imp.gatherConst(n)
	case "Unsqueeze":
		return imp.unsqueezeConst(n)
	}
	return fmt.Errorf("unsupported op")
}

// clip imports Clip (bounds as attributes before opset 11, constant inputs after; a missing
// bound is ±MaxFloat32).
func (imp *importer) clip(n *Node) error {
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	lo, hi := -math.MaxFloat32, math.MaxFloat32
	if a, ok := n.Attrs["min"]; ok {
		lo = float64(a.Float)
	}
	if a, ok := n.Attrs["max"]; ok {
		hi = float64(a.Float)
	}
	for i, bound := range []*float64{&lo, &hi} {
		t, err := imp.constInput(n, i+1, true)
		if err != nil {
			return err
		}
		if t != nil {
			if len(t.Floats) != 1 {
				return fmt.Errorf("clip bound of shape %v; want a scalar", t.Dims)
			}
			*bound = float64(t.Floats[0])
		}
	}
	imp.addLayer(layers.Layer{Kind: layers.Activate, Activation: layers.Clip, ClipMin: lo, ClipMax: hi}, x, nil)
	return nil
}

// transpose imports the layout changes of channels-last exports: NHWC → NCHW after the input
// and NCHW → NHWC before a Flatten (whose H,W,C order is convlens's own). Both are identities inside.
func (imp *importer) transpose(n *Node) error {
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	perm := n.Attrs["perm"].Ints
	var out value
	switch {
	case x.hwc && slices.Equal(perm, []int64{0, 3, 1, 2}):
		out = value{shape: x.shape}
	case x.spatial() && slices.Equal(perm, []int64{0, 2, 3, 1}):
		out = value{shape: x.shape, hwc: true}
	default:
		return fmt.Errorf("transpose %v of a %v tensor; convlens imports the NHWC↔NCHW transposes around convolutions", perm, x.shape)
	}
	imp.addLayer(layers.Layer{Kind: layers.Identity}, out, nil)
	return nil
}

// pad imports a constant-mode Pad of the height and width axes (pads and value as inputs
// from opset 11, as attributes before).
func (imp *importer) pad(n *Node) error {
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	if !x.spatial() {
		return fmt.Errorf("input has shape %v; convlens pads images [C, H, W]", x.shape)
	}
	if mode := n.Attrs["mode"].String; mode != "" && mode != "constant" {
		return fmt.Errorf("pad mode %q; convlens pads with a constant", mode)
	}
	pads, fill := n.Attrs["pads"].Ints, float64(n.Attrs["value"].Float)
	if t, err := imp.constInput(n, 1, imp.opset < 11); err != nil {
		return err
	} else if t != nil {
		pads = t.Ints
	}
	if t, err := imp.constInput(n, 2, true); err != nil {
		return err
	} else if t != nil {
		if len(t.Floats) != 1 {
			return fmt.Errorf("pad value of shape %v; want a scalar", t.Dims)
		}
		fill = float64(t.Floats[0])
	}
	if len(n.Inputs) > 3 && n.Inputs[3] != "" {
		return fmt.Errorf("Pad with axes; give pads for all four axes")
	}
	if len(pads) != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 {
		return fmt.Errorf("pads %v; convlens pads the height and width of [N, C, H, W] only", pads)
	}
	p := []int{int(pads[2]), int(pads[6]), int(pads[3]), int(pads[7])}
	for _, v := range p {
		if v < 0 {
			return fmt.Errorf("negative pads %v (cropping) are not imported", pads)
		}
	}
	c, h, w := x.shape[0], x.shape[1], x.shape[2]
	imp.addLayer(layers.Layer{Kind: layers.Pad, Pads: p, Fill: fill}, value{shape: []int{c, h + p[0] + p[1], w + p[2] + p[3]}}, nil)
	return nil
}

func (imp *importer) softmax(n *Node) error {
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	def := int64(-1)
	if imp.opset < 13 {
		def = 1
	}
	axis := attrInt(n, "axis", def)
	rank := int64(len(x.shape) + 1)
	if axis < 0 {
		axis += rank
	}
	if axis != 1 || (len(x.shape) == 3 && imp.opset < 13) {
		return fmt.Errorf("softmax over axis %d of a %d-D tensor; convlens takes a softmax over the classes or channels (axis 1)", attrInt(n, "axis", def), rank)
	}
	imp.addLayer(layers.Layer{Kind: layers.Softmax}, x, nil)
	return nil
}

// toHWIO reorders ONNX conv weights [O, I/g, kh, kw] into convlens's [kh, kw, I/g, O].
func toHWIO(w *Tensor) nd.Array {
	o, i, kh, kw := int(w.Dims[0]), int(w.Dims[1]), int(w.Dims[2]), int(w.Dims[3])
	out := nd.New(kh, kw, i, o)
	for a := range o {
		for b := range i {
			for y := range kh {
				for x := range kw {
					out.Data[((y*kw+x)*i+b)*o+a] = w.Floats[((a*i+b)*kh+y)*kw+x]
				}
			}
		}
	}
	return out
}

// window reads the kernel, stride, dilation and padding attributes of a conv or pool on an h×w input.
func window(n *Node, kernel []int64, h, w int, ceil bool) (k, s, d int, pads []int, err error) {
	if len(kernel) != 2 || kernel[0] != kernel[1] || kernel[0] < 1 || kernel[0] > 64 {
		return 0, 0, 0, nil, fmt.Errorf("kernel %v; convlens takes square 2-D kernels up to 64", kernel)
	}
	k = int(kernel[0])
	pair := func(name string) (int, error) {
		a, ok := n.Attrs[name]
		if !ok || len(a.Ints) == 0 {
			return 1, nil
		}
		if len(a.Ints) != 2 || a.Ints[0] != a.Ints[1] || a.Ints[0] < 1 || a.Ints[0] > 64 {
			return 0, fmt.Errorf("%s %v; convlens takes equal values from 1 to 64 on both axes", name, a.Ints)
		}
		return int(a.Ints[0]), nil
	}
	if s, err = pair("strides"); err != nil {
		return
	}
	if d, err = pair("dilations"); err != nil {
		return
	}
	span := (k-1)*d + 1
	pads = []int{0, 0, 0, 0} // top, bottom, left, right
	switch auto := n.Attrs["auto_pad"].String; auto {
	case "", "NOTSET":
		if p := n.Attrs["pads"].Ints; len(p) > 0 {
			if len(p) != 4 {
				return 0, 0, 0, nil, fmt.Errorf("pads %v; want 4 values", p)
			}
			for _, v := range p {
				if v < 0 || v >= int64(span) {
					return 0, 0, 0, nil, fmt.Errorf("pads %v; convlens takes pads from 0 to the kernel span minus one (%d)", p, span-1)
				}
			}
			pads = []int{int(p[0]), int(p[2]), int(p[1]), int(p[3])}
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for axis, in := range []int{h, w} {
			out := (in + s - 1) / s
			total := max((out-1)*s+span-in, 0)
			lo := total / 2
			if auto == "SAME_LOWER" {
				lo = total - total/2
			}
			pads[2*axis], pads[2*axis+1] = lo, total-lo
		}
	default:
		return 0, 0, 0, nil, fmt.Errorf("auto_pad %q", auto)
	}
	if ceil { // ceil_mode: extra high padding for a last, partial window that starts inside the input
		for axis, in := range []int{h, w} {
			lo, hi := pads[2*axis], pads[2*axis+1]
			out := (in+lo+hi-span+s-1)/s + 1
			if (out-1)*s >= in+lo {
				out--
			}
			pads[2*axis+1] = max(hi, (out-1)*s+span-in-lo)
		}
	}
	for _, p := range pads {
		if p >= span {
			return 0, 0, 0, nil, fmt.Errorf("padding %v reaches a whole kernel span (%d); convlens cannot pad that much", pads, span)
		}
	}
	if h+pads[0]+pads[1] < span || w+pads[2]+pads[3] < span {
		return 0, 0, 0, nil, fmt.Errorf("kernel span %d larger than the padded %d×%d input", span, h, w)
	}
	return
}

func (imp *importer) conv(n *Node) error {
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	if !x.spatial() {
		return fmt.Errorf("input has shape %v; Conv needs [C, H, W]", x.shape)
	}
	wt, err := imp.constInput(n, 1, false)
	if err != nil {
		return err
	}
	if len(wt.Dims) != 4 || len(wt.Floats) == 0 {
		return fmt.Errorf("weights of shape %v; want float [O, I/groups, kh, kw]", wt.Dims)
	}
	groups := int(attrInt(n, "group", 1))
	c, h, w := x.shape[0], x.shape[1], x.shape[2]
	if groups < 1 || c%groups != 0 || int(wt.Dims[1])*groups != c {
		return fmt.Errorf("weights %v with %d groups do not fit %d input channels", wt.Dims, groups, c)
	}
	kernel := wt.Dims[2:]
	if ks := n.Attrs["kernel_shape"].Ints; len(ks) > 0 && !slices.Equal(ks, kernel) {
		return fmt.Errorf("kernel_shape %v differs from the weights %v", ks, wt.Dims)
	}
	k, s, d, pads, err := window(n, kernel, h, w, false)
	if err != nil {
		return err
	}
	o := int(wt.Dims[0])
	bias := nd.New(o)
	if bt, err := imp.constInput(n, 2, true); err != nil {
		return err
	} else if bt != nil {
		if len(bt.Floats) != o {
			return fmt.Errorf("bias of %d values for %d filters", len(bt.Floats), o)
		}
		copy(bias.Data, bt.Floats)
	}
	l := layers.Layer{Kind: layers.Conv2D, Filters: o, Kernel: k, Stride: s, Dilation: d, Groups: groups, Padding: layers.Explicit, Pads: pads}
	if slices.Equal(pads, []int{0, 0, 0, 0}) {
		l.Padding, l.Pads = layers.Valid, nil
	}
	span := (k-1)*d + 1
	ho, wo := (h+pads[0]+pads[1]-span)/s+1, (w+pads[2]+pads[3]-span)/s+1
	imp.addLayer(l, value{shape: []int{o, ho, wo}}, map[string]nd.Array{layers.VarWeights: toHWIO(wt), layers.VarBiases: bias})
	return nil
}

func (imp *importer) batchNorm(n *Node) error {
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	if len(n.Outputs) > 1 && n.Outputs[1] != "" {
		return fmt.Errorf("a BatchNormalization in training mode (it has %d outputs); export the model in eval mode", len(n.Outputs))
	}
	c := x.shape[0]
	vars := map[string]nd.Array{}
	for i, name := range []string{layers.VarGamma, layers.VarBeta, layers.VarMovingMean, layers.VarMovingVar} {
		t, err := imp.constInput(n, i+1, false)
		if err != nil {
			return err
		}
		if len(t.Floats) != c {
			return fmt.Errorf("%s has %d values for %d channels", name, len(t.Floats), c)
		}
		vars[name] = x.perChannel(t.Floats)
	}
	eps := float64(attrFloat(n, "epsilon", 1e-5))
	if eps <= 0 {
		eps = 1e-12
	}
	imp.addLayer(layers.Layer{Kind: layers.BatchNorm, Epsilon: eps}, x, vars)
	return nil
}

// perChannel orders per-feature values of x's ONNX layout the way convlens holds x.
func (x value) perChannel(v []float32) nd.Array {
	if x.chw == nil {
		return nd.Array{Shape: []int{len(v)}, Data: slices.Clone(v)}
	}
	out := nd.New(len(v))
	nd.ChannelsLast(out.Data, v, 1, x.chw[0], x.chw[1]*x.chw[2])
	return out
}

func (imp *importer) pool(n *Node) error {
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	if !x.spatial() {
		return fmt.Errorf("input has shape %v; pools need [C, H, W]", x.shape)
	}
	c, h, w := x.shape[0], x.shape[1], x.shape[2]
	k, s, d, pads, err := window(n, n.Attrs["kernel_shape"].Ints, h, w, attrInt(n, "ceil_mode", 0) == 1)
	if err != nil {
		return err
	}
	if d != 1 {
		return fmt.Errorf("dilated pooling (dilations %d)", d)
	}
	kind := layers.MaxPool2D
	if n.OpType == "AveragePool" {
		kind = layers.AvgPool2D
		if attrInt(n, "count_include_pad", 0) == 1 && !slices.Equal(pads, []int{0, 0, 0, 0}) {
			return fmt.Errorf("count_include_pad=1 with padding %v; convlens averages over the cells inside the image", pads)
		}
	}
	if len(n.Outputs) > 1 && n.Outputs[1] != "" {
		return fmt.Errorf("MaxPool with an Indices output")
	}
	l := layers.Layer{Kind: kind, Kernel: k, Stride: s, Padding: layers.Explicit, Pads: pads}
	if slices.Equal(pads, []int{0, 0, 0, 0}) {
		l.Padding, l.Pads = layers.Valid, nil
	}
	ho, wo := (h+pads[0]+pads[1]-k)/s+1, (w+pads[2]+pads[3]-k)/s+1
	imp.addLayer(l, value{shape: []int{c, ho, wo}}, nil)
	return nil
}

func (imp *importer) flatten(n *Node) error {
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	out := value{shape: []int{prod(x.shape)}, chw: x.chw}
	if x.spatial() && x.shape[1]*x.shape[2] > 1 && x.shape[0] > 1 { // (an hwc tensor flattens in convlens's order)
		out.chw = slices.Clone(x.shape)
	}
	imp.addLayer(layers.Layer{Kind: layers.Flatten}, out, nil)
	return nil
}

func (imp *importer) reshape(n *Node) error {
	st, err := imp.constInput(n, 1, false)
	if err != nil {
		return err
	}
	if t := imp.consts[n.Inputs[0]]; t != nil { // a reshaped constant (older exporters' weights)
		dims, err := resolveShape(st.Ints, t.Dims)
		if err != nil {
			return err
		}
		c := *t
		c.Dims = dims
		imp.consts[n.Outputs[0]] = &c
		return nil
	}
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	sh := slices.Clone(st.Ints)
	for i, d := range sh {
		if d == batchDim {
			sh[i] = 0 // the folded batch size: keep it
		}
	}
	size := int64(prod(x.shape))
	ok := len(sh) == 2 && (sh[0] == 0 || sh[0] == -1 || sh[0] == 1) && (sh[1] == -1 || sh[1] == size)
	if sh[0] == -1 && sh[1] == -1 {
		ok = false
	}
	if !ok {
		return fmt.Errorf("reshape of a %v tensor to %v; convlens imports reshapes that flatten each image ([N, -1])", x.shape, sh)
	}
	return imp.flatten(n)
}

// resolveShape applies ONNX Reshape rules (0 copies, -1 infers) to a constant's dimensions.
func resolveShape(shape, dims []int64) ([]int64, error) {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	out := slices.Clone(shape)
	known, infer := int64(1), -1
	for i, d := range out {
		switch {
		case d == 0 && i < len(dims):
			out[i] = dims[i]
		case d == -1 && infer < 0:
			infer = i
			continue
		case d < 1:
			return nil, fmt.Errorf("reshape to %v", shape)
		}
		known *= out[i]
	}
	if infer >= 0 && known > 0 {
		out[infer] = n / known
		known *= out[infer]
	}
	if known != n {
		return nil, fmt.Errorf("reshape of %v values to %v", dims, shape)
	}
	return out, nil
}

func (imp *importer) dense(n *Node) error {
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	if len(x.shape) != 1 {
		return fmt.Errorf("input has shape %v; %s needs a vector per image (flatten first)", x.shape, n.OpType)
	}
	wt, err := imp.constInput(n, 1, false)
	if err != nil {
		return err
	}
	if len(wt.Dims) != 2 || len(wt.Floats) == 0 {
		return fmt.Errorf("weights of shape %v; want a float matrix", wt.Dims)
	}
	in, units := int(wt.Dims[0]), int(wt.Dims[1])
	transB := n.OpType == "Gemm" && attrInt(n, "transB", 0) == 1
	if transB {
		in, units = units, in
	}
	if n.OpType == "Gemm" && attrInt(n, "transA", 0) != 0 {
		return fmt.Errorf("Gemm with transA")
	}
	if in != x.shape[0] {
		return fmt.Errorf("weights %v do not fit an input of %d values", wt.Dims, x.shape[0])
	}
	alpha, beta := float32(1), float32(1)
	if n.OpType == "Gemm" {
		alpha, beta = attrFloat(n, "alpha", 1), attrFloat(n, "beta", 1)
	}
	weights := nd.New(in, units)
	for r := range in {
		for u := range units {
			v := wt.Floats[r*units+u]
			if transB {
				v = wt.Floats[u*in+r]
			}
			weights.Data[r*units+u] = alpha * v
		}
	}
	if x.chw != nil { // rows follow the ONNX C,H,W order; convlens flattened H,W,C
		c, hw := x.chw[0], x.chw[1]*x.chw[2]
		perm := nd.New(in, units)
		for ci := range c {
			for p := range hw {
				copy(perm.Data[(p*c+ci)*units:][:units], weights.Data[(ci*hw+p)*units:][:units])
			}
		}
		weights = perm
	}
	bias := nd.New(units)
	if n.OpType == "Gemm" {
		bt, err := imp.constInput(n, 2, true)
		if err != nil {
			return err
		}
		if bt != nil {
			switch len(bt.Floats) {
			case 1:
				for i := range bias.Data {
					bias.Data[i] = beta * bt.Floats[0]
				}
			case units:
				for i := range bias.Data {
					bias.Data[i] = beta * bt.Floats[i]
				}
			default:
				return fmt.Errorf("bias of shape %v for %d units", bt.Dims, units)
			}
		}
	}
	imp.addLayer(layers.Layer{Kind: layers.Dense, Units: units}, value{shape: []int{units}}, map[string]nd.Array{layers.VarWeights: weights, layers.VarBiases: bias})
	return nil
}

func (imp *importer) arith(n *Node) error {
	if len(n.Inputs) != 2 {
		return fmt.Errorf("%d inputs; want 2", len(n.Inputs))
	}
	a, aok := imp.vals[n.Inputs[0]]
	b, bok := imp.vals[n.Inputs[1]]
	switch {
	case aok && bok && n.OpType == "Mul":
		if len(a.shape) != len(b.shape) || a.hwc || b.hwc || a.chw != nil || b.chw != nil {
			return fmt.Errorf("Mul of shapes %v and %v; convlens multiplies tensors of one rank", a.shape, b.shape)
		}
		out := value{shape: slices.Clone(a.shape)}
		for i, d := range b.shape {
			switch {
			case d == out.shape[i] || d == 1:
			case out.shape[i] == 1:
				out.shape[i] = d
			default:
				return fmt.Errorf("Mul of shapes %v and %v: axes must agree or be 1", a.shape, b.shape)
			}
		}
		imp.addLayer(layers.Layer{Kind: layers.Multiply, Inputs: []string{a.layer, b.layer}}, out, nil)
		return nil
	case aok && bok:
		if n.OpType != "Add" {
			return fmt.Errorf("%s of two tensors computed from the image; convlens imports Add and Mul of two tensors and %s by a constant", n.OpType, n.OpType)
		}
		if !slices.Equal(a.shape, b.shape) || a.hwc != b.hwc || !slices.Equal(a.chw, b.chw) {
			return fmt.Errorf("Add of shapes %v and %v; convlens adds tensors of one shape", a.shape, b.shape)
		}
		inputs := []string{a.layer, b.layer}
		imp.addLayer(layers.Layer{Kind: layers.Add, Inputs: inputs}, a, nil)
		return nil
	case !aok && !bok:
		return fmt.Errorf("%s of two constants; convlens imports arithmetic on tensors computed from the image", n.OpType)
	}
	x, ci, constFirst := a, 1, false
	if !aok {
		x, ci, constFirst = b, 0, true
	}
	t, err := imp.constInput(n, ci, false)
	if err != nil {
		return err
	}
	c, err := x.broadcastPerChannel(t)
	if err != nil {
		return err
	}
	scale, shift := nd.New(len(c)), nd.New(len(c))
	for i, v := range c {
		sc, sh := float32(1), float32(0)
		switch {
		case n.OpType == "Add":
			sh = v
		case n.OpType == "Mul":
			sc = v
		case n.OpType == "Sub" && !constFirst:
			sh = -v
		case n.OpType == "Sub":
			sc, sh = -1, v
		case n.OpType == "Div" && !constFirst:
			sc = 1 / v
		default:
			return fmt.Errorf("division of a constant by a tensor")
		}
		scale.Data[i], shift.Data[i] = sc, sh
	}
	if err := nd.CheckFinite("the constant of "+n.OpType, append(slices.Clone(scale.Data), shift.Data...)); err != nil {
		return err
	}
	l := layers.Layer{Kind: layers.Affine, Inputs: []string{x.layer}}
	imp.addLayer(l, x, map[string]nd.Array{layers.VarScale: scale, layers.VarShift: shift})
	return nil
}

// broadcastPerChannel expands a constant that broadcasts per channel (or per feature of a
// vector) onto x into one value per convlens channel.
func (x value) broadcastPerChannel(t *Tensor) ([]float32, error) {
	if len(t.Floats) == 0 {
		return nil, fmt.Errorf("constant %q is not a float tensor", t.Name)
	}
	dims := slices.Clone(t.Dims)
	for len(dims) > len(x.shape) && dims[0] == 1 {
		dims = dims[1:]
	}
	c := x.shape[0] // channels of an image, features of a vector
	if len(t.Floats) == 1 {
		return slices.Repeat(t.Floats[:1], c), nil
	}
	perChannel := len(x.shape) == 3 && slices.Equal(dims, []int64{int64(c), 1, 1})
	perFeature := len(x.shape) == 1 && slices.Equal(dims, []int64{int64(c)})
	if !perChannel && !perFeature {
		return nil, fmt.Errorf("constant of shape %v on a tensor of shape %v; convlens imports a scalar or one value per channel", t.Dims, x.shape)
	}
	return x.perChannel(t.Floats).Data, nil
}

func (imp *importer) concat(n *Node) error {
	var vs []value
	var inputs []string
	for i := range n.Inputs {
		v, err := imp.graphInput(n, i)
		if err != nil {
			return err
		}
		if v.chw != nil || v.hwc || (len(vs) > 0 && len(v.shape) != len(vs[0].shape)) {
			return fmt.Errorf("concat of shapes that convlens cannot join along channels")
		}
		vs = append(vs, v)
		inputs = append(inputs, v.layer)
	}
	if len(vs) < 2 {
		return fmt.Errorf("concat of %d tensors", len(vs))
	}
	axis := attrInt(n, "axis", 1)
	if axis < 0 {
		axis += int64(len(vs[0].shape) + 1)
	}
	if axis != 1 {
		return fmt.Errorf("concat along axis %d; convlens joins along channels (axis 1)", attrInt(n, "axis", 1))
	}
	out := slices.Clone(vs[0].shape)
	for _, v := range vs[1:] {
		if !slices.Equal(v.shape[1:], out[1:]) {
			return fmt.Errorf("concat of shapes %v and %v", vs[0].shape, v.shape)
		}
		out[0] += v.shape[0]
	}
	imp.addLayer(layers.Layer{Kind: layers.Concat, Inputs: inputs}, value{shape: out}, nil)
	return nil
}

func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}
