package live

import (
	"fmt"
	"math"
	"slices"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// Engine computes what the live page shows for one image at a time, and takes changes to
// the model's variables.
type Engine struct {
	Model    *layers.Model
	CAMLayer string // "" where the model has no layer with an H×W×C output
	ex       *explain.Explainer
	initial  []variable
	base     *layers.Spec     // the model's own spec, without inputs switched off
	off      map[string][]int // the inputs switched off, by sum layer
}

type variable struct {
	layer, name string
	value       nd.Array
}

// NewEngine builds the bundle's model on be (SimpleGo in a page).
func NewEngine(b *Bundle, be *backend.Backend) (*Engine, error) {
	m, err := b.Model(be)
	if err != nil {
		return nil, err
	}
	return EngineFor(m)
}

// EngineFor runs m (an imported ONNX model, say); Reset restores its values of now.
func EngineFor(m *layers.Model) (*Engine, error) {
	t, err := m.Spec.Topology()
	if err != nil {
		return nil, err
	}
	e := &Engine{Model: m, ex: explain.New(m), base: m.Spec}
	for _, n := range t.Nodes {
		vars, err := m.LayerVariables(n.Name)
		if err != nil {
			return nil, err
		}
		for name, v := range vars {
			e.initial = append(e.initial, variable{n.Name, name, v})
		}
	}
	if l, err := explain.ResolveLayer(m.Spec, ""); err == nil {
		e.CAMLayer = l
	}
	return e, nil
}

// Result is one image's values: every layer's output (one image, the layer's shape), the
// logits, and the map of Target ([H, W] at the input's resolution; Grad-CAM at CAMLayer or
// saliency).
type Result struct {
	Values map[string]nd.Array
	Logits []float32
	Target int
	CAM    nd.Array
}

// NoMap as Run's target leaves out the map.
const NoMap = -2

// Map methods Run computes: Grad-CAM at CAMLayer (from the same forward pass as the
// values) or saliency (the input gradient's largest magnitude over channels).
const (
	GradCAM  = "grad-cam"
	Saliency = "saliency"
)

// Run computes the outputs of layers (all where none are named) for image [H, W, C] (raw
// pixels, as the model's data), and Grad-CAM of target (the predicted class when < 0;
// none for NoMap).
func (e *Engine) Run(image nd.Array, names []string, target int) (*Result, error) {
	return e.RunWith(image, names, target, GradCAM)
}

// RunWith is Run with the map's method: GradCAM or Saliency.
func (e *Engine) RunWith(image nd.Array, names []string, target int, method string) (*Result, error) {
	if method != GradCAM && method != Saliency {
		return nil, fmt.Errorf("unknown map method %q (want %s or %s)", method, GradCAM, Saliency)
	}
	s := e.Model.Spec
	if !slices.Equal(image.Shape, []int{s.Height, s.Width, s.Chans}) {
		return nil, fmt.Errorf("image shape %v, the model takes %dx%dx%d", image.Shape, s.Height, s.Width, s.Chans)
	}
	for _, v := range image.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("image has a value that is not finite")
		}
	}
	batch := nd.Array{Shape: append([]int{1}, image.Shape...), Data: image.Data}
	if len(names) == 0 {
		names = s.TapNames()
	}
	var taps *layers.TapResult
	var maps *explain.Maps
	var err error
	switch {
	case target == NoMap || method == GradCAM && e.CAMLayer == "":
		taps, err = e.Model.Taps(batch, names...)
	case method == Saliency:
		if taps, err = e.Model.Taps(batch, names...); err == nil {
			if target < 0 || target >= s.Classes {
				target = layers.ArgMax(taps.Logits)[0]
			}
			maps, err = explain.Saliency{}.Attribute(e.ex, batch, []int{target})
		}
	default: // one forward pass for the values and the map
		if target >= s.Classes {
			target = -1
		}
		maps, taps, err = e.ex.GradCAMWithTaps(batch, []int{max(target, -1)}, e.CAMLayer, names)
	}
	if err != nil {
		return nil, err
	}
	r := &Result{Values: map[string]nd.Array{}, Logits: taps.Logits.Data, Target: NoMap}
	for name, a := range taps.Outputs {
		r.Values[name] = a.Sub(0)
	}
	if maps != nil {
		r.Target, r.CAM = maps.Targets[0], maps.Image(0)
	}
	return r, nil
}

// Field is the input box (rows Y0..Y1, columns X0..X1, ends excluded) that layer's value
// at (y, x) sees.
func (e *Engine) Field(layer string, y, x int) (layers.Box, error) {
	return e.Model.Spec.ReceptiveField(layer, layers.Box{Y0: y, X0: x, Y1: y + 1, X1: x + 1})
}

// Set replaces a variable of a layer (same shape).
func (e *Engine) Set(layer, name string, v nd.Array) error {
	return e.Model.SetVariable(layer, name, v)
}

// Reset restores every variable to its value when the engine started, and every input
// switched off.
func (e *Engine) Reset() error {
	if len(e.off) > 0 {
		e.off = nil
		if err := e.rebuild(); err != nil {
			return err
		}
	}
	for _, v := range e.initial {
		if err := e.Model.SetVariable(v.layer, v.name, v.value); err != nil {
			return err
		}
	}
	return nil
}
