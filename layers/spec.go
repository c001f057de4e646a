// Package layers describes CNNs as directed acyclic graphs of named layers (a Spec), builds
// them as GoMLX graphs that train on XLA and on the pure-Go SimpleGo backend, summarises
// their shapes, parameters and FLOPs, and taps every layer's output in one forward pass.
//
// Each layer kind lives in its own file behind the small kindDef interface (kind.go).
package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Kind is the type of a layer.
type Kind string

const (
	Conv2D        Kind = "conv2d"
	MaxPool2D     Kind = "maxpool2d"
	AvgPool2D     Kind = "avgpool2d"
	GlobalAvgPool Kind = "globalavgpool"
	Dense         Kind = "dense"
	Flatten       Kind = "flatten"
	Dropout       Kind = "dropout"
	BatchNorm     Kind = "batchnorm"
	Activate      Kind = "activation"
	Add           Kind = "add"
	Concat        Kind = "concat"
	Softmax       Kind = "softmax"
	Identity      Kind = "identity"
	Affine        Kind = "affine"
	Pad           Kind = "pad"
	Multiply      Kind = "multiply"
	Reshape       Kind = "reshape"
	Reduce        Kind = "reduce"
	Gather        Kind = "gather"
	Merge         Kind = "merge"
	LayerNorm     Kind = "layernorm"
	PReLU         Kind = "prelu"
	Resize        Kind = "resize"
	ConvTranspose Kind = "convtranspose"
)

const (
	maxFilters = 4096
	maxUnits   = 1 << 16
	maxKernel  = 64
	maxInputs  = 64
	// maxActivations bounds the values one image produces in any single layer.
	maxActivations = 1 << 26
	// maxWeights bounds one dense layer's weights (VGG's first dense layer has 102.8 M).
	maxWeights = 1 << 30
)

// InputName names the model's input image in a layer's Inputs.
const InputName = "input"

// Activation is a nonlinearity applied after a conv, dense or add layer, or as its own layer.
type Activation string

const (
	Linear    Activation = ""
	ReLU      Activation = "relu"
	LeakyReLU Activation = "leakyrelu"
	Sigmoid   Activation = "sigmoid"
	Tanh      Activation = "tanh"
	// Clip limits values to [Layer.ClipMin, Layer.ClipMax] (ReLU6 is clip 0..6).
	Clip Activation = "clip"
	// HardSigmoid is max(0, min(1, Alpha·x + Beta)); HardSwish is x·hardsigmoid(x) with 1/6, 1/2.
	HardSigmoid Activation = "hardsigmoid"
	HardSwish   Activation = "hardswish"
	// GELU is x·Φ(x) (exact, with erf); GELUTanh is its tanh approximation.
	GELU     Activation = "gelu"
	GELUTanh Activation = "gelu_tanh"
	Erf      Activation = "erf"
	Sqrt     Activation = "sqrt"
	Exp      Activation = "exp"
	Log      Activation = "log"
	Neg      Activation = "neg"
	Abs      Activation = "abs"
	// Reciprocal is 1/x; Pow is x^Exponent.
	Reciprocal Activation = "reciprocal"
	Pow        Activation = "pow"
	Softplus   Activation = "softplus"
	// ELU is x for x > 0, Alpha·(eˣ−1) otherwise.
	ELU Activation = "elu"
)

// Padding of convolutions and pools: Same keeps ceil(size/stride) (TensorFlow style), Valid
// uses only full windows, Explicit takes Layer.Pads.
type Padding string

const (
	Same     Padding = "same"
	Valid    Padding = "valid"
	Explicit Padding = "explicit"
)

