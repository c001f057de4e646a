package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/convlens/convlens/onnx"
)

// runExport writes a checkpoint as a standard ONNX model (opset 17, [N, C, H, W] input).
func runExport(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	ckpt := fs.String("checkpoint", "", "checkpoint directory (or a ckpt-*.bin file) written by convlens train")
	out := fs.String("out", "", "ONNX file to write")
	fs.StringVar(out, "onnx", "", "the same as -out (older name)")
	backendName := fs.String("backend", "auto", "auto, xla, xla:cpu, xla:cuda or go")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *ckpt == "" || *out == "" {
		return fmt.Errorf("give -checkpoint DIR and -out FILE")
	}
	if err := writableFile("out", *out); err != nil {
		return err
	}
	empty := ""
	o, err := source{ckpt: ckpt, onnx: &empty, backend: backendName}.open()
	if err != nil {
		return err
	}
	if err := onnx.Export(o.model, *out); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "onnx: %s (opset %d, input [N, %d, %d, %d], %d bytes)\n", *out, onnx.ExportOpset, o.model.Spec.Chans, o.model.Spec.Height, o.model.Spec.Width, st.Size())
	return nil
}
