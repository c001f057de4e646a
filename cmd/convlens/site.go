package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/convlens/convlens/live"
	"github.com/convlens/convlens/onnx"
	"github.com/convlens/convlens/vizhtml"
)

// runSite writes the static site: a page that opens an ONNX file in the browser, with the
// engine and sample models and images.
func runSite(args []string) error {
	fs := flag.NewFlagSet("site", flag.ContinueOnError)
	out := fs.String("out", "site", "folder to write (index.html, the engine, samples/)")
	ckpt := fs.String("checkpoint", "", "a trained model to offer as a sample (exported to ONNX), with held-out images")
	backendName := fs.String("backend", "auto", "auto, xla, xla:cpu, xla:cuda or go (to read -checkpoint)")
	onnxFiles := fs.String("onnx", "", "ONNX files to offer as samples, comma-separated")
	imageNet := fs.Bool("imagenet", false, "the -onnx samples take ImageNet-normalised input (torchvision's models)")
	images := fs.Int("images", 6, "held-out images of -checkpoint's dataset to offer as samples")
	engineDir := fs.String("engine", "", "folder with "+live.WasmName+" and "+live.ExecName+" (default: beside the convlens executable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := intFlag("images", *images, 0, 64); err != nil {
		return err
	}
	if err := writableDir("out", *out); err != nil {
		return err
	}
	engine, err := readEngine(*engineDir)
	if err != nil {
		return err
	}
	start := time.Now()
	opt := vizhtml.SiteOptions{Engine: engine.Wasm, Exec: engine.Exec}
	files := map[string][]byte{live.WasmName: engine.Wasm, live.ExecName: []byte(engine.Exec)}
	if *ckpt != "" {
		empty := ""
		o, err := source{ckpt: ckpt, onnx: &empty, backend: backendName}.open()
		if err != nil {
			return err
		}
		model, err := onnx.Encode(o.model)
		if err != nil {
			return fmt.Errorf("-checkpoint: %w", err)
		}
		name := o.model.Spec.Name + ".onnx"
		opt.Samples = append(opt.Samples, vizhtml.SiteSample{Name: name, ONNX: model, Classes: o.model.Spec.ClassNames})
		files["samples/"+name] = model
		if *images > 0 {
			test, err := heldOut(o.loaded, "", "")
			if err != nil {
				return err
			}
			for i := 0; i < min(*images, test.N); i++ {
				pic, err := vizhtml.ImagePNG(test.ImageArray(i), vizhtml.Range{Lo: 0, Hi: 1})
				if err != nil {
					return err
				}
				name := fmt.Sprintf("%s-%d-%s.png", test.Name, i, test.Classes[test.Labels[i]])
				opt.Images = append(opt.Images, vizhtml.SiteImage{Name: name, PNG: pic})
				files["samples/"+name] = pic
			}
		}
	}
	for _, path := range strings.Split(*onnxFiles, ",") {
		if path = strings.TrimSpace(path); path == "" {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("-onnx: %w", err)
		}
		if _, err := onnx.Decode(b); err != nil {
			return fmt.Errorf("-onnx %s: %w", path, err)
		}
		name := filepath.Base(path)
		opt.Samples = append(opt.Samples, vizhtml.SiteSample{Name: name, ONNX: b, ImageNet: *imageNet})
		files["samples/"+name] = b
	}
	page, err := vizhtml.SitePage(opt)
	if err != nil {
		return err
	}
	for name, b := range files {
		path := filepath.Join(*out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return writePage(page, filepath.Join(*out, "index.html"), start)
}
