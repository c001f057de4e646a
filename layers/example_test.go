package layers_test

import (
	"fmt"

	"github.com/convlens/convlens/layers"
)

// A residual block: name a layer's inputs ("input" is the image); by default a layer
// takes the previous one.
func ExampleSpec_Add() {
	spec := layers.NewSpec("res", 32, 32, 3, 2).
		Conv("c1", 8, 3, layers.WithPadding(layers.Same), layers.WithActivation(layers.ReLU)).
		Conv("c2", 8, 3, layers.WithPadding(layers.Same)).
		Conv("proj", 8, 1, layers.From("input")).
		Add("sum", []string{"c2", "proj"}, layers.WithActivation(layers.ReLU)).
		GlobalAvgPool("gap").
		Dense("logits", 2)
	sum, err := spec.Summarize()
	if err != nil {
		panic(err)
	}
	for _, l := range sum.Layers {
		fmt.Println(l.Name, l.Inputs, l.OutShape, l.Params)
	}
	fmt.Println("taps:", spec.TapNames())
	// Output:
	// c1 [input] [32 32 8] 224
	// c2 [c1] [32 32 8] 584
	// proj [input] [32 32 8] 32
	// sum [c2 proj] [32 32 8] 0
	// gap [sum] [8] 0
	// logits [gap] [2] 18
	// taps: [c1.pre c1 c2 proj sum.pre sum gap logits]
}
