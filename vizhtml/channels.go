package vizhtml

import (
	"fmt"
	"math"
	"strings"

	"github.com/convlens/convlens/nd"
)

// ChannelRow is one channel's dataset examples: its top images (crops), optionally its
// activation maximisation, and its mean largest value per class.
type ChannelRow struct {
	Channel       int
	Examples      []Tile
	Visualization *nd.Array
	ClassMeans    []float64
}

// ChannelExamples draws one row per channel: the synthesised input (when given), the top
// crops with their captions, and a bar per class of the mean largest value (the largest
// class named). Plain HTML: it reads the same without scripts.
func ChannelExamples(rows []ChannelRow, classes []string) (Fragment, error) {
	if len(rows) == 0 {
		return Fragment{}, fmt.Errorf("channel examples: no channels")
	}
	var b strings.Builder
	b.WriteString(`<div class="cl-channels" style="overflow-x:auto"><table style="border-collapse:collapse;font-size:12px">`)
	for _, r := range rows {
		fmt.Fprintf(&b, `<tr class="cl-channel-row" data-channel="%d" style="border-top:1px solid #d0d7de"><td style="padding:4px 8px;white-space:nowrap;vertical-align:top">channel %d</td>`, r.Channel, r.Channel)
		b.WriteString(`<td style="padding:4px">`)
		if r.Visualization != nil {
			png, err := ImagePNG(*r.Visualization, Range{0, 1})
			if err != nil {
				return Fragment{}, err
			}
			fmt.Fprintf(&b, `<img src="%s" width="64" height="64" alt="activation maximisation of channel %d" title="synthesised to excite the channel" style="image-rendering:pixelated">`, DataURI(png), r.Channel)
		}
		b.WriteString(`</td><td style="padding:4px"><div class="cl-grid">`)
		for i, t := range r.Examples {
			png, err := ImagePNG(t.Image, Range{0, 1})
			if err != nil {
				return Fragment{}, fmt.Errorf("channel %d example %d: %w", r.Channel, i, err)
			}
			fmt.Fprintf(&b, `<div class="cl-tile"><img src="%s" width="64" height="64" alt="crop" style="image-rendering:pixelated;object-fit:contain;background:#000"><span>%s</span></div>`,
				DataURI(png), esc(t.Label))
		}
		b.WriteString(`</div></td><td style="padding:4px 8px;vertical-align:top">`)
		b.WriteString(classBars(r.ClassMeans, classes))
		b.WriteString(`</td></tr>`)
	}
	b.WriteString(`</table></div>`)
	return Fragment{HTML: b.String()}, nil
}

// classBars is a small SVG bar per class (at most 20; else the three largest named).
func classBars(v []float64, classes []string) string {
	if len(v) == 0 {
		return ""
	}
	hi, best := 0.0, 0
	for i, x := range v {
		if math.Abs(x) > hi {
			hi = math.Abs(x)
		}
		if x > v[best] {
			best = i
		}
	}
	name := func(c int) string {
		if c < len(classes) {
			return classes[c]
		}
		return fmt.Sprint(c)
	}
	if len(v) > 20 {
		return fmt.Sprintf(`<span title="mean largest value per class">most for %s (%.2f)</span>`, esc(name(best)), v[best])
	}
	if hi == 0 {
		hi = 1
	}
	var b strings.Builder
	const bw, h = 8, 32
	fmt.Fprintf(&b, `<svg width="%d" height="%d" style="background:#f6f8fa"><title>mean largest value per class; most for %s</title>`, len(v)*bw, h, esc(name(best)))
	for i, x := range v {
		bh := math.Max(x, 0) / hi * h
		fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s: %.3f</title></rect>`,
			i*bw+1, h-bh, bw-2, bh, map[bool]string{true: "#cf222e", false: "#0969da"}[i == best], esc(name(i)), x)
	}
	b.WriteString(`</svg>`)
	fmt.Fprintf(&b, `<div style="color:#57606a">most: %s</div>`, esc(name(best)))
	return b.String()
}
