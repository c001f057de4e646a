package vizhtml

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"regexp"
	"strconv"
	"strings"
)

// classStyles are Style's rules for single classes (".cl-grid{...}"), read from Style itself so
// that the two cannot drift apart: what each element of that class gets inline.
var classStyles = func() map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)(?:^|\})\.(cl-[a-z]+)\{([^}]*)\}`).FindAllStringSubmatch(Style, -1) {
		out[m[1]] = m[2]
	}
	return out
}()

// cellStyle is Style's rule for the cells of a cl-table, less its alignment (Style aligns the
// first two columns left by position, which inline styles cannot say).
const cellStyle = "border:1px solid #ddd;padding:3px 8px"

var (
	tagRE    = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s[^>]*)?)>`)
	classRE  = regexp.MustCompile(`\sclass="([^"]*)"`)
	styleRE  = regexp.MustCompile(`\sstyle="([^"]*)"`)
	srcRE    = regexp.MustCompile(`\ssrc="data:image/png;base64,([^"]*)"`)
	widthRE  = regexp.MustCompile(`\swidth="(\d+)"`)
	heightRE = regexp.MustCompile(`\sheight="(\d+)"`)
)

// SanitiserProof rewrites a fragment so that it keeps its layout where a viewer strips
// scripts and style sheets (an untrusted notebook in JupyterLab, GitHub, nbviewer): the
// layout rules of Style become inline styles, enlarged pixel images (feature maps, filters)
// are enlarged in the PNG itself instead of by CSS (which sanitisers remove), and inline SVG
// (which they drop, leaving its text) travels as an image that a script turns back into
// live SVG (with its tooltips) where scripts run. Scripts and style sheets are kept as they
// are: with scripts the page behaves as before.
func SanitiserProof(h string) string {
	var b strings.Builder
	inTable := 0
	for len(h) > 0 {
		loc := tagRE.FindStringSubmatchIndex(h)
		if loc == nil {
			b.WriteString(h)
			break
		}
		b.WriteString(h[:loc[0]])
		closing, name, attrs := h[loc[2]:loc[3]] == "/", strings.ToLower(h[loc[4]:loc[5]]), h[loc[6]:loc[7]]
		rest := h[loc[1]:]
		switch {
		case !closing && (name == "script" || name == "style"):
			// Copied untouched up to its end tag.
			end := strings.Index(strings.ToLower(rest), "</"+name+">")
			if end < 0 {
				b.WriteString(h)
				return b.String()
			}
			b.WriteString(h[loc[0]:loc[1]] + rest[:end+len(name)+3])
			h = rest[end+len(name)+3:]
			continue
		case !closing && name == "svg":
			end := strings.Index(rest, "</svg>")
			if end < 0 {
				b.WriteString(h)
				return b.String()
			}
			b.WriteString(svgAsImage(h[loc[0] : loc[1]+end+len("</svg>")]))
			h = rest[end+len("</svg>"):]
			continue
		case name == "table":
			if closing {
				inTable = max(inTable-1, 0)
			} else if strings.Contains(attrs, "cl-table") {
				inTable++
			}
		}
		style := ""
		if !closing {
			if m := classRE.FindStringSubmatch(attrs); m != nil {
				for _, c := range strings.Fields(m[1]) {
					style += classStyles[c] + ";"
				}
			}
			if inTable > 0 && (name == "td" || name == "th") {
				style += cellStyle + ";"
				if name == "th" {
					style += "background:#f4f4f4;"
				}
			}
			if name == "img" {
				attrs = pixelsEnlarged(attrs)
			}
		}
		if style = strings.Trim(strings.ReplaceAll(style, ";;", ";"), ";"); style != "" {
			if m := styleRE.FindStringSubmatchIndex(attrs); m != nil {
				// The element's own inline style comes last and wins.
				attrs = attrs[:m[2]] + style + ";" + attrs[m[2]:]
			} else {
				selfClosing := strings.HasSuffix(attrs, "/")
				attrs = strings.TrimSuffix(attrs, "/") + ` style="` + style + `"`
				if selfClosing {
					attrs += "/"
				}
			}
		}
		b.WriteString("<" + h[loc[2]:loc[3]] + h[loc[4]:loc[5]] + attrs + ">")
		h = rest
	}
	return b.String()
}

// svgAsImage is an inline SVG as an <img> with the SVG as its data, and a script that puts
// the SVG itself back where scripts run.
func svgAsImage(svg string) string {
	id := newID()
	w, hgt := "", ""
	open := svg[:strings.Index(svg, ">")]
	if m := widthRE.FindStringSubmatch(open); m != nil {
		w = ` width="` + m[1] + `"`
	}
	if m := heightRE.FindStringSubmatch(open); m != nil {
		hgt = ` height="` + m[1] + `"`
	}
	data := base64.StdEncoding.EncodeToString([]byte(svg))
	// The script decodes the image's own data, so the SVG travels once.
	return fmt.Sprintf(`<img id="%s" class="cl-svg" alt="diagram"%s%s style="max-width:none" src="data:image/svg+xml;base64,%s">`+
		`<script>(function(){var el=document.getElementById("%s");if(!el||!window.atob||!window.TextDecoder){return;}`+
		`var s=new TextDecoder().decode(Uint8Array.from(atob(el.getAttribute("src").split(",")[1]),function(c){return c.charCodeAt(0);}));`+
		`var d=document.createElement("div");d.innerHTML=s;if(d.firstElementChild){el.replaceWith(d.firstElementChild);}})();</script>`,
		id, w, hgt, data, id)
}

// maxEnlargedSide caps the side of an enlarged image, so a huge map is left to the browser.
const maxEnlargedSide = 1024

// pixelsEnlarged enlarges an <img>'s PNG data by the whole factor its width attribute asks
// for (nearest neighbour, what image-rendering:pixelated shows), when that is at least 2.
func pixelsEnlarged(attrs string) string {
	src, wm := srcRE.FindStringSubmatchIndex(attrs), widthRE.FindStringSubmatch(attrs)
	if src == nil || wm == nil {
		return attrs
	}
	raw, err := base64.StdEncoding.DecodeString(attrs[src[2]:src[3]])
	if err != nil {
		return attrs
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(raw))
	want, _ := strconv.Atoi(wm[1])
	if err != nil || cfg.Width <= 0 {
		return attrs
	}
	k := want / cfg.Width
	if k < 2 || cfg.Width*k > maxEnlargedSide || cfg.Height*k > maxEnlargedSide {
		return attrs
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		return attrs
	}
	big := enlarge(img, k)
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, big); err != nil {
		return attrs
	}
	return attrs[:src[2]] + base64.StdEncoding.EncodeToString(out.Bytes()) + attrs[src[3]:]
}

// enlarge repeats every pixel k×k times, keeping paletted and grey images as they are.
func enlarge(src image.Image, k int) image.Image {
	r := src.Bounds()
	dst := image.Rectangle{Max: image.Point{X: r.Dx() * k, Y: r.Dy() * k}}
	var out draw.Image
	switch s := src.(type) {
	case *image.Paletted:
		out = image.NewPaletted(dst, s.Palette)
	case *image.Gray:
		out = image.NewGray(dst)
	default:
		out = image.NewNRGBA(dst)
	}
	for y := 0; y < dst.Dy(); y++ {
		for x := 0; x < dst.Dx(); x++ {
			out.Set(x, y, src.At(r.Min.X+x/k, r.Min.Y+y/k))
		}
	}
	return out
}
