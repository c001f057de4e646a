//go:build !(linux && cgo && !noxla)

package backend

func keepHeap() {}
