package sim

import (
	"errors"
	"fmt"
	"github.com/also-project/also/sotopia/agents"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/also-project/also/sotopia"
)

// ErrEpisodeOver is returned when a turn is requested after a seat has left.
var ErrEpisodeOver = errors.New("sim: the episode is over (a seat left)")

// armFeature is one strategy a seat can play: the pool arms first, then descriptions set later
// that are not in the pool (prompt optimisers evolve new ones).
type armFeature struct {
	desc  string
	phi   []float64
	risk  risk
	words []string // content words that are not keys, for the speaker's strategy lines
	keys  []string // the words that set this arm apart in its seat's pool, for hints
	quote []string // quoted phrases of the description, used verbatim as speech
}

// seatState is the hidden state of one seat.
type seatState struct {
	arms   []armFeature
	pool   int
	base   []float64 // theta_i(1); the adaptive profile derives theta from it every turn
	theta  []float64 // theta_i(t): what works on this seat's opponent
	offset float64   // c_i
	dyn    *rand.Rand
	behave *rand.Rand
	recent []int // this seat's last active arms, newest last (adaptive memory)
	active int

	goal, info, leak, violation float64
	ownTurns                    int
	lastNone                    bool
	nonzero                     []int // pool arms with a non-zero feature
}

// turnRecord is one played turn: the public Outcome plus the state the judge reads.
type turnRecord struct {
	Outcome
	Trust                       float64
	Goal, Info, Leak, Violation [sotopia.Seats]float64
	// Affinity is, per seat, <theta_i(t), phi_k> minus its pool mean for every pool arm.
	Affinity [sotopia.Seats][]float64
	// Hint is, per seat i, the pool arms ranked best-first under theta_i(t): the speaker reveals
	// words of its listener's top arms (what works on the speaker).
	Hint [sotopia.Seats][]int
}

// model is the hidden world shared by the Game, the agents and the judge of one episode.
type model struct {
	cfg         Config
	emb         *HashEmbedder
	seed        int64
	task        string
	kappa       float64 // signed kappa_s
	sourceKind  string
	seats       [sotopia.Seats]seatState
	trust       float64
	trust0      float64
	scripted    int              // seat played by the scripted agent, -1 if none
	behaviour   agents.Behaviour // the scripted seat's behaviour ("" for a script)
	script      *agents.Script   // the scripted seat's script, if it plays one
	effects     scriptEffect
	noise       *rand.Rand
	turns       []turnRecord
	ended       bool
	scratch     []float64                // the drift direction, reused
	scores      [sotopia.Seats][]float64 // <theta_i, phi_k> per arm, refreshed each turn
	poolMeans   [sotopia.Seats]float64
	scriptLogit float64 // logit offset of the seat facing a scripted agent
	goalScale   float64 // goal-progress scale of the seat facing a scripted agent
}

// scriptEffect is what a scripted seat does to the other: a logit offset on its reward, a scale
// of its goal progress, and the information the scripted seat's own turns reveal.
type scriptEffect struct{ logit, goal, info float64 }

// scripted-opponent effects on the other seat: a refusal blocks progress, stalling slows it. A
// script file is neutral: whatever it does shows only through its actions.
var (
	scriptEffects = map[agents.Behaviour]scriptEffect{
		agents.Refuser: {-1, 0.3, 0.3},
		agents.Staller: {-0.5, 0.6, 0},
		agents.Leaver:  {0, 1, 1},
	}
	scriptFileEffect = scriptEffect{0, 1, 1}
)

// scriptedSeat says which seat (if any, seat -1 for none) a scripted agent plays, and how.
type scriptedSeat struct {
	seat      int
	behaviour agents.Behaviour
	script    *agents.Script
}

var noScriptedSeat = scriptedSeat{seat: -1}

// opponentSeat is the scripted seat an Opponent setting asks for (none for a profile).
func opponentSeat(cfg Config, optimised [sotopia.Seats]bool) scriptedSeat {
	if !IsScripted(cfg.Opponent) {
		return noScriptedSeat
	}
	return scriptedSeat{seat: ScriptedSeat(optimised), behaviour: agents.Behaviour(cfg.Opponent)}
}

