package vizhtml

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/convlens/convlens/nd"
)

// MaxImageSide bounds the width and height of any image a renderer produces or accepts.
const MaxImageSide = 4096

// Range is the value interval mapped onto a colormap.
type Range struct{ Lo, Hi float64 }

// RangeOf returns the min and max of the finite values (0..1 when there are none);
// with symmetric set, it returns -m..m with m the largest magnitude.
func RangeOf(values []float32, symmetric bool) Range {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	if lo > hi {
		return Range{0, 1}
	}
	if symmetric {
		m := math.Max(math.Abs(lo), math.Abs(hi))
		return Range{0 - m, m} // 0 − 0 is +0: no "-0" in labels
	}
	return Range{lo, hi}
}

// String writes the range for people: "lo … hi", or "all v" when it is one value (a dead
// channel), never "-0".
func (r Range) String() string {
	if r.Hi == r.Lo {
		return "all " + scaleLabel(r.Lo)
	}
	return scaleLabel(r.Lo) + " … " + scaleLabel(r.Hi)
}

func (r Range) norm(v float64) float64 {
	if r.Hi <= r.Lo {
		return 0.5
	}
	return (v - r.Lo) / (r.Hi - r.Lo)
}

// checkImage validates a finite [H,W] or [H,W,C] array within size limits.
func checkImage(what string, a nd.Array, channels ...int) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(a.Shape) != 2 && len(a.Shape) != 3 {
		return fmt.Errorf("%s: shape %v, want [H W] or [H W C]", what, a.Shape)
	}
	if a.Shape[0] > MaxImageSide || a.Shape[1] > MaxImageSide {
		return fmt.Errorf("%s: %dx%d is larger than %d pixels a side", what, a.Shape[0], a.Shape[1], MaxImageSide)
	}
	if len(channels) > 0 {
		c := 1
		if len(a.Shape) == 3 {
			c = a.Shape[2]
		}
		ok := false
		for _, want := range channels {
			ok = ok || c == want
		}
		if !ok {
			return fmt.Errorf("%s: %d channels, want one of %v", what, c, channels)
		}
	}
	return nd.CheckFinite(what, a.Data)
}

// HeatPNG renders a [H,W] array through a colormap, mapping r.Lo..r.Hi to its ends.
func HeatPNG(a nd.Array, cmap Colormap, r Range) ([]byte, error) {
	if err := checkImage("heatmap", a, 1); err != nil {
		return nil, err
	}
	if err := cmap.Valid(); err != nil {
		return nil, err
	}
	h, w := a.Shape[0], a.Shape[1]
	if h*w < 400 { // tiny tiles: RGB is smaller than an indexed image's 768-byte palette
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i, v := range a.Data {
			cr, cg, cb := cmap.RGB(r.norm(float64(v)))
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = cr, cg, cb, 255
		}
		return encodePNG(img)
	}
	// 8-bit indexed: the colormap's 256 levels are the palette.
	img := image.NewPaletted(image.Rect(0, 0, w, h), cmap.palette())
	for i, v := range a.Data {
		img.Pix[i] = uint8(math.Round(255 * math.Max(0, math.Min(1, r.norm(float64(v))))))
	}
	return encodePNG(img)
}

// ImagePNG renders an [H,W,1] (grayscale) or [H,W,3] (RGB) image, mapping r to 0..255.
func ImagePNG(a nd.Array, r Range) ([]byte, error) {
	if err := checkImage("image", a, 1, 3); err != nil {
		return nil, err
	}
	h, w := a.Shape[0], a.Shape[1]
	c := len(a.Data) / (h * w)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := 0; p < h*w; p++ {
		for k := 0; k < 3; k++ {
			v := a.Data[p*c+min(k, c-1)]
			img.Pix[4*p+k] = uint8(math.Round(255 * math.Max(0, math.Min(1, r.norm(float64(v))))))
		}
		img.Pix[4*p+3] = 255
	}
	return encodePNG(img)
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	// Small indexed tiles shrink noticeably with the best compression; large RGB images
	// cost 5-10× more time for a few percent, so they use the default.
	level := png.DefaultCompression
	if _, ok := img.(*image.Paletted); ok {
		level = png.BestCompression
	}
	enc := png.Encoder{CompressionLevel: level}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DataURI wraps PNG bytes as a data: URI.
func DataURI(pngBytes []byte) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBytes)
}

// palette is the colormap sampled at 256 levels.
func (c Colormap) palette() color.Palette {
	p := make(color.Palette, 256)
	for i := range p {
		r, g, b := c.RGB(float64(i) / 255)
		p[i] = color.RGBA{r, g, b, 255}
	}
	return p
}
