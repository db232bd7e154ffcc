package session

import (
	"context"
	"errors"
	"os"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
	"github.com/also-project/also/sotopia/store"
)

// NewWorld builds the world a configuration names: the simulated one when every model is "sim".
func NewWorld(cfg config.Run, ds *sotopia.Dataset) (sotopia.World, func(), error) {
	if !cfg.IsSim() {
		return nil, nil, errors.New("real models are not wired into `also run` yet: use --model sim")
	}
	w, err := sim.New(cfg.Sim, ds)
	if err != nil {
		return nil, nil, err
	}
	return w, func() {}, nil
}

// OpenStore opens Redis when a URL is configured (flag or Sotopia's REDIS_OM_URL), else the
// embedded store directory.
func OpenStore(ctx context.Context, cfg config.Run) (store.Store, error) {
	url := cfg.RedisURL
	if url == "" {
		url = os.Getenv("REDIS_OM_URL")
	}
	if url != "" {
		return store.OpenRedis(ctx, url)
	}
	return store.OpenDir(cfg.Store)
}
