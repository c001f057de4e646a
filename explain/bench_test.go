package explain_test

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
)

// BenchmarkMethods times each method on LeNet (XLA CPU) at batch 1 and 64. Saliency is one
// forward + backward pass, the unit the other methods are compared against in
// docs/PERFORMANCE.md.
func BenchmarkMethods(b *testing.B) {
	m, err := layers.New(layers.LeNet(), testutil.XLA(b), 1)
	if err != nil {
		b.Fatal(err)
	}
	ex := explain.New(m)
	methods := []explain.Method{
		explain.Saliency{}, explain.GradCAM{Layer: "conv2"}, explain.GradCAMPlusPlus{Layer: "conv2"},
		explain.GradientXInput{}, explain.IntegratedGradients{Steps: 50}, explain.SmoothGrad{Base: explain.Saliency{}, Samples: 25},
		explain.Occlusion{Patch: 4, Stride: 2},
	}
	for _, batch := range []int{1, 64} {
		images := testutil.RandomArray(1, 0, 1, batch, 28, 28, 1)
		targets := make([]int, batch)
		for _, method := range methods {
			b.Run(fmt.Sprintf("xla/lenet/batch=%d/%s", batch, method.Name()), func(b *testing.B) {
				if _, err := method.Attribute(ex, images, targets); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := method.Attribute(ex, images, targets); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkIntegratedGradientsMemory reports the process's peak resident memory after
// integrated gradients with 50 and 400 steps on 64 images: path points are processed
// MaxBatch at a time, so the peak must not grow with the number of steps.
func BenchmarkIntegratedGradientsMemory(b *testing.B) {
	m, err := layers.New(layers.LeNet(), testutil.XLA(b), 1)
	if err != nil {
		b.Fatal(err)
	}
	ex := explain.New(m)
	images := testutil.RandomArray(1, 0, 1, 64, 28, 28, 1)
	for _, steps := range []int{50, 400} {
		b.Run(fmt.Sprintf("xla/lenet/batch=64/steps=%d", steps), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := (explain.IntegratedGradients{Steps: steps}).Attribute(ex, images, make([]int, 64)); err != nil {
					b.Fatal(err)
				}
			}
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
		})
	}
}

// BenchmarkScorePanel times the explain page's faithfulness scores on LeNet (XLA CPU): 8
// images, 8 methods' maps (computed once, outside the timing) and the two baselines, each
// scored by deletion, insertion and ROAD. Target: ≤ 2 s.
func BenchmarkScorePanel(b *testing.B) {
	m, err := layers.New(layers.LeNet(), testutil.XLA(b), 1)
	if err != nil {
		b.Fatal(err)
	}
	ex := explain.New(m)
	images := testutil.RandomArray(2, 0, 1, 8, 28, 28, 1)
	methods, err := explain.Methods("saliency,gradxinput,smoothgrad,ig,gradcam,gradcam++,layercam,occlusion", "conv2")
	if err != nil {
		b.Fatal(err)
	}
	var maps []*explain.Maps
	for _, method := range methods {
		mp, err := method.Attribute(ex, images, nil)
		if err != nil {
			b.Fatal(err)
		}
		maps = append(maps, mp)
	}
	if _, err := explain.Score(ex, images, maps, nil, nil, 1); err != nil { // compiles
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := explain.Score(ex, images, maps, nil, nil, 1); err != nil {
			b.Fatal(err)
		}
	}
}
