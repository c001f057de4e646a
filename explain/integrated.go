package explain

import (
	"fmt"

	"github.com/convlens/convlens/nd"
)

// IntegratedGradients integrates the input gradient along the straight path from a
// baseline to the input (Sundararajan et al., 2017), with the trapezoidal rule over Steps
// intervals. Path points are batched MaxBatch at a time, so memory stays bounded by the
// explainer's batch size whatever Steps is. Attributions sum to f(x) − f(baseline)
// (completeness) up to the integration error.
type IntegratedGradients struct {
	// Steps is the number of intervals (default 50).
	Steps int
	// Baseline is a constant pixel value (default 0, black); BaselineImage, if set, is used instead.
	Baseline      float32
	BaselineImage nd.Array // [H, W, C]
}

func (IntegratedGradients) Name() string { return "integrated gradients" }

func (ig IntegratedGradients) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	if ig.Steps == 0 {
		ig.Steps = 50
	}
	if ig.Steps < 1 || ig.Steps > 100000 {
		return nil, fmt.Errorf("integrated gradients: %d steps", ig.Steps)
	}
	targets, err := ex.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	n := images.Shape[0]
	size := len(images.Data) / n
	baseline := make([]float32, size)
	if len(ig.BaselineImage.Data) > 0 {
		if len(ig.BaselineImage.Data) != size {
			return nil, fmt.Errorf("integrated gradients: baseline image has %d values, images have %d", len(ig.BaselineImage.Data), size)
		}
		copy(baseline, ig.BaselineImage.Data)
	} else {
		for i := range baseline {
			baseline[i] = ig.Baseline
		}
	}
	if err := nd.CheckFinite("integrated gradients baseline", baseline); err != nil {
		return nil, err
	}
	raw := nd.Array{Shape: images.Shape, Data: make([]float32, len(images.Data))}
	// Path points (image i, alpha k) in batches of MaxBatch rows.
	points := ig.Steps + 1
	total := n * points
	chunk := max(ex.MaxBatch, 1)
	for start := 0; start < total; start += chunk {
		k := min(chunk, total-start)
		batch := nd.Array{Shape: append([]int{k}, images.Shape[1:]...), Data: make([]float32, k*size)}
		tg := make([]int, k)
		for r := 0; r < k; r++ {
			img, step := (start+r)/points, (start+r)%points
			alpha := float32(step) / float32(ig.Steps)
			x := images.Data[img*size : (img+1)*size]
			row := batch.Data[r*size : (r+1)*size]
			for j := range row {
				row[j] = baseline[j] + alpha*(x[j]-baseline[j])
			}
			tg[r] = targets[img]
		}
		g, err := ex.gradients(batch, tg, "")
		if err != nil {
			return nil, err
		}
		for r := 0; r < k; r++ {
			img, step := (start+r)/points, (start+r)%points
			w := float32(1) / float32(ig.Steps)
			if step == 0 || step == ig.Steps {
				w /= 2
			}
			x := images.Data[img*size : (img+1)*size]
			dst := raw.Data[img*size : (img+1)*size]
			grad := g.Input.Data[r*size : (r+1)*size]
			for j := range dst {
				dst[j] += w * grad[j] * (x[j] - baseline[j])
			}
		}
	}
	return &Maps{Method: "integrated gradients", Raw: raw, Pixels: channelReduce(raw, sumOf), Signed: true, Targets: targets}, nil
}
