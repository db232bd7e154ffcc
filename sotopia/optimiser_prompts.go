package sotopia

import "strings"

// The ALSO artifact's prompt-optimiser prompts (OPRO, EvoPrompt, PromptBreeder), exactly as the
// artifact's Python holds them (data/also-prompts/README.md). Placeholders are left as written;
// the policy package fills them the way the artifact does.
var (
	// OPROMetaPrompt is SOTOPIA_BIO_META_PROMPT, filled by str.format(instruction_score_pairs=...).
	OPROMetaPrompt = alsoPromptFile("opro_meta_prompt.txt")
	// OPROScorePair is one "\ntext:\n{instruction}\nscore:\n{display_score}\n" entry of the history.
	OPROScorePair = alsoPromptFile("opro_instruction_score_pair.txt")
	// EvoPromptGA and EvoPromptDE are filled by chained str.replace of <bio0>..<bio3>.
	EvoPromptGA = alsoPromptFile("evoprompt_ga.txt")
	EvoPromptDE = alsoPromptFile("evoprompt_de.txt")
	// PromptBreederMutation is the progressive PromptBreeder's mutation prompt
	// ({mutation_prompt}, {loser.task_prompt}).
	PromptBreederMutation = alsoPromptFile("progressive_promptbreeder_mutation.txt")
	// PromptBreederFirstOrder is prompt_breeder's first-order mutation
	// ({parent.mutation_prompt}, {parent.task_prompt}).
	PromptBreederFirstOrder = alsoPromptFile("promptbreeder_first_order.txt")
	// PromptBreederMutationPrompts (56) and PromptBreederThinkingStyles (39) are the seed lists.
	PromptBreederMutationPrompts = alsoPromptLines("promptbreeder_mutation_prompts.txt")
	PromptBreederThinkingStyles  = alsoPromptLines("promptbreeder_thinking_styles.txt")
)

// PromptBreederHyperMutation is the artifact's first-order hyper-mutation of a mutation prompt
// (prompt_breeder_bandit.py `_mutate_unit_async`, dead code there), concatenated as it writes it.
const PromptBreederHyperMutation = "Please summarize and improve the following instruction for generating better prompts:\n" +
	"{unit.mutation_prompt}\n\nImproved mutation instruction:"

// alsoPromptLines reads a list file: one element a line, every line ending in "\n".
func alsoPromptLines(name string) []string {
	return strings.Split(strings.TrimSuffix(alsoPromptFile(name), "\n"), "\n")
}

// StrategyOf is the strategy part of an arm text for a seat whose own background is background:
// the text after the background (and the newline that follows it) without the seed arms'
// StrategySuffix. A text that does not start with the background (an optimiser rewrote the
// persona too) is its own strategy. The sim world reads an arm's strategy from
// ArmChoice.Description, so evolved arms carry this as theirs.
func StrategyOf(background, text string) string {
	s, ok := strings.CutPrefix(text, background)
	if !ok {
		return strings.TrimSpace(text)
	}
	s = strings.TrimSuffix(s, StrategySuffix)
	return strings.TrimSpace(s)
}
