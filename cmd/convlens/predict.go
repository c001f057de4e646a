package main

import (
	"flag"
	"fmt"
	"sort"
	"strconv"
	"unicode"

	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/vizhtml"
)

// runPredict prints each image's top classes and writes the logits as .npy [N, classes].
func runPredict(args []string) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	src := modelFlags(fs)
	in := inputFlags(fs)
	top := fs.Int("top", 3, "classes printed per image")
	out := fs.String("out", "", "write the model's output here as .npy, float32: [N, classes] logits for a checkpoint, the graph output in its own layout for -onnx (probabilities where it ends in a softmax)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := intFlag("top", *top, 1, 100); err != nil {
		return err
	}
	if err := writableFile("out", *out); err != nil {
		return err
	}
	o, err := src.open()
	if err != nil {
		return err
	}
	*in.labels = "" // predict reports the model's classes only
	if *in.images == "" {
		return fmt.Errorf("-images is required: a count of held-out images (a checkpoint's), or image files")
	}
	sel, err := in.load(o, 8, 1<<20, "", "")
	if err != nil {
		return err
	}
	ds, names, count := sel.data, sel.names, sel.n
	if names == nil {
		for i := range count {
			names = append(names, fmt.Sprintf("held-out image %d (true %s)", i, className(ds.Classes, int(ds.Labels[i]))))
		}
	}
	logits, err := o.model.Logits(ds.Batch(0, count))
	if err != nil {
		return err
	}
	k := logits.Shape[1]
	for i := range count {
		row := logits.Data[i*k : (i+1)*k]
		probs := vizhtml.Softmax(row)
		order := make([]int, k)
		for c := range order {
			order[c] = c
		}
		sort.SliceStable(order, func(a, b int) bool { return row[order[a]] > row[order[b]] })
		fmt.Printf("%s:", shown(names[i]))
		for _, c := range order[:min(*top, k)] {
			fmt.Printf("  %s %.1f%%", shown(ds.Classes[c]), 100*probs[c])
		}
		fmt.Println()
	}
	if *out == "" {
		return nil
	}
	if imp := o.imported; imp != nil {
		name, values := imp.Spec.Output, logits
		if imp.Probabilities { // the file's output is the softmax's
			r, err := o.model.Taps(ds.Batch(0, count), name)
			if err != nil {
				return err
			}
			values = r.Outputs[name]
		}
		if logits, err = imp.AsONNX(name, values); err != nil {
			return err
		}
	}
	return nd.WriteNpy(*out, logits)
}

// shown is a name read from a file or folder as it may go to a terminal: as it is when
// every rune is printable, else Go-quoted (no escape sequences, no forged lines).
func shown(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// className is class c's name (its index where names are missing).
func className(classes []string, c int) string {
	if c >= 0 && c < len(classes) && classes[c] != "" {
		return classes[c]
	}
	return fmt.Sprint(c)
}
