package onnx

import (
	"fmt"
	"slices"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// geometry is a 2-D window read from a node's attributes.
type geometry struct {
	k, s, d [2]int // kernel, stride, dilation per axis (height, width)
	pads    [4]int // top, bottom, left, right
}

// set fills a layer's window fields.
func (g geometry) set(l *layers.Layer) {
	l.Kernel, l.Stride, l.Dilation = g.k[0], g.s[0], g.d[0]
	if g.k[1] != g.k[0] {
		l.KernelW = g.k[1]
	}
	if g.s[1] != g.s[0] {
		l.StrideW = g.s[1]
	}
	if g.d[1] != g.d[0] {
		l.DilationW = g.d[1]
	}
	l.Padding, l.Pads = layers.Explicit, g.pads[:]
	if g.pads == [4]int{} {
		l.Padding, l.Pads = layers.Valid, nil
	}
}

func (g geometry) span(axis int) int { return (g.k[axis]-1)*g.d[axis] + 1 }

// out is the output size of the window on an h×w input.
func (g geometry) out(h, w int) (int, int) {
	return (h+g.pads[0]+g.pads[1]-g.span(0))/g.s[0] + 1, (w+g.pads[2]+g.pads[3]-g.span(1))/g.s[1] + 1
}

// windowAttrs reads the kernel, stride, dilation and padding attributes of a conv or pool
// on an h×w input (ceil: ceil_mode's extra high padding).
func windowAttrs(n *Node, kernel []int64, h, w int, ceil bool) (geometry, error) {
	var g geometry
	if len(kernel) != 2 {
		return g, fmt.Errorf("kernel %v; convlens takes 2-D windows", kernel)
	}
	pair := func(name string, vals []int64, def int) ([2]int, error) {
		if a, ok := n.Attrs[name]; ok && len(a.Ints) > 0 {
			vals = a.Ints
		}
		if vals == nil {
			return [2]int{def, def}, nil
		}
		if len(vals) != 2 || vals[0] < 1 || vals[1] < 1 || vals[0] > 64 || vals[1] > 64 {
			return [2]int{}, fmt.Errorf("%s %v; convlens takes 2 values from 1 to 64", name, vals)
		}
		return [2]int{int(vals[0]), int(vals[1])}, nil
	}
	var err error
	if g.k, err = pair("kernel_shape", kernel, 1); err != nil {
		return g, err
	}
	if g.s, err = pair("strides", nil, 1); err != nil {
		return g, err
	}
	if g.d, err = pair("dilations", nil, 1); err != nil {
		return g, err
	}
	switch auto := n.Attrs["auto_pad"].String; auto {
	case "", "NOTSET":
		if p := n.Attrs["pads"].Ints; len(p) > 0 {
			if len(p) != 4 {
				return g, fmt.Errorf("pads %v; want 4 values", p)
			}
			for _, v := range p {
				if v < 0 || v > 1024 {
					return g, fmt.Errorf("pads %v outside [0, 1024]", p)
				}
			}
			g.pads = [4]int{int(p[0]), int(p[2]), int(p[1]), int(p[3])}
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for axis, in := range []int{h, w} {
			out := (in + g.s[axis] - 1) / g.s[axis]
			total := max((out-1)*g.s[axis]+g.span(axis)-in, 0)
			lo := total / 2
			if auto == "SAME_LOWER" {
				lo = total - total/2
			}
			g.pads[2*axis], g.pads[2*axis+1] = lo, total-lo
		}
	default:
		return g, fmt.Errorf("auto_pad %s", quote(auto))
	}
	if ceil { // ceil_mode: extra high padding for a last, partial window that starts inside the input
		for axis, in := range []int{h, w} {
			lo, hi, s := g.pads[2*axis], g.pads[2*axis+1], g.s[axis]
			out := (in+lo+hi-g.span(axis)+s-1)/s + 1
			if (out-1)*s >= in+lo {
				out--
			}
			g.pads[2*axis+1] = max(hi, (out-1)*s+g.span(axis)-in-lo)
		}
	}
	for i, p := range g.pads {
		if p >= g.span(i/2) {
			return g, fmt.Errorf("padding %v reaches a whole kernel span (%d); convlens pads less than a window", g.pads, g.span(i/2))
		}
	}
	if h+g.pads[0]+g.pads[1] < g.span(0) || w+g.pads[2]+g.pads[3] < g.span(1) {
		return g, fmt.Errorf("kernel span %d×%d larger than the padded %d×%d input", g.span(0), g.span(1), h, w)
	}
	return g, nil
}

// imageOut is the layout of an NCHW image output [1, c, h, w] stored [h, w, c].
func (imp *importer) imageOut(c, h, w int) layout {
	l := stored([]int{1, c, h, w}, []int{2, 3, 1})
	if imp.dynamic {
		l.batch = 0
	}
	return l
}

func convConv(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	if x, err = imp.image(x, "Conv"); err != nil {
		return err
	}
	wt, err := imp.floats(n, 1, false)
	if err != nil {
		return err
	}
	if len(wt.Dims) != 4 {
		return fmt.Errorf("weights of shape %v; convlens takes 2-D convolutions, weights [O, I/groups, kh, kw]", wt.Dims)
	}
	groups := int(attrInt(n, "group", 1))
	c, h, w := x.lay.dims[1], x.lay.dims[2], x.lay.dims[3]
	if groups < 1 || c%groups != 0 || int(wt.Dims[1])*groups != c {
		return fmt.Errorf("weights %v with %d groups do not fit %d input channels", wt.Dims, groups, c)
	}
	if ks := n.Attrs["kernel_shape"].Ints; len(ks) > 0 && !slices.Equal(ks, wt.Dims[2:]) {
		return fmt.Errorf("kernel_shape %v differs from the weights %v", ks, wt.Dims)
	}
	g, err := windowAttrs(n, wt.Dims[2:], h, w, false)
	if err != nil {
		return err
	}
	o := int(wt.Dims[0])
	bias, err := imp.bias(n, o)
	if err != nil {
		return err
	}
	l := layers.Layer{Kind: layers.Conv2D, Filters: o, Groups: groups}
	g.set(&l)
	ho, wo := g.out(h, w)
	imp.emit(l, []value{x}, imp.imageOut(o, ho, wo), map[string]nd.Array{layers.VarWeights: toHWIO(wt), layers.VarBiases: bias})
	return nil
}

// bias reads a conv's optional bias (input 2) of o values; zeros without one.
func (imp *importer) bias(n *Node, o int) (nd.Array, error) {
	bias := nd.New(o)
	bt, err := imp.floats(n, 2, true)
	if err != nil || bt == nil {
		return bias, err
	}
	if len(bt.Floats) != o {
		return bias, fmt.Errorf("bias of %d values for %d filters", len(bt.Floats), o)
	}
	copy(bias.Data, bt.Floats)
	return bias, nil
}

// toHWIO reorders ONNX conv weights [O, I, kh, kw] into [kh, kw, I, O].
func toHWIO(w *Tensor) nd.Array {
	o, i, kh, kw := int(w.Dims[0]), int(w.Dims[1]), int(w.Dims[2]), int(w.Dims[3])
	out := nd.New(kh, kw, i, o)
	for a := range o {
		for b := range i {
			for y := range kh {
				for x := range kw {
					out.Data[((y*kw+x)*i+b)*o+a] = w.Floats[((a*i+b)*kh+y)*kw+x]
				}
			}
		}
	}
	return out
}

func convConvTranspose(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	if x, err = imp.image(x, "ConvTranspose"); err != nil {
		return err
	}
	wt, err := imp.floats(n, 1, false)
	if err != nil {
		return err
	}
	if len(wt.Dims) != 4 {
		return fmt.Errorf("weights of shape %v; convlens takes 2-D transposed convolutions, weights [I, O/groups, kh, kw]", wt.Dims)
	}
	groups := int(attrInt(n, "group", 1))
	c, h, w := x.lay.dims[1], x.lay.dims[2], x.lay.dims[3]
	if groups < 1 || int(wt.Dims[0]) != c || c%groups != 0 {
		return fmt.Errorf("weights %v with %d groups do not fit %d input channels", wt.Dims, groups, c)
	}
	o := int(wt.Dims[1]) * groups
	var g geometry
	if g, err = windowAttrs(&Node{Attrs: map[string]Attribute{"strides": n.Attrs["strides"], "dilations": n.Attrs["dilations"]}}, wt.Dims[2:], 1<<20, 1<<20, false); err != nil {
		return err
	}
	outPads := [2]int{}
	if op := n.Attrs["output_padding"].Ints; len(op) > 0 {
		if len(op) != 2 || op[0] < 0 || op[1] < 0 || op[0] >= int64(max(g.s[0], g.d[0])) || op[1] >= int64(max(g.s[1], g.d[1])) {
			return fmt.Errorf("output_padding %v", op)
		}
		outPads = [2]int{int(op[0]), int(op[1])}
	}
	full := [2]int{(h-1)*g.s[0] + g.span(0) + outPads[0], (w-1)*g.s[1] + g.span(1) + outPads[1]}
	var pads [4]int
	auto := n.Attrs["auto_pad"].String
	if os := n.Attrs["output_shape"].Ints; len(os) > 0 {
		if len(os) != 2 {
			return fmt.Errorf("output_shape %v; want height and width", os)
		}
		auto = "SAME_UPPER"
		if a := n.Attrs["auto_pad"].String; a == "SAME_LOWER" {
			auto = a
		}
		full = [2]int{(h-1)*g.s[0] + g.span(0) + outPads[0], (w-1)*g.s[1] + g.span(1) + outPads[1]}
		for axis, want := range []int64{os[0], os[1]} {
			total := full[axis] - int(want)
			if total < 0 { // a larger output: extra cells at the end
				outPads[axis] -= total
				continue
			}
			lo := total / 2 // ONNX: SAME_UPPER puts the extra cell at the end
			if auto == "SAME_LOWER" {
				lo = total - total/2
			}
			pads[2*axis], pads[2*axis+1] = lo, total-lo
		}
	} else {
		switch auto {
		case "", "NOTSET":
			if p := n.Attrs["pads"].Ints; len(p) > 0 {
				if len(p) != 4 {
					return fmt.Errorf("pads %v; want 4 values", p)
				}
				pads = [4]int{int(p[0]), int(p[2]), int(p[1]), int(p[3])}
			}
		case "VALID":
		case "SAME_UPPER", "SAME_LOWER":
			for axis, in := range []int{h, w} {
				total := full[axis] - in*g.s[axis]
				lo := total / 2
				if auto == "SAME_LOWER" {
					lo = total - total/2
				}
				pads[2*axis], pads[2*axis+1] = max(lo, 0), max(total-lo, 0)
			}
		default:
			return fmt.Errorf("auto_pad %s", quote(auto))
		}
	}
	// convlens weights [kh, kw, I, O/groups].
	ci, og, kh, kw := int(wt.Dims[0]), int(wt.Dims[1]), int(wt.Dims[2]), int(wt.Dims[3])
	wts := nd.New(kh, kw, ci, og)
	for a := range ci {
		for b := range og {
			for y := range kh {
				for xx := range kw {
					wts.Data[((y*kw+xx)*ci+a)*og+b] = wt.Floats[((a*og+b)*kh+y)*kw+xx]
				}
			}
		}
	}
	bias, err := imp.bias(n, o)
	if err != nil {
		return err
	}
	g.pads = [4]int{}
	l := layers.Layer{Kind: layers.ConvTranspose, Filters: o, Groups: groups, Pads: pads[:]}
	g.set(&l)
	l.Padding, l.Pads = "", pads[:]
	if outPads != [2]int{} {
		l.OutPads = outPads[:]
	}
	ho, wo := l.TransposedOut(h, w)
	if ho < 1 || wo < 1 {
		return fmt.Errorf("pads %v leave no output", pads)
	}
	imp.emit(l, []value{x}, imp.imageOut(o, ho, wo), map[string]nd.Array{layers.VarWeights: wts, layers.VarBiases: bias})
	return nil
}
