package data

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pngHeader is a PNG whose header declares w×h pixels (the data never comes).
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.Write([]byte("\x89PNG\r\n\x1a\n"))
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grey
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// A file that declares more pixels than the budget is refused from its header, before a
// byte of it is decoded; a named pipe in an image folder is skipped, never read.
func TestImageBudgetAndPipes(t *testing.T) {
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.png")
	os.WriteFile(bomb, pngHeader(16000, 16000), 0o644)
	if _, err := LoadImage(bomb, 28, 28, 1); err == nil || !strings.Contains(err.Error(), "megapixel limit") {
		t.Errorf("a 256-megapixel header: %v", err)
	}
	for _, class := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(dir, "set", class), 0o755)
		for i := range 3 {
			var buf bytes.Buffer
			png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)))
			os.WriteFile(filepath.Join(dir, "set", class, string(rune('0'+i))+".png"), buf.Bytes(), 0o644)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "set", "a", "pipe.png"), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, info, err := LoadImageFolder(filepath.Join(dir, "set"), FolderOptions{Seed: 1})
		if err == nil && !strings.Contains(strings.Join(info.Skipped, " "), "pipe.png") {
			err = os.ErrInvalid
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("folder with a pipe: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("reading a folder with a named pipe blocked")
	}
}
