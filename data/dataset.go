package data

import (
	"fmt"
	"math"

	"github.com/convlens/convlens/nd"
)

// Dataset is a set of images in NHWC float32 layout with integer labels.
type Dataset struct {
	Name string
	// Images holds N*H*W*C values, image-major, channels last.
	Images  []float32
	Labels  []int32
	N, H, W int
	C       int
	// Classes names each label value.
	Classes []string
}

// ImageSize is H*W*C.
func (d *Dataset) ImageSize() int { return d.H * d.W * d.C }

// Image returns image i (a view, not a copy).
func (d *Dataset) Image(i int) []float32 {
	s := d.ImageSize()
	return d.Images[i*s : (i+1)*s]
}

// Validate checks that sizes agree and labels are in range.
func (d *Dataset) Validate() error {
	if d.N <= 0 || d.H <= 0 || d.W <= 0 || d.C <= 0 {
		return fmt.Errorf("dataset %q: bad dimensions N=%d H=%d W=%d C=%d", d.Name, d.N, d.H, d.W, d.C)
	}
	if len(d.Images) != d.N*d.ImageSize() {
		return fmt.Errorf("dataset %q: %d image values for %d images of %dx%dx%d", d.Name, len(d.Images), d.N, d.H, d.W, d.C)
	}
	if len(d.Labels) != d.N {
		return fmt.Errorf("dataset %q: %d labels for %d images", d.Name, len(d.Labels), d.N)
	}
	if len(d.Classes) == 0 {
		return fmt.Errorf("dataset %q: no class names", d.Name)
	}
	for i, l := range d.Labels {
		if l < 0 || int(l) >= len(d.Classes) {
			return fmt.Errorf("dataset %q: label %d of image %d outside [0, %d)", d.Name, l, i, len(d.Classes))
		}
	}
	return nil
}

// Normalization is a per-channel affine map x' = (x - Mean[c]) / Std[c] applied to images.
type Normalization struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// ComputeNormalization measures the mean and standard deviation of each channel's pixel values.
func (d *Dataset) ComputeNormalization() Normalization {
	c := max(d.C, 1)
	sum, sumSq := make([]float64, c), make([]float64, c)
	for i, v := range d.Images {
		sum[i%c] += float64(v)
		sumSq[i%c] += float64(v) * float64(v)
	}
	nz := Normalization{Mean: make([]float64, c), Std: make([]float64, c)}
	n := float64(len(d.Images) / c)
	for k := range sum {
		mean := sum[k] / n
		std := math.Sqrt(math.Max(sumSq[k]/n-mean*mean, 0))
		if !(std >= 1e-8) {
			std = 1
		}
		nz.Mean[k], nz.Std[k] = mean, std
	}
	return nz
}

// Apply normalises channels-last values in place.
func (nz Normalization) Apply(values []float32) {
	c := len(nz.Mean)
	for i, v := range values {
		values[i] = (v - float32(nz.Mean[i%c])) / float32(nz.Std[i%c])
	}
}

// Invert undoes Apply in place.
func (nz Normalization) Invert(values []float32) {
	c := len(nz.Mean)
	for i, v := range values {
		values[i] = v*float32(nz.Std[i%c]) + float32(nz.Mean[i%c])
	}
}

// fromIDX turns an image IDX ([N,H,W] or [N,H,W,C]) and a label IDX ([N]) into a Dataset
// with pixel values scaled to [0, 1].
func fromIDX(name string, images, labels *IDX, classes []string) (*Dataset, error) {
	if len(images.Dims) != 3 && len(images.Dims) != 4 {
		return nil, fmt.Errorf("%s: image file has shape %v, want [N,H,W] or [N,H,W,C]", name, images.Dims)
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("%s: label file has shape %v, want [N]", name, labels.Dims)
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("%s: %d images but %d labels", name, images.Dims[0], labels.Dims[0])
	}
	d := &Dataset{Name: name, N: images.Dims[0], H: images.Dims[1], W: images.Dims[2], C: 1, Classes: classes}
	if len(images.Dims) == 4 {
		d.C = images.Dims[3]
	}
	d.Images = make([]float32, len(images.Data))
	for i, b := range images.Data {
		d.Images[i] = float32(b) / 255
	}
	d.Labels = make([]int32, d.N)
	for i, b := range labels.Data {
		d.Labels[i] = int32(b)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// Batch returns images [from, from+n) as one [n, H, W, C] array (a view, not a copy).
func (d *Dataset) Batch(from, n int) nd.Array {
	s := d.ImageSize()
	return nd.Array{Shape: []int{n, d.H, d.W, d.C}, Data: d.Images[from*s : (from+n)*s]}
}

// ImageArray returns image i as an [H, W, C] array (a view).
func (d *Dataset) ImageArray(i int) nd.Array {
	return nd.Array{Shape: []int{d.H, d.W, d.C}, Data: d.Image(i)}
}
