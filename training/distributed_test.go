package training_test

import (
	"math"
	"strings"
	"testing"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/training"
)

// A seeded run on every XLA CPU device (4 on the plugin make test installs) gives the same
// losses and weights as one device with the same global batch, for LeNet and for the
// ResNet preset, whose batch norm must then use statistics over the whole batch.
func TestDataParallelMatchesOneDevice(t *testing.T) {
	b := testutil.XLA(t)
	if b.NumDevices() < 2 {
		t.Skipf("backend has %d device", b.NumDevices())
	}
	lenetTrain, _ := synthetic(t)
	colour, err := data.Synthetic(256, 16, 16, 3, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		spec  *layers.Spec
		train *data.Dataset
	}{
		{"lenet", layers.LeNet(), lenetTrain},
		{"resnet", layers.ResNet(16, 16, 3, 4), colour},
	} {
		t.Run(c.name, func(t *testing.T) {
			nz := c.train.ComputeNormalization()
			c.spec.InputMean, c.spec.InputStd = nz.Mean, nz.Std
			var losses [][]float64
			var finals [][]float32
			var shardedEval, oneDeviceEval float64
			for _, devices := range []int{1, training.AllDevices} {
				m, err := layers.New(c.spec, b, 7)
				if err != nil {
					t.Fatal(err)
				}
				tr, err := training.NewTrainer(m, c.train, c.train, training.Config{Steps: 20, Batch: 32, Seed: 3, StatsEvery: 10, EvalEvery: -1, Devices: devices})
				if err != nil {
					t.Fatal(err)
				}
				if devices != 1 && tr.Devices() != b.NumDevices() {
					t.Fatalf("trainer runs on %d devices, backend has %d", tr.Devices(), b.NumDevices())
				}
				res, err := tr.Run()
				if err != nil {
					t.Fatal(err)
				}
				if devices != 1 {
					// The same trained weights evaluated on one device: isolates the sharded
					// evaluation from the (float32 reduction-order) drift of the training.
					shardedEval = res.TestLoss
					one, err := training.NewTrainer(m, c.train, c.train, training.Config{Steps: 1, Batch: 32, StatsEvery: -1, EvalEvery: -1, Devices: 1})
					if err != nil {
						t.Fatal(err)
					}
					if oneDeviceEval, _, err = one.Evaluate(c.train, 0); err != nil {
						t.Fatal(err)
					}
				}
				l, w := lossesAndWeights(tr)
				losses, finals = append(losses, l), append(finals, w)
			}
			for i := range losses[0] {
				if d := math.Abs(losses[0][i]-losses[1][i]) / math.Max(math.Abs(losses[0][i]), 1e-3); d > 1e-4 {
					t.Errorf("step %d: loss %.7f on 1 device, %.7f on %d (relative %.2g)", i, losses[0][i], losses[1][i], b.NumDevices(), d)
				}
			}
			// Relative to the whole parameter vector; single elements whose gradient is near
			// zero can move by more, since Adam rescales small float32 reduction-order
			// differences to the step size.
			r, d := relativeDistance(finals[0], finals[1]), testutil.MaxRelDiff(finals[0], finals[1])
			if r > 1e-4 {
				t.Errorf("final weights and batch-norm statistics differ by %.2g (‖Δ‖/‖w‖)", r)
			}
			if d > 2e-3 {
				t.Errorf("some weight differs by %g", d)
			}
			t.Logf("‖Δ‖/‖w‖ = %.2g, largest element difference %.2g", r, d)
			// The sharded evaluation (per-example outputs split like the batch) agrees too.
			if d := math.Abs(shardedEval-oneDeviceEval) / oneDeviceEval; d > 1e-5 {
				t.Errorf("held-out loss of the same weights: %.7f on 1 device, %.7f sharded (relative %.2g)", oneDeviceEval, shardedEval, d)
			}
			t.Logf("step 19 loss: 1 device %.6f, %d devices %.6f; held-out loss of the same weights %.7f / %.7f sharded", losses[0][19], b.NumDevices(), losses[1][19], oneDeviceEval, shardedEval)
		})
	}
}

func TestDevicesErrors(t *testing.T) {
	train, test := tinyData(t)
	m, _ := layers.New(tinySpec(), testutil.Go(t), 1)
	if _, err := training.NewTrainer(m, train, test, training.Config{Batch: 8, Devices: 2}); err == nil || !strings.Contains(err.Error(), "has 1") {
		t.Errorf("SimpleGo with 2 devices: %v", err)
	}
	x := testutil.XLA(t)
	if x.NumDevices() < 2 {
		t.Skip("one device")
	}
	mx, _ := layers.New(tinySpec(), x, 1)
	if _, err := training.NewTrainer(mx, train, test, training.Config{Batch: 10, Devices: x.NumDevices()}); err == nil || !strings.Contains(err.Error(), "does not divide") {
		t.Errorf("batch 10 on %d devices: %v", x.NumDevices(), err)
	}
	if _, err := training.NewTrainer(mx, train, test, training.Config{Batch: 8, Devices: x.NumDevices() + 1}); err == nil {
		t.Error("more devices than the backend has: no error")
	}
}

