// Package layers describes CNNs as an ordered list of named layers (a Spec), builds
// them as GoMLX graphs that train on XLA and on the pure-Go SimpleGo backend, summarises
// their shapes, parameters and FLOPs, and taps every layer's output in one forward pass.
package layers

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Kind is the type of a layer.
type Kind string

const (
	Conv2D     Kind = "conv2d"
	MaxPool2D  Kind = "maxpool2d"
	AvgPool2D  Kind = "avgpool2d"
	Dense      Kind = "dense"
	Flatten    Kind = "flatten"
	Dropout    Kind = "dropout"
	BatchNorm  Kind = "batchnorm"
	Activate   Kind = "activation"
	maxFilters      = 4096
	maxUnits        = 1 << 16
	maxKernel       = 64
	// maxActivations bounds the values one image produces in any single layer.
	maxActivations = 1 << 26
)

// Activation is a nonlinearity applied after a conv or dense layer, or as its own layer.
type Activation string

const (
	Linear    Activation = ""
	ReLU      Activation = "relu"
	LeakyReLU Activation = "leakyrelu"
	Sigmoid   Activation = "sigmoid"
	Tanh      Activation = "tanh"
)

// Padding of convolutions and pools: Same keeps ceil(size/stride), Valid uses only full windows.
type Padding string

const (
	Same  Padding = "same"
	Valid Padding = "valid"
)

// Layer is one named step of a model. Fields not used by its Kind stay zero.
type Layer struct {
	Name       string     `json:"name"`
	Kind       Kind       `json:"kind"`
	Filters    int        `json:"filters,omitempty"` // conv2d
	Units      int        `json:"units,omitempty"`   // dense
	Kernel     int        `json:"kernel,omitempty"`  // conv2d, pools: window side
	Stride     int        `json:"stride,omitempty"`  // conv2d, pools (default 1 for conv, Kernel for pools)
	Padding    Padding    `json:"padding,omitempty"` // conv2d, pools (default Valid)
	Activation Activation `json:"activation,omitempty"`
	Alpha      float64    `json:"alpha,omitempty"` // LeakyReLU slope for negative inputs
	Rate       float64    `json:"rate,omitempty"`  // dropout probability
}

// HasActivation reports whether the layer applies a nonlinearity of its own
// (it then has a pre-activation tap, "<name>.pre").
func (l Layer) HasActivation() bool {
	return (l.Kind == Conv2D || l.Kind == Dense) && l.Activation != Linear
}

// Spec is a whole model: input image shape, number of classes and layers in order.
// The last layer must be a Dense layer with Classes units and no activation (logits).
type Spec struct {
	Name    string  `json:"name"`
	Height  int     `json:"height"`
	Width   int     `json:"width"`
	Chans   int     `json:"channels"`
	Classes int     `json:"classes"`
	Layers  []Layer `json:"layers"`
	// InputMean and InputStd normalise raw pixels inside the model: x' = (x-mean)/std.
	// InputStd 0 means no normalisation.
	InputMean float64 `json:"input_mean,omitempty"`
	InputStd  float64 `json:"input_std,omitempty"`
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

// WithActivation sets the nonlinearity of a conv or dense layer.
func WithActivation(a Activation) Option { return func(l *Layer) { l.Activation = a } }

// WithLeakyReLU sets a LeakyReLU nonlinearity with the given negative slope.
func WithLeakyReLU(alpha float64) Option {
	return func(l *Layer) { l.Activation, l.Alpha = LeakyReLU, alpha }
}

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

// Dense adds a fully connected layer.
func (s *Spec) Dense(name string, units int, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Dense, Units: units}, opts)
}

// Flatten adds a layer that turns H×W×C into one vector.
func (s *Spec) Flatten(name string) *Spec { return s.add(Layer{Name: name, Kind: Flatten}, nil) }

