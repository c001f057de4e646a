package layers

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// BenchmarkConvPieces times single convolutions (forward; forward with the input gradient,
// the kernel gradient, or both) at the LeNet, TinyVGG and ResNet shapes on XLA, to see which
// pieces of a step cost what, natively and (stride 1) as one matrix product of shifted slices
// (convSlicesProbe); "noop" is the per-call floor. min-µs is the fastest call (the least
// disturbed on a shared machine). bench/torch_conv_pieces.py times the same pieces in PyTorch.
func BenchmarkConvPieces(b *testing.B) {
	be := testutil.XLA(b)
	type cs struct {
		name                string
		n, h, w, c, k, f, s int
		padding             Padding
		first               bool // a first layer: no input gradient in training
	}
	for _, c := range []cs{{"noop", 64, 28, 28, 1, 5, 6, 1, Same, true}, {"lenet_conv1", 64, 28, 28, 1, 5, 6, 1, Same, true},
		{"lenet_conv2", 64, 14, 14, 6, 5, 16, 1, Valid, false},
		{"vgg_conv1", 64, 32, 32, 3, 3, 10, 1, Valid, true}, {"vgg_conv2", 64, 30, 30, 10, 3, 10, 1, Valid, false},
		{"vgg_conv3", 64, 14, 14, 10, 3, 10, 1, Valid, false},
		{"resnet_stem", 64, 32, 32, 3, 3, 16, 1, Same, true}, {"resnet_block1", 64, 32, 32, 16, 3, 16, 1, Same, false},
		{"resnet_block2_conv1", 64, 32, 32, 16, 3, 32, 2, Same, false}, {"resnet_block2_proj", 64, 32, 32, 16, 1, 32, 2, Valid, false},
		{"resnet_block2_conv2", 64, 16, 16, 32, 3, 32, 1, Same, false}, {"resnet_block3_conv1", 64, 16, 16, 32, 3, 64, 2, Same, false},
		{"resnet_block3_proj", 64, 16, 16, 32, 1, 64, 2, Valid, false}, {"resnet_block3_conv2", 64, 8, 8, 64, 3, 64, 1, Same, false}} {
		l := Layer{Kind: Conv2D, Kernel: c.k, Filters: c.f, Stride: c.s, Padding: c.padding}
		ph, pw := l.pads(c.h, c.w)
		for _, mode := range []string{"fwd", "fwd+grads", "fwd+dx", "fwd+dw", "slices-fwd", "slices-fwd+grads"} {
			if strings.HasPrefix(mode, "slices-") && (c.s != 1 || strings.HasPrefix(c.name, "resnet")) {
				continue
			}
			if c.first && mode == "fwd+dx" {
				continue
			}
			b.Run(c.name+"/"+mode, func(b *testing.B) {
				slices := strings.HasPrefix(mode, "slices-")
				mode := strings.TrimPrefix(mode, "slices-")
				e := graph.MustNewExec(be, func(x, k *graph.Node) []*graph.Node {
					var y *graph.Node
					if c.name == "noop" {
						return []*graph.Node{graph.ReduceAllSum(x), graph.ReduceAllSum(k)}
					}
					if slices {
						y = convSlicesProbe(x, k, c.k, 1, 1, ph, pw)
					} else {
						y = conv2d(x, k, l, false)
					}
					if mode == "fwd" {
						return []*graph.Node{graph.ReduceAllSum(y)}
					}
					loss := graph.ReduceAllSum(graph.Mul(y, y))
					wrt := map[string][]*graph.Node{"fwd+grads": {x, k}, "fwd+dx": {x}, "fwd+dw": {k}}[mode]
					if c.first && mode == "fwd+grads" {
						wrt = []*graph.Node{k}
					}
					out := []*graph.Node{loss}
					for _, g := range graph.Gradient(loss, wrt...) {
						out = append(out, graph.ReduceAllSum(g))
					}
					return out
				})
				x := tensors.FromFlatDataAndDimensions(testutil.RandomArray(1, 0, 1, c.n*c.h*c.w*c.c).Data, c.n, c.h, c.w, c.c)
				k := tensors.FromFlatDataAndDimensions(testutil.RandomArray(2, -1, 1, c.k*c.k*c.c*c.f).Data, c.k, c.k, c.c, c.f)
				reportFastestCall(b, e, x, k)
			})
		}
	}
}

