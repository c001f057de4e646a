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
	src := modelFlags(fs)
	in := inputFlags(fs)
	method := fs.String("method", "all", "comma-separated methods: "+strings.Join(explain.MethodNames, ", ")+", or all")
	layer := fs.String("layer", "", "layer for Grad-CAM / Grad-CAM++ (default: the last conv layer)")
	sanity := fs.Bool("sanity", true, "run the model-parameter randomisation sanity check")
	classes := fs.Bool("class-vis", true, "synthesise one input per class by activation maximisation")
	dataName := fs.String("data", "", "dataset (default: the one it was trained on)")
	dataDir := fs.String("data-dir", "", "folder with the IDX files")
	saveMaps := fs.String("save-maps", "", "also write the raw maps of the first method as .npy, float32 [N, H, W] at input resolution")
	out := fs.String("out", "explain.html", "output HTML file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	count, err := imageCount(*in.images, 6, 256)
	if err != nil {
		return err
	}
	for _, err := range []error{writableFile("out", *out), writableFile("save-maps", *saveMaps)} {
		if err != nil {
			return err
		}
	}
	model, test, seed, err := openWithData(src, in, *dataName, *dataDir)
	if err != nil {
		return err
	}
	count = min(count, test.N)
	l := model.Spec.Resolve(*layer)
	if l != "" { // checked even when no chosen method uses it: a typo should not pass silently
		if err := model.CheckTapNames([]string{l}); err != nil {
			return fmt.Errorf("-layer: %w", err)
		}
	}
	if l == "" {
		l = explain.LastConvLayer(model.Spec)
	}
	methods, err := explain.Methods(*method, l)
	if err != nil {
		return err
	}
	ex := explain.New(model)
	if err := ex.Check(methods...); err != nil { // before the long work
		return err
	}
	start := time.Now()
	if *saveMaps != "" {
		if err := writeMaps(ex, methods[0], test, count, *saveMaps); err != nil {
			return err
		}
	}
	page, err := report.Explain(ex, test, report.ExplainOptions{Methods: methods, Images: count, Sanity: *sanity,
		ClassVisualizations: *classes, Seed: seed})
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
