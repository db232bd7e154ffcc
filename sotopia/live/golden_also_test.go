package live

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/also-project/also/internal/textdiff"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/sotopia"
)

// Golden tests of the ALSO artifact's prompts as the live world sends them: every expected text is
// built here from the template files' bytes (../data/also-prompts), a test-local Python
// format_docstring and sequential str.replace, and the real 2023 Sotopia episodes in
// ../testdata/episodes_sample.jsonl; none of it goes through the production renderers.

const alsoPromptDir = "../data/also-prompts/"

func alsoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(alsoPromptDir + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var pyIndentAfterNewline = regexp.MustCompile("\n +")

// pyFormatDocstring is sotopia.utils.format_docstring: re.sub("\n +", "\n", s).strip().
func pyFormatDocstring(s string) string {
	s = pyIndentAfterNewline.ReplaceAllString(s, "\n")
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) })
}

// pyReplaceInOrder is agenerate's `for key, value in input_values.items(): template =
// template.replace("{key}", value)`.
func pyReplaceInOrder(template string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		template = strings.ReplaceAll(template, "{"+pairs[i]+"}", pairs[i+1])
	}
	return template
}

// pyFormat is str.format with named fields for a template without other braces: one pass, so
// inserted values are never scanned again.
func pyFormat(t *testing.T, template string, values map[string]string) string {
	t.Helper()
	var b strings.Builder
	for {
		i := strings.IndexByte(template, '{')
		if i < 0 {
			b.WriteString(template)
			return b.String()
		}
		j := strings.IndexByte(template[i:], '}')
		if j < 0 {
			t.Fatalf("pyFormat: unterminated field in %q", template[i:])
		}
		v, ok := values[template[i+1:i+j]]
		if !ok {
			t.Fatalf("pyFormat: unfilled field in %q", template[i:])
		}
		b.WriteString(template[:i] + v)
		template = template[i+j+1:]
	}
}

// The test-local format_docstring must agree with the artifact transcriber's own derivation.
func TestPyFormatDocstringMatchesDerivedTemplates(t *testing.T) {
	for _, name := range []string{"agent_action.txt", "per_turn_judge.txt", "terminal_judge.txt"} {
		derived, err := os.ReadFile("../testdata/also_after_format_docstring/" + name)
		if err != nil {
			t.Fatal(err)
		}
		textdiff.Require(t, name, pyFormatDocstring(alsoFile(t, name)), string(derived))
	}
}

type loggedEpisode struct {
	EpisodeID        string               `json:"episode_id"`
	EnvironmentID    string               `json:"environment_id"`
	AgentIDs         []string             `json:"agent_ids"`
	RawMessages      [][]sotopia.Message  `json:"raw_messages"`
	RawRewardsPrompt string               `json:"raw_rewards_prompt"`
	Rewards          []map[string]float64 `json:"rewards"`
}