// Layer is one named node of a model. Fields not used by its Kind stay zero.
type Layer struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Inputs names the layers (or InputName) feeding this one; empty means the previous
	// layer of Spec.Layers (the model input for the first).
	Inputs   []string `json:"inputs,omitempty"`
	Filters  int      `json:"filters,omitempty"`  // conv2d
	Units    int      `json:"units,omitempty"`    // dense
	Kernel   int      `json:"kernel,omitempty"`   // conv2d, pools: window height (and width unless KernelW)
	Stride   int      `json:"stride,omitempty"`   // conv2d, pools (default 1 for conv, Kernel for pools)
	Dilation int      `json:"dilation,omitempty"` // conv2d, pools (default 1)
	// KernelW, StrideW and DilationW set the width's window when it differs from the height's.
	KernelW    int        `json:"kernel_w,omitempty"`
	StrideW    int        `json:"stride_w,omitempty"`
	DilationW  int        `json:"dilation_w,omitempty"`
	Groups     int        `json:"groups,omitempty"`  // conv2d (default 1; input channels = depthwise)
	Padding    Padding    `json:"padding,omitempty"` // conv2d, pools (default Valid)
	Pads       []int      `json:"pads,omitempty"`    // Explicit padding: top, bottom, left, right
	Activation Activation `json:"activation,omitempty"`
	Alpha      float64    `json:"alpha,omitempty"`    // LeakyReLU slope for negative inputs
	Rate       float64    `json:"rate,omitempty"`     // dropout probability
	Epsilon    float64    `json:"epsilon,omitempty"`  // batchnorm (default BatchNormEpsilon)
	ClipMin    float64    `json:"clip_min,omitempty"` // clip activation bounds
	ClipMax    float64    `json:"clip_max,omitempty"`
	Fill       float64    `json:"fill,omitempty"`      // pad, gather: the value of added cells
	KeepDims   bool       `json:"keep_dims,omitempty"` // globalavgpool, reduce: keep reduced axes as 1
	Beta       float64    `json:"beta,omitempty"`      // hardsigmoid offset
	Exponent   float64    `json:"exponent,omitempty"`  // pow activation
	// Axes are per-image axes (0 is the first axis after the batch): reduce (the axes
	// reduced), softmax and concat (one axis; default the last), layernorm (the trailing
	// axes normalised), gather (consecutive axes indexed).
	Axes []int `json:"axes,omitempty"`
	// Perm transposes the per-image axes before a reshape to Shape (the per-image output).
	Perm  []int `json:"perm,omitempty"`
	Shape []int `json:"shape,omitempty"` // reshape, gather (index shape), resize (output H, W)
	// Op names the operation of a reduce (mean, max, min, sum, l2, sumsquare) or merge
	// (sub, div, max, min, mean, sum).
	Op string `json:"op,omitempty"`
	// Indices are a gather's flat positions in its axes (-1 reads Fill).
	Indices []int `json:"indices,omitempty"`
	// ParamShape is the broadcast shape of an affine's or prelu's parameters (per image;
	// default one value per channel, the last axis).
	ParamShape []int `json:"param_shape,omitempty"`
	// CountPad: average pools divide by the whole window, padding included.
	CountPad bool `json:"count_pad,omitempty"`
	// Mode: pad (constant, edge, reflect), resize (nearest, linear).
	Mode string `json:"mode,omitempty"`
	// Coord is a resize's coordinate mapping (half_pixel, asymmetric, align_corners,
	// pytorch_half_pixel); Rounding its nearest-mode rounding (round_prefer_floor,
	// round_prefer_ceil, floor, ceil).
	Coord    string `json:"coord,omitempty"`
	Rounding string `json:"rounding,omitempty"`
	// Scales are a resize's height and width factors (default: output over input size).
	Scales []float64 `json:"scales,omitempty"`
	// OutPads adds cells at the bottom and right of a transposed convolution's output.
	OutPads []int `json:"out_pads,omitempty"`
}

// HasActivation reports whether the layer applies a nonlinearity of its own
// (it then has a pre-activation tap, "<name>.pre").
func (l Layer) HasActivation() bool {
	k, ok := kinds[l.Kind]
	return ok && k.fusesActivation && l.Activation != Linear
}

// Normalization is input channel c's normalisation: the model sees (x − mean) / std (0 and
// 1 for a model that normalises nothing).
func (s *Spec) Normalization(c int) (mean, std float64) {
	if len(s.InputStd) == 0 {
		return 0, 1
	}
	return s.InputMean.At(c), s.InputStd.At(c)
}

// PerChannel holds one value per input channel, or one value for all; in JSON a number or a list.
type PerChannel []float64

// UnmarshalJSON accepts a number (older checkpoints) or a list.
func (p *PerChannel) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] != '[' && !bytes.Equal(b, []byte("null")) {
		var v float64
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*p = PerChannel{v}
		return nil
	}
	return json.Unmarshal(b, (*[]float64)(p))
}

