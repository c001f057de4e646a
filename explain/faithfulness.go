package explain

import (
	"fmt"
	"math"
	"sort"

	"github.com/convlens/convlens/nd"
)

// Metric scores how faithfully maps [N, H, W] explain the model's answers on images
// [N, H, W, C] for targets: one number per image. Every metric scores the softmax
// probability of the target class, and ranks pixels by the map's value (ties in pixel
// order), so the same maps give the same scores whatever method made them.
type Metric interface {
	Name() string
	// HigherIsBetter reports which way a better map moves the score.
	HigherIsBetter() bool
	Score(ex *Explainer, images nd.Array, targets []int, maps nd.Array) ([]float64, error)
}

// DefaultMetrics are the scores the explain page shows: deletion, insertion and ROAD.
func DefaultMetrics() []Metric { return []Metric{Deletion{}, Insertion{}, ROAD{}} }

// checkMaps validates the inputs every metric shares and fills in predicted targets.
func (ex *Explainer) checkMaps(images nd.Array, targets []int, maps nd.Array) ([]int, error) {
	targets, err := ex.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	n, H, W := images.Shape[0], images.Shape[1], images.Shape[2]
	if len(maps.Shape) != 3 || maps.Shape[0] != n || maps.Shape[1] != H || maps.Shape[2] != W {
		return nil, fmt.Errorf("maps of shape %v for images %v: want [%d %d %d]", maps.Shape, images.Shape, n, H, W)
	}
	if len(maps.Data) != n*H*W {
		return nil, fmt.Errorf("maps hold %d values for shape %v", len(maps.Data), maps.Shape)
	}
	return targets, nil
}

// probabilities returns the softmax probability of each image's target class.
func (ex *Explainer) probabilities(images nd.Array, targets []int) ([]float64, error) {
	logits, err := ex.Model.Logits(images)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(targets))
	for i, t := range targets {
		row := logits.Sub(i).Data
		v := make([]float64, len(row))
		for j, x := range row {
			v[j] = float64(x)
		}
		out[i] = nd.Softmax(v)[t]
	}
	return out, nil
}

// rankedPixels orders a map's pixels from the most to the least relevant (NaN last,
// ties in pixel order).
func rankedPixels(m []float32) []int {
	order := make([]int, len(m))
	for i := range order {
		order[i] = i
	}
	key := func(i int) float64 {
		if v := float64(m[i]); !math.IsNaN(v) {
			return v
		}
		return math.Inf(-1)
	}
	sort.SliceStable(order, func(a, b int) bool { return key(order[a]) > key(order[b]) })
	return order
}

// Fill is what a metric puts where it removes pixels.
type Fill int

const (
	// FillMean is the data's mean colour (Spec.InputMean; 0, the mean of normalised inputs,
	// for a model without one): zero after the model's normalisation.
	FillMean Fill = iota
	// FillBlur is the image blurred with a Gaussian of σ = 5 pixels at 224 wide, scaled
	// with the width, at least 1 (RISE's insertion start).
	FillBlur
)

func (f Fill) String() string {
	if f == FillBlur {
		return "blur"
	}
	return "mean"
}

// filled returns the fill image for img [H, W, C].
func (ex *Explainer) filled(img nd.Array, f Fill) nd.Array {
	H, W, C := img.Shape[0], img.Shape[1], img.Shape[2]
	if f == FillBlur {
		sigma := math.Max(1, 5*float64(W)/224)
		return blur(img, sigma, int(math.Ceil(3*sigma)))
	}
	out := nd.New(H, W, C)
	for c := 0; c < C; c++ {
		mean, _ := ex.Model.Spec.Normalization(c)
		for p := 0; p < H*W; p++ {
			out.Data[p*C+c] = float32(mean)
		}
	}
	return out
}
