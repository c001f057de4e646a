//go:build linux && cgo && !noxla

package backend

/*
#include <malloc.h>

// keepHeapForXLA raises glibc's mmap and trim thresholds, so that the megabyte-sized
// temporary buffers XLA CPU's kernels allocate and free in every step are reused from
// the heap instead of being mapped, page-faulted and unmapped each time.
static void keepHeapForXLA(void) {
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	mallopt(M_TOP_PAD, 64 << 20);
}
*/
import "C"

import (
	"os"
	"sync"
)

var heapOnce sync.Once

// keepHeap applies keepHeapForXLA once, unless $CONVLENS_XLA_MALLOC is 0. ResNet training
// steps on XLA CPU ran 1.4× faster with it (docs/PERFORMANCE.md): a quarter of their
// time had been in malloc, page faults and munmap. Only training asks for it (KeepHeap):
// a one-shot report on ResNet-50 peaked at 2.2 GB with it, 1.7 GB without.
func keepHeap() {
	heapOnce.Do(func() {
		if os.Getenv("CONVLENS_XLA_MALLOC") != "0" {
			C.keepHeapForXLA()
		}
	})
}