// At returns the value for channel c.
func (p PerChannel) At(c int) float64 {
	if len(p) == 1 {
		return p[0]
	}
	return p[c]
}

// Spec is a whole model: input image shape, number of classes and its layers, a DAG whose
// Output (default: the last layer) yields the logits, [Classes]. An Output of kind Softmax
// yields probabilities: the model's logits are then the softmax's input.
type Spec struct {
	Name    string  `json:"name"`
	Height  int     `json:"height"`
	Width   int     `json:"width"`
	Chans   int     `json:"channels"`
	Classes int     `json:"classes"`
	Layers  []Layer `json:"layers"`
	Output  string  `json:"output,omitempty"`
	// InputMean and InputStd normalise raw pixels inside the model, per channel:
	// x' = (x-mean)/std. Empty means no normalisation.
	InputMean PerChannel `json:"input_mean,omitempty"`
	InputStd  PerChannel `json:"input_std,omitempty"`
	// Layout is the layout of the images the model's file takes: "" or LayoutNHWC (convlens),
	// LayoutNCHW (imported from PyTorch-style ONNX). Inside, activations are always channels last.
	Layout string `json:"layout,omitempty"`
	// Aliases maps other names of layers (an imported node's output tensor) to layer names.
	Aliases map[string]string `json:"aliases,omitempty"`
	// ClassNames, when set, names the classes (from the training data).
	ClassNames []string `json:"class_names,omitempty"`
}

// Image layouts of Spec.Layout.
const (
	LayoutNHWC = "NHWC"
	LayoutNCHW = "NCHW"
)

// Resolve returns the layer (or tap) name an alias stands for, or name itself.
func (s *Spec) Resolve(name string) string {
	base, pre := strings.CutSuffix(name, PreSuffix)
	if l, ok := s.Aliases[base]; ok {
		if pre {
			return l + PreSuffix
		}
		return l
	}
	return name
}

// NewSpec starts a model taking h×w×c images into the given number of classes.
func NewSpec(name string, h, w, c, classes int) *Spec {
	return &Spec{Name: name, Height: h, Width: w, Chans: c, Classes: classes}
}

// Option adjusts a layer being added to a Spec.
type Option func(*Layer)

// WithStride sets the stride of a conv or pool.
func WithStride(s int) Option { return func(l *Layer) { l.Stride = s } }

// WithPadding sets Same or Valid padding.
func WithPadding(p Padding) Option { return func(l *Layer) { l.Padding = p } }

// WithPads sets explicit padding (top, bottom, left, right).
func WithPads(top, bottom, left, right int) Option {
	return func(l *Layer) { l.Padding, l.Pads = Explicit, []int{top, bottom, left, right} }
}

// WithDilation sets a convolution's kernel dilation.
func WithDilation(d int) Option { return func(l *Layer) { l.Dilation = d } }

// WithGroups splits a convolution's channels into groups (groups = input channels: depthwise).
func WithGroups(g int) Option { return func(l *Layer) { l.Groups = g } }

// WithActivation sets the nonlinearity of a conv, dense or add layer.
func WithActivation(a Activation) Option { return func(l *Layer) { l.Activation = a } }

// WithLeakyReLU sets a LeakyReLU nonlinearity with the given negative slope.
func WithLeakyReLU(alpha float64) Option {
	return func(l *Layer) { l.Activation, l.Alpha = LeakyReLU, alpha }
}

// From names the layer's inputs (default: the previous layer).
func From(inputs ...string) Option { return func(l *Layer) { l.Inputs = inputs } }

func (s *Spec) add(l Layer, opts []Option) *Spec {
	for _, o := range opts {
		o(&l)
	}
	s.Layers = append(s.Layers, l)
	return s
}

// Conv adds a 2-D convolution (stride 1, valid padding, no activation unless set).
func (s *Spec) Conv(name string, filters, kernel int, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Conv2D, Filters: filters, Kernel: kernel, Stride: 1, Padding: Valid}, opts)
}

// MaxPool adds max pooling over kernel×kernel windows (stride defaults to kernel).
func (s *Spec) MaxPool(name string, kernel int, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: MaxPool2D, Kernel: kernel, Stride: kernel, Padding: Valid}, opts)
}

// AvgPool adds average pooling over kernel×kernel windows (stride defaults to kernel).
func (s *Spec) AvgPool(name string, kernel int, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: AvgPool2D, Kernel: kernel, Stride: kernel, Padding: Valid}, opts)
}

