package actors

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/nn"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// openWorld is a world without hidden state (like the live one): talking agents whose every
// call is counted, a judge with fixed scores, the sim world's embedder.
type openWorld struct {
	sotopia.World
	calls  *callCounter
	judges *callCounter
}

func (w *openWorld) NewEpisode(ctx context.Context, spec sotopia.EpisodeSpec) (*sotopia.EpisodeWorld, error) {
	ew, err := w.World.NewEpisode(ctx, spec)
	if err != nil {
		return nil, err
	}
	for i := range ew.Agents {
		ew.Agents[i] = &talker{calls: w.calls}
	}
	ew.Judge, ew.Hidden = fixedJudge{judges: w.judges}, nil
	return ew, nil
}

type callCounter struct {
	mu      sync.Mutex
	started int
}

func (c *callCounter) start() {
	c.mu.Lock()
	c.started++
	c.mu.Unlock()
}

// await waits until n calls have started, or gives up after a deadlock-sized wait.
func (c *callCounter) await(n int) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		ok := c.started >= n
		c.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

type talker struct{ calls *callCounter }

func (t *talker) Observe(sotopia.Observation)   {}
func (t *talker) SetStrategy(sotopia.ArmChoice) {}
func (t *talker) Act(context.Context, sotopia.Observation) (sotopia.AgentAction, error) {
	t.calls.start()
	time.Sleep(2 * time.Millisecond) // the model's latency
	return sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: "Let us settle it."}, nil
}

// fixedJudge scores nothing; it counts its calls, per-turn and terminal, when judges is set.
type fixedJudge struct{ judges *callCounter }

func (j fixedJudge) JudgeTurn(context.Context, sotopia.JudgeRequest) (sotopia.Judgement, error) {
	j.count()
	return sotopia.Judgement{}, nil
}
func (j fixedJudge) JudgeEpisode(context.Context, sotopia.JudgeRequest) (sotopia.Judgement, error) {
	j.count()
	return sotopia.Judgement{}, nil
}

func (j fixedJudge) count() {
	if j.judges != nil {
		j.judges.start()
	}
}

// overlapTrainer trains on its lane at every selection. The seat that does not act next keeps
// its training running until the next turn's model call and then its judgement have started:
// an episode that waited for both choices before either would stall here (and the training
// notes it gave up).
type overlapTrainer struct {
	seat, k       int
	lane          *nn.Pool
	calls, judges *callCounter
	log           *trainLog
}

// trainLog counts the trainings and notes what went wrong in them.
type trainLog struct {
	mu       sync.Mutex
	n        int
	problems []string
}

func (o *overlapTrainer) Name() string                 { return "overlap-trainer" }
func (o *overlapTrainer) Update(policy.Feedback) error { return nil }
func (o *overlapTrainer) Select(turn int, _ []float64) (policy.Choice, error) {
	urgent := o.lane.Urgent()
	deferred := o.seat != turn%sotopia.Seats // turn t+1 is played by seat t mod 2
	err := o.lane.Do(context.Background(), func(*nn.Workspace) error {
		problem := ""
		switch {
		case deferred == urgent:
			problem = fmt.Sprintf("urgent = %v, deferred = %v", urgent, deferred)
		case deferred && !o.calls.await(turn+1):
			problem = "the next model call never started while this seat trained"
		case deferred && !o.judges.await(turn+1):
			problem = "the next turn's judgement never started while this seat trained"
		}
		o.log.mu.Lock()
		defer o.log.mu.Unlock()
		o.log.n++
		if problem != "" {
			o.log.problems = append(o.log.problems, fmt.Sprintf("turn %d seat %d: %s", turn, o.seat, problem))
		}
		return nil
	})
	return policy.Choice{Arm: (turn + o.seat) % o.k, Prob: 1}, err
}

// In a world without hidden state the next speaker's choice is all the next turn waits for: the
// other seat's training (background priority) runs on while the next model call is made and that
// turn is judged; the episode waits for it only before the policies step again. Under every
// credit assignment.
func TestNonSpeakerTrainsDuringNextModelCall(t *testing.T) {
	for _, tc := range []struct {
		name      string
		credit    string
		alternate bool
	}{{"all", CreditAll, false}, {"own-turn", CreditOwnTurn, false}, {"alternate", CreditAll, true}} {
		t.Run(tc.name, func(t *testing.T) {
			spec, sink := testSpec(t, 1, "random")
			calls, judges := &callCounter{}, &callCounter{}
			spec.World = &openWorld{World: spec.World, calls: calls, judges: judges}
			spec.Pool, _ = nn.NewPool(2) // so a held background training cannot block the urgent one
			spec.MaxTurns, spec.Credit = 6, tc.credit
			spec.Policy.AlternateOptimization = tc.alternate
			log := &trainLog{}
			spec.NewPolicy = func(seat int, p policy.Params) (policy.Policy, error) {
				return &overlapTrainer{seat: seat, k: len(p.Arms), lane: p.Pool, calls: calls, judges: judges, log: log}, nil
			}
			if _, err := Run(context.Background(), spec); err != nil {
				t.Fatal(err)
			}
			if len(sink.eps) != 1 || sink.eps[0].Status != sotopia.StatusDone {
				t.Fatalf("episodes %v", sink.eps)
			}
			ep := sink.eps[0]
			if len(ep.Turns) != spec.MaxTurns {
				t.Fatalf("%d turns recorded, want %d", len(ep.Turns), spec.MaxTurns)
			}
			selects := func(turn, seat int) bool {
				return (tc.credit == CreditAll && !tc.alternate) || seat == (turn-1)%sotopia.Seats
			}
			// Every choice is in the record of the turn after it, as when all are awaited at once.
			var last [sotopia.Seats]int
			trainings := 0
			for i, rec := range ep.Turns {
				for seat, st := range rec.Seats {
					if st.Arm != last[seat] {
						t.Errorf("turn %d seat %d played arm %d, want %d", rec.Turn, seat, st.Arm, last[seat])
					}
					if turn := i + 1; turn < spec.MaxTurns && selects(turn, seat) {
						last[seat] = (turn + seat) % len(spec.Strategies)
						trainings++
					}
				}
			}
			if log.n != trainings || len(log.problems) > 0 {
				t.Fatalf("%d trainings (want %d); problems: %v", log.n, trainings, log.problems)
			}
		})
	}
}
