// Package explain answers "why did the network say that?" with attribution methods that
// share one call shape — Attribute(explainer, images, targets) — and run batched on XLA
// and on SimpleGo: saliency, gradient × input, SmoothGrad (a wrapper around any method),
// integrated gradients, Grad-CAM, Grad-CAM++, occlusion; plus activation maximisation and
// the sanity checks of Adebayo et al. (2018). It returns maps; vizhtml draws them.
package explain

import (
	"fmt"
	"strings"
	"sync"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Maps holds one attribution map per image.
type Maps struct {
	Method string
	// Pixels is [N, H, W] at the input's resolution (CAM maps are upsampled bilinearly).
	Pixels nd.Array
	// Raw is the input-shaped attribution [N, H, W, C] of gradient methods (empty otherwise).
	Raw nd.Array
	// Signed reports whether negative values carry meaning (draw with a diverging colormap).
	Signed bool
	// Targets are the classes explained.
	Targets []int
}

// Image returns the map of image i as [H, W].
func (m *Maps) Image(i int) nd.Array { return m.Pixels.Sub(i) }

// Method is an attribution method. Attribute explains, for each image [N,H,W,C] (raw pixel
// values), the logit of its target class (nil targets: the predicted classes).
type Method interface {
	Name() string
	Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error)
}

// Explainer wraps a model with the compiled gradient programs the methods share.
type Explainer struct {
	Model *layers.Model
	// MaxBatch bounds how many images one compiled call processes (DefaultBatch: 64, fewer
	// for a large model); larger inputs are split, so memory stays bounded whatever N is.
	MaxBatch int

	mu    sync.Mutex
	execs map[string]*context.Exec
}

// New returns an explainer for m.
func New(m *layers.Model) *Explainer {
	return &Explainer{Model: m, MaxBatch: DefaultBatch(m.Spec), execs: map[string]*context.Exec{}}
}

// gradientBudget bounds the activations (and their gradients) one call keeps, in bytes.
const gradientBudget = 2 << 30

// DefaultBatch is how many images one gradient call of the model takes: 64, or fewer where
// every layer's output and its gradient (8 bytes a value) for 64 images would pass
// gradientBudget. ResNet-50 at 224 gets 8: integrated gradients of 8 images ran 27 s at
// 5 GB in batches of 64, 37 s at 2.0 GB in batches of 8, 45 s at 1.4 GB in batches of 2.
func DefaultBatch(s *layers.Spec) int {
	t, err := s.Topology()
	if err != nil {
		return 64
	}
	values := s.Height * s.Width * s.Chans
	for _, n := range t.Nodes {
		values += prodInts(n.OutShape)
	}
	return min(64, max(1, gradientBudget/(8*values)))
}

func prodInts(d []int) int {
	p := 1
	for _, v := range d {
		p *= v
	}
	return p
}

// prepare validates images and targets, filling in predicted classes for nil targets.
func (ex *Explainer) prepare(images nd.Array, targets []int) ([]int, error) {
	if err := ex.Model.CheckImages(images); err != nil {
		return nil, err
	}
	n := images.Shape[0]
	if targets == nil {
		return ex.Model.Predict(images)
	}
	if len(targets) != n {
		return nil, fmt.Errorf("%d targets for %d images", len(targets), n)
	}
	for i, t := range targets {
		if t < 0 || t >= ex.Model.Spec.Classes {
			return nil, fmt.Errorf("target %d of image %d outside [0, %d)", t, i, ex.Model.Spec.Classes)
		}
	}
	return targets, nil
}

// ResolveLayer is the one place a layer name for CAM methods is resolved: an alias (an
// imported node's output tensor name, with or without ".pre") becomes its layer; "" is
// the default, the last conv layer (or, without one, the last image-shaped layer); the
// layer must output an image (H×W×C).
func ResolveLayer(s *layers.Spec, name string) (string, error) {
	if name == "" {
		if name = LastConvLayer(s); name == "" {
			if stages := s.StageOutputs(); len(stages) > 0 {
				name = stages[len(stages)-1]
			}
		}
		if name == "" {
			return "", fmt.Errorf("model %q has no layer with an H×W×C output for CAM methods", s.Name)
		}
	}
	layer := s.Resolve(name)
	shape, err := s.TapShape(layer)
	if err != nil {
		return "", err
	}
	if len(shape) != 3 {
		return "", fmt.Errorf("layer %q outputs shape %v: CAM methods need a spatial (H×W×C) layer, such as %s", name, shape, strings.Join(s.StageOutputs(), ", "))
	}
	return layer, nil
}

// checkSpatialLayer resolves a CAM method's layer name (ResolveLayer) for the explainer's model.
func (ex *Explainer) checkSpatialLayer(layer string) (string, error) {
	if layer == "" {
		return "", fmt.Errorf("no layer given (want a conv or pool layer name)")
	}
	return ResolveLayer(ex.Model.Spec, layer)
}

// grads is what one gradient pass returns for a batch.
type grads struct {
	Scores []float32 // target logit per image
	Input  nd.Array  // d score / d input, [N,H,W,C] (when no layer was asked for)
	Acts   nd.Array  // layer output, [N,h,w,K] (when a layer was asked for)
	Grads  nd.Array  // d score / d layer output
}

