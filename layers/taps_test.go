package layers_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
)

// Taps return the same logits as a plain forward pass, every tap with its summary shape,
// pre-activations that the activation maps to the post-activation tap, and errors (not
// panics) for bad input.
func TestTapsMatchForward(t *testing.T) {
	for bname, b := range testutil.Both(t) {
		t.Run(bname, func(t *testing.T) {
			m, err := layers.New(layers.LeNet(), b, 3)
			if err != nil {
				t.Fatal(err)
			}
			images := testutil.RandomArray(4, 0, 1, 5, 28, 28, 1)
			logits, err := m.Logits(images)
			if err != nil {
				t.Fatal(err)
			}
			taps, err := m.Taps(images)
			if err != nil {
				t.Fatal(err)
			}
			if d := testutil.MaxRelDiff(logits.Data, taps.Logits.Data); d != 0 {
				t.Errorf("tap logits differ from forward logits by %g", d)
			}
			if !slices.Equal(taps.Names, m.Spec.TapNames()) {
				t.Errorf("tap names %v, want %v", taps.Names, m.Spec.TapNames())
			}
			sum, _ := m.Spec.Summarize()
			for _, ls := range sum.Layers {
				got := taps.Outputs[ls.Name].Shape
				if !slices.Equal(got, append([]int{5}, ls.OutShape...)) {
					t.Errorf("tap %s shape %v, summary says %v", ls.Name, got, ls.OutShape)
				}
			}
			pre, post := taps.Outputs["conv1.pre"], taps.Outputs["conv1"]
			for i, v := range pre.Data {
				if float32(math.Max(float64(v), 0)) != post.Data[i] {
					t.Fatalf("relu(conv1.pre[%d]=%v) != conv1[%d]=%v", i, v, i, post.Data[i])
				}
			}
			if d := testutil.MaxRelDiff(taps.Outputs["logits"].Data, logits.Data); d != 0 {
				t.Errorf("logits tap differs by %g", d)
			}
			one, err := m.Taps(images, "pool2")
			if err != nil || len(one.Outputs) != 1 || len(one.Names) != 1 {
				t.Errorf("single tap: %v, %d outputs", err, len(one.Outputs))
			}

			// Bad input.
			if _, err := m.Taps(images, "conv9"); err == nil || !strings.Contains(err.Error(), `unknown layer "conv9"`) {
				t.Errorf("unknown layer: %v", err)
			}
			if _, err := m.Logits(testutil.RandomArray(1, 0, 1, 2, 32, 32, 3)); err == nil || !strings.Contains(err.Error(), "does not match") {
				t.Errorf("wrong shape: %v", err)
			}
			bad := testutil.RandomArray(1, 0, 1, 2, 28, 28, 1)
			bad.Data[17] = float32(math.NaN())
			if _, err := m.Taps(bad); err == nil || !strings.Contains(err.Error(), "NaN") {
				t.Errorf("NaN input: %v", err)
			}
			bad.Data[17] = float32(math.Inf(1))
			if _, err := m.Logits(bad); err == nil {
				t.Error("Inf input: no error")
			}
			bad.Data = bad.Data[:10]
			if _, err := m.Logits(bad); err == nil {
				t.Error("short data: no error")
			}
		})
	}
}

// A batch larger than one forward call takes is split, with the same logits.
func TestLogitsInCalls(t *testing.T) {
	s := layers.LeNet()
	m, err := layers.New(s, testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	k := s.ForwardBatch()
	n := k + 7
	images := testutil.RandomArray(4, 0, 1, n, s.Height, s.Width, s.Chans)
	all, err := m.Logits(images)
	if err != nil {
		t.Fatal(err)
	}
	tail, err := m.Logits(images.Rows(k, n))
	if err != nil {
		t.Fatal(err)
	}
	if all.Shape[0] != n || testutil.MaxRelDiff(all.Rows(k, n).Data, tail.Data) > 1e-5 {
		t.Errorf("logits of %d images in calls of %d: shape %v, the last rows differ", n, k, all.Shape)
	}
}

// A model whose layer outputs for one image exceed MaxImageBytes is refused before any work,
// with the sizes in the message; the batch of one call shrinks with the image's bytes.
func TestImageBytesBound(t *testing.T) {
	s := layers.NewSpec("wide", 256, 256, 3, 2).Conv("c1", 16, 3).Conv("c2", 16, 3).Conv("c3", 16, 3).
		GlobalAvgPool("g").Dense("d", 2)
	bytes := s.ImageBytes()
	// The input and three unpadded 3x3 convolutions' outputs; the pool and dense add 18 values.
	if want := int64(4 * (256*256*3 + 16*(254*254+252*252+250*250) + 16 + 2)); bytes != want {
		t.Fatalf("ImageBytes %d, want %d", bytes, want)
	}
	if k := s.ForwardBatch(); k != int((1<<30)/bytes) {
		t.Errorf("ForwardBatch %d, want %d", k, (1<<30)/bytes)
	}
	m, err := layers.New(s, testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func(v int64) { layers.MaxImageBytes = v }(layers.MaxImageBytes)
	layers.MaxImageBytes = bytes - 1
	_, err = m.Logits(testutil.RandomArray(1, 0, 1, 1, 256, 256, 3))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("compute %d MB", bytes>>20)) {
		t.Errorf("over the bound: %v", err)
	}
}
