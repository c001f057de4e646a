package explain

import (
	"fmt"
	"math"
	"slices"

	"github.com/convlens/convlens/nd"
)

// ScoreCAM weighs each channel by how much the class score keeps when the input is seen
// only through that channel's map (Wang et al., 2020), with no gradient: each channel's map
// is upsampled to the input (bilinear, corners aligned), scaled to [0, 1], multiplied into
// the normalised input, and the target scores of all channels' masked inputs, softmaxed
// over the channels, are the weights — pytorch-grad-cam's ScoreCAM. One forward pass per
// channel and image, in batches; channels whose map is constant (all zero after a ReLU)
// mask the whole image away alike, and share one pass.
type ScoreCAM struct {
	Layer string
	// Batch is how many masked images one forward call takes (default: the model's
	// forward batch).
	Batch int
}

func (ScoreCAM) Name() string       { return "scorecam" }
func (c ScoreCAM) camLayer() string { return c.Layer }

func (c ScoreCAM) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	_, targets, acts, err := ex.layerOutputs(c.Name(), c.Layer, images, targets)
	if err != nil {
		return nil, err
	}
	n, h, w, k := acts.Shape[0], acts.Shape[1], acts.Shape[2], acts.Shape[3]
	H, W, C := images.Shape[1], images.Shape[2], images.Shape[3]
	batch := c.Batch
	if batch <= 0 {
		batch = ex.Model.Spec.ForwardBatch()
	}
	mean := make([]float32, C) // masks multiply the normalised input: x' = (x − mean)·m + mean
	for ch := range mean {
		m, _ := ex.Model.Spec.Normalization(ch)
		mean[ch] = float32(m)
	}
	out := nd.New(n, H, W)
	for i := 0; i < n; i++ {
		a := acts.Sub(i)
		img := images.Sub(i)
		scores := make([]float64, k)
		var live, constant []int // channels with a map that varies, and the others
		for ch := 0; ch < k; ch++ {
			m := a.Channel(ch).Data
			if slices.Min(m) == slices.Max(m) {
				constant = append(constant, ch)
			} else {
				live = append(live, ch)
			}
		}
		if len(constant) > 0 { // the mask is 0 everywhere: one pass on the mean image serves all
			live = append(live, constant[0])
		}
		for start := 0; start < len(live); start += batch {
			end := min(start+batch, len(live))
			masked := nd.New(end-start, H, W, C)
			for j := start; j < end; j++ {
				ch := live[j]
				mask := upsampleCorners(a.Channel(ch), H, W)
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, v := range mask {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
				dst := masked.Data[(j-start)*H*W*C : (j-start+1)*H*W*C]
				for p, v := range mask {
					m := float32((v - lo) / (hi - lo + 1e-8))
					for q := 0; q < C; q++ {
						dst[p*C+q] = (img.Data[p*C+q]-mean[q])*m + mean[q]
					}
				}
			}
			logits, err := ex.Model.Logits(masked)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.Name(), err)
			}
			for j := 0; j < end-start; j++ {
				scores[live[start+j]] = float64(logits.Sub(j).Data[targets[i]])
			}
		}
		for _, ch := range constant {
			scores[ch] = scores[constant[0]]
		}
		cam := weightedSum(a.Data, nd.Softmax(scores), h*w, k)
		copy(out.Data[i*H*W:(i+1)*H*W], upsampledReLU(cam, h, w, H, W))
	}
	return &Maps{Method: c.Name(), Pixels: out, Targets: targets}, nil
}

// upsampleCorners resizes a [h,w] map to H×W bilinearly with the corner pixels aligned
// (PyTorch's UpsamplingBilinear2d).
func upsampleCorners(a nd.Array, H, W int) []float64 {
	h, w := a.Shape[0], a.Shape[1]
	out := make([]float64, H*W)
	scale := func(n, N int) float64 {
		if N <= 1 {
			return 0
		}
		return float64(n-1) / float64(N-1)
	}
	sy, sx := scale(h, H), scale(w, W)
	for y := 0; y < H; y++ {
		fy := float64(y) * sy
		y0 := min(int(fy), h-1)
		y1, ay := min(y0+1, h-1), fy-float64(y0)
		for x := 0; x < W; x++ {
			fx := float64(x) * sx
			x0 := min(int(fx), w-1)
			x1, ax := min(x0+1, w-1), fx-float64(x0)
			at := func(yy, xx int) float64 { return float64(a.Data[yy*w+xx]) }
			top := at(y0, x0)*(1-ax) + at(y0, x1)*ax
			bot := at(y1, x0)*(1-ax) + at(y1, x1)*ax
			out[y*W+x] = top*(1-ay) + bot*ay
		}
	}
	return out
}
