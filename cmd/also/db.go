package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/also-project/also/config"
	"github.com/also-project/also/session"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// storeFlags are --store and --redis-url, shared by the db and eval commands. The Redis default
// is resolved at run time, not shown as the flag default: help text must never print a password.
type storeFlags struct {
	dir, redisURL string
}

func (f *storeFlags) define(cmd *cobra.Command, persistent bool) {
	fs := cmd.Flags()
	if persistent {
		fs = cmd.PersistentFlags()
	}
	fs.StringVar(&f.dir, "store", config.DefaultRun().Store, "embedded store directory")
	fs.StringVar(&f.redisURL, "redis-url", "", "Redis URL (default: $REDIS_OM_URL; else the embedded store)")
}

func (f *storeFlags) url() string {
	if f.redisURL != "" {
		return f.redisURL
	}
	return os.Getenv("REDIS_OM_URL")
}

// open opens the store for reading: Redis when a URL is given, else the embedded store read-only
// (a missing directory is an error, nothing is created, locked or repaired, and runs may be
// writing meanwhile). It says which store (password hidden).
func (f *storeFlags) open(ctx context.Context) (store.Store, string, error) {
	return f.openMode(ctx, false)
}

// openWriter opens the store for writing (creating the embedded store if needed).
func (f *storeFlags) openWriter(ctx context.Context) (store.Store, string, error) {
	return f.openMode(ctx, true)
}

func (f *storeFlags) openMode(ctx context.Context, write bool) (store.Store, string, error) {
	if url := f.url(); url != "" {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		r, err := store.OpenRedis(cctx, url)
		if err != nil {
			return nil, "", err
		}
		return r, "Redis " + store.RedactURL(url), nil
	}
	open := store.OpenDirReadOnly
	if write {
		open = store.OpenDir
	}
	d, err := open(f.dir)
	if err != nil {
		return nil, "", err
	}
	return d, "embedded store " + f.dir, nil
}

func newDBCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the episode store: load the dataset, stats, Sotopia JSONL export/import, sync to Redis",
		Long: `Manage the store that runs write to: the embedded store directory (--store), or Redis in
Sotopia's key layout when --redis-url (or REDIS_OM_URL) is set. Stored records are never replaced.
stats and export only read: they work while runs write, and a missing --store is an error.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown command %q for \"also db\"; see also db --help", args[0])
			}
			return cmd.Help()
		},
	}
	sf.define(cmd, true)
	cmd.AddCommand(newDBLoadCmd(&sf), newDBStatsCmd(&sf), newDBExportCmd(&sf), newDBImportCmd(&sf), newDBSyncCmd(&sf))
	return cmd
}

// profileCounts are the stored objects other than episodes.
type profileCounts struct {
	Agents           int `json:"agents"`
	Environments     int `json:"environments"`
	Relationships    int `json:"relationships"`
	Tasks            int `json:"tasks"`
	EnvironmentLists int `json:"environment_lists"`
}

func countProfiles(ctx context.Context, st store.Store) (profileCounts, error) {
	var c profileCounts
	agents, err := st.Agents(ctx)
	if err != nil {
		return c, err
	}
	envs, err := st.Environments(ctx)
	if err != nil {
		return c, err
	}
	rels, err := st.Relationships(ctx)
	if err != nil {
		return c, err
	}
	tasks, err := st.Tasks(ctx)
	if err != nil {
		return c, err
	}
	lists, err := st.EnvironmentLists(ctx)
	if err != nil {
		return c, err
	}
	return profileCounts{len(agents), len(envs), len(rels), len(tasks), len(lists)}, nil
}

func (c profileCounts) rows() [][2]any {
	return [][2]any{{"agents", c.Agents}, {"scenarios", c.Environments}, {"relationships", c.Relationships},
		{"tasks", c.Tasks}, {"environment lists", c.EnvironmentLists}}
}

func newDBLoadCmd(sf *storeFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "load",
		Short: "Add the embedded Sotopia dataset (agents, scenarios, relationships, tasks, hard list); never overwrites",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			ds, err := sotopia.Embedded()
			if err != nil {
				return err
			}
			st, where, err := sf.openWriter(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			before, err := countProfiles(ctx, st)
			if err != nil {
				return err
			}
			if err := st.LoadDataset(ctx, ds); err != nil {
				return fmt.Errorf("load dataset into %s: %w", where, err)
			}
			after, err := countProfiles(ctx, st)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintf(w, "loaded the Sotopia dataset into %s (objects already there are kept as they are)\n", where)
			fmt.Fprintln(w, "kind\tstored\tadded")
			b, a := before.rows(), after.rows()
			for i := range a {
				fmt.Fprintf(w, "%s\t%d\t%d\n", a[i][0], a[i][1], a[i][1].(int)-b[i][1].(int))
			}
			return w.Flush()
		},
	}
}

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

func encodeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newDBExportCmd(sf *storeFlags) *cobra.Command {
	var tag, out string
	cmd := &cobra.Command{
		Use:   "export --tag T [--out FILE]",
		Short: "Write a tag's finished episodes as Sotopia episode JSONL (stdout, or --out FILE)",
		Long: `Write the done episodes of a tag in Sotopia's episode JSONL format (as Sotopia's own export
