// Package data reads image datasets (IDX / IDX.gz as used by MNIST and Fashion-MNIST),
// makes synthetic ones for tests, normalises them and batches them with seeded shuffling.
// It knows nothing about models.
package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX is the content of an IDX file of unsigned bytes.
type IDX struct {
	Dims []int
	Data []byte
}

// maxIDXBytes bounds what ReadIDX allocates (the largest MNIST file is 47 MB).
const maxIDXBytes = 1 << 30

// ReadIDX reads an IDX file of unsigned bytes (type 0x08), gzip-compressed or not,
// validating its magic number and that its size matches its header exactly.
func ReadIDX(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("IDX file: %w", err)
	}
	defer f.Close()
	idx, err := DecodeIDX(f)
	if err != nil {
		return nil, fmt.Errorf("IDX file %s: %w", path, err)
	}
	return idx, nil
}

// DecodeIDX decodes an IDX stream (gzip-compressed or not).
func DecodeIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	var in io.Reader = br
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("bad gzip header: %w", err)
		}
		defer gz.Close()
		in = gz
	}
	var magic [4]byte
	if _, err := io.ReadFull(in, magic[:]); err != nil {
		return nil, fmt.Errorf("too short for an IDX header: %w", err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("not an IDX file (magic % x)", magic)
	}
	if magic[2] != 0x08 {
		return nil, fmt.Errorf("IDX element type 0x%02x not supported (want 0x08, unsigned byte)", magic[2])
	}
	rank := int(magic[3])
	if rank < 1 || rank > 4 {
		return nil, fmt.Errorf("IDX rank %d not supported (want 1 to 4)", rank)
	}
	dims := make([]int, rank)
	total := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(in, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("truncated IDX header: %w", err)
		}
		if d == 0 || d > maxIDXBytes {
			return nil, fmt.Errorf("IDX dimension %d is %d", i, d)
		}
		dims[i] = int(d)
		total *= int(d)
		if total > maxIDXBytes {
			return nil, fmt.Errorf("IDX dimensions %v too large", dims[:i+1])
		}
	}
	// One allocation of the promised size (its pages are only touched as data arrives), not
	// a doubling buffer that peaks at twice the data.
	data := make([]byte, total)
	n, err := io.ReadFull(in, data)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("truncated: header %v promises %d bytes of data, found %d", dims, total, n)
	}
	if err != nil {
		return nil, fmt.Errorf("reading IDX data: %w", err)
	}
	var extra [1]byte
	if k, _ := io.ReadFull(in, extra[:]); k > 0 {
		return nil, fmt.Errorf("trailing data after the %d bytes promised by header %v", total, dims)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// EncodeIDX writes data as an uncompressed IDX file of unsigned bytes.
func EncodeIDX(w io.Writer, dims []int, data []byte) error {
	hdr := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(d))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}