// AutoDevices shards a step over the XLA CPU devices only where each gets ≥ 64 images,
// whatever the model costs.
func TestAutoDevices(t *testing.T) {
	b := testutil.XLA(t)
	if b.NumDevices() < 4 {
		t.Skipf("backend has %d devices", b.NumDevices())
	}
	train, _ := synthetic(t)
	resnet, err := layers.Preset("resnet", 28, 28, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		spec        *layers.Spec
		batch, want int
	}{{layers.LeNet(), 256, 4}, {layers.LeNet(), 192, 3}, {layers.LeNet(), 128, 2}, {layers.LeNet(), 200, 2},
		{layers.LeNet(), 100, 1}, {layers.LeNet(), 64, 1}, {layers.LeNet(), 32, 1},
		{resnet, 256, 4}, {resnet, 128, 2}, {resnet, 96, 1}, {resnet, 64, 1}, {resnet, 32, 1}} {
		m, err := layers.New(c.spec, b, 1)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := training.NewTrainer(m, train, train, training.Config{Steps: 1, Batch: c.batch, StatsEvery: -1, EvalEvery: -1, Devices: training.AutoDevices})
		if err != nil {
			t.Fatalf("%s batch %d: %v", c.spec.Name, c.batch, err)
		}
		if tr.Devices() != c.want {
			t.Errorf("%s batch %d: %d devices, want %d", c.spec.Name, c.batch, tr.Devices(), c.want)
		}
	}
	// SimpleGo has one device: auto is one, never an error.
	m, _ := layers.New(layers.LeNet(), testutil.Go(t), 1)
	tr, err := training.NewTrainer(m, train, train, training.Config{Steps: 1, Batch: 256, StatsEvery: -1, EvalEvery: -1, Devices: training.AutoDevices})
	if err != nil || tr.Devices() != 1 {
		t.Errorf("SimpleGo auto: %v devices, %v", tr, err)
	}
}

// StoreConvInputs only changes how XLA CPU schedules a step: a ResNet trains to the same
// losses and weights with it and without.
func TestStoreConvInputsTrainsTheSame(t *testing.T) {
	b := testutil.XLA(t)
	train, err := data.Synthetic(64, 16, 16, 3, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	spec := layers.ResNet(16, 16, 3, 4)
	var losses [][]float64
	var finals [][]float32
	for _, store := range []bool{true, false} {
		m, err := layers.New(spec, b, 7)
		if err != nil {
			t.Fatal(err)
		}
		if !m.StoreConvInputs {
			t.Fatal("StoreConvInputs is off by default on XLA CPU")
		}
		m.StoreConvInputs = store
		tr, err := training.NewTrainer(m, train, train, training.Config{Steps: 8, Batch: 16, Seed: 3, StatsEvery: -1, EvalEvery: -1, Devices: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Run(); err != nil {
			t.Fatal(err)
		}
		l, w := lossesAndWeights(tr)
		losses, finals = append(losses, l), append(finals, w)
	}
	if len(losses[0]) != 8 {
		t.Fatalf("%d losses recorded, want 8", len(losses[0]))
	}
	for i := range losses[0] {
		if d := math.Abs(losses[0][i]-losses[1][i]) / math.Max(math.Abs(losses[0][i]), 1e-3); d > 1e-5 {
			t.Errorf("step %d: loss %.7f with stored inputs, %.7f without (relative %.2g)", i, losses[0][i], losses[1][i], d)
		}
	}
	r := relativeDistance(finals[0], finals[1])
	if r > 1e-5 {
		t.Errorf("final weights differ by %.2g (‖Δ‖/‖w‖)", r)
	}
	t.Logf("‖Δ‖/‖w‖ = %.2g; losses %v / %v", r, losses[0], losses[1])
	if m, _ := layers.New(spec, testutil.Go(t), 7); m == nil || m.StoreConvInputs {
		t.Error("StoreConvInputs is on for SimpleGo")
	}
}

// lossesAndWeights returns a trainer's recorded training losses and its model's weights,
// batch-norm scales and moving variances, concatenated.
func lossesAndWeights(tr *training.Trainer) ([]float64, []float32) {
	var losses []float64
	for _, p := range tr.History.Train {
		losses = append(losses, p.Loss)
	}
	var w []float32
	m := tr.Model
	for _, name := range m.Spec.ParamLayers() {
		for _, v := range []string{layers.VarWeights, layers.VarGamma, layers.VarMovingVar} {
			if a, err := m.Variable(name, v); err == nil {
				w = append(w, a.Data...)
			}
		}
	}
	return losses, w
}

// relativeDistance is ‖a − b‖ / ‖a‖.
func relativeDistance(a, b []float32) float64 {
	var diff, norm float64
	for i, v := range a {
		diff += math.Pow(float64(v-b[i]), 2)
		norm += float64(v) * float64(v)
	}
	return math.Sqrt(diff / norm)
}
