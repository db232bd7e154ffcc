package page

import (
	"bytes"
	"strings"
	"testing"

	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
)

func TestEpisodeBrowserShowsArmTextProbabilityAndReward(t *testing.T) {
	r := 0.625
	ep := &sotopia.EpisodeLog{TaskID: "T1", Codename: "c1", Status: sotopia.StatusDone,
		Messages: [][]sotopia.Message{{{Sender: "Environment", Receiver: "Ann"}, {Sender: "Environment", Receiver: "Bob"}}},
		Turns: []sotopia.TurnRecord{{Turn: 1, Seat: 1, Action: sotopia.AgentAction{ActionType: "speak", Argument: "hello <there>"},
			Seats: []sotopia.SeatTurn{{Arm: 1, ArmID: "s1", ArmProb: 0.25, Reward: &r}, {Arm: 2, ArmID: "new", ArmText: "made by the optimiser"}}}}}
	imported := &sotopia.EpisodeLog{TaskID: "T2", Status: sotopia.StatusDone,
		Messages: [][]sotopia.Message{{{Sender: "Environment", Receiver: "Ann", Text: "context"}, {Sender: "Ann", Receiver: "Bob", Text: "said: hi Bob"}}}}
	pool := []sotopia.Strategy{{ID: "none"}, {ID: "s1", Description: "be kind"}}
	c, err := report.Compare([]report.TagEpisodes{{Tag: "t", Episodes: []*sotopia.EpisodeLog{ep, imported}}}, "all", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, Doc{Title: "x", Tags: []TagInfo{{Name: "t", Pool: pool, Episodes: []*sotopia.EpisodeLog{ep, imported}}}, All: c, Hard: c}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		"<b>Bob</b>", "hello &lt;there&gt;", // the acting seat by name; text escaped
		`<span class="prob">0.250</span>`, `<span class="reward">0.625</span>`,
		`<div class="armtext">be kind</div>`, `<div class="armtext">made by the optimiser</div>`,
		"Ann: arm · probability · reward", "the message log", "said: hi Bob",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(html, ">context<") {
		t.Error("the environment's context is shown as a turn")
	}
}
