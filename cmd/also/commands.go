package main

import "github.com/spf13/cobra"

// benchCommands lists the `also bench` subcommands.
func benchCommands() []*cobra.Command {
	return []*cobra.Command{
		newBenchSurrogateCmd(),
		newBenchRegretCmd(),
		newBenchLLMCmd(),
		newBenchClusterCmd(),
	}
}

// extraCommands lists further top-level commands (db, eval).
func extraCommands() []*cobra.Command {
	return []*cobra.Command{
		newDBCmd(),
		newEvalCmd(),
		newCompareCmd(),
		newPlotCmd(),
		newReportCmd(),
		newExperimentCmd(),
		newCostCmd(),
		newWorkerCmd(),
	}
}
