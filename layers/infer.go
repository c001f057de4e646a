package layers

import (
	"fmt"

	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// MaxImageBytes bounds the layer outputs one image computes (4 bytes a value): a model
// over it is refused before any work rather than exhausting memory.
var MaxImageBytes int64 = 1 << 30

// ImageBytes is the bytes of every layer's output for one image.
func (s *Spec) ImageBytes() int64 {
	t, err := s.Topology()
	if err != nil {
		return 0
	}
	values := int64(s.Height * s.Width * s.Chans)
	for _, n := range t.Nodes {
		values += int64(prod(n.OutShape))
	}
	return 4 * values
}

// CheckImages validates a batch [N,H,W,C] against the model input: shape, and no NaN/Inf.
func (m *Model) CheckImages(images nd.Array) error {
	s := m.Spec
	if b := s.ImageBytes(); b > MaxImageBytes {
		return fmt.Errorf("one %dx%dx%d image makes model %q compute %d MB of layer outputs, over the %d MB allowed (-max-image-mb); use a smaller input (-input-size for an ONNX model with dynamic sizes)",
			s.Height, s.Width, s.Chans, s.Name, b>>20, MaxImageBytes>>20)
	}
	if err := images.Validate(); err != nil {
		return fmt.Errorf("images: %w", err)
	}
	if len(images.Shape) != 4 || images.Shape[1] != s.Height || images.Shape[2] != s.Width || images.Shape[3] != s.Chans {
		return fmt.Errorf("images shape %v does not match model %q input [N %d %d %d]", images.Shape, s.Name, s.Height, s.Width, s.Chans)
	}
	return nd.CheckFinite("images", images.Data)
}

// ImagesTensor converts a validated batch to a tensor.
func ImagesTensor(images nd.Array) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(images.Data, images.Shape...)
}

// ToArray copies a float32 tensor into an nd.Array and frees the tensor.
func ToArray(t *tensors.Tensor) (nd.Array, error) {
	defer t.FinalizeAll()
	data, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nd.Array{}, err
	}
	return nd.Array{Shape: t.Shape().Dimensions, Data: data}, nil
}

// forwardBudget bounds the values one forward call computes, in bytes: a batch is split
// into calls of as many images as fit (at least one).
const forwardBudget = 1 << 30

// ForwardBatch is how many images one forward call of the model takes: every layer's
// output counted once (4 bytes a value) within forwardBudget, at least 1, at most 256.
func (s *Spec) ForwardBatch() int {
	return int(min(256, max(1, forwardBudget/max(s.ImageBytes(), 1))))
}

// Logits runs the model in inference mode on images [N,H,W,C] and returns logits [N, classes],
// in calls of at most Spec.ForwardBatch images.
func (m *Model) Logits(images nd.Array) (nd.Array, error) {
	if err := m.CheckImages(images); err != nil {
		return nd.Array{}, err
	}
	if n, k := images.Shape[0], m.Spec.ForwardBatch(); n > k {
		var out nd.Array
		for start := 0; start < n; start += k {
			part, err := m.Logits(images.Rows(start, min(start+k, n)))
			if err != nil {
				return nd.Array{}, err
			}
			out = nd.AppendRows(out, part)
		}
		return out, nil
	}
	var out nd.Array
	err := Safe("forward", func() error {
		m.mu.Lock()
		if m.forward == nil {
			exec, err := context.NewExec(m.Backend, m.Ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
				return m.Build(ctx, x, false).Logits
			})
			if err != nil {
				m.mu.Unlock()
				return err
			}
			m.forward = exec
		}
		exec := m.forward
		m.mu.Unlock()
		res, err := exec.Exec(ImagesTensor(images))
		if err != nil {
			return err
		}
		out, err = ToArray(res[0])
		return err
	})
	return out, err
}

// Predict returns the arg-max class of each image.
func (m *Model) Predict(images nd.Array) ([]int, error) {
	logits, err := m.Logits(images)
	if err != nil {
		return nil, err
	}
	return ArgMax(logits), nil
}

// ArgMax returns the index of the largest value of each row of a [N, K] array.
func ArgMax(a nd.Array) []int {
	n, k := a.Shape[0], a.Shape[1]
	out := make([]int, n)
	for i := 0; i < n; i++ {
		row := a.Data[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		out[i] = best
	}
	return out
}
