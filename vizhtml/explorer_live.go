package vizhtml

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// ExplorerLive makes the explorer compute in the page: the model (a live.Bundle as JSON)
// runs in the convlens engine (WebAssembly) for drawn or dropped images and after changes
// to its parameters.
type ExplorerLive struct {
	Bundle []byte // the model: live.Bundle as JSON
	Engine []byte // convlens-engine.wasm
	// Exec is wasm_exec.js of the Go release that built Engine (its runtime's glue).
	Exec string
}

//go:embed assets/explorer_live.js
var explorerLiveJS string

// liveScripts are the page's parts that run the engine: the bundle, the engine (gzip, then
// base64: a page opened from a file cannot fetch one beside it) and the glue.
func liveScripts(id string, l *ExplorerLive) (string, error) {
	if len(l.Engine) < 8 || !bytes.HasPrefix(l.Engine, []byte("\x00asm")) {
		return "", fmt.Errorf("live: the engine is not WebAssembly")
	}
	if !strings.Contains(l.Exec, "Go = class") && !strings.Contains(l.Exec, "class Go") {
		return "", fmt.Errorf("live: the glue is not Go's wasm_exec.js")
	}
	if !json.Valid(l.Bundle) {
		return "", fmt.Errorf("live: the model bundle is not JSON")
	}
	var model bytes.Buffer
	json.HTMLEscape(&model, l.Bundle) // no name can close the script
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := w.Write(l.Engine); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	engine := base64.StdEncoding.EncodeToString(gz.Bytes())
	var b strings.Builder
	fmt.Fprintf(&b, `<script type="application/json" id="%s-model">%s</script>`, id, model.String())
	fmt.Fprintf(&b, `<script type="text/plain" id="%s-engine">%s</script>`, id, engine)
	b.WriteString("<script>" + strings.ReplaceAll(l.Exec, "</script", `<\/script`) + "</script>")
	return b.String(), nil
}
