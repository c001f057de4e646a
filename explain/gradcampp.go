package explain

import "github.com/convlens/convlens/nd"

// GradCAMPlusPlus weighs each channel by its positive gradients, each scaled by the
// closed-form α of Chattopadhay et al. (2018) for an exponential score:
// α = g² / (2g² + Σ_ab A_ab · g³).
type GradCAMPlusPlus struct {
	Layer string
}

func (GradCAMPlusPlus) Name() string { return "grad-cam++" }

func (c GradCAMPlusPlus) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	return camAttribute(ex, c.Name(), c.Layer, gradCAMPPWeights, images, targets)
}

func gradCAMPPWeights(acts, grads []float32, positions, channels int) []float64 {
	sumA := make([]float64, channels)
	for p := 0; p < positions; p++ {
		for c := 0; c < channels; c++ {
			sumA[c] += float64(acts[p*channels+c])
		}
	}
	w := make([]float64, channels)
	for p := 0; p < positions; p++ {
		for c := 0; c < channels; c++ {
			g := float64(grads[p*channels+c])
			if g <= 0 {
				continue
			}
			g2 := g * g
			den := 2*g2 + sumA[c]*g2*g
			if den == 0 {
				continue
			}
			w[c] += g2 / den * g
		}
	}
	return w
}
