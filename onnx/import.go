package onnx

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// Opsets convlens reads: the default domain's versions 7 to 21.
const (
	MinOpset = 7
	MaxOpset = 21
)

// Options adjust an import.
type Options struct {
	// Height and Width fix an input whose spatial size is dynamic.
	Height, Width int
	// Output names the graph output to use (default: the first).
	Output string
	// AnyInput accepts an input of rank 1 to 5 that is not an image batch: the whole tensor
	// is one example, held as an H×W×C "image" of its trailing axes (ONNX's conformance
	// cases use it; CNNs take images).
	AnyInput bool
}

// Imported is an ONNX model as a convlens spec and the values of its layers' variables
// (Open hands those to the model it makes and clears them).
type Imported struct {
	Spec      *layers.Spec
	Variables map[string]map[string]nd.Array // layer → variable → value
	Opset     int64
	Producer  string
	// Layouts holds each layer's output as the ONNX file sees it.
	Layouts map[string]Layout
	// Output is the graph output the model computes; Outputs lists them all.
	Output  string
	Outputs []string
	// Probabilities: the output is a softmax (the model's logits are its input).
	Probabilities bool
	// Notices are things a user should know about the import (one line each).
	Notices []string
}

// Layout is a layer output's ONNX shape for one image (a batch axis counts 1) and how
// convlens stores it.
type Layout struct {
	Shape []int
	l     layout
}

// batchAxis is the ONNX axis holding the batch: the tracked one, else a leading 1 (-1: none).
func (l Layout) batchAxis() int {
	switch {
	case l.l.batch >= 0:
		return l.l.batch
	case len(l.Shape) > 0 && l.Shape[0] == 1:
		return 0
	}
	return -1
}

// Batched is the ONNX shape of n images' values: the batch axis becomes n; a tensor
// without one is the file's own for one image, and gets a leading n for more.
func (l Layout) Batched(n int) []int {
	b := l.batchAxis()
	if b < 0 {
		if n == 1 {
			return slices.Clone(l.Shape)
		}
		return append([]int{n}, l.Shape...)
	}
	out := slices.Clone(l.Shape)
	out[b] = n
	return out
}

// AsONNX rearranges a batch of a layer's outputs [N, convlens shape...] into the ONNX
// file's layout (Layout.Batched).
func (imp *Imported) AsONNX(layer string, a nd.Array) (nd.Array, error) {
	l, ok := imp.Layouts[imp.Spec.Resolve(layer)]
	if !ok {
		return nd.Array{}, fmt.Errorf("unknown layer %q", layer)
	}
	size := prod(l.Shape)
	if a.Validate() != nil || len(a.Shape) < 2 || prod(a.Shape[1:]) != size {
		return nd.Array{}, fmt.Errorf("layer %q: values of shape %v for an ONNX tensor %v", layer, a.Shape, l.Shape)
	}
	n := a.Shape[0]
	out := nd.Array{Shape: l.Batched(n), Data: make([]float32, len(a.Data))}
	idx := l.l.onnxIndex()
	inner := size
	if b := l.batchAxis(); b >= 0 {
		inner = prod(l.Shape[b+1:])
	}
	for i := range n {
		src := a.Data[i*size : (i+1)*size]
		for p, j := range idx {
			// Image i's element j sits at (outer, i, inner) of the batched tensor.
			out.Data[((j/inner)*n+i)*inner+j%inner] = src[p]
		}
	}
	return out, nil
}

// maxFileBytes bounds the ONNX files read.
const maxFileBytes = 2 << 30

