package vizhtml

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/draw"
	"image/png"
	"strconv"
	"strings"
	"sync/atomic"
)

// Fragment is a piece of HTML ready to embed; Charts counts the ECharts containers in it.
// Fragments need LibraryHTML on the page (Page adds it once) for their charts to draw;
// their images and tables show without scripts.
type Fragment struct {
	HTML   string
	Charts int
	// Pictures holds each chart's static picture (PNG), in order, for outputs that can carry
	// an image beside the HTML (a notebook's image/png).
	Pictures [][]byte
	ids      []string // the charts' container ids, in order
}

// Join concatenates fragments.
func Join(parts ...Fragment) Fragment {
	var out Fragment
	for _, p := range parts {
		out.HTML += p.HTML
		out.Charts += p.Charts
		out.Pictures = append(out.Pictures, p.Pictures...)
		out.ids = append(out.ids, p.ids...)
	}
	return out
}

// onChart appends a script that runs js once the fragment's last chart is drawn, with el
// its container and c its ECharts instance (nothing happens where scripts or the library
// are missing: the static picture stays).
func onChart(f Fragment, js string) Fragment {
	if len(f.ids) == 0 {
		return f
	}
	f.HTML += fmt.Sprintf(`<script>(function(){var el=document.getElementById(%q);if(!window.echarts||!el){return;}`+
		`var c=echarts.getInstanceByDom(el);if(!c){return;}%s})();</script>`, f.ids[len(f.ids)-1], js)
	return f
}

// Picture returns the fragment's static pictures as one PNG, stacked top to bottom (nil
// when it has none).
func (f Fragment) Picture() ([]byte, error) {
	switch len(f.Pictures) {
	case 0:
		return nil, nil
	case 1:
		return f.Pictures[0], nil
	}
	var imgs []image.Image
	w, h := 0, 0
	for _, b := range f.Pictures {
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
		w, h = max(w, img.Bounds().Dx()), h+img.Bounds().Dy()
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	y := 0
	for _, img := range imgs {
		draw.Draw(out, image.Rect(0, y, img.Bounds().Dx(), y+img.Bounds().Dy()), img, img.Bounds().Min, draw.Src)
		y += img.Bounds().Dy()
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var (
	idPrefix = func() string {
		var b [4]byte
		_, _ = rand.Read(b[:])
		return "cl" + hex.EncodeToString(b[:])
	}()
	idCounter atomic.Int64
)

// newID returns a DOM id unique within the process and, with high probability, across
// processes (notebook cells render into the same document).
func newID() string { return fmt.Sprintf("%s-%d", idPrefix, idCounter.Add(1)) }

// chartFragment renders an ECharts option (any JSON-marshalable value, typically a
// go-echarts chart's JSON()) as a container and an init script. The option is encoded
// with HTML escaping, so label text cannot close the script.
func chartFragment(option any, width, height string) (Fragment, error) {
	b, err := json.Marshal(option)
	if err != nil {
		return Fragment{}, fmt.Errorf("chart option: %w", err)
	}
	id := newID()
	static, pic := staticPicture(b, width, height)
	h := fmt.Sprintf(`<div class="cl-chart" id="%s" style="width:%s;height:%s">%s</div>`+
		`<script>(function(){var el=document.getElementById("%s");`+
		`if(!window.echarts){return;}`+ // the static picture stays
		`var s=el.querySelector(".chart-static");if(s){s.remove();}`+
		`var c=echarts.init(el);c.setOption(%s);`+
		`if(window.ResizeObserver){new ResizeObserver(function(){c.resize();}).observe(el);}})();</script>`,
		id, html.EscapeString(width), html.EscapeString(height), static, id, b)
	f := Fragment{HTML: h, Charts: 1, ids: []string{id}}
	if pic != nil {
		f.Pictures = [][]byte{pic}
	}
	return f, nil
}

// StaticHint says, under a static picture, how to get the live chart.
const StaticHint = "Static picture: run the cell, trust the notebook or open the page with scripts on for the interactive chart."

// staticHintShort is the hint under charts too narrow (< 640 px) for StaticHint on one line.
const staticHintShort = "Static picture: run or trust the notebook for the live chart."

// staticPicture is the chart as a PNG (drawn from the same option JSON) in an element of
// class chart-static, with inline styles only (sanitisers strip style sheets), and the hint;
// it also returns the PNG (nil if it could not be drawn).
func staticPicture(optionJSON []byte, width, height string) (string, []byte) {
	w, h := staticSize(width, 900), staticSize(height, 340)
	var option map[string]any
	var pic []byte
	err := json.Unmarshal(optionJSON, &option)
	if err == nil {
		pic, err = staticChartPNG(option, w, h-18)
	}
	if err != nil {
		return `<div class="chart-static" style="font:12px sans-serif;color:#888">(this chart needs JavaScript; its picture failed: ` + esc(err.Error()) + `)</div>`, nil
	}
	alt := esc(str(obj(first(option["title"]))["text"]))
	hint := StaticHint
	if w < 640 {
		hint = staticHintShort
	}
	return fmt.Sprintf(`<div class="chart-static"><img src="%s" alt="%s" width="%d" height="%d" style="max-width:100%%;height:auto;display:block">`+
		`<div style="font:11px sans-serif;color:#888;line-height:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis">%s</div></div>`, DataURI(pic), alt, w, h-18, esc(hint)), pic
}

// staticSize turns a CSS size into pixels for the static picture: "340px" is 340; a
// percentage or anything else takes the fallback.
func staticSize(css string, fallback int) int {
	if v, ok := strings.CutSuffix(strings.TrimSpace(css), "px"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 60 && n <= 4000 {
			return n
		}
	}
	return fallback
}

// esc HTML-escapes text for element content and attribute values.
func esc(s string) string { return html.EscapeString(s) }

// Escape HTML-escapes text, for callers assembling their own markup around fragments.
func Escape(s string) string { return esc(s) }
