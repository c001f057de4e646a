package layers

import (
	"fmt"
	"slices"

	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Variable returns a copy of a layer's variable (VarWeights, VarBiases, ...) as an array.
func (m *Model) Variable(layer, name string) (nd.Array, error) {
	v := m.Ctx.GetVariableByScopeAndName(Scope(layer), name)
	if v == nil {
		return nd.Array{}, fmt.Errorf("model %q has no variable %s/%s", m.Spec.Name, layer, name)
	}
	t, err := v.Value()
	if err != nil {
		return nd.Array{}, err
	}
	d, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nd.Array{}, fmt.Errorf("variable %s/%s: %w", layer, name, err)
	}
	return nd.Array{Shape: slices.Clone(v.Shape().Dimensions), Data: d}, nil
}

// LayerVariables returns every variable of a layer by name (empty for layers without any).
func (m *Model) LayerVariables(layer string) (map[string]nd.Array, error) {
	l, _, ok := m.Spec.Layer(layer)
	if !ok {
		return nil, fmt.Errorf("model %q has no layer %q", m.Spec.Name, layer)
	}
	out := map[string]nd.Array{}
	for _, v := range m.layerVariables(l) {
		a, err := m.Variable(layer, v.Name)
		if err != nil {
			return nil, err
		}
		out[v.Name] = a
	}
	return out, nil
}

// SetVariable replaces a layer's variable with values of the same shape.
func (m *Model) SetVariable(layer, name string, value nd.Array) error {
	v := m.Ctx.GetVariableByScopeAndName(Scope(layer), name)
	if v == nil {
		return fmt.Errorf("model %q has no variable %s/%s", m.Spec.Name, layer, name)
	}
	if !slices.Equal(v.Shape().Dimensions, value.Shape) || value.Validate() != nil {
		return fmt.Errorf("variable %s/%s has shape %v, got %v with %d values", layer, name, v.Shape().Dimensions, value.Shape, len(value.Data))
	}
	return v.SetValue(tensors.FromFlatDataAndDimensions(slices.Clone(value.Data), value.Shape...))
}

// Clone returns an independent copy of the model (same spec, backend and variable values).
func (m *Model) Clone() (*Model, error) {
	c, err := NewEmpty(m.Spec, m.Backend)
	if err != nil {
		return nil, err
	}
	c.Portable = m.Portable
	err = Safe("cloning model", func() error {
		var err error
		m.Ctx.EnumerateVariables(func(v *context.Variable) {
			if err != nil {
				return
			}
			var t *tensors.Tensor
			if t, err = v.Value(); err != nil {
				return
			}
			var cl *tensors.Tensor
			if cl, err = t.LocalClone(); err != nil {
				return
			}
			c.Ctx.InAbsPath(v.Scope()).VariableWithValue(v.Name(), cl).SetTrainable(v.Trainable)
		})
		return err
	})
	return c, err
}

// Reinitialize draws fresh initial values (seeded) for one layer's weights and biases,
// as New would: the model-parameter randomisation of saliency sanity checks.
func (m *Model) Reinitialize(layer string, seed int64) error {
	fresh, err := New(m.Spec, m.Backend, seed)
	if err != nil {
		return err
	}
	l, _, ok := m.Spec.Layer(layer)
	if !ok {
		return fmt.Errorf("unknown layer %q in model %q", layer, m.Spec.Name)
	}
	var names []string
	for _, v := range fresh.layerVariables(l) {
		if v.Trainable {
			names = append(names, v.Name)
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("layer %q (%s) has no parameters", layer, l.Kind)
	}
	for _, n := range names {
		v, err := fresh.Variable(layer, n)
		if err != nil {
			return err
		}
		if err := m.SetVariable(layer, n, v); err != nil {
			return err
		}
	}
	return nil
}

// layerVariables lists a layer's variables (nil for an unknown layer).
func (m *Model) layerVariables(l Layer) []VariableSpec {
	t, err := m.Spec.Topology()
	if err != nil {
		return nil
	}
	n, ok := t.Node(l.Name)
	if !ok {
		return nil
	}
	return n.variables()
}

// ParamLayers lists the layers with trainable parameters, in forward order.
func (s *Spec) ParamLayers() []string {
	t, err := s.Topology()
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range t.Nodes {
		for _, v := range n.variables() {
			if v.Trainable {
				out = append(out, n.Name)
				break
			}
		}
	}
	return out
}

// VariableShapes maps each layer variable ("<scope>/<name>", as checkpoints store it) to
// the shape the spec implies.
func (s *Spec) VariableShapes() (map[string][]int, error) {
	t, err := s.Topology()
	if err != nil {
		return nil, err
	}
	out := map[string][]int{}
	for _, n := range t.Nodes {
		for _, v := range n.variables() {
			out[Scope(n.Name)+"/"+v.Name] = v.Shape
		}
	}
	return out, nil
}
