package explain

import "github.com/convlens/convlens/nd"

// Saliency is the vanilla gradient of the target logit with respect to the input
// (Simonyan et al., 2014); the pixel map is the largest absolute gradient over channels.
type Saliency struct{}

func (Saliency) Name() string { return "saliency" }

func (Saliency) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	targets, grad, err := ex.inputGradient(images, targets)
	if err != nil {
		return nil, err
	}
	return &Maps{Method: "saliency", Raw: grad, Pixels: channelReduce(grad, maxAbsOf), Targets: targets}, nil
}
