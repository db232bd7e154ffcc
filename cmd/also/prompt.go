package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/also-project/also/sotopia"
)

func newPromptCmd() *cobra.Command {
	var envID, taskID, era, strategyID, version string
	var agentIDs []string
	var seat, maxTurns int
	var action bool
	cmd := &cobra.Command{
		Use:   "prompt",
		Short: "Print exactly the turn-0 text a seat would be shown (inspect prompts before paying for them)",
		Long: `Print exactly the turn-0 context a seat would be shown, or with --action the whole action prompt
it would be sent on that context. The default era, also, is the ALSO artifact's prompt; benchmark
and 2023 are Sotopia's.`,
		Example: `  also prompt --env 01H7VFHNV13MHN97GAH73E3KM8 --agents 01H5TNE5PN656EADK59K4DG793,01H5TNE5PT06B3QPXJ65HHACV7 --seat 0
  also prompt --task 01H84XW4VXB0W95FA8BHN3G0XB --seat 1 --strategy validate_then_redirect
  also prompt --task 01H84XW4VXB0W95FA8BHN3G0XB --seat 0 --action --era benchmark`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ds, err := sotopia.Embedded()
			if err != nil {
				return err
			}
			task := sotopia.Task{EnvID: envID, AgentIDs: agentIDs}
			if taskID != "" {
				t, ok := ds.Task(taskID)
				if !ok {
					return fmt.Errorf("unknown task %q (see `also data tasks`)", taskID)
				}
				task = t
			} else if envID == "" || len(agentIDs) != 2 {
				return fmt.Errorf("give --task ID, or --env ID with --agents ID1,ID2 (two agent ids in seat order)")
			}
			if seat != 0 && seat != 1 {
				return fmt.Errorf("--seat %d: must be 0 or 1", seat)
			}
			if _, err := sotopia.ParseEra(era); err != nil {
				return fmt.Errorf("--era: %w", err)
			}
			env, agents, err := ds.Resolve(task)
			if err != nil {
				return err
			}
			setup := &sotopia.Setup{Task: task, Env: env, Agents: agents, Era: sotopia.Era(era), MaxTurns: maxTurns}
			own := ""
			if strategyID != "" {
				pool, err := sotopia.Strategies(version)
				if err != nil {
					return err
				}
				var ids []string
				for _, s := range pool {
					ids = append(ids, s.ID)
					if s.ID == strategyID {
						own = sotopia.ArmText(setup.OwnBackground(seat), s)
					}
				}
				if own == "" {
					return fmt.Errorf("unknown strategy %q in %s (have: %s)", strategyID, version, strings.Join(ids, ", "))
				}
			}
			text := setup.ContextFor(seat, own)
			if action {
				text = sotopia.ActionPromptFor(setup.Era, agents[seat].Name(), text, 0, sotopia.AllActionTypes)
			}
			fmt.Fprint(cmd.OutOrStdout(), text)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&envID, "env", "", "environment (scenario) id")
	f.StringSliceVar(&agentIDs, "agents", nil, "two agent ids in seat order")
	f.StringVar(&taskID, "task", "", "task (combo) id instead of --env/--agents")
	f.IntVar(&seat, "seat", 0, "seat whose view to print: 0 or 1")
	f.StringVar(&era, "era", string(sotopia.EraALSO), "prompts and rendering rules: also (the ALSO artifact's), benchmark or 2023 (Sotopia's)")
	f.BoolVar(&action, "action", false, "print the whole action prompt the seat would be sent on its turn-0 context, not only the context")
	f.StringVar(&strategyID, "strategy", "", "inject this strategy into the seat's own background")
	f.StringVar(&version, "strategy-version", sotopia.DefaultStrategyVersion, "pool to find --strategy in")
	f.IntVar(&maxTurns, "max-turns", 20, "max turns (does not change turn 0)")
	return cmd
}
