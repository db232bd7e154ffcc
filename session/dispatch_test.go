package session

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/actors"
	"github.com/also-project/also/config"
)

type noDispatch struct{ called bool }

func (d *noDispatch) Dispatch(context.Context, DispatchedRun) (*actors.Result, error) {
	d.called = true
	return &actors.Result{}, nil
}

// A carried policy on a cluster is refused before anything is touched: no store, no tag binding.
func TestDispatchedCarryTouchesNothing(t *testing.T) {
	cfg := quickRun(t, func(c *config.Run) { c.PolicyOut = filepath.Join(t.TempDir(), "ck") })
	d := &noDispatch{}
	_, err := Execute(context.Background(), cfg, Options{Dispatch: d})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "cannot run on a cluster") || d.called {
		t.Fatalf("error %v, dispatched %v", err, d.called)
	}
	if _, err := os.Stat(cfg.Store); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused run created its store (%v)", err)
	}
}
