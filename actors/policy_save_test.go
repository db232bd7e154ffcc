package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/also-project/also/messages"
	"github.com/also-project/also/policy"
)

// A Policy actor gives its checkpoint as a message (SavePolicy -> PolicySaved), so the Episode
// needs no access to its fields and the exchange survives a process boundary: the reply is plain
// data that round-trips through JSON, and its checkpoint loads into a fresh policy.
func TestPolicyActorAnswersSavePolicy(t *testing.T) {
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	defer system.Shutdown()
	spec, _ := testSpec(t, 1, "exp3")
	arms := make([]policy.Arm, len(spec.Strategies))
	for i, s := range spec.Strategies {
		arms[i] = policy.Arm{Index: i, ID: s.ID, Text: s.Description, Embedding: []float64{float64(i), 1, 0}}
	}
	ask := func(pid *actor.PID, msg any) any {
		t.Helper()
		reply, err := system.Root.RequestFuture(pid, msg, 10*time.Second).Result()
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}
	spawn := func(carry *PolicyCarry) *actor.PID {
		s := spec
		s.Carry = carry
		p := &policyActor{base: context.Background(), seat: 1, seed: 3, spec: &s}
		pid := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return p }))
		if r := ask(pid, &messages.InitPolicy{Arms: arms}).(*messages.PolicyReady); r.Error != "" {
			t.Fatal(r.Error)
		}
		return pid
	}

	carry := &PolicyCarry{Strategy: "v3", Strategies: spec.Strategies}
	fresh := ask(spawn(carry), &messages.SavePolicy{}).(*messages.PolicySaved)
	// A policy that learnt something, so that a restored one can be told from a fresh one.
	learner := spawn(carry)
	var last *policy.Feedback // feedback for the arm the policy chose last
	for turn := 1; turn <= 4; turn++ {
		r := ask(learner, &messages.PolicyStep{Turn: turn, Feedback: last, Select: true}).(*messages.PolicyChoice)
		if r.Error != "" {
			t.Fatal(r.Error)
		}
		last = &policy.Feedback{Turn: turn + 1, Arm: r.Choice.Arm, Reward: 0.9}
	}
	saved := ask(learner, &messages.SavePolicy{}).(*messages.PolicySaved)
	if bytes.Equal(saved.Checkpoint, fresh.Checkpoint) {
		t.Fatal("three updates left the checkpoint as a fresh policy's")
	}
	if saved.Error != "" || saved.Seat != 1 {
		t.Fatalf("PolicySaved %+v", saved)
	}
	wire, err := json.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	var back messages.PolicySaved
	if err := json.Unmarshal(wire, &back); err != nil || !reflect.DeepEqual(&back, saved) {
		t.Fatalf("PolicySaved does not round-trip through JSON: %v", err)
	}
	var cp policy.Checkpoint
	if err := json.Unmarshal(back.Checkpoint, &cp); err != nil || cp.Bandit != "exp3" {
		t.Fatalf("checkpoint %+v: %v", cp, err)
	}
	carry.Set(1, cp)
	restored := ask(spawn(carry), &messages.SavePolicy{}).(*messages.PolicySaved)
	if restored.Error != "" {
		t.Fatalf("a policy restored from the saved checkpoint: %s", restored.Error)
	}
	if !bytes.Equal(restored.Checkpoint, saved.Checkpoint) {
		t.Fatalf("the restored policy saves %s, not the state it was given %s", restored.Checkpoint, saved.Checkpoint)
	}
	if r := ask(spawn(nil), &messages.SavePolicy{}).(*messages.PolicySaved); r.Error == "" {
		t.Fatal("a policy actor with nothing to carry answered a checkpoint")
	}
}