func newModel(cfg Config, emb *HashEmbedder, setup *sotopia.Setup, pools [sotopia.Seats][]sotopia.ArmChoice, seed int64, scripted scriptedSeat) (*model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if setup == nil || setup.Env == nil {
		return nil, errors.New("sim: episode setup has no environment profile")
	}
	if emb.Dim() != cfg.Dim {
		return nil, fmt.Errorf("sim: embedder dimension %d differs from Config.Dim %d", emb.Dim(), cfg.Dim)
	}
	m := &model{cfg: cfg, emb: emb, seed: seed, task: setup.Task.PK, scripted: -1, goalScale: 1,
		scratch: make([]float64, cfg.Dim)}
	if setup.Task.PK == "" {
		m.task = setup.Env.PK
	}
	m.sourceKind, m.kappa = sourceKappa(setup.Env.Source)
	m.kappa *= cfg.Kappa
	m.trust0 = initialTrust(setup.Env.Relationship)
	m.trust = m.trust0
	if scripted.seat >= 0 {
		m.scripted, m.behaviour, m.script = scripted.seat, scripted.behaviour, scripted.script
		m.effects = scriptFileEffect
		if m.script == nil {
			m.effects = scriptEffects[m.behaviour]
		}
		m.scriptLogit, m.goalScale = m.effects.logit, m.effects.goal
	}
	m.noise = stream(seed, m.task, "reward-noise")
	for i := range m.seats {
		if len(pools[i]) == 0 {
			return nil, fmt.Errorf("sim: seat %d has an empty arm pool", i)
		}
		s := &m.seats[i]
		for _, a := range pools[i] {
			s.arms = append(s.arms, m.feature(a.Description))
		}
		s.pool = len(s.arms)
		for k := range s.arms {
			s.assignKeys(k)
		}
		for k := 0; k < s.pool; k++ {
			if s.arms[k].desc != "" {
				s.nonzero = append(s.nonzero, k)
			}
		}
		r := stream(seed, m.task, "theta", itoa(i))
		s.base = make([]float64, cfg.Dim)
		m.drawTheta(r, s, s.base, -1)
		m.mixShared(s, i)
		s.theta = append([]float64(nil), s.base...)
		s.offset = cfg.OffsetSD * r.NormFloat64()
		s.dyn = stream(seed, m.task, "dynamics", itoa(i))
		s.behave = stream(seed, m.task, "behaviour", itoa(i))
		m.scores[i] = make([]float64, s.pool)
	}
	m.refreshScores()
	return m, nil
}

// sourceKappa gives the sign and weight of the opponent-arm term by scenario source: in
// bargaining a well-played opponent costs me; in everyday cooperative situations it helps me.
func sourceKappa(source string) (string, float64) {
	switch source {
	case "craigslist_bargains", "deal-or-no-deal":
		return "competitive", 1
	case "persuation_for_good", "persuasion_for_good":
		return "persuasion", 0.5
	case "mutual_friends":
		return "cooperative", -1
	case "social_chemistry", "social_iqa", "normbank":
		return "cooperative", -0.5
	}
	return "mixed", 0 // hand-craft and unknown sources: no opponent-arm effect
}

// initialTrust: closer relationships start with more trust.
func initialTrust(r sotopia.RelationshipType) float64 {
	switch r {
	case sotopia.Stranger:
		return 0.4
	case sotopia.KnowByName:
		return 0.45
	case sotopia.Acquaintance:
		return 0.5
	case sotopia.Friend:
		return 0.55
	}
	return 0.6 // romantic, family
}

func (m *model) feature(desc string) armFeature {
	f := armFeature{desc: desc, phi: make([]float64, m.cfg.Dim)}
	if desc != "" { // the no-strategy baseline keeps the zero vector
		m.emb.EmbedInto(f.phi, desc)
		f.risk = riskOf(desc)
		f.words = contentWords(desc)
		f.quote = quotedPhrases(desc)
	}
	return f
}

// mixShared blends the world's shared preference into seat i's theta(1) (Config.SharedPref). The
// shared vector's stream is labelled by seat only, not by task or seed, so every scenario of every
// run in one world shares it: pre-training on other scenarios (or another run) can learn it. At 0
// nothing is touched, which keeps the default world's episodes byte for byte.
func (m *model) mixShared(s *seatState, i int) {
	sp := m.cfg.SharedPref
	if sp == 0 {
		return
	}
	shared := make([]float64, m.cfg.Dim)
	m.drawTheta(stream(0, "shared-theta", itoa(i)), s, shared, -1)
	own, mix := math.Sqrt(1-sp), math.Sqrt(sp)
	for d := range s.base {
		s.base[d] = own*s.base[d] + mix*shared[d]
	}
	normalise(s.base)
}

// drawTheta writes normalise(phi_k1 [+ 0.5 phi_k2] + 0.5 u) into dst, with k1 != avoid: a random
// direction alone would be nearly orthogonal to every arm and make all arms look alike.
func (m *model) drawTheta(r *rand.Rand, s *seatState, dst []float64, avoid int) {
	gaussianUnit(r, dst)
	for i := range dst {
		dst[i] *= 0.5
	}
	cands := s.nonzero
	if len(cands) > 1 && avoid >= 0 {
		cands = make([]int, 0, len(s.nonzero))
		for _, k := range s.nonzero {
			if k != avoid {
				cands = append(cands, k)
			}
		}
	}
	if len(cands) > 0 {
		k1 := cands[r.IntN(len(cands))]
		addScaled(dst, s.arms[k1].phi, 1)
		if len(cands) > 1 && r.IntN(2) == 0 {
			k2 := cands[r.IntN(len(cands))]
			for k2 == k1 {
				k2 = cands[r.IntN(len(cands))]
			}
			addScaled(dst, s.arms[k2].phi, 0.5)
		}
	}
	normalise(dst)
}

func addScaled(dst, v []float64, a float64) {
	for i, x := range v {
		dst[i] += a * x
	}
}

