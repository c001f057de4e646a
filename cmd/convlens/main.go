// Command convlens trains CNNs and writes reports of their insides.
//
//	convlens train  -data mnist -model lenet -epochs 1 -checkpoint out/lenet -metrics out/metrics.json
//	convlens report -checkpoint out/lenet -out out/report.html
//	convlens explore -checkpoint out/lenet -images 4 -out out/explore.html
//	convlens inspect -onnx model.onnx
//	convlens predict -onnx model.onnx -images photos/ -out logits.npy
//	convlens diff -a out/lenet/ckpt-00000100.bin -b out/lenet -out out/diff.html
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

var commands = map[string]func(args []string) error{
	"train":   runTrain,
	"report":  runReport,
	"explain": runExplain,
	"explore": runExplore,
	"images":  runImages,
	"inspect": runInspect,
	"predict": runPredict,
	"export":  runExport,
	"diff":    runDiff,
	"site":    runSite,
}

func usage() {
	fmt.Fprintf(os.Stderr, `convlens: see inside convolutional networks

usage: convlens <command> [flags]

commands:
  train    train a model and write checkpoints and a metrics file
  report   write one offline HTML page with every view of a trained model
  explain  write an offline HTML page of attribution maps, class visualisations and sanity checks
  explore  write an interactive offline page that walks through how the model computes each value
  inspect  print a model's layers, shapes, parameters and FLOPs (-checkpoint DIR or -onnx FILE)
  predict  print the top classes of images and write the logits as .npy
  export   write a convlens checkpoint as an ONNX model
  diff     compare two models of one architecture: changed answers, per-layer change, filters
  site     write a static site that opens an ONNX file in the browser (the engine in WebAssembly)
  images   write a dataset as a folder of PNG images (train/<class>/*.png, test/<class>/*.png)

run "convlens <command> -h" for its flags.
`)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		if os.Args[1] == "-h" || os.Args[1] == "help" || os.Args[1] == "--help" {
			usage()
			return
		}
		fmt.Fprintf(os.Stderr, "convlens: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	err := cmd(os.Args[2:])
	if errors.Is(err, flag.ErrHelp) { // the flag set has printed its flags
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "convlens %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
