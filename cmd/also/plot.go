package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/also-project/also/report"
	"github.com/also-project/also/report/plots"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

func plotTags(loaded []loadedTag) ([]plots.Tag, error) {
	out := make([]plots.Tag, len(loaded))
	for i, t := range loaded {
		out[i] = plots.Tag{Name: t.Tag, Episodes: t.Episodes}
		pool, err := armPool(t.Tag, t.Config)
		if err != nil {
			return nil, err
		}
		for _, s := range pool {
			out[i].ArmNames = append(out[i].ArmNames, s.ID)
		}
	}
	return out, nil
}

// plotsInEvalSet keeps the episodes of the evaluation set, so the figures match the tables.
func plotsInEvalSet(tags []plots.Tag, evalSet string, ds *sotopia.Dataset) []plots.Tag {
	out := make([]plots.Tag, len(tags))
	for i, t := range tags {
		out[i].Name, out[i].ArmNames = t.Name, t.ArmNames
		for _, ep := range t.Episodes {
			if report.InEvalSet(ep, evalSet, ds) {
				out[i].Episodes = append(out[i].Episodes, ep)
			}
		}
	}
	return out
}

func newPlotCmd() *cobra.Command {
	var sf storeFlags
	var tf tagsFlag
	var outDir, evalSet string
	cmd := &cobra.Command{
		Use:   "plot --tags A,B,... --out DIR",
		Short: "Plot tags (PNG and SVG): arms per turn, per-turn reward, cumulative regret, dimension bars",
		Long: `Read the tags' episodes (each task's last attempt) and write, as PNG and SVG, into --out:
  arms_<tag>_p1|p2   per turn, the share of episodes in which each arm was active (heat map)
  reward_p1|p2       mean per-turn reward by turn, one line per tag, 95% t band
  regret_p1|p2       cumulative regret by turn (sim world only), 95% t band
  dimensions_p1|p2|avg  every Sotopia dimension and Overall per tag, 95% t whiskers
--out is created if missing; an existing figure is never replaced (the command fails naming it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if outDir == "" {
				return usage(fmt.Errorf("--out is required: the directory the figures go to"))
			}
			if evalSet != "all" && evalSet != "hard" {
				return usage(fmt.Errorf("--eval-set %q: want all or hard", evalSet))
			}
			tags, err := tf.list()
			if err != nil {
				return err
			}
			ds, loaded, _, err := tf.load(cmd, &sf, tags)
			if err != nil {
				return err
			}
			c, err := report.Compare(episodesOf(loaded), evalSet, "", ds)
			if err != nil {
				return err
			}
			tagPlots, err := plotTags(loaded)
			if err != nil {
				return err
			}
			figs, err := plots.All(plotsInEvalSet(tagPlots, evalSet, ds), c)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			for _, f := range figs {
				paths, err := f.Save(outDir)
				for _, p := range paths {
					fmt.Fprintln(cmd.OutOrStdout(), p)
				}
				if err != nil {
					return fmt.Errorf("--out %s: %w", outDir, err)
				}
			}
			return nil
		},
	}
	sf.define(cmd, false)
	tf.define(cmd)
	cmd.Flags().StringVar(&outDir, "out", "", "directory for the figures (required)")
	cmd.Flags().StringVar(&evalSet, "eval-set", "all", "all, or hard (Sotopia-hard scenarios only)")
	return cmd
}

// armPool is the strategy pool a tag's arms index: its bound strategy_version, else the default
// pool (imported episodes carry no configuration). A configuration that cannot be read, or names
// a strategy version this build does not know, is a usage error naming the tag: plotting its arms
// under another pool's names would be wrong.
func armPool(tag string, rc *store.RunConfig) ([]sotopia.Strategy, error) {
	version := sotopia.DefaultStrategyVersion
	if rc != nil && len(rc.Config) > 0 {
		var doc struct {
			StrategyVersion *string `json:"strategy_version"`
		}
		if err := json.Unmarshal(rc.Config, &doc); err != nil {
			return nil, usage(fmt.Errorf("tag %s: its stored configuration cannot be read: %w", displayTag(tag), err))
		}
		if doc.StrategyVersion != nil {
			version = *doc.StrategyVersion
		}
	}
	pool, err := sotopia.Strategies(version)
	if err != nil {
		return nil, usage(fmt.Errorf("tag %s: strategy_version %q of its configuration: %w", displayTag(tag), version, err))
	}
	return pool, nil
}
