package layers_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// layerCase is a one-layer model (8×8×3 input → layer "L" → flatten → 5 logits).
type layerCase struct {
	name     string
	add      func(s *layers.Spec)
	training bool // build in training mode for the gradient check
}

var layerCases = []layerCase{
	{"conv3_same_relu", func(s *layers.Spec) {
		s.Conv("L", 4, 3, layers.WithPadding(layers.Same), layers.WithActivation(layers.ReLU))
	}, false},
	{"conv3_valid_stride2_tanh", func(s *layers.Spec) { s.Conv("L", 4, 3, layers.WithStride(2), layers.WithActivation(layers.Tanh)) }, false},
	{"conv5_same_stride2_leaky", func(s *layers.Spec) {
		s.Conv("L", 3, 5, layers.WithPadding(layers.Same), layers.WithStride(2), layers.WithLeakyReLU(0.1))
	}, false},
	{"conv1_sigmoid", func(s *layers.Spec) { s.Conv("L", 2, 1, layers.WithActivation(layers.Sigmoid)) }, false},
	{"maxpool2", func(s *layers.Spec) { s.MaxPool("L", 2) }, false},
	{"maxpool3_stride2_same", func(s *layers.Spec) { s.MaxPool("L", 3, layers.WithStride(2), layers.WithPadding(layers.Same)) }, false},
	{"avgpool2", func(s *layers.Spec) { s.AvgPool("L", 2) }, false},
	{"avgpool3_stride2_same", func(s *layers.Spec) { s.AvgPool("L", 3, layers.WithStride(2), layers.WithPadding(layers.Same)) }, false},
	{"batchnorm_training", func(s *layers.Spec) { s.BatchNorm("L") }, true},
	{"batchnorm_inference", func(s *layers.Spec) { s.BatchNorm("L") }, false},
	{"act_sigmoid", func(s *layers.Spec) { s.Act("L", layers.Sigmoid) }, false},
	{"pad_then_conv", func(s *layers.Spec) { s.PadImage("p", 1, 0, 2, 3, 0.25).Conv("L", 2, 3, layers.WithStride(2)) }, false},
	{"pad_only_bottom", func(s *layers.Spec) { s.PadImage("L", 0, 2, 0, 0, -1) }, false},
	{"act_clip_relu6", func(s *layers.Spec) {
		s.Act("L", layers.Clip, func(l *layers.Layer) { l.ClipMin, l.ClipMax = -0.3, 0.5 })
	}, false},
	{"act_leakyrelu", func(s *layers.Spec) { s.Act("L", layers.LeakyReLU, layers.WithLeakyReLU(0.2)) }, false},
	{"dropout_inference", func(s *layers.Spec) { s.Dropout("L", 0.5) }, false},
	{"dense_relu", func(s *layers.Spec) { s.Flatten("flat0").Dense("L", 7, layers.WithActivation(layers.ReLU)) }, false},
	{"conv3_dilation2_same", func(s *layers.Spec) {
		s.Conv("L", 4, 3, layers.WithPadding(layers.Same), layers.WithDilation(2), layers.WithActivation(layers.Tanh))
	}, false},
	{"conv2_dilation2_stride2", func(s *layers.Spec) { s.Conv("L", 3, 2, layers.WithDilation(2), layers.WithStride(2)) }, false},
	{"conv3_groups3", func(s *layers.Spec) { s.Conv("L", 6, 3, layers.WithGroups(3), layers.WithPadding(layers.Same)) }, false},
	{"conv3_depthwise_stride2", func(s *layers.Spec) {
		s.Conv("L", 3, 3, layers.WithGroups(3), layers.WithStride(2), layers.WithActivation(layers.Sigmoid))
	}, false},
	{"conv3_explicit_pads", func(s *layers.Spec) { s.Conv("L", 2, 3, layers.WithPads(1, 2, 0, 1), layers.WithStride(2)) }, false},
	{"maxpool3_explicit_pads", func(s *layers.Spec) { s.MaxPool("L", 3, layers.WithStride(2), layers.WithPads(1, 1, 1, 0)) }, false},
	{"avgpool3_explicit_pads", func(s *layers.Spec) { s.AvgPool("L", 3, layers.WithStride(2), layers.WithPads(0, 1, 1, 1)) }, false},
	{"add_residual_relu", func(s *layers.Spec) {
		s.Conv("a", 3, 3, layers.WithPadding(layers.Same)).Add("L", []string{"a", layers.InputName}, layers.WithActivation(layers.ReLU))
	}, false},
	{"add_three", func(s *layers.Spec) {
		s.Conv("a", 3, 1).Conv("b", 3, 3, layers.WithPadding(layers.Same), layers.From(layers.InputName)).Add("L", []string{"a", "b", layers.InputName})
	}, false},
	{"concat_branches", func(s *layers.Spec) {
		s.Conv("a", 2, 1, layers.WithActivation(layers.ReLU)).
			Conv("b", 4, 3, layers.WithPadding(layers.Same), layers.From(layers.InputName)).
			Concat("L", []string{"a", "b", layers.InputName})
	}, false},
	{"globalavgpool", func(s *layers.Spec) { s.Conv("a", 4, 3).GlobalAvgPool("L") }, false},
	{"softmax_channels", func(s *layers.Spec) { s.Conv("a", 4, 3).Softmax("L") }, false},
	{"identity", func(s *layers.Spec) { s.Identity("L") }, false},
	{"squeeze_excite_multiply", func(s *layers.Spec) {
		s.Conv("x", 4, 3).GlobalAvgPool("gap", func(l *layers.Layer) { l.KeepDims = true }).
			Conv("gate", 4, 1, layers.WithActivation(layers.Sigmoid)).Multiply("L", []string{"x", "gate"})
	}, false},
	{"affine_after_imported_names", func(s *layers.Spec) {
		s.Conv("/layer1/layer1.0/conv1/Conv", 3, 3).Affine("L")
	}, false},
	{"batchnorm_epsilon", func(s *layers.Spec) { s.BatchNorm("L"); s.Layers[0].Epsilon = 1e-5 }, false},
	{"conv_3x1_stride2x1_nonsquare", func(s *layers.Spec) {
		s.Conv("L", 4, 3, layers.WithPads(1, 1, 0, 0), func(l *layers.Layer) { l.KernelW, l.Stride, l.StrideW = 1, 2, 1 })
	}, false},
	{"conv_depthwise_stride2x1_dilation", func(s *layers.Spec) {
		s.Conv("L", 3, 3, layers.WithGroups(3), layers.WithPads(2, 2, 1, 1), func(l *layers.Layer) { l.Stride, l.StrideW, l.Dilation, l.DilationW = 2, 1, 2, 1 })
	}, false},
	{"maxpool_2x3_dilated", func(s *layers.Spec) {
		s.MaxPool("L", 2, func(l *layers.Layer) { l.KernelW, l.Stride, l.StrideW, l.Dilation = 3, 1, 2, 2 })
	}, false},
	{"avgpool3_count_pad", func(s *layers.Spec) {
		s.AvgPool("L", 3, layers.WithStride(2), layers.WithPads(1, 1, 1, 1), func(l *layers.Layer) { l.CountPad = true })
	}, false},
	{"act_hardswish", func(s *layers.Spec) { s.Act("L", layers.HardSwish) }, false},
	{"act_hardsigmoid", func(s *layers.Spec) {
		s.Act("L", layers.HardSigmoid, func(l *layers.Layer) { l.Alpha, l.Beta = 0.4, 0.3 })
	}, false},
	{"act_gelu", func(s *layers.Spec) { s.Act("L", layers.GELU) }, false},
	{"act_gelu_tanh", func(s *layers.Spec) { s.Act("L", layers.GELUTanh) }, false},
	{"act_erf_exp_neg_abs", func(s *layers.Spec) {
		s.Act("a", layers.Erf).Act("b", layers.Exp).Act("c", layers.Neg).Act("L", layers.Abs)
	}, false},
	{"act_sqrt_log_reciprocal_of_positive", func(s *layers.Spec) {
		s.Act("e", layers.Exp).Act("a", layers.Sqrt).Act("b", layers.Log).Act("c", layers.Exp).Act("L", layers.Reciprocal)
	}, false},
	{"act_pow_softplus_elu", func(s *layers.Spec) {
		s.Act("a", layers.Pow, func(l *layers.Layer) { l.Exponent = 2 }).Act("b", layers.Softplus).Act("L", layers.ELU, func(l *layers.Layer) { l.Alpha = 0.7 })
	}, false},
	{"reshape_channel_shuffle", func(s *layers.Spec) {
		s.Conv("a", 4, 1).
			Add("r", nil, func(l *layers.Layer) { l.Kind, l.Shape = layers.Reshape, []int{8, 8, 2, 2} }).
			Add("L", nil, func(l *layers.Layer) { l.Kind, l.Perm, l.Shape = layers.Reshape, []int{0, 1, 3, 2}, []int{8, 8, 4} })
	}, false},
	{"reshape_transpose_to_chw", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) { l.Kind, l.Perm = layers.Reshape, []int{2, 0, 1} })
	}, false},
	{"reduce_mean_hw_keep", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) { l.Kind, l.Op, l.Axes, l.KeepDims = layers.Reduce, "mean", []int{0, 1}, true })
	}, false},
	{"reduce_max_channels", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) { l.Kind, l.Op, l.Axes = layers.Reduce, "max", []int{2} })
	}, false},
	{"reduce_l2_min_sum", func(s *layers.Spec) {
		s.AddLayer("a", nil, func(l *layers.Layer) { l.Kind, l.Op, l.Axes, l.KeepDims = layers.Reduce, "l2", []int{1}, true }).
			Add("b", nil, func(l *layers.Layer) { l.Kind, l.Op, l.Axes, l.KeepDims = layers.Reduce, "min", []int{0}, true }).
			AddLayer("c", []string{layers.InputName}, func(l *layers.Layer) {
				l.Kind, l.Op, l.Axes, l.KeepDims = layers.Reduce, "sumsquare", []int{0, 2}, true
			}).
			AddLayer("d", []string{layers.InputName}, func(l *layers.Layer) { l.Kind, l.Op, l.Axes, l.KeepDims = layers.Reduce, "sum", []int{1}, true }).
			Merge("L", "sum", []string{"b", "c", "d"})
	}, false},
	{"gather_slice_channels", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) {
			l.Kind, l.Axes, l.Shape, l.Indices = layers.Gather, []int{2}, []int{2}, []int{2, 0}
		})
	}, false},
	{"gather_hw_with_fill", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) {
			l.Kind, l.Axes, l.Shape, l.Indices, l.Fill = layers.Gather, []int{0, 1}, []int{2, 3}, []int{0, 63, -1, 9, 9, 17}, 0.5
		})
	}, false},
	{"merge_sub_div_max_min_mean", func(s *layers.Spec) {
		s.Conv("a", 3, 3, layers.WithPadding(layers.Same)).Act("p", layers.Exp, layers.From(layers.InputName)).
			Merge("s", "sub", []string{"a", layers.InputName}).Merge("d", "div", []string{"s", "p"}).
			Merge("m", "max", []string{"d", "a", layers.InputName}).Merge("n", "min", []string{"a", layers.InputName}).Merge("L", "mean", []string{"m", "n", "d"})
	}, false},
	{"merge_broadcast_gate_pow", func(s *layers.Spec) {
		s.Act("e", layers.Exp).GlobalAvgPool("gap", func(l *layers.Layer) { l.KeepDims = true }).Merge("L", "pow", []string{"e", "gap"})
	}, false},
	{"layernorm_channels", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) { l.Kind, l.Axes, l.Epsilon = layers.LayerNorm, []int{2}, 1e-6 })
	}, false},
	{"layernorm_hwc", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) { l.Kind, l.Axes = layers.LayerNorm, []int{0, 1, 2} })
	}, false},
	{"prelu_channels", func(s *layers.Spec) { s.AddLayer("L", nil, func(l *layers.Layer) { l.Kind = layers.PReLU }) }, false},
	{"prelu_shared_and_affine_broadcast", func(s *layers.Spec) {
		s.AddLayer("a", nil, func(l *layers.Layer) { l.Kind, l.ParamShape = layers.PReLU, []int{1, 1, 1} }).
			Add("L", nil, func(l *layers.Layer) { l.Kind, l.ParamShape = layers.Affine, []int{8, 1, 3} })
	}, false},
	{"softmax_over_width", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) { l.Kind, l.Axes = layers.Softmax, []int{1} })
	}, false},
	{"concat_along_height", func(s *layers.Spec) {
		s.Conv("a", 3, 3, layers.WithPads(1, 0, 1, 1)).Concat("L", []string{"a", layers.InputName}, func(l *layers.Layer) { l.Axes = []int{0} })
	}, false},
	{"dense_on_last_axis", func(s *layers.Spec) { s.Dense("L", 4, layers.WithActivation(layers.Tanh)).Flatten("f") }, false},
	{"pad_reflect_edge_crop", func(s *layers.Spec) {
		s.PadImage("a", 2, 1, 0, 3, 0, func(l *layers.Layer) { l.Mode = "reflect" }).
			PadImage("b", 1, 0, 2, 1, 0, func(l *layers.Layer) { l.Mode = "edge" }).
			PadImage("L", -1, -2, 1, -3, 0.5)
	}, false},
	{"resize_linear_half_pixel", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) { l.Kind, l.Mode, l.Shape = layers.Resize, "linear", []int{13, 5} })
	}, false},
	{"resize_nearest_asymmetric_scales", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) {
			l.Kind, l.Mode, l.Shape, l.Coord, l.Rounding, l.Scales = layers.Resize, "nearest", []int{16, 12}, "asymmetric", "floor", []float64{2, 1.5}
		})
	}, false},
	{"convtranspose_stride2_pads", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) {
			l.Kind, l.Filters, l.Kernel, l.Stride, l.Pads, l.OutPads, l.Activation = layers.ConvTranspose, 4, 3, 2, []int{1, 1, 0, 1}, []int{1, 0}, layers.ReLU
		})
	}, false},
	{"convtranspose_groups_nonsquare_dilated", func(s *layers.Spec) {
		s.AddLayer("L", nil, func(l *layers.Layer) {
			l.Kind, l.Filters, l.Kernel, l.KernelW, l.Stride, l.StrideW, l.Dilation, l.Groups = layers.ConvTranspose, 6, 2, 3, 1, 2, 2, 3
		})
	}, false},
	{"resblock_batchnorm_training", func(s *layers.Spec) {
		s.Conv("c1", 4, 3, layers.WithPadding(layers.Same), layers.WithStride(2)).BatchNorm("bn1").
			Conv("proj", 4, 1, layers.WithStride(2), layers.From(layers.InputName)).
			Add("L", []string{"bn1", "proj"}, layers.WithActivation(layers.ReLU))
	}, true},
}

