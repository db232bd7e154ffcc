package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
	prog "github.com/also-project/also/progress"
	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// ExperimentOptions are what `also experiment` adds to its cells.
type ExperimentOptions struct {
	// BatchSize bounds the episodes in flight across all cells (0: the largest cell batch_size).
	// A cell runs with at most this many of its own; cells start in file order as room frees.
	BatchSize int
	// OutDir holds the cells' run folders (<tag>_<time>); default runs/<experiment name>.
	OutDir string
	// Log receives the cells' lines, each prefixed with its tag; nil discards them.
	Log io.Writer
	// Progress follows every cell (Plan is called for each before the first starts).
	Progress *prog.Tracker
	// LLM adjusts how live cells reach their models; all live cells share one router, so the
	// per-provider concurrency and rate limits hold for the experiment as a whole.
	LLM LLMOptions
	// Store replaces the store the cells name (they must all name the same one).
	Store store.Store
	// Dispatch, if set, plays every cell's episodes elsewhere (a cluster), as Options.Dispatch.
	Dispatch Dispatcher
	// World, if set, builds each cell's world instead of the one its configuration names
	// (tests count episodes in flight this way).
	World func(config.Run) (sotopia.World, error)
}

// CellOutcome is how one cell ended: Skipped when its tag already held every task.
type CellOutcome struct {
	Cell    config.Cell
	Outcome *Outcome
	Skipped bool
	Err     error
}

// RunExperiment runs the cells a plan has left to do, concurrently within opt.BatchSize, and
// returns each cell's outcome. The error says how the experiment ended when not every task of
// every cell is done: *ConfigError, *InterruptedError or *IncompleteError (summed over cells),
// or the first other cell error.
func RunExperiment(ctx context.Context, plan *ExperimentPlan, opt ExperimentOptions) ([]CellOutcome, error) {
	if len(plan.Cells) == 0 {
		return nil, refuse(errors.New("the experiment has no cells"))
	}
	first := plan.Cells[0].Cell.Run
	bound := opt.BatchSize
	for _, cp := range plan.Cells {
		r := cp.Cell.Run
		if r.Store != first.Store || r.RedisURL != first.RedisURL {
			return nil, refuse(fmt.Errorf("cell %s: store and redis_url must be the same in every cell (cells share one store)", cp.Cell.Label))
		}
		if opt.BatchSize == 0 {
			bound = max(bound, r.BatchSize)
		}
	}
	if bound < 1 {
		return nil, refuse(fmt.Errorf("batch size %d: must be at least 1", bound))
	}
	router, err := sharedRouter(plan, opt)
	if err != nil {
		return nil, err
	}
	if router != nil {
		opt.LLM.Router = router
	}
	st := opt.Store
	if st == nil && plan.Remaining() > 0 {
		if st, err = OpenStore(ctx, first); err != nil {
			return nil, err
		}
		defer st.Close()
	}
	outDir := opt.OutDir
	if outDir == "" {
		outDir = filepath.Join("runs", plan.Name)
	}
	log := lockedWriter(opt.Log)
	if opt.Progress != nil {
		for _, cp := range plan.Cells {
			opt.Progress.Plan(cp.Cell.Tag, len(cp.Plan.Tasks), min(cp.Cell.Run.BatchSize, bound))
		}
	}
	slots := newSlots(bound)
	results := make([]CellOutcome, len(plan.Cells))
	var wg sync.WaitGroup
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for i, cp := range plan.Cells {
		results[i].Cell = cp.Cell
		if len(cp.Plan.Tasks) == 0 {
			results[i].Skipped = true
			if log != nil {
				fmt.Fprintf(log, "[%s] nothing to run: all %d tasks are stored under the tag\n", cp.Cell.Tag, cp.Plan.Skipped)
			}
			if opt.Progress != nil {
				opt.Progress.End(cp.Cell.Tag)
			}
			continue
		}
		cfg := cp.Cell.Run
		cfg.BatchSize = min(cfg.BatchSize, bound, len(cp.Plan.Tasks))
		cfg.Out = report.FreeName(filepath.Join(outDir, cfg.Tag+"_"+stamp))
		if !slots.acquire(ctx, cfg.BatchSize) {
			results[i].Err = &InterruptedError{Tag: cfg.Tag, Cause: context.Cause(ctx)}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer slots.release(cfg.BatchSize)
			o := Options{Store: st, LLM: opt.LLM, Progress: opt.Progress, Dispatch: opt.Dispatch}
			if opt.World != nil {
				if o.World, results[i].Err = opt.World(cfg); results[i].Err != nil {
					return
				}
			}
			if log != nil {
				o.Log = &prefixWriter{prefix: "[" + cfg.Tag + "] ", w: log}
			}
			results[i].Outcome, results[i].Err = Execute(ctx, cfg, o)
		}()
	}
	wg.Wait()
	return results, experimentError(ctx, plan, results)
}

