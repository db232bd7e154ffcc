package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/also-project/also/policy"
	"github.com/also-project/also/policy/regret"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
)

// newBenchRegretCmd is `also bench regret`: every bandit against every sim opponent, with the
// regrets the sim world's known expectations make measurable (package policy/regret).
func newBenchRegretCmd() *cobra.Command {
	o := regret.DefaultOptions()
	format := "table"
	pol := policy.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "regret",
		Short: "Mean dynamic and static regret of every bandit against every sim opponent profile",
		Long: `Plays --seeds episodes of --turns turns for every bandit against every opponent of the
simulated world (both seats optimised by the same bandit; only one against a scripted agent) and
reports, averaged over seats and episodes: the dynamic regret (best arm of each turn), the static
regret (best fixed arm in hindsight) and the mean observed reward.

Bandits: ` + strings.Join(regret.DefaultBandits(), ", ") + `
Opponents: ` + strings.Join(sim.Profiles(), ", "),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			if anyChanged(cmd, "surrogate", "warm-epochs", "eta", "alpha", "beta") {
				pol.Horizon, pol.ALSO.UseContext = max(1, o.Turns-1), false // as the default options
				o.Policy = &pol
			}
			rows, err := regret.RunContext(cmd.Context(), o)
			if err != nil {
				return err
			}
			if format == "json" {
				return regret.WriteJSON(cmd.OutOrStdout(), rows)
			}
			return regret.WriteTable(cmd.OutOrStdout(), rows)
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&o.Seeds, "seeds", o.Seeds, "episodes per bandit and opponent")
	fs.IntVar(&o.Turns, "turns", o.Turns, "turns per episode")
	fs.StringVar(&format, "format", format, "output: table or json")
	fs.StringSliceVar(&o.Bandits, "bandits", nil, "bandits to compare (default: every registered bandit)")
	fs.StringSliceVar(&o.Opponents, "opponents", nil, "opponent profiles or scripted agents (default: all)")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "base seed of tasks, worlds and policies")
	fs.IntVar(&o.Workers, "workers", o.Workers, "episodes played at once (0 = one per CPU)")
	fs.StringVar(&o.Subset, "subset", o.Subset, "Sotopia task subset: "+strings.Join(sotopia.SubsetNames, ", "))
	fs.StringVar(&o.StrategyVersion, "strategy-version", o.StrategyVersion, "arm pool (see `also data strategies`)")
	fs.StringVar(&pol.ALSO.Surrogate, "surrogate", pol.ALSO.Surrogate, "ALSO surrogate: scratch (retrain each turn) or warm")
	fs.IntVar(&pol.ALSO.WarmEpochs, "warm-epochs", pol.ALSO.WarmEpochs, "epochs per turn with --surrogate warm")
	fs.Float64Var(&pol.Eta, "eta", pol.Eta, "softmax temperature of ALSO")
	fs.Float64Var(&pol.Alpha, "alpha", pol.Alpha, "LinUCB alpha / NeuralUCB lambda")
	fs.Float64Var(&pol.Beta, "beta", pol.Beta, "NeuralUCB nu (exploration scale)")
	return cmd
}

func anyChanged(cmd *cobra.Command, names ...string) bool {
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}
