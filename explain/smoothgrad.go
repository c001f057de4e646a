package explain

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/convlens/convlens/nd"
)

// SmoothGrad averages another method's maps over noisy copies of the input (Smilkov et
// al., 2017). It wraps any Method: SmoothGrad{Base: Saliency{}}, SmoothGrad{Base:
// IntegratedGradients{}}, ...
type SmoothGrad struct {
	Base Method
	// Samples is the number of noisy copies (default 25).
	Samples int
	// Sigma is the noise standard deviation as a fraction of each image's value range (default 0.15).
	Sigma float64
	Seed  uint64
}

func (s SmoothGrad) Name() string {
	if s.Base == nil {
		return "smoothgrad"
	}
	return "smoothgrad(" + s.Base.Name() + ")"
}

func (s SmoothGrad) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	if s.Base == nil {
		return nil, fmt.Errorf("smoothgrad: no base method")
	}
	if s.Samples == 0 {
		s.Samples = 25
	}
	if s.Sigma == 0 {
		s.Sigma = 0.15
	}
	if s.Samples < 1 || s.Samples > 10000 || !(s.Sigma > 0 && s.Sigma < 10) {
		return nil, fmt.Errorf("smoothgrad: samples %d, sigma %v", s.Samples, s.Sigma)
	}
	targets, err := ex.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	n := images.Shape[0]
	size := len(images.Data) / n
	sigmas := make([]float64, n)
	for i := range sigmas {
		img := images.Data[i*size : (i+1)*size]
		sigmas[i] = s.Sigma * float64(slices.Max(img)-slices.Min(img))
	}
	// One noise stream per image, seeded by the seed and the image's index, so an image's
	// map does not depend on how many images are explained with it.
	rngs := make([]*rand.Rand, n)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(s.Seed, 0x5300+uint64(i)))
	}
	var sum *Maps
	noisy := nd.Array{Shape: images.Shape, Data: make([]float32, len(images.Data))}
	for k := 0; k < s.Samples; k++ {
		for i, v := range images.Data {
			noisy.Data[i] = v + float32(rngs[i/size].NormFloat64()*sigmas[i/size])
		}
		m, err := s.Base.Attribute(ex, noisy, targets)
		if err != nil {
			return nil, err
		}
		if sum == nil {
			sum = m
			sum.Pixels.Data = slices.Clone(m.Pixels.Data)
			sum.Raw.Data = slices.Clone(m.Raw.Data)
			continue
		}
		addInto(sum.Pixels.Data, m.Pixels.Data)
		addInto(sum.Raw.Data, m.Raw.Data)
	}
	scale := 1 / float32(s.Samples)
	for _, d := range [][]float32{sum.Pixels.Data, sum.Raw.Data} {
		for i := range d {
			d[i] *= scale
		}
	}
	sum.Method = s.Name()
	return sum, nil
}

func addInto(dst, src []float32) {
	for i := range dst {
		dst[i] += src[i]
	}
}
