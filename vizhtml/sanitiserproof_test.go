package vizhtml

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// pngOf decodes an <img>'s data URI.
func pngOf(t *testing.T, n *html.Node) (w, h int, raw []byte) {
	t.Helper()
	src := attr(n, "src")
	b64, ok := strings.CutPrefix(src, "data:image/png;base64,")
	if !ok {
		return 0, 0, nil
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Width, cfg.Height, raw
}

// Every view made sanitiser-proof keeps its layout as inline styles, its enlarged pixel
// images enlarged in the PNG with the same pixels, its diagram as an SVG image holding the
// same SVG, its scripts unchanged, and its hostile labels as text.
func TestSanitiserProofKeepsLayoutPixelsAndDiagrams(t *testing.T) {
	p := allViews(t)
	var orig strings.Builder
	for _, s := range p.Sections {
		orig.WriteString("<div>" + s.Body.HTML + "</div>")
	}
	before := orig.String()
	after := SanitiserProof(before)

	parse := func(s string) *html.Node {
		n, err := html.Parse(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var scriptsBefore, scriptsAfter []string
	var imgsBefore []*html.Node
	walk(parse(before), func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "script" && n.FirstChild != nil {
			scriptsBefore = append(scriptsBefore, n.FirstChild.Data)
		}
		if n.Type == html.ElementNode && n.Data == "img" {
			imgsBefore = append(imgsBefore, n)
		}
	})
	enlarged, grids, cells, diagrams, i := 0, 0, 0, 0, 0
	walk(parse(after), func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		class, style := attr(n, "class"), attr(n, "style")
		switch {
		case n.Data == "script":
			if n.FirstChild != nil && !strings.Contains(n.FirstChild.Data, "TextDecoder") {
				scriptsAfter = append(scriptsAfter, n.FirstChild.Data)
			}
		case n.Data == "svg":
			t.Error("an inline SVG is left (sanitisers drop it)")
		case class == "cl-grid":
			grids++
			if !strings.Contains(style, "display:flex") || !strings.Contains(style, "flex-wrap:wrap") {
				t.Errorf("grid without its inline layout: %q", style)
			}
		case n.Data == "td" || n.Data == "th":
			cells++
			if !strings.Contains(style, "border:") {
				t.Errorf("table cell without its border: %q", style)
			}
		case n.Data == "img" && class == "cl-svg":
			diagrams++
			b64, _ := strings.CutPrefix(attr(n, "src"), "data:image/svg+xml;base64,")
			svg, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || !bytes.HasPrefix(svg, []byte("<svg")) || !bytes.HasSuffix(svg, []byte("</svg>")) || !strings.Contains(before, string(svg)) {
				t.Errorf("the diagram image does not hold the view's SVG (%v)", err)
			}
			if attr(n, "width") == "" || attr(n, "height") == "" {
				t.Error("the diagram image has no size")
			}
		case n.Data == "img":
			if i >= len(imgsBefore) {
				t.Fatal("more images than before")
			}
			old := imgsBefore[i]
			i++
			if attr(old, "width") != attr(n, "width") || attr(old, "alt") != attr(n, "alt") {
				t.Errorf("image %d changed its attributes", i)
			}
			w0, h0, raw0 := pngOf(t, old)
			w1, h1, raw1 := pngOf(t, n)
			want, _ := strconv.Atoi(attr(n, "width"))
			k := 1
			if w0 > 0 && want/w0 >= 2 && w0*(want/w0) <= maxEnlargedSide && h0*(want/w0) <= maxEnlargedSide {
				k = want / w0
			}
			if w1 != w0*k || h1 != h0*k {
				t.Errorf("image %d: %d×%d → %d×%d, want ×%d (shown %d wide)", i, w0, h0, w1, h1, k, want)
				return
			}
			if k > 1 {
				enlarged++
				a, _ := png.Decode(bytes.NewReader(raw0))
				b, _ := png.Decode(bytes.NewReader(raw1))
				for y := 0; y < h1; y++ {
					for x := 0; x < w1; x++ {
						r0, g0, b0, a0 := a.At(x/k, y/k).RGBA()
						r1, g1, b1, a1 := b.At(x, y).RGBA()
						if r0 != r1 || g0 != g1 || b0 != b1 || a0 != a1 {
							t.Fatalf("image %d: pixel (%d,%d) differs from its source pixel", i, x, y)
						}
					}
				}
			}
		}
	})
	if i != len(imgsBefore) {
		t.Errorf("%d images after, %d before", i, len(imgsBefore))
	}
	if enlarged == 0 || grids == 0 || cells == 0 || diagrams != 1 {
		t.Errorf("%d enlarged images, %d grids, %d table cells, %d diagrams; want some of each and one diagram", enlarged, grids, cells, diagrams)
	}
	if strings.Join(scriptsBefore, "\x00") != strings.Join(scriptsAfter, "\x00") {
		t.Errorf("scripts changed: %d before, %d after", len(scriptsBefore), len(scriptsAfter))
	}
	if strings.Contains(after, hostile) || strings.Contains(after, "<img src=x") {
		t.Error("a hostile label is no longer escaped")
	}
	if again := SanitiserProof(after); strings.Count(again, "cl-svg") != strings.Count(after, "cl-svg") {
		t.Error("applying it twice changes the diagrams")
	}
}
