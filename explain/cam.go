package explain

import (
	"fmt"

	"github.com/convlens/convlens/nd"
)

// camWeights turns one image's layer activations and gradients, both [h*w][K] (position
// major), into one weight per channel. CAM methods differ only here.
type camWeights func(acts, grads []float32, positions, channels int) []float64

// camAttribute computes ReLU(Σ_k w_k A_k) at the layer's resolution, then upsamples it
// bilinearly to the input's, shared by every CAM method.
func camAttribute(ex *Explainer, name, layer string, weights camWeights, images nd.Array, targets []int) (*Maps, error) {
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
	n, h, w, k := g.Acts.Shape[0], g.Acts.Shape[1], g.Acts.Shape[2], g.Acts.Shape[3]
	H, W := images.Shape[1], images.Shape[2]
	out := nd.New(n, H, W)
	for i := 0; i < n; i++ {
		acts := g.Acts.Data[i*h*w*k : (i+1)*h*w*k]
		grads := g.Grads.Data[i*h*w*k : (i+1)*h*w*k]
		wts := weights(acts, grads, h*w, k)
		cam := CAM(acts, wts, h, w)
		copy(out.Data[i*H*W:(i+1)*H*W], nd.ResizeBilinear(cam, H, W).Data)
	}
	return &Maps{Method: name, Pixels: out, Targets: targets}, nil
}

// CAM is ReLU(Σ_k weights[k]·acts[·,k]) over h×w positions; acts is [h*w][K].
func CAM(acts []float32, weights []float64, h, w int) nd.Array {
	k := len(weights)
	cam := nd.New(h, w)
	for p := 0; p < h*w; p++ {
		s := 0.0
		for c := 0; c < k; c++ {
			s += weights[c] * float64(acts[p*k+c])
		}
		cam.Data[p] = float32(max(s, 0))
	}
	return cam
}
