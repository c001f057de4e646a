package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// kindExporter writes a layer as ONNX nodes reading the tensors ins and returns its output
// tensor. The file holds an image (a convlens [H, W, C] tensor) as NCHW, a vector flattened
// from an image in C,H,W order (e.chw), and every other tensor in convlens's own order.
type kindExporter func(e *exporter, n layers.Node, ins []string) (string, error)

// kindExporters has one exporter per layer kind (TestEveryKindEverywhere walks them).
var kindExporters = map[layers.Kind]kindExporter{
	layers.Conv2D: exportConv, layers.ConvTranspose: exportConvTranspose,
	layers.MaxPool2D: exportPool, layers.AvgPool2D: exportPool, layers.GlobalAvgPool: exportGlobalAvgPool,
	layers.Pad: exportPad, layers.Dense: exportDense, layers.Flatten: exportFlatten,
	layers.Dropout: exportIdentity, layers.Identity: exportIdentity, layers.Activate: exportActivation,
	layers.BatchNorm: exportBatchNorm, layers.Affine: exportAffine, layers.Add: exportAdd,
	layers.Multiply: exportMerge, layers.Merge: exportMerge, layers.Concat: exportConcat,
	layers.Softmax: exportSoftmax, layers.Reshape: exportReshape, layers.Reduce: exportReduce,
	layers.Gather: exportGather, layers.LayerNorm: exportLayerNorm, layers.PReLU: exportPReLU,
	layers.Resize: exportResize,
}

// ExportsKind reports whether a layer kind has an exporter.
func ExportsKind(k layers.Kind) bool { _, ok := kindExporters[k]; return ok }

// keepsOrder are the kinds whose output keeps the order of an input vector's features.
var keepsOrder = map[layers.Kind]bool{layers.Dropout: true, layers.Identity: true, layers.Activate: true,
	layers.BatchNorm: true, layers.Affine: true, layers.PReLU: true}

// storage returns input i in convlens's order (an image transposed from NCHW, a C,H,W
// vector reordered to H,W,C).
func (e *exporter) storage(n layers.Node, i int) string {
	t, in := e.tensor[n.Inputs[i]], n.InShapes[i]
	name := fmt.Sprintf("%s/in%d", n.Name, i)
	if len(in) == 3 {
		return e.node("Transpose", name+"_nhwc", []string{t}, []attr{intsAttr("perm", 0, 2, 3, 1)})
	}
	if hwc, ok := e.chw[n.Inputs[i]]; ok {
		x := e.node("Reshape", name+"_chw", []string{t, e.initInt64(name+"_chw_shape", []int64{0, int64(hwc[2]), int64(hwc[0]), int64(hwc[1])})}, nil)
		x = e.node("Transpose", name+"_hwc", []string{x}, []attr{intsAttr("perm", 0, 2, 3, 1)})
		return e.node("Reshape", name+"_flat", []string{x, e.initInt64(name+"_flat_shape", []int64{0, -1})}, nil)
	}
	return t
}

// fromStorage turns a tensor in convlens's order into the file's (an image to NCHW),
// naming the last node after the layer.
func (e *exporter) fromStorage(n layers.Node, t string, final bool) string {
	if len(n.OutShape) == 3 {
		return e.node("Transpose", n.Name, []string{t}, []attr{intsAttr("perm", 0, 3, 1, 2)})
	}
	if final {
		return e.node("Identity", n.Name, []string{t}, nil)
	}
	return t
}

func exportIdentity(e *exporter, n layers.Node, ins []string) (string, error) {
	return e.node("Identity", n.Name, ins, nil), nil
}

// weightsAndBiases reads a layer's weights and biases.
func (e *exporter) weightsAndBiases(layer string) (w, b nd.Array, err error) {
	if w, err = e.variable(layer, layers.VarWeights); err != nil {
		return
	}
	b, err = e.variable(layer, layers.VarBiases)
	return
}