// GlobalAvgPool adds a mean over all positions: H×W×C → C.
func (s *Spec) GlobalAvgPool(name string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: GlobalAvgPool}, opts)
}

// Dense adds a fully connected layer.
func (s *Spec) Dense(name string, units int, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Dense, Units: units}, opts)
}

// Flatten adds a layer that turns H×W×C into one vector.
func (s *Spec) Flatten(name string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Flatten}, opts)
}

// Dropout adds dropout with the given rate (active in training only).
func (s *Spec) Dropout(name string, rate float64, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Dropout, Rate: rate}, opts)
}

// BatchNorm adds batch normalisation over the last axis.
func (s *Spec) BatchNorm(name string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: BatchNorm}, opts)
}

// Act adds a standalone activation layer.
func (s *Spec) Act(name string, a Activation, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Activate, Activation: a}, opts)
}

// Add adds the element-wise sum of its inputs (a residual connection); all must have one shape.
func (s *Spec) Add(name string, inputs []string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Add, Inputs: inputs}, opts)
}

// Concat adds the concatenation of its inputs along the channel (last) axis.
func (s *Spec) Concat(name string, inputs []string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Concat, Inputs: inputs}, opts)
}

// Softmax adds a softmax over the last axis.
func (s *Spec) Softmax(name string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Softmax}, opts)
}

// Identity adds a layer that passes its input through (a named tap point).
func (s *Spec) Identity(name string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Identity}, opts)
}

// PadImage adds a pad layer: top, bottom, left and right cells of value fill.
func (s *Spec) PadImage(name string, top, bottom, left, right int, fill float64, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Pad, Pads: []int{top, bottom, left, right}, Fill: fill}, opts)
}

// Multiply adds an element-wise product of its inputs (an axis of size 1 broadcasts:
// squeeze-and-excitation gates).
func (s *Spec) Multiply(name string, inputs []string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Multiply, Inputs: inputs}, opts)
}

// Affine adds a per-channel scale and shift (y = x·scale + shift).
func (s *Spec) Affine(name string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Affine}, opts)
}

// Merge adds an element-wise combination of its inputs by op (sub, div, pow, max, min,
// mean, sum); axes of size 1 broadcast.
func (s *Spec) Merge(name, op string, inputs []string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Merge, Op: op, Inputs: inputs}, opts)
}

// AddLayer appends a layer of any kind: its name, its inputs (nil: the previous layer) and the
// options that set its kind and fields.
func (s *Spec) AddLayer(name string, inputs []string, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Inputs: inputs}, opts)
}

// Layer returns the layer with the given name and its index in Layers.
func (s *Spec) Layer(name string) (Layer, int, bool) {
	for i, l := range s.Layers {
		if l.Name == name {
			return l, i, true
		}
	}
	return Layer{}, -1, false
}

// Validate checks names, parameters, the graph and that shapes flow from input to logits.
func (s *Spec) Validate() error {
	_, err := s.Topology()
	return err
}

// ConvLayers lists the names of the conv layers in forward (topological) order.
func (s *Spec) ConvLayers() []string {
	var out []string
	for _, n := range s.OrderedLayers() {
		if n.Kind == Conv2D {
			out = append(out, n.Name)
		}
	}
	return out
}

// TapNames lists every tap of the model in forward order: each layer's output, and
// "<name>.pre" before it for layers with a fused activation.
func (s *Spec) TapNames() []string {
	var names []string
	for _, l := range s.OrderedLayers() {
		if l.HasActivation() {
			names = append(names, l.Name+PreSuffix)
		}
		names = append(names, l.Name)
	}
	return names
}

// OrderedLayers is Layers in topological order (definition order if the spec is invalid).
func (s *Spec) OrderedLayers() []Layer {
	t, err := s.Topology()
	if err != nil {
		return s.Layers
	}
	out := make([]Layer, len(t.Nodes))
	for i, n := range t.Nodes {
		out[i] = n.Layer
	}
	return out
}

// PreSuffix marks a pre-activation tap.
const PreSuffix = ".pre"

// ParseSpec decodes and validates a JSON spec.
func ParseSpec(b []byte) (*Spec, error) {
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("model spec: %w", err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}
