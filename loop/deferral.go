package loop

// DeferChoice says whether a learning seat's policy step may still be out when the next turn
// opens. The next turn needs only the choice of the seat that acts next (before its model call);
// another seat's choice is needed once that turn is judged (its record, and the policies' next
// feedback, name the arm it played). It is not deferred when the world
// has hidden state (the sim world plays each turn with both seats' arms when the turn opens), nor
// when the seat's policy calls the world's models as it steps (the prompt optimisers: their calls
// would interleave with the agent's, and the episode's usage and call order would depend on timing).
func DeferChoice(seat, next int, hiddenWorld, callsModels bool) bool {
	return !hiddenWorld && !callsModels && seat != next
}