// experimentError folds the cells' errors into how the experiment ended.
func experimentError(ctx context.Context, plan *ExperimentPlan, results []CellOutcome) error {
	var (
		ce     *ConfigError
		other  error
		advice = "finished episodes are stored: rerun the experiment to run what is missing"
		inc    = &IncompleteError{Tag: "<cell tag>", Advice: advice}
		short  bool
	)
	for _, r := range results {
		var c *ConfigError
		var i *IncompleteError
		switch {
		case r.Err == nil:
		case errors.As(r.Err, &c):
			if ce == nil {
				ce = &ConfigError{Err: fmt.Errorf("cell %s: %w", r.Cell.Label, c.Err)}
			}
		case errors.As(r.Err, &i):
			short = true
			inc.Failed += i.Failed
			inc.NotStarted += i.NotStarted
			if inc.Stopped == "" {
				inc.Stopped = i.Stopped
			}
		default:
			var ie *InterruptedError
			if !errors.As(r.Err, &ie) && other == nil {
				other = fmt.Errorf("cell %s: %w", r.Cell.Label, r.Err)
			}
		}
	}
	switch {
	case ctx.Err() != nil:
		return &InterruptedError{Cause: context.Cause(ctx), Advice: advice}
	case ce != nil:
		return ce
	case other != nil:
		return other
	case short:
		for _, cp := range plan.Cells {
			inc.Planned += len(cp.Plan.Tasks) + cp.Plan.Skipped
		}
		for _, r := range results {
			switch {
			case r.Skipped:
				for _, cp := range plan.Cells {
					if cp.Cell.Tag == r.Cell.Tag {
						inc.Done += cp.Plan.Skipped
					}
				}
			case r.Outcome != nil:
				inc.Done += r.Outcome.Skipped + r.Outcome.Summary.Done
			}
		}
		return inc
	}
	return nil
}

// sharedRouter builds the one router every live cell uses (nil when no cell is live). Its
// transport settings come from the first live cell; a cell with other ones is refused, since
// they could not hold for it.
func sharedRouter(plan *ExperimentPlan, opt ExperimentOptions) (*llm.Router, error) {
	if opt.LLM.Router != nil {
		return opt.LLM.Router, nil
	}
	var first *config.Cell
	for i := range plan.Cells {
		c := &plan.Cells[i].Cell
		if c.Run.IsSim() || len(plan.Cells[i].Plan.Tasks) == 0 {
			continue
		}
		if first == nil {
			first = c
			continue
		}
		if a, b := transport(first.Run), transport(c.Run); !reflect.DeepEqual(a, b) {
			return nil, refuse(fmt.Errorf("cell %s: LLM transport settings (llm_concurrency, llm_rpm, llm_tpm, llm_limits, llm_timeout, "+
				"llm_attempts, llm_retry_delay, llm_cache, cache_dir, prices) differ from cell %s's: cells share one router, set them in [base]",
				c.Label, first.Label))
		}
	}
	if first == nil {
		return nil, nil
	}
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	r, err := newRouter(first.Run, opt.LLM, lockedWriter(logw))
	if err != nil {
		return nil, refuse(err)
	}
	return r, nil
}

func transport(r config.Run) []any {
	return []any{r.LLMConcurrency, r.LLMRPM, r.LLMTPM, r.LLMLimits, r.LLMTimeout, r.LLMAttempts, r.LLMRetryDelay, r.LLMCache, r.CacheDir, r.Prices}
}

// slots is a counting semaphore that hands out several units at once, first come first served
// (the caller acquires in file order from one goroutine).
type slots struct {
	mu   sync.Mutex
	cond *sync.Cond
	free int
}

func newSlots(n int) *slots {
	s := &slots{free: n}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// acquire waits for n free units; false if ctx ends first.
func (s *slots) acquire(ctx context.Context, n int) bool {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.free < n && ctx.Err() == nil {
		s.cond.Wait()
	}
	if ctx.Err() != nil {
		return false
	}
	s.free -= n
	return true
}

func (s *slots) release(n int) {
	s.mu.Lock()
	s.free += n
	s.cond.Broadcast()
	s.mu.Unlock()
}

// prefixWriter starts every line with a prefix (the cell's tag), keeping partial lines until
// their newline.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := strings.IndexByte(string(p.buf), '\n')
		if i < 0 {
			return len(b), nil
		}
		line := p.prefix + string(p.buf[:i+1])
		p.buf = p.buf[i+1:]
		if _, err := io.WriteString(p.w, line); err != nil {
			return len(b), err
		}
	}
}
