package data

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CIFAR10Classes are the labels of CIFAR-10 (batches.meta.txt overrides them when present).
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

const cifarSide, cifarRecord = 32, 1 + 3*32*32

// IsCIFAR10Dir reports whether dir looks like cifar-10-batches-bin.
func IsCIFAR10Dir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "test_batch.bin"))
	return err == nil
}

// LoadCIFAR10 reads the binary CIFAR-10 layout (cifar-10-batches-bin): data_batch_1.bin …
// data_batch_5.bin (those present) for training and test_batch.bin for the test split.
// Each record is a label byte and 3,072 bytes of 32×32 red, green and blue planes.
func LoadCIFAR10(dir string) (train, test *Dataset, err error) {
	classes := CIFAR10Classes
	if b, err := os.ReadFile(filepath.Join(dir, "batches.meta.txt")); err == nil {
		var names []string
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				names = append(names, l)
			}
		}
		if len(names) >= 2 {
			classes = names
		}
	}
	var trainFiles []string
	for i := 1; i <= 5; i++ {
		p := filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", i))
		if _, err := os.Stat(p); err == nil {
			trainFiles = append(trainFiles, p)
		}
	}
	if len(trainFiles) == 0 {
		return nil, nil, fmt.Errorf("cifar-10: no data_batch_N.bin in %s", dir)
	}
	if train, err = readCIFAR("cifar10-train", trainFiles, classes); err != nil {
		return nil, nil, err
	}
	test, err = readCIFAR("cifar10-test", []string{filepath.Join(dir, "test_batch.bin")}, classes)
	return train, test, err
}

func readCIFAR(name string, files []string, classes []string) (*Dataset, error) {
	d := &Dataset{Name: name, H: cifarSide, W: cifarSide, C: 3, Classes: classes}
	rec := make([]byte, cifarRecord)
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("cifar-10: %w", err)
		}
		st, err := f.Stat()
		if err == nil && st.Size()%cifarRecord != 0 {
			err = fmt.Errorf("cifar-10: %s has %d bytes, not a whole number of %d-byte records (truncated?)", p, st.Size(), cifarRecord)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		r := bufio.NewReader(f)
		for {
			if _, err := io.ReadFull(r, rec); err == io.EOF {
				break
			} else if err != nil {
				f.Close()
				return nil, fmt.Errorf("cifar-10: %s: %w", p, err)
			}
			if int(rec[0]) >= len(classes) {
				f.Close()
				return nil, fmt.Errorf("cifar-10: %s record %d has label %d, outside the %d classes", p, d.N, rec[0], len(classes))
			}
			d.Labels = append(d.Labels, int32(rec[0]))
			plane := cifarSide * cifarSide
			for i := 0; i < plane; i++ {
				d.Images = append(d.Images, float32(rec[1+i])/255, float32(rec[1+plane+i])/255, float32(rec[1+2*plane+i])/255)
			}
			d.N++
		}
		f.Close()
	}
	if d.N == 0 {
		return nil, fmt.Errorf("cifar-10: %s holds no records", strings.Join(files, ", "))
	}
	return d, d.Validate()
}
