package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"slices"

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
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
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
	var t []byte
	t = protowire.AppendTag(t, 1, protowire.VarintType)
	t = protowire.AppendVarint(t, uint64(len(values)))
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
	ints []int64
}

func intAttr(name string, v int64) attr     { return attr{name: name, i: &v} }
func floatAttr(name string, v float32) attr { return attr{name: name, f: &v} }
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

// activation appends the layer's fused or own nonlinearity to x.
func (e *exporter) activation(l layers.Layer, x, name string) string {
	switch l.Activation {
	case layers.ReLU:
		return e.node("Relu", name, []string{x}, nil)
	case layers.LeakyReLU:
		return e.node("LeakyRelu", name, []string{x}, []attr{floatAttr("alpha", float32(l.Alpha))})
	case layers.Sigmoid:
		return e.node("Sigmoid", name, []string{x}, nil)
	case layers.Tanh:
		return e.node("Tanh", name, []string{x}, nil)
	case layers.Clip:
		return e.node("Clip", name, []string{x, e.init(name+"/min", []float32{float32(l.ClipMin)}), e.init(name+"/max", []float32{float32(l.ClipMax)})}, nil)
	}
	return x
}

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

func (e *exporter) layer(n layers.Node) error {
	l := n.Layer
	var ins []string
	for _, in := range n.Inputs {
		ins = append(ins, e.tensor[in])
	}
	name := l.Name
	pre := name // the node before a fused activation is "<layer>/<op>"
	if l.HasActivation() {
		pre = name + "/" + map[layers.Kind]string{layers.Conv2D: "Conv", layers.Dense: "Gemm", layers.Add: "Add"}[l.Kind]
	}
	in0 := n.InShapes[0]
	var out string
	switch l.Kind {
	case layers.Conv2D:
		w, err := e.variable(name, layers.VarWeights)
		if err != nil {
			return err
		}
		b, err := e.variable(name, layers.VarBiases)
		if err != nil {
			return err
		}
		k, cin, o := w.Shape[0], w.Shape[2], w.Shape[3]
		oihw := make([]float32, len(w.Data))
		for y := range k {
			for x := range k {
				for i := range cin {
					for f := range o {
						oihw[((f*cin+i)*k+y)*k+x] = w.Data[((y*k+x)*cin+i)*o+f]
					}
				}
			}
		}
		p := l.WindowPads(in0[0], in0[1])
		out = e.node("Conv", pre, []string{ins[0], e.init(name+"/weights", oihw, o, cin, k, k), e.init(name+"/biases", b.Data, o)},
			[]attr{intsAttr("kernel_shape", k, k), intsAttr("strides", l.Stride, l.Stride), intsAttr("dilations", max(l.Dilation, 1), max(l.Dilation, 1)),
				intAttr("group", int64(max(l.Groups, 1))), intsAttr("pads", p[0], p[2], p[1], p[3])})
		out = e.activation(l, out, name)
	case layers.MaxPool2D, layers.AvgPool2D:
		p := l.WindowPads(in0[0], in0[1])
		attrs := []attr{intsAttr("kernel_shape", l.Kernel, l.Kernel), intsAttr("strides", l.Stride, l.Stride), intsAttr("pads", p[0], p[2], p[1], p[3])}
		op := "MaxPool"
		if l.Kind == layers.AvgPool2D {
			op = "AveragePool"
			attrs = append(attrs, intAttr("count_include_pad", 0))
		}
		out = e.node(op, name, ins, attrs)
	case layers.Pad:
		p := l.Pads
		pads := e.initInt64(name+"/pads", []int64{0, 0, int64(p[0]), int64(p[2]), 0, 0, int64(p[1]), int64(p[3])})
		fill := e.init(name+"/value", []float32{float32(l.Fill)})
		out = e.node("Pad", name, []string{ins[0], pads, fill}, nil)
	case layers.GlobalAvgPool:
		if l.KeepDims {
			out = e.node("GlobalAveragePool", name, ins, nil)
			break
		}
		x := e.node("GlobalAveragePool", name+"/pool", ins, nil)
		out = e.node("Flatten", name, []string{x}, []attr{intAttr("axis", 1)})
	case layers.Multiply:
		out = ins[0]
		for i, x := range ins[1:] {
			nm := name
			if i < len(ins)-2 {
				nm = fmt.Sprintf("%s/mul%d", name, i+1)
			}
			out = e.node("Mul", nm, []string{out, x}, nil)
		}
	case layers.Flatten:
		out = e.node("Flatten", name, ins, []attr{intAttr("axis", 1)})
		if len(in0) == 3 && in0[0]*in0[1] > 1 && in0[2] > 1 {
			e.chw[name] = slices.Clone(in0)
		}
	case layers.Dense:
		w, err := e.variable(name, layers.VarWeights)
		if err != nil {
			return err
		}
		b, err := e.variable(name, layers.VarBiases)
		if err != nil {
			return err
		}
		rows, units := w.Shape[0], w.Shape[1]
		data := w.Data
		if hwc, ok := e.chw[n.Inputs[0]]; ok { // convlens rows follow H,W,C; the ONNX vector C,H,W
			h, wd, c := hwc[0], hwc[1], hwc[2]
			data = make([]float32, len(w.Data))
			for p := range h * wd {
				for ci := range c {
					copy(data[(ci*h*wd+p)*units:][:units], w.Data[(p*c+ci)*units:][:units])
				}
			}
		}
		out = e.node("Gemm", pre, []string{ins[0], e.init(name+"/weights", data, rows, units), e.init(name+"/biases", b.Data, units)}, nil)
		out = e.activation(l, out, name)
	case layers.Dropout, layers.Identity:
		out = e.node("Identity", name, ins, nil)
	case layers.Activate:
		out = e.activation(l, ins[0], name)
	case layers.BatchNorm, layers.Affine:
		shape := []int{in0[len(in0)-1]}
		if len(in0) == 3 {
			shape = []int{in0[2], 1, 1}
		}
		get := func(v string) ([]float32, error) {
			a, err := e.variable(name, v)
			return e.perFeature(n.Inputs[0], a.Data), err
		}
		if l.Kind == layers.BatchNorm {
			var vals [4][]float32
			for i, v := range []string{layers.VarGamma, layers.VarBeta, layers.VarMovingMean, layers.VarMovingVar} {
				var err error
				if vals[i], err = get(v); err != nil {
					return err
				}
			}
			eps := l.Epsilon
			if eps == 0 {
				eps = layers.BatchNormEpsilon
			}
			out = e.node("BatchNormalization", name, []string{ins[0], e.init(name+"/gamma", vals[0], len(vals[0])), e.init(name+"/beta", vals[1], len(vals[1])),
				e.init(name+"/moving_mean", vals[2], len(vals[2])), e.init(name+"/moving_var", vals[3], len(vals[3]))}, []attr{floatAttr("epsilon", float32(eps))})
		} else {
			scale, err := get(layers.VarScale)
			if err != nil {
				return err
			}
			shift, err := get(layers.VarShift)
			if err != nil {
				return err
			}
			if _, ok := e.chw[n.Inputs[0]]; ok {
				shape = []int{len(scale)}
			}
			x := e.node("Mul", name+"/scale", []string{ins[0], e.init(name+"/scale_values", scale, shape...)}, nil)
			out = e.node("Add", name, []string{x, e.init(name+"/shift_values", shift, shape...)}, nil)
		}
	case layers.Add:
		out = ins[0]
		for i, x := range ins[1:] {
			nm := pre
			if i < len(ins)-2 {
				nm = fmt.Sprintf("%s/add%d", name, i+1)
			}
			out = e.node("Add", nm, []string{out, x}, nil)
		}
		out = e.activation(l, out, name)
	case layers.Concat:
		for _, in := range n.Inputs {
			if _, ok := e.chw[in]; ok {
				return fmt.Errorf("concat of vectors flattened from images has no ONNX equivalent in one node")
			}
		}
		out = e.node("Concat", name, ins, []attr{intAttr("axis", 1)})
	case layers.Softmax:
		if len(in0) == 1 {
			out = e.node("Softmax", name, ins, []attr{intAttr("axis", 1)})
		} else {
			return fmt.Errorf("softmax over channels is not exported")
		}
	default:
		return fmt.Errorf("no ONNX export for kind %s", l.Kind)
	}
	// A vector in H,W,C order stays so through the layers that keep its shape (a dense
	// layer's output is new features).
	if hwc, ok := e.chw[n.Inputs[0]]; ok && l.Kind != layers.Dense && slices.Equal(n.OutShape, in0) {
		e.chw[name] = hwc
	}
	e.tensor[name] = out
	return nil
}
