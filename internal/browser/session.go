package browser

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Session is one headless Chromium tab driven over the DevTools protocol (chromedp),
// offline, recording every console error and uncaught exception.
type Session struct {
	Ctx context.Context

	mu     sync.Mutex
	errors []string
}

// Open starts Chromium (skipping or failing the test as Require does) and returns a tab
// that closes with the test. Each action should finish within timeout.
func Open(t testing.TB, timeout time.Duration) *Session {
	t.Helper()
	chromium := Require(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.ProxyServer("127.0.0.1:9"),
		chromedp.WindowSize(1280, 1000))
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTime := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	s := &Session{Ctx: ctx}
	if err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				msg = "console." + string(e.Type)
				for _, a := range e.Args {
					msg += fmt.Sprintf(" %s%s", a.Description, a.Value)
				}
			}
		}
		if msg != "" {
			s.mu.Lock()
			s.errors = append(s.errors, msg)
			s.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

// Load opens a local file.
func (s *Session) Load(file string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	return chromedp.Do(s.Ctx, chromedp.Navigate("file://"+abs))
}

// Eval evaluates a JavaScript expression and decodes its value.
func Eval[T any](s *Session, expr string) (T, error) {
	return chromedp.Run(s.Ctx, chromedp.Evaluate[T](expr))
}

// Errors returns the console errors and uncaught exceptions seen so far.
func (s *Session) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errors...)
}
