package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/also-project/also/config"
	"github.com/also-project/also/internal/atomicfile"
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
				hint := ""
				if sug := cmd.SuggestionsFor(args[0]); len(sug) > 0 {
					hint = fmt.Sprintf(" (did you mean %s?)", strings.Join(sug, " or "))
				}
				return usage(fmt.Errorf("unknown command %q for \"also db\"%s; see also db --help", args[0], hint))
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
			// Through a temporary file, so a failed export leaves no half file.
			if err := atomicfile.Write(out, 0o644, func(w io.Writer) error { return store.ExportJSONL(w, done, ds) }); err != nil {
				return fmt.Errorf("--out %s: %w", out, err)
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
