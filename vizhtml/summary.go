package vizhtml

import (
	"fmt"
	"strings"
)

// SummaryFigure is one headline number of a summary card ("accuracy", "98.44 %", "9,844 of
// 10,000 held-out images").
type SummaryFigure struct {
	Name, Value, Detail string
}

// SummaryPrediction is one example of a summary card: the image, and optionally an
// explanation map blended over it, with its caption.
type SummaryPrediction struct {
	Image   Tile
	Overlay []byte // PNG, or nil
	// OverlayName names the overlay's method (default "Grad-CAM").
	OverlayName string
	Wrong       bool
}

// Link is a link to a related page.
type Link struct {
	Text, Href string
}

// SummaryCard is the first thing a report shows: headline figures, a few predictions, the
// most confident mistakes and links to the related pages.
func SummaryCard(figures []SummaryFigure, predictions, mistakes []SummaryPrediction, links []Link) (Fragment, error) {
	var b strings.Builder
	b.WriteString(`<div class="cl-summary" style="border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;margin:8px 0 16px">`)
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:28px">`)
	for _, f := range figures {
		fmt.Fprintf(&b, `<div class="cl-figure" data-name="%s"><div style="font-size:12px;color:#57606a">%s</div><div style="font-size:26px;font-weight:600">%s</div><div style="font-size:12px;color:#57606a">%s</div></div>`,
			esc(f.Name), esc(f.Name), esc(f.Value), esc(f.Detail))
	}
	b.WriteString(`</div>`)
	for _, group := range []struct {
		title string
		items []SummaryPrediction
	}{{"Predictions (with " + overlayName(predictions) + ")", predictions}, {"Most confident mistakes", mistakes}} {
		if len(group.items) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<h4 style="margin:12px 0 4px">%s</h4><div class="cl-grid">`, esc(group.title))
		for i, p := range group.items {
			img, err := ImagePNG(p.Image.Image, Range{0, 1})
			if err != nil {
				return Fragment{}, fmt.Errorf("summary example %d: %w", i, err)
			}
			border := "#2da44e"
			if p.Wrong {
				border = "#cf222e"
			}
			fmt.Fprintf(&b, `<div class="cl-tile"><img src="%s" width="84" height="84" alt="example" style="border:2px solid %s">`, DataURI(img), border)
			if p.Overlay != nil {
				fmt.Fprintf(&b, `<img src="%s" width="84" height="84" alt="%s" style="border:2px solid %s">`, DataURI(p.Overlay), esc(overlayName([]SummaryPrediction{p})), border)
			}
			fmt.Fprintf(&b, `<span>%s</span></div>`, esc(p.Image.Label))
		}
		b.WriteString(`</div>`)
	}
	if len(links) > 0 {
		b.WriteString(`<p style="margin:10px 0 0">See also: `)
		for i, l := range links {
			if i > 0 {
				b.WriteString(" · ")
			}
			fmt.Fprintf(&b, `<a href="%s">%s</a>`, esc(safeHref(l.Href)), esc(l.Text))
		}
		b.WriteString(`</p>`)
	}
	b.WriteString(`</div>`)
	return Fragment{HTML: b.String()}, nil
}

func overlayName(p []SummaryPrediction) string {
	if len(p) > 0 && p[0].OverlayName != "" {
		return p[0].OverlayName
	}
	return "Grad-CAM"
}

// safeHref keeps relative and http(s) links and turns anything else (javascript:, data:)
// into a harmless "#".
func safeHref(h string) string {
	l := strings.ToLower(strings.TrimSpace(h))
	if i := strings.IndexAny(l, ":/?#"); i >= 0 && l[i] == ':' && !strings.HasPrefix(l, "http:") && !strings.HasPrefix(l, "https:") {
		return "#"
	}
	return h
}
