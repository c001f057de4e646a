package layers

import (
	"container/heap"
	"fmt"
	"regexp"
	"strings"
)

// Node is a layer placed in the graph: its resolved inputs and shapes for one image.
type Node struct {
	Layer
	Index    int      // position in Spec.Layers
	Inputs   []string // resolved input names (InputName for the image)
	InShapes [][]int
	OutShape []int
}

// variables lists the node's variables (shapes from its inputs).
func (n Node) variables() []VariableSpec { return kinds[n.Kind].def.variables(n.Layer, n.InShapes) }

// Topology is a validated spec's graph in topological order.
type Topology struct {
	Nodes []Node
	// Output is the output layer; Logits the layer whose output is the logits (Output, or
	// the input of an Output softmax).
	Output, Logits string
	index          map[string]int // name → position in Nodes
}

// Node returns the node with the given name.
func (t *Topology) Node(name string) (Node, bool) {
	if t.index == nil {
		t.index = make(map[string]int, len(t.Nodes))
		for i, n := range t.Nodes {
			t.index[n.Name] = i
		}
	}
	i, ok := t.index[name]
	if !ok {
		return Node{}, false
	}
	return t.Nodes[i], true
}

// nameRE admits convlens names and those of imported ONNX nodes ("/layer1/layer1.0/conv1/Conv").
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_/][A-Za-z0-9_./:-]{0,199}$`)

// Topology validates the spec and returns its graph: names, inputs, cycles, reachability,
// every layer's parameters and shapes, and the logits' shape.
func (s *Spec) Topology() (*Topology, error) {
	if s.Height <= 0 || s.Width <= 0 || s.Chans <= 0 || s.Height*s.Width*s.Chans > maxActivations {
		return nil, fmt.Errorf("model %q: bad input shape %dx%dx%d", s.Name, s.Height, s.Width, s.Chans)
	}
	if s.Classes < 2 || s.Classes > maxUnits {
		return nil, fmt.Errorf("model %q: %d classes (want 2 to %d)", s.Name, s.Classes, maxUnits)
	}
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("model %q has no layers", s.Name)
	}
	if err := s.checkNormalization(); err != nil {
		return nil, err
	}
	if s.Layout != "" && s.Layout != LayoutNHWC && s.Layout != LayoutNCHW {
		return nil, fmt.Errorf("model %q: layout %q (want %s or %s)", s.Name, s.Layout, LayoutNHWC, LayoutNCHW)
	}
	index := map[string]int{}
	for i, l := range s.Layers {
		if !nameRE.MatchString(l.Name) || l.Name == InputName || strings.HasSuffix(l.Name, PreSuffix) {
			return nil, fmt.Errorf("layer %d: name %q must use only letters, digits and _ - / . : (at most 200, not starting with - . or :), not end in %q and not be %q", i, l.Name, PreSuffix, InputName)
		}
		if _, dup := index[l.Name]; dup {
			return nil, fmt.Errorf("layer %d: duplicate name %q", i, l.Name)
		}
		index[l.Name] = i
	}
	for alias, name := range s.Aliases {
		if _, ok := index[name]; !ok {
			return nil, fmt.Errorf("model %q: alias %q names no layer (%q)", s.Name, alias, name)
		}
	}
	// Resolve inputs; -1 is the image.
	inputs := make([][]int, len(s.Layers))
	names := make([][]string, len(s.Layers))
	for i, l := range s.Layers {
		k, ok := kinds[l.Kind]
		if !ok {
			return nil, fmt.Errorf("layer %q: unknown layer kind %q (known: %s)", l.Name, l.Kind, strings.Join(KindNames(), ", "))
		}
		names[i] = l.Inputs
		if len(l.Inputs) == 0 {
			names[i] = []string{InputName}
			if i > 0 {
				names[i] = []string{s.Layers[i-1].Name}
			}
		}
		lo, hi := k.def.arity()
		if n := len(names[i]); n < lo || n > hi {
			if hi == lo {
				return nil, fmt.Errorf("layer %q (%s) takes %d input(s), got %d", l.Name, l.Kind, lo, n)
			}
			return nil, fmt.Errorf("layer %q (%s) takes %d to %d inputs, got %d", l.Name, l.Kind, lo, hi, n)
		}
		for _, in := range names[i] {
			if in == InputName {
				inputs[i] = append(inputs[i], -1)
				continue
			}
			j, ok := index[in]
			if !ok {
				return nil, fmt.Errorf("layer %q: unknown input %q", l.Name, in)
			}
			if j == i {
				return nil, fmt.Errorf("layer %q: takes itself as input (a cycle)", l.Name)
			}
			inputs[i] = append(inputs[i], j)
		}
	}
	order, err := topoOrder(s.Layers, inputs)
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", s.Name, err)
	}
	out := s.Output
	if out == "" {
		out = s.Layers[len(s.Layers)-1].Name
	}
	outIdx, ok := index[out]
	if !ok {
		return nil, fmt.Errorf("model %q: output %q is not a layer", s.Name, out)
	}
	if err := checkReachable(s.Layers, inputs, outIdx); err != nil {
		return nil, fmt.Errorf("model %q: %w", s.Name, err)
	}
	t := &Topology{Output: out, Logits: out}
	shapes := make([][]int, len(s.Layers))
	image := []int{s.Height, s.Width, s.Chans}
	for _, i := range order {
		l := s.Layers[i]
		in := make([][]int, len(inputs[i]))
		for j, src := range inputs[i] {
			if src < 0 {
				in[j] = image
			} else {
				in[j] = shapes[src]
			}
		}
		if err := l.checkActivation(); err != nil {
			return nil, fmt.Errorf("layer %q (%s): %w", l.Name, l.Kind, err)
		}
		next, err := kinds[l.Kind].def.outShape(l, in)
		if err != nil {
			return nil, fmt.Errorf("layer %q (%s): %w", l.Name, l.Kind, err)
		}
		if size := prod(next); size > maxActivations {
			return nil, fmt.Errorf("layer %q: output %v has %d values per image (limit %d)", l.Name, next, size, maxActivations)
		}
		shapes[i] = next
		t.Nodes = append(t.Nodes, Node{Layer: l, Index: i, Inputs: names[i], InShapes: in, OutShape: next})
	}
	logits := s.Layers[outIdx]
	if logits.Kind == Softmax && inputs[outIdx][0] >= 0 {
		logits = s.Layers[inputs[outIdx][0]]
		t.Logits = logits.Name
	}
	if sh := shapes[index[t.Logits]]; len(sh) != 1 || sh[0] != s.Classes || logits.Activation != Linear {
		return nil, fmt.Errorf("model %q: the logits layer %q must output %d values with no activation, got %s %v %s", s.Name, t.Logits, s.Classes, logits.Kind, sh, logits.Activation)
	}
	return t, nil
}

func (s *Spec) checkNormalization() error {
	if len(s.InputMean) == 0 && len(s.InputStd) == 0 {
		return nil
	}
	for what, p := range map[string]PerChannel{"input_mean": s.InputMean, "input_std": s.InputStd} {
		if len(p) != 1 && len(p) != s.Chans {
			return fmt.Errorf("model %q: %s has %d values for %d channels", s.Name, what, len(p), s.Chans)
		}
		for _, v := range p {
			if v != v || v > 1e30 || v < -1e30 || (what == "input_std" && !(v > 0)) {
				return fmt.Errorf("model %q: %s %v is not a finite value (std must be positive)", s.Name, what, []float64(p))
			}
		}
	}
	return nil
}

// topoOrder orders layers so that every input comes first, preferring definition order
// (the ready layer defined first goes next); it names the layers of a cycle. Kahn's
// algorithm with a heap: O(n log n) for n layers.
func topoOrder(ls []Layer, inputs [][]int) ([]int, error) {
	waiting := make([]int, len(ls))
	users := make([][]int, len(ls))
	for i, in := range inputs {
		for _, j := range in {
			if j >= 0 {
				waiting[i]++
				users[j] = append(users[j], i)
			}
		}
	}
	ready := &intHeap{}
	for i, w := range waiting {
		if w == 0 {
			heap.Push(ready, i)
		}
	}
	order := make([]int, 0, len(ls))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, i)
		for _, u := range users[i] {
			if waiting[u]--; waiting[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	if len(order) < len(ls) {
		var cyc []string
		for i, w := range waiting {
			if w > 0 {
				cyc = append(cyc, ls[i].Name)
			}
		}
		return nil, fmt.Errorf("layers %s form a cycle (or depend on one)", strings.Join(cyc, ", "))
	}
	return order, nil
}

// intHeap is a min-heap of layer indices.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// checkReachable names a layer whose output never reaches the model output.
func checkReachable(ls []Layer, inputs [][]int, out int) error {
	used := make([]bool, len(ls))
	stack := []int{out}
	used[out] = true
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, j := range inputs[i] {
			if j >= 0 && !used[j] {
				used[j] = true
				stack = append(stack, j)
			}
		}
	}
	for i, u := range used {
		if !u {
			return fmt.Errorf("layer %q does not lead to the output %q (unreachable)", ls[i].Name, ls[out].Name)
		}
	}
	return nil
}

// TapShape returns the per-image shape of a tap ("<layer>" or "<layer>.pre").
func (s *Spec) TapShape(tap string) ([]int, error) {
	t, err := s.Topology()
	if err != nil {
		return nil, err
	}
	name, pre := strings.CutSuffix(tap, PreSuffix)
	n, ok := t.Node(name)
	if !ok || (pre && !n.HasActivation()) {
		return nil, fmt.Errorf("unknown layer %q in model %q (taps: %s)", tap, s.Name, strings.Join(s.TapNames(), ", "))
	}
	return n.OutShape, nil
}

// StageOutputs lists, for each spatial resolution a model computes, the last image-shaped
// ([H, W, C]) layer at that resolution, in forward order: the output of each stage of a
// deep network (ResNet-50 at 224: 112×112, 56×56, 28×28, 14×14, 7×7). Layers of shape
// 1×1×C (gates) are left out.
func (s *Spec) StageOutputs() []string {
	t, err := s.Topology()
	if err != nil {
		return nil
	}
	last := map[[2]int]string{}
	var order [][2]int
	for _, n := range t.Nodes {
		sh := n.OutShape
		if len(sh) != 3 || sh[0]*sh[1] == 1 {
			continue
		}
		key := [2]int{sh[0], sh[1]}
		if _, ok := last[key]; !ok {
			order = append(order, key)
		}
		last[key] = n.Name
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, last[k])
	}
	return out
}