func exportConv(e *exporter, n layers.Node, ins []string) (string, error) {
	l := n.Layer
	w, b, err := e.weightsAndBiases(l.Name)
	if err != nil {
		return "", err
	}
	kh, kw, cin, o := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	oihw := make([]float32, len(w.Data))
	for y := range kh {
		for x := range kw {
			for i := range cin {
				for f := range o {
					oihw[((f*cin+i)*kh+y)*kw+x] = w.Data[((y*kw+x)*cin+i)*o+f]
				}
			}
		}
	}
	out := e.node("Conv", pre(l, "Conv"), []string{ins[0], e.init(l.Name+"/weights", oihw, o, cin, kh, kw), e.init(l.Name+"/biases", b.Data, o)},
		append(windowAttrsOf(l, n.InShapes[0]), intAttr("group", int64(max(l.Groups, 1)))))
	return e.activation(l, out, l.Name), nil
}

// windowAttrsOf is a conv's or pool's kernel_shape, strides, dilations and pads.
func windowAttrsOf(l layers.Layer, in []int) []attr {
	kh, sh, dh := l.Window(0)
	kw, sw, dw := l.Window(1)
	p := l.WindowPads(in[0], in[1])
	return []attr{intsAttr("kernel_shape", kh, kw), intsAttr("strides", sh, sw), intsAttr("dilations", dh, dw), intsAttr("pads", p[0], p[2], p[1], p[3])}
}

func exportConvTranspose(e *exporter, n layers.Node, ins []string) (string, error) {
	l := n.Layer
	w, b, err := e.weightsAndBiases(l.Name)
	if err != nil {
		return "", err
	}
	kh, kw, ci, og := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	iohw := make([]float32, len(w.Data))
	for y := range kh {
		for x := range kw {
			for i := range ci {
				for f := range og {
					iohw[((i*og+f)*kh+y)*kw+x] = w.Data[((y*kw+x)*ci+i)*og+f]
				}
			}
		}
	}
	_, sh, dh := l.Window(0)
	_, sw, dw := l.Window(1)
	p := append(append([]int{}, l.Pads...), 0, 0, 0, 0)
	op := append(append([]int{}, l.OutPads...), 0, 0)
	out := e.node("ConvTranspose", pre(l, "ConvTranspose"), []string{ins[0], e.init(l.Name+"/weights", iohw, ci, og, kh, kw), e.init(l.Name+"/biases", b.Data, l.Filters)},
		[]attr{intsAttr("kernel_shape", kh, kw), intsAttr("strides", sh, sw), intsAttr("dilations", dh, dw), intsAttr("pads", p[0], p[2], p[1], p[3]),
			intsAttr("output_padding", op[0], op[1]), intAttr("group", int64(max(l.Groups, 1)))})
	return e.activation(l, out, l.Name), nil
}

func exportPool(e *exporter, n layers.Node, ins []string) (string, error) {
	l := n.Layer
	attrs := windowAttrsOf(l, n.InShapes[0])
	op := "MaxPool"
	if l.Kind == layers.AvgPool2D {
		op = "AveragePool"
		if _, _, d := l.Window(0); d > 1 || !l.Square() && func() bool { _, _, d := l.Window(1); return d > 1 }() {
			return "", fmt.Errorf("a dilated average pool needs opset 19; convlens exports opset %d", ExportOpset)
		}
		attrs = append(attrs[:2], attrs[3], intAttr("count_include_pad", map[bool]int64{true: 1, false: 0}[l.CountPad]))
	}
	return e.node(op, l.Name, ins, attrs), nil
}

func exportGlobalAvgPool(e *exporter, n layers.Node, ins []string) (string, error) {
	if n.KeepDims {
		return e.node("GlobalAveragePool", n.Name, ins, nil), nil
	}
	x := e.node("GlobalAveragePool", n.Name+"/pool", ins, nil)
	return e.node("Flatten", n.Name, []string{x}, []attr{intAttr("axis", 1)}), nil
}

