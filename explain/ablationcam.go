package explain

import (
	"fmt"
	"strings"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// AblationCAM weighs each channel by the share of the class score lost when the channel is
// set to zero: w_k = (y − y_k) / y (Desai and Ramaswamy, 2020), with no gradient. One pass
// per channel and image, in batches, each with a different channel switched off; the
// layer's output is computed once and handed to the layers after it, so a pass costs only
// what follows the layer (the layers before it run only where a skip connection passes it).
// pytorch-grad-cam's AblationCAM sets the channel to zero where the layer's smallest value
// is 0 (after a ReLU, the usual CAM layer) and to that minimum −1e7 elsewhere; convlens
// always sets it to zero.
type AblationCAM struct {
	Layer string
	// Batch is how many ablated copies one forward call takes (default: the model's
	// forward batch, at most 32 as in pytorch-grad-cam).
	Batch int
}

func (AblationCAM) Name() string       { return "ablation-cam" }
func (c AblationCAM) camLayer() string { return c.Layer }

func (c AblationCAM) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	layer, targets, acts, err := ex.layerOutputs(c.Name(), c.Layer, images, targets)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(layer, layers.PreSuffix) {
		return nil, fmt.Errorf("%s: layer %q is a pre-activation value; ablate the layer's output, %q", c.Name(), layer, strings.TrimSuffix(layer, layers.PreSuffix))
	}
	scores, err := ex.Scores(images, targets)
	if err != nil {
		return nil, err
	}
	n, h, w, k := acts.Shape[0], acts.Shape[1], acts.Shape[2], acts.Shape[3]
	H, W := images.Shape[1], images.Shape[2]
	batch := c.Batch
	if batch <= 0 {
		batch = min(32, ex.Model.Spec.ForwardBatch())
	}
	batch = min(batch, k)
	exec, err := ex.ablationExec(layer)
	if err != nil {
		return nil, err
	}
	out := nd.New(n, H, W)
	size := len(images.Data) / n
	for i := 0; i < n; i++ {
		copies := make([]float32, batch*size)
		for j := 0; j < batch; j++ {
			copy(copies[j*size:], images.Data[i*size:(i+1)*size])
		}
		a := acts.Sub(i).Data
		weights := make([]float64, k)
		for start := 0; start < k; start += batch {
			ablated := make([]float32, batch*h*w*k) // the last call is padded with copies that ablate nothing
			for j := 0; j < batch; j++ {
				dst := ablated[j*h*w*k : (j+1)*h*w*k]
				copy(dst, a)
				if ch := start + j; ch < k {
					for p := 0; p < h*w; p++ {
						dst[p*k+ch] = 0
					}
				}
			}
			logits, err := ex.runAblation(exec, copies, ablated, batch, []int{h, w, k})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.Name(), err)
			}
			y := float64(scores[i])
			for j := 0; j < batch && start+j < k; j++ {
				weights[start+j] = (y - float64(logits.Sub(j).Data[targets[i]])) / y
			}
		}
		cam := weightedSum(a, weights, h*w, k)
		copy(out.Data[i*H*W:(i+1)*H*W], upsampledReLU(cam, h, w, H, W))
	}
	return &Maps{Method: c.Name(), Pixels: out, Targets: targets}, nil
}

// ablationExec compiles the forward pass with the layer's output replaced by a given value.
func (ex *Explainer) ablationExec(layer string) (*context.Exec, error) {
	m := ex.Model
	return compiled(ex, "ablate:"+layer, "ablations", func(ctx *context.Context, x, value *graph.Node) *graph.Node {
		return m.BuildEdited(ctx, x, false, func(name string, v *graph.Node) *graph.Node {
			if name != layer {
				return v
			}
			return graph.ConvertDType(value, v.DType())
		}).Logits
	})
}

func (ex *Explainer) runAblation(exec *context.Exec, images, value []float32, batch int, shape []int) (nd.Array, error) {
	s := ex.Model.Spec
	var out nd.Array
	err := layers.Safe("ablations", func() error {
		res, err := exec.Exec(tensors.FromFlatDataAndDimensions(images, batch, s.Height, s.Width, s.Chans),
			tensors.FromFlatDataAndDimensions(value, append([]int{batch}, shape...)...))
		if err != nil {
			return err
		}
		out, err = layers.ToArray(res[0])
		return err
	})
	return out, err
}
