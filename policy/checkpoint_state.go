package policy

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/also-project/also/nn"
)

// The per-bandit "state" objects of the checkpoint format (checkpoint.go). A checkpoint holds
// what a policy has learnt, not its position inside an episode: the arm active right now and a
// draw awaiting its reward belong to the episode, so a restored policy starts as a fresh one does,
// with the episode's opening arm active. Take checkpoints between an Update and the next Select.

// netState is one network: its shape and parameters, layer by layer.
type netState struct {
	Spec    nn.Spec     `json:"spec"`
	Weights [][]float64 `json:"weights"`
	Biases  [][]float64 `json:"biases"`
}

func saveNet(m *nn.MLP) *netState {
	if m == nil {
		return nil
	}
	s := &netState{Spec: m.Spec()}
	for _, l := range m.Layers {
		s.Weights = append(s.Weights, slices.Clone(l.Weights()))
		s.Biases = append(s.Biases, slices.Clone(l.Bias()))
	}
	return s
}

func loadNet(s *netState) (*nn.MLP, error) {
	if s == nil {
		return nil, nil
	}
	m, err := nn.NewMLP(s.Spec)
	if err != nil {
		return nil, fmt.Errorf("state network: %w", err)
	}
	if len(s.Weights) != len(m.Layers) || len(s.Biases) != len(m.Layers) {
		return nil, fmt.Errorf("state network has %d weight and %d bias layers, its spec has %d", len(s.Weights), len(s.Biases), len(m.Layers))
	}
	for l, layer := range m.Layers {
		if len(s.Weights[l]) != len(layer.Weights()) || len(s.Biases[l]) != len(layer.Bias()) {
			return nil, fmt.Errorf("state network layer %d has %d weights and %d biases, want %d and %d", l, len(s.Weights[l]), len(s.Biases[l]), len(layer.Weights()), len(layer.Bias()))
		}
		copy(layer.Weights(), s.Weights[l])
		copy(layer.Bias(), s.Biases[l])
	}
	return m, nil
}

// Stateless policies: an empty state object.

func (static) SaveState() (json.RawMessage, error) { return json.RawMessage(`{}`), nil }
func (static) LoadState(raw json.RawMessage) error { return decodeState(raw, &struct{}{}) }

func (u *uniform) SaveState() (json.RawMessage, error) { return json.RawMessage(`{}`), nil }
func (u *uniform) LoadState(raw json.RawMessage) error { return decodeState(raw, &struct{}{}) }

type countsState struct {
	Counts []int     `json:"counts"`
	Sums   []float64 `json:"sums,omitempty"`
	Means  []float64 `json:"means,omitempty"`
	Plays  int       `json:"plays,omitempty"`
}

func (u *ucb1) SaveState() (json.RawMessage, error) {
	return encodeState(countsState{Counts: u.counts, Sums: u.sums, Plays: u.plays})
}

func (u *ucb1) LoadState(raw json.RawMessage) error {
	var s countsState
	if err := decodeState(raw, &s); err != nil {
		return err
	}
	if err := lengthsMatch("counts", len(s.Counts), len(u.counts)); err != nil {
		return err
	}
	if err := lengthsMatch("sums", len(s.Sums), len(u.sums)); err != nil {
		return err
	}
	u.counts, u.sums, u.plays = s.Counts, s.Sums, s.Plays
	return nil
}

func (e *epsGreedy) SaveState() (json.RawMessage, error) {
	return encodeState(countsState{Counts: e.counts, Means: e.means})
}

func (e *epsGreedy) LoadState(raw json.RawMessage) error {
	var s countsState
	if err := decodeState(raw, &s); err != nil {
		return err
	}
	if err := lengthsMatch("counts", len(s.Counts), len(e.counts)); err != nil {
		return err
	}
	if err := lengthsMatch("means", len(s.Means), len(e.means)); err != nil {
		return err
	}
	e.counts, e.means = s.Counts, s.Means
	return nil
}

type logWeightsState struct {
	LogWeights []float64 `json:"log_weights"`
}

