package explain

import (
	"fmt"

	"github.com/convlens/convlens/nd"
)

// Deletion removes pixels from the most relevant down, in Steps equal steps, replacing
// them with Fill (default: the data's mean colour), and scores the area under the target
// probability's curve over the fraction removed, from 0 to 1 (Petsiuk et al., 2018): a
// faithful map makes the probability fall fast, so lower is better. The curve is Quantus
// 0.6.0's PixelFlipping with a constant baseline and Steps steps, plus the unperturbed
// start; its area is the trapezoid rule with the fraction as x.
type Deletion struct {
	Steps int // default 16
	Fill  Fill
}

func (Deletion) Name() string         { return "deletion" }
func (Deletion) HigherIsBetter() bool { return false }

func (d Deletion) Score(ex *Explainer, images nd.Array, targets []int, maps nd.Array) ([]float64, error) {
	curves, err := d.Curves(ex, images, targets, maps)
	return areas(curves), err
}

// Curves returns each image's probability after 0, 1, …, Steps steps.
func (d Deletion) Curves(ex *Explainer, images nd.Array, targets []int, maps nd.Array) ([][]float64, error) {
	return perturbationCurves(ex, images, targets, maps, d.Steps, d.Fill, false)
}

// Insertion reveals pixels from the most relevant down, in Steps equal steps, on Fill
// (default: the data's mean colour; RISE starts from a blurred image, FillBlur, which on
// small images such as MNIST's keeps the digit readable and every curve flat at 1), and
// scores the area under the target probability's curve (Petsiuk et al., 2018): a faithful
// map makes it rise fast, so higher is better.
type Insertion struct {
	Steps int // default 16
	Fill  Fill
}

func (Insertion) Name() string         { return "insertion" }
func (Insertion) HigherIsBetter() bool { return true }

func (s Insertion) Score(ex *Explainer, images nd.Array, targets []int, maps nd.Array) ([]float64, error) {
	curves, err := s.Curves(ex, images, targets, maps)
	return areas(curves), err
}

// Curves returns each image's probability after 0, 1, …, Steps steps.
func (s Insertion) Curves(ex *Explainer, images nd.Array, targets []int, maps nd.Array) ([][]float64, error) {
	return perturbationCurves(ex, images, targets, maps, s.Steps, s.Fill, true)
}

// perturbationCurves moves pixels between the image and its fill in rank order: step s
// has the first round(s·P/steps) ranked pixels removed (deletion) or revealed (insertion).
func perturbationCurves(ex *Explainer, images nd.Array, targets []int, maps nd.Array, steps int, fill Fill, insert bool) ([][]float64, error) {
	targets, err := ex.checkMaps(images, targets, maps)
	if err != nil {
		return nil, err
	}
	if steps <= 0 {
		steps = 16
	}
	n, H, W, C := images.Shape[0], images.Shape[1], images.Shape[2], images.Shape[3]
	P := H * W
	if steps > P {
		return nil, fmt.Errorf("%d steps for %d pixels", steps, P)
	}
	curves := make([][]float64, n)
	for i := 0; i < n; i++ {
		img := images.Sub(i)
		base := ex.filled(img, fill)
		from, to := img, base // deletion: pixels go from the image to the fill
		if insert {
			from, to = base, img
		}
		order := rankedPixels(maps.Sub(i).Data)
		batch := nd.New(steps+1, H, W, C)
		cur := append([]float32(nil), from.Data...)
		done := 0
		for s := 0; s <= steps; s++ {
			for upto := (s*P + steps/2) / steps; done < upto; done++ {
				p := order[done]
				copy(cur[p*C:(p+1)*C], to.Data[p*C:(p+1)*C])
			}
			copy(batch.Data[s*P*C:], cur)
		}
		ts := make([]int, steps+1)
		for j := range ts {
			ts[j] = targets[i]
		}
		if curves[i], err = ex.probabilities(batch, ts); err != nil {
			return nil, err
		}
	}
	return curves, nil
}

// areas is each curve's trapezoid area with x from 0 to 1.
func areas(curves [][]float64) []float64 {
	out := make([]float64, len(curves))
	for i, c := range curves {
		for j := 1; j < len(c); j++ {
			out[i] += (c[j-1] + c[j]) / 2
		}
		if len(c) > 1 {
			out[i] /= float64(len(c) - 1)
		}
	}
	return out
}
