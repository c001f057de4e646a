package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/convlens/convlens/report"
)

func runDiff(args []string) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	pathA := fs.String("a", "", "the first model: a checkpoint directory or ckpt-*.bin file, or an ONNX file")
	pathB := fs.String("b", "", "the second model, of the same architecture")
	backendName := fs.String("backend", "auto", "auto, xla, xla:cpu, xla:cuda or go")
	in := inputFlags(fs)
	dataName := fs.String("data", "", "held-out dataset (default: the one the first model was trained on)")
	dataDir := fs.String("data-dir", "", "folder with the IDX files")
	ckaImages := fs.Int("cka-images", 200, "held-out images the layers' output similarity (linear CKA) uses")
	flips := fs.Int("flips", 8, "images shown for each direction of a changed answer")
	out := fs.String("out", "diff.html", "output HTML file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *pathA == "" || *pathB == "" {
		return fmt.Errorf("give both models: -a and -b")
	}
	for _, err := range []error{writableFile("out", *out), intFlag("cka-images", *ckaImages, 2, 4096), intFlag("flips", *flips, 1, 256)} {
		if err != nil {
			return err
		}
	}
	open := func(path string) (*opened, error) {
		empty := ""
		s := source{ckpt: &empty, onnx: &empty, backend: backendName, output: &empty, inputSize: &empty}
		p := path
		if strings.EqualFold(filepath.Ext(path), ".onnx") {
			s.onnx = &p
		} else {
			s.ckpt = &p
		}
		return s.open()
	}
	a, err := open(*pathA)
	if err != nil {
		return fmt.Errorf("-a: %w", err)
	}
	b, err := open(*pathB)
	if err != nil {
		return fmt.Errorf("-b: %w", err)
	}
	sel, err := in.load(a, 1000, 100_000, *dataName, *dataDir)
	if err != nil {
		return err
	}
	start := time.Now()
	page, res, err := report.Diff(a.model, b.model, sel.data, report.DiffOptions{NameA: label(*pathA), NameB: label(*pathB),
		Examples: sel.n, CKAImages: *ckaImages, Flips: *flips})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "accuracy %.2f%% → %.2f%%; %d right → wrong, %d wrong → right of %d\n", 100*res.A.Accuracy(), 100*res.B.Accuracy(),
		len(res.RightToWrong), len(res.WrongToRight), res.A.N)
	return writePage(page, *out, start)
}

// label names a model on the page by its file or directory name.
func label(path string) string {
	return filepath.Base(filepath.Clean(path))
}
