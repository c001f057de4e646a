package vizhtml

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"sync/atomic"
)

// Fragment is a piece of HTML ready to embed; Charts counts the ECharts containers in it.
// Fragments need LibraryHTML on the page (Page adds it once) for their charts to draw;
// their images and tables show without scripts.
type Fragment struct {
	HTML   string
	Charts int
}

// Join concatenates fragments.
func Join(parts ...Fragment) Fragment {
	var out Fragment
	for _, p := range parts {
		out.HTML += p.HTML
		out.Charts += p.Charts
	}
	return out
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
	h := fmt.Sprintf(`<div class="cl-chart" id="%s" style="width:%s;height:%s"></div>`+
		`<script>(function(){var el=document.getElementById("%s");`+
		`if(!window.echarts){el.textContent="(chart needs the ECharts library: render this view inside a convlens page or notebook)";return;}`+
		`var c=echarts.init(el);c.setOption(%s);`+
		`if(window.ResizeObserver){new ResizeObserver(function(){c.resize();}).observe(el);}})();</script>`,
		id, html.EscapeString(width), html.EscapeString(height), id, b)
	return Fragment{HTML: h, Charts: 1}, nil
}

// esc HTML-escapes text for element content and attribute values.
func esc(s string) string { return html.EscapeString(s) }

// Escape HTML-escapes text, for callers assembling their own markup around fragments.
func Escape(s string) string { return esc(s) }
