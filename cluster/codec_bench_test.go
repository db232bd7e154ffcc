package cluster

import (
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/also-project/also/messages"
	"github.com/also-project/also/policy"
)

// What placing Policy actors on other members would cost per turn and seat: a PolicyStep with a
// 4096-d dialogue embedding (feedback and selection context) through the codec and the envelope,
// both ways. Compare with the unit placed today: one RunTask and one TaskResult per episode.
func BenchmarkPolicyStepCrossing4096(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	ctx := make([]float64, 4096)
	for i := range ctx {
		ctx[i] = r.NormFloat64()
	}
	msg := &messages.PolicyStep{Turn: 5, Feedback: &policy.Feedback{Turn: 5, Arm: 3, Reward: 0.5, Context: ctx}, Select: true, Context: ctx}
	var size int
	for b.Loop() {
		env, err := (&Wire{M: msg}).Serialize()
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := proto.Marshal(env.(*Envelope))
		size = len(raw)
		var back Envelope
		if err := proto.Unmarshal(raw, &back); err != nil {
			b.Fatal(err)
		}
		if _, err := back.Deserialize(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size), "bytes/msg")
}
