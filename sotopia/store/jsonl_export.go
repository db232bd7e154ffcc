package store

import (
	"bufio"
	"fmt"
	"github.com/also-project/also/sotopia/pyjson"
	"io"
	"strings"

	"github.com/also-project/also/sotopia"
)

// ExportJSONL writes episodes in Sotopia's episode JSONL format, formatted as Sotopia's Python
// writes it (so exporting imported Sotopia episodes reproduces their lines byte for byte). The
// scenario, agents_background and social_goals come from the dataset and are left out when it does
// not know the scenario or an agent; codename falls back to the episode's own; social_interactions
// is derived from the messages as Sotopia's serializer does. A failed judge's reward is written as
// Sotopia's bare 0.0 in raw_rewards and as {} in rewards. Our own fields (task, seed, status,
// turns, usage) have no place in the format and are not written.
func ExportJSONL(w io.Writer, eps []*sotopia.EpisodeLog, ds *sotopia.Dataset) error {
	bw := bufio.NewWriter(w)
	for _, ep := range eps {
		if ep == nil {
			return fmt.Errorf("export: nil episode")
		}
		bw.WriteString(exportLine(ep, ds))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func exportLine(ep *sotopia.EpisodeLog, ds *sotopia.Dataset) string {
	turns := make([]string, len(ep.Messages))
	for i, turn := range ep.Messages {
		msgs := make([]string, len(turn))
		for j, m := range turn {
			msgs[j] = pyjson.Strings([]string{m.Sender, m.Receiver, m.Text})
		}
		turns[i] = pyjson.List(msgs)
	}
	raw := make([]string, len(ep.Rewards))
	dicts := make([]string, len(ep.Rewards))
	for i, r := range ep.Rewards {
		if !r.Valid {
			raw[i], dicts[i] = pyjson.Float(r.Overall), "{}"
			continue
		}
		dicts[i] = pyScores(r.Scores)
		raw[i] = pyjson.List([]string{pyjson.Float(r.Overall), dicts[i]})
	}
	ms := []pyjson.Member{
		pyjson.M("episode_id", pyjson.String(ep.PK)),
		pyjson.M("environment_id", pyjson.String(ep.Environment)),
		pyjson.M("agent_ids", pyjson.Strings(ep.Agents)),
		pyjson.M("experiment_tag", pyjson.String(ep.Tag)),
		pyjson.M("experiment_model_name_pairs", pyjson.Strings(ep.Models)),
		pyjson.M("raw_messages", pyjson.List(turns)),
		pyjson.M("raw_rewards", pyjson.List(raw)),
		pyjson.M("raw_rewards_prompt", pyjson.String(ep.RewardsPrompt)),
	}
	var env *sotopia.EnvironmentProfile
	var agents []*sotopia.AgentProfile
	if ds != nil {
		env = ds.Envs[ep.Environment]
		for _, id := range ep.Agents {
			if a, ok := ds.Agents[id]; ok {
				agents = append(agents, a)
			}
		}
	}
	codename := ep.Codename
	if env != nil {
		ms = append(ms, pyjson.M("scenario", pyjson.String(env.Scenario)))
		codename = env.Codename
	}
	if codename != "" {
		ms = append(ms, pyjson.M("codename", pyjson.String(codename)))
	}
	if env != nil && len(agents) == len(ep.Agents) && len(env.AgentGoals) >= len(agents) {
		var bg, goals []pyjson.Member
		for i, a := range agents {
			name := a.FirstName + " " + a.LastName
			bg = setMember(bg, name, pyjson.String(exportBio(a)))
			goals = setMember(goals, name, pyjson.String(env.AgentGoals[i]))
		}
		ms = append(ms, pyjson.M("agents_background", pyjson.Object(bg...)), pyjson.M("social_goals", pyjson.Object(goals...)))
	}
	ms = append(ms,
		pyjson.M("social_interactions", pyjson.String(socialInteractions(ep))),
		pyjson.M("reasoning", pyjson.String(ep.Reasoning)),
		pyjson.M("rewards", pyjson.List(dicts)))
	return pyjson.Object(ms...)
}

// setMember is Python's d[k] = v: a repeated key keeps its place and takes the new value.
func setMember(ms []pyjson.Member, k, v string) []pyjson.Member {
	for i := range ms {
		if ms[i].Key == k {
			ms[i].Value = v
			return ms
		}
	}
	return append(ms, pyjson.M(k, v))
}

func pyScores(s sotopia.Scores) string {
	ms := make([]pyjson.Member, 0, sotopia.NumDimensions+1)
	for i, d := range sotopia.Dimensions {
		ms = append(ms, pyjson.M(d.Key, pyjson.Float(s[i])))
	}
	return pyjson.Object(append(ms, pyjson.M("overall_score", pyjson.Float(s.Overall())))...)
}

// exportBio is the background sentence of Sotopia's serializer (database/serialization.py), which
// always includes the secret.
func exportBio(a *sotopia.AgentProfile) string {
	gender := map[string]string{"Man": "male", "Woman": "female", "Nonbinary": "nonbinary"}[a.Gender]
	if gender == "" {
		gender = strings.ToLower(a.Gender)
	}
	return fmt.Sprintf("%s %s is a %d-year-old %s %s. %s pronouns. %s Personality and values description: %s %s's secrets: %s",
		a.FirstName, a.LastName, a.Age, gender, strings.ToLower(a.Occupation), a.GenderPronoun, a.PublicInfo,
		a.PersonalityAndValues, a.FirstName, a.Secret)
}

// socialInteractions is Sotopia's human-readable transcript: EpisodeLog.render_for_humans's
// per-turn texts without the final observations, reasoning and rewards, the first turn cut to what
// follows "Conversation Starts:" (script-mode tags skip the first turn), joined by blank lines.
func socialInteractions(ep *sotopia.EpisodeLog) string {
	var parts []string
	for idx, turn := range ep.Messages {
		var lines []string
		if idx == 0 && len(turn) >= 2 {
			lines = append(lines, turn[0].Text, turn[1].Text)
		}
		for _, m := range turn {
			switch {
			case m.Receiver != "Environment":
			case m.Sender == "Environment":
				lines = append(lines, m.Text)
			case strings.Contains(m.Text, "did nothing"):
			case strings.Contains(m.Text, "said:"):
				lines = append(lines, m.Sender+" "+m.Text)
			default:
				lines = append(lines, m.Sender+": "+m.Text)
			}
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	parts = append(parts, "reasoning", "rewards") // render_for_humans's last two entries
	if len(parts) < 4 {                           // Sotopia returns "" (or fails) when no turn is left after the cut
		return ""
	}
	var kept []string
	if containsWord(strings.Split(ep.Tag, "_"), "script") {
		kept = parts[1 : len(parts)-3]
	} else {
		kept = append([]string(nil), parts[:len(parts)-3]...)
		starts := strings.Split(kept[0], "Conversation Starts:\n\n")
		if len(starts) < 3 {
			kept = parts[1 : len(parts)-3]
		} else {
			kept[0] = starts[len(starts)-1]
		}
	}
	return strings.Join(kept, "\n\n")
}

func containsWord(ws []string, w string) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}
