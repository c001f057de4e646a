package onnx

import (
	"fmt"
	"maps"
)

// maxInlinedNodes bounds the graph after inlining local functions.
const maxInlinedNodes = 1 << 20

// inlineFunctions replaces every call of a model's local function by the function's body:
// its formal inputs and outputs become the call's tensors, its other tensors get the call's
// name as a prefix, and attributes that refer to the call's (ref_attr_name) take their values
// (or the function's defaults). Calls inside bodies are inlined too, to a bounded depth.
func inlineFunctions(m *Model) error {
	if len(m.Functions) == 0 {
		return nil
	}
	funcs := map[[2]string]*Function{}
	for i := range m.Functions {
		f := &m.Functions[i]
		funcs[[2]string{f.Domain, f.Name}] = f
	}
	nodes := m.Graph.Nodes
	for depth := 0; ; depth++ {
		var out []Node
		changed := false
		for i, n := range nodes {
			f := funcs[[2]string{n.Domain, n.OpType}]
			if f == nil {
				out = append(out, n)
				continue
			}
			if depth >= 16 {
				return fmt.Errorf("function %s calls itself, or nests more than 16 deep", quote(f.Name))
			}
			changed = true
			body, err := inlineCall(f, n, fmt.Sprintf("%s/%d", callName(n), i))
			if err != nil {
				return err
			}
			out = append(out, body...)
			if len(out) > maxInlinedNodes {
				return fmt.Errorf("inlining functions makes more than %d nodes", maxInlinedNodes)
			}
		}
		nodes = out
		if !changed {
			break
		}
	}
	m.Graph.Nodes = nodes
	return nil
}

func callName(n Node) string {
	if n.Name != "" {
		return n.Name
	}
	return n.OpType
}

// inlineCall is the body of f for call n, with tensors renamed under prefix.
func inlineCall(f *Function, n Node, prefix string) ([]Node, error) {
	rename := map[string]string{"": ""}
	for i, in := range f.Inputs {
		if i < len(n.Inputs) {
			rename[in] = n.Inputs[i]
		} else {
			rename[in] = "" // an omitted optional input
		}
	}
	for i, out := range f.Outputs {
		if i < len(n.Outputs) {
			rename[out] = n.Outputs[i]
		}
	}
	name := func(t string) string {
		if r, ok := rename[t]; ok {
			return r
		}
		return prefix + "/" + t
	}
	var body []Node
	for _, b := range f.Nodes {
		c := Node{Name: prefix + "/" + b.Name, OpType: b.OpType, Domain: b.Domain, Attrs: map[string]Attribute{}}
		for _, in := range b.Inputs {
			c.Inputs = append(c.Inputs, name(in))
		}
		for _, out := range b.Outputs {
			c.Outputs = append(c.Outputs, name(out))
		}
		for k, a := range maps.All(b.Attrs) {
			if a.Ref == "" {
				c.Attrs[k] = a
				continue
			}
			if v, ok := n.Attrs[a.Ref]; ok {
				c.Attrs[k] = v
			} else if v, ok := f.Defaults[a.Ref]; ok {
				c.Attrs[k] = v
			} // else: the attribute is absent, as ONNX defines
		}
		body = append(body, c)
	}
	return body, nil
}