func (e *exp3) SaveState() (json.RawMessage, error) { return encodeState(logWeightsState{e.logw}) }
func (e *exp3) LoadState(raw json.RawMessage) error { return loadLogWeights(raw, e.logw) }

func (e *exp3IX) SaveState() (json.RawMessage, error) { return encodeState(logWeightsState{e.logw}) }
func (e *exp3IX) LoadState(raw json.RawMessage) error { return loadLogWeights(raw, e.logw) }

func loadLogWeights(raw json.RawMessage, dst []float64) error {
	var s logWeightsState
	if err := decodeState(raw, &s); err != nil {
		return err
	}
	if err := lengthsMatch("log_weights", len(s.LogWeights), len(dst)); err != nil {
		return err
	}
	copy(dst, s.LogWeights)
	return nil
}

type betaState struct {
	Successes []float64 `json:"successes"`
	Failures  []float64 `json:"failures"`
}

func (t *thompson) SaveState() (json.RawMessage, error) {
	return encodeState(betaState{Successes: t.succ, Failures: t.fail})
}

func (t *thompson) LoadState(raw json.RawMessage) error {
	var s betaState
	if err := decodeState(raw, &s); err != nil {
		return err
	}
	if err := lengthsMatch("successes", len(s.Successes), len(t.succ)); err != nil {
		return err
	}
	if err := lengthsMatch("failures", len(s.Failures), len(t.fail)); err != nil {
		return err
	}
	t.succ, t.fail = s.Successes, s.Failures
	return nil
}

type linUCBState struct {
	Gram [][]float64 `json:"gram"`
	Sums []float64   `json:"sums"`
}

func (l *linUCB) SaveState() (json.RawMessage, error) {
	return encodeState(linUCBState{Gram: l.gram, Sums: l.sums})
}

func (l *linUCB) LoadState(raw json.RawMessage) error {
	var s linUCBState
	if err := decodeState(raw, &s); err != nil {
		return err
	}
	if err := lengthsMatch("gram", len(s.Gram), len(l.gram)); err != nil {
		return err
	}
	for i, row := range s.Gram {
		if err := lengthsMatch(fmt.Sprintf("gram row %d", i), len(row), len(l.gram)); err != nil {
			return err
		}
	}
	if err := lengthsMatch("sums", len(s.Sums), len(l.sums)); err != nil {
		return err
	}
	l.gram, l.sums = s.Gram, s.Sums
	return nil
}

type neuralUCBState struct {
	ContextWidth int         `json:"context_width"`
	ContextSeen  bool        `json:"context_seen"`
	Inputs       [][]float64 `json:"inputs"`
	Rewards      []float64   `json:"rewards"`
	Theta0       *netState   `json:"theta0,omitempty"`
	Net          *netState   `json:"net,omitempty"`
	Design       []float64   `json:"design"`
	DesignLambda bool        `json:"design_is_lambda"`
}

func (n *neuralUCB) SaveState() (json.RawMessage, error) {
	return encodeState(neuralUCBState{ContextWidth: n.ctxDim, ContextSeen: n.ctxSeen, Inputs: n.xs, Rewards: n.ys,
		Theta0: saveNet(n.theta0), Net: saveNet(n.net), Design: n.u, DesignLambda: n.uIsLambda})
}

func (n *neuralUCB) LoadState(raw json.RawMessage) error {
	var s neuralUCBState
	if err := decodeState(raw, &s); err != nil {
		return err
	}
	if len(s.Inputs) != len(s.Rewards) {
		return fmt.Errorf("state has %d inputs and %d rewards", len(s.Inputs), len(s.Rewards))
	}
	theta0, err := loadNet(s.Theta0)
	if err != nil {
		return err
	}
	net, err := loadNet(s.Net)
	if err != nil {
		return err
	}
	n.ctxDim, n.ctxSeen, n.xs, n.ys = s.ContextWidth, s.ContextSeen, s.Inputs, s.Rewards
	n.theta0, n.net, n.u, n.uIsLambda = theta0, net, s.Design, s.DesignLambda
	return nil
}

