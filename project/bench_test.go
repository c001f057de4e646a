package project_test

import (
	"os"
	"testing"

	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/project"
)

// BenchmarkProjections times t-SNE and UMAP on the points CONVLENS_BENCH_POINTS ([n, d]
// .npy; bench/projection.sh writes 10,000 of 84 values and times openTSNE and umap-learn
// on them) and reports each plane's 10-NN recall.
func BenchmarkProjections(b *testing.B) {
	path := os.Getenv("CONVLENS_BENCH_POINTS")
	if path == "" {
		b.Skip("set CONVLENS_BENCH_POINTS (bench/projection.sh)")
	}
	x, err := nd.ReadNpy(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		fit  func(nd.Array) (nd.Array, error)
	}{{"tsne", project.TSNE{}.Fit}, {"umap", project.UMAP{Seed: 1}.Fit}} {
		b.Run(c.name, func(b *testing.B) {
			var y nd.Array
			for i := 0; i < b.N; i++ {
				if y, err = c.fit(x); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			r, err := project.Recall(x, y, 10)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(r, "recall")
		})
	}
}
