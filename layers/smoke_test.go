package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/nd"
)

func TestSmokeForward(t *testing.T) {
	xb, err := backend.Open("auto")
	if err != nil {
		t.Fatal(err)
	}
	t.Log(xb)
	gb, _ := backend.Open("go")
	spec := LeNet()
	mx, err := New(spec, xb, 1)
	if err != nil {
		t.Fatal(err)
	}
	mg, err := New(spec, gb, 1)
	if err != nil {
		t.Fatal(err)
	}
	img := nd.New(3, 28, 28, 1)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Data {
		img.Data[i] = r.Float32()
	}
	a, err := mx.Logits(img)
	if err != nil {
		t.Fatal(err)
	}
	b, err := mg.Logits(img)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Data {
		if math.Abs(float64(a.Data[i]-b.Data[i])) > 1e-4 {
			t.Errorf("%d: %v vs %v", i, a.Data[i], b.Data[i])
		}
	}
	t.Log(a.Data[:10], b.Data[:10])
}
