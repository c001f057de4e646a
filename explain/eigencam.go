package explain

import (
	"fmt"
	"math"

	"github.com/convlens/convlens/nd"
	"gonum.org/v1/gonum/mat"
)

// EigenCAM is the layer's activations projected on their first principal component:
// positions × channels, centred per channel, times the first right singular vector
// (Muhammad and Yeasin, 2020), with no gradient and no class. The singular vector's sign
// is arbitrary; convlens flips the map where its most negative value outweighs its largest
// (Chung and Ying's sign correction, pytorch-grad-cam's
// get_2d_projection_with_sign_correction), where pytorch-grad-cam's EigenCAM keeps
// whichever sign LAPACK returns.
type EigenCAM struct {
	Layer string
}

func (EigenCAM) Name() string       { return "eigen-cam" }
func (c EigenCAM) camLayer() string { return c.Layer }

func (c EigenCAM) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	_, targets, acts, err := ex.layerOutputs(c.Name(), c.Layer, images, targets)
	if err != nil {
		return nil, err
	}
	n, h, w, k := acts.Shape[0], acts.Shape[1], acts.Shape[2], acts.Shape[3]
	H, W := images.Shape[1], images.Shape[2]
	out := nd.New(n, H, W)
	for i := 0; i < n; i++ {
		proj, err := principalProjection(acts.Sub(i).Data, h*w, k)
		if err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", c.Name(), i, err)
		}
		copy(out.Data[i*H*W:(i+1)*H*W], upsampledReLU(proj, h, w, H, W))
	}
	return &Maps{Method: c.Name(), Pixels: out, Targets: targets}, nil
}

// principalProjection centres each channel of acts ([positions][channels]) and projects
// every position on the first right singular vector, with the sign correction.
func principalProjection(acts []float32, positions, channels int) ([]float64, error) {
	x := mat.NewDense(positions, channels, nil)
	for c := 0; c < channels; c++ {
		var mean float64
		for p := 0; p < positions; p++ {
			mean += float64(acts[p*channels+c])
		}
		mean /= float64(positions)
		for p := 0; p < positions; p++ {
			v := float64(acts[p*channels+c]) - mean
			if math.IsNaN(v) {
				v = 0
			}
			x.Set(p, c, v)
		}
	}
	proj := make([]float64, positions)
	if positions < 2 || mat.Norm(x, 2) == 0 { // one position, or every channel constant
		return proj, nil
	}
	var svd mat.SVD
	if !svd.Factorize(x, mat.SVDThin) {
		return nil, fmt.Errorf("the SVD of the activations did not converge")
	}
	var v mat.Dense
	svd.VTo(&v)
	lo, hi := math.Inf(1), math.Inf(-1)
	for p := range proj {
		for c := 0; c < channels; c++ {
			proj[p] += x.At(p, c) * v.At(c, 0)
		}
		lo, hi = math.Min(lo, proj[p]), math.Max(hi, proj[p])
	}
	if math.Abs(lo) > math.Abs(hi) {
		for p := range proj {
			proj[p] = -proj[p]
		}
	}
	return proj, nil
}