// armIndex finds (or adds) the feature of a chosen arm. The description decides, not the index,
// so strategies rewritten by prompt optimisers get their own features.
func (m *model) armIndex(seat int, a sotopia.ArmChoice) int {
	s := &m.seats[seat]
	if a.Index >= 0 && a.Index < s.pool && s.arms[a.Index].desc == a.Description {
		return a.Index
	}
	for k, f := range s.arms {
		if f.desc == a.Description {
			return k
		}
	}
	s.arms = append(s.arms, m.feature(a.Description))
	s.assignKeys(len(s.arms) - 1)
	return len(s.arms) - 1
}

// maxKeys is how many key words an arm's hints draw from: few, so that hints repeat and add up.
const maxKeys = 4

// assignKeys splits arm k's content words into keys (the rarest in the seat's pool, unique ones
// first) and the rest.
func (s *seatState) assignKeys(k int) {
	f := &s.arms[k]
	df := func(w string) int {
		n := 0
		for p := 0; p < s.pool; p++ {
			if p != k && slices.Contains(s.arms[p].words, w) || p != k && slices.Contains(s.arms[p].keys, w) {
				n++
			}
		}
		return n
	}
	all := append(append([]string(nil), f.keys...), f.words...)
	rank := make([]int, len(all))
	for i, w := range all {
		rank[i] = df(w)
	}
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rank[order[a]] < rank[order[b]] })
	isKey := map[int]bool{}
	for _, i := range order[:min(maxKeys, len(order))] {
		isKey[i] = true
	}
	f.keys, f.words = nil, nil
	for i, w := range all {
		if isKey[i] {
			f.keys = append(f.keys, w)
		} else {
			f.words = append(f.words, w)
		}
	}
}

// advanceTheta moves theta_i to turn t according to the profile.
func (m *model) advanceTheta(t int) {
	for i := range m.seats {
		s := &m.seats[i]
		switch m.cfg.Opponent {
		case ProfileDrifting:
			if t > 1 {
				m.driftStep(s)
			}
		case ProfileSwitching:
			if t > 1 && (t-1)%m.cfg.SwitchEvery == 0 {
				m.drawTheta(s.dyn, s, s.theta, m.topArm(s))
			}
		case ProfileAdaptive:
			copy(s.theta, s.base)
			if n := len(s.recent); n > 0 {
				for _, k := range s.recent {
					addScaled(s.theta, s.arms[k].phi, -m.cfg.AdaptAlpha/float64(n))
				}
				normalise(s.theta)
			}
		}
	}
}

// driftStep walks theta by Drift along a random direction drawn mostly in the span of the arm
// features: isotropic noise in Dim dimensions would only dilute theta, never change the best arm.
func (m *model) driftStep(s *seatState) {
	d := m.scratch
	gaussianUnit(s.dyn, d)
	for i := range d {
		d[i] *= 0.5
	}
	for _, k := range s.nonzero {
		addScaled(d, s.arms[k].phi, s.dyn.NormFloat64()/float64(len(s.nonzero)))
	}
	normalise(d)
	addScaled(s.theta, d, m.cfg.Drift)
	normalise(s.theta)
}

func (m *model) topArm(s *seatState) int {
	best, bestV := -1, 0.0
	for _, k := range s.nonzero {
		if v := dot(s.theta, s.arms[k].phi); best < 0 || v > bestV {
			best, bestV = k, v
		}
	}
	return best
}

// refreshScores caches <theta_i, phi_k> for the pool and their mean (the centring term).
func (m *model) refreshScores() {
	for i := range m.seats {
		s := &m.seats[i]
		var sum float64
		for k := 0; k < s.pool; k++ {
			m.scores[i][k] = dot(s.theta, s.arms[k].phi)
			sum += m.scores[i][k]
		}
		m.poolMeans[i] = sum / float64(s.pool)
	}
}

// affinity is <theta_i, phi_k> - mean over the pool, for any arm (pool or added); a scripted seat
// plays no strategy, so its arm counts as the baseline.
func (m *model) affinity(i, k int) float64 {
	if i == m.scripted {
		return -m.poolMeans[i]
	}
	if k < m.seats[i].pool {
		return m.scores[i][k] - m.poolMeans[i]
	}
	return dot(m.seats[i].theta, m.seats[i].arms[k].phi) - m.poolMeans[i]
}

// mu is the expected reward of seat i playing arm a while the other seat plays b (package doc).
func (m *model) mu(i, a, b int) float64 {
	j := 1 - i
	x := m.cfg.Beta*m.affinity(i, a) - m.kappa*m.affinity(j, b) + m.cfg.Lambda*(m.trust-0.5) + m.seats[i].offset
	if m.scripted == j {
		x += m.scriptLogit
	}
	return sigmoid(x)
}

// ranked returns seat i's pool arms ordered by <theta_i, phi_k>, best first (ties by index).
func (m *model) ranked(i int) []int {
	idx := make([]int, m.seats[i].pool)
	for k := range idx {
		idx[k] = k
	}
	sc := m.scores[i]
	sort.SliceStable(idx, func(x, y int) bool { return sc[idx[x]] > sc[idx[y]] })
	return idx
}
