package session

import (
	"errors"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
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