// reportFastestCall warms e up with three calls, then times b.N calls on args (outputs
// freed on the device) and reports the fastest as min-µs.
func reportFastestCall(b *testing.B, e *graph.Exec, args ...any) {
	for range 3 {
		e.MustExec(args...)
	}
	times := make([]float64, b.N)
	b.ResetTimer()
	for i := range times {
		t0 := time.Now()
		for _, o := range e.MustExec(args...) {
			o.FinalizeAll()
		}
		times[i] = time.Since(t0).Seconds()
	}
	b.ReportMetric(slices.Min(times)*1e6, "min-µs")
}

func convSlicesProbe(x, kernel *graph.Node, k, stride, dil int, ph, pw [2]int) *graph.Node {
	dims := x.Shape().Dimensions
	b, h, w, cin := dims[0], dims[1], dims[2], dims[3]
	cout := kernel.Shape().Dimensions[3]
	if ph != [2]int{} || pw != [2]int{} {
		x = graph.Pad(x, graph.ScalarZero(x.Graph(), x.DType()), backends.PadAxis{},
			backends.PadAxis{Start: ph[0], End: ph[1]}, backends.PadAxis{Start: pw[0], End: pw[1]}, backends.PadAxis{})
	}
	span := (k-1)*dil + 1
	ho := (h+ph[0]+ph[1]-span)/stride + 1
	wo := (w+pw[0]+pw[1]-span)/stride + 1
	parts := make([]*graph.Node, 0, k*k)
	for ky := 0; ky < k; ky++ {
		for kx := 0; kx < k; kx++ {
			y0, x0 := ky*dil, kx*dil
			parts = append(parts, graph.Slice(x, graph.AxisRange(),
				graph.AxisRange(y0, y0+(ho-1)*stride+1).Stride(stride),
				graph.AxisRange(x0, x0+(wo-1)*stride+1).Stride(stride), graph.AxisRange()))
		}
	}
	p := graph.Concatenate(parts, 3)
	out := matmul(graph.Reshape(p, b*ho*wo, k*k*cin), graph.Reshape(kernel, k*k*cin, cout))
	return graph.Reshape(out, b, ho, wo, cout)
}

// BenchmarkStoredConvInput times a convolution's forward pass and kernel gradient
// (ResNet's block1 shape, 64×32×32×16, 3×3, 16 filters) whose input is batch norm + ReLU
// of x, with that input fused into its consumers as XLA CPU does by default, and stored
// once through storedOnce (Model.StoreConvInputs). The kernel gradient transposes the
// input; fused, the transpose recomputes batch norm + ReLU in transposed order.
func BenchmarkStoredConvInput(b *testing.B) {
	be := testutil.XLA(b)
	n, h, w, ch, k := 64, 32, 32, 16, 3
	l := Layer{Kind: Conv2D, Kernel: k, Filters: ch, Stride: 1, Padding: Same}
	for _, stored := range []bool{false, true} {
		b.Run(map[bool]string{false: "fused", true: "stored"}[stored], func(b *testing.B) {
			e := graph.MustNewExec(be, func(x, kernel *graph.Node) []*graph.Node {
				centred := graph.Sub(x, graph.ReduceAndKeep(x, graph.ReduceMean, 0, 1, 2))
				scale := graph.Rsqrt(graph.AddScalar(graph.ReduceAndKeep(graph.Square(centred), graph.ReduceMean, 0, 1, 2), BatchNormEpsilon))
				in := graph.Max(graph.Mul(centred, scale), graph.ScalarZero(x.Graph(), x.DType()))
				if stored {
					in = storedOnce(in)
				}
				y := conv2d(in, kernel, l, false)
				loss := graph.ReduceAllSum(graph.Mul(y, y))
				return []*graph.Node{loss, graph.Gradient(loss, kernel)[0]}
			})
			x := tensors.FromFlatDataAndDimensions(testutil.RandomArray(1, -1, 1, n*h*w*ch).Data, n, h, w, ch)
			kernel := tensors.FromFlatDataAndDimensions(testutil.RandomArray(2, -1, 1, k*k*ch*ch).Data, k, k, ch, ch)
			reportFastestCall(b, e, x, kernel)
		})
	}
}
