package onnx_test

import (
	"os"
	"testing"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
)

// BenchmarkExplainImported times explanation methods per image on the ONNX model
// CONVLENS_BENCH_ONNX with the input CONVLENS_BENCH_INPUT ([N, C, H, W] .npy), XLA CPU,
// compilation excluded: bench/explain.sh runs it on the ResNet-18 that
// bench/torch_explain.py times with pytorch-grad-cam and Zennit.
func BenchmarkExplainImported(b *testing.B) {
	path, in := os.Getenv("CONVLENS_BENCH_ONNX"), os.Getenv("CONVLENS_BENCH_INPUT")
	if path == "" || in == "" {
		b.Skip("set CONVLENS_BENCH_ONNX and CONVLENS_BENCH_INPUT (bench/explain.sh)")
	}
	m, _, err := onnx.Open(path, testutil.XLA(b))
	if err != nil {
		b.Fatal(err)
	}
	raw, err := nd.ReadNpy(in)
	if err != nil {
		b.Fatal(err)
	}
	images, err := nd.NCHWToNHWC(raw)
	if err != nil {
		b.Fatal(err)
	}
	layer := os.Getenv("CONVLENS_BENCH_LAYER")
	ex := explain.New(m)
	for _, method := range []explain.Method{explain.Saliency{}, explain.ScoreCAM{Layer: layer},
		explain.AblationCAM{Layer: layer}, explain.LRP{}} {
		b.Run(method.Name(), func(b *testing.B) {
			if _, err := method.Attribute(ex, images, nil); err != nil { // compiles
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := method.Attribute(ex, images, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*images.Shape[0]), "s/image")
		})
	}
}
