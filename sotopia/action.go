package sotopia

// ActionType is one of Sotopia's five action types.
type ActionType string

const (
	ActionNone      ActionType = "none"
	ActionSpeak     ActionType = "speak"
	ActionNonVerbal ActionType = "non-verbal communication"
	ActionAction    ActionType = "action"
	ActionLeave     ActionType = "leave"
)

// AllActionTypes is the default action space, in Sotopia's order.
var AllActionTypes = []ActionType{ActionNone, ActionSpeak, ActionNonVerbal, ActionAction, ActionLeave}

// AgentAction is the JSON object an agent returns: {"action_type": ..., "argument": ...}.
type AgentAction struct {
	ActionType ActionType `json:"action_type"`
	Argument   string     `json:"argument"`
}

// Render is the natural-language form used in observations, logs and the judge's transcript
// (sotopia.md section 2.6).
func (a AgentAction) Render() string {
	switch a.ActionType {
	case ActionSpeak:
		return `said: "` + a.Argument + `"`
	case ActionNonVerbal:
		return "[non-verbal communication] " + a.Argument
	case ActionAction:
		return "[action] " + a.Argument
	case ActionLeave:
		return "left the conversation"
	default:
		return "did nothing"
	}
}