// Open reads an ONNX file and returns it as a convlens model on backend b.
func Open(path string, b *backend.Backend, opts ...Options) (*layers.Model, *Imported, error) {
	imp, err := ReadFile(path, opts...)
	if err != nil {
		return nil, nil, err
	}
	m, err := imp.Model(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	imp.Variables = nil // the model holds them now; a large model's weights are not kept twice
	return m, imp, nil
}

// ReadFile decodes and imports an ONNX file (and its external data files).
func ReadFile(path string, opts ...Options) (*Imported, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
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
	if err := loadExternal(m, filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	imp, err := Import(m, name, o)
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
		for _, name := range slices.Sorted(maps.Keys(imp.Variables[l])) {
			if err := m.SetVariable(l, name, imp.Variables[l][name]); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// value is a tensor computed from the image: the convlens layer that makes it and how it
// holds the ONNX tensor.
type value struct {
	layer string
	lay   layout
}

type importer struct {
	spec    *layers.Spec
	vars    map[string]map[string]nd.Array
	vals    map[string]value
	consts  map[string]*Tensor
	names   map[string]bool
	layouts map[string]Layout
	opset   int64
	current *Node
	notices []string
	// dynamic: the input's batch is not fixed at 1, so ops must keep images apart.
	dynamic  bool
	producer string
	outputs  []string
}

// Import converts a decoded ONNX model into a convlens spec and its variables.
func Import(m *Model, name string, opts Options) (*Imported, error) {
	g := &m.Graph
	if len(g.Outputs) == 0 {
		return nil, fmt.Errorf("the graph has no outputs")
	}
	if err := inlineFunctions(m); err != nil {
		return nil, err
	}
	imp := &importer{vals: map[string]value{}, consts: map[string]*Tensor{}, names: map[string]bool{},
		layouts: map[string]Layout{}, vars: map[string]map[string]nd.Array{}, opset: m.Opset, producer: m.Producer}
	switch {
	case m.Opset < 0:
		return nil, fmt.Errorf("the model declares no opset for the default ONNX domain")
	case m.Opset < MinOpset:
		return nil, fmt.Errorf("opset %d is older than convlens reads (%d to %d); convert it with onnx.version_converter", m.Opset, MinOpset, MaxOpset)
	case m.Opset > MaxOpset:
		imp.notices = append(imp.notices, fmt.Sprintf("opset %d is newer than the %d to %d convlens knows; its ops are read as opset %d defines them", m.Opset, MinOpset, MaxOpset, MaxOpset))
	}
	for i := range g.Initializers {
		imp.consts[g.Initializers[i].Name] = &g.Initializers[i]
	}
	var outputs []string
	for _, o := range g.Outputs {
		outputs = append(outputs, o.Name)
	}
	imp.outputs = outputs
	output := outputs[0]
	if opts.Output != "" {
		if !slices.Contains(outputs, opts.Output) {
			return nil, fmt.Errorf("no output %s; the model's outputs are %s", quote(opts.Output), quoteAll(outputs))
		}
		output = opts.Output
	} else if len(outputs) > 1 {
		imp.notices = append(imp.notices, fmt.Sprintf("the model has %d outputs (%s); convlens uses the first, %s (pick another with -output)", len(outputs), quoteAll(outputs), quote(output)))
	}
	nodes, err := needed(g, output)
	if err != nil {
		return nil, err
	}
	if err := checkSupported(nodes); err != nil {
		return nil, err
	}
	in, err := imageInput(g, imp.consts, opts)
	if opts.AnyInput && err != nil && in.Name != "" && len(in.Shape) != 4 && in.ElemType == typeFloat {
		return imp.tensorInput(in, nodes, output, name)
	}
	if err != nil {
		return nil, err
	}
	dims := dimsInt(in.Shape)
	dims[0] = 1
	spec := &layers.Spec{Name: name, Layout: layers.LayoutNCHW, Aliases: map[string]string{}}
	order := []int{2, 3, 1}
	if channelsLastInput(nodes, in.Name) { // tf2onnx and Keras: NHWC images, transposed before the first conv
		spec.Layout, order = layers.LayoutNHWC, []int{1, 2, 3}
	}
	spec.Height, spec.Width, spec.Chans = dims[order[0]], dims[order[1]], dims[order[2]]
	if g.Name != "" {
		spec.Name = g.Name
	}
	imp.spec = spec
	imp.dynamic = in.Shape[0] != 1
	input := stored(dims, order)
	if imp.dynamic {
		input.batch = 0
	}
	imp.vals[in.Name] = value{layer: layers.InputName, lay: input}
	return imp.convertAll(nodes, output, m)
}

// tensorInput imports a model whose input is a tensor of any rank (Options.AnyInput).
func (imp *importer) tensorInput(in ValueInfo, nodes []Node, output, name string) (*Imported, error) {
	dims := dimsInt(in.Shape)
	if len(dims) < 1 || len(dims) > 5 {
		return nil, fmt.Errorf("input %s has shape %v", quote(in.Name), in.Shape)
	}
	for _, d := range dims {
		if d < 1 || d > 1<<20 {
			return nil, fmt.Errorf("input %s has shape %v: convlens takes static tensor inputs", quote(in.Name), in.Shape)
		}
	}
	hwc := []int{1, 1, 1}
	switch len(dims) {
	case 1:
		hwc[2] = dims[0]
	case 2:
		hwc[1], hwc[2] = dims[0], dims[1]
	default:
		hwc = []int{prod(dims[:len(dims)-2]), dims[len(dims)-2], dims[len(dims)-1]}
	}
	imp.spec = &layers.Spec{Name: name, Layout: layers.LayoutNHWC, Aliases: map[string]string{}, Height: hwc[0], Width: hwc[1], Chans: hwc[2]}
	lay := canonical(dims)
	v := value{layer: layers.InputName, lay: lay}
	if !slices.Equal(lay.shape(), hwc) {
		imp.current = &Node{Name: "input/tensor", OpType: "Reshape"}
		l := layers.Layer{Name: imp.layerName("input/tensor"), Kind: layers.Reshape, Shape: lay.shape()}
		imp.addLayer(l, []value{{layer: layers.InputName, lay: stored([]int{1, hwc[0], hwc[1], hwc[2]}, []int{1, 2, 3})}}, lay, nil)
		v.layer = l.Name
	}
	imp.vals[in.Name] = v
	return imp.convertAll(nodes, output, nil)
}

// convertAll converts the nodes and finishes the spec with the output.
func (imp *importer) convertAll(nodes []Node, output string, m *Model) (imported *Imported, err error) {
	defer func() { // a file no converter foresaw is an error, never a crash
		if r := recover(); r != nil {
			n := imp.current
			imported, err = nil, fmt.Errorf("node %s (%s): cannot import it (%v)", quote(n.Name), quote(n.OpType), r)
		}
	}()
	for i := range nodes {
		n := &nodes[i]
		imp.current = n
		if err := imp.node(n); err != nil {
			return nil, fmt.Errorf("node %s (%s): %w", quote(n.Name), quote(n.OpType), err)
		}
	}
	out, ok := imp.vals[output]
	if !ok || out.layer == layers.InputName {
		return nil, fmt.Errorf("output %s is not computed from the image", quote(output))
	}
	if imp.dynamic && out.lay.batch != 0 {
		return nil, fmt.Errorf("output %s of shape %v does not keep the batch in its first axis; convlens runs each image on its own", quote(output), out.lay.dims)
	}
	probs, err := imp.finish(output, out)
	if err != nil {
		return nil, err
	}
	imp.prune()
	if err := imp.spec.Validate(); err != nil {
		return nil, err
	}
	return &Imported{Spec: imp.spec, Variables: imp.vars, Opset: imp.opset, Producer: imp.producer, Layouts: imp.layouts,
		Output: output, Outputs: imp.outputs, Probabilities: probs, Notices: imp.notices}, nil
}

// finish makes out the spec's output: a vector of class scores. A softmax at the end
// (possibly through Identity nodes) makes the output probabilities; other shapes are read
// as a vector.
func (imp *importer) finish(name string, out value) (probs bool, err error) {
	l, _, _ := imp.spec.Layer(out.layer)
	for l.Kind == layers.Identity {
		src, _, ok := imp.spec.Layer(l.Inputs[0])
		if !ok {
			break
		}
		l = src
	}
	if l.Kind == layers.Softmax && len(imp.layouts[l.Name].l.store) == 1 {
		imp.spec.Output = l.Name
		imp.spec.Aliases[name] = l.Name
		in := imp.layouts[l.Inputs[0]]
		imp.spec.Classes = prod(in.Shape)
		return true, nil
	}
	if ol, _, _ := imp.spec.Layer(out.layer); len(out.lay.store) != 1 || ol.Activation != layers.Linear {
		imp.current = &Node{Name: name + "/scores", Outputs: []string{name}}
		flat := out.lay
		flat.store = [][]int{flat.seq()}
		if len(out.lay.store) != 1 {
			imp.notices = append(imp.notices, fmt.Sprintf("output %s of shape %v is read as %d scores", quote(name), out.lay.dims, prod(out.lay.dims)))
		}
		out = imp.emit(layers.Layer{Kind: layers.Reshape, Shape: flat.shape()}, []value{out}, flat, nil)
	}
	imp.spec.Output = out.layer
	imp.spec.Classes = prod(out.lay.dims)
	if imp.spec.Classes < 2 {
		return false, fmt.Errorf("output %s has %d value per image; convlens needs class scores", quote(name), imp.spec.Classes)
	}
	return false, nil
}

// prune drops the layers the output does not depend on (the other parts of a Split).
func (imp *importer) prune() {
	s := imp.spec
	index := map[string]int{}
	for i, l := range s.Layers {
		index[l.Name] = i
	}
	used := map[string]bool{s.Output: true}
	for i := len(s.Layers) - 1; i >= 0; i-- {
		if l := s.Layers[i]; used[l.Name] {
			for _, in := range l.Inputs {
				used[in] = true
			}
		}
	}
	var kept []layers.Layer
	for _, l := range s.Layers {
		if used[l.Name] {
			kept = append(kept, l)
			continue
		}
		delete(imp.layouts, l.Name)
		delete(imp.vars, l.Name)
	}
	s.Layers = kept
	for alias, name := range s.Aliases {
		if !used[name] {
			delete(s.Aliases, alias)
		}
	}
}

// node converts one node: folded when every input is a constant, else through its converter.
func (imp *importer) node(n *Node) error {
	if len(n.Outputs) == 0 {
		return fmt.Errorf("the node has no output")
	}
	if n.OpType == "Constant" {
		t, err := constantValue(n)
		if err != nil {
			return err
		}
		imp.consts[n.Outputs[0]] = t
		return nil
	}
	allConst := true
	var ins []*Tensor
	for _, in := range n.Inputs {
		if in == "" {
			ins = append(ins, nil)
			continue
		}
		t := imp.consts[in]
		if t == nil {
			allConst = false
		}
		ins = append(ins, t)
	}
	if n.OpType == "Shape" || n.OpType == "Size" { // static shapes of computed tensors fold too
		if v, ok := imp.vals[n.Inputs[0]]; ok {
			dims := dims64(v.lay.dims)
			if v.lay.batch >= 0 { // a dynamic batch folds as a marker that only a Reshape may take
				if n.OpType == "Size" {
					return fmt.Errorf("the size of a tensor with a dynamic batch")
				}
				dims[v.lay.batch] = batchMark
			}
			ins[0], allConst = &Tensor{Dims: dims, DataType: typeFloat}, true
		}
	}
	if allConst && len(n.Inputs) > 0 {
		outs, ok, err := imp.fold(n, ins)
		if err != nil {
			return err
		}
		if ok {
			for i, t := range outs {
				if i < len(n.Outputs) && n.Outputs[i] != "" {
					t.Name = n.Outputs[i]
					imp.consts[n.Outputs[i]] = t
				}
			}
			return nil
		}
	}
	conv, ok := converters[n.OpType]
	if !ok {
		return fmt.Errorf("unsupported op")
	}
	return conv(imp, n)
}

// constantValue reads a Constant node's tensor.
func constantValue(n *Node) (*Tensor, error) {
	if a, ok := n.Attrs["value"]; ok && a.Tensor != nil {
		return a.Tensor, nil
	}
	if a, ok := n.Attrs["value_float"]; ok {
		return &Tensor{DataType: typeFloat, Floats: []float32{a.Float}}, nil
	}
	if a, ok := n.Attrs["value_floats"]; ok {
		return &Tensor{DataType: typeFloat, Dims: []int64{int64(len(a.Floats))}, Floats: a.Floats}, nil
	}
	if a, ok := n.Attrs["value_int"]; ok {
		return &Tensor{DataType: typeInt64, Ints: []int64{a.Int}}, nil
	}
	if a, ok := n.Attrs["value_ints"]; ok {
		return &Tensor{DataType: typeInt64, Dims: []int64{int64(len(a.Ints))}, Ints: a.Ints}, nil
	}
	return nil, fmt.Errorf("a Constant without a tensor value")
}

// needed returns, in file order, the nodes the output depends on.
func needed(g *Graph, output string) ([]Node, error) {
	producer := map[string]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			producer[o] = i
		}
	}
	keep := make([]bool, len(g.Nodes))
	stack := []string{output}
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
				return nil, fmt.Errorf("node %s (%s) uses %s before any node makes it (the graph is not topologically sorted or lacks that tensor)", quote(n.Name), quote(n.OpType), quote(in))
			}
		}
		for _, o := range n.Outputs {
			seen[o] = true
		}
	}
	return out, nil
}