type alsoRecordState struct {
	Arm     int       `json:"arm"`
	Context []float64 `json:"context,omitempty"`
	Reward  float64   `json:"reward"`
	Dims    []float64 `json:"dims,omitempty"`
}

type alsoState struct {
	ContextWidth int               `json:"context_width"`
	ContextSeen  bool              `json:"context_seen"`
	History      []alsoRecordState `json:"history"`
	// NNTrace and Actual are the score traces S_k and A_k, one row per selection round.
	NNTrace     [][]float64 `json:"nn_trace"`
	Actual      [][]float64 `json:"actual_trace"`
	Stopped     bool        `json:"stopped"`
	Static      *Choice     `json:"static_choice,omitempty"`
	Warm        *netState   `json:"warm_net,omitempty"`
	WarmTrained bool        `json:"warm_trained"`
	Kept        *netState   `json:"kept_net,omitempty"`
}

func (b *alsoBandit) SaveState() (json.RawMessage, error) {
	s := alsoState{ContextWidth: b.ctxDim, ContextSeen: b.ctxSeen, NNTrace: b.nnTrace, Actual: b.actual,
		Stopped: b.stopped, Static: b.static, Warm: saveNet(b.warm), WarmTrained: b.warmTrained, Kept: saveNet(b.kept)}
	s.History = make([]alsoRecordState, len(b.history))
	for i, r := range b.history {
		s.History[i] = alsoRecordState{Arm: r.arm, Context: r.context, Reward: r.reward, Dims: r.dims}
	}
	return encodeState(s)
}

func (b *alsoBandit) LoadState(raw json.RawMessage) error {
	var s alsoState
	if err := decodeState(raw, &s); err != nil {
		return err
	}
	k := len(b.arms)
	if len(s.NNTrace) != len(s.Actual) {
		return fmt.Errorf("state has %d nn_trace rows and %d actual_trace rows", len(s.NNTrace), len(s.Actual))
	}
	for i := range s.NNTrace {
		if len(s.NNTrace[i]) != k || len(s.Actual[i]) != k {
			return fmt.Errorf("state trace row %d has %d and %d values, the pool has %d arms", i, len(s.NNTrace[i]), len(s.Actual[i]), k)
		}
	}
	history := make([]alsoRecord, len(s.History))
	for i, r := range s.History {
		if r.Arm < 0 || r.Arm >= k {
			return fmt.Errorf("state history entry %d is for arm %d, the pool has %d arms", i, r.Arm, k)
		}
		history[i] = alsoRecord{arm: r.Arm, context: r.Context, reward: r.Reward, dims: r.Dims}
	}
	warm, err := loadNet(s.Warm)
	if err != nil {
		return err
	}
	kept, err := loadNet(s.Kept)
	if err != nil {
		return err
	}
	b.ctxDim, b.ctxSeen, b.history, b.nnTrace, b.actual = s.ContextWidth, s.ContextSeen, history, s.NNTrace, s.Actual
	b.stopped, b.static, b.warm, b.warmTrained, b.kept = s.Stopped, s.Static, warm, s.WarmTrained, kept
	return nil
}

// memberState is a Member with its embedding (which Member's own JSON leaves out).
type memberState struct {
	Member
	Embedding []float64 `json:"embedding"`
}

type populationState struct {
	// Population is the current members' arm indices, in order; Members every member ever held.
	Population []int         `json:"population"`
	Members    []memberState `json:"members"`
	Seen       []string      `json:"seen_md5"`
	Next       int           `json:"next_index"`
	LastEvo    int           `json:"last_evolution"`
	LastPos    int           `json:"last_position"`
	// Trajectory is OPRO's scored history; Challenged is EvoPrompt-DE's trials awaiting judgement
	// (trial index -> the member it replaced).
	Trajectory []scoredTextState `json:"trajectory,omitempty"`
	Challenged map[int]int       `json:"challenged,omitempty"`
}