func loadLoggedEpisodes(t *testing.T) []loggedEpisode {
	t.Helper()
	f, err := os.Open("../testdata/episodes_sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []loggedEpisode
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var e loggedEpisode
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil || len(out) != 10 {
		t.Fatalf("%d episodes, %v", len(out), err)
	}
	return out
}

// loggedJudgeHistory is the transcript inside a logged stock-Sotopia judge prompt (the artifact
// builds the judges' {history} the same way), or false for the other logged prompts.
func loggedJudgeHistory(e loggedEpisode) (string, bool) {
	const head, tail = "Prompt after formatting:\n", ",\nBased on previous interactions"
	body, ok := strings.CutPrefix(e.RawRewardsPrompt, head)
	end := strings.Index(body, tail)
	if !ok || end < 0 {
		return "", false
	}
	return body[:end], true
}

var (
	loggedParticipants = regexp.MustCompile(`(?m)^Participants: (.+) and (.+)$`)
	loggedTurnMarker   = regexp.MustCompile(`(?m)^Turn #(\d+)$`)
)

// setupForJudgeContext finds the dataset scenario and agents whose environment view is exactly
// the logged context block, under era also.
func setupForJudgeContext(t *testing.T, context string) *sotopia.Setup {
	t.Helper()
	d := sotopia.MustEmbedded()
	m := loggedParticipants.FindStringSubmatch(context)
	if m == nil {
		t.Fatalf("no participants in %q", context)
	}
	var agents [sotopia.Seats]*sotopia.AgentProfile
	for seat, name := range m[1:] {
		for _, a := range d.Agents {
			if a.Name() == name {
				agents[seat] = a
			}
		}
		if agents[seat] == nil {
			t.Fatalf("no agent named %q", name)
		}
	}
	var found []*sotopia.Setup
	for _, id := range d.AllEnvIDs {
		s := &sotopia.Setup{Env: d.Envs[id], Agents: agents, Era: sotopia.EraALSO, MaxTurns: 20}
		if s.Validate() == nil && s.EnvironmentContext() == context {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d scenarios render the logged context, want 1", len(found))
	}
	return found[0]
}

// TestGoldenALSOJudgeRequests replays each logged judge transcript through the environment (era
// also) and the live judge, and checks every request the fake server received: the per-turn
// judge's on each non-terminating step and the terminal judge's at the end are the artifact's
// templates filled with the logged history up to that step, one user message at temperature 0
// with max_tokens 4096, sent to the per-turn and terminal models respectively.
func TestGoldenALSOJudgeRequests(t *testing.T) {
	perTurn := pyFormatDocstring(alsoFile(t, "per_turn_judge.txt"))
	terminal := pyFormatDocstring(alsoFile(t, "terminal_judge.txt"))
	schema := alsoFile(t, "format_instructions_sotopia_dimensions.txt")
	replayed := 0
	for _, e := range loadLoggedEpisodes(t) {
		history, ok := loggedJudgeHistory(e)
		if !ok {
			continue
		}
		marks := loggedTurnMarker.FindAllStringIndex(history, -1)
		if len(marks) < 2 {
			t.Fatalf("%s: %d turns in the logged transcript", e.EpisodeID, len(marks))
		}
		setup := setupForJudgeContext(t, history[:marks[0][0]-1])
		setup.MaxTurns = len(marks) // the last logged step ends the episode
		rig := newLiveRig(t, nil, nil)
		ew, err := rig.world.NewEpisode(t.Context(), sotopia.EpisodeSpec{Setup: setup, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		env, err := sotopia.NewEnv(setup)
		if err != nil {
			t.Fatal(err)
		}
		env.Reset()
		var want []string
		for k, m := range marks {
			end := len(history)
			if k+1 < len(marks) {
				end = marks[k+1][0] - 1
			}
			acting := k % sotopia.Seats
			act := sotopia.AgentAction{ActionType: sotopia.ActionNone}
			if block := history[m[1]:end]; block != "" {
				line, ok := strings.CutPrefix(block, "\n"+setup.Agents[acting].Name()+" ")
				if !ok {
					t.Fatalf("%s step %d: %q is not seat %d's line", e.EpisodeID, k+1, block, acting)
				}
				if act, err = sotopia.ParseRenderedAction(line); err != nil {
					t.Fatal(err)
				}
			}
			_, done, _, err := env.Step(acting, act)
			if err != nil {
				t.Fatal(err)
			}
			req := sotopia.JudgeRequest{Turn: env.Turn(), History: env.JudgeHistory()}
			if done != (k == len(marks)-1) {
				t.Fatalf("%s: episode done=%v after step %d of %d", e.EpisodeID, done, k+1, len(marks))
			}
			if done {
				_, err = ew.Judge.JudgeEpisode(t.Context(), req)
				want = append(want, pyReplaceInOrder(terminal, "history", history, "format_instructions", schema))
			} else {
				_, err = ew.Judge.JudgeTurn(t.Context(), req)
				want = append(want, pyReplaceInOrder(perTurn, "history", history[:end], "format_instructions", schema))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		reqs := rig.srv.Requests()
		if len(reqs) != len(want) {
			t.Fatalf("%s: %d requests, want %d", e.EpisodeID, len(reqs), len(want))
		}
		for i, r := range reqs {
			what := e.EpisodeID + " judge request " + r.Model
			if len(r.Messages) != 1 || r.Messages[0].Role != "user" {
				t.Fatalf("%s: messages %+v, want one user message", what, r.Messages)
			}
			textdiff.Require(t, what, r.Messages[0].Content, want[i])
			if r.Temperature == nil || *r.Temperature != 0 || r.MaxTokens != 4096 || r.ResponseFormat != nil {
				t.Errorf("%s: temperature %v, max_tokens %d, response_format %s; want 0, 4096, none", what, r.Temperature, r.MaxTokens, r.ResponseFormat)
			}
			wantModel := "deepseek/deepseek-v3.2"
			if i == len(reqs)-1 {
				wantModel = "openai/gpt-4o"
			}
			if r.Model != wantModel {
				t.Errorf("%s: sent to %s, want %s", what, r.Model, wantModel)
			}
		}
		replayed++
	}
	if replayed != 7 {
		t.Errorf("%d logged judge transcripts replayed, want all 7", replayed)
	}
}

// TestGoldenALSOJudgePromptsSotopiaOption: --judge-prompt sotopia sends Sotopia's stock prompt to
// both judges.
func TestGoldenALSOJudgePromptsSotopiaOption(t *testing.T) {
	rig := newLiveRig(t, nil, func(c *Config) { c.JudgePrompts = sotopia.JudgePromptsSotopia })
	ew, err := rig.world.NewEpisode(t.Context(), sotopia.EpisodeSpec{Setup: rig.setup, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	history := rig.setup.EnvironmentContext() + "\nTurn #1\n" + rig.setup.Agents[0].Name() + ` said: "hi"`
	if _, err := ew.Judge.JudgeTurn(t.Context(), sotopia.JudgeRequest{Turn: 1, History: history}); err != nil {
		t.Fatal(err)
	}
	if _, err := ew.Judge.JudgeEpisode(t.Context(), sotopia.JudgeRequest{Turn: 1, History: history}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rig.srv.Requests() {
		textdiff.Require(t, "stock judge prompt", r.Prompt(), sotopia.JudgePrompt(history))
		if !strings.HasPrefix(r.Prompt(), history+",\nBased on previous interactions, evaluate how well participants achieve their goals.\nPlease following the format:\nThe output should be formatted as a JSON instance") {
			t.Errorf("not the stock prompt: %q", r.Prompt()[len(history):len(history)+200])
		}
	}
	if _, err := New(func() Config { c := DefaultConfig(); c.Router = rig.router; c.JudgePrompts = "stock"; return c }()); err == nil ||
		!strings.Contains(err.Error(), "JudgePrompts") {
		t.Errorf("unknown judge prompt accepted: %v", err)
	}
}

// With the artifact's prompts an unparsable judge answer gets one fix-up call per attempt, as
// agenerate does: format_bad_output.txt over the fence-stripped answer and the judge's schema,
// on the judge's model, response_format json_object, no temperature or max_tokens.
func TestALSOJudgeFixUpCall(t *testing.T) {
	rig := newLiveRig(t, nil, nil)
	ew, err := rig.world.NewEpisode(t.Context(), sotopia.EpisodeSpec{Setup: rig.setup, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	history := rig.setup.EnvironmentContext() + "\nTurn #1\n" + rig.setup.Agents[0].Name() + ` said: "hi"`
	outOfRange := goodScores
	outOfRange[1][sotopia.Goal] = 11
	rig.srv.Enqueue(llmtest.Reply{Content: "```json\nI think both did fine.\n```"},
		llmtest.Reply{Content: evaluationJSON(outOfRange)}, llmtest.Reply{Content: evaluationJSON(goodScores)})
	j, err := ew.Judge.JudgeTurn(t.Context(), sotopia.JudgeRequest{Turn: 1, History: history})
	if err != nil || j.Scores != goodScores {
		t.Fatalf("judgement %v, %v", j.Scores, err)
	}
	reqs := rig.srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want answer, fix-up, second answer", len(reqs))
	}
	schema := alsoFile(t, "format_instructions_sotopia_dimensions.txt")
	want := pyFormat(t, alsoFile(t, "format_bad_output.txt"), map[string]string{"ill_formed_output": "I think both did fine.", "format_instructions": schema})
	fix := reqs[1]
	textdiff.Require(t, "judge fix-up", fix.Prompt(), want)
	if fix.Model != reqs[0].Model || fix.Temperature != nil || fix.MaxTokens != 0 || !strings.Contains(string(fix.ResponseFormat), `"json_object"`) {
		t.Errorf("fix-up: model %s, temperature %v, max_tokens %d, response_format %s", fix.Model, fix.Temperature, fix.MaxTokens, fix.ResponseFormat)
	}
	if reqs[2].Prompt() != reqs[0].Prompt() || *reqs[2].Temperature != 0 {
		t.Error("the second attempt is not the same judge request")
	}

	// Every attempt and its fix-up unusable: an error, never zero scores.
	for range 3 {
		rig.srv.Enqueue(llmtest.Reply{Content: "no"}, llmtest.Reply{Content: "{}"})
	}
	_, err = ew.Judge.JudgeEpisode(t.Context(), sotopia.JudgeRequest{Turn: 1, History: history})
	if !errors.Is(err, ErrJudgeOutput) || !strings.Contains(err.Error(), "3 attempts") || !strings.Contains(err.Error(), "after the fix-up call") {
		t.Errorf("got %v", err)
	}
	if n := len(rig.srv.Requests()); n != 3+6 {
		t.Errorf("%d requests, want 6 more", n-3)
	}
}
