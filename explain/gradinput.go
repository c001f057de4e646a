package explain

import "github.com/convlens/convlens/nd"

// GradientXInput multiplies the input gradient by the input (Shrikumar et al., 2016); the
// pixel map sums the signed products over channels.
type GradientXInput struct{}

func (GradientXInput) Name() string { return "gradient×input" }

func (GradientXInput) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	targets, grad, err := ex.inputGradient(images, targets)
	if err != nil {
		return nil, err
	}
	raw := nd.Array{Shape: grad.Shape, Data: make([]float32, len(grad.Data))}
	for i, v := range grad.Data {
		raw.Data[i] = v * images.Data[i]
	}
	return &Maps{Method: "gradient×input", Raw: raw, Pixels: channelReduce(raw, sumOf), Signed: true, Targets: targets}, nil
}
