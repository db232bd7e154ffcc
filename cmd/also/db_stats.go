package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/also-project/also/sotopia/store"
)

// dbStats is `also db stats --format json`.
type dbStats struct {
	Store string `json:"store"`
	store.Stats
	// Configs holds the configuration each tag is bound to (tags from runs; imports have none).
	Configs  map[string]store.RunConfig `json:"configs"`
	Profiles profileCounts              `json:"profiles"`
}

// tagConfigs reads the binding of every tag that has one.
func tagConfigs(ctx context.Context, st store.Store, tags []string) (map[string]store.RunConfig, error) {
	out := map[string]store.RunConfig{}
	for _, tag := range tags {
		rc, err := st.TagConfig(ctx, tag)
		switch {
		case err == nil:
			out[tag] = rc
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return out, nil
}

// keySettings picks the settings a reader looks for first from a bound configuration; a
// configuration without them shows its top-level values.
func keySettings(cfg json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(cfg, &m) != nil {
		return "(not a JSON object)"
	}
	scalar := func(k string) (string, bool) {
		v, ok := m[k]
		if !ok || len(v) == 0 || v[0] == '{' || v[0] == '[' || string(v) == "null" || string(v) == `""` {
			return "", false
		}
		return k + "=" + strings.Trim(string(v), `"`), true
	}
	var parts []string
	for _, k := range []string{"bandit_type", "optimize", "model", "p1_model", "p2_model", "reward_eval_model", "subset", "max_turns", "credit", "strategy_version", "seed"} {
		if p, ok := scalar(k); ok {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := scalar(k); ok && len(parts) < 12 {
				parts = append(parts, p)
			}
		}
	}
	return strings.Join(parts, " ")
}

func shortFP(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

func newDBStatsCmd(sf *storeFlags) *cobra.Command {
	var format string
	var showConfig bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Episodes per tag (done, failed, interrupted attempts), each tag's bound configuration, and profile counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			ctx := cmd.Context()
			st, where, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			s := dbStats{Store: where}
			if s.Stats, err = st.Stats(ctx); err != nil {
				return err
			}
			if s.Profiles, err = countProfiles(ctx, st); err != nil {
				return err
			}
			tags := make([]string, 0, len(s.ByTag))
			for tag := range s.ByTag {
				tags = append(tags, tag)
			}
			sort.Strings(tags)
			if s.Configs, err = tagConfigs(ctx, st, tags); err != nil {
				return err
			}
			if format == "json" {
				return encodeIndented(cmd.OutOrStdout(), s)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintf(w, "%s\n\n", where)
			fmt.Fprintln(w, "tag\tepisodes\tdone\tfailed\tinterrupted\tconfiguration")
			for _, tag := range tags {
				c := s.ByTag[tag]
				fp := "-"
				if rc, ok := s.Configs[tag]; ok {
					fp = shortFP(rc.Fingerprint)
				}
				fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%s\n", displayTag(tag), c.Episodes, c.Done, c.Failed, c.Interrupted, fp)
			}
			fmt.Fprintf(w, "total\t%d\t%d\t%d\t%d\t\n\n", s.Episodes, s.Done, s.Failed, s.Interrupted)
			for _, r := range s.Profiles.rows() {
				fmt.Fprintf(w, "%s\t%d\n", r[0], r[1])
			}
			if err := w.Flush(); err != nil {
				return err
			}
			return writeTagConfigs(cmd.OutOrStdout(), tags, s.Configs, showConfig)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	cmd.Flags().BoolVar(&showConfig, "show-config", false, "print each tag's whole bound configuration (JSON) instead of its key settings")
	return cmd
}

// writeTagConfigs lists each bound tag's configuration: key settings, or all of it.
func writeTagConfigs(w io.Writer, tags []string, configs map[string]store.RunConfig, all bool) error {
	if len(configs) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nconfigurations (a tag is bound to the configuration of its first run):")
	for _, tag := range tags {
		rc, ok := configs[tag]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "  %s: %s, first run %s\n", displayTag(tag), rc.Fingerprint, rc.Created.UTC().Format(time.RFC3339))
		if !all {
			fmt.Fprintf(w, "    %s\n", keySettings(rc.Config))
			continue
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, rc.Config, "    ", "  "); err != nil {
			buf.Reset()
			buf.Write(rc.Config)
		}
		fmt.Fprintf(w, "    %s\n", buf.String())
	}
	return nil
}
