package vizhtml

import (
	"fmt"
	"math"
	"strings"

	"github.com/convlens/convlens/nd"
)

// FeatureMapOptions configures FeatureMaps.
type FeatureMapOptions struct {
	Title    string
	Colormap Colormap // default Viridis
	// SharedScale maps all channels with one range (compare channels); default per channel
	// (see each channel's pattern).
	SharedScale bool
	// Range, when Hi > Lo, is that shared scale, given: pass one range to several calls to
	// compare layers (a raw convolution and its ReLU) colour for colour. Values outside it
	// take the end colours.
	Range Range
	// MaxChannels caps the tiles shown (default 64, at most 1024); a note says how many were left out.
	MaxChannels int
	// TileSize is the displayed side of a tile in CSS pixels (default 84).
	TileSize int
}

func (o *FeatureMapOptions) defaults() error {
	if o.Colormap == "" {
		o.Colormap = Viridis
	}
	if o.MaxChannels <= 0 {
		o.MaxChannels = 64
	}
	o.MaxChannels = min(o.MaxChannels, 1024)
	if o.TileSize <= 0 {
		o.TileSize = 84
	}
	o.TileSize = min(o.TileSize, 512)
	if math.IsNaN(o.Range.Lo) || math.IsNaN(o.Range.Hi) || math.IsInf(o.Range.Lo, 0) || math.IsInf(o.Range.Hi, 0) {
		return fmt.Errorf("feature maps: range %v … %v is not finite", o.Range.Lo, o.Range.Hi)
	}
	if o.Range.Hi > o.Range.Lo {
		o.SharedScale = true
	}
	return o.Colormap.Valid()
}

// FeatureMaps shows every channel of one image's layer output maps ([H,W,C], or [D] for a
// dense layer) as colour-mapped tiles labelled with the channel index, with the input
// image ([H,W,1] or [H,W,3], pixel values 0..1; omitted when empty) beside them.
func FeatureMaps(input, maps nd.Array, opt FeatureMapOptions) (Fragment, error) {
	if err := opt.defaults(); err != nil {
		return Fragment{}, err
	}
	if err := maps.Validate(); err != nil {
		return Fragment{}, fmt.Errorf("feature maps: %w", err)
	}
	if len(maps.Shape) == 1 { // dense: one strip
		maps = nd.Array{Shape: []int{1, maps.Shape[0], 1}, Data: maps.Data}
	}
	if len(maps.Shape) != 3 {
		return Fragment{}, fmt.Errorf("feature maps: shape %v, want [H W C] or [D]", maps.Shape)
	}
	if err := nd.CheckFinite("feature maps", maps.Data); err != nil {
		return Fragment{}, err
	}
	h, w, c := maps.Shape[0], maps.Shape[1], maps.Shape[2]
	var b strings.Builder
	if opt.Title != "" {
		fmt.Fprintf(&b, "<h3>%s</h3>", esc(opt.Title))
	}
	b.WriteString(`<div class="cl-grid">`)
	if len(input.Data) > 0 {
		png, err := ImagePNG(input, Range{0, 1})
		if err != nil {
			return Fragment{}, fmt.Errorf("feature maps input: %w", err)
		}
		side := opt.TileSize * 3 / 2
		fmt.Fprintf(&b, `<div class="cl-tile"><img src="%s" width="%d" height="%d" alt="input"><span>input</span></div>`,
			DataURI(png), side, side*input.Shape[0]/max(input.Shape[1], 1))
	}
	signed := opt.Colormap == Diverging // diverging maps centre zero on white
	shared := RangeOf(maps.Data, signed)
	if opt.Range.Hi > opt.Range.Lo {
		shared = opt.Range
	}
	shown := min(c, opt.MaxChannels)
	tileW := opt.TileSize
	tileH := max(1, opt.TileSize*h/max(w, 1))
	if h == 1 {
		tileW, tileH = min(opt.TileSize*6, max(w*4, 60)), 24
	}
	for ch := 0; ch < shown; ch++ {
		m := maps.Channel(ch)
		r := shared
		if !opt.SharedScale {
			r = RangeOf(m.Data, signed)
		}
		png, err := HeatPNG(m, opt.Colormap, r)
		if err != nil {
			return Fragment{}, err
		}
		caption := ""
		if !opt.SharedScale { // each tile on its own scale: say which, under the tile
			caption = fmt.Sprintf(`<span style="font-size:10px;color:#777">%s</span>`, r)
		}
		fmt.Fprintf(&b, `<div class="cl-tile"><img src="%s" width="%d" height="%d" alt="channel %d" title="channel %d: %s"><span>%d</span>%s</div>`,
			DataURI(png), tileW, tileH, ch, ch, r, ch, caption)
	}
	b.WriteString(`</div>`)
	if opt.SharedScale {
		b.WriteString(colourScale(opt.Colormap, shared, "all channels:"))
	}
	if shown < c {
		fmt.Fprintf(&b, `<p class="cl-capnote">Showing %d of %d channels (raise MaxChannels to see more).</p>`, shown, c)
	}
	scale := "each channel scaled to its own range"
	if opt.SharedScale {
		scale = fmt.Sprintf("all channels share the range %s", shared)
	}
	fmt.Fprintf(&b, `<p class="cl-note">%d×%d×%d, %s colormap, %s.</p>`, h, w, c, esc(string(opt.Colormap)), scale)
	return Fragment{HTML: b.String()}, nil
}

// Tile is one labelled image ([H,W,1|3], values 0..1).
type Tile struct {
	Image nd.Array
	Label string
}

// Tiles shows labelled images in a wrapping grid, each side px CSS pixels wide.
func Tiles(tiles []Tile, side int) (Fragment, error) {
	if side <= 0 {
		side = 96
	}
	var b strings.Builder
	b.WriteString(`<div class="cl-grid">`)
	for i, t := range tiles {
		png, err := ImagePNG(t.Image, Range{0, 1})
		if err != nil {
			return Fragment{}, fmt.Errorf("tile %d: %w", i, err)
		}
		h := side * t.Image.Shape[0] / max(t.Image.Shape[1], 1)
		fmt.Fprintf(&b, `<div class="cl-tile"><img src="%s" width="%d" height="%d" alt="%s"><span>%s</span></div>`,
			DataURI(png), side, h, esc(t.Label), esc(t.Label))
	}
	b.WriteString(`</div>`)
	return Fragment{HTML: b.String()}, nil
}
