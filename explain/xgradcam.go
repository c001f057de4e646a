package explain

import "github.com/convlens/convlens/nd"

// XGradCAM weighs each channel by its gradient averaged with the channel's own activations
// as weights: w_k = Σ_p g_k(p)·A_k(p) / (Σ_p A_k(p) + 1e-7) (Fu et al., 2020), as
// pytorch-grad-cam's XGradCAM does, ε included.
type XGradCAM struct {
	Layer string
}

func (XGradCAM) Name() string       { return "xgrad-cam" }
func (c XGradCAM) camLayer() string { return c.Layer }

func (c XGradCAM) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	return camAttribute(ex, c.Name(), c.Layer, weighted(xGradCAMWeights), images, targets)
}

func xGradCAMWeights(acts, grads []float32, positions, channels int) []float64 {
	w, sum := make([]float64, channels), make([]float64, channels)
	for p := 0; p < positions; p++ {
		for c := 0; c < channels; c++ {
			a := float64(acts[p*channels+c])
			w[c] += float64(grads[p*channels+c]) * a
			sum[c] += a
		}
	}
	for c := range w {
		w[c] /= sum[c] + 1e-7
	}
	return w
}
