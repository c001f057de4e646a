// Package nb shows convlens views inline in Jupyter notebooks run by GoNB. It is the only
// convlens package that imports gonbui. It computes nothing itself: the views come from
// vizhtml, and the numbers behind them from layers, training, report and explain.
//
// Outside a notebook every call is harmless: nothing is shown, unless $CONVLENS_NB_HTML
// names a file, to which the same HTML is appended.
package nb

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/convlens/convlens/vizhtml"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

var (
	mu            sync.Mutex
	libraryLoaded bool
)

// libraryMarker is a file in GoNB's per-kernel temporary folder recording that the
// ECharts library was sent in an earlier cell: each cell is a new process.
func libraryMarker() string {
	dir := os.Getenv(protocol.GONB_TMP_DIR_ENV)
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "convlens-echarts-"+vizhtml.EChartsVersion)
}

// libraryHTML returns the ECharts library the first time it is needed in this kernel,
// and "" afterwards.
func libraryHTML() string {
	mu.Lock()
	defer mu.Unlock()
	if libraryLoaded {
		return ""
	}
	libraryLoaded = true
	if m := libraryMarker(); m != "" {
		if _, err := os.Stat(m); err == nil {
			return ""
		}
		_ = os.WriteFile(m, nil, 0o644)
	}
	return vizhtml.LibraryHTML()
}

// LoadLibrary sends the ECharts library again (for instance after clearing the output of
// the cell that first sent it).
func LoadLibrary() {
	mu.Lock()
	libraryLoaded = false
	if m := libraryMarker(); m != "" {
		_ = os.Remove(m)
	}
	mu.Unlock()
	display(vizhtml.Style + libraryHTML())
}

func display(html string) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(html)
		gonbui.Sync()
		return
	}
	appendToFile(html)
}

func appendToFile(html string) {
	path := os.Getenv("CONVLENS_NB_HTML")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(html + "\n")
}

// wrap prefixes the style and, when the fragment has charts, the library if not yet sent;
// the fragment keeps its layout where JupyterLab strips scripts and styles (untrusted).
func wrap(f vizhtml.Fragment) string {
	lib := ""
	if f.Charts > 0 {
		lib = libraryHTML()
	}
	return vizhtml.Style + lib + vizhtml.SanitiserProof(`<div class="cl-page" style="max-width:none;padding:0">`+f.HTML+`</div>`)
}

// Show displays a view. A view with charts also carries their static picture as the
// output's image/png, for notebook viewers that show images but not HTML with scripts.
func Show(f vizhtml.Fragment, err error) {
	if err != nil {
		ShowError(err)
		return
	}
	if gonbui.IsNotebook {
		sendBundle(f, "")
		return
	}
	display(wrap(f))
}

// sendBundle sends a view as one output: its HTML and, when it has charts, their static
// picture as image/png (without it the HTML still holds each picture); a display id
// updates that output in place.
func sendBundle(f vizhtml.Fragment, displayID string) {
	data := map[protocol.MIMEType]any{protocol.MIMETextHTML: wrap(f)}
	if pic, err := f.Picture(); err == nil && pic != nil {
		data[protocol.MIMEImagePNG] = pic
	}
	gonbui.SendData(&protocol.DisplayData{Data: data, DisplayID: displayID})
	gonbui.Sync()
}

// ShowSection displays the body (or the error) of a report section (report.Filters, report.GradientFlow,
// ...), whose title and note a notebook usually states in its own markdown.
func ShowSection(s vizhtml.Section) { Show(s.Body, s.Err) }

// ShowError displays an error box.
func ShowError(err error) {
	display(vizhtml.Style + vizhtml.SanitiserProof(fmt.Sprintf(`<div class="cl-error">%s</div>`, vizhtml.Escape(err.Error()))))
}

// ShowPage displays every section of a page inline.
func ShowPage(p *vizhtml.Page, err error) {
	if err != nil {
		ShowError(err)
		return
	}
	for _, s := range p.Sections {
		head := vizhtml.Fragment{HTML: fmt.Sprintf("<h3>%s</h3>", vizhtml.Escape(s.Title))}
		if s.Err != nil {
			Show(head, nil)
			ShowError(s.Err)
			continue
		}
		Show(vizhtml.Join(head, s.Body), nil)
	}
}

// Markdown displays markdown text (rendered by Jupyter).
func Markdown(md string) {
	if gonbui.IsNotebook {
		gonbui.DisplayMarkdown(md)
		gonbui.Sync()
	}
}

// Live is one output area updated in place (the executed notebook keeps its last state).
type Live struct {
	id string
}

// NewLive reserves an output area. The ECharts library, if not yet sent, goes into a
// static output just before it: an area updated in place loses what earlier updates held.
func NewLive() *Live {
	if lib := libraryHTML(); lib != "" {
		display(lib)
	}
	return &Live{id: "convlens-live-" + gonbui.UniqueID()}
}

// Update replaces the area's content with f.
func (l *Live) Update(f vizhtml.Fragment) {
	if gonbui.IsNotebook {
		sendBundle(f, l.id)
		return
	}
	appendToFile(wrap(f))
}

// Measure shows one measured number in a sentence (format has one verb for value, e.g.
// "conv1 keeps a correlation of %.3f with its initial weights"), tagged with id so that a
// test can check the claims the notebook's text makes about it against the executed value.
func Measure(id string, value float64, format string) {
	display(vizhtml.Style + vizhtml.SanitiserProof(vizhtml.MeasureHTML(id, value, fmt.Sprintf(format, value))))
}
