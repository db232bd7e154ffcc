package session

import (
	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
)

// NewWorld builds the world a configuration names: the simulated one when every model is "sim",
// else the live one (session/live.go); opt supplies its log and how it reaches the models.
func NewWorld(cfg config.Run, ds *sotopia.Dataset, opt Options) (sotopia.World, func(), error) {
	if !cfg.IsSim() {
		w, err := newLiveWorld(cfg, opt)
		if err != nil {
			return nil, nil, err
		}
		return w, func() {}, nil
	}
	seats, err := cfg.SeatAgents()
	if err != nil {
		return nil, nil, err
	}
	w, err := sim.NewWithAgents(cfg.Sim, ds, seats)
	if err != nil {
		return nil, nil, err
	}
	return w, func() {}, nil
}
