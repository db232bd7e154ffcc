package session

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/also-project/also/llm/fakellm"
	"github.com/also-project/also/sotopia"
)

// sotopiaScript plays every role of a live run on a fakellm server, deterministically: agent
// prompts get a speak action whose utterance carries a token derived from the prompt, judge
// prompts get Sotopia-Eval JSON with the scores judge(model, last token) returns, and embedding
// requests get fakellm's hash vectors. Token counts are set explicitly (not fakellm's estimate),
// so a test can add up exactly what the server reported. The bench and the tests share it.
type sotopiaScript struct {
	// judge scores a judge request by its model id and the token of the newest utterance in the
	// transcript; nil means judgeFromToken.
	judge func(model, token string) [sotopia.Seats]sotopia.Scores
	// onReply, if set, sees every scripted reply (handlers run under the server's lock, so it
	// may keep state without its own mutex). A fault injected by the server replaces the reply
	// after this point: it then never reaches the client.
	onReply func(req fakellm.Request, r fakellm.Reply)
}

// Markers that tell the roles' prompts apart (sotopia/prompts.go, sotopia/judge.go).
const (
	judgeMarker    = "evaluate how well participants achieve their goals"
	agentMarker    = "Imagine you are "
	reformatMarker = "Given the string that can not be parsed by json parser"
)

var utteranceToken = regexp.MustCompile(`\[tok-[0-9a-f]{12}\]`)

// promptToken names the utterance answering a prompt.
func promptToken(prompt string) string {
	h := sha256.Sum256([]byte(prompt))
	return "[tok-" + hex.EncodeToString(h[:6]) + "]"
}

// lastToken is the newest utterance token in a transcript ("" before anyone spoke).
func lastToken(text string) string {
	all := utteranceToken.FindAllString(text, -1)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1]
}

func (s sotopiaScript) handle(req fakellm.Request) fakellm.Reply {
	var r fakellm.Reply
	prompt := req.Prompt()
	switch {
	case req.Kind == fakellm.KindEmbeddings:
		chars := 0
		for _, in := range req.Input {
			chars += len(in)
		}
		r = fakellm.Reply{PromptTokens: int64(chars/3 + 1)}
	case strings.Contains(prompt, judgeMarker):
		judge := s.judge
		if judge == nil {
			judge = judgeFromToken
		}
		r = fakellm.Reply{Content: evaluationJSON(judge(req.Model, lastToken(prompt)))}
	case strings.Contains(prompt, agentMarker) || strings.Contains(prompt, reformatMarker):
		r = fakellm.Reply{Content: speakJSON("I see your point, and here is mine. " + promptToken(prompt))}
	default:
		r = fakellm.Reply{Status: 400, ErrorMessage: "sotopiaScript: unrecognised prompt"}
	}
	if req.Kind == fakellm.KindChat && r.Status == 0 {
		r.PromptTokens = int64(len(prompt)/3 + 7)
		r.CompletionTokens = int64(len(r.Content)/3 + 5)
		r.CachedTokens = r.PromptTokens / 4
	}
	if s.onReply != nil {
		s.onReply(req, r)
	}
	return r
}

// judgeFromToken derives in-range scores for both seats from the model and the token.
func judgeFromToken(model, token string) [sotopia.Seats]sotopia.Scores {
	h := sha256.Sum256([]byte(model + "|" + token))
	var out [sotopia.Seats]sotopia.Scores
	for seat := range sotopia.Seats {
		for d, info := range sotopia.Dimensions {
			span := int(info.Max - info.Min)
			out[seat][d] = info.Min + float64(int(h[seat*int(sotopia.NumDimensions)+d])%(span+1))
		}
	}
	return out
}

// evaluationJSON renders scores as the paper-era judge answer.
func evaluationJSON(s [sotopia.Seats]sotopia.Scores) string {
	out := map[string]map[string][2]any{}
	for seat := range sotopia.Seats {
		m := map[string][2]any{}
		for d, info := range sotopia.Dimensions {
			m[info.Key] = [2]any{"scripted " + info.Key, s[seat][d]}
		}
		out[fmt.Sprintf("agent_%d_evaluation", seat+1)] = m
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func speakJSON(text string) string {
	b, _ := json.Marshal(map[string]string{"action_type": "speak", "argument": text})
	return string(b)
}