// gradients computes target scores and their gradients with respect to the input or, if
// layer is not empty, to that layer's output (with its activations), in chunks of
// MaxBatch images.
func (ex *Explainer) gradients(images nd.Array, targets []int, layer string) (*grads, error) {
	exec, err := ex.gradExec(layer)
	if err != nil {
		return nil, err
	}
	out := &grads{}
	err = ex.eachChunk(images, targets, ex.MaxBatch, func(_, k int, batch, onehot *tensors.Tensor) error {
		var res []*tensors.Tensor
		err := layers.Safe("gradients", func() error {
			var err error
			res, err = exec.Exec(batch, onehot)
			return err
		})
		if err != nil {
			return err
		}
		arrays := make([]nd.Array, len(res))
		for i, t := range res {
			if arrays[i], err = layers.ToArray(t); err != nil {
				return err
			}
			arrays[i] = head(arrays[i], k)
		}
		out.Scores = append(out.Scores, arrays[0].Data...)
		if layer == "" {
			out.Input = nd.AppendRows(out.Input, arrays[1])
		} else {
			out.Acts = nd.AppendRows(out.Acts, arrays[1])
			out.Grads = nd.AppendRows(out.Grads, arrays[2])
		}
		return nil
	})
	return out, err
}

// eachChunk hands fn the images and their targets (one-hot) in chunks of at most chunk
// images, each padded to the same size so that one compiled program serves them all:
// start and k say which images a call holds.
func (ex *Explainer) eachChunk(images nd.Array, targets []int, chunk int, fn func(start, k int, batch, onehot *tensors.Tensor) error) error {
	n := images.Shape[0]
	chunk = min(max(chunk, 1), n)
	size := len(images.Data) / n
	classes := ex.Model.Spec.Classes
	shape := append([]int{chunk}, images.Shape[1:]...)
	for start := 0; start < n; start += chunk {
		k := min(chunk, n-start)
		batch := make([]float32, chunk*size)
		copy(batch, images.Data[start*size:(start+k)*size])
		onehot := make([]float32, chunk*classes)
		for i := 0; i < k; i++ {
			onehot[i*classes+targets[start+i]] = 1
		}
		if err := fn(start, k, tensors.FromFlatDataAndDimensions(batch, shape...), tensors.FromFlatDataAndDimensions(onehot, chunk, classes)); err != nil {
			return err
		}
	}
	return nil
}

// inputGradient validates images and targets and returns the targets and the gradient of
// each target logit with respect to the input.
func (ex *Explainer) inputGradient(images nd.Array, targets []int) ([]int, nd.Array, error) {
	targets, err := ex.prepare(images, targets)
	if err != nil {
		return nil, nd.Array{}, err
	}
	g, err := ex.gradients(images, targets, "")
	if err != nil {
		return nil, nd.Array{}, err
	}
	return targets, g.Input, nil
}

func (ex *Explainer) gradExec(layer string) (*context.Exec, error) {
	m := ex.Model
	return compiled(ex, "gradients:"+layer, "gradients", func(ctx *context.Context, x, onehot *graph.Node) []*graph.Node {
		f := m.Build(ctx, x, false)
		scores := graph.ReduceSum(graph.Mul(f.Logits, onehot), -1)
		total := graph.ReduceAllSum(scores)
		if layer == "" {
			return append([]*graph.Node{scores}, graph.Gradient(total, x)...)
		}
		act := f.Taps[layer] // CAM methods need no input gradient: stop at the layer
		return []*graph.Node{scores, act, graph.Gradient(total, act)[0]}
	})
}

// compiled returns ex's program cached under key, compiling the graph function fn over the
// model's variables the first time; what names the program in an error.
func compiled[F context.ExecGraphFn](ex *Explainer, key, what string, fn F) (*context.Exec, error) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if e, ok := ex.execs[key]; ok {
		return e, nil
	}
	var exec *context.Exec
	err := layers.Safe("compiling "+what, func() error {
		var err error
		exec, err = context.NewExec(ex.Model.Backend, ex.Model.Ctx, fn)
		return err
	})
	if err != nil {
		return nil, err
	}
	ex.execs[key] = exec
	return exec, nil
}

// head keeps the first k rows of a batch.
func head(a nd.Array, k int) nd.Array {
	if len(a.Shape) == 0 || a.Shape[0] == k {
		return a
	}
	shape := append([]int{k}, a.Shape[1:]...)
	return nd.Array{Shape: shape, Data: a.Data[:k*(len(a.Data)/a.Shape[0])]}
}

// Scores returns the target logits of images (a forward pass).
func (ex *Explainer) Scores(images nd.Array, targets []int) ([]float32, error) {
	logits, err := ex.Model.Logits(images)
	if err != nil {
		return nil, err
	}
	k := logits.Shape[1]
	out := make([]float32, len(targets))
	for i, t := range targets {
		out[i] = logits.Data[i*k+t]
	}
	return out, nil
}

// channelReduce combines the channels of [N,H,W,C] into [N,H,W] with fn.
func channelReduce(a nd.Array, fn func(vals []float32) float32) nd.Array {
	n, h, w, c := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
	out := nd.New(n, h, w)
	for p := 0; p < n*h*w; p++ {
		out.Data[p] = fn(a.Data[p*c : (p+1)*c])
	}
	return out
}

func sumOf(v []float32) float32 {
	var s float32
	for _, x := range v {
		s += x
	}
	return s
}

func maxAbsOf(v []float32) float32 {
	var m float32
	for _, x := range v {
		if x < 0 {
			x = -x
		}
		m = max(m, x)
	}
	return m
}