type scoredTextState struct {
	ID    string  `json:"id"`
	Text  string  `json:"text"`
	Score float64 `json:"score"`
}

func (p *population) saveState() populationState {
	s := populationState{Next: p.next, LastEvo: p.lastEvo, LastPos: p.lastPos}
	for _, m := range p.members {
		s.Population = append(s.Population, m.Index)
	}
	idx := make([]int, 0, len(p.all))
	for i := range p.all {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		m := p.all[i]
		s.Members = append(s.Members, memberState{Member: *m, Embedding: m.Embedding})
	}
	for k := range p.seen {
		s.Seen = append(s.Seen, hex.EncodeToString(k[:]))
	}
	sort.Strings(s.Seen)
	return s
}

func (p *population) loadState(s populationState) error {
	all := map[int]*Member{}
	for _, ms := range s.Members {
		m := ms.Member
		m.Embedding = ms.Embedding
		if _, dup := all[m.Index]; dup {
			return fmt.Errorf("state lists member %d twice", m.Index)
		}
		all[m.Index] = &m
	}
	var members []*Member
	for _, i := range s.Population {
		m, ok := all[i]
		if !ok {
			return fmt.Errorf("state population holds arm %d, which is not among its members", i)
		}
		members = append(members, m)
	}
	seen := map[[16]byte]bool{}
	for _, h := range s.Seen {
		var k [16]byte
		if b, err := hex.DecodeString(h); err != nil || len(b) != 16 {
			return fmt.Errorf("state seen_md5 entry %q is not an MD5 digest", h)
		} else {
			copy(k[:], b)
		}
		seen[k] = true
	}
	p.members, p.all, p.seen, p.next, p.lastEvo, p.lastPos = members, all, seen, s.Next, s.LastEvo, s.LastPos
	return nil
}

func (g *evoGA) SaveState() (json.RawMessage, error) { return encodeState(g.saveState()) }
func (g *evoGA) LoadState(raw json.RawMessage) error { return loadPopulation(raw, g.population, nil) }

func (pb *promptBreeder) SaveState() (json.RawMessage, error) { return encodeState(pb.saveState()) }
func (pb *promptBreeder) LoadState(raw json.RawMessage) error {
	return loadPopulation(raw, pb.population, nil)
}

func (o *opro) SaveState() (json.RawMessage, error) {
	s := o.saveState()
	for _, t := range o.trajectory {
		s.Trajectory = append(s.Trajectory, scoredTextState{ID: t.id, Text: t.text, Score: t.score})
	}
	return encodeState(s)
}

func (o *opro) LoadState(raw json.RawMessage) error {
	return loadPopulation(raw, o.population, func(s populationState) error {
		o.trajectory, o.scoreOf = nil, map[string]int{}
		for i, t := range s.Trajectory {
			o.trajectory = append(o.trajectory, scoredText{id: t.ID, text: t.Text, score: t.Score})
			o.scoreOf[t.Text] = i
		}
		return nil
	})
}

func (d *evoDE) SaveState() (json.RawMessage, error) {
	s := d.saveState()
	if len(d.challenged) > 0 {
		s.Challenged = map[int]int{}
		for trial, old := range d.challenged {
			s.Challenged[trial] = old.Index
		}
	}
	return encodeState(s)
}

func (d *evoDE) LoadState(raw json.RawMessage) error {
	return loadPopulation(raw, d.population, func(s populationState) error {
		d.challenged = map[int]*Member{}
		for trial, old := range s.Challenged {
			m, ok := d.all[old]
			if !ok {
				return fmt.Errorf("state challenged trial %d replaced arm %d, which is not among its members", trial, old)
			}
			d.challenged[trial] = m
		}
		return nil
	})
}

// loadPopulation decodes a population state into p, then lets the policy restore its own part.
func loadPopulation(raw json.RawMessage, p *population, own func(populationState) error) error {
	var s populationState
	if err := decodeState(raw, &s); err != nil {
		return err
	}
	if err := p.loadState(s); err != nil {
		return err
	}
	if own != nil {
		return own(s)
	}
	return nil
}