// SupportedOps lists the ONNX ops convlens imports (from the converter table).
func SupportedOps() []string {
	return slices.Sorted(maps.Keys(converters))
}

// checkSupported lists every unsupported op with the nodes that use it, in one error.
func checkSupported(nodes []Node) error {
	bad := map[string][]string{}
	for _, n := range nodes {
		_, ok := converters[n.OpType]
		if (n.Domain != "" && n.Domain != "ai.onnx") || !ok && n.OpType != "Constant" {
			op := n.OpType
			if n.Domain != "" && n.Domain != "ai.onnx" {
				op = n.Domain + "." + op
			}
			bad[op] = append(bad[op], quote(n.Name))
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
		parts = append(parts, fmt.Sprintf("%s (%s)", quote(op), strings.Join(ns, ", ")))
	}
	return fmt.Errorf("unsupported ONNX ops: %s; convlens imports %s", strings.Join(parts, "; "), strings.Join(SupportedOps(), ", "))
}

// quote prints a name read from a file safely (Go syntax, escapes and all).
func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return fmt.Sprintf("%q", s)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return strings.Join(q, ", ")
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

// imageInput finds the one graph input that is not an initializer and checks it is an
// image batch [N, C, H, W] (or [N, H, W, C]); dynamic sizes come from opts.
func imageInput(g *Graph, consts map[string]*Tensor, opts Options) (ValueInfo, error) {
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
		return ValueInfo{}, fmt.Errorf("the model takes %d inputs (%s); convlens needs exactly one image input", len(ins), quoteAll(names))
	}
	in := ins[0]
	in.Shape = slices.Clone(in.Shape)
	if in.ElemType != typeFloat {
		return in, fmt.Errorf("input %s has element type %d; convlens needs float32 images", quote(in.Name), in.ElemType)
	}
	if len(in.Shape) != 4 {
		return in, fmt.Errorf("input %s has shape %v; convlens needs an image batch [N, C, H, W]", quote(in.Name), in.Shape)
	}
	if in.Shape[0] > 1 {
		return in, fmt.Errorf("input %s has shape %v: a batch fixed at %d; export with batch 1 or a dynamic batch", quote(in.Name), in.Shape, in.Shape[0])
	}
	hAxis, wAxis := 2, 3
	if in.Shape[3] >= 1 && in.Shape[3] <= 4 && (in.Shape[1] < 1 || in.Shape[1] > 4) { // [N, H, W, C]
		hAxis, wAxis = 1, 2
	}
	for i, d := range in.Shape[1:] {
		axis := i + 1
		if d >= 1 {
			continue
		}
		switch {
		case axis == hAxis && opts.Height > 0:
			in.Shape[axis] = int64(opts.Height)
		case axis == wAxis && opts.Width > 0:
			in.Shape[axis] = int64(opts.Width)
		case axis == hAxis || axis == wAxis:
			return in, fmt.Errorf("input %s has shape %v: its height and width are dynamic; give the size to use (-input-size HxW)", quote(in.Name), in.Shape)
		default:
			return in, fmt.Errorf("input %s has shape %v: dimension %d is dynamic; only the batch, height and width may be", quote(in.Name), in.Shape, axis)
		}
	}
	for _, d := range in.Shape[1:] {
		if d > 16384 {
			return in, fmt.Errorf("input %s has shape %v; convlens takes sides up to 16384", quote(in.Name), in.Shape)
		}
	}
	return in, nil
}

