// Package vizhtml renders the insides of a CNN as offline HTML fragments, PNG images
// and whole pages. It is pure: plain Go values in (nd arrays, series, histograms, labels),
// bytes out; it imports neither GoMLX nor gonbui.
package vizhtml

import (
	"fmt"
	"github.com/convlens/convlens/nd"
	"math"
)

// Colormap maps a value in [0, 1] to a colour.
type Colormap string

const (
	Viridis   Colormap = "viridis"
	Gray      Colormap = "gray"
	Diverging Colormap = "diverging" // blue (low) – white (middle) – red (high), for signed values
)

// divergingAnchors are ColorBrewer RdBu's colours, reversed so that low is blue.
var divergingAnchors = [][3]float64{
	{33, 102, 172}, {67, 147, 195}, {146, 197, 222}, {209, 229, 240}, {247, 247, 247},
	{253, 219, 199}, {244, 165, 130}, {214, 96, 77}, {178, 24, 43},
}

// Valid reports an unknown colormap name.
func (c Colormap) Valid() error {
	switch c {
	case Viridis, Gray, Diverging, "":
		return nil
	}
	return fmt.Errorf("unknown colormap %q (want viridis, gray or diverging)", string(c))
}

// RGB returns the colour of t, clamped to [0, 1]; NaN maps to magenta.
func (c Colormap) RGB(t float64) (r, g, b uint8) {
	if math.IsNaN(t) {
		return 255, 0, 255
	}
	t = math.Max(0, math.Min(1, t))
	switch c {
	case Gray:
		v := uint8(math.Round(t * 255))
		return v, v, v
	case Diverging:
		x := t * float64(len(divergingAnchors)-1)
		i := min(int(x), len(divergingAnchors)-2)
		f := x - float64(i)
		a, z := divergingAnchors[i], divergingAnchors[i+1]
		mix := func(k int) uint8 { return uint8(math.Round(a[k] + (z[k]-a[k])*f)) }
		return mix(0), mix(1), mix(2)
	default:
		e := viridisLUT[int(math.Round(t*255))]
		return e[0], e[1], e[2]
	}
}

// Stops returns n evenly spaced colours of the map as CSS hex strings (for chart legends).
func (c Colormap) Stops(n int) []string {
	out := make([]string, n)
	for i := range out {
		r, g, b := c.RGB(float64(i) / float64(max(n-1, 1)))
		out[i] = fmt.Sprintf("#%02x%02x%02x", r, g, b)
	}
	return out
}

// colourScale is a colour bar for tiles drawn on one scale: the low value, the colours of
// the map from low to high, the high value.
func colourScale(cmap Colormap, r Range, label string) string {
	strip := nd.New(1, 128)
	for i := range strip.Data {
		strip.Data[i] = float32(r.Lo + (r.Hi-r.Lo)*float64(i)/127)
	}
	png, err := HeatPNG(strip, cmap, r)
	if err != nil {
		return ""
	}
	if r.Hi == r.Lo { // one value: no scale to read, say the value
		return fmt.Sprintf(`<div class="cl-scale" data-lo="%g" data-hi="%g" style="font-size:11px;color:#444;margin:4px 0">%s %s</div>`,
			r.Lo, r.Hi, esc(label), r)
	}
	return fmt.Sprintf(`<div class="cl-scale" data-lo="%g" data-hi="%g" style="display:flex;align-items:center;gap:6px;font-size:11px;color:#444;margin:4px 0">`+
		`<span>%s</span><span>%s</span><img src="%s" width="128" height="10" alt="colour scale" style="border:1px solid #ccc"><span>%s</span></div>`,
		r.Lo, r.Hi, esc(label), scaleLabel(r.Lo), DataURI(png), scaleLabel(r.Hi))
}
