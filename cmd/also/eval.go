package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/also-project/also/config"
	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

func newEvalCmd() *cobra.Command {
	var sf storeFlags
	var tag, format, evalSet string
	cmd := &cobra.Command{
		Use:   "eval --tag T",
		Short: "Sotopia-Eval scores of a tag's episodes: per episode and per seat (seven dimensions + overall)",
		Long: `Read a tag's episodes from the store and report each episode's final per-seat scores and
the per-seat means with standard errors. Failed and interrupted episodes are listed but not
averaged. --eval-set hard keeps only the Sotopia-hard scenarios. The tag's configuration is shown
first: its fingerprint and the settings that differ from the defaults (the whole configuration
with --format json).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usage(fmt.Errorf("--format %q: want table or json", format))
			}
			if evalSet != "all" && evalSet != "hard" {
				return usage(fmt.Errorf("--eval-set %q: want all or hard", evalSet))
			}
			ds, eps, rc, err := sf.tagEpisodesAndConfig(cmd.Context(), tag)
			if err != nil {
				return err
			}
			ev, err := report.Evaluate(tag, evalSet, eps, ds)
			if err != nil {
				return err
			}
			if format == "json" {
				return encodeIndented(cmd.OutOrStdout(), struct {
					report.Eval
					Configuration *store.RunConfig `json:"configuration"`
				}{ev, rc})
			}
			writeTagConfig(cmd.OutOrStdout(), tag, rc)
			if err := writeEvalEpisodes(cmd.OutOrStdout(), ev); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return report.WriteEvalTable(cmd.OutOrStdout(), ev)
		},
	}
	sf.define(cmd, false)
	cmd.Flags().StringVar(&tag, "tag", "", "experiment tag to evaluate (required)")
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	cmd.Flags().StringVar(&evalSet, "eval-set", "all", "all, or hard (Sotopia-hard scenarios only)")
	return cmd
}

// writeEvalEpisodes lists each episode's per-seat overall and goal scores.
func writeEvalEpisodes(w io.Writer, ev report.Eval) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "episode\tcodename\tstatus\tp1 overall\tp2 overall\tp1 goal\tp2 goal\terror")
	for _, e := range ev.Episodes {
		cells := []string{"-", "-", "-", "-"}
		if len(e.Seats) == sotopia.Seats {
			cells = []string{
				fmt.Sprintf("%.3f", e.Seats[0].Overall), fmt.Sprintf("%.3f", e.Seats[1].Overall),
				fmt.Sprintf("%.1f", e.Seats[0].Dimensions["goal"]), fmt.Sprintf("%.1f", e.Seats[1].Dimensions["goal"]),
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.PK, e.Codename, e.Status, cells[0], cells[1], cells[2], cells[3], e.Error)
	}
	return tw.Flush()
}

// tagEpisodes loads the embedded dataset and a tag's episodes from the configured store.
func (sf *storeFlags) tagEpisodes(ctx context.Context, tag string) (*sotopia.Dataset, []*sotopia.EpisodeLog, error) {
	ds, eps, _, err := sf.tagEpisodesAndConfig(ctx, tag)
	return ds, eps, err
}

// tagEpisodesAndConfig is tagEpisodes plus the configuration the tag is bound to (nil when none
// is recorded: imported episodes, or written before tags were bound).
func (sf *storeFlags) tagEpisodesAndConfig(ctx context.Context, tag string) (*sotopia.Dataset, []*sotopia.EpisodeLog, *store.RunConfig, error) {
	ds, err := sotopia.Embedded()
	if err != nil {
		return nil, nil, nil, err
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	defer st.Close()
	eps, err := episodesUnderTag(ctx, st, tag)
	if err != nil {
		return nil, nil, nil, err
	}
	rc, err := tagConfig(ctx, st, tag)
	return ds, eps, rc, err
}

// tagConfig is the configuration a tag is bound to, or nil if none is recorded.
func tagConfig(ctx context.Context, st store.Store, tag string) (*store.RunConfig, error) {
	ts, ok := st.(interface {
		TagConfig(ctx context.Context, tag string) (store.RunConfig, error)
	})
	if !ok {
		return nil, nil
	}
	rc, err := ts.TagConfig(ctx, tag)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &rc, nil
}

// writeTagConfig prints a tag's configuration: its fingerprint and the settings that differ from
// `also run`'s defaults in the same world (sim or live).
func writeTagConfig(w io.Writer, tag string, rc *store.RunConfig) {
	if rc == nil {
		fmt.Fprintf(w, "configuration of %s: not recorded (imported episodes, or written before tags were bound)\n\n", displayTag(tag))
		return
	}
	fmt.Fprintf(w, "configuration of %s: fingerprint %s (bound %s)\n", displayTag(tag), rc.Fingerprint, rc.Created.Format(time.RFC3339))
	diffs, err := fromDefaults(rc.Config)
	switch {
	case err != nil:
		fmt.Fprintf(w, "  (unreadable: %v)\n", err)
	case len(diffs) == 0:
		fmt.Fprintln(w, "  the defaults of also run")
	default:
		fmt.Fprintln(w, "  settings that differ from the defaults (default -> this tag):")
		for _, d := range diffs {
			fmt.Fprintln(w, "  "+d)
		}
	}
	fmt.Fprintln(w)
}

// fromDefaults diffs a bound configuration against the default run of the same world: the sim
// world's defaults, or for a live tag the defaults with its agents' model.
func fromDefaults(bound json.RawMessage) ([]string, error) {
	var doc map[string]any
	if err := json.Unmarshal(bound, &doc); err != nil {
		return nil, err
	}
	def := config.DefaultRun()
	if _, sim := doc["sim"]; !sim {
		if m, ok := doc["p1_model"].(string); ok && m != "" {
			def.Model = m
		}
	}
	id, err := def.Identity()
	if err != nil {
		return nil, err
	}
	return config.ConfigDiff(id.Config, bound)
}

// episodesUnderTag returns a tag's episodes, or an error listing the tags the store knows.
func episodesUnderTag(ctx context.Context, st store.Store, tag string) ([]*sotopia.EpisodeLog, error) {
	if tag == "" {
		known, err := knownTags(ctx, st)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("--tag is required; known tags: %s", known)
	}
	eps, err := st.Episodes(ctx, store.Query{Tag: tag})
	if err != nil {
		return nil, err
	}
	if len(eps) == 0 {
		known, err := knownTags(ctx, st)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("no episodes under tag %s; known tags: %s", tag, known)
	}
	return eps, nil
}

func knownTags(ctx context.Context, st store.Store) (string, error) {
	tags, err := st.Tags(ctx)
	if err != nil {
		return "", err
	}
	if len(tags) == 0 {
		return "none (the store has no episodes: `also run` or `also db import` first)", nil
	}
	shown := make([]string, len(tags))
	for i, t := range tags {
		shown[i] = displayTag(t)
	}
	return strings.Join(shown, ", "), nil
}

func displayTag(tag string) string {
	if tag == "" {
		return "(no tag)"
	}
	return tag
}
