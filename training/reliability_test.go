package training_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/training"
)

func tinySpec() *layers.Spec {
	return layers.NewSpec("tiny", 8, 8, 1, 3).Conv("conv", 2, 3, layers.WithActivation(layers.ReLU)).Flatten("flat").Dense("logits", 3)
}

func tinyData(t *testing.T) (*data.Dataset, *data.Dataset) {
	t.Helper()
	train, err := data.Synthetic(64, 8, 8, 1, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	test, err := data.Synthetic(16, 8, 8, 1, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

func weights(t *testing.T, m *layers.Model) []float32 {
	t.Helper()
	w, err := m.Variable("conv", layers.VarWeights)
	if err != nil {
		t.Fatal(err)
	}
	return w.Data
}

// LoadOrTrain starting over deletes only convlens' own files.
func TestLoadOrTrainKeepsForeignFiles(t *testing.T) {
	train, test := tinyData(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	os.MkdirAll(filepath.Join(dir, "important"), 0o755)
	os.WriteFile(filepath.Join(dir, "important", "data.csv"), []byte("1,2"), 0o644)
	os.WriteFile(filepath.Join(dir, "model.json"), []byte("{not json"), 0o644) // a broken old run
	cfg := training.Config{Steps: 3, Batch: 8, StatsEvery: -1, EvalEvery: -1, CheckpointDir: dir}
	if _, err := training.LoadOrTrain(tinySpec(), testutil.Go(t), train, test, cfg, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"notes.txt", "important/data.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s was deleted: %v", f, err)
		}
	}
}

// Bad batches are refused before the step; a step whose loss is not finite leaves the
// weights exactly as they were, and training goes on from there.
func TestBadBatchesNeverReachTheWeights(t *testing.T) {
	train, test := tinyData(t)
	for bname, b := range testutil.Both(t) {
		t.Run(bname, func(t *testing.T) {
			m, err := layers.New(tinySpec(), b, 1)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := training.NewTrainer(m, train, test, training.Config{Steps: 10, Batch: 4, StatsEvery: -1, EvalEvery: -1})
			if err != nil {
				t.Fatal(err)
			}
			good := slices.Clone(train.Images[:4*64])
			labels := []int32{0, 1, 2, 0}
			if _, err := tr.TrainBatch(good, labels, false); err != nil {
				t.Fatal(err)
			}
			before := slices.Clone(weights(t, m))
			nan := slices.Clone(good)
			nan[7] = float32(math.NaN())
			for name, c := range map[string]struct {
				images []float32
				labels []int32
				want   string
			}{
				"nan pixel":    {nan, labels, "NaN"},
				"label 200":    {good, []int32{0, 200, 1, 2}, "label 200"},
				"label -1":     {good, []int32{-1, 0, 1, 2}, "label -1"},
				"huge pixels":  {slices.Repeat([]float32{3e38}, len(good)), labels, "not applied"},
				"short labels": {good, labels[:2], "batch"},
			} {
				if _, err := tr.TrainBatch(c.images, c.labels, name == "huge pixels"); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: error %v, want %q", name, err, c.want)
				}
				if !slices.Equal(weights(t, m), before) {
					t.Fatalf("%s changed the weights", name)
				}
			}
			p, err := tr.TrainBatch(good, labels, false)
			if err != nil || math.IsNaN(p.Loss) || slices.Equal(weights(t, m), before) {
				t.Errorf("a good batch after the bad ones: loss %v, err %v", p.Loss, err)
			}
			bad := *test
			bad.Labels = slices.Clone(test.Labels)
			bad.Labels[3] = 99
			bad.Classes = make([]string, 100)
			if _, _, err := tr.Evaluate(&bad, 0); err == nil || !strings.Contains(err.Error(), "label 99") {
				t.Errorf("evaluate with label 99: %v", err)
			}
		})
	}
}

// One training run per folder: a live holder's lock refuses the second run, naming the
// process; a stale lock (its process gone) is taken over.
func TestCheckpointFolderLock(t *testing.T) {
	train, test := tinyData(t)
	dir := t.TempDir()
	holder := exec.Command("sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "convlens.lock"), []byte(strconv.Itoa(holder.Process.Pid)+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "ckpt-00000001.bin.tmp-999999"), []byte("torn"), 0o644) // a killed run's
	os.WriteFile(filepath.Join(dir, "mine.tmp-1"), []byte("a user's"), 0o644)
	run := func() error {
		m, _ := layers.New(tinySpec(), testutil.Go(t), 1)
		tr, err := training.NewTrainer(m, train, test, training.Config{Steps: 2, Batch: 8, StatsEvery: -1, EvalEvery: -1, CheckpointDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.Run()
		return err
	}
	if err := run(); err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), strconv.Itoa(holder.Process.Pid)) {
		t.Errorf("second run: %v", err)
	}
	holder.Process.Kill()
	holder.Wait()
	if err := run(); err != nil {
		t.Errorf("stale lock not taken over: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "convlens.lock")); err == nil {
		t.Error("lock left behind after the run")
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp*")); len(tmps) != 1 || filepath.Base(tmps[0]) != "mine.tmp-1" {
		t.Errorf("temp files after the run: %v (want only the user's)", tmps)
	}
}

// A torn newest checkpoint is skipped (and named); the history is cut back to the
// checkpoint that loaded; shapes are checked against the spec, also when they overflow.
func TestLoadSkipsCorruptNewestAndChecksShapes(t *testing.T) {
	train, test := tinyData(t)
	dir := t.TempDir()
	m, _ := layers.New(tinySpec(), testutil.Go(t), 1)
	tr, err := training.NewTrainer(m, train, test, training.Config{Steps: 10, Batch: 8, CheckpointEvery: 5, StatsEvery: 2, EvalEvery: -1, CheckpointDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	newest := filepath.Join(dir, "ckpt-00000010.bin")
	b, _ := os.ReadFile(newest)
	os.WriteFile(newest, b[:len(b)/2], 0o644) // torn
	loaded, err := training.Load(dir, testutil.Go(t))
	if err != nil {
		t.Fatal(err)
	}
	// Checkpoints at 5 (every 5), 8 (the epoch) and 10 (the end).
	if loaded.Step != 8 || len(loaded.Skipped) != 1 || !strings.Contains(loaded.Skipped[0], "ckpt-00000010.bin") {
		t.Errorf("loaded step %d, skipped %v", loaded.Step, loaded.Skipped)
	}
	if h := loaded.History; len(h.Train) != 8 || h.Train[7].Step != 7 || h.Stats[len(h.Stats)-1].Step != 6 {
		t.Errorf("history not cut back to step 8: %d points, last stats at %d", len(h.Train), h.Stats[len(h.Stats)-1].Step)
	}
	// A model.json whose spec no longer matches the weights.
	meta, _ := training.ReadMeta(dir)
	meta.Spec.Layers[0].Filters = 4
	training.WriteMeta(dir, meta)
	if _, err := training.Load(dir, testutil.Go(t)); err == nil || !strings.Contains(err.Error(), "variable /conv/biases has shape [2], the model wants [4]") {
		t.Errorf("mismatched spec: %v", err)
	}
	// A header whose shape multiplies past any file size.
	hdr, _ := json.Marshal(map[string]any{"step": 1, "vars": []map[string]any{{"scope": "/conv", "name": "weights", "dtype": "Float32",
		"shape": []int{1 << 30, 1 << 30, 1 << 30, 1 << 30}, "bytes": 0}}})
	var f bytes.Buffer
	f.WriteString("CLCKPT1\n")
	binary.Write(&f, binary.LittleEndian, uint32(len(hdr)))
	f.Write(hdr)
	binary.Write(&f, binary.LittleEndian, crc32.ChecksumIEEE(f.Bytes()))
	bomb := filepath.Join(dir, "ckpt-00000099.bin")
	os.WriteFile(bomb, f.Bytes(), 0o644)
	if _, err := training.Load(bomb, testutil.Go(t)); err == nil || !strings.Contains(err.Error(), "larger than the file") {
		t.Errorf("overflowing shape: %v", err)
	}
}

// A lock naming this very process's id but another start (a killed run in a container,
// where every run is process 1) or another boot is stale; one naming this process as it
// runs is held. A live holder's full lock is respected.
func TestLockIdentity(t *testing.T) {
	pid := os.Getpid()
	me := training.LockOwnerForTest(pid)
	if f := strings.Fields(me); len(f) != 3 || f[0] != strconv.Itoa(pid) {
		t.Fatalf("lock owner %q", me)
	}
	f := strings.Fields(me)
	for _, c := range []struct {
		content string
		held    bool
	}{
		{me, true},
		{fmt.Sprintf("%d %s 1", pid, f[1]), false},                                    // this id, an earlier process
		{fmt.Sprintf("%d 00000000-0000-0000-0000-000000000000 %s", pid, f[2]), false}, // another boot
		{strconv.Itoa(pid), false},                                                    // an old id-only lock naming this process
		{"garbage", false},
	} {
		if _, held := training.LockHeldForTest(c.content); held != c.held {
			t.Errorf("lock %q: held %v, want %v", c.content, held, c.held)
		}
	}
	holder := exec.Command("sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	if _, held := training.LockHeldForTest(training.LockOwnerForTest(holder.Process.Pid)); !held {
		t.Error("a live holder's lock reads as stale")
	}
}