var badNameChars = regexp.MustCompile(`[^A-Za-z0-9_./:-]`)

// layerName gives a unique, valid convlens layer name made from name.
func (imp *importer) layerName(name string) string {
	name = badNameChars.ReplaceAllString(name, "_")
	if name == "" || strings.ContainsAny(name[:1], ".:-") {
		name = "n_" + name
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
	return name
}

// nodeName is the name of the current node's layers ("<node>" or "<node>/<part>").
func (imp *importer) nodeName(part string) string {
	n := imp.current
	name := n.Name
	if name == "" && len(n.Outputs) > 0 {
		name = n.Outputs[0]
	}
	if name == "" {
		name = n.OpType
	}
	if part != "" {
		name += "/" + part
	}
	return imp.layerName(name)
}

// emit adds layer l (named after the current node) reading ins, making the node's first
// output with layout out; vars are its variables.
func (imp *importer) emit(l layers.Layer, ins []value, out layout, vars map[string]nd.Array) value {
	return imp.emitOutput(0, l, ins, out, vars)
}

// emitOutput is emit for the node's output i.
func (imp *importer) emitOutput(i int, l layers.Layer, ins []value, out layout, vars map[string]nd.Array) value {
	n := imp.current
	part := ""
	if i > 0 {
		part = fmt.Sprint(i)
	}
	l.Name = imp.nodeName(part)
	imp.addLayer(l, ins, out, vars)
	aliases := []string{}
	if i == 0 && n.Name != "" {
		aliases = append(aliases, n.Name)
	}
	if i < len(n.Outputs) && n.Outputs[i] != "" {
		aliases = append(aliases, n.Outputs[i])
	}
	for _, a := range aliases {
		if a != l.Name {
			imp.spec.Aliases[a] = l.Name
		}
	}
	v := value{layer: l.Name, lay: out}
	if i < len(n.Outputs) && n.Outputs[i] != "" {
		imp.vals[n.Outputs[i]] = v
	}
	return v
}

// addLayer appends l with the given inputs and output layout.
func (imp *importer) addLayer(l layers.Layer, ins []value, out layout, vars map[string]nd.Array) {
	l.Inputs = nil
	for _, v := range ins {
		l.Inputs = append(l.Inputs, v.layer)
	}
	imp.layouts[l.Name] = Layout{Shape: slices.Clone(out.dims), l: out}
	imp.spec.Layers = append(imp.spec.Layers, l)
	if len(vars) > 0 {
		imp.vars[l.Name] = vars
	}
}

// arrange holds v with ONNX axes order as its storage axes (see layout.arrange), adding
// the layers that move the data when it is not so already.
func (imp *importer) arrange(v value, order []int) (value, error) {
	out, moves, err := v.lay.arrange(order)
	if err != nil {
		return value{}, err
	}
	for i, mv := range moves {
		if mv.split != nil {
			split := v.lay
			split.store = nil
			for _, f := range split.nonUnit(v.lay.seq()) {
				split.store = append(split.store, []int{f})
			}
			if len(split.store) == 0 {
				split.store = v.lay.store
			}
			name := imp.nodeName("split")
			imp.addLayer(layers.Layer{Name: name, Kind: layers.Reshape, Shape: mv.split}, []value{v}, split, nil)
			v = value{layer: name, lay: split}
		}
		l := layers.Layer{Kind: layers.Reshape, Shape: mv.shape}
		if mv.perm != nil && !isIdentityPerm(mv.perm) {
			l.Perm = mv.perm
		}
		l.Name = imp.nodeName(fmt.Sprintf("arrange%s", map[bool]string{true: "", false: fmt.Sprint(i)}[i == 0]))
		imp.addLayer(l, []value{v}, out, nil)
		v = value{layer: l.Name, lay: out}
	}
	v.lay = out
	return v, nil
}

func isIdentityPerm(p []int) bool {
	for i, v := range p {
		if i != v {
			return false
		}
	}
	return true
}

// image holds v as a convlens image [H, W, C] (an NCHW tensor [1, C, H, W]).
func (imp *importer) image(v value, op string) (value, error) {
	if v.lay.rank() != 4 || v.lay.dims[0] != 1 {
		return value{}, fmt.Errorf("input has shape %v; %s needs an image [N, C, H, W]", v.lay.dims, op)
	}
	if imp.dynamic && v.lay.batch != 0 {
		return value{}, fmt.Errorf("%s needs the batch in axis 0 of [N, C, H, W]; this tensor carries it in axis %d", op, v.lay.batch)
	}
	if v.lay.isImage() && len(v.lay.store) == 3 {
		return v, nil
	}
	return imp.arrange(v, []int{2, 3, 1})
}

// input returns the current node's input i as a tensor computed from the image.
func (imp *importer) input(n *Node, i int) (value, error) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return value{}, fmt.Errorf("input %d is missing", i)
	}
	v, ok := imp.vals[n.Inputs[i]]
	if !ok {
		if imp.consts[n.Inputs[i]] != nil {
			return value{}, fmt.Errorf("input %s is a constant where convlens needs a tensor computed from the image", quote(n.Inputs[i]))
		}
		return value{}, fmt.Errorf("input %s is not computed (a secondary output convlens does not import, such as MaxPool's indices)", quote(n.Inputs[i]))
	}
	return v, nil
}

// constant returns input i as a constant (nil, nil when it is absent and optional).
func (imp *importer) constant(n *Node, i int, optional bool) (*Tensor, error) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		if optional {
			return nil, nil
		}
		return nil, fmt.Errorf("input %d is missing", i)
	}
	t := imp.consts[n.Inputs[i]]
	if t == nil {
		return nil, fmt.Errorf("input %s must be a constant (an initializer or a Constant node); convlens imports weights, not computed ones", quote(n.Inputs[i]))
	}
	return t, nil
}

// floats returns input i as a float constant.
func (imp *importer) floats(n *Node, i int, optional bool) (*Tensor, error) {
	t, err := imp.constant(n, i, optional)
	if err != nil || t == nil {
		return t, err
	}
	if t.Floats == nil {
		return nil, fmt.Errorf("input %s holds integers where convlens needs floats", quote(n.Inputs[i]))
	}
	if err := nd.CheckFinite(fmt.Sprintf("constant %s", quote(t.Name)), t.Floats); err != nil {
		return nil, err
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

func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}
