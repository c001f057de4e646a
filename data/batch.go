package data

import (
	"fmt"
	"math/rand/v2"
)

// Batches iterates over a dataset in fixed-size batches. Each epoch visits the examples
// in an order drawn from (seed, epoch), so the batch of any step can be reproduced: a run
// resumed at step s sees the same batches as one that never stopped. The last incomplete
// batch of an epoch is dropped so every batch has the same shape (XLA compiles per shape).
type Batches struct {
	ds    *Dataset
	size  int
	seed  uint64
	order []int
	epoch int
	pos   int
	// buffers reused between calls
	images []float32
	labels []int32
}

// NewBatches returns an iterator of batches of the given size, positioned at step 0.
func NewBatches(ds *Dataset, size int, seed uint64) (*Batches, error) {
	if size <= 0 {
		return nil, fmt.Errorf("batch size %d: must be positive", size)
	}
	if size > ds.N {
		return nil, fmt.Errorf("batch size %d larger than dataset %q (%d examples)", size, ds.Name, ds.N)
	}
	b := &Batches{ds: ds, size: size, seed: seed, order: make([]int, ds.N)}
	b.images = make([]float32, size*ds.ImageSize())
	b.labels = make([]int32, size)
	b.SeekStep(0)
	return b, nil
}

// SeekStep positions the iterator so that Next returns the batch of the given step.
func (b *Batches) SeekStep(step int64) {
	per := int64(b.StepsPerEpoch())
	b.shuffle(int(step / per))
	b.pos = int(step%per) * b.size
}

func (b *Batches) shuffle(epoch int) {
	b.epoch = epoch
	for i := range b.order {
		b.order[i] = i
	}
	rng := rand.New(rand.NewPCG(b.seed, uint64(epoch)))
	rng.Shuffle(len(b.order), func(i, j int) { b.order[i], b.order[j] = b.order[j], b.order[i] })
}

// StepsPerEpoch is the number of full batches per pass over the data.
func (b *Batches) StepsPerEpoch() int { return b.ds.N / b.size }

// Next returns the next batch; the slices are reused by the following call.
func (b *Batches) Next() (images []float32, labels []int32) {
	if b.pos+b.size > len(b.order) {
		b.shuffle(b.epoch + 1)
		b.pos = 0
	}
	s := b.ds.ImageSize()
	for i := 0; i < b.size; i++ {
		idx := b.order[b.pos+i]
		copy(b.images[i*s:(i+1)*s], b.ds.Image(idx))
		b.labels[i] = b.ds.Labels[idx]
	}
	b.pos += b.size
	return b.images, b.labels
}
