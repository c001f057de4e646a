package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/nd"
)

// Each of these was silently wrong (or worse) before: now a clear error or a notice.
func TestReliabilityCases(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	train := func(extra ...string) (string, error) {
		args := append([]string{"train", "-data", "synthetic", "-model", "lenet", "-steps", "2", "-batch", "8", "-backend", "go",
			"-checkpoint", ckpt, "-quiet"}, extra...)
		return convlens(t, args...)
	}
	if out, err := train(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// A fresh run into a used folder would keep the old run's checkpoints for a later -resume.
	if out, err := train(); err == nil || !strings.Contains(out, "already holds a training run") {
		t.Errorf("a fresh run into a used folder: %v\n%s", err, out)
	}
	if out, err := train("-overwrite"); err != nil {
		t.Errorf("-overwrite: %v\n%s", err, out)
	}
	if out, err := train("-resume", "-steps", "4"); err != nil {
		t.Errorf("-resume after -overwrite: %v\n%s", err, out)
	}
	images := filepath.Join(dir, "a,b [1].npy") // a comma and brackets in a name given as it is
	if err := nd.WriteNpy(images, testutil.RandomArray(1, 0, 1, 3, 28, 28, 1)); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "labels.npy")
	nd.WriteNpy(huge, nd.Array{Shape: []int{3}, Data: []float32{1, 9.223372e18, 2}})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "-checkpoint", ckpt, "-images", images, "-labels", huge, "-method", "saliency", "-out", filepath.Join(dir, "e.html")}, "is not a class in [0, 10)"},
		{[]string{"predict", "-checkpoint", ckpt, "-images", images, "-std", "1e300"}, "magnitude at most 1e30"},
		{[]string{"predict", "-checkpoint", ckpt, "-images", images, "-mean", "0.1,0.2,0.3"}, "the model takes 1 channel; give 1 value"},
		{[]string{"predict", "-checkpoint", ckpt, "-images", images, "-mean", "0.5"}, "-mean and -std apply to decoded image files"},
		{[]string{"predict", "-checkpoint", ckpt, "-images", images, "-max-image-mb", "0"}, "-max-image-mb 0 outside [1, 1048576]"},
		{[]string{"train", "-data", "synthetic", "-resize", "8x8", "-steps", "1", "-backend", "go"}, "-resize applies to image folders"},
	} {
		out, err := convlens(t, c.args...)
		if !strings.Contains(out, c.want) {
			t.Errorf("%v: %v\n%s (want %q)", c.args, err, out, c.want)
		}
	}
	// The image file named with a comma and brackets is read as it is.
	if out, err := convlens(t, "predict", "-checkpoint", ckpt, "-images", images, "-backend", "go"); err != nil ||
		!strings.Contains(out, fmt.Sprintf("%s[2]", filepath.Base(images))) {
		t.Errorf("predict on %q: %v\n%s", images, err, out)
	}
	// A checkpoint copied to another step's name is refused, not resumed from.
	list, _ := filepath.Glob(filepath.Join(ckpt, "ckpt-*.bin"))
	if len(list) == 0 {
		t.Fatal("no checkpoints")
	}
	b, _ := os.ReadFile(list[0])
	os.WriteFile(filepath.Join(ckpt, "ckpt-99999999.bin"), b, 0o644)
	if out, err := convlens(t, "predict", "-checkpoint", ckpt, "-images", images, "-backend", "go"); err != nil ||
		!strings.Contains(out, "is named ckpt-99999999.bin") {
		t.Errorf("a misnamed checkpoint: %v\n%s", err, out)
	}
}

// Killed with SIGKILL at seeded random moments and resumed until done, a training run ends
// with the weights of a run never interrupted, bit for bit (batches are a function of the
// seed and step; checkpoints hold the optimiser and RNG state). A second run started on
// the same folder meanwhile is refused and changes nothing.
func TestKillResumeAndConcurrentWriter(t *testing.T) {
	dir := t.TempDir()
	args := func(ckpt string, extra ...string) []string {
		return append([]string{"train", "-data", "synthetic", "-model", "lenet", "-steps", "60", "-batch", "8", "-backend", "go",
			"-checkpoint", ckpt, "-checkpoint-every", "3", "-keep", "2", "-quiet"}, extra...)
	}
	clean := filepath.Join(dir, "clean")
	if out, err := convlens(t, args(clean)...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	killed := filepath.Join(dir, "killed")
	// Each round runs until it has written a checkpoint beyond the last round's (so every
	// round makes progress, whatever the machine's load), then is killed a seeded random
	// moment later; after five kills the run finishes.
	newest := func() string {
		list, _ := filepath.Glob(filepath.Join(killed, "ckpt-*.bin"))
		if len(list) == 0 {
			return ""
		}
		return list[len(list)-1]
	}
	rng := rand.New(rand.NewPCG(7, 7))
	kills := 0
	for round := 0; ; round++ {
		extra := []string{}
		if round > 0 {
			extra = []string{"-resume"}
		}
		before := newest()
		cmd := exec.Command(binary, args(killed, extra...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if kills == 5 {
			if err := <-done; err != nil {
				t.Fatalf("the last resume: %v", err)
			}
			break
		}
		finished := false
		for deadline := time.Now().Add(3 * time.Minute); !finished; {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				finished = true
			case <-time.After(20 * time.Millisecond):
			}
			if n := newest(); n != "" && n != before && !finished {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d made no progress in 3 minutes", round)
			}
		}
		if finished {
			break
		}
		if round == 1 { // a second writer while this run holds the folder: refused
			if out, err := convlens(t, args(killed, "-resume")...); err == nil || !strings.Contains(out, "in use by another training run") {
				t.Errorf("a second writer on a folder in use: %v\n%s", err, out)
			}
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			finished = true
		case <-time.After(time.Duration(rng.IntN(300)) * time.Millisecond):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
		if finished {
			break
		}
	}
	final := func(d string) []byte {
		b, err := os.ReadFile(filepath.Join(d, "ckpt-00000060.bin"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Logf("%d kills", kills)
	if !bytes.Equal(final(clean), final(killed)) {
		t.Errorf("after %d kills, the resumed run's final checkpoint differs from the uninterrupted run's", kills)
	}
}

// Class names from a file reach the terminal quoted where they hold control characters.
func TestHostileClassNamesQuoted(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	if out, err := convlens(t, "train", "-data", "synthetic", "-model", "lenet", "-steps", "1", "-batch", "8", "-backend", "go",
		"-checkpoint", ckpt, "-quiet"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	names := filepath.Join(dir, "classes.txt")
	var lines []string
	for i := range 10 {
		lines = append(lines, fmt.Sprintf("c%d\x1b[2J\rforged", i))
	}
	os.WriteFile(names, []byte(strings.Join(lines, "\n")), 0o644)
	images := filepath.Join(dir, "x.npy")
	nd.WriteNpy(images, testutil.RandomArray(1, 0, 1, 2, 28, 28, 1))
	out, err := convlens(t, "predict", "-checkpoint", ckpt, "-images", images, "-classes", names, "-backend", "go")
	if err != nil || strings.ContainsAny(out, "\x1b\r") || !strings.Contains(out, `\x1b[2J\rforged`) {
		t.Errorf("hostile class names printed raw: %v\n%q", err, out)
	}
}