// Dropout adds dropout with the given rate (active in training only).
func (s *Spec) Dropout(name string, rate float64) *Spec {
	return s.add(Layer{Name: name, Kind: Dropout, Rate: rate}, nil)
}

// BatchNorm adds batch normalisation over the last axis.
func (s *Spec) BatchNorm(name string) *Spec { return s.add(Layer{Name: name, Kind: BatchNorm}, nil) }

// Act adds a standalone activation layer.
func (s *Spec) Act(name string, a Activation, opts ...Option) *Spec {
	return s.add(Layer{Name: name, Kind: Activate, Activation: a}, opts)
}

var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// Layer returns the layer with the given name.
func (s *Spec) Layer(name string) (Layer, int, bool) {
	for i, l := range s.Layers {
		if l.Name == name {
			return l, i, true
		}
	}
	return Layer{}, -1, false
}

// Validate checks names, parameters and that shapes flow from input to logits.
func (s *Spec) Validate() error {
	_, err := s.Shapes()
	return err
}

// Shapes returns each layer's output shape for one image ([H,W,C] or [N]), validating the spec.
func (s *Spec) Shapes() ([][]int, error) {
	if s.Height <= 0 || s.Width <= 0 || s.Chans <= 0 || s.Height*s.Width*s.Chans > maxActivations {
		return nil, fmt.Errorf("model %q: bad input shape %dx%dx%d", s.Name, s.Height, s.Width, s.Chans)
	}
	if s.Classes < 2 || s.Classes > maxUnits {
		return nil, fmt.Errorf("model %q: %d classes (want 2 to %d)", s.Name, s.Classes, maxUnits)
	}
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("model %q has no layers", s.Name)
	}
	seen := map[string]bool{}
	cur := []int{s.Height, s.Width, s.Chans}
	out := make([][]int, len(s.Layers))
	for i, l := range s.Layers {
		if !nameRE.MatchString(l.Name) {
			return nil, fmt.Errorf("layer %d: name %q must start with a letter and use only letters, digits, _ and - (at most 64)", i, l.Name)
		}
		if seen[l.Name] {
			return nil, fmt.Errorf("layer %d: duplicate name %q", i, l.Name)
		}
		seen[l.Name] = true
		next, err := l.outShape(cur)
		if err != nil {
			return nil, fmt.Errorf("layer %q (%s): %w", l.Name, l.Kind, err)
		}
		size := 1
		for _, d := range next {
			size *= d
		}
		if size > maxActivations {
			return nil, fmt.Errorf("layer %q: output %v has %d values per image (limit %d)", l.Name, next, size, maxActivations)
		}
		out[i] = next
		cur = next
	}
	last := s.Layers[len(s.Layers)-1]
	if last.Kind != Dense || last.Units != s.Classes || last.Activation != Linear {
		return nil, fmt.Errorf("model %q: last layer must be Dense with %d units and no activation (the logits), got %s %q", s.Name, s.Classes, last.Kind, last.Name)
	}
	return out, nil
}

