package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/also-project/also/sotopia"
)

// Judge is the simulated Sotopia-Eval judge of one episode. It implements sotopia.Judge and
// scores from the facts of the hidden state that come with each request (the environment owns
// that state): judging is a pure function plus noise seeded by (episode, turn, seat), so asking
// twice gives the same verdict and not asking at all changes nothing.
type Judge struct {
	seed       int64
	task       string
	scripted   int // the scripted seat, -1 if none
	trust0     float64
	sourceKind string
}

// dimWeights say how strongly each dimension follows the turn's overall quality when the
// judge's scores are fitted to the observed reward: goal and relationship fully, believability,
// secret and social rules (mostly fixed by character and by the strategies played) least.
var dimWeights = [sotopia.NumDimensions]float64{
	sotopia.Believability: 0.4, sotopia.Relationship: 1, sotopia.Knowledge: 0.6, sotopia.Secret: 0.3,
	sotopia.SocialRules: 0.3, sotopia.Financial: 0.6, sotopia.Goal: 1,
}

// shapeNoise is the standard deviation, in score points, of the judge's per-dimension noise.
const shapeNoise = 0.5

// JudgeTurn scores both seats after turn req.Turn (1-based, Sotopia's turn number after the
// step), from the turn's facts in req.Facts.
func (j *Judge) JudgeTurn(ctx context.Context, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	if err := ctx.Err(); err != nil {
		return sotopia.Judgement{}, err
	}
	var f turnFacts
	if err := decodeFacts(req, &f); err != nil {
		return sotopia.Judgement{}, err
	}
	if f.Turn != req.Turn {
		return sotopia.Judgement{}, fmt.Errorf("sim judge: facts of turn %d for a request about turn %d", f.Turn, req.Turn)
	}
	var out sotopia.Judgement
	for i := range out.Scores {
		r := stream(j.seed, j.task, "judge-turn", itoa(req.Turn), itoa(i))
		out.Scores[i] = j.scores(&f, i, f.Reward[i], r)
		out.Expected[i] = append([]float64(nil), f.Expected[i]...)
	}
	out.Reasoning = fmt.Sprintf("Simulated judge after turn %d: trust %.2f; goal progress %.2f and %.2f; expected rewards %.3f and %.3f.",
		req.Turn, f.Trust, f.Goal[0], f.Goal[1], f.Mu[0], f.Mu[1])
	return out, nil
}

// JudgeEpisode scores the whole episode: the final state shapes the seven dimensions and the
// mean observed per-turn reward sets their level (req.Facts: the episode's facts).
func (j *Judge) JudgeEpisode(ctx context.Context, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	if err := ctx.Err(); err != nil {
		return sotopia.Judgement{}, err
	}
	var f episodeFacts
	if err := decodeFacts(req, &f); err != nil {
		return sotopia.Judgement{}, err
	}
	if f.Turns == 0 {
		return sotopia.Judgement{}, fmt.Errorf("sim judge: no turns played")
	}
	var out sotopia.Judgement
	for i := range out.Scores {
		r := stream(j.seed, j.task, "judge-episode", itoa(i))
		out.Scores[i] = j.scores(&f.Last, i, f.Mean[i], r)
	}
	out.Reasoning = fmt.Sprintf("Simulated judge, episode of %d turns: final trust %.2f; goal progress %.2f and %.2f; mean rewards %.3f and %.3f.",
		f.Turns, f.Last.Trust, f.Last.Goal[0], f.Last.Goal[1], f.Mean[0], f.Mean[1])
	return out, nil
}

func decodeFacts(req sotopia.JudgeRequest, into any) error {
	if len(req.Facts) == 0 {
		return fmt.Errorf("sim judge: the request about turn %d has no facts (the environment plays the hidden state)", req.Turn)
	}
	if err := json.Unmarshal(req.Facts, into); err != nil {
		return fmt.Errorf("sim judge: facts of turn %d: %w", req.Turn, err)
	}
	return nil
}

// judgeScores returns integer scores whose normalised mean equals target to within 1/140 (all
// seven ranges are 10 points wide, so the normalised mean is the points total over 70): a shape
// read off the hidden state, plus noise, shifted by a common amount until the total fits.
func (j *Judge) scores(rec *turnFacts, seat int, target float64, r *rand.Rand) sotopia.Scores {
	other := 1 - seat
	var shape [sotopia.NumDimensions]float64
	shape[sotopia.Believability] = 8.5
	if seat == j.scripted {
		shape[sotopia.Believability] = 6.5 // fixed-rule behaviour reads as less natural
	}
	shape[sotopia.Relationship] = 5 + 10*(rec.Trust-j.trust0)
	shape[sotopia.Knowledge] = 10 * (1 - math.Exp(-rec.Info[seat]/4))
	shape[sotopia.Secret] = 10 - 1.5*rec.Leak[seat]
	shape[sotopia.SocialRules] = 10 - 1.5*rec.Violation[seat]
	switch j.sourceKind {
	case "competitive":
		shape[sotopia.Financial] = 5 + 8*(rec.Goal[seat]-rec.Goal[other])
	case "persuasion":
		shape[sotopia.Financial] = 5 + 4*(rec.Goal[seat]-rec.Goal[other])
	default:
		shape[sotopia.Financial] = 5 + 2*rec.Goal[seat]
	}
	shape[sotopia.Goal] = 10 * rec.Goal[seat]
	for d := range shape {
		shape[d] = clamp(shape[d]+shapeNoise*r.NormFloat64(), 0, 10)
	}
	points := fitPoints(shape, int(math.Round(70*clamp(target, 0, 1))))
	var s sotopia.Scores
	for d, p := range points {
		s[d] = float64(p) + sotopia.Dimensions[d].Min
	}
	return s
}

// fitPoints finds the shift delta with sum_d clamp(shape_d + w_d*delta, 0, 10) = total by
// bisection, then rounds to integers by largest remainder so the integers sum to total exactly.
func fitPoints(shape [sotopia.NumDimensions]float64, total int) [sotopia.NumDimensions]int {
	fitted := func(delta float64) (v [sotopia.NumDimensions]float64, sum float64) {
		for d := range shape {
			v[d] = clamp(shape[d]+dimWeights[d]*delta, 0, 10)
			sum += v[d]
		}
		return v, sum
	}
	lo, hi := -40.0, 40.0 // 40*min weight > 10: every dimension can reach both ends
	for range 60 {
		mid := (lo + hi) / 2
		if _, s := fitted(mid); s < float64(total) {
			lo = mid
		} else {
			hi = mid
		}
	}
	v, _ := fitted(hi)
	var out [sotopia.NumDimensions]int
	sum := 0
	for d, x := range v {
		out[d] = int(math.Floor(x + 1e-9))
		sum += out[d]
	}
	// Hand the missing (or surplus) points to the dimensions with the largest (smallest)
	// fractional parts that still have room; ties go to the lower dimension index.
	for sum != total {
		best, bestFrac := -1, 0.0
		for d, x := range v {
			frac := x - float64(out[d])
			if sum < total && out[d] < 10 && (best < 0 || frac > bestFrac) {
				best, bestFrac = d, frac
			}
			if sum > total && out[d] > 0 && (best < 0 || frac < bestFrac) {
				best, bestFrac = d, frac
			}
		}
		// A dimension that was just adjusted goes to the back of the queue.
		if sum < total {
			out[best]++
			sum++
			v[best] = float64(out[best])
		} else {
			out[best]--
			sum--
			v[best] = float64(out[best]) + 0.999
		}
	}
	return out
}
