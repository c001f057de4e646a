package live

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// SetInputOff switches input k of a sum layer (kind add) off, its term then 0, or back on:
// a skip connection toggled. The model is rebuilt with its variables as they are now.
func (e *Engine) SetInputOff(layer string, k int, off bool) error {
	l, _, ok := e.base.Layer(layer)
	if !ok {
		return fmt.Errorf("no layer %q", layer)
	}
	if l.Kind != layers.Add {
		return fmt.Errorf("layer %q is a %s: only a sum (add) has inputs to switch off", layer, l.Kind)
	}
	if k < 0 || k >= len(l.Inputs) {
		return fmt.Errorf("layer %q has %d inputs, not %d", layer, len(l.Inputs), k+1)
	}
	if e.off == nil {
		e.off = map[string][]int{}
	}
	ks := slices.DeleteFunc(e.off[layer], func(i int) bool { return i == k })
	if off {
		ks = append(ks, k)
		slices.Sort(ks)
	}
	e.off[layer] = ks
	return e.rebuild()
}

// rebuild makes the model of the base spec with the inputs switched off: each passes
// through a zero affine layer (appended, so no other layer's default input moves).
func (e *Engine) rebuild() error {
	raw, err := json.Marshal(e.base)
	if err != nil {
		return err
	}
	var spec layers.Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return err
	}
	if spec.Output == "" {
		spec.Output = spec.Layers[len(spec.Layers)-1].Name
	}
	var zeroed []string
	names := make([]string, 0, len(e.off))
	for name := range e.off {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		i := slices.IndexFunc(spec.Layers, func(l layers.Layer) bool { return l.Name == name })
		for _, k := range e.off[name] {
			z := fmt.Sprintf("%s/switched_off_%d", name, k)
			spec.Layers = append(spec.Layers, layers.Layer{Name: z, Kind: layers.Affine, Inputs: []string{spec.Layers[i].Inputs[k]}})
			spec.Layers[i].Inputs[k] = z
			zeroed = append(zeroed, z)
		}
	}
	m, err := layers.New(&spec, e.Model.Backend, 0)
	if err != nil {
		return err
	}
	t, err := e.Model.Spec.Topology()
	if err != nil {
		return err
	}
	for _, n := range t.Nodes {
		if slices.Contains(zeroed, n.Name) || !slices.ContainsFunc(spec.Layers, func(l layers.Layer) bool { return l.Name == n.Name }) {
			continue
		}
		vars, err := e.Model.LayerVariables(n.Name)
		if err != nil {
			return err
		}
		for v, a := range vars {
			if err := m.SetVariable(n.Name, v, a); err != nil {
				return err
			}
		}
	}
	for _, z := range zeroed {
		for _, v := range []string{layers.VarScale, layers.VarShift} {
			a, err := m.Variable(z, v)
			if err != nil {
				return err
			}
			if err := m.SetVariable(z, v, nd.Array{Shape: a.Shape, Data: make([]float32, len(a.Data))}); err != nil {
				return err
			}
		}
	}
	e.Model, e.ex = m, explain.New(m)
	return nil
}
