package vizhtml

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Section is one titled part of a page.
type Section struct {
	ID    string // anchor; derived from Title when empty
	Title string
	Note  string // plain text shown under the title
	Body  Fragment
	// Err, when set, replaces the body with a visible error box.
	Err error
}

// Page is a standalone HTML document made of sections, with the ECharts library inlined
// once when any section has a chart. It needs no network.
type Page struct {
	Title    string
	Subtitle string
	Sections []Section
}

// Add appends a section built from a view's result, keeping view errors visible in the page.
func (p *Page) Add(s Section) { p.Sections = append(p.Sections, s) }

// Charts counts the chart containers on the page.
func (p *Page) Charts() int {
	n := 0
	for _, s := range p.Sections {
		if s.Err == nil {
			n += s.Body.Charts
		}
	}
	return n
}

// Style is the CSS shared by pages and notebook output.
const Style = `<style>
.cl-page{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;max-width:1200px;margin:0 auto;padding:0 16px}
.cl-page h1{font-size:1.6em;margin-bottom:0}.cl-sub{color:#666;margin-top:4px}
.cl-section{border-top:1px solid #ddd;padding:8px 0 16px}.cl-section h2{font-size:1.2em}
.cl-note{color:#555;font-size:.9em;margin:6px 0 8px}
.cl-error{background:#fee;border:1px solid #c33;color:#900;padding:8px;border-radius:4px}
.cl-grid{display:flex;flex-wrap:wrap;gap:6px;align-items:flex-start}
.cl-tile{display:flex;flex-direction:column;align-items:center;font-size:11px;color:#444}
.cl-tile img{image-rendering:pixelated;image-rendering:crisp-edges;border:1px solid #ccc;transition:transform .12s ease .3s;cursor:zoom-in}
.cl-tile img:hover{transform:scale(2.5);position:relative;z-index:10;box-shadow:0 2px 10px rgba(0,0,0,.45)}
.cl-table{border-collapse:collapse;font-size:13px}.cl-table td,.cl-table th{border:1px solid #ddd;padding:3px 8px;text-align:right}
.cl-table th{background:#f4f4f4}.cl-table td:first-child,.cl-table td:nth-child(2){text-align:left}
.cl-bar{background:#4c78a8;height:10px;display:inline-block;vertical-align:middle}
.cl-flow{display:flex;flex-wrap:wrap;align-items:center;gap:4px}
.cl-box{border:1px solid #888;border-radius:6px;padding:6px 8px;font-size:12px;text-align:center;background:#f8f8ff}
.cl-box b{display:block}.cl-arrow{color:#888;font-size:18px}
.cl-toc{font-size:.9em}.cl-toc a{margin-right:12px}
.cl-capnote{color:#a60;font-size:.9em}
</style>
`

// Render writes the page as one HTML document.
func (p *Page) Render(w io.Writer) error {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(p.Title))
	b.WriteString(Style)
	if p.Charts() > 0 {
		b.WriteString(LibraryHTML())
	}
	b.WriteString("</head><body><div class=\"cl-page\">\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n", esc(p.Title))
	if p.Subtitle != "" {
		fmt.Fprintf(&b, "<p class=\"cl-sub\">%s</p>\n", esc(p.Subtitle))
	}
	ids := make([]string, len(p.Sections))
	b.WriteString("<p class=\"cl-toc\">")
	for i, s := range p.Sections {
		ids[i] = s.ID
		if ids[i] == "" {
			ids[i] = fmt.Sprintf("s%d-%s", i+1, slug(s.Title))
		}
		fmt.Fprintf(&b, "<a href=\"#%s\">%s</a>", esc(ids[i]), esc(s.Title))
	}
	b.WriteString("</p>\n")
	for i, s := range p.Sections {
		fmt.Fprintf(&b, "<div class=\"cl-section\" id=\"%s\"><h2>%s</h2>\n", esc(ids[i]), esc(s.Title))
		if s.Note != "" {
			fmt.Fprintf(&b, "<p class=\"cl-note\">%s</p>\n", esc(s.Note))
		}
		if s.Err != nil {
			fmt.Fprintf(&b, "<div class=\"cl-error\">This view could not be drawn: %s</div>\n", esc(s.Err.Error()))
		} else {
			b.WriteString(s.Body.HTML)
		}
		b.WriteString("\n</div>\n")
	}
	fmt.Fprintf(&b, "<p class=\"cl-sub\">Made by convlens on %s. Works offline: ECharts %s is inlined.</p>\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), EChartsVersion)
	b.WriteString("</div></body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}
