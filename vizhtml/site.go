package vizhtml

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// SiteOptions is what the static site carries: the engine, its glue, and samples.
type SiteOptions struct {
	Engine  []byte // convlens-engine.wasm
	Exec    string // wasm_exec.js of the Go release that built Engine
	Samples []SiteSample
	Images  []SiteImage
}

// SiteSample is a sample model: an ONNX file's bytes.
type SiteSample struct {
	Name string
	ONNX []byte
	// ImageNet normalises its input with ImageNet's mean and std when opened.
	ImageNet bool
	Classes  []string // class names (an ONNX file holds none)
}

// SiteImage is a sample input image (PNG).
type SiteImage struct {
	Name string
	PNG  []byte
}

//go:embed assets/site.js
var siteJS string

// SitePage is convlens with nothing installed: a page that opens an ONNX file dropped on it
// (or a sample) in the engine, shows its layer table and the live explorer, and takes
// photos, all in the browser; nothing leaves the machine.
func SitePage(opt SiteOptions) (*Page, error) {
	id := newID()
	scripts, err := engineScripts(id, opt.Engine, opt.Exec)
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	type sample struct {
		Name     string   `json:"name"`
		ONNX     string   `json:"onnx"`
		ImageNet bool     `json:"imageNet,omitempty"`
		Classes  []string `json:"classes,omitempty"`
	}
	type img struct {
		Name string `json:"name"`
		PNG  string `json:"png"`
	}
	var samples []sample
	for _, s := range opt.Samples {
		samples = append(samples, sample{s.Name, base64.StdEncoding.EncodeToString(s.ONNX), s.ImageNet, s.Classes})
	}
	var images []img
	for _, im := range opt.Images {
		if !bytes.HasPrefix(im.PNG, []byte("\x89PNG")) {
			return nil, fmt.Errorf("site: sample image %q is not a PNG", im.Name)
		}
		images = append(images, img{im.Name, DataURI(im.PNG)})
	}
	data, err := json.Marshal(map[string]any{"samples": samples, "images": images}) // escapes <, >, &
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("<style>" + explorerCSS + `
.cl-site-drop{border:2px dashed #8c959f;border-radius:8px;padding:14px;margin:6px 0;background:#f6f8fa}
.cl-site-drop.cl-over{border-color:#0969da;background:#ddf4ff}
.cl-site-table{border-collapse:collapse;font:12px sans-serif;margin:6px 0}
.cl-site-table td,.cl-site-table th{border-bottom:1px solid #d0d7de;padding:2px 8px;text-align:left}
.cl-site-table td.n{text-align:right;font-variant-numeric:tabular-nums}
</style>`)
	fmt.Fprintf(&b, `<div class="cl-site" id="%s"><div class="cl-site-drop">`+
		`<p class="cl-site-status">Starting the convlens engine…</p>`+
		`<label>Open an ONNX model: <input type="file" class="cl-site-onnx" accept=".onnx"></label> `+
		`<label><input type="checkbox" class="cl-site-imagenet"> normalise a colour input with ImageNet's mean and std (torchvision's models)</label> `+
		`<label>Class names (a text file, one a line): <input type="file" class="cl-site-classes" accept=".txt,text/plain"></label>`+
		`<div class="cl-site-samples"></div><div class="cl-site-images"></div>`+
		`<p class="cl-note">Or drop an .onnx file, then a photo, anywhere here. Everything is computed in this page: nothing leaves your machine.</p></div>`+
		`<div class="cl-site-notices"></div><details class="cl-site-inspect"><summary>Layers</summary><div class="cl-site-summary"></div></details>`+
		`<div class="cl-site-explorer"></div></div>`, id)
	fmt.Fprintf(&b, `<script type="application/json" id="%s-samples">%s</script>`, id, data)
	b.WriteString(scripts)
	fmt.Fprintf(&b, "<script>%s\n%s\n%s\nconvlensSite(%q);</script>", explorerJS, explorerLiveJS, siteJS, id)
	p := &Page{Title: "convlens in your browser",
		Subtitle: "Open an ONNX model: its layers, every value of every layer, Grad-CAM, and what changes when you change a kernel — computed here by the convlens engine (Go compiled to WebAssembly)."}
	p.Add(Section{Title: "Your model", Body: Fragment{HTML: b.String()}})
	return p, nil
}
