package explain

import (
	"fmt"
	"math"

	"github.com/convlens/convlens/nd"
)

// Occlusion slides a Patch×Patch square of Baseline value over the image with the given
// Stride and records how much the target logit drops (Zeiler & Fergus, 2014); each
// pixel's value is the mean drop over the patches covering it. Patches start every Stride
// pixels; where the last start would run past the border it is moved back to end at the
// border, so every patch is a full Patch×Patch square and every pixel is covered. Occluded
// copies are evaluated in batches of the explainer's MaxBatch.
type Occlusion struct {
	// Patch and Stride default to 4 and 2 pixels, larger where that many forward passes would
	// cost more than OcclusionBudget (OcclusionDefaults); Stride defaults to half the Patch.
	Patch, Stride int
	Baseline      float32 // value pasted over the patch (default 0)
}

func (Occlusion) Name() string { return "occlusion" }

// OcclusionBudget bounds the forward FLOPs of occlusion with its default patch (about 20 s
// on two CPU cores).
const OcclusionBudget = 2e12

// OcclusionDefaults is the default patch and stride for n images of an h×w model costing
// flops per forward pass: patch 4, stride 2, or coarser so that the passes stay within
// OcclusionBudget (ResNet-50 at 224 with 8 images: patch 82, stride 41).
func OcclusionDefaults(n, h, w int, flops int64) (patch, stride int) {
	stride = 2
	if flops > 0 && n > 0 {
		positions := OcclusionBudget / (float64(n) * float64(flops))
		if positions >= 1 {
			stride = max(2, int(math.Ceil(math.Sqrt(float64(h*w)/positions))))
		} else {
			stride = max(h, w)
		}
	}
	stride = min(stride, max(1, min(h, w)/2))
	return min(2*stride, min(h, w)), stride
}

func (o Occlusion) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	if o.Patch == 0 && o.Stride == 0 && len(images.Shape) == 4 {
		var flops int64
		if sum, err := ex.Model.Spec.Summarize(); err == nil {
			flops = sum.TotalFLOPs
		}
		o.Patch, o.Stride = OcclusionDefaults(images.Shape[0], images.Shape[1], images.Shape[2], flops)
	}
	if o.Patch == 0 {
		o.Patch = 4
	}
	if o.Stride == 0 {
		o.Stride = max(1, o.Patch/2)
	}
	targets, err := ex.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	n, H, W, C := images.Shape[0], images.Shape[1], images.Shape[2], images.Shape[3]
	if o.Patch < 1 || o.Patch > min(H, W) || o.Stride < 1 || o.Stride > min(H, W) {
		return nil, fmt.Errorf("occlusion: patch %d, stride %d for %dx%d images", o.Patch, o.Stride, H, W)
	}
	base, err := ex.Scores(images, targets)
	if err != nil {
		return nil, err
	}
	var ys, xs []int
	for y := 0; ; y += o.Stride {
		y = min(y, H-o.Patch)
		ys = append(ys, y)
		if y == H-o.Patch {
			break
		}
	}
	for x := 0; ; x += o.Stride {
		x = min(x, W-o.Patch)
		xs = append(xs, x)
		if x == W-o.Patch {
			break
		}
	}
	positions := len(ys) * len(xs)
	size := H * W * C
	sum := nd.New(n, H, W)
	count := nd.New(n, H, W)
	chunk := max(ex.MaxBatch, 1)
	total := n * positions
	for start := 0; start < total; start += chunk {
		k := min(chunk, total-start)
		batch := nd.Array{Shape: []int{k, H, W, C}, Data: make([]float32, k*size)}
		tg := make([]int, k)
		for r := 0; r < k; r++ {
			img, pos := (start+r)/positions, (start+r)%positions
			y0, x0 := ys[pos/len(xs)], xs[pos%len(xs)]
			row := batch.Data[r*size : (r+1)*size]
			copy(row, images.Data[img*size:(img+1)*size])
			for y := y0; y < y0+o.Patch; y++ {
				for x := x0; x < x0+o.Patch; x++ {
					for c := 0; c < C; c++ {
						row[(y*W+x)*C+c] = o.Baseline
					}
				}
			}
			tg[r] = targets[img]
		}
		scores, err := ex.Scores(batch, tg)
		if err != nil {
			return nil, err
		}
		for r := 0; r < k; r++ {
			img, pos := (start+r)/positions, (start+r)%positions
			y0, x0 := ys[pos/len(xs)], xs[pos%len(xs)]
			drop := base[img] - scores[r]
			for y := y0; y < y0+o.Patch; y++ {
				for x := x0; x < x0+o.Patch; x++ {
					sum.Data[(img*H+y)*W+x] += drop
					count.Data[(img*H+y)*W+x]++
				}
			}
		}
	}
	for i := range sum.Data {
		if count.Data[i] > 0 {
			sum.Data[i] /= count.Data[i]
		}
	}
	return &Maps{Method: "occlusion", Pixels: sum, Signed: true, Targets: targets}, nil
}
