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

// liveScripts are the page's parts that run the engine on the explorer's model: the bundle
// and engineScripts.
func liveScripts(id string, l *ExplorerLive) (string, error) {
	if !json.Valid(l.Bundle) {
		return "", fmt.Errorf("live: the model bundle is not JSON")
	}
	engine, err := engineScripts(id, l.Engine, l.Exec)
	if err != nil {
		return "", err
	}
	var model bytes.Buffer
	json.HTMLEscape(&model, l.Bundle) // no name can close the script
	return fmt.Sprintf(`<script type="application/json" id="%s-model">%s</script>`, id, model.String()) + engine, nil
}

// engineScripts are the engine (gzip, then base64: a page opened from a file cannot fetch
// one beside it) and Go's glue.
func engineScripts(id string, wasm []byte, glue string) (string, error) {
	if len(wasm) < 8 || !bytes.HasPrefix(wasm, []byte("\x00asm")) {
		return "", fmt.Errorf("live: the engine is not WebAssembly")
	}
	if !strings.Contains(glue, "Go = class") && !strings.Contains(glue, "class Go") {
		return "", fmt.Errorf("live: the glue is not Go's wasm_exec.js")
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := w.Write(wasm); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return fmt.Sprintf(`<script type="text/plain" id="%s-engine">%s</script>`, id, base64.StdEncoding.EncodeToString(gz.Bytes())) +
		"<script>" + strings.ReplaceAll(glue, "</script", `<\/script`) + "</script>", nil
}
