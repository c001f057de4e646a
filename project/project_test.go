package project_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/project"
)

// convlens' t-SNE and UMAP keep the digits' neighbourhoods as well as openTSNE 1.0.4 and
// umap-learn 0.5.12 do (10-nearest-neighbour recall and trustworthiness within 0.05 of
// theirs), give the same plane for the same seed, and the trustworthiness score equals
// scikit-learn's on the references' planes (within 1e-5: it ranks float32 distances).
func TestProjectionsMatchTheReferences(t *testing.T) {
	py := testutil.TorchPython(t)
	dir := t.TempDir()
	if out, err := exec.Command(py, "testdata/projections.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("references: %v\n%s", err, out)
	}
	read := func(name string) nd.Array {
		a, err := nd.ReadNpy(filepath.Join(dir, name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	x := read("digits")
	var trust map[string]float64
	b, _ := os.ReadFile(filepath.Join(dir, "trust.json"))
	if err := json.Unmarshal(b, &trust); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		fit  func(nd.Array) (nd.Array, error)
	}{
		{"tsne", project.TSNE{}.Fit},
		{"umap", project.UMAP{Seed: 1}.Fit},
	} {
		start := time.Now()
		ours, err := c.fit(x)
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		again, _ := c.fit(x)
		if d := maxDiff(ours.Data, again.Data); d != 0 {
			t.Errorf("%s: two fits differ by %g", c.name, d)
		}
		ref := read(c.name)
		refTrust, err := project.Trustworthiness(x, ref, 10)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(refTrust-trust[c.name]) > 1e-5 { // scikit-learn ranks float32 distances: near ties may swap

			t.Errorf("%s: trustworthiness of the reference plane %.7f, scikit-learn %.7f", c.name, refTrust, trust[c.name])
		}
		ourTrust, _ := project.Trustworthiness(x, ours, 10)
		ourRecall, _ := project.Recall(x, ours, 10)
		refRecall, _ := project.Recall(x, ref, 10)
		t.Logf("%s: recall %.3f (reference %.3f), trustworthiness %.4f (reference %.4f), %.1f s", c.name, ourRecall, refRecall, ourTrust, refTrust, took.Seconds())
		if ourRecall < refRecall-0.05 || ourTrust < refTrust-0.05 {
			t.Errorf("%s: recall %.3f and trustworthiness %.4f, the reference %.3f and %.4f", c.name, ourRecall, ourTrust, refRecall, refTrust)
		}
	}
}

func maxDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// KNN equals a brute-force search; a plane that is the points themselves keeps every
// neighbourhood (recall and trustworthiness 1); bad input is refused.
func TestNeighbourhoods(t *testing.T) {
	x := testutil.RandomArray(3, -1, 1, 60, 2)
	nb, err := project.KNN(x, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 60; i++ {
		var dists []float64
		for j := 0; j < 60; j++ {
			if j != i {
				dx, dy := float64(x.Data[2*i]-x.Data[2*j]), float64(x.Data[2*i+1]-x.Data[2*j+1])
				dists = append(dists, math.Hypot(dx, dy))
			}
		}
		for r := 0; r < 5; r++ {
			smaller := 0
			for _, d := range dists {
				if d < nb.Dist[i][r]-1e-9 {
					smaller++
				}
			}
			if smaller != r {
				t.Fatalf("point %d: neighbour %d at %.4f has %d nearer points", i, r, nb.Dist[i][r], smaller)
			}
		}
	}
	if r, err := project.Recall(x, x, 5); err != nil || r != 1 {
		t.Errorf("recall of the points themselves %v (%v)", r, err)
	}
	if tr, err := project.Trustworthiness(x, x, 5); err != nil || math.Abs(tr-1) > 1e-12 {
		t.Errorf("trustworthiness of the points themselves %v (%v)", tr, err)
	}
	bad := nd.Array{Shape: []int{3, 2}, Data: []float32{0, 1, float32(math.NaN()), 0, 1, 1}}
	for name, fit := range map[string]func(nd.Array) (nd.Array, error){"tsne": project.TSNE{}.Fit, "umap": project.UMAP{}.Fit} {
		if _, err := fit(bad); err == nil {
			t.Errorf("%s accepts NaN", name)
		}
		if _, err := fit(nd.New(2, 3)); err == nil {
			t.Errorf("%s accepts 2 points", name)
		}
	}
	if _, err := project.KNN(x, 60); err == nil {
		t.Error("60 neighbours of 60 points accepted")
	}
}
