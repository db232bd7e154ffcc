// Package sim is the simulated social world: the embedded default of `also run` (no key, no
// network) and the test bench of every policy. It implements sotopia.World with offline agents, a
// judge and an embedder over a hidden model whose expected rewards are known every turn, so runs
// can report regret. It is a real learning problem (non-stationary, adversarial, partly
// contextual, noisy) and is not tuned for any method. Starting point: design/sim-world.md; what
// changed and why is listed at the end.
//
// # Embedder
//
// HashEmbedder lower-cases the text, splits it into words (maximal runs of letters and digits),
// drops English stop words, adds +-1 for every remaining word unigram and bigram at index
// hash % Dim (sign from the hash's top bit; FNV-1a finished by splitmix64) and L2-normalises.
// Dim is 256 by default and any positive value works (4096 included). EmbedInto allocates
// nothing: about 55 µs for a 2,500-word dialogue at Dim 256 or 4096 (≈160 MB/s,
// `go test -bench HashEmbedder ./sotopia/sim/`).
//
// # Hidden model
//
// Arm k of seat i has the feature phi_k = embedding of its strategy description (the zero vector
// for the no-strategy baseline). Each seat has a hidden unit vector theta_i ("what works on my
// opponent"), drawn from the episode seed, the task id and the seat:
//
//	theta_i(1) = normalise(phi_k1 [+ 0.5 phi_k2] + 0.5 u)
//
// with k1 (and, with probability 1/2, k2 != k1) uniform over the seat's non-baseline pool arms
// and u a uniformly random unit vector. With the affinity of arm a,
//
//	s_i(a, t) = <theta_i(t), phi_a> - mean over the pool k of <theta_i(t), phi_k>,
//
// the expected per-turn reward of seat i playing a while seat j plays b is
//
//	mu_i(a | b, t) = sigmoid( Beta s_i(a,t) - kappa_s s_j(b,t) + Lambda (tau_t - 1/2) + c_i [+ o_s] )
//
// and the observed reward is r_i = clip(mu_i + N(0, Noise^2), 0, 1). c_i ~ N(0, OffsetSD^2) per
// task and seat. kappa_s = Kappa times, by scenario source: craigslist_bargains and deal-or-no-deal
// +1 (competitive: an opponent playing well costs me); persuation_for_good +0.5 (persuasion is
// half a contest); mutual_friends -1 (pure cooperation); social_chemistry, social_iqa and
// normbank -0.5 (everyday cooperation); hand-craft and unknown sources 0 (mixed). o_s is the
// offset of a seat facing a scripted agent (below).
//
// Every turn both seats are rewarded for the arms active that turn (ALSO credits both bandits
// after every step); the acting seat alternates, seat 0 first. Then trust and goal progress move:
//
//	tau  <- clip(tau + TrustRate ((r_0 + r_1)/2 - 1/2), 0, 1)
//	pi_i <- clip(pi_i + GoalRate g r_i, 0, 1)
//
// with g = 1, or the scripted opponent's goal scale. Trust starts at 0.4 between strangers, 0.45
// for people who know each other by name, 0.5 for acquaintances, 0.55 for friends and 0.6 for
// romantic partners and family; goal progress starts at 0. The listener gains knowledge when the actor
// speaks (1) or gestures or acts (0.3); an actor speaking under a risky strategy accumulates a
// secret leak or a rule violation (cue words of the description: self-disclosure; pressure or
// deception). A non-scripted actor leaves when tau < LeaveTrust after more than LeaveAfter
// turns, which ends the episode. Expected[i] lists mu_i(a | b_t, t) for every pool arm a with the
// other seat's arm b_t fixed; Regret = max - mu of the arm played (0 for the best arm).
//
// # Shared preferences (transfer across scenarios)
//
// SharedPref s in [0, 1] makes part of every scenario's initial preference common: theta_i(1) =
// normalise(sqrt(s) shared_i + sqrt(1-s) own_i), own_i drawn per task and seed as above and
// shared_i drawn the same way from a stream labelled by the seat only, so it is one vector for the
// whole world (every task, every seed, every run). A policy pre-trained on some scenarios can then
// help on unseen ones exactly as far as s allows; at 0 (the default) scenarios share nothing and
// theta is untouched. The profiles below move theta from theta(1) (switching redraws it whole).
//
// # Opponent profiles (how theta moves) and scripted agents
//
//   - static: theta is constant - a stochastic bandit.
//   - drifting: every turn theta <- normalise(theta + Drift d), d a random unit direction made of a
//     Gaussian mix of the pool's features plus a little isotropic noise.
//   - switching: every SwitchEvery turns (turns k+1, 2k+1, ...) theta is redrawn like theta(1), with
//     a different leading arm.
//   - adaptive: theta_i(t) = normalise(theta_i(1) - AdaptAlpha mean(phi of seat i's last AdaptMemory
//     arms)): the opponent punishes what seat i did lately, so repeating an arm lowers its reward
//     (the baseline, a zero vector, cannot be punished).
//   - refuser, staller, leaver: a scripted agent takes seat 1, or seat 0 when only seat 1 is
//     optimised (ScriptedSeat), and acts by fixed rules whatever its strategy: the refuser politely
//     refuses every turn (o_s = -1, goal scale 0.3, knowledge 0.3), the staller answers vaguely
//     (o_s = -0.5, goal scale 0.6, no knowledge) and passes (`none`) with probability 0.2 only in
//     seat 0 and never twice running, because in benchmark-era Sotopia a pass by slot 1 ends the
//     episode at once; the leaver chats normally (without strategy) and leaves on its LeaverTurns-th
//     own turn. Facing a scripted agent, the other seat's theta is static; the scripted seat's
//     expected reward is the same for every arm.
//
// # Hidden state, agents and judge
//
// The episode's hidden state (the model: theta, trust, goal progress, noise) is a
// sotopia.Hidden that only the environment actor touches. SetArm gives it a seat's active arm
// (it reads the arm's description, so strategies outside the pool, rewritten by prompt
// optimisers, get their own features). Cue plays turn obs.Turn+1 (obs.Turn = environment turns
// done) for the acting seat and returns the cue its agent needs: the decided action, the trust,
// the speaker's own-turn count, its active strategy's words and the key words of its listener's
// best arms; asking again for a played turn returns the same cue, skipping turns is an error.
// TurnFacts and EpisodeFacts are what the judge needs. The Agent voices its cue with its own
// random text stream: mostly `speak` (NonVerbalRate of turns are gestures or physical actions):
// a greeting or connector, now and then the goal in the first person, a line in the spirit of the
// active strategy (a phrase it quotes, or two of its words), and a hint of what works on the
// speaker: key words (the pool-rarest content words) of the strategy nearest its listener's
// current theta. Hints are phrased by role (seat 0 "I would appreciate some ...", seat 1 "I'd be
// more open with some ..."): with every key word right after a role cue, the dialogue's bigrams
// say whose preference it is. Everything is deterministic from the episode seed; the hidden
// state, the agents and the judge share nothing (cue and facts travel in the actors' messages).
//
// Seat agents (package agents): a scripted behaviour or a script file in a seat (NewWithAgents)
// is played by the hidden state exactly like the scripted Opponent settings; a script's own
// effects are neutral (no logit offset, full goal progress and information).
//
// # Judge
//
// JudgeTurn reads the facts of the turn (the judge may not be called every turn, so it never
// changes the state) plus noise seeded by (episode, turn, seat). Per seat it shapes the seven
// Sotopia-Eval dimensions, in points above each range's minimum (every range is 10 wide):
// believability 8.5 (6.5 scripted), relationship 5 + 10 (tau - tau(0)), knowledge
// 10 (1 - exp(-info/4)), secret 10 - 1.5 leaks, social rules 10 - 1.5 violations, financial
// 5 + 8 (pi_i - pi_j) competitive / 5 + 4 (pi_i - pi_j) persuasion / 5 + 2 pi_i otherwise, goal
// 10 pi_i, each plus N(0, 0.5^2). A common shift weighted per dimension (goal and relationship 1,
// knowledge and financial 0.6, believability 0.4, secret and social rules 0.3) then makes the
// points total round(70 r_i), and largest-remainder rounding keeps the integers on that total. So
// the scores are integers in range and sotopia.Scores.Reward() equals the observed reward to
// within 1/140: the real pipeline's per-turn reward is the sim's reward. Over 1,196 judged turns
// corr(Reward(), mu) = 0.876 (TestJudgeRewardTracksMu). JudgeEpisode does the same from the last
// turn's state with the mean observed reward of the episode.
//
// # Game
//
// Game is the same core without actors or text, for long-horizon bandit benchmarks: Play(arms)
// plays one turn and returns the Outcome (rewards, mu, Expected, Regret), Expected(seat) is a pure
// read for the next turn. A 200-turn game takes about 2.3 ms including set-up
// (`go test -bench Game200 ./sotopia/sim/`); a 20-turn episode through agents, judge and embedder
// about 2.5 ms (BenchmarkEpisode).
//
// # Measured figures
//
// DefaultConfig, the v3 pool of 13 arms, uniformly random arms for both seats, one 20-turn
// episode per task of the 450 (seat 0; "leaves" = episodes ended by a leave):
//
//	profile    leaves  mean mu  best-arm mu  baseline mu  regret/turn  turns
//	static       4.7%   0.476      0.943        0.368        0.467     19.9
//	drifting     3.6%   0.488      0.861        0.408        0.374     19.9
//	switching    3.8%   0.475      0.942        0.368        0.468     19.9
//	adaptive     3.3%   0.489      0.929        0.477        0.440     19.9
//	refuser     53.1%   0.261      0.846        0.163        0.585     17.5
//	staller     34.9%   0.353      0.902        0.245        0.550     18.6
//	leaver       100%   0.469      0.943        0.365        0.474      4.0
//
// Random play thus loses about 9.3 per 20 turns against the best arm per turn, as the
// sim-world.md prototype did (9.31). Against the refuser most episodes end early because trust
// sinks below the floor and the optimised seat walks out.
//
// Context signal: held-out R^2 of a ridge probe from the dialogue embedding to seat 0's arm
// affinities s_0(., t) (MeasureContextSignal, DefaultProbeOptions: 1,200 episodes, a quarter held
// out by episode, lambda chosen on a validation fifth), next to the same probe on shuffled targets:
//
//	static 0.322, drifting 0.182, switching 0.039, adaptive 0.235, refuser -0.002, staller -0.002,
//	leaver 0.029; shuffled between -0.0001 and 0.0000 everywhere.
//
// The whole dialogue is embedded, so after a switch old hints linger (switching is nearly
// invisible); the refuser and the staller reveal nothing. The probe is data-hungry: with 300
// episodes it reaches 0.130 (static; TestContextSignalAboveShuffled).
//
// # Changes from sim-world.md, and why
//
//   - Affinities are centred on the pool mean: c_i then sets the level of an average arm whatever
//     theta looks like, and kappa's term has mean zero instead of shifting every reward.
//   - The drifting step lies mostly in the span of the arm features: isotropic noise in Dim
//     dimensions is nearly orthogonal to every arm, so it would only fade theta until all arms
//     looked alike, never change which arm is best.
//   - The embedder drops stop words (as scikit-learn's HashingVectorizer can): in a few hundred
//     buckets, counts of "the" and "I" bury the content words they collide with (static probe
//     R^2 0.23 with stop words, 0.32 without).
//   - Hints repeat each strategy's few key words (during design, at 200 episodes: probe R^2 0.00
//     with random content words of the description, 0.08 with key words) and are phrased by role: both seats hint in the same
//     vocabulary, so a bag of words alone cannot tell seat 0's preferences from seat 1's (static
//     R^2 0.20 with one phrasing for both seats, 0.32 with role cues).
//   - Judge scores are fitted to the observed reward (shape from the state, level from r_i), so
//     the normalised mean equals r_i instead of only correlating with it.
//   - adaptive punishes the arms of the seat whose theta it is (the opponent watching that seat),
//     which is what "repeating an arm makes it worse" needs.
//   - Trust starts by relationship; scripted opponents lower the other seat's logit and progress.
//   - Leaving on goal completion is left out: pi reaches 1 only near the end of long episodes and
//     an early end would mostly shorten regret curves.
package sim