writes it). Failed and interrupted attempts are not Sotopia episodes and are left out (their count goes to stderr).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ds, eps, err := sf.tagEpisodes(cmd.Context(), tag)
			if err != nil {
				return err
			}
			var done []*sotopia.EpisodeLog
			for _, ep := range eps {
				if ep.Status == sotopia.StatusDone {
					done = append(done, ep)
				}
			}
			if len(done) == 0 {
				return fmt.Errorf("tag %s has %d failed or interrupted attempts and no done episode to export", tag, len(eps))
			}
			if out == "" {
				return store.ExportJSONL(cmd.OutOrStdout(), done, ds)
			}
			if err := writeFileAtomic(out, func(w io.Writer) error { return store.ExportJSONL(w, done, ds) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d episodes under tag %s to %s", len(done), tag, out)
			if n := len(eps) - len(done); n > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), " (%d failed or interrupted attempts left out)", n)
			}
			fmt.Fprintln(cmd.ErrOrStderr())
			return nil
		},
	}
	cmd.Flags().StringVar(&tag, "tag", "", "experiment tag to export (required)")
	cmd.Flags().StringVar(&out, "out", "", "output file (default: stdout)")
	return cmd
}

// writeFileAtomic writes path through a temporary file, so a failed export leaves no half file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // a no-op after the rename
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}

