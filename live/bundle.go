// Package live runs a model in a web page: a bundle carries the model (its spec and every
// variable), and an engine (the same Go code as the command line, compiled to WebAssembly
// with the SimpleGo backend) computes its layers, probabilities and Grad-CAM there.
package live

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// Bundle is a model as a page carries it.
type Bundle struct {
	Spec *layers.Spec `json:"spec"`
	Vars []Var        `json:"vars"`
}

// Var is one variable: its layer, name, shape and values (nd.EncodeFloats).
type Var struct {
	Layer string `json:"layer"`
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	Data  string `json:"data"`
}

// Pack reads every variable of m, layer by layer in forward order.
func Pack(m *layers.Model) (*Bundle, error) {
	t, err := m.Spec.Topology()
	if err != nil {
		return nil, err
	}
	b := &Bundle{Spec: m.Spec}
	for _, n := range t.Nodes {
		vars, err := m.LayerVariables(n.Name)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(vars))
		for name := range vars {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			a := vars[name]
			b.Vars = append(b.Vars, Var{Layer: n.Name, Name: name, Shape: a.Shape, Data: nd.EncodeFloats(a.Data)})
		}
	}
	return b, nil
}

// Parse reads a bundle written as JSON.
func Parse(data []byte) (*Bundle, error) {
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("model bundle: %w", err)
	}
	if b.Spec == nil {
		return nil, fmt.Errorf("model bundle: no spec")
	}
	return &b, nil
}

// Model builds the bundle's model on be with the bundle's values.
func (b *Bundle) Model(be *backend.Backend) (*layers.Model, error) {
	m, err := layers.New(b.Spec, be, 0)
	if err != nil {
		return nil, err
	}
	for _, v := range b.Vars {
		data, err := nd.DecodeFloats(v.Data)
		if err != nil {
			return nil, fmt.Errorf("variable %s/%s: %w", v.Layer, v.Name, err)
		}
		if err := m.SetVariable(v.Layer, v.Name, nd.Array{Shape: v.Shape, Data: data}); err != nil {
			return nil, err
		}
	}
	return m, nil
}