func (c layerCase) spec() *layers.Spec {
	s := layers.NewSpec(c.name, 8, 8, 3, 5)
	c.add(s)
	if s.Layers[len(s.Layers)-1].Kind != layers.Dense {
		s.Flatten("flat")
	}
	return s.Dense("logits", 5)
}

func newModel(t *testing.T, s *layers.Spec, b *backend.Backend, portable bool) *layers.Model {
	t.Helper()
	m, err := layers.New(s, b, 42)
	if err != nil {
		t.Fatal(err)
	}
	m.Portable = portable
	return m
}

// Every layer's output agrees between XLA's native ops, the portable formulation on XLA,
// and the portable formulation on SimpleGo.
func TestLayerForwardAgreesAcrossBackends(t *testing.T) {
	xla, gob := testutil.XLA(t), testutil.Go(t)
	images := testutil.RandomArray(1, -1, 1, 4, 8, 8, 3)
	for _, c := range layerCases {
		t.Run(c.name, func(t *testing.T) {
			var outs []nd.Array
			for _, m := range []*layers.Model{newModel(t, c.spec(), xla, false), newModel(t, c.spec(), xla, true), newModel(t, c.spec(), gob, true)} {
				r, err := m.Taps(images, "L")
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, r.Outputs["L"])
			}
			for i, name := range []string{"xla portable", "simplego"} {
				if d := testutil.MaxRelDiff(outs[0].Data, outs[i+1].Data); d > 1e-4 {
					t.Errorf("%s differs from xla native by %.3g (relative)", name, d)
				}
			}
		})
	}
}

