package training_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/training"
)

func benchTrainer(b *testing.B, be *backend.Backend, model string, batch int) (*training.Trainer, []float32, []int32) {
	return benchTrainerOn(b, be, model, batch, 1)
}

func benchTrainerOn(b *testing.B, be *backend.Backend, model string, batch, devices int) (*training.Trainer, []float32, []int32) {
	return benchTrainerWith(b, be, model, batch, devices, nil)
}

// benchTrainerWith is benchTrainerOn with setup applied to the model before the trainer is made.
func benchTrainerWith(b *testing.B, be *backend.Backend, model string, batch, devices int, setup func(*layers.Model)) (*training.Trainer, []float32, []int32) {
	h, w, c := 28, 28, 1
	if model == "tinyvgg" || model == "resnet" {
		h, w, c = 32, 32, 3
	}
	ds, err := data.Synthetic(batch, h, w, c, 10, 1)
	if err != nil {
		b.Fatal(err)
	}
	spec, err := layers.Preset(model, h, w, c, 10)
	if err != nil {
		b.Fatal(err)
	}
	m, err := layers.New(spec, be, 1)
	if err != nil {
		b.Fatal(err)
	}
	if setup != nil {
		setup(m)
	}
	tr, err := training.NewTrainer(m, ds, ds, training.Config{Batch: batch, Steps: 1 << 30, StatsEvery: -1, Devices: devices})
	if err != nil {
		b.Fatal(err)
	}
	return tr, ds.Images, ds.Labels
}

// BenchmarkTrainStep measures one Adam step (forward, backward, update) per backend,
// model and batch size, with convlens train's default -devices auto (batch 256 on XLA
// CPU: four 64-image shards); the metric images/s is what docs/PERFORMANCE.md compares, and
// train-GFLOP/s counts a step as 3× the forward FLOPs (backward = input + weight gradients).
func BenchmarkTrainStep(b *testing.B) {
	backends := map[string]*backend.Backend{"xla": testutil.XLA(b), "go": testutil.Go(b)}
	models := map[string][]string{"xla": {"lenet", "tinyvgg", "resnet"}, "go": {"lenet", "tinyvgg"}}
	for _, bname := range []string{"xla", "go"} {
		for _, model := range models[bname] {
			for _, batch := range []int{64, 256} {
				b.Run(fmt.Sprintf("%s/%s/batch=%d", bname, model, batch), func(b *testing.B) {
					tr, images, labels := benchTrainerOn(b, backends[bname], model, batch, training.AutoDevices)
					for i := 0; i < 2; i++ { // compile and warm up
						if _, err := tr.TrainBatch(images, labels, false); err != nil {
							b.Fatal(err)
						}
					}
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if _, err := tr.TrainBatch(images, labels, false); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
					reportMedian(b, tr, batch)
					b.ReportMetric(float64(tr.Devices()), "devices")
				})
			}
		}
	}
}

// reportMedian adds batch / median step time (TrainBatch's own timing of the timed
// steps): on a shared VM it moves less than the mean when a few steps are slowed down.
func reportMedian(b *testing.B, tr *training.Trainer, batch int) {
	s := tr.History.StepSeconds
	if len(s) < b.N || b.N == 0 {
		return
	}
	if med := median(s[len(s)-b.N:]); med > 0 {
		b.ReportMetric(float64(batch)/med, "median-images/s")
		if sum, err := tr.Model.Spec.Summarize(); err == nil {
			b.ReportMetric(3*float64(sum.TotalFLOPs)*float64(batch)/med/1e9, "train-GFLOP/s")
		}
	}
}

