package training

import (
	"fmt"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/layers"
	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// deviceMesh is data-parallel training's layout: one mesh axis, "batch", over the devices;
// inputs split on their first axis, everything else replicated. GoMLX's AutoSharding
// (XLA Shardy) propagates the sharding through the step, so the mean loss, its gradients
// and batch-norm's batch statistics are reduced across devices by XLA itself.
type deviceMesh struct {
	mesh       *distributed.DeviceMesh
	batch      *distributed.ShardingSpec
	replicated *distributed.ShardingSpec
}

// newDeviceMesh returns nil for one device, or the mesh for cfg.Devices devices.
func newDeviceMesh(m *layers.Model, cfg Config) (*deviceMesh, error) {
	n := cfg.Devices
	have := m.Backend.NumDevices()
	if n == AutoDevices {
		n = autoDevices(m.Backend.Kind, have, cfg.Batch)
	}
	if n == 0 || n == 1 {
		return nil, nil
	}
	if n == AllDevices {
		n = have
		if n == 1 {
			return nil, nil
		}
	}
	if n < 1 || n > have {
		return nil, fmt.Errorf("%d devices asked for, backend %s has %d", n, m.Backend.Kind, have)
	}
	if cfg.Batch%n != 0 {
		return nil, fmt.Errorf("batch %d does not divide among %d devices (use a multiple of %d)", cfg.Batch, n, n)
	}
	var d deviceMesh
	var err error
	if d.mesh, err = distributed.NewDeviceMesh([]int{n}, []string{"batch"}); err != nil {
		return nil, err
	}
	if d.batch, err = distributed.BuildSpec(d.mesh).S("batch").Done(); err != nil {
		return nil, err
	}
	d.replicated = distributed.NewReplicatedShardingSpec(d.mesh)
	return &d, nil
}

// autoDevices is the largest device count of an XLA CPU backend that divides the batch
// into shards of at least MinImagesPerDevice images (see AutoDevices); 1 elsewhere.
func autoDevices(kind string, have, batch int) int {
	if kind != backend.XLACPU {
		return 1
	}
	for n := have; n > 1; n-- {
		if batch%n == 0 && batch/n >= MinImagesPerDevice {
			return n
		}
	}
	return 1
}

// distribute sets up an executable taking (images, labels) split on the batch axis, with
// replicated variables; its outputs are replicated (a training step's scalars, weights and
// gradients) or, with perExample, split like the inputs (an evaluation's per-example values).
func (d *deviceMesh) distribute(e *context.Exec, perExample bool) error {
	out := []*distributed.ShardingSpec{d.replicated}
	if perExample { // the evaluation's two outputs, loss and correctness per example
		out = []*distributed.ShardingSpec{d.batch, d.batch}
	}
	e.AutoSharding(d.mesh).WithInputShardingSpecs(d.batch, d.batch).WithOutputShardingSpecs(out...)
	return e.SetDefaultShardingSpec(d.replicated)
}

// exec runs a distributed executable and returns each output merged (replicated outputs
// once, split ones concatenated).
func (d *deviceMesh) exec(e *context.Exec, inputs ...*tensors.Tensor) ([]*tensors.Tensor, error) {
	args := make([]any, len(inputs))
	for i, t := range inputs {
		dt, err := distributed.ShardTensor(d.batch, t)
		if err != nil {
			return nil, err
		}
		args[i] = dt
	}
	outs, err := e.DistributedExec(args...)
	if err != nil {
		return nil, err
	}
	merged := make([]*tensors.Tensor, len(outs))
	for i, o := range outs {
		if merged[i], err = o.Merge(); err != nil {
			return nil, err
		}
	}
	return merged, nil
}

// Devices is the number of devices the trainer runs its steps on.
func (t *Trainer) Devices() int {
	if t.mesh == nil {
		return 1
	}
	return t.mesh.mesh.NumDevices()
}
