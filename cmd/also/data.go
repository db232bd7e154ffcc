package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/also-project/also/sotopia"
)

func newDataCmd() *cobra.Command {
	var version, subset string
	cmd := &cobra.Command{
		Use:       "data [subsets|scenarios|tasks|agents|strategies]",
		Short:     "List the embedded Sotopia data: subsets, scenarios, tasks, agents and strategy pools",
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"subsets", "scenarios", "tasks", "agents", "strategies"},
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := sotopia.Embedded()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			defer w.Flush()
			what := "overview"
			if len(args) == 1 {
				what = args[0]
			}
			switch what {
			case "overview":
				fmt.Fprintf(w, "Sotopia: %d scenarios, %d characters, %d tasks, %d hard scenarios\n\n", len(ds.Envs), len(ds.Agents), len(ds.Tasks), len(ds.HardEnvIDs))
				listSubsets(w, ds)
				fmt.Fprintln(w)
				fmt.Fprintf(w, "strategy versions: %s (default %s)\n", strings.Join(sotopia.StrategyVersions(), ", "), sotopia.DefaultStrategyVersion)
				fmt.Fprintln(w, "more: also data scenarios | tasks [--subset S] | agents | strategies [--strategy-version V]")
			case "subsets":
				listSubsets(w, ds)
			case "scenarios":
				fmt.Fprintln(w, "env_id\tcodename\tsource\trelationship\thard")
				ids := append([]string(nil), ds.AllEnvIDs...)
				for _, id := range ids {
					e := ds.Envs[id]
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\n", id, e.Codename, e.Source, e.Relationship, ds.IsHard(id))
				}
			case "tasks":
				tasks, err := ds.Subset(subset)
				if err != nil {
					return err
				}
				fmt.Fprintln(w, "task_id\tenv_id\tcodename\tseat 0\tseat 1")
				for _, t := range tasks {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.PK, t.EnvID, ds.Envs[t.EnvID].Codename,
						ds.Agents[t.AgentIDs[0]].Name(), ds.Agents[t.AgentIDs[1]].Name())
				}
			case "agents":
				var ids []string
				for id := range ds.Agents {
					ids = append(ids, id)
				}
				sort.Strings(ids)
				fmt.Fprintln(w, "agent_id\tname\tage\toccupation")
				for _, id := range ids {
					a := ds.Agents[id]
					fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", id, a.Name(), a.Age, a.Occupation)
				}
			case "strategies":
				pool, err := sotopia.Strategies(version)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "arm\tid\tname\t(version %s, %d arms)\n", version, len(pool))
				for i, s := range pool {
					fmt.Fprintf(w, "%d\t%s\t%s\n", i, s.ID, s.Name)
				}
			default:
				return fmt.Errorf("unknown listing %q: want subsets, scenarios, tasks, agents or strategies", what)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&version, "strategy-version", sotopia.DefaultStrategyVersion, "strategy pool to list")
	cmd.Flags().StringVar(&subset, "subset", "all", "subset whose tasks to list")
	return cmd
}

func listSubsets(w io.Writer, ds *sotopia.Dataset) {
	fmt.Fprintln(w, "subset\ttasks\tdescription")
	desc := map[string]string{
		"all":        "every task: 90 scenarios x 5 character pairs",
		"hard":       "the 14 Sotopia-hard scenarios x 5 pairs",
		"hard_small": "one task per hard scenario (smallest task id)",
		"non_hard":   "all tasks outside Sotopia-hard",
	}
	for _, name := range sotopia.SubsetNames {
		ts, _ := ds.Subset(name)
		fmt.Fprintf(w, "%s\t%d\t%s\n", name, len(ts), desc[name])
	}
}
