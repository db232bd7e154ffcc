package sotopia

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// goldenEpisode is one line of testdata/episodes_sample.jsonl (Sotopia's episode JSONL export).
type goldenEpisode struct {
	EpisodeID        string               `json:"episode_id"`
	EnvironmentID    string               `json:"environment_id"`
	AgentIDs         []string             `json:"agent_ids"`
	Tag              string               `json:"experiment_tag"`
	RawMessages      [][]Message          `json:"raw_messages"`
	RawRewards       []SeatReward         `json:"raw_rewards"`
	RawRewardsPrompt string               `json:"raw_rewards_prompt"`
	Reasoning        string               `json:"reasoning"`
	Rewards          []map[string]float64 `json:"rewards"`
}

func loadGoldenEpisodes(t *testing.T) []goldenEpisode {
	t.Helper()
	f, err := os.Open("testdata/episodes_sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []goldenEpisode
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		var e goldenEpisode
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("episodes_sample.jsonl:%d: %v", line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// goldenSetup builds the episode's Setup from the embedded dataset, with the 2023 rules the
// released episodes were generated under.
func goldenSetup(t *testing.T, e goldenEpisode) *Setup {
	t.Helper()
	d := MustEmbedded()
	env, agents, err := d.Resolve(Task{PK: e.EpisodeID, EnvID: e.EnvironmentID, AgentIDs: e.AgentIDs})
	if err != nil {
		t.Fatalf("%s: %v", e.EpisodeID, err)
	}
	return &Setup{Env: env, Agents: agents, Era: Era2023, MaxTurns: 20}
}

// goldenParseAction turns an action's natural-language log text back into the action.
func goldenParseAction(text string) (AgentAction, error) {
	switch {
	case text == "did nothing":
		return AgentAction{ActionType: ActionNone}, nil
	case text == "left the conversation":
		return AgentAction{ActionType: ActionLeave}, nil
	case strings.HasPrefix(text, `said: "`) && strings.HasSuffix(text, `"`) && len(text) >= len(`said: ""`):
		return AgentAction{ActionType: ActionSpeak, Argument: text[len(`said: "`) : len(text)-1]}, nil
	case strings.HasPrefix(text, "[non-verbal communication] "):
		return AgentAction{ActionType: ActionNonVerbal, Argument: strings.TrimPrefix(text, "[non-verbal communication] ")}, nil
	case strings.HasPrefix(text, "[action] "):
		return AgentAction{ActionType: ActionAction, Argument: strings.TrimPrefix(text, "[action] ")}, nil
	}
	return AgentAction{}, fmt.Errorf("unrecognised action text %q", text)
}

// goldenNormaliseSpace collapses every whitespace run to one space and trims the ends.
func goldenNormaliseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// goldenFixtureException is a documented, narrow difference between a released 2023 episode and what
// the embedded (normalised) dataset renders: one episode, one field, one rewrite of the logged
// text. The golden test fails if an exception is no longer needed, so none can go stale.
type goldenFixtureException struct {
	episode, field, reason string
	fix                    func(logged string) string
}

// goldenJudgeHistory cuts the transcript out of a logged judge prompt ("Prompt after
// formatting:\n<history>,\nBased on previous interactions..."); ok is false for the fixtures whose
// raw_rewards_prompt holds another prompt (an agent or a format-repair prompt).
func goldenJudgeHistory(prompt string) (string, bool) {
	const head, tail = "Prompt after formatting:\n", ",\nBased on previous interactions"
	end := strings.Index(prompt, tail)
	if !strings.HasPrefix(prompt, head) || end < 0 {
		return "", false
	}
	return prompt[len(head):end], true
}

// goldenFirstDiff shows where two strings part, for readable failures.
func goldenFirstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-60)
	return fmt.Sprintf("at byte %d:\n got: %q\nwant: %q", i, got[lo:min(len(got), i+60)], want[lo:min(len(want), i+60)])
}

var goldenTurnMarker = regexp.MustCompile(`(?m)^Turn #(\d+)$`)

// goldenJudgeTranscript is a logged judge transcript split into its context block and, per step, the
// acting seat's logged line ("" when it did nothing: Sotopia drops those lines).
type goldenJudgeTranscript struct {
	context string
	steps   []string
}

func goldenSplitJudgeTranscript(h string) (goldenJudgeTranscript, error) {
	marks := goldenTurnMarker.FindAllStringSubmatchIndex(h, -1)
	if len(marks) == 0 {
		return goldenJudgeTranscript{}, fmt.Errorf("no Turn markers")
	}
	jt := goldenJudgeTranscript{context: strings.TrimSuffix(h[:marks[0][0]], "\n")}
	for i, m := range marks {
		if n, _ := strconv.Atoi(h[m[2]:m[3]]); n != i+1 {
			return jt, fmt.Errorf("marker %d says Turn #%d", i+1, n)
		}
		end := len(h)
		if i+1 < len(marks) {
			end = marks[i+1][0]
		}
		block := strings.TrimSuffix(strings.TrimPrefix(h[m[1]:end], "\n"), "\n")
		jt.steps = append(jt.steps, block)
	}
	return jt, nil
}

// goldenSetupForContext finds the one dataset scenario and seat order whose environment view renders
// exactly the given context block (the participants' names pick the agents).
func goldenSetupForContext(context string) (*Setup, error) {
	d := MustEmbedded()
	line := regexp.MustCompile(`(?m)^Participants: (.*) and (.*)$`).FindStringSubmatch(context)
	if line == nil {
		return nil, fmt.Errorf("no Participants line")
	}
	var agents [Seats]*AgentProfile
	for seat, name := range line[1:] {
		for _, a := range d.Agents {
			if a.Name() == name {
				if agents[seat] != nil {
					return nil, fmt.Errorf("two agents are named %q", name)
				}
				agents[seat] = a
			}
		}
		if agents[seat] == nil {
			return nil, fmt.Errorf("no agent named %q", name)
		}
	}
	var found []*Setup
	for _, id := range d.AllEnvIDs {
		s := &Setup{Env: d.Envs[id], Agents: agents, Era: Era2023, MaxTurns: 20}
		if s.Validate() == nil && s.EnvironmentContext() == context {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%d scenarios render this context exactly, want 1", len(found))
	}
	return found[0], nil
}

var goldenObsMarker = regexp.MustCompile(`(?m)^Turn #(\d+): `)

// goldenAgentPromptHistory cuts an LLM agent's {history} out of a logged 2023 action prompt, with the
// seat's name and the turn it was asked at; ok is false for other prompts.
func goldenAgentPromptHistory(prompt string) (name, history string, turn int, ok bool) {
	m := regexp.MustCompile(`^Prompt after formatting:\nImagine you are (.+?), your task`).FindStringSubmatch(prompt)
	start := strings.Index(prompt, "\nHere is the context of this interaction:\n")
	end := regexp.MustCompile(`\.\nYou are at Turn #(\d+)\.`).FindStringSubmatchIndex(prompt)
	if m == nil || start < 0 || end == nil {
		return "", "", 0, false
	}
	turn, _ = strconv.Atoi(prompt[end[2]:end[3]])
	return m[1], prompt[start:end[0]], turn, true
}

// goldenSplitAgentHistory splits a history into its observations: the turn-0 context, then one
// "Turn #k: ...\n" text per step (History joins them with "\n").
func goldenSplitAgentHistory(h string) (context string, turns []string, err error) {
	marks := goldenObsMarker.FindAllStringSubmatchIndex(h, -1)
	if len(marks) == 0 {
		return h, nil, nil
	}
	context = strings.TrimSuffix(h[:marks[0][0]], "\n")
	for i, m := range marks {
		if n, _ := strconv.Atoi(h[m[2]:m[3]]); n != i {
			return "", nil, fmt.Errorf("observation %d says Turn #%d", i, n)
		}
		end := len(h)
		if i+1 < len(marks) {
			end = marks[i+1][0] - 1 // the "\n" History puts between observations
		}
		turns = append(turns, h[m[0]:end])
	}
	return context, turns, nil
}

// goldenSetupForAgentContext finds the one scenario whose turn-0 context for the named seat is exactly
// the given text.
func goldenSetupForAgentContext(name, context string) (*Setup, int, error) {
	d := MustEmbedded()
	line := regexp.MustCompile(`(?m)^Participants: (.*) and (.*)$`).FindStringSubmatch(context)
	if line == nil {
		return nil, 0, fmt.Errorf("no Participants line")
	}
	var agents [Seats]*AgentProfile
	seat := -1
	for i, n := range line[1:] {
		for _, a := range d.Agents {
			if a.Name() == n {
				agents[i] = a
			}
		}
		if agents[i] == nil {
			return nil, 0, fmt.Errorf("no agent named %q", n)
		}
		if n == name {
			seat = i
		}
	}
	if seat < 0 {
		return nil, 0, fmt.Errorf("%s is not a participant", name)
	}
	var found []*Setup
	for _, id := range d.AllEnvIDs {
		s := &Setup{Env: d.Envs[id], Agents: agents, Era: Era2023, MaxTurns: 20}
		if s.Validate() == nil && s.ContextFor(seat, "") == context {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		return nil, 0, fmt.Errorf("%d scenarios render this context exactly, want 1", len(found))
	}
	return found[0], seat, nil
}
