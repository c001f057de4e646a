package onnx

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// maxExternalBytes bounds one external data file.
const maxExternalBytes = 16 << 30

// loadExternal reads the values of tensors kept in external files (PyTorch's exporter
// writes the weights to "model.onnx.data"). A location must be a relative path inside the
// model's folder; offsets and lengths are checked against the file.
func loadExternal(m *Model, dir string) error {
	files := map[string]*os.File{}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	load := func(t *Tensor) error {
		if t.external == nil {
			return nil
		}
		ref := t.external
		f, ok := files[ref.location]
		if !ok {
			path, err := externalPath(dir, ref.location)
			if err != nil {
				return fmt.Errorf("tensor %q: %w", t.Name, err)
			}
			if f, err = os.Open(path); err != nil {
				return fmt.Errorf("tensor %q: external data: %w", t.Name, err)
			}
			files[ref.location] = f
		}
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() || st.Size() > maxExternalBytes {
			return fmt.Errorf("tensor %q: external data %q is not a regular file of at most %d bytes", t.Name, ref.location, int64(maxExternalBytes))
		}
		n := int64(numel(t.Dims))
		want := n * elementBytes(t.DataType)
		if ref.hasLength && ref.length != want {
			return fmt.Errorf("tensor %q: external length %d bytes, its shape %v needs %d", t.Name, ref.length, t.Dims, want)
		}
		if ref.offset > st.Size() || want > st.Size()-ref.offset {
			return fmt.Errorf("tensor %q: bytes %d to %d lie outside %q (%d bytes)", t.Name, ref.offset, ref.offset+want, ref.location, st.Size())
		}
		raw := make([]byte, want)
		if _, err := f.ReadAt(raw, ref.offset); err != nil && err != io.EOF {
			return fmt.Errorf("tensor %q: reading %q: %w", t.Name, ref.location, err)
		}
		t.external = nil
		return t.fill(raw, nil, n)
	}
	g := &m.Graph
	for i := range g.Initializers {
		if err := load(&g.Initializers[i]); err != nil {
			return err
		}
	}
	for _, n := range g.Nodes {
		for _, a := range n.Attrs {
			if a.Tensor != nil {
				if err := load(a.Tensor); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// externalPath resolves an external data location inside dir, refusing absolute paths,
// "..", and links that lead outside.
func externalPath(dir, location string) (string, error) {
	if location == "" || filepath.IsAbs(location) || strings.Contains(location, "\\") || !filepath.IsLocal(location) {
		return "", fmt.Errorf("external data location %q must be a relative path inside the model's folder", location)
	}
	path := filepath.Join(dir, location)
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("external data %q: %w", location, err)
	}
	base, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(base, real); err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("external data location %q leads outside the model's folder", location)
	}
	return real, nil
}
