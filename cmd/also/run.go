package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/also-project/also/config"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/progress"
	"github.com/also-project/also/report"
	"github.com/also-project/also/session"
	"github.com/also-project/also/sotopia/live"
	"github.com/also-project/also/sotopia/sim"
)

func newRunCmd() *cobra.Command {
	cfg := config.DefaultRun()
	var configFile string
	var quiet, dryRun bool
	var progressEvery time.Duration
	var clusterOpts clusterFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run episodes (default: sim world, hard_small, bilateral ALSO, a new run folder)",
		Long: `Run Sotopia episodes with a strategy-selecting bandit per optimised seat.

With no flags: the simulated world (no API key, no network), the 14 hard_small tasks, both seats
optimised by the ALSO bandit, results in a new folder under runs/. --config reads a TOML run file;
flags given on the command line override it.

A tag is bound to its configuration: the fingerprint of every setting that can change results
(method and parameters, seats, models and judges in full, embedder, strategy version, horizon,
credit, era, sim world, seed ...; not the task selection, transport, storage or cost settings).
A run or --resume under a tag bound to another fingerprint is refused with the settings that
differ; without --tag the derived tag ends with the fingerprint's first 8 hex digits. A fresh run
may not replay tasks its tag already holds (--resume runs the missing ones). Live runs send one
cheap request to each model endpoint before the first episode (not with --llm-cache replay).

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("dynamic-eta") && cmd.Flags().Changed("eta-schedule") {
				return fmt.Errorf("--dynamic-eta is --eta-schedule %s: give one of them", policy.EtaDivideSqrt)
			}
			if configFile != "" {
				fromFile, err := config.LoadRun(configFile)
				if err != nil {
					return usage(err)
				}
				if err := overrideChanged(cmd.Flags(), &fromFile); err != nil {
					return usage(err)
				}
				cfg = fromFile
			}
			if dryRun {
				return printPlan(cmd.OutOrStdout(), cfg)
			}
			opt := session.Options{}
			closeCluster, err := clusterOpts.applyCluster(cmd.Context(), cfg, &opt)
			if err != nil {
				return err
			}
			defer closeCluster()
			var display *progress.Display
			if !quiet {
				stderr := cmd.ErrOrStderr()
				// What runs, at once: before the world, the store or any episode.
				fmt.Fprintln(stderr, runHeadline(cfg))
				opt.Progress = progress.NewTracker()
				display = progress.Show(stderr, opt.Progress, progress.DisplayOptions{Every: progressEvery})
				opt.Log = display.Log
			}
			start := time.Now()
			out, err := session.Execute(cmd.Context(), cfg, opt)
			if display != nil {
				display.Close()
			}
			if out != nil {
				report.WriteTable(cmd.OutOrStdout(), out.Summary)
				if out.Skipped > 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "resumed: %d tasks already stored under tag %s were skipped\n", out.Skipped, out.Tag)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "run folder: %s (%.1fs)\n", out.Dir, time.Since(start).Seconds())
			}
			return err
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "TOML run file (flags override it)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress on stderr")
	cmd.Flags().DurationVar(&progressEvery, "progress-every", 10*time.Second, "interval of the progress lines when stderr is not a terminal (a terminal shows a live bar)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate, print the resolved configuration and the plan (episodes, LLM calls, tokens, dollars per role); call, write and spend nothing")
	defineRunFlags(cmd.Flags(), &cfg)
	clusterOpts.define(cmd.Flags(), "127.0.0.1:7946")
	return cmd
}

// runHeadline is the first progress line: the tag and the plan in brief (or why there is none:
// the run itself then reports the problem).
func runHeadline(cfg config.Run) string {
	plan, err := session.PlanRun(cfg, session.PlanAssumptions{})
	if err != nil {
		tag := cfg.Tag
		if tag == "" {
			tag = cfg.DefaultTag()
		}
		return fmt.Sprintf("running tag %s (no plan: %v)", tag, err)
	}
	line := fmt.Sprintf("running tag %s: %d episodes, %s world, batch size %d", plan.Config.Tag, len(plan.Tasks), plan.World, cfg.BatchSize)
	if plan.Skipped > 0 {
		line += fmt.Sprintf(" (%d already stored, skipped)", plan.Skipped)
	}
	if plan.World == "live" {
		line += fmt.Sprintf("; plan ~%d LLM calls, ~%d tokens, ~$%.2f", plan.Total.Calls, plan.Total.PromptTokens+plan.Total.CompletionTokens, plan.Total.CostUSD)
		if !plan.Total.Priced {
			line += " (some models unpriced)"
		}
	}
	return line
}

// printPlan is --dry-run: the configuration as run.json would hold it, then the plan.
func printPlan(w io.Writer, cfg config.Run) error {
	plan, err := session.PlanRun(cfg, session.PlanAssumptions{})
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(plan.Config, "", "  ")
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "resolved configuration (run.json):\n%s\n\n", b); err != nil {
		return err
	}
	return plan.WriteText(w)
}

// defineRunFlags binds every run flag to a field of r (flag names follow the reference CLI).
func defineRunFlags(fs *pflag.FlagSet, r *config.Run) {
	fs.StringVar(&r.Subset, "subset", r.Subset, "task subset: all, hard, hard_small, non_hard")
	fs.StringSliceVar(&r.Tasks, "tasks", r.Tasks, "explicit task (combo) ids instead of a subset")
	fs.IntVar(&r.MaxEpisodes, "max-episodes", r.MaxEpisodes, "keep the first N tasks (0 = all)")
	fs.IntVar(&r.BatchSize, "batch-size", r.BatchSize, "episodes run concurrently")
	fs.IntVar(&r.MaxRetries, "max-retries", r.MaxRetries, "extra attempts for a failed episode")
	fs.StringVar(&r.Bandit, "bandit-type", r.Bandit, "policy: "+strings.Join(policy.Names(), ", ")+
		" (instinct is the artifact's neural_ucb, inferred to be the paper's Instinct column; our neural_ucb is Zhou et al.'s)")
	fs.StringVar(&r.Optimize, "optimize", r.Optimize, "optimised seats: both, p1, p2, none")
	fs.StringVar(&r.Credit, "credit", r.Credit, "credit assignment: all (reference: both seats every turn) or own-turn")
	fs.IntVar(&r.MaxTurns, "max-turns", r.MaxTurns, "environment steps per episode")
	fs.StringVar(&r.Era, "era", r.Era, "agent prompts and Sotopia rules: also (the ALSO artifact's), benchmark or 2023 (Sotopia's)")
	fs.StringVar(&r.JudgePrompt, "judge-prompt", r.JudgePrompt, "judge prompts: also (the ALSO artifact's per-turn and terminal) or sotopia (Sotopia's stock)")
	fs.StringVar(&r.StrategyVersion, "strategy-version", r.StrategyVersion, "arm pool (see `also data strategies`)")
	fs.BoolVar(&r.UseContext, "context-embedding", r.UseContext, "embed the dialogue each turn and condition ALSO on it (instinct and neural_ucb too with --ucb-context-embedding)")
	fs.Int64Var(&r.Seed, "seed", r.Seed, "run seed: same seed, same episodes (sim world)")
	fs.StringVar(&r.Tag, "tag", r.Tag, "experiment tag (default: derived from the configuration)")
	fs.StringVar(&r.Out, "out", r.Out, "run folder (default: runs/<tag>_<time>)")
	fs.BoolVar(&r.Resume, "resume", r.Resume, "skip tasks already stored under --tag")
	fs.StringVar(&r.PolicyIn, "policy-in", r.PolicyIn, "start each optimised seat's policy from DIR/p1.json, DIR/p2.json (policy checkpoints; episodes then run one at a time, carrying the state in task order)")
	fs.BoolVar(&r.PolicyFreeze, "policy-freeze", r.PolicyFreeze, "with --policy-in: select from the loaded policy and ignore rewards (its state does not change)")
	fs.StringVar(&r.PolicyOut, "policy-out", r.PolicyOut, "write the state each optimised seat ends the run with to DIR/p1.json, DIR/p2.json (never replacing a file)")
	fs.Var((*durationFlag)(&r.StepTimeout), "step-timeout", "fail an episode that waits longer than this for any reply")
	fs.StringVar(&r.Model, "model", r.Model, "both agents' model: sim, openrouter/<vendor>/<model>, openai/<model>, custom/<model>@<url>")
	fs.StringVar(&r.P1Model, "p1-model", r.P1Model, "seat 1's model (overrides --model)")
	fs.StringVar(&r.P2Model, "p2-model", r.P2Model, "seat 2's model (overrides --model)")
	fs.StringVar(&r.P1Agent, "p1-agent", r.P1Agent, "what plays seat 1: llm (its model), scripted:refuser|staller|leaver, script:FILE, switch:MODEL@TURN,MODEL@TURN... or a registered agent")
	fs.StringVar(&r.P2Agent, "p2-agent", r.P2Agent, "what plays seat 2 (as --p1-agent)")
	fs.StringVar(&r.RewardEvalModel, "reward-eval-model", r.RewardEvalModel, "per-turn judge model (live runs default to "+live.DefaultRewardEvalModel+")")
	fs.StringVar(&r.TerminalEvalModel, "terminal-eval-model", r.TerminalEvalModel, "terminal judge model (live runs default to "+live.DefaultTerminalEvalModel+")")
	fs.StringVar(&r.EmbeddingModel, "embedding-model", r.EmbeddingModel, "context/arm embedding model (live runs default to "+live.DefaultEmbeddingModel+")")
	fs.StringVar(&r.OptimizerModel, "optimizer-model", r.OptimizerModel, "LLM that writes new arm texts for opro, evoprompt-*, promptbreeder (sim world: sim; live runs default to "+live.DefaultOptimizerModel+")")
	fs.Float64Var(&r.Temperature, "temperature", r.Temperature, "agent sampling temperature")
	fs.IntVar(&r.MaxTokens, "max-tokens", r.MaxTokens, "agent generation limit")
	fs.StringVar(&r.LLMCache, "llm-cache", r.LLMCache, "record/replay cache: off, record, replay, auto")
	fs.StringVar(&r.CacheDir, "cache-dir", r.CacheDir, "record/replay cache directory")
	fs.Float64Var(&r.BudgetUSD, "budget-usd", r.BudgetUSD, "stop starting episodes once this much is spent (0 = no limit)")
	fs.StringVar(&r.Prices, "prices", r.Prices, "TOML price table overriding the built-in one")
	fs.IntVar(&r.LLMConcurrency, "llm-concurrency", r.LLMConcurrency, "LLM requests in flight per endpoint (0 = default: 32 hosted, 8 custom); raise it with --batch-size")
	fs.Float64Var(&r.LLMRPM, "llm-rpm", r.LLMRPM, "requests per minute per provider (0 = unlimited; [llm_limits.<provider>] in a run file sets them one by one)")
	fs.Float64Var(&r.LLMTPM, "llm-tpm", r.LLMTPM, "tokens per minute per provider (0 = unlimited)")
	fs.Var((*durationFlag)(&r.LLMTimeout), "llm-timeout", "give up on one LLM attempt after this long (it is retried)")
	fs.IntVar(&r.LLMAttempts, "llm-attempts", r.LLMAttempts, "attempts per LLM call (429, 5xx, timeouts and broken replies are retried)")
	fs.Var((*durationFlag)(&r.LLMRetryDelay), "llm-retry-delay", "base of the jittered exponential retry backoff (a server's Retry-After wins)")
	fs.StringVar(&r.Sim.Opponent, "opponent", r.Sim.Opponent, "sim opponent: "+strings.Join(sim.Profiles(), ", "))
	fs.IntVar(&r.Sim.Dim, "embed-dim", r.Sim.Dim, "sim world hashed-embedding dimension")
	fs.Float64Var(&r.Sim.LeaveTrust, "sim-leave-trust", r.Sim.LeaveTrust, "sim trust floor below which a seat leaves (0 = never)")
	fs.Float64Var(&r.Sim.SharedPref, "sim-shared-pref", r.Sim.SharedPref, "sim share in [0, 1] of every scenario's hidden preference common to all scenarios (0 = none: nothing transfers between scenarios)")
	fs.StringVar(&r.Store, "store", r.Store, "embedded store directory")
	fs.StringVar(&r.RedisURL, "redis-url", r.RedisURL, "Redis URL: episodes are saved in --store first, then sent to Redis (default $REDIS_OM_URL)")
	p := &r.Policy
	fs.Float64Var(&p.Eta, "eta", p.Eta, "softmax temperature of ALSO; the default is the artifact's CLI default, no paper run's: its configs use 0.5 (adversarial_v3_hard.yml, Sotopia-Hard), 10 (its README's direct hard_small run) and 4 with --dynamic-eta (s24 ablation)")
	fs.Float64Var(&p.Gamma, "gamma", p.Gamma, "EXP3 uniform mixing (0 = tuned to the horizon)")
	fs.Float64Var(&p.Alpha, "alpha", p.Alpha, "LinUCB alpha / instinct and neural_ucb lambda")
	fs.Float64Var(&p.Beta, "beta", p.Beta, "instinct and neural_ucb nu (neural_ucb_no_ctx_v3.yml: 0.01; other artifact configs 0.05 to 1)")
	fs.Float64Var(&p.Epsilon, "selection-epsilon", p.Epsilon, "epsilon of epsilon-greedy and ALSO's greedy selection")
	fs.IntVar(&p.StaticArm, "static-arm", p.StaticArm, "static: the pool arm every optimised seat always plays (0 = no strategy, the paper's Original; k holds strategy k fixed)")
	fs.IntVar(&p.PopulationSize, "population-size", p.PopulationSize, "opro, evoprompt-*, promptbreeder: members (the first N pool arms seed it)")
	fs.IntVar(&p.EvolutionInterval, "evolution-interval", p.EvolutionInterval, "opro, evoprompt-*, promptbreeder: turns between evolutions")
	fs.IntVar(&p.UpdateInterval, "update-interval", p.UpdateInterval, "also, instinct and neural_ucb retrain only after turns t with t % N == 0 and select with the last-trained network in between (the artifact's; paper runs: 1)")
	fs.BoolVar(&p.AlternateOptimization, "alternate-optimization", p.AlternateOptimization, "optimize both only: both seats learn every turn, but only seat 1 (after odd turns) or seat 2 (after even turns) retrains and reselects (the artifact's; off in paper runs)")
	fs.BoolVar(&p.UCBContext, "ucb-context-embedding", p.UCBContext, "instinct and neural_ucb append the dialogue embedding to the arm's (the artifact's neural_ucb with --context-embedding; its neural_ucb_no_ctx configs, inferred to be the paper's Instinct runs, have none)")
	a := &p.ALSO
	fs.IntVar(&a.Depth, "depth", a.Depth, "surrogate hidden layers")
	fs.IntVar(&a.Hidden, "hidden", a.Hidden, "surrogate hidden width")
	fs.IntVar(&a.Epochs, "epochs", a.Epochs, "surrogate epochs per retraining")
	fs.Float64Var(&a.ScoreDecay, "score-decay", a.ScoreDecay, "decay of the summed prediction vectors")
	fs.StringVar(&a.EtaSchedule, "eta-schedule", a.EtaSchedule, "ALSO's eta after turn t: constant, divide-sqrt (eta / sqrt(t+1): what the artifact's --dynamic-eta does) or multiply-sqrt (eta * sqrt(t+1): what its help text says)")
	fs.VarPF(dynamicEtaFlag{&a.EtaSchedule}, "dynamic-eta", "", "the artifact's --dynamic-eta: --eta-schedule divide-sqrt (eta / sqrt(t+1))").NoOptDefVal = "true"
	fs.StringVar(&a.ScoreMode, "cumulative-score-mode", a.ScoreMode, "nn, actual or mean")
	fs.BoolVar(&a.Greedy, "greedy-selection", a.Greedy, "epsilon-greedy on the surrogate instead of softmax (ablation)")
	fs.BoolVar(&a.Static, "static-strategy", a.Static, "choose once after turn 1 and hold (ablation)")
	fs.BoolVar(&a.MultiDim, "multi-dim-prediction", a.MultiDim, "seven-output surrogate head")
	fs.StringVar(&a.Surrogate, "surrogate", a.Surrogate, "scratch (reference: retrain from scratch) or warm")
	fs.IntVar(&a.WarmEpochs, "warm-epochs", a.WarmEpochs, "epochs per turn with --surrogate warm")
}

// overrideChanged copies the flags given on the command line onto a configuration read from a file.
func overrideChanged(fs *pflag.FlagSet, r *config.Run) error {
	target := pflag.NewFlagSet("override", pflag.ContinueOnError)
	defineRunFlags(target, r)
	var err error
	fs.Visit(func(f *pflag.Flag) {
		if err != nil || target.Lookup(f.Name) == nil {
			return
		}
		val := f.Value.String()
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			val = strings.Join(sv.GetSlice(), ",")
		}
		err = target.Set(f.Name, val)
	})
	return err
}

// dynamicEtaFlag is the artifact's boolean --dynamic-eta, set onto the eta schedule its code runs.
type dynamicEtaFlag struct{ schedule *string }

func (d dynamicEtaFlag) String() string {
	if d.schedule != nil && *d.schedule == policy.EtaDivideSqrt {
		return "true"
	}
	return "false"
}
func (d dynamicEtaFlag) Type() string { return "bool" }
func (d dynamicEtaFlag) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	if on {
		*d.schedule = policy.EtaDivideSqrt
	} else if *d.schedule == policy.EtaDivideSqrt {
		*d.schedule = policy.EtaConstant
	}
	return nil
}

type durationFlag config.Duration

func (d *durationFlag) String() string { return config.Duration(*d).String() }
func (d *durationFlag) Type() string   { return "duration" }
func (d *durationFlag) Set(s string) error {
	return (*config.Duration)(d).UnmarshalText([]byte(s))
}