func newDBImportCmd(sf *storeFlags) *cobra.Command {
	var tag string
	cmd := &cobra.Command{
		Use:   "import FILE [--tag T]",
		Short: "Read Sotopia episode JSONL (e.g. published Sotopia episodes) into the store; FILE - is stdin",
		Long: `Read Sotopia's episode JSONL into the store as done episodes, keeping each line's
experiment_tag and episode_id. With --tag T the episodes are imported as copies under T with ids
of their own (derived from T and the episode_id), so the episodes they came from, and their tags,
are untouched. Nothing stored is replaced: episodes already stored with the same content are
skipped, and an id stored with other content refuses the whole import before anything is written.
Tags bound to a run's configuration do not take imports.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("tag") && tag == "" {
				return errors.New("--tag is empty: omit it to keep each episode's experiment_tag")
			}
			ctx := cmd.Context()
			ds, err := sotopia.Embedded()
			if err != nil {
				return err
			}
			var r io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			eps, err := store.ImportJSONL(r, ds)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if len(eps) == 0 {
				return fmt.Errorf("%s holds no episodes", args[0])
			}
			if tag != "" {
				for _, ep := range eps {
					ep.PK, ep.Tag = store.ImportedPK(tag, ep.PK), tag
				}
			}
			st, where, err := sf.openWriter(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			perTag := map[string]int{}
			for _, ep := range eps {
				perTag[ep.Tag]++
			}
			tags := tagsOf(perTag)
			for _, t := range tags {
				release, err := st.LockTag(ctx, t)
				if err != nil {
					return fmt.Errorf("import %s: %w", args[0], err)
				}
				defer release()
				if rc, err := st.TagConfig(ctx, t); err == nil {
					return fmt.Errorf("import %s: tag %s holds the episodes of a run (configuration %s); import under another --tag",
						args[0], displayTag(t), shortFP(rc.Fingerprint))
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			fresh, err := newEpisodes(ctx, st, eps)
			if err != nil {
				return fmt.Errorf("import %s: %w; nothing was imported", args[0], err)
			}
			for _, ep := range fresh {
				if err := st.SaveEpisode(ctx, ep); err != nil {
					return fmt.Errorf("import %s: %w", args[0], err)
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d episodes into %s", len(fresh), where)
			if n := len(eps) - len(fresh); n > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), " (%d already stored, unchanged)", n)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "tag\tepisodes")
			for _, t := range tags {
				fmt.Fprintf(w, "%s\t%d\n", displayTag(t), perTag[t])
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&tag, "tag", "", "import copies under this tag, with ids of their own (the originals stay as they are)")
	return cmd
}

// newEpisodes returns the episodes the store lacks. An id stored (or repeated in eps) with other
// content is an error naming it: an import never replaces anything, nor writes half of itself.
func newEpisodes(ctx context.Context, st store.Store, eps []*sotopia.EpisodeLog) ([]*sotopia.EpisodeLog, error) {
	seen := map[string]*sotopia.EpisodeLog{}
	var fresh []*sotopia.EpisodeLog
	for _, ep := range eps {
		if prev, ok := seen[ep.PK]; ok {
			if !store.SameEpisode(prev, ep) {
				return nil, fmt.Errorf("episode %s appears twice with different content: %w", ep.PK, store.ErrConflict)
			}
			continue
		}
		seen[ep.PK] = ep
		old, err := st.Episode(ctx, ep.PK)
		switch {
		case errors.Is(err, store.ErrNotFound):
			fresh = append(fresh, ep)
		case err != nil:
			return nil, err
		case !store.SameEpisode(old, ep):
			return nil, fmt.Errorf("episode %s is stored (tag %s) with other content: %w; import under a new --tag to keep both",
				ep.PK, displayTag(old.Tag), store.ErrConflict)
		}
	}
	return fresh, nil
}

func newDBSyncCmd(sf *storeFlags) *cobra.Command {
	var unaddressed bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Send to Redis what a run with --redis-url could not deliver (the outbox of --store)",
		Long: `A run with a Redis URL saves every episode in the embedded store (--store) first and then in
Redis. Episodes saved while Redis was unreachable wait in the store's outbox, each entry naming
the database it is for; this delivers the entries for the database of --redis-url (or
REDIS_OM_URL) and leaves, and lists, those for other databases.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			url := sf.url()
			opt := session.StoreOptions{Warn: cmd.ErrOrStderr()}
			opt.Mirror.DeliverUnaddressed = unaddressed
			res, err := session.SyncStore(cmd.Context(), sf.dir, url, opt)
			if err != nil {
				return err
			}
			if res.Delivered == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "nothing pending in %s for Redis %s\n", sf.dir, store.RedactURL(url))
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "delivered %d object(s) from %s to Redis %s; nothing pending for it\n",
					res.Delivered, sf.dir, store.RedactURL(url))
			}
			for _, dest := range tagsOf(res.Elsewhere) {
				if dest == "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "left %d object(s) that name no destination (queued by an older also); "+
						"add --include-unaddressed to send them to this database\n", res.Elsewhere[dest])
					continue
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "left %d object(s) queued for %s; deliver them with --redis-url %s (and its password)\n",
					res.Elsewhere[dest], dest, dest)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&unaddressed, "include-unaddressed", false, "also deliver outbox entries that name no destination (queued by versions before destinations were recorded)")
	return cmd
}

func tagsOf(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