func exportPad(e *exporter, n layers.Node, ins []string) (string, error) {
	p := n.Pads
	pads := e.initInt64(n.Name+"/pads", []int64{0, 0, int64(p[0]), int64(p[2]), 0, 0, int64(p[1]), int64(p[3])})
	fill := e.init(n.Name+"/value", []float32{float32(n.Fill)})
	var attrs []attr
	if n.Mode != "" && n.Mode != "constant" {
		attrs = []attr{stringAttr("mode", n.Mode)}
	}
	return e.node("Pad", n.Name, []string{ins[0], pads, fill}, attrs), nil
}

func exportFlatten(e *exporter, n layers.Node, ins []string) (string, error) {
	in := n.InShapes[0]
	if len(in) == 3 && in[0]*in[1] > 1 && in[2] > 1 {
		e.chw[n.Name] = slices.Clone(in)
		return e.node("Flatten", n.Name, ins, []attr{intAttr("axis", 1)}), nil
	}
	if len(in) == 3 { // a 1×1×C or H×W×1 image flattens the same in both orders
		return e.node("Flatten", n.Name, ins, []attr{intAttr("axis", 1)}), nil
	}
	return e.node("Flatten", n.Name, []string{e.storage(n, 0)}, []attr{intAttr("axis", 1)}), nil
}

