package explain

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// GradCAMWithTaps is Grad-CAM at layer together with the outputs of the named taps and the
// logits, all from one forward pass and the backward pass down to layer: what a live page
// recomputes after each change. A target below zero is the image's predicted class (its
// first largest logit).
func (ex *Explainer) GradCAMWithTaps(images nd.Array, targets []int, layer string, taps []string) (*Maps, *layers.TapResult, error) {
	const name = "grad-cam"
	layer, err := ex.checkSpatialLayer(layer)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := ex.Model.CheckTapNames(taps); err != nil {
		return nil, nil, err
	}
	if err := ex.Model.CheckImages(images); err != nil {
		return nil, nil, err
	}
	classes := ex.Model.Spec.Classes
	given := make([]int, len(targets))
	for i, t := range targets {
		if t >= classes {
			return nil, nil, fmt.Errorf("target class %d outside [0, %d)", t, classes)
		}
		given[i] = t
	}
	n := images.Shape[0]
	if len(given) != n {
		return nil, nil, fmt.Errorf("%d targets for %d images", len(given), n)
	}
	m := ex.Model
	exec, err := compiled(ex, "gradcam+taps:"+layer+"\x00"+strings.Join(taps, "\x00"), name,
		func(ctx *context.Context, x, onehot *graph.Node) []*graph.Node {
			f := m.Build(ctx, x, false)
			// Rows of onehot that are all zero take the predicted class.
			pred := graph.OneHot(graph.ArgMax(f.Logits, -1), classes, f.Logits.DType())
			given := graph.ReduceSum(onehot, -1)
			hot := graph.StopGradient(graph.Add(onehot, graph.Mul(pred, graph.OneMinus(graph.InsertAxes(given, -1)))))
			total := graph.ReduceAllSum(graph.Mul(f.Logits, hot))
			act := f.Taps[layer]
			chosen := graph.ConvertDType(graph.ArgMax(hot, -1), f.Logits.DType())
			out := []*graph.Node{f.Logits, chosen, act, graph.Gradient(total, act)[0]}
			for _, t := range taps {
				out = append(out, f.Taps[t])
			}
			return out
		})
	if err != nil {
		return nil, nil, err
	}
	res := &layers.TapResult{Names: taps, Outputs: map[string]nd.Array{}}
	var acts, grads nd.Array
	var chosen []int
	hotTargets := make([]int, n)
	for i, t := range given {
		hotTargets[i] = max(t, 0)
	}
	err = ex.eachChunk(images, hotTargets, ex.MaxBatch, func(start, k int, batch, onehot *tensors.Tensor) error {
		if err := zeroPredicted(onehot, given[start:start+k], classes); err != nil {
			return err
		}
		var out []*tensors.Tensor
		if err := layers.Safe(name, func() error {
			var err error
			out, err = exec.Exec(batch, onehot)
			return err
		}); err != nil {
			return err
		}
		arrays := make([]nd.Array, len(out))
		for i, t := range out {
			a, err := layers.ToArray(t)
			if err != nil {
				return err
			}
			arrays[i] = head(a, k)
		}
		res.Logits = nd.AppendRows(res.Logits, arrays[0])
		for _, c := range arrays[1].Data {
			chosen = append(chosen, int(c))
		}
		acts, grads = nd.AppendRows(acts, arrays[2]), nd.AppendRows(grads, arrays[3])
		for i, t := range taps {
			res.Outputs[t] = nd.AppendRows(res.Outputs[t], arrays[4+i])
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	pixels := camPixels(weighted(gradCAMWeights), acts, grads, images.Shape[1], images.Shape[2])
	return &Maps{Method: name, Pixels: pixels, Targets: chosen}, res, nil
}

// zeroPredicted clears the one-hot rows of images whose target is below zero (the program
// then takes their predicted class).
func zeroPredicted(onehot *tensors.Tensor, given []int, classes int) error {
	var err error
	onehot.MutableFlatData(func(flat any) {
		data, ok := flat.([]float32)
		if !ok {
			err = fmt.Errorf("one-hot targets are not float32")
			return
		}
		for i, t := range given {
			if t < 0 {
				clear(data[i*classes : (i+1)*classes])
			}
		}
	})
	return err
}
