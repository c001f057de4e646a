package data

import (
	"fmt"
	"math/rand/v2"
)

// Batches iterates over a dataset in fixed-size batches, reshuffling each epoch with a
// seeded generator. The last incomplete batch of an epoch is dropped so every batch has
// the same shape (XLA compiles one program per shape).
type Batches struct {
	ds    *Dataset
	size  int
	rng   *rand.Rand
	order []int
	pos   int
	epoch int
	// buffers reused between calls
	images []float32
	labels []int32
}

// NewBatches returns an iterator of batches of the given size.
func NewBatches(ds *Dataset, size int, seed uint64) (*Batches, error) {
	if size <= 0 {
		return nil, fmt.Errorf("batch size %d: must be positive", size)
	}
	if size > ds.N {
		return nil, fmt.Errorf("batch size %d larger than dataset %q (%d examples)", size, ds.Name, ds.N)
	}
	b := &Batches{ds: ds, size: size, rng: rand.New(rand.NewPCG(seed, 0xba7c4)), order: make([]int, ds.N)}
	for i := range b.order {
		b.order[i] = i
	}
	b.shuffle()
	b.images = make([]float32, size*ds.ImageSize())
	b.labels = make([]int32, size)
	return b, nil
}

func (b *Batches) shuffle() {
	b.rng.Shuffle(len(b.order), func(i, j int) { b.order[i], b.order[j] = b.order[j], b.order[i] })
}

// StepsPerEpoch is the number of full batches per pass over the data.
func (b *Batches) StepsPerEpoch() int { return b.ds.N / b.size }

// Epoch is the number of completed passes.
func (b *Batches) Epoch() int { return b.epoch }

// Next returns the next batch; the slices are reused by the following call.
func (b *Batches) Next() (images []float32, labels []int32) {
	if b.pos+b.size > len(b.order) {
		b.epoch++
		b.pos = 0
		b.shuffle()
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