// BenchmarkStatistics compares a plain step with one that also returns every weight and
// gradient and summarises them (histograms, mean, std, min, max, norm).
func BenchmarkStatistics(b *testing.B) {
	for _, mode := range []string{"plain", "stats"} {
		b.Run("xla/lenet/batch=64/"+mode, func(b *testing.B) {
			tr, images, labels := benchTrainer(b, testutil.XLA(b), "lenet", 64)
			stats := mode == "stats"
			for i := 0; i < 2; i++ {
				if _, err := tr.TrainBatch(images, labels, stats); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.TrainBatch(images, labels, stats); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTrainStepDevices measures the same step data-parallel over 1 and 4 devices of
// the XLA CPU plugin (which exposes 4 devices on any machine, sharing its cores): the
// cost of the sharded step and its all-reduces against what four concurrent shards gain.
func BenchmarkTrainStepDevices(b *testing.B) {
	be := testutil.XLA(b)
	for _, model := range []string{"lenet", "tinyvgg", "resnet"} {
		for _, devices := range []int{1, 4} {
			b.Run(fmt.Sprintf("xla/%s/batch=256/devices=%d", model, devices), func(b *testing.B) {
				if be.NumDevices() < devices {
					b.Skipf("backend has %d devices", be.NumDevices())
				}
				tr, images, labels := benchTrainerOn(b, be, model, 256, devices)
				for i := 0; i < 2; i++ {
					if _, err := tr.TrainBatch(images, labels, false); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := tr.TrainBatch(images, labels, false); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(256*b.N)/b.Elapsed().Seconds(), "images/s")
				reportMedian(b, tr, 256)
			})
		}
	}
}

// BenchmarkDevicesPaired alternates single steps of a one-device trainer and a two-device one
// on the same model and batch, so both meet the same load on a shared machine: its
// pair-speedup (median over the pairs of one-device time / two-device time) is what
// MinImagesPerDevice rests on (docs/DESIGN.md); auto-devices is AutoDevices' choice for the
// same model and batch.
func BenchmarkDevicesPaired(b *testing.B) {
	be := testutil.XLA(b)
	if be.NumDevices() < 2 {
		b.Skipf("backend has %d device", be.NumDevices())
	}
	for _, model := range []string{"lenet", "tinyvgg", "resnet"} {
		for _, batch := range []int{32, 64} {
			b.Run(fmt.Sprintf("xla/%s/batch=%d", model, batch), func(b *testing.B) {
				_, one, two, speedup := pairedSteps(b, func(i int) (*training.Trainer, []float32, []int32) {
					return benchTrainerOn(b, be, model, batch, i+1)
				})
				auto, _, _ := benchTrainerOn(b, be, model, batch, training.AutoDevices) // not run: only its device choice
				b.ReportMetric(float64(auto.Devices()), "auto-devices")
				b.ReportMetric(float64(batch)/median(one), "one-device-images/s")
				b.ReportMetric(float64(batch)/median(two), "two-device-images/s")
				b.ReportMetric(median(speedup), "pair-speedup")
			})
		}
	}
}

// pairedSteps makes two trainers with newTrainer(0) and newTrainer(1), warms both up, then
// alternates their steps b.N times on the second one's batch: the trainers, each one's step
// times, and the per-pair ratio first / second.
func pairedSteps(b *testing.B, newTrainer func(i int) (*training.Trainer, []float32, []int32)) (tr [2]*training.Trainer, first, second, ratio []float64) {
	var images []float32
	var labels []int32
	for i := range tr {
		tr[i], images, labels = newTrainer(i)
	}
	step := func(t *training.Trainer) float64 {
		t0 := time.Now()
		if _, err := t.TrainBatch(images, labels, false); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0).Seconds()
	}
	for _, t := range tr {
		for range 2 { // compile and warm up
			step(t)
		}
	}
	first, second, ratio = make([]float64, b.N), make([]float64, b.N), make([]float64, b.N)
	b.ResetTimer()
	for i := range b.N {
		first[i], second[i] = step(tr[0]), step(tr[1])
		ratio[i] = first[i] / second[i]
	}
	return tr, first, second, ratio
}

// BenchmarkStoreConvInputsPaired alternates steps of a trainer whose model has
// StoreConvInputs off with one that has it on (the default on XLA CPU), with -devices auto:
// speed-up = median over the pairs of the time without / the time with.
func BenchmarkStoreConvInputsPaired(b *testing.B) {
	be := testutil.XLA(b)
	for _, model := range []string{"lenet", "tinyvgg", "resnet"} {
		for _, batch := range []int{64, 256} {
			b.Run(fmt.Sprintf("xla/%s/batch=%d", model, batch), func(b *testing.B) {
				trainers, without, with, speedup := pairedSteps(b, func(i int) (*training.Trainer, []float32, []int32) {
					return benchTrainerWith(b, be, model, batch, training.AutoDevices, func(m *layers.Model) { m.StoreConvInputs = i == 1 })
				})
				b.ReportMetric(float64(batch)/median(without), "without-images/s")
				b.ReportMetric(float64(batch)/median(with), "with-images/s")
				b.ReportMetric(median(speedup), "pair-speedup")
				b.ReportMetric(float64(trainers[1].Devices()), "devices")
			})
		}
	}
}

// median is the middle value of v (the upper one for an even count), v left as it was.
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