func exportDense(e *exporter, n layers.Node, ins []string) (string, error) {
	l := n.Layer
	w, b, err := e.weightsAndBiases(l.Name)
	if err != nil {
		return "", err
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
	weights, biases := e.init(l.Name+"/weights", data, rows, units), e.init(l.Name+"/biases", b.Data, units)
	if len(n.InShapes[0]) == 1 {
		out := e.node("Gemm", pre(l, "Gemm"), []string{ins[0], weights, biases}, nil)
		return e.activation(l, out, l.Name), nil
	}
	x := e.node("MatMul", l.Name+"/MatMul", []string{e.storage(n, 0), weights}, nil)
	x = e.node("Add", pre(l, "Add")+"_bias", []string{x, biases}, nil)
	x = e.activation(l, x, l.Name+"/act")
	return e.fromStorage(n, x, true), nil
}

func exportActivation(e *exporter, n layers.Node, ins []string) (string, error) {
	return e.activation(n.Layer, ins[0], n.Name), nil
}

// perChannelShape is the ONNX shape of per-channel values of a layer's input.
func perChannelShape(e *exporter, n layers.Node, c int) []int {
	in := n.InShapes[0]
	if len(in) == 3 {
		return []int{c, 1, 1}
	}
	shape := make([]int, len(in))
	for i := range shape {
		shape[i] = 1
	}
	shape[len(shape)-1] = c
	return shape
}

func exportBatchNorm(e *exporter, n layers.Node, ins []string) (string, error) {
	var vals [4][]float32
	for i, v := range []string{layers.VarGamma, layers.VarBeta, layers.VarMovingMean, layers.VarMovingVar} {
		a, err := e.variable(n.Name, v)
		if err != nil {
			return "", err
		}
		vals[i] = e.perFeature(n.Inputs[0], a.Data)
	}
	eps := n.Epsilon
	if eps == 0 {
		eps = layers.BatchNormEpsilon
	}
	x := ins[0]
	if len(n.InShapes[0]) != 1 && len(n.InShapes[0]) != 3 { // channels last: ONNX wants them in axis 1
		r := len(n.InShapes[0]) + 1
		perm := []int{0, r - 1}
		for a := 1; a < r-1; a++ {
			perm = append(perm, a)
		}
		x = e.node("Transpose", n.Name+"/channels_first", []string{x}, []attr{intsAttr("perm", perm...)})
	}
	c := len(vals[0])
	out := e.node("BatchNormalization", n.Name, []string{x, e.init(n.Name+"/gamma", vals[0], c), e.init(n.Name+"/beta", vals[1], c),
		e.init(n.Name+"/moving_mean", vals[2], c), e.init(n.Name+"/moving_var", vals[3], c)}, []attr{floatAttr("epsilon", float32(eps))})
	if x != ins[0] {
		r := len(n.InShapes[0]) + 1
		perm := []int{0}
		for a := 2; a < r; a++ {
			perm = append(perm, a)
		}
		perm = append(perm, 1)
		out = e.node("Transpose", n.Name+"/channels_last", []string{out}, []attr{intsAttr("perm", perm...)})
	}
	return out, nil
}

// paramInFile lays out a layer's broadcast parameter (convlens shape ps) as the input
// tensor's file layout needs it: an image's [H, W, C] parameter as [C, H, W].
func paramInFile(n layers.Node, ps []int, v []float32) ([]int, []float32) {
	if len(n.InShapes[0]) != 3 || len(ps) != 3 {
		return ps, v
	}
	h, w, c := ps[0], ps[1], ps[2]
	out := make([]float32, len(v))
	for y := range h {
		for x := range w {
			for ch := range c {
				out[(ch*h+y)*w+x] = v[(y*w+x)*c+ch]
			}
		}
	}
	return []int{c, h, w}, out
}

func exportAffine(e *exporter, n layers.Node, ins []string) (string, error) {
	scale, err := e.variable(n.Name, layers.VarScale)
	if err != nil {
		return "", err
	}
	shift, err := e.variable(n.Name, layers.VarShift)
	if err != nil {
		return "", err
	}
	var shape []int
	var sc, sh []float32
	if n.ParamShape == nil {
		shape = perChannelShape(e, n, len(scale.Data))
		sc, sh = e.perFeature(n.Inputs[0], scale.Data), e.perFeature(n.Inputs[0], shift.Data)
		if _, ok := e.chw[n.Inputs[0]]; ok {
			shape = []int{len(sc)}
		}
	} else {
		if _, ok := e.chw[n.Inputs[0]]; ok {
			ins = []string{e.storage(n, 0)}
		}
		shape, sc = paramInFile(n, n.ParamShape, scale.Data)
		_, sh = paramInFile(n, n.ParamShape, shift.Data)
	}
	x := e.node("Mul", n.Name+"/scale", []string{ins[0], e.init(n.Name+"/scale_values", sc, shape...)}, nil)
	return e.node("Add", n.Name, []string{x, e.init(n.Name+"/shift_values", sh, shape...)}, nil), nil
}

func exportPReLU(e *exporter, n layers.Node, ins []string) (string, error) {
	slope, err := e.variable(n.Name, layers.VarSlope)
	if err != nil {
		return "", err
	}
	x := ins[0]
	ps := n.ParamShape
	if ps == nil {
		ps = make([]int, len(n.InShapes[0]))
		for i := range ps {
			ps[i] = 1
		}
		ps[len(ps)-1] = len(slope.Data)
	}
	if _, ok := e.chw[n.Inputs[0]]; ok {
		x = e.storage(n, 0)
	}
	shape, v := paramInFile(n, ps, slope.Data)
	out := e.node("PRelu", n.Name, []string{x, e.init(n.Name+"/slope", v, shape...)}, nil)
	if _, ok := e.chw[n.Inputs[0]]; ok {
		delete(e.chw, n.Name) // now in convlens's order
	}
	return out, nil
}

// sameLayout returns the inputs in one layout: as they are where every input has the
// file's layout for its rank, else all in convlens's order (the result then too).
func (e *exporter) sameLayout(n layers.Node, ins []string) ([]string, bool) {
	mixed := false
	for _, in := range n.Inputs {
		_, chw := e.chw[in]
		mixed = mixed || chw
	}
	if !mixed {
		return ins, false
	}
	out := make([]string, len(ins))
	for i := range ins {
		out[i] = e.storage(n, i)
	}
	return out, true
}

func exportAdd(e *exporter, n layers.Node, ins []string) (string, error) {
	l := n.Layer
	ins, moved := e.sameLayout(n, ins)
	out := ins[0]
	for i, x := range ins[1:] {
		nm := pre(l, "Add")
		if i < len(ins)-2 || moved {
			nm = fmt.Sprintf("%s/add%d", l.Name, i+1)
		}
		out = e.node("Add", nm, []string{out, x}, nil)
	}
	if moved {
		out = e.node("Identity", pre(l, "Add"), []string{out}, nil)
	}
	return e.activation(l, out, l.Name), nil
}

// mergeOps are the ONNX ops of multiply and merge.
var mergeOps = map[string]string{"sub": "Sub", "div": "Div", "pow": "Pow", "max": "Max", "min": "Min", "mean": "Mean", "sum": "Sum"}

func exportMerge(e *exporter, n layers.Node, ins []string) (string, error) {
	ins, _ = e.sameLayout(n, ins)
	switch op := n.Op; {
	case n.Kind == layers.Multiply || op == "sub" || op == "div" || op == "pow":
		name := map[layers.Kind]string{layers.Multiply: "Mul"}[n.Kind]
		if name == "" {
			name = mergeOps[op]
		}
		out := ins[0]
		for i, x := range ins[1:] {
			nm := n.Name
			if i < len(ins)-2 {
				nm = fmt.Sprintf("%s/%s%d", n.Name, name, i+1)
			}
			out = e.node(name, nm, []string{out, x}, nil)
		}
		return out, nil
	default:
		return e.node(mergeOps[op], n.Name, ins, nil), nil
	}
}

func exportConcat(e *exporter, n layers.Node, ins []string) (string, error) {
	in := n.InShapes[0]
	if len(in) == 3 && len(n.Axes) <= 1 {
		axis := []int{2, 3, 1}[slices.IndexFunc([]int{0, 1, 2}, func(a int) bool { return len(n.Axes) == 0 && a == 2 || len(n.Axes) == 1 && a == n.Axes[0] })]
		if len(ins) == 1 {
			return e.node("Identity", n.Name, ins, nil), nil
		}
		return e.node("Concat", n.Name, ins, []attr{intAttr("axis", int64(axis))}), nil
	}
	var st []string
	for i := range ins {
		st = append(st, e.storage(n, i))
	}
	axis := len(in)
	if len(n.Axes) == 1 {
		axis = n.Axes[0] + 1
	}
	return e.node("Concat", n.Name, st, []attr{intAttr("axis", int64(axis))}), nil
}

func exportSoftmax(e *exporter, n layers.Node, ins []string) (string, error) {
	in := n.InShapes[0]
	axis := len(in) - 1
	if len(n.Axes) == 1 {
		axis = n.Axes[0]
	}
	if len(in) == 3 {
		return e.node("Softmax", n.Name, ins, []attr{intAttr("axis", int64([]int{2, 3, 1}[axis]))}), nil
	}
	x := ins[0]
	if _, ok := e.chw[n.Inputs[0]]; ok {
		x = e.storage(n, 0)
	}
	return e.node("Softmax", n.Name, []string{x}, []attr{intAttr("axis", int64(axis+1))}), nil
}

func exportReshape(e *exporter, n layers.Node, ins []string) (string, error) {
	x := e.storage(n, 0)
	if n.Perm != nil {
		perm := []int{0}
		for _, p := range n.Perm {
			perm = append(perm, p+1)
		}
		x = e.node("Transpose", n.Name+"/perm", []string{x}, []attr{intsAttr("perm", perm...)})
	}
	shape := []int64{0}
	for _, d := range n.OutShape {
		shape = append(shape, int64(d))
	}
	x = e.node("Reshape", n.Name+"/reshape", []string{x, e.initInt64(n.Name+"/shape", shape)}, nil)
	return e.fromStorage(n, x, true), nil
}

// reduceOps are the ONNX ops of the reduce kind.
var reduceOpsOut = map[string]string{"mean": "ReduceMean", "max": "ReduceMax", "min": "ReduceMin", "sum": "ReduceSum", "l2": "ReduceL2", "sumsquare": "ReduceSumSquare"}

func exportReduce(e *exporter, n layers.Node, ins []string) (string, error) {
	x := e.storage(n, 0)
	axes := make([]int64, len(n.Axes))
	for i, a := range n.Axes {
		axes[i] = int64(a + 1)
	}
	keep := int64(0)
	if n.KeepDims {
		keep = 1
	}
	op := reduceOpsOut[n.Op]
	var out string
	if op == "ReduceSum" { // axes is an input from opset 13 for ReduceSum, an attribute for the rest until 18
		out = e.node(op, n.Name+"/reduce", []string{x, e.initInt64(n.Name+"/axes", axes)}, []attr{intAttr("keepdims", keep)})
	} else {
		out = e.node(op, n.Name+"/reduce", []string{x}, []attr{intsAttr64("axes", axes), intAttr("keepdims", keep)})
	}
	return e.fromStorage(n, out, true), nil
}

func exportGather(e *exporter, n layers.Node, ins []string) (string, error) {
	x := e.storage(n, 0)
	in := n.InShapes[0]
	first, last := n.Axes[0], n.Axes[len(n.Axes)-1]
	merged := []int64{0}
	for _, d := range in[:first] {
		merged = append(merged, int64(d))
	}
	m := 1
	for _, d := range in[first : last+1] {
		m *= d
	}
	merged = append(merged, int64(m))
	for _, d := range in[last+1:] {
		merged = append(merged, int64(d))
	}
	x = e.node("Reshape", n.Name+"/merge", []string{x, e.initInt64(n.Name+"/merged", merged)}, nil)
	idx := make([]int64, len(n.Indices))
	fill := false
	for i, v := range n.Indices {
		idx[i] = int64(v)
		if v < 0 {
			idx[i], fill = int64(m), true
		}
	}
	if fill { // one more position along the axis, holding Fill
		padShape := slices.Clone(merged)
		padShape[0] = 1
		pads := make([]int64, 2*len(merged))
		pads[len(merged)+first+1] = 1
		x = e.node("Pad", n.Name+"/fill", []string{x, e.initInt64(n.Name+"/fill_pads", pads), e.init(n.Name+"/fill_value", []float32{float32(n.Fill)})}, nil)
	}
	shape := make([]int, len(n.Shape))
	copy(shape, n.Shape)
	x = e.node("Gather", n.Name+"/gather", []string{x, e.initInt64Shaped(n.Name+"/indices", idx, shape...)}, []attr{intAttr("axis", int64(first+1))})
	return e.fromStorage(n, x, true), nil
}

func exportLayerNorm(e *exporter, n layers.Node, ins []string) (string, error) {
	x := e.storage(n, 0)
	g, err := e.variable(n.Name, layers.VarGamma)
	if err != nil {
		return "", err
	}
	b, err := e.variable(n.Name, layers.VarBeta)
	if err != nil {
		return "", err
	}
	eps := n.Epsilon
	if eps == 0 {
		eps = layers.LayerNormEpsilon
	}
	out := e.node("LayerNormalization", n.Name+"/norm", []string{x, e.init(n.Name+"/gamma", g.Data, g.Shape...), e.init(n.Name+"/beta", b.Data, b.Shape...)},
		[]attr{intAttr("axis", int64(n.Axes[0]+1)), floatAttr("epsilon", float32(eps))})
	return e.fromStorage(n, out, true), nil
}

func exportResize(e *exporter, n layers.Node, ins []string) (string, error) {
	in := n.InShapes[0]
	scales := []float32{1, 1, float32(n.Shape[0]) / float32(in[0]), float32(n.Shape[1]) / float32(in[1])}
	if n.Scales != nil {
		scales[2], scales[3] = float32(n.Scales[0]), float32(n.Scales[1])
	}
	// sizes beat scales where the product rounds differently; ONNX takes one or the other.
	batch := e.node("Shape", n.Name+"/batch", []string{ins[0]}, []attr{intAttr("end", 2)})
	sizes := e.node("Concat", n.Name+"/sizes", []string{batch, e.initInt64(n.Name+"/hw", []int64{int64(n.Shape[0]), int64(n.Shape[1])})}, []attr{intAttr("axis", 0)})
	attrs := []attr{stringAttr("mode", n.Mode), stringAttr("coordinate_transformation_mode", orDefault(n.Coord, "half_pixel"))}
	if n.Mode == "nearest" {
		attrs = append(attrs, stringAttr("nearest_mode", orDefault(n.Rounding, "round_prefer_floor")))
	}
	if n.Scales != nil { // the mapping divides by the given factors: pass them, not sizes
		return e.node("Resize", n.Name, []string{ins[0], "", e.init(n.Name+"/scales", scales, 4)}, attrs), nil
	}
	return e.node("Resize", n.Name, []string{ins[0], "", "", sizes}, attrs), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// activation appends the layer's fused or own nonlinearity to x, named name.
func (e *exporter) activation(l layers.Layer, x, name string) string {
	one := func(op string, attrs ...attr) string { return e.node(op, name, []string{x}, attrs) }
	scalar := func(suffix string, v float64) string { return e.init(name+"/"+suffix, []float32{float32(v)}) }
	switch l.Activation {
	case layers.ReLU:
		return one("Relu")
	case layers.LeakyReLU:
		return one("LeakyRelu", floatAttr("alpha", float32(l.Alpha)))
	case layers.Sigmoid:
		return one("Sigmoid")
	case layers.Tanh:
		return one("Tanh")
	case layers.Clip:
		return e.node("Clip", name, []string{x, scalar("min", l.ClipMin), scalar("max", l.ClipMax)}, nil)
	case layers.HardSigmoid:
		return one("HardSigmoid", floatAttr("alpha", float32(l.Alpha)), floatAttr("beta", float32(l.Beta)))
	case layers.HardSwish:
		return one("HardSwish")
	case layers.Erf:
		return one("Erf")
	case layers.Sqrt:
		return one("Sqrt")
	case layers.Exp:
		return one("Exp")
	case layers.Log:
		return one("Log")
	case layers.Neg:
		return one("Neg")
	case layers.Abs:
		return one("Abs")
	case layers.Reciprocal:
		return one("Reciprocal")
	case layers.Softplus:
		return one("Softplus")
	case layers.ELU:
		return one("Elu", floatAttr("alpha", float32(l.Alpha)))
	case layers.Pow:
		return e.node("Pow", name, []string{x, scalar("exponent", l.Exponent)}, nil)
	case layers.GELU: // Gelu is an op from opset 20: x · (1 + erf(x/√2)) / 2
		h := e.node("Div", name+"/scaled", []string{x, scalar("sqrt2", math.Sqrt2)}, nil)
		h = e.node("Erf", name+"/erf", []string{h}, nil)
		h = e.node("Add", name+"/one_plus", []string{h, scalar("one", 1)}, nil)
		h = e.node("Mul", name+"/times_x", []string{x, h}, nil)
		return e.node("Mul", name, []string{h, scalar("half", 0.5)}, nil)
	case layers.GELUTanh: // x · (1 + tanh(√(2/π)·(x + 0.044715·x³))) / 2
		c := e.node("Pow", name+"/cube", []string{x, scalar("three", 3)}, nil)
		c = e.node("Mul", name+"/cubic", []string{c, scalar("k", 0.044715)}, nil)
		c = e.node("Add", name+"/inner", []string{x, c}, nil)
		c = e.node("Mul", name+"/scaled", []string{c, scalar("s", math.Sqrt(2/math.Pi))}, nil)
		c = e.node("Tanh", name+"/tanh", []string{c}, nil)
		c = e.node("Add", name+"/one_plus", []string{c, scalar("one", 1)}, nil)
		c = e.node("Mul", name+"/times_x", []string{x, c}, nil)
		return e.node("Mul", name, []string{c, scalar("half", 0.5)}, nil)
	}
	return x
}
