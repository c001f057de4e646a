package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// convTransposeKind is a transposed 2-D convolution (the gradient of a convolution with
// respect to its input, a learnt upsampling): each input cell adds its kernel-weighted
// values to a kh×kw window of the output, windows Stride apart. Pads (top, bottom, left,
// right) remove output cells at the borders, OutPads (bottom, right) add some. Weights
// [kh, kw, Cin, Filters/groups], biases [Filters]. The output cells gather their
// contributions (an im2col with a transposed index table), on every backend.
type convTransposeKind struct{ oneInput }

func init() { register(ConvTranspose, convTransposeKind{}, true, Window) }

func (convTransposeKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if len(x) != 3 {
		return nil, fmt.Errorf("needs an H×W×C input, got shape %v", x)
	}
	if l.Padding != "" && l.Padding != Explicit && l.Padding != Valid {
		return nil, fmt.Errorf("padding %q: a transposed convolution takes explicit pads", l.Padding)
	}
	for _, v := range []int{l.Kernel, l.KernelW, l.Stride, l.StrideW, l.Dilation, l.DilationW} {
		if v < 0 || v > maxKernel {
			return nil, fmt.Errorf("window setting %d outside [1, %d]", v, maxKernel)
		}
	}
	if l.Kernel < 1 {
		return nil, fmt.Errorf("kernel %d outside [1, %d]", l.Kernel, maxKernel)
	}
	if l.Filters < 1 || l.Filters > maxFilters {
		return nil, fmt.Errorf("%d filters (want 1 to %d)", l.Filters, maxFilters)
	}
	if g := l.groups(); x[2]%g != 0 || l.Filters%g != 0 {
		return nil, fmt.Errorf("%d groups must divide both the %d input channels and the %d filters", g, x[2], l.Filters)
	}
	if len(l.Pads) != 0 && len(l.Pads) != 4 || len(l.OutPads) != 0 && len(l.OutPads) != 2 {
		return nil, fmt.Errorf("pads %v and out_pads %v: want 4 and 2 values", l.Pads, l.OutPads)
	}
	for _, p := range append(append([]int{}, l.Pads...), l.OutPads...) {
		if p < 0 || p > 1024 {
			return nil, fmt.Errorf("pad %d outside [0, 1024]", p)
		}
	}
	ho, wo := l.TransposedOut(x[0], x[1])
	if ho < 1 || wo < 1 {
		return nil, fmt.Errorf("pads %v leave no output of a %dx%d input", l.Pads, x[0], x[1])
	}
	out := []int{ho, wo, l.Filters}
	kh, kw := l.kernelSize()
	if prod(out) > maxActivations || int64(kh*kw)*int64(x[2])*int64(l.Filters) > maxActivations {
		return nil, fmt.Errorf("output %v or its weights are too large", out)
	}
	return out, nil
}

// TransposedOut is a transposed convolution's output height and width.
func (l Layer) TransposedOut(h, w int) (int, int) {
	wh, ww := l.windows()
	p := append(append([]int{}, l.Pads...), 0, 0, 0, 0)
	op := append(append([]int{}, l.OutPads...), 0, 0)
	return (h-1)*wh.s - p[0] - p[1] + wh.span() + op[0], (w-1)*ww.s - p[2] - p[3] + ww.span() + op[1]
}

func (convTransposeKind) variables(l Layer, in [][]int) []VariableSpec {
	cin := single(in)[2]
	kh, kw := l.kernelSize()
	og := l.Filters / l.groups()
	fanIn, fanOut := kh*kw*cin/l.groups(), kh*kw*og
	return []VariableSpec{
		{Name: VarWeights, Shape: []int{kh, kw, cin, og}, Trainable: true,
			init: func(rng *rand.Rand) []float32 { return initWeights(rng, kh*kw*cin*og, fanIn, fanOut, l.Activation) }},
		zeros(VarBiases, l.Filters),
	}
}

func (convTransposeKind) flops(l Layer, in [][]int, out []int) int64 {
	kh, kw := l.kernelSize()
	x := single(in)
	return 2*int64(prod(x))*int64(kh*kw*l.Filters/l.groups()) + int64(prod(out))
}

// TransposedSource is the input position an output position o reads through kernel tap t
// of a transposed convolution (lo cells removed at the start, stride s, dilation d), or -1.
func TransposedSource(o, t, lo, s, d, n int) int {
	i := o + lo - t*d
	if i < 0 || i%s != 0 || i/s >= n {
		return -1
	}
	return i / s
}

func (convTransposeKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	g := x.Graph()
	dims := x.Shape().Dimensions
	bs, h, w, cin := dims[0], dims[1], dims[2], dims[3]
	ho, wo := l.TransposedOut(h, w)
	wh, ww := l.windows()
	p := append(append([]int{}, l.Pads...), 0, 0, 0, 0)
	idx := make([]int32, 0, ho*wo*wh.k*ww.k)
	for oy := range ho {
		for ox := range wo {
			for ky := range wh.k {
				iy := TransposedSource(oy, ky, p[0], wh.s, wh.d, h)
				for kx := range ww.k {
					ix := TransposedSource(ox, kx, p[2], ww.s, ww.d, w)
					if iy < 0 || ix < 0 {
						idx = append(idx, -1)
					} else {
						idx = append(idx, int32(iy*w+ix))
					}
				}
			}
		}
	}
	k2 := wh.k * ww.k
	rows := graph.Reshape(gatherPixels(x, idx, 0), ho*wo, k2, bs, cin)
	rows = graph.TransposeAllAxes(rows, 2, 0, 1, 3) // [B, Ho*Wo, k2, Cin]
	kernel := b.variable(g, VarWeights)
	groups, cout := l.groups(), l.Filters
	var out *graph.Node
	if groups == 1 {
		out = matmul(graph.Reshape(rows, bs*ho*wo, k2*cin), graph.Reshape(kernel, k2*cin, cout))
	} else {
		cg, og := cin/groups, cout/groups
		r := graph.Reshape(rows, bs*ho*wo, k2, groups, cg)
		r = graph.Reshape(graph.TransposeAllAxes(r, 2, 0, 1, 3), groups, bs*ho*wo, k2*cg)
		kern := graph.Reshape(kernel, k2, groups, cg, og)
		kern = graph.Reshape(graph.TransposeAllAxes(kern, 1, 0, 2, 3), groups, k2*cg, og)
		out = graph.TransposeAllAxes(batchedMatmul(r, kern), 1, 0, 2)
	}
	out = graph.Reshape(out, bs, ho, wo, cout)
	return graph.Add(out, graph.Reshape(b.variable(g, VarBiases), 1, 1, 1, cout))
}