func (l Layer) outShape(in []int) ([]int, error) {
	if err := l.checkActivation(); err != nil {
		return nil, err
	}
	spatial := func() error {
		if len(in) != 3 {
			return fmt.Errorf("needs an H×W×C input, got shape %v (conv and pool layers must come before Flatten)", in)
		}
		if l.Kernel < 1 || l.Kernel > maxKernel {
			return fmt.Errorf("kernel %d outside [1, %d]", l.Kernel, maxKernel)
		}
		if l.Stride < 1 || l.Stride > maxKernel {
			return fmt.Errorf("stride %d outside [1, %d]", l.Stride, maxKernel)
		}
		if l.Padding != Same && l.Padding != Valid {
			return fmt.Errorf("padding %q (want same or valid)", l.Padding)
		}
		if l.Padding == Valid && (l.Kernel > in[0] || l.Kernel > in[1]) {
			return fmt.Errorf("kernel %d larger than its %dx%d input with valid padding", l.Kernel, in[0], in[1])
		}
		return nil
	}
	switch l.Kind {
	case Conv2D:
		if err := spatial(); err != nil {
			return nil, err
		}
		if l.Filters < 1 || l.Filters > maxFilters {
			return nil, fmt.Errorf("%d filters (want 1 to %d)", l.Filters, maxFilters)
		}
		return []int{outSize(in[0], l.Kernel, l.Stride, l.Padding), outSize(in[1], l.Kernel, l.Stride, l.Padding), l.Filters}, nil
	case MaxPool2D, AvgPool2D:
		if err := spatial(); err != nil {
			return nil, err
		}
		return []int{outSize(in[0], l.Kernel, l.Stride, l.Padding), outSize(in[1], l.Kernel, l.Stride, l.Padding), in[2]}, nil
	case Dense:
		if len(in) != 1 {
			return nil, fmt.Errorf("needs a vector input, got shape %v (add a Flatten layer before it)", in)
		}
		if l.Units < 1 || l.Units > maxUnits {
			return nil, fmt.Errorf("%d units (want 1 to %d)", l.Units, maxUnits)
		}
		if in[0]*l.Units > maxActivations {
			return nil, fmt.Errorf("%d×%d weights is too many", in[0], l.Units)
		}
		return []int{l.Units}, nil
	case Flatten:
		n := 1
		for _, d := range in {
			n *= d
		}
		return []int{n}, nil
	case Dropout:
		if !(l.Rate >= 0 && l.Rate < 1) {
			return nil, fmt.Errorf("rate %v outside [0, 1)", l.Rate)
		}
		return in, nil
	case BatchNorm:
		return in, nil
	case Activate:
		if l.Activation == Linear {
			return nil, fmt.Errorf("activation layer needs an activation (relu, leakyrelu, sigmoid, tanh)")
		}
		return in, nil
	default:
		return nil, fmt.Errorf("unknown layer kind %q", l.Kind)
	}
}

func (l Layer) checkActivation() error {
	switch l.Activation {
	case Linear, ReLU, Sigmoid, Tanh:
	case LeakyReLU:
		if !(l.Alpha >= 0 && l.Alpha < 1) {
			return fmt.Errorf("leakyrelu alpha %v outside [0, 1)", l.Alpha)
		}
	default:
		return fmt.Errorf("unknown activation %q", l.Activation)
	}
	if l.Activation != Linear && l.Kind != Conv2D && l.Kind != Dense && l.Kind != Activate {
		return fmt.Errorf("%s layers take no activation", l.Kind)
	}
	return nil
}

// outSize is the output length of a window op along one axis.
func outSize(in, k, s int, p Padding) int {
	if p == Same {
		return (in + s - 1) / s
	}
	return (in-k)/s + 1
}

// padding returns the (low, high) zero padding of one axis, TensorFlow style.
func padding(in, k, s int, p Padding) [2]int {
	if p != Same {
		return [2]int{0, 0}
	}
	total := max((outSize(in, k, s, p)-1)*s+k-in, 0)
	return [2]int{total / 2, total - total/2}
}

// ConvLayers lists the names of the conv layers in forward order.
func (s *Spec) ConvLayers() []string {
	var out []string
	for _, l := range s.Layers {
		if l.Kind == Conv2D {
			out = append(out, l.Name)
		}
	}
	return out
}

// TapNames lists every tap of the model in forward order: each layer's output, and
// "<name>.pre" before it for conv and dense layers with an activation.
func (s *Spec) TapNames() []string {
	var names []string
	for _, l := range s.Layers {
		if l.HasActivation() {
			names = append(names, l.Name+PreSuffix)
		}
		names = append(names, l.Name)
	}
	return names
}

// PreSuffix marks a pre-activation tap.
const PreSuffix = ".pre"

// ParseSpec decodes and validates a JSON spec.
func ParseSpec(b []byte) (*Spec, error) {
	var s Spec
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("model spec: %w", err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}
