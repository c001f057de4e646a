package vizhtml

import (
	"fmt"
	"math"
	"strings"

	"github.com/convlens/convlens/nd"
)

// FilterOptions configures Filters.
type FilterOptions struct {
	Title string
	// MaxFilters and MaxInputs cap the grid (defaults 64 and 16); a note says what was left out.
	MaxFilters, MaxInputs int
	// TileSize is the displayed side of one kernel in CSS pixels (default 64).
	TileSize int
	// Scale, when set (Hi > Lo), is the diverging scale of the kernels instead of the
	// layer's own range: one scale for pictures that are compared (W₀, W_t and W_t − W₀).
	Scale Range
}

// Filters shows a conv layer's kernels, weights [kh,kw,cin,cout]. With 3 input channels
// (an RGB first layer) each filter is first shown as one colour image, scaled to its own
// range; then (with more than one input channel) each row is a filter and each column an input channel, on a diverging colormap with one
// symmetric range for the layer (blue negative, white zero, red positive).
func Filters(weights nd.Array, opt FilterOptions) (Fragment, error) {
	if err := weights.Validate(); err != nil {
		return Fragment{}, fmt.Errorf("filters: %w", err)
	}
	if len(weights.Shape) != 4 {
		return Fragment{}, fmt.Errorf("filters: shape %v, want [kh kw cin cout]", weights.Shape)
	}
	if err := nd.CheckFinite("filters", weights.Data); err != nil {
		return Fragment{}, err
	}
	if opt.MaxFilters <= 0 {
		opt.MaxFilters = 64
	}
	if opt.MaxInputs <= 0 {
		opt.MaxInputs = 16
	}
	if opt.TileSize <= 0 {
		opt.TileSize = 64
	}
	kh, kw, cin, cout := weights.Shape[0], weights.Shape[1], weights.Shape[2], weights.Shape[3]
	if kh > MaxImageSide || kw > MaxImageSide {
		return Fragment{}, fmt.Errorf("filters: kernel %dx%d too large", kh, kw)
	}
	nf, ni := min(cout, opt.MaxFilters), min(cin, opt.MaxInputs)
	kernel := func(i, o int) nd.Array {
		k := nd.New(kh, kw)
		for y := 0; y < kh; y++ {
			for x := 0; x < kw; x++ {
				k.Data[y*kw+x] = weights.Data[((y*kw+x)*cin+i)*cout+o]
			}
		}
		return k
	}
	var b strings.Builder
	if opt.Title != "" {
		fmt.Fprintf(&b, "<h3>%s</h3>", esc(opt.Title))
	}
	th := opt.TileSize * kh / max(kw, 1)
	if cin == 3 {
		b.WriteString(`<div class="cl-grid">`)
		for o := 0; o < nf; o++ {
			rgb := nd.New(kh, kw, 3)
			for c := 0; c < 3; c++ {
				k := kernel(c, o)
				for p, v := range k.Data {
					rgb.Data[p*3+c] = v
				}
			}
			png, err := ImagePNG(rgb, RangeOf(rgb.Data, false))
			if err != nil {
				return Fragment{}, err
			}
			fmt.Fprintf(&b, `<div class="cl-tile"><img src="%s" width="%d" height="%d" alt="filter %d"><span>%d</span></div>`,
				DataURI(png), opt.TileSize, th, o, o)
		}
		b.WriteString(`</div>`)
		fmt.Fprintf(&b, `<p class="cl-note">%d filters of %d×%d×3 shown as colour images, each scaled to its own range; below, each input channel (R, G, B) apart.</p>`, cout, kh, kw)
	}
	r := RangeOf(weights.Data, true)
	if opt.Scale.Hi > opt.Scale.Lo && !math.IsInf(opt.Scale.Hi-opt.Scale.Lo, 0) {
		r = opt.Scale
	}
	if cin == 1 {
		b.WriteString(`<div class="cl-grid">`)
		for o := 0; o < nf; o++ {
			png, err := HeatPNG(kernel(0, o), Diverging, r)
			if err != nil {
				return Fragment{}, err
			}
			fmt.Fprintf(&b, `<div class="cl-tile"><img src="%s" width="%d" height="%d" alt="filter %d"><span>%d</span></div>`,
				DataURI(png), opt.TileSize, th, o, o)
		}
		b.WriteString(`</div>`)
		b.WriteString(colourScale(Diverging, r, "every filter:"))
		fmt.Fprintf(&b, `<p class="cl-note">%d filters of %d×%d on a diverging scale %s (blue negative, red positive).</p>`,
			cout, kh, kw, r)
	} else {
		b.WriteString(`<table class="cl-table"><tr><th>filter</th>`)
		for i := 0; i < ni; i++ {
			if cin == 3 {
				fmt.Fprintf(&b, "<th>%s</th>", []string{"R", "G", "B"}[i])
			} else {
				fmt.Fprintf(&b, "<th>in %d</th>", i)
			}
		}
		b.WriteString("</tr>")
		for o := 0; o < nf; o++ {
			fmt.Fprintf(&b, "<tr><td>%d</td>", o)
			for i := 0; i < ni; i++ {
				png, err := HeatPNG(kernel(i, o), Diverging, r)
				if err != nil {
					return Fragment{}, err
				}
				fmt.Fprintf(&b, `<td><img src="%s" width="%d" height="%d" style="image-rendering:pixelated" alt="filter %d input %d"></td>`,
					DataURI(png), opt.TileSize, th, o, i)
			}
			b.WriteString("</tr>")
		}
		b.WriteString("</table>")
		fmt.Fprintf(&b, `<p class="cl-note">Rows: %d filters; columns: %d input channels; %d×%d kernels on a diverging scale %s.</p>`,
			cout, cin, kh, kw, r)
	}
	if nf < cout || ni < cin {
		fmt.Fprintf(&b, `<p class="cl-capnote">Showing %d of %d filters and %d of %d input channels.</p>`, nf, cout, ni, cin)
	}
	return Fragment{HTML: b.String()}, nil
}

// KernelHeatmap shows one kernel slice [kh,kw] as a heatmap with its values written in
// the cells (up to 12×12) and on hover.
func KernelHeatmap(kernel nd.Array, titleText string) (Fragment, error) {
	if err := kernel.Validate(); err != nil {
		return Fragment{}, fmt.Errorf("kernel heatmap: %w", err)
	}
	if len(kernel.Shape) != 2 || kernel.Shape[0] > 64 || kernel.Shape[1] > 64 {
		return Fragment{}, fmt.Errorf("kernel heatmap: shape %v, want [kh kw] up to 64×64", kernel.Shape)
	}
	if err := nd.CheckFinite("kernel heatmap", kernel.Data); err != nil {
		return Fragment{}, err
	}
	kh, kw := kernel.Shape[0], kernel.Shape[1]
	xs, ys := make([]string, kw), make([]string, kh)
	for i := range xs {
		xs[i] = fmt.Sprint(i)
	}
	values := make([][]float64, kh)
	for y := range values {
		ys[y] = fmt.Sprint(kh - 1 - y)
		values[y] = make([]float64, kw)
		for x := range values[y] {
			values[y][x] = float64(kernel.Data[(kh-1-y)*kw+x])
		}
	}
	hm := heatmapChart(titleText, "weights (row 0 at the top)", "column", "row", xs, ys, values, Diverging, RangeOf(kernel.Data, true), kh <= 12 && kw <= 12)
	return render(hm, "420px", "360px")
}