// Gradients with respect to the input and to every trainable variable agree with central
// finite differences along a random direction, on both backends.
func TestLayerGradientsMatchFiniteDifferences(t *testing.T) {
	images := testutil.RandomArray(2, -1, 1, 3, 8, 8, 3)
	for bname, b := range testutil.Both(t) {
		for _, c := range layerCases {
			t.Run(bname+"/"+c.name, func(t *testing.T) {
				m := newModel(t, c.spec(), b, b.IsGo())
				checkGradients(t, m, images, c.training)
			})
		}
	}
}

func checkGradients(t *testing.T, m *layers.Model, images nd.Array, training bool) {
	t.Helper()
	r := testutil.RandomArray(3, -1, 1, images.Shape[0], m.Spec.Classes)
	var vars []*context.Variable
	for v := range m.Ctx.IterVariables() {
		if v.Trainable && v.Scope() != context.RootScope {
			vars = append(vars, v)
		}
	}
	exec, err := context.NewExec(m.Backend, m.Ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
		f := m.Build(ctx, x, training)
		score := graph.ReduceAllSum(graph.Mul(f.Logits, graph.Const(x.Graph(), tensors.FromFlatDataAndDimensions(r.Data, r.Shape...))))
		wrt := []*graph.Node{x}
		for _, v := range vars {
			wrt = append(wrt, v.ValueGraph(x.Graph()))
		}
		return append([]*graph.Node{score}, graph.Gradient(score, wrt...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	run := func(img nd.Array) []nd.Array {
		outs, err := exec.Exec(layers.ImagesTensor(img))
		if err != nil {
			t.Fatal(err)
		}
		var res []nd.Array
		for _, o := range outs {
			a, err := layers.ToArray(o)
			if err != nil {
				t.Fatal(err)
			}
			res = append(res, a)
		}
		return res
	}
	base := run(images)
	rng := rand.New(rand.NewPCG(9, 9))
	direction := func(n int) []float32 {
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(rng.IntN(2)*2 - 1)
		}
		return d
	}
	const eps = 1e-4
	check := func(what string, grad []float32, fPlus, fMinus float64, d []float32) {
		analytic := 0.0
		for i := range grad {
			analytic += float64(grad[i]) * float64(d[i])
		}
		numeric := (fPlus - fMinus) / (2 * eps)
		if diff := math.Abs(analytic - numeric); diff > 2e-2*math.Max(math.Abs(analytic), math.Abs(numeric))+2e-3 {
			t.Errorf("%s: gradient·d = %.6g, finite difference %.6g", what, analytic, numeric)
		}
	}
	// Input.
	d := direction(len(images.Data))
	shifted := func(sign float32) nd.Array {
		a := nd.Array{Shape: images.Shape, Data: make([]float32, len(images.Data))}
		for i, v := range images.Data {
			a.Data[i] = v + sign*eps*d[i]
		}
		return a
	}
	check("input", base[1].Data, float64(run(shifted(1))[0].Data[0]), float64(run(shifted(-1))[0].Data[0]), d)
	// Variables.
	for i, v := range vars {
		orig, err := tensors.CopyFlatData[float32](v.MustValue())
		if err != nil {
			t.Fatal(err)
		}
		d := direction(len(orig))
		eval := func(sign float32) float64 {
			w := make([]float32, len(orig))
			for j := range w {
				w[j] = orig[j] + sign*eps*d[j]
			}
			v.MustSetValue(tensors.FromFlatDataAndDimensions(w, v.Shape().Dimensions...))
			return float64(run(images)[0].Data[0])
		}
		plus, minus := eval(1), eval(-1)
		v.MustSetValue(tensors.FromFlatDataAndDimensions(orig, v.Shape().Dimensions...))
		check(v.ScopeAndName(), base[2+i].Data, plus, minus, d)
	}
}
