package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// conv2dKind is a 2-D convolution with stride, padding, dilation and channel groups.
// Weights [k, k, Cin/groups, Filters] and biases [Filters].
type conv2dKind struct{ oneInput }

func init() { register(Conv2D, conv2dKind{}, true, Window) }

func (l Layer) groups() int { return max(l.Groups, 1) }

func (conv2dKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if err := l.checkWindow(x); err != nil {
		return nil, err
	}
	if l.Filters < 1 || l.Filters > maxFilters {
		return nil, fmt.Errorf("%d filters (want 1 to %d)", l.Filters, maxFilters)
	}
	if g := l.groups(); g > maxFilters || x[2]%g != 0 || l.Filters%g != 0 {
		return nil, fmt.Errorf("%d groups must divide both the %d input channels and the %d filters", g, x[2], l.Filters)
	}
	kh, kw := l.kernelSize()
	if int64(kh)*int64(kw)*int64(x[2]/l.groups())*int64(l.Filters) > maxActivations {
		return nil, fmt.Errorf("%d×%d×%d×%d weights is too many", kh, kw, x[2]/l.groups(), l.Filters)
	}
	ho, wo := l.windowOut(x[0], x[1])
	return []int{ho, wo, l.Filters}, nil
}

func (conv2dKind) variables(l Layer, in [][]int) []VariableSpec {
	cin := single(in)[2] / l.groups()
	kh, kw := l.kernelSize()
	fanIn, fanOut := kh*kw*cin, kh*kw*l.Filters/l.groups()
	return []VariableSpec{
		{Name: VarWeights, Shape: []int{kh, kw, cin, l.Filters}, Trainable: true,
			init: func(rng *rand.Rand) []float32 { return initWeights(rng, fanIn*l.Filters, fanIn, fanOut, l.Activation) }},
		zeros(VarBiases, l.Filters),
	}
}

func (conv2dKind) flops(l Layer, in [][]int, out []int) int64 {
	n := int64(prod(out))
	kh, kw := l.kernelSize()
	return 2*int64(kh*kw*single(in)[2]/l.groups())*n + n
}

// kernelSize is the window's height and width.
func (l Layer) kernelSize() (int, int) {
	h, w := l.windows()
	return h.k, w.k
}

func (conv2dKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	g := x.Graph()
	if b.storeConvInputs {
		x = storedOnce(x)
	}
	y := conv2d(x, b.variable(g, VarWeights), l, b.portable)
	return graph.Add(y, graph.Reshape(b.variable(g, VarBiases), 1, 1, 1, l.Filters))
}

// conv2d convolves x [B,H,W,Cin] with kernel [kh,kw,Cin/groups,Cout]. GoMLX cannot combine
// strides with dilation, so that case takes the portable formulation on XLA too; so do
// grouped (depthwise) convolutions, whose native gradient XLA CPU compiles for minutes
// (MobileNetV2 at 64×64: 95 s to compile the input gradient, 39 ms to run it; portable:
// 1.7 s and 11 ms).
func conv2d(x, kernel *graph.Node, l Layer, portable bool) *graph.Node {
	dims := x.Shape().Dimensions
	ph, pw := l.pads(dims[1], dims[2])
	wh, ww := l.windows()
	groups := l.groups()
	strided, dilated := wh.s > 1 || ww.s > 1, wh.d > 1 || ww.d > 1
	if !portable && !(strided && dilated) && groups == 1 {
		c := graph.Convolve(x, kernel).StridePerAxis(wh.s, ww.s).PaddingPerDim([][2]int{ph, pw})
		if dilated {
			c = c.DilationPerAxis(wh.d, ww.d)
		}
		return c.Done()
	}
	b, cin := dims[0], dims[3]
	cout := kernel.Shape().Dimensions[3]
	p, ho, wo := patches(x, wh, ww, ph, pw, 0) // [Ho*Wo, kh*kw, B, Cin]
	k2 := wh.k * ww.k
	p = graph.TransposeAllAxes(p, 2, 0, 1, 3) // [B, Ho*Wo, k*k, Cin]
	if groups == 1 {
		out := matmul(graph.Reshape(p, b*ho*wo, k2*cin), graph.Reshape(kernel, k2*cin, cout))
		return graph.Reshape(out, b, ho, wo, cout)
	}
	// Per group: rows [g, B*Ho*Wo, k*k*Cin/g] times kernels [g, k*k*Cin/g, Cout/g].
	cg, og := cin/groups, cout/groups
	rows := graph.Reshape(p, b*ho*wo, k2, groups, cg)
	rows = graph.Reshape(graph.TransposeAllAxes(rows, 2, 0, 1, 3), groups, b*ho*wo, k2*cg)
	kern := graph.Reshape(kernel, wh.k, ww.k, cg, groups, og)
	kern = graph.Reshape(graph.TransposeAllAxes(kern, 3, 0, 1, 2, 4), groups, k2*cg, og)
	out := batchedMatmul(rows, kern) // [g, B*Ho*Wo, Cout/g]
	out = graph.TransposeAllAxes(out, 1, 0, 2)
	return graph.Reshape(out, b, ho, wo, cout)
}
