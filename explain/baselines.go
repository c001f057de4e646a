package explain

import (
	"math"
	"math/rand/v2"

	"github.com/convlens/convlens/nd"
)

// RandomMap is a baseline every method must beat to be called informative: uniform noise,
// one value per pixel, the same for a seed (pytorch-grad-cam's RandomCAM draws channel
// weights instead; a pixel map needs no model).
type RandomMap struct{ Seed uint64 }

func (RandomMap) Name() string { return "random" }

func (r RandomMap) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	targets, err := ex.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	n, H, W := images.Shape[0], images.Shape[1], images.Shape[2]
	out := nd.New(n, H, W)
	rng := rand.New(rand.NewPCG(r.Seed, 0x72616e646f6d))
	for i := range out.Data {
		out.Data[i] = rng.Float32()
	}
	return &Maps{Method: r.Name(), Pixels: out, Targets: targets}, nil
}

// EdgeMap is the other baseline: the image's edges, which a map can follow without looking
// at the model — the Sobel gradient magnitude of the grey image, (|∂x| + |∂y|) / 2 as
// pytorch-grad-cam's sobel_cam, edges reflected (OpenCV's default border). Grey is the
// mean of the channels, or BT.601 luma for three.
type EdgeMap struct{}

func (EdgeMap) Name() string { return "sobel" }

func (e EdgeMap) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	targets, err := ex.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	n, H, W, C := images.Shape[0], images.Shape[1], images.Shape[2], images.Shape[3]
	weights := make([]float64, C)
	for c := range weights {
		weights[c] = 1 / float64(C)
	}
	if C == 3 {
		weights = []float64{0.299, 0.587, 0.114}
	}
	out := nd.New(n, H, W)
	gray := make([]float64, H*W)
	reflect := func(i, n int) int { // OpenCV's BORDER_REFLECT_101
		if n == 1 {
			return 0
		}
		if i < 0 {
			return -i
		}
		if i >= n {
			return 2*n - 2 - i
		}
		return i
	}
	for i := 0; i < n; i++ {
		img := images.Sub(i).Data
		for p := range gray {
			gray[p] = 0
			for c, w := range weights {
				gray[p] += w * float64(img[p*C+c])
			}
		}
		at := func(y, x int) float64 { return gray[reflect(y, H)*W+reflect(x, W)] }
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				gx := at(y-1, x+1) + 2*at(y, x+1) + at(y+1, x+1) - at(y-1, x-1) - 2*at(y, x-1) - at(y+1, x-1)
				gy := at(y+1, x-1) + 2*at(y+1, x) + at(y+1, x+1) - at(y-1, x-1) - 2*at(y-1, x) - at(y-1, x+1)
				out.Data[(i*H+y)*W+x] = float32((math.Abs(gx) + math.Abs(gy)) / 2)
			}
		}
	}
	return &Maps{Method: e.Name(), Pixels: out, Targets: targets}, nil
}
