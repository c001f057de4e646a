package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/convlens/convlens/internal/atomicfile"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"google.golang.org/protobuf/encoding/protowire"
)

// ExportOpset is the ONNX opset of exported models.
const ExportOpset = 17

// Export writes m as an ONNX model (opset 17) that takes [N, C, H, W] images and returns the
// model's output [N, classes]. Each layer becomes the ONNX nodes named after it; a vector
// flattened from H×W×C is reordered so the file follows ONNX's C,H,W convention.
func Export(m *layers.Model, path string) error {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o644)
}

type exporter struct {
	m      *layers.Model
	nodes  [][]byte
	inits  [][]byte
	tensor map[string]string // layer (or input) → ONNX tensor name
	chw    map[string][]int  // layer → H, W, C of a vector flattened from an image
}

// Encode returns m as a serialised ONNX ModelProto.
func Encode(m *layers.Model) ([]byte, error) {
	s := m.Spec
	t, err := s.Topology()
	if err != nil {
		return nil, err
	}
	e := &exporter{m: m, tensor: map[string]string{}, chw: map[string][]int{}}
	e.tensor[layers.InputName] = "images"
	if len(s.InputMean) > 0 {
		c := s.Chans
		mean, std := make([]float32, c), make([]float32, c)
		for i := range c {
			mean[i], std[i] = float32(s.InputMean.At(i)), float32(s.InputStd.At(i))
		}
		x := e.node("Sub", "normalise/Sub", []string{"images", e.init("normalise/mean", mean, c, 1, 1)}, nil)
		e.tensor[layers.InputName] = e.node("Div", "normalise/Div", []string{x, e.init("normalise/std", std, c, 1, 1)}, nil)
	}
	for _, n := range t.Nodes {
		if err := e.layer(n); err != nil {
			return nil, fmt.Errorf("exporting layer %q (%s): %w", n.Name, n.Kind, err)
		}
	}
	var g []byte
	for _, n := range e.nodes {
		g = protowire.AppendTag(g, 1, protowire.BytesType)
		g = protowire.AppendBytes(g, n)
	}
	g = appendString(g, 2, s.Name)
	for _, in := range e.inits {
		g = protowire.AppendTag(g, 5, protowire.BytesType)
		g = protowire.AppendBytes(g, in)
	}
	g = appendMessage(g, 11, valueInfo("images", []int64{-1, int64(s.Chans), int64(s.Height), int64(s.Width)}))
	g = appendMessage(g, 12, valueInfo(e.tensor[t.Output], []int64{-1, int64(s.Classes)}))
	var out []byte
	out = protowire.AppendTag(out, 1, protowire.VarintType)
	out = protowire.AppendVarint(out, 8) // IR version 8
	out = appendString(out, 2, "convlens")
	out = appendMessage(out, 7, g)
	var opset []byte
	opset = appendString(opset, 1, "")
	opset = protowire.AppendTag(opset, 2, protowire.VarintType)
	opset = protowire.AppendVarint(opset, ExportOpset)
	out = appendMessage(out, 8, opset)
	return out, nil
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

// valueInfo is a float tensor's ValueInfoProto; -1 is the symbolic batch "N".
func valueInfo(name string, dims []int64) []byte {
	var shape []byte
	for _, d := range dims {
		var dim []byte
		if d < 0 {
			dim = appendString(dim, 2, "N")
		} else {
			dim = protowire.AppendTag(dim, 1, protowire.VarintType)
			dim = protowire.AppendVarint(dim, uint64(d))
		}
		shape = appendMessage(shape, 1, dim)
	}
	var tt []byte
	tt = protowire.AppendTag(tt, 1, protowire.VarintType)
	tt = protowire.AppendVarint(tt, typeFloat)
	tt = appendMessage(tt, 2, shape)
	var out []byte
	out = appendString(out, 1, name)
	return appendMessage(out, 2, appendMessage(nil, 1, tt))
}

// init adds a float32 initializer and returns its name.
func (e *exporter) init(name string, values []float32, dims ...int) string {
	var t []byte
	for _, d := range dims {
		t = protowire.AppendTag(t, 1, protowire.VarintType)
		t = protowire.AppendVarint(t, uint64(d))
	}
	t = protowire.AppendTag(t, 2, protowire.VarintType)
	t = protowire.AppendVarint(t, typeFloat)
	t = appendString(t, 8, name)
	raw := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	t = protowire.AppendTag(t, 9, protowire.BytesType)
	t = protowire.AppendBytes(t, raw)
	e.inits = append(e.inits, t)
	return name
}

// initInt64 adds an int64 initializer (a 1-D list) and returns its name.
func (e *exporter) initInt64(name string, values []int64) string {
	return e.initInt64Shaped(name, values, len(values))
}

// initInt64Shaped adds an int64 initializer of the given dimensions (none: a scalar).
func (e *exporter) initInt64Shaped(name string, values []int64, dims ...int) string {
	var t []byte
	for _, d := range dims {
		t = protowire.AppendTag(t, 1, protowire.VarintType)
		t = protowire.AppendVarint(t, uint64(d))
	}
	t = protowire.AppendTag(t, 2, protowire.VarintType)
	t = protowire.AppendVarint(t, typeInt64)
	t = appendString(t, 8, name)
	raw := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	t = protowire.AppendTag(t, 9, protowire.BytesType)
	t = protowire.AppendBytes(t, raw)
	e.inits = append(e.inits, t)
	return name
}

type attr struct {
	name string
	i    *int64
	f    *float32
	s    *string
	ints []int64
}

func intAttr(name string, v int64) attr      { return attr{name: name, i: &v} }
func stringAttr(name string, v string) attr  { return attr{name: name, s: &v} }
func intsAttr64(name string, v []int64) attr { return attr{name: name, ints: v} }
func floatAttr(name string, v float32) attr  { return attr{name: name, f: &v} }
func intsAttr(name string, v ...int) attr {
	a := attr{name: name}
	for _, x := range v {
		a.ints = append(a.ints, int64(x))
	}
	return a
}

// node appends an ONNX node and returns its output tensor name (the node's name).
func (e *exporter) node(op, name string, inputs []string, attrs []attr) string {
	var n []byte
	for _, in := range inputs {
		n = appendString(n, 1, in)
	}
	n = appendString(n, 2, name)
	n = appendString(n, 3, name)
	n = appendString(n, 4, op)
	for _, a := range attrs {
		var ab []byte
		ab = appendString(ab, 1, a.name)
		switch {
		case a.i != nil:
			ab = protowire.AppendTag(ab, 3, protowire.VarintType)
			ab = protowire.AppendVarint(ab, uint64(*a.i))
			ab = protowire.AppendTag(ab, 20, protowire.VarintType)
			ab = protowire.AppendVarint(ab, 2)
		case a.s != nil:
			ab = appendString(ab, 4, *a.s)
			ab = protowire.AppendTag(ab, 20, protowire.VarintType)
			ab = protowire.AppendVarint(ab, 3)
		case a.f != nil:
			ab = protowire.AppendTag(ab, 2, protowire.Fixed32Type)
			ab = protowire.AppendFixed32(ab, math.Float32bits(*a.f))
			ab = protowire.AppendTag(ab, 20, protowire.VarintType)
			ab = protowire.AppendVarint(ab, 1)
		default:
			for _, v := range a.ints {
				ab = protowire.AppendTag(ab, 8, protowire.VarintType)
				ab = protowire.AppendVarint(ab, uint64(v))
			}
			ab = protowire.AppendTag(ab, 20, protowire.VarintType)
			ab = protowire.AppendVarint(ab, 7)
		}
		n = appendMessage(n, 5, ab)
	}
	e.nodes = append(e.nodes, n)
	return name
}

func (e *exporter) variable(layer, name string) (nd.Array, error) { return e.m.Variable(layer, name) }

// perFeature reorders per-feature values of a convlens vector (H,W,C order when flattened
// from an image) into ONNX's C,H,W order.
func (e *exporter) perFeature(layer string, v []float32) []float32 {
	hwc, ok := e.chw[layer]
	if !ok {
		return v
	}
	out := make([]float32, len(v))
	nd.ChannelsFirst(out, v, 1, hwc[2], hwc[0]*hwc[1])
	return out
}

// layer writes one layer through its kind's exporter (export_kinds.go).
func (e *exporter) layer(n layers.Node) error {
	fn, ok := kindExporters[n.Kind]
	if !ok {
		return fmt.Errorf("no ONNX export for kind %s", n.Kind)
	}
	var ins []string
	for _, in := range n.Inputs {
		ins = append(ins, e.tensor[in])
	}
	out, err := fn(e, n, ins)
	if err != nil {
		return err
	}
	// A vector in H,W,C order stays so through the layers that keep its shape and order.
	if hwc, ok := e.chw[n.Inputs[0]]; ok && keepsOrder[n.Kind] && slices.Equal(n.OutShape, n.InShapes[0]) {
		e.chw[n.Name] = hwc
	}
	e.tensor[n.Name] = out
	return nil
}

// pre is the name of the node before a fused activation ("<layer>/<op>"), or the layer's.
func pre(l layers.Layer, op string) string {
	if l.HasActivation() {
		return l.Name + "/" + op
	}
	return l.Name
}
