package explain

import (
	"fmt"

	"github.com/convlens/convlens/nd"
)

// camWeights turns one image's layer activations and gradients, both [h*w][K] (position
// major), into one weight per channel: the CAM is then Σ_k w_k A_k.
type camWeights func(acts, grads []float32, positions, channels int) []float64

// camMap turns one image's activations and gradients ([h*w][K]) into the map before its
// ReLU, one value per position. CAM methods differ only here.
type camMap func(acts, grads []float32, positions, channels int) []float64

// weighted is the map Σ_k w_k A_k of per-channel weights.
func weighted(weights camWeights) camMap {
	return func(acts, grads []float32, positions, channels int) []float64 {
		return weightedSum(acts, weights(acts, grads, positions, channels), positions, channels)
	}
}

// weightedSum is Σ_k w_k A_k at each of the positions; acts is [positions][K].
func weightedSum(acts []float32, w []float64, positions, channels int) []float64 {
	out := make([]float64, positions)
	for p := range out {
		for c := 0; c < channels; c++ {
			out[p] += w[c] * float64(acts[p*channels+c])
		}
	}
	return out
}

// upsampledReLU is ReLU(m) for a map at the layer's h×w, resized bilinearly to H×W: the
// last step of every CAM method.
func upsampledReLU(m []float64, h, w, H, W int) []float32 {
	cam := nd.New(h, w)
	for p, v := range m {
		cam.Data[p] = float32(max(v, 0))
	}
	return nd.ResizeBilinear(cam, H, W).Data
}

// elementwise is the map Σ_k f(g_k(p)) A_k(p), each position weighted by its own gradient.
func elementwise(f func(g float64) float64) camMap {
	return func(acts, grads []float32, positions, channels int) []float64 {
		out := make([]float64, positions)
		for p := range out {
			for c := 0; c < channels; c++ {
				out[p] += f(float64(grads[p*channels+c])) * float64(acts[p*channels+c])
			}
		}
		return out
	}
}

// camAttribute computes ReLU(map) at the layer's resolution, then upsamples it bilinearly
// to the input's, shared by every CAM method.
func camAttribute(ex *Explainer, name, layer string, camOf camMap, images nd.Array, targets []int) (*Maps, error) {
	if layer == "" {
		return nil, fmt.Errorf("%s: no layer given (want a conv or pool layer name)", name)
	}
	layer, err := ex.checkSpatialLayer(layer)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	targets, err = ex.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	g, err := ex.gradients(images, targets, layer)
	if err != nil {
		return nil, err
	}
	return &Maps{Method: name, Pixels: camPixels(camOf, g.Acts, g.Grads, images.Shape[1], images.Shape[2]), Targets: targets}, nil
}

// camPixels is each image's map from its layer activations and gradients [N, h, w, K],
// ReLU'd and upsampled to H×W: [N, H, W].
func camPixels(camOf camMap, acts, grads nd.Array, H, W int) nd.Array {
	n, h, w, k := acts.Shape[0], acts.Shape[1], acts.Shape[2], acts.Shape[3]
	out := nd.New(n, H, W)
	for i := 0; i < n; i++ {
		a, g := acts.Data[i*h*w*k:(i+1)*h*w*k], grads.Data[i*h*w*k:(i+1)*h*w*k]
		copy(out.Data[i*H*W:(i+1)*H*W], upsampledReLU(camOf(a, g, h*w, k), h, w, H, W))
	}
	return out
}

// layerOutputs is what the CAM methods that need no gradient start from: the layer
// resolved, the targets filled in, and the layer's outputs for images, [N, h, w, K].
func (ex *Explainer) layerOutputs(name, layer string, images nd.Array, targets []int) (string, []int, nd.Array, error) {
	layer, err := ex.checkSpatialLayer(layer)
	if err != nil {
		return "", nil, nd.Array{}, fmt.Errorf("%s: %w", name, err)
	}
	targets, err = ex.prepare(images, targets)
	if err != nil {
		return "", nil, nd.Array{}, err
	}
	taps, err := ex.Model.Taps(images, layer)
	if err != nil {
		return "", nil, nd.Array{}, err
	}
	return layer, targets, taps.Outputs[layer], nil
}
