package vizhtml

import (
	"fmt"
	"image"
	"math"

	"github.com/convlens/convlens/nd"
)

// OverlayOptions configures Overlay.
type OverlayOptions struct {
	Colormap Colormap // default Viridis (Diverging for signed maps)
	// Alpha is the heatmap's opacity where it is strongest (default 0.5).
	Alpha float64
	// Signed maps a symmetric range (-m..m) instead of min..max.
	Signed bool
	// Scale enlarges the output image (default: to about 224 pixels a side).
	Scale int
}

// colormap is the configured map, or Viridis (Diverging for signed maps).
func (o OverlayOptions) colormap() Colormap {
	switch {
	case o.Colormap != "":
		return o.Colormap
	case o.Signed:
		return Diverging
	}
	return Viridis
}

// OverlayPNG blends a heatmap [h,w] (any resolution; resized bilinearly) over an image
// [H,W,1|3] with pixel values 0..1, as PNG.
func OverlayPNG(img, heat nd.Array, opt OverlayOptions) ([]byte, error) {
	if err := checkImage("overlay image", img, 1, 3); err != nil {
		return nil, err
	}
	if err := checkImage("overlay heatmap", heat, 1); err != nil {
		return nil, err
	}
	opt.Colormap = opt.colormap()
	if err := opt.Colormap.Valid(); err != nil {
		return nil, err
	}
	if opt.Alpha == 0 {
		opt.Alpha = 0.5
	}
	if !(opt.Alpha >= 0 && opt.Alpha <= 1) {
		return nil, fmt.Errorf("overlay alpha %v outside [0, 1]", opt.Alpha)
	}
	H, W := img.Shape[0], img.Shape[1]
	if opt.Scale <= 0 {
		opt.Scale = max(1, 224/max(H, W))
	}
	if H*opt.Scale > MaxImageSide || W*opt.Scale > MaxImageSide {
		return nil, fmt.Errorf("overlay: %dx%d at scale %d exceeds %d pixels", H, W, opt.Scale, MaxImageSide)
	}
	C := len(img.Data) / (H * W)
	heat = nd.Array{Shape: heat.Shape[:2], Data: heat.Data}
	up := nd.ResizeBilinear(heat, H*opt.Scale, W*opt.Scale)
	r := RangeOf(heat.Data, opt.Signed)
	out := image.NewRGBA(image.Rect(0, 0, W*opt.Scale, H*opt.Scale))
	for y := 0; y < H*opt.Scale; y++ {
		for x := 0; x < W*opt.Scale; x++ {
			p := (y/opt.Scale)*W + x/opt.Scale
			t := r.norm(float64(up.Data[y*W*opt.Scale+x]))
			hr, hg, hb := opt.Colormap.RGB(t)
			a := opt.Alpha
			if opt.Signed {
				a *= math.Min(1, 2*math.Abs(t-0.5)) // fade near zero
			}
			o := 4 * (y*W*opt.Scale + x)
			for k, hc := range [3]uint8{hr, hg, hb} {
				base := math.Max(0, math.Min(1, float64(img.Data[p*C+min(k, C-1)]))) * 255
				out.Pix[o+k] = uint8(math.Round(base*(1-a) + float64(hc)*a))
			}
			out.Pix[o+3] = 255
		}
	}
	return encodePNG(out)
}

// Overlay shows image and heatmap side by side with their blend, under a caption.
func Overlay(img, heat nd.Array, caption string, opt OverlayOptions) (Fragment, error) {
	blend, err := OverlayPNG(img, heat, opt)
	if err != nil {
		return Fragment{}, err
	}
	raw, err := ImagePNG(img, Range{0, 1})
	if err != nil {
		return Fragment{}, err
	}
	hp, err := HeatPNG(nd.Array{Shape: heat.Shape[:2], Data: heat.Data}, opt.colormap(), RangeOf(heat.Data, opt.Signed))
	if err != nil {
		return Fragment{}, err
	}
	side := 140
	h := fmt.Sprintf(`<div class="cl-tile"><div class="cl-grid"><img src="%s" width="%d" height="%d" alt="image"><img src="%s" width="%d" height="%d" alt="map"><img src="%s" width="%d" height="%d" alt="overlay"></div><span>%s</span></div>`,
		DataURI(raw), side, side, DataURI(hp), side, side, DataURI(blend), side, side, esc(caption))
	return Fragment{HTML: h}, nil
}
