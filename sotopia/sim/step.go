package sim

import (
	"github.com/also-project/also/sotopia"
)

// decideAction chooses the kind of action the actor takes at turn t, before any reward is drawn.
func (m *model) decideAction(actor, t int) sotopia.ActionType {
	s := &m.seats[actor]
	u := s.behave.Float64() // one draw per own turn keeps the stream aligned whatever is decided
	if actor == m.scripted {
		if m.script != nil {
			return m.script.ActionFor(s.ownTurns+1, "").ActionType
		}
		return m.behaviour.Decide(actor, s.ownTurns+1, s.lastNone, u, m.cfg.LeaverTurns)
	}
	if m.cfg.LeaveTrust > 0 && t > m.cfg.LeaveAfter && m.trust < m.cfg.LeaveTrust {
		return sotopia.ActionLeave
	}
	switch {
	case u < m.cfg.NonVerbalRate/2:
		return sotopia.ActionNonVerbal
	case u < m.cfg.NonVerbalRate:
		return sotopia.ActionAction
	}
	return sotopia.ActionSpeak
}

// step plays turn t with the current active arms and theta_i(t): the actor acts, both seats get
// their expected and observed rewards, and trust, goal progress, knowledge and risks update.
// allowed, when non-nil, restricts the action types (the observation's available actions).
func (m *model) step(actor int, allowed map[sotopia.ActionType]bool) (*turnRecord, error) {
	if m.ended {
		return nil, ErrEpisodeOver
	}
	t := len(m.turns) + 1
	action := m.decideAction(actor, t)
	if allowed != nil && !allowed[action] {
		action = fallbackAction(allowed)
	}

	rec := turnRecord{Outcome: Outcome{Turn: t, Actor: actor, Action: action}}
	for i := range m.seats {
		rec.Arms[i] = m.seats[i].active
	}
	for i := range m.seats {
		b := rec.Arms[1-i]
		exp := make([]float64, m.seats[i].pool)
		best := 0.0
		for k := range exp {
			exp[k] = m.mu(i, k, b)
			if k == 0 || exp[k] > best {
				best = exp[k]
			}
		}
		rec.Expected[i] = exp
		for k := m.seats[i].pool; k < len(m.seats[i].arms); k++ {
			rec.Added[i] = append(rec.Added[i], m.mu(i, k, b))
		}
		rec.Mu[i] = m.mu(i, rec.Arms[i], b)
		rec.Regret[i] = best - rec.Mu[i]
		rec.Hint[i] = m.ranked(i)
		rec.Affinity[i] = make([]float64, m.seats[i].pool)
		for k := range rec.Affinity[i] {
			rec.Affinity[i][k] = m.scores[i][k] - m.poolMeans[i]
		}
	}
	for i := range m.seats {
		eps := m.noise.NormFloat64() // both draws always happen: the stream stays aligned
		rec.Reward[i] = clamp(rec.Mu[i]+m.cfg.Noise*eps, 0, 1)
	}
	m.update(&rec)
	m.turns = append(m.turns, rec)
	// theta moves now, so that between turns the state always describes the next turn and
	// reading expected rewards never changes anything.
	m.advanceTheta(t + 1)
	m.refreshScores()
	if action == sotopia.ActionLeave {
		m.ended = true
	}
	return &m.turns[len(m.turns)-1], nil
}

// update moves the slow state with the rewards just seen and records what the actor revealed.
func (m *model) update(rec *turnRecord) {
	actor, listener := rec.Actor, 1-rec.Actor
	m.trust = clamp(m.trust+m.cfg.TrustRate*((rec.Reward[0]+rec.Reward[1])/2-0.5), 0, 1)
	for i := range m.seats {
		scale := 1.0
		if m.scripted == 1-i {
			scale = m.goalScale
		}
		s := &m.seats[i]
		s.goal = clamp(s.goal+m.cfg.GoalRate*scale*rec.Reward[i], 0, 1)
		s.recent = append(s.recent, s.active)
		if len(s.recent) > m.cfg.AdaptMemory {
			s.recent = s.recent[1:]
		}
	}
	a := &m.seats[actor]
	a.ownTurns++
	a.lastNone = rec.Action == sotopia.ActionNone
	gain := 0.0
	switch rec.Action {
	case sotopia.ActionSpeak:
		gain = 1
	case sotopia.ActionNonVerbal, sotopia.ActionAction:
		gain = 0.3
	}
	if actor == m.scripted {
		gain *= m.effects.info
	} else if gain > 0 {
		r := a.arms[a.active].risk
		a.leak += r.secret * gain
		a.violation += r.rules * gain
	}
	m.seats[listener].info += gain
	for i := range m.seats {
		s := &m.seats[i]
		rec.Goal[i], rec.Info[i], rec.Leak[i], rec.Violation[i] = s.goal, s.info, s.leak, s.violation
	}
	rec.Trust = m.trust
}

// fallbackAction is the first allowed type in order of preference.
func fallbackAction(allowed map[sotopia.ActionType]bool) sotopia.ActionType {
	for _, t := range []sotopia.ActionType{sotopia.ActionSpeak, sotopia.ActionNonVerbal, sotopia.ActionAction, sotopia.ActionLeave} {
		if allowed[t] {
			return t
		}
	}
	return sotopia.ActionNone
}
