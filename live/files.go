package live

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// The engine's files, as `make build` writes them beside bin/convlens.
const (
	WasmName = "convlens-engine.wasm"
	ExecName = "wasm_exec.js"
)

// EngineFiles are the compiled engine and the glue of the Go release that built it.
type EngineFiles struct {
	Wasm []byte
	Exec string
}

// ReadEngine reads WasmName and ExecName from dir.
func ReadEngine(dir string) (*EngineFiles, error) {
	wasm, err := os.ReadFile(filepath.Join(dir, WasmName))
	if err != nil {
		return nil, fmt.Errorf("the live engine: %w (make build writes it beside bin/convlens)", err)
	}
	glue, err := os.ReadFile(filepath.Join(dir, ExecName))
	if err != nil {
		return nil, fmt.Errorf("the live engine's glue: %w (make build writes it beside bin/convlens)", err)
	}
	return &EngineFiles{Wasm: wasm, Exec: string(glue)}, nil
}

// BuildEngine compiles the engine into dir with the Go toolchain that runs (its source is
// this module's cmd/convlens-engine) and copies that release's glue beside it; it needs
// the module's source, as in its tests and notebooks.
func BuildEngine(dir string) (*EngineFiles, error) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", "-buildvcs=false", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, WasmName),
		"github.com/convlens/convlens/cmd/convlens-engine")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the live engine: %v: %s", err, strings.TrimSpace(string(out)))
	}
	root, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("finding Go's wasm_exec.js: %w", err)
	}
	glue, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", ExecName))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ExecName), glue, 0o644); err != nil {
		return nil, err
	}
	return ReadEngine(dir)
}
