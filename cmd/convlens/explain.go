package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/report"
	"github.com/convlens/convlens/vizhtml"
)

func runExplain(args []string) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	ckpt := fs.String("checkpoint", "", "checkpoint directory (or a ckpt-*.bin file) written by convlens train")
	method := fs.String("method", "all", "comma-separated methods: "+strings.Join(explain.MethodNames, ", ")+", or all")
	layer := fs.String("layer", "", "layer for Grad-CAM / Grad-CAM++ (default: the last conv layer)")
	images := fs.Int("images", 6, "held-out images to explain")
	sanity := fs.Bool("sanity", true, "run the model-parameter randomisation sanity check")
	classes := fs.Bool("class-vis", true, "synthesise one input per class by activation maximisation")
	dataName := fs.String("data", "", "dataset (default: the one it was trained on)")
	dataDir := fs.String("data-dir", "", "folder with the IDX files")
	out := fs.String("out", "explain.html", "output HTML file")
	backendName := fs.String("backend", "auto", "auto, xla, xla:cpu, xla:cuda or go")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := intFlag("images", *images, 1, 256); err != nil {
		return err
	}
	if err := writableFile("out", *out); err != nil {
		return err
	}
	loaded, test, err := loadCheckpoint(*ckpt, *backendName, *dataName, *dataDir)
	if err != nil {
		return err
	}
	l := *layer
	if l == "" {
		l = explain.LastConvLayer(loaded.Model.Spec)
	}
	methods, err := explain.Methods(*method, l)
	if err != nil {
		return err
	}
	ex := explain.New(loaded.Model)
	if err := ex.Check(methods...); err != nil { // before the long work
		return err
	}
	start := time.Now()
	page, err := report.Explain(ex, test, report.ExplainOptions{Methods: methods, Images: *images, Sanity: *sanity,
		ClassVisualizations: *classes, Seed: loaded.Meta.Config.Seed})
	if err != nil {
		return err
	}
	return writePage(page, *out, start)
}

func writePage(page *vizhtml.Page, out string, start time.Time) error {
	var buf bytes.Buffer
	if err := page.Render(&buf); err != nil {
		return err
	}
	if dir := filepath.Dir(out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	failed := 0
	for _, s := range page.Sections {
		if s.Err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "warning: section %q: %v\n", s.Title, s.Err)
		}
	}
	fmt.Fprintf(os.Stderr, "report: %s (%d sections, %d charts, %.2f MB, %.1f s)\n", out, len(page.Sections), page.Charts(),
		float64(buf.Len())/1e6, time.Since(start).Seconds())
	if failed > 0 {
		return fmt.Errorf("%d of %d sections could not be drawn (see the page)", failed, len(page.Sections))
	}
	return nil
}
