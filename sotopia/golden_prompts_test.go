package sotopia

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/also-project/also/internal/textdiff"
)

// Golden tests against the 10 released 2023 episodes in testdata/episodes_sample.jsonl. Their
// raw_rewards_prompt is one prompt LangChain logged during the same batch, usually of another
// episode: 7 are judge prompts, 2 agent action prompts and 1 a reformat (fix-up) prompt whose
// "Original string" is a real GPT-4 judge output.

const (
	loggedPromptPrefix = "Prompt after formatting:\n"
	loggedPromptSuffix = "\x1b[0m" // LangChain's colour reset after the logged prompt
)

type promptFixture struct {
	EpisodeID        string               `json:"episode_id"`
	Codename         string               `json:"codename"`
	RawRewardsPrompt string               `json:"raw_rewards_prompt"`
	Reasoning        string               `json:"reasoning"`
	Rewards          []map[string]float64 `json:"rewards"`
	RawRewards       []SeatReward         `json:"raw_rewards"`
	AgentsBackground map[string]string    `json:"agents_background"`
}

type promptKind int

const (
	judgePromptKind promptKind = iota
	agentPromptKind
	reformatPromptKind
)

func loadPromptFixtures(t *testing.T) []promptFixture {
	t.Helper()
	f, err := os.Open("testdata/episodes_sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []promptFixture
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var e promptFixture
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("fixture line %d: %v", len(out)+1, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) != 10 {
		t.Fatalf("%d fixture episodes, want 10", len(out))
	}
	return out
}

// loggedPrompt strips LangChain's log decoration and classifies the prompt.
func loggedPrompt(t *testing.T, e promptFixture) (string, promptKind) {
	t.Helper()
	p := e.RawRewardsPrompt
	if !strings.HasPrefix(p, loggedPromptPrefix) || !strings.HasSuffix(p, loggedPromptSuffix) {
		t.Fatalf("%s: raw_rewards_prompt is not a LangChain-logged prompt", e.EpisodeID)
	}
	body := strings.TrimSuffix(strings.TrimPrefix(p, loggedPromptPrefix), loggedPromptSuffix)
	switch {
	case strings.HasPrefix(body, "Imagine you are "):
		return body, agentPromptKind
	case strings.HasPrefix(strings.TrimSpace(body), "Given the string that can not be parsed"):
		return body, reformatPromptKind
	case strings.Contains(body, ",\nBased on previous interactions, evaluate how well participants achieve their goals."):
		return body, judgePromptKind
	}
	t.Fatalf("%s: unrecognised logged prompt %q", e.EpisodeID, body[:min(len(body), 80)])
	return "", 0
}

func TestGoldenJudgePrompts(t *testing.T) {
	matched := 0
	for _, e := range loadPromptFixtures(t) {
		body, kind := loggedPrompt(t, e)
		if kind != judgePromptKind {
			continue
		}
		history := body[:strings.Index(body, ",\nBased on previous interactions")]
		textdiff.Require(t, e.EpisodeID+" judge prompt", JudgePrompt(history), body)
		checkJudgeTranscript(t, e.EpisodeID, history)
		matched++
	}
	if matched != 7 {
		t.Errorf("%d judge prompts matched, want all 7", matched)
	}
}

var (
	participantsLine = regexp.MustCompile(`(?m)^Participants: (.+) and (.+)$`)
	judgeTurnLine    = regexp.MustCompile(`^Turn #\d+$`)
)

// checkJudgeTranscript parses every "<Name> <rendered action>" line of a judge history back into
// an action and renders it again.
func checkJudgeTranscript(t *testing.T, id, history string) {
	t.Helper()
	m := participantsLine.FindStringSubmatch(history)
	if m == nil {
		t.Fatalf("%s: no participants line", id)
	}
	names := m[1:]
	turns := strings.Index(history, "\nTurn #1\n")
	if turns < 0 {
		t.Fatalf("%s: no Turn #1 in judge history", id)
	}
	lines := 0
	for _, line := range strings.Split(history[turns+1:], "\n") {
		if judgeTurnLine.MatchString(line) {
			continue
		}
		checkRenderedLine(t, id, line, names)
		lines++
	}
	if lines == 0 {
		t.Errorf("%s: judge history has no action lines", id)
	}
	t.Logf("%s: judge prompt matches byte for byte; %d transcript lines re-parsed", id, lines)
}

func checkRenderedLine(t *testing.T, id, line string, names []string) {
	t.Helper()
	for _, n := range names {
		if rest, ok := strings.CutPrefix(line, n+" "); ok {
			a, err := ParseRenderedAction(rest)
			if err != nil {
				t.Errorf("%s: %v", id, err)
				return
			}
			if a.Render() != rest {
				t.Errorf("%s: %q re-renders as %q", id, rest, a.Render())
			}
			return
		}
	}
	t.Errorf("%s: line %q starts with no participant name %v", id, line, names)
}

var (
	agentNameRe  = regexp.MustCompile(`^Imagine you are (.+?), your task`)
	agentTurnRe  = regexp.MustCompile(`\.\nYou are at Turn #(\d+)\. Your available action types are\n(.*)\.\nNote: You can "leave"`)
	agentHistory = "(e.g., do not repeat what other people has already said before).\n"
)

func TestGoldenAgentPrompts(t *testing.T) {
	matched := 0
	for _, e := range loadPromptFixtures(t) {
		body, kind := loggedPrompt(t, e)
		if kind != agentPromptKind {
			continue
		}
		name := agentNameRe.FindStringSubmatch(body)[1]
		tm := agentTurnRe.FindStringSubmatchIndex(body)
		if tm == nil {
			t.Fatalf("%s: no turn/action-list sentence", e.EpisodeID)
		}
		turn, _ := strconv.Atoi(body[tm[2]:tm[3]])
		actions := splitActionList(t, body[tm[4]:tm[5]])
		history := body[strings.Index(body, agentHistory)+len(agentHistory) : tm[0]]

		textdiff.Require(t, e.EpisodeID+" 2023 agent prompt", ActionPromptFor(Era2023, name, history, turn, actions), body)

		// Intentional difference: the benchmark-era template rewrote exactly two sentences (see
		// actionWhereBenchmark); everything else is the same text.
		bench := strings.Replace(body, strings.ReplaceAll(actionWhere2023, "{agent}", name),
			strings.ReplaceAll(actionWhereBenchmark, "{agent}", name), 1)
		if bench == body {
			t.Fatalf("%s: 2023 sentences not found", e.EpisodeID)
		}
		textdiff.Require(t, e.EpisodeID+" benchmark agent prompt", ActionPrompt(name, history, turn, actions), bench)

		checkAgentHistory(t, e.EpisodeID, history)
		matched++
	}
	if matched != 2 {
		t.Errorf("%d agent prompts matched, want both", matched)
	}
}

// splitActionList splits Sotopia's space-joined action list ("non-verbal communication" has a space).
func splitActionList(t *testing.T, s string) []ActionType {
	t.Helper()
	var out []ActionType
	for s != "" {
		found := false
		for _, a := range AllActionTypes {
			if rest, ok := strings.CutPrefix(s, string(a)); ok && (rest == "" || rest[0] == ' ') {
				out, s, found = append(out, a), strings.TrimPrefix(rest, " "), true
				break
			}
		}
		if !found {
			t.Fatalf("action list %q: unknown action", s)
		}
	}
	return out
}

var agentTurnLine = regexp.MustCompile(`^Turn #\d+: (.*)$`)

// checkAgentHistory re-parses the "Turn #k: <Name> <action>" observation lines of an agent history.
func checkAgentHistory(t *testing.T, id, history string) {
	t.Helper()
	names := participantsLine.FindStringSubmatch(history)[1:]
	lines := 0
	for _, line := range strings.Split(history, "\n") {
		m := agentTurnLine.FindStringSubmatch(line)
		if m == nil || m[1] == "" { // "Turn #6: " = both seats did nothing that step
			continue
		}
		checkRenderedLine(t, id, m[1], names)
		lines++
	}
	if lines == 0 {
		t.Errorf("%s: agent history has no turn lines", id)
	}
	t.Logf("%s: agent prompt matches byte for byte (2023 wording); %d turn lines re-parsed", id, lines)
}

var (
	reformatOriginal = "\n    Original string: "
	reformatFormat   = "\n\n    Format instructions: "
	reformatEnd      = "\n\n    Please only generate the JSON:\n    "
)

func TestGoldenReformatPrompt(t *testing.T) {
	matched := 0
	for _, e := range loadPromptFixtures(t) {
		body, kind := loggedPrompt(t, e)
		if kind != reformatPromptKind {
			continue
		}
		i, j := strings.Index(body, reformatOriginal), strings.Index(body, reformatFormat)
		if i < 0 || j < i || !strings.HasSuffix(body, reformatEnd) {
			t.Fatalf("%s: reformat prompt layout changed", e.EpisodeID)
		}
		original := body[i+len(reformatOriginal) : j]
		textdiff.Require(t, e.EpisodeID+" reformat instructions", body[j+len(reformatFormat):len(body)-len(reformatEnd)], JudgeFormatInstructions())
		textdiff.Require(t, e.EpisodeID+" reformat prompt", ReformatPrompt(original, JudgeFormatInstructions()), body)
		checkLoggedJudgeOutput(t, e, original)
		matched++
	}
	if matched != 1 {
		t.Errorf("%d reformat prompts matched, want 1", matched)
	}
}

// checkLoggedJudgeOutput parses the real judge output Sotopia could not validate: its "knowledge"
// pairs carry two reasoning strings before the score.
func checkLoggedJudgeOutput(t *testing.T, e promptFixture, original string) {
	t.Helper()
	ev, err := ParseEvaluation(original)
	if err != nil {
		t.Fatalf("%s: logged judge output: %v", e.EpisodeID, err)
	}
	for seat, s := range ev.Scores {
		if err := s.Validate(); err != nil {
			t.Errorf("seat %d: %v", seat, err)
		}
	}
	if storedComments(t, e) == ev.Comments {
		requireSameScores(t, e.EpisodeID, ev.Scores, e)
		return
	}
	// Not this episode's output (it judges Samuel Anderson and Noah Davis sharing a blanket, while
	// this episode is Samuel and Ethan Johnson): check the values as written in the output.
	want := [Seats]Scores{{9, 1, 0, 0, 0, 0, 5}, {9, -1, 0, 0, 0, 0, 5}}
	if ev.Scores != want {
		t.Errorf("%s: logged judge output scored %v, want %v", e.EpisodeID, ev.Scores, want)
	}
	if got := ev.Reasoning[0][Knowledge]; got != "Samuel does not gain any new or important knowledge through this interaction. Samuel already knew about the cold weather and the need for warmth." {
		t.Errorf("joined knowledge reasoning %q", got)
	}
}
