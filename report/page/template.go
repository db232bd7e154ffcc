package page

// pageTemplate is the whole report. Everything is inline: no script, font, image or style is
// fetched, so the file reads the same offline. Widths are capped and long text wraps, so a laptop
// screen never scrolls sideways.
const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { --ink:#1d2330; --muted:#5b6475; --line:#d9dee7; --band:#f4f6fa; --accent:#1f5fae; }
* { box-sizing: border-box; }
body { margin:0; color:var(--ink); font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",Arial,sans-serif; background:#fff; }
main { max-width:1180px; margin:0 auto; padding:16px 20px 64px; }
h1 { font-size:1.6em; margin:.4em 0 .1em; }
h2 { font-size:1.25em; margin:1.8em 0 .4em; padding-bottom:.2em; border-bottom:2px solid var(--line); }
h3 { font-size:1.05em; margin:1.2em 0 .3em; }
p.meta, .muted { color:var(--muted); }
nav a { margin-right:1em; color:var(--accent); }
table { border-collapse:collapse; width:100%; margin:.4em 0 1em; font-size:.9em; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; overflow-wrap:anywhere; }
th { background:var(--band); font-weight:600; }
td.tagcell { overflow-wrap:normal; max-width:16em; border-right:1px solid var(--line); }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td.sig { background:#fff3c4; font-weight:600; }
pre { white-space:pre-wrap; overflow-wrap:anywhere; background:var(--band); padding:8px; font-size:.82em; max-height:28em; overflow-y:auto; }
details { margin:.3em 0; }
summary { cursor:pointer; }
.figs { display:grid; grid-template-columns:repeat(auto-fill,minmax(520px,1fr)); gap:18px; }
figure { margin:0; border:1px solid var(--line); padding:8px; }
figure svg { width:100%; height:auto; display:block; }
figcaption { font-size:.85em; color:var(--muted); margin-top:4px; }
.episode { border:1px solid var(--line); border-radius:4px; padding:4px 10px; margin:6px 0; }
.episode > summary { font-weight:600; }
.status-failed, .status-interrupted { color:#a4262c; }
table.turns td.turn, table.turns th:first-child { width:3.2em; white-space:nowrap; overflow-wrap:normal; }
table.turns td.arm { width:30%; font-size:.92em; }
.armid { font-weight:600; }
.armtext { color:var(--muted); font-size:.88em; margin-top:2px; }
.kind { color:var(--muted); font-size:.85em; }
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p class="meta">Generated {{.Generated}} from {{.Source}}. Tags: {{range $i, $t := .Tags}}{{if $i}}, {{end}}<b>{{$t.Name}}</b>{{end}}.</p>
<nav><a href="#configuration">Configuration</a><a href="#comparison">Comparison</a><a href="#paper">Paper table</a><a href="#figures">Figures</a><a href="#episodes">Episodes</a></nav>

<h2 id="configuration">Configuration of each tag</h2>
{{range .Tags}}
<h3>{{breakable .Name}}</h3>
{{if .Cell}}<p>Experiment cell <code>{{.Cell}}</code>.</p>{{end}}
{{if .Bound}}
<p>Fingerprint <code>{{.Fingerprint}}</code>, bound {{.Created}}.</p>
{{if .Diffs}}<p>Settings that differ from the defaults of <code>also run</code> (default → this tag):</p>
<ul>{{range .Diffs}}<li><code>{{.}}</code></li>{{end}}</ul>{{else}}<p>The defaults of <code>also run</code>.</p>{{end}}
<details><summary>The whole configuration</summary><pre>{{json .Config}}</pre></details>
{{else}}
<p class="muted">No configuration recorded (imported episodes, or written before tags were bound).</p>
{{end}}
{{end}}

<h2 id="comparison">Comparison ({{.All.EvalSet}} episodes)</h2>
<p class="muted">Each task counts once (its last attempt). Failed and interrupted tasks are counted, not averaged.
Cells: mean [95% Student-t interval]; avg is the mean of both seats per episode.</p>
{{$metrics := .Metrics}}
{{range .All.Tags}}{{$t := .}}
<h3>{{.Tag}}: {{.Counts}}</h3>
<table class="compare" data-tag="{{.Tag}}">
<thead><tr><th>metric</th>{{range seats}}<th class="num">{{.}} (n={{(metric (seat $t .) "overall").N}})</th>{{end}}</tr></thead>
<tbody>{{range $metrics}}{{$m := .}}<tr><td>{{label $m}}</td>{{range seats}}<td class="num">{{ci (metric (seat $t .) $m)}}</td>{{end}}</tr>{{end}}</tbody>
</table>
{{end}}
{{if .All.Differences}}
<h3>Paired differences against {{.All.Baseline}}</h3>
<p class="muted">Over the tasks both tags scored: mean difference (tag − {{.All.Baseline}}), percentile bootstrap 95% CI
({{.All.Resamples}} resamples, seed {{.All.Seed}}), two-sided sign-flip p (exact up to 16 tasks), and p after Holm's correction across all {{len .All.Differences}} differences.
Highlighted: Holm p &lt; 0.05. n and the unadjusted p show on hover; <code>also compare</code> prints them all.</p>
<table class="differences">
<thead><tr><th>tag</th><th>metric</th>{{range seats}}<th class="num">{{.}}: diff [95% CI] · p (Holm)</th>{{end}}</tr></thead>
<tbody>{{range .DiffRows}}<tr>{{if .Span}}<td rowspan="{{.Span}}" class="tagcell">{{breakable .Tag}}</td>{{end}}<td>{{label .Metric}}</td>{{range .Seats}}{{if .}}<td class="num{{if lt .PHolm 0.05}} sig{{end}}" title="n = {{.N}}, unadjusted p = {{pvalue .P}}">{{diff .MeanDiff}} [{{diff .Lo}}, {{diff .Hi}}] · {{pvalue .PHolm}}</td>{{else}}<td class="num">-</td>{{end}}{{end}}</tr>{{end}}</tbody>
</table>
{{end}}

{{if .PaperRows}}
<h2 id="paper">The paper's table</h2>
<p class="muted">Goal, Relationship, Knowledge and Overall on all and on Sotopia-hard episodes, the mean of both seats per episode
(as the ALSO paper aggregates), ± the 95% interval's half width; raw Sotopia scales.</p>
<table class="paper">
<thead><tr><th>tag</th><th class="num">All Goal</th><th class="num">All Rel</th><th class="num">All Know</th><th class="num">All Overall</th><th class="num">Hard Goal</th><th class="num">Hard Rel</th><th class="num">Hard Know</th><th class="num">Hard Overall</th></tr></thead>
<tbody>{{range .PaperRows}}{{$r := .}}<tr><td>{{.Tag}}</td>{{range cols}}<td class="num">{{pm (get $r.All .)}}</td>{{end}}{{range cols}}<td class="num">{{pm (get $r.Hard .)}}</td>{{end}}</tr>{{end}}</tbody>
</table>
{{range .PaperRows}}<p class="muted">{{.Tag}}: all {{.NAll}}; hard {{.NHard}}.</p>{{end}}
{{end}}

<h2 id="figures">Figures</h2>
<div class="figs">
{{range .FigureSVGs}}<figure class="plot" id="fig-{{.Name}}">{{.SVG}}<figcaption>{{.Caption}}</figcaption></figure>
{{end}}
</div>

<h2 id="episodes">Episodes</h2>
<p class="muted">Every task's last attempt. Per turn: who acted and what they did, then for each seat the arm that was active
(its strategy text, which the seat's background carries), the probability the policy gave it, the seat's reward for the turn and, in the sim world, its regret.</p>
{{range .Browsers}}
<h3>{{.Tag}} ({{len .Episodes}} episodes)</h3>
{{range .Episodes}}
<details class="episode" id="{{.ID}}"{{if .Open}} open{{end}}>
<summary>{{.Title}} · <span class="status-{{.Status}}">{{.Status}}</span>{{if .Scores}} · {{.Scores}}{{end}}</summary>
{{if .Error}}<p class="status-failed">{{.Error}}</p>{{end}}
{{if .FromMessages}}<p class="muted">No turn records (imported episode): the message log, without arms or rewards.</p>{{end}}
<table class="turns transcript">
<thead><tr><th>turn</th><th>action</th>{{if not .FromMessages}}{{range .Names}}<th>{{.}}: arm · probability · reward</th>{{end}}{{end}}</tr></thead>
<tbody>{{range .Turns}}<tr class="turn-row"><td class="turn num">{{.Turn}}</td>
<td><b>{{.Speaker}}</b> <span class="kind">{{.Kind}}</span><br>{{.Text}}{{if .Note}}<br><span class="muted">{{.Note}}</span>{{end}}</td>
{{range .Seats}}<td class="arm"><span class="armid">{{.ArmID}}</span>{{if not .Optimised}} <span class="muted">(not optimised)</span>{{end}}<br>
p = <span class="prob">{{.Prob}}</span> · reward <span class="reward">{{.Reward}}</span>{{if .Regret}} · regret {{.Regret}}{{end}}
{{if .ArmText}}<div class="armtext">{{.ArmText}}</div>{{end}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</details>
{{end}}
{{end}}
</main>
</body>
</html>
`
