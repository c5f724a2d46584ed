//! Synthetic scenarios: workflows of any size and shape, for benchmarks, load tests and `switchyard gen`.
//!
//! [`generate`] builds a typed [`Scenario`] from a handful of [`GenOptions`]; [`write_json`] streams it
//! out in the scenario file format, one agent or task per line, so even a million-task scenario is
//! written without building one giant string.
//!
//! Three DAG shapes are available (see [`Shape`]):
//!
//! * `chain`: `t0 → t1 → … → tN−1`, fully sequential (N − 1 edges);
//! * `fanout`: one root, N − 2 parallel tasks that depend on it, and one sink that depends on all of
//!   them (2(N − 2) edges);
//! * `layered`: `round(√N)` layers of about `N / layers` tasks; every task outside the first layer
//!   depends on two distinct random tasks of the previous layer (one when that layer has one task).
//!
//! Every agent has both capabilities (`build` and `test`) and tasks alternate between them, so every
//! task can run on any agent. Generation is deterministic: the same options always give the same
//! scenario, and [`write_json`] the same bytes. All randomness comes from [`SplitMix`] streams
//! seeded by the options' seed.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::str::FromStr;

use serde::Serialize;

use crate::rng::{self, SplitMix};
use crate::scenario::{
    AgentKind, AgentSpec, CompactString, DepIndex, DurationDist, Profile, RetryPolicy, Scenario, Strategy, TaskSpec,
};

/// The capabilities generated agents have and generated tasks alternate between.
pub const CAPABILITIES: [&str; 2] = ["build", "test"];

/// Concurrent attempts each generated agent accepts.
pub const MAX_CONCURRENT: u32 = 4;

/// Jitter of the agents' duration distribution (when the mean duration is not zero).
pub const DURATION_JITTER: f64 = 0.2;

/// The dependency structure of a generated workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `round(√N)` layers; each task depends on two random tasks of the previous layer.
    Layered,
    /// Every task depends on the one before it.
    Chain,
    /// One root, N − 2 parallel tasks, one sink depending on all of them.
    Fanout,
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Layered, Shape::Chain, Shape::Fanout];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Layered => "layered",
            Shape::Chain => "chain",
            Shape::Fanout => "fanout",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shape {
    type Err = String;

    fn from_str(s: &str) -> Result<Shape, String> {
        Shape::ALL.into_iter().find(|shape| shape.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Shape::ALL.iter().map(|shape| shape.name()).collect();
            format!("unknown shape `{s}` (expected one of: {})", names.join(", "))
        })
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    /// Number of tasks (at least 1).
    pub tasks: usize,
    /// Number of agents (at least 1).
    pub agents: usize,
    pub shape: Shape,
    /// Seeds the DAG, the agents' performance and (as the scenario seed) the run itself.
    pub seed: u64,
    /// Mean duration of one attempt, in ms (0 makes every attempt instantaneous).
    pub duration_ms: f64,
    /// Probability (0..=1) that an attempt fails.
    pub failure_rate: f64,
}

impl Default for GenOptions {
    /// 100 tasks on 4 agents, layered, seed 0, 100 ms of work per task, no failures.
    fn default() -> Self {
        GenOptions { tasks: 100, agents: 4, shape: Shape::Layered, seed: 0, duration_ms: 100.0, failure_rate: 0.0 }
    }
}

/// Builds the scenario described by `opts`.
///
/// Fails (with a message fit for a user) when there are no tasks or no agents, or when the duration
/// or failure rate is out of range.
pub fn generate(opts: &GenOptions) -> Result<Scenario, String> {
    check(opts)?;
    let n = opts.tasks;
    // Separate streams so the DAG and the agents don't influence each other.
    let (mut dag_rng, mut agent_rng) = rngs(opts);
    let ids = numbered_ids('t', n);
    let deps = dependencies(opts.shape, n, &mut dag_rng);
    let tasks: Vec<TaskSpec> = deps
        .into_iter()
        .enumerate()
        .map(|(i, deps)| {
            task_spec(
                opts,
                ids[i].as_str().into(),
                i,
                deps.into_iter().map(|d| ids[d as usize].as_str().into()).collect(),
            )
        })
        .collect();
    let agents = numbered_ids('a', opts.agents).into_iter().map(|id| agent_spec(opts, id, &mut agent_rng)).collect();
    let dep_index = DepIndex::resolve(&tasks);
    Ok(Scenario { agents, tasks, dep_index, ..header(opts) })
}

/// Fails (with a message fit for a user) when `opts` cannot be generated: see [`generate`].
pub fn check(opts: &GenOptions) -> Result<(), String> {
    let n = opts.tasks;
    if n == 0 {
        return Err("cannot generate a scenario with 0 tasks (need at least 1)".to_string());
    }
    if opts.agents == 0 {
        return Err("cannot generate a scenario with 0 agents (need at least 1)".to_string());
    }
    if n > u32::MAX as usize || opts.agents > u32::MAX as usize {
        return Err(format!("too many tasks or agents (at most {} of each)", u32::MAX));
    }
    if !(opts.duration_ms.is_finite() && opts.duration_ms >= 0.0) {
        return Err(format!("duration must be a finite number of ms, at least 0 (got {})", opts.duration_ms));
    }
    if !(0.0..=1.0).contains(&opts.failure_rate) {
        return Err(format!("failure rate must be between 0 and 1 (got {})", opts.failure_rate));
    }
    // Timeouts are 10 × the duration: both must stay within the format's time bound, or the file
    // written would not load.
    let max = crate::scenario::bounds::MAX_MS as f64 / 10.0;
    if opts.duration_ms > max {
        return Err(format!(
            "duration must be at most {max} ms (its timeout, 10 × the duration, must be at most {})",
            crate::scenario::bounds::MAX_MS_WORDS
        ));
    }
    Ok(())
}

/// The DAG's and the agents' random streams.
fn rngs(opts: &GenOptions) -> (SplitMix, SplitMix) {
    let dag_rng = SplitMix::new(rng::hash(opts.seed, &[rng::domain::GEN, 0]));
    let agent_rng = SplitMix::new(rng::hash(opts.seed, &[rng::domain::GEN, 1]));
    (dag_rng, agent_rng)
}

/// Task `i`, with id `id` and dependencies `depends_on`.
fn task_spec(opts: &GenOptions, id: CompactString, i: usize, depends_on: Vec<CompactString>) -> TaskSpec {
    // Never fires for an attempt within its agent's jitter (≤ mean × 1.2) at work 1.
    let timeout_ms = (opts.duration_ms * 10.0).ceil().max(1000.0) as u64;
    TaskSpec {
        id,
        description: String::new(),
        capability: CAPABILITIES[i % CAPABILITIES.len()].into(),
        specializations: Vec::new(),
        depends_on,
        priority: 0,
        timeout_ms,
        retry: RetryPolicy::default(),
        allocation: None,
        work: 1.0,
        ..Default::default()
    }
}

/// The next agent, drawing its performance from `agent_rng`.
fn agent_spec(opts: &GenOptions, id: String, agent_rng: &mut SplitMix) -> AgentSpec {
    let jitter = if opts.duration_ms == 0.0 { 0.0 } else { DURATION_JITTER };
    AgentSpec {
        id,
        capabilities: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
        specializations: Vec::new(),
        max_concurrent: MAX_CONCURRENT,
        cost: 1.0,
        // 0.5..=1.0 in steps of 0.001: short decimals survive any JSON round trip exactly.
        performance: (500.0 + (agent_rng.unit() * 500.0).round()) / 1000.0,
        profile: Profile {
            duration_ms: DurationDist { mean: opts.duration_ms, jitter },
            failure_rate: opts.failure_rate,
            ..Default::default()
        },
        kind: AgentKind::Sim,
        reports_to: None,
        ..AgentSpec::default()
    }
}

/// Everything but the agents and tasks.
fn header(opts: &GenOptions) -> Scenario {
    let n = opts.tasks;
    Scenario {
        name: format!("gen-{}-{}", opts.shape, n),
        description: format!(
            "Generated: {} workflow of {} tasks on {} agents, {} ms mean work, failure rate {}.",
            opts.shape, n, opts.agents, opts.duration_ms, opts.failure_rate
        ),
        seed: opts.seed,
        allocation: Strategy::LeastLoaded,
        heartbeat_ms: 0,
        ..Scenario::default()
    }
}

/// `prefix` followed by the index, zero-padded to the width of `count − 1`: `t0000` … `t9999`.
fn numbered_ids(prefix: char, count: usize) -> Vec<String> {
    NumberedIds::new(prefix, count).collect()
}

/// Sizes of the layers of a `layered` workflow of `n` tasks: `round(√n)` layers, the first
/// `n mod layers` of them one task larger than the others.
fn layer_sizes(n: usize) -> Vec<usize> {
    let layers = ((n as f64).sqrt().round() as usize).clamp(1, n.max(1));
    let (base, extra) = (n / layers, n % layers);
    (0..layers).map(|i| base + usize::from(i < extra)).collect()
}

/// The direct dependencies (by index, ascending) of each of the `n` tasks.
fn dependencies(shape: Shape, n: usize, rng: &mut SplitMix) -> Vec<Vec<u32>> {
    let mut stream = DepStream::new(shape, n);
    let mut deps = Vec::with_capacity(n);
    while let Some(d) = stream.next(rng) {
        deps.push(match d {
            Deps::Few(v) => v,
            Deps::Middle => (1..n as u32 - 1).collect(),
        });
    }
    deps
}

/// One task's dependencies, as [`DepStream`] yields them.
enum Deps {
    /// At most two.
    Few(Vec<u32>),
    /// Every task but the first and the last (the sink of a fanout), without listing them.
    Middle,
}

/// The dependencies of each task in turn, without holding those of all tasks: `gen` writes a
/// scenario of any size in constant memory.
struct DepStream {
    shape: Shape,
    n: usize,
    next: usize,
    /// `layered`: the layer sizes, the current layer, the position in it, where it starts, and
    /// (start, len) of the previous layer.
    layers: Vec<usize>,
    layer: usize,
    in_layer: usize,
    start: usize,
    prev: Option<(usize, usize)>,
}

impl DepStream {
    fn new(shape: Shape, n: usize) -> DepStream {
        // Fewer than three tasks leave no room for a fanout's middle: degrade to a chain.
        let shape = if shape == Shape::Fanout && n < 3 { Shape::Chain } else { shape };
        let layers = if shape == Shape::Layered { layer_sizes(n) } else { Vec::new() };
        DepStream { shape, n, next: 0, layers, layer: 0, in_layer: 0, start: 0, prev: None }
    }

    fn next(&mut self, rng: &mut SplitMix) -> Option<Deps> {
        if self.next == self.n {
            return None;
        }
        let i = self.next;
        self.next += 1;
        Some(match self.shape {
            Shape::Chain => Deps::Few(if i == 0 { Vec::new() } else { vec![i as u32 - 1] }),
            Shape::Fanout if i == 0 => Deps::Few(Vec::new()),
            Shape::Fanout if i == self.n - 1 => Deps::Middle,
            Shape::Fanout => Deps::Few(vec![0]),
            Shape::Layered => Deps::Few(self.next_layered(rng)),
        })
    }

    /// Each task outside the first layer depends on two random tasks of the previous one.
    fn next_layered(&mut self, rng: &mut SplitMix) -> Vec<u32> {
        let deps = match self.prev {
            None => Vec::new(),
            Some((p, 1)) => vec![p as u32],
            Some((p, m)) => {
                let a = rng.below(m as u64) as usize;
                let mut b = rng.below(m as u64 - 1) as usize;
                if b >= a {
                    b += 1;
                }
                let (lo, hi) = (a.min(b), a.max(b));
                vec![(p + lo) as u32, (p + hi) as u32]
            }
        };
        self.in_layer += 1;
        let len = self.layers[self.layer];
        if self.in_layer == len {
            self.prev = Some((self.start, len));
            self.start += len;
            self.layer += 1;
            self.in_layer = 0;
        }
        deps
    }
}

/// Writes the scenario [`generate`] would build from `opts` — the same bytes as [`write_json`]
/// of it — as it is generated, in memory that does not grow with the number of tasks or agents.
/// `opts` must pass [`check`].
pub fn stream_json(opts: &GenOptions, out: &mut impl Write) -> io::Result<()> {
    let (mut dag_rng, mut agent_rng) = rngs(opts);
    let header = header(opts);
    let mut w = BufWriter::with_capacity(1 << 16, out);
    head(&mut w, &header)?;
    let agent_ids = NumberedIds::new('a', opts.agents);
    list(&mut w, "agents", agent_ids.map(|id| agent_spec(opts, id, &mut agent_rng)))?;
    w.write_all(b",")?;
    write!(w, "\n\"tasks\":[")?;
    let ids = NumberedIds::new('t', opts.tasks);
    let mut stream = DepStream::new(opts.shape, opts.tasks);
    let mut i = 0;
    while let Some(deps) = stream.next(&mut dag_rng) {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        match deps {
            Deps::Few(d) => json(
                &mut w,
                &task_spec(opts, ids.id(i).into(), i, d.iter().map(|&d| ids.id(d as usize).into()).collect()),
            )?,
            Deps::Middle => fanout_sink(&mut w, opts, &ids, i)?,
        }
        i += 1;
    }
    w.write_all(b"\n]")?;
    tail(&mut w, &header)?;
    w.flush()
}

/// A fanout's sink, whose dependencies (every middle task) are written one by one into the
/// task's JSON where a placeholder dependency stands, instead of being collected first.
fn fanout_sink(w: &mut impl Write, opts: &GenOptions, ids: &NumberedIds, i: usize) -> io::Result<()> {
    const PLACEHOLDER: &str = "\u{1}middle";
    let task = serde_json::to_string(&task_spec(opts, ids.id(i).into(), i, vec![PLACEHOLDER.into()]))?;
    let quoted = serde_json::to_string(PLACEHOLDER)?;
    let at = task.find(&quoted).expect("the placeholder is in the task's JSON");
    w.write_all(&task.as_bytes()[..at])?;
    for k in 1..i {
        if k > 1 {
            w.write_all(b",")?;
        }
        json(w, &ids.id(k))?;
    }
    w.write_all(&task.as_bytes()[at + quoted.len()..])
}

/// `prefix` followed by the index, zero-padded to the width of `count − 1`, made on demand.
struct NumberedIds {
    prefix: char,
    count: usize,
    width: usize,
    next: usize,
}

impl NumberedIds {
    fn new(prefix: char, count: usize) -> NumberedIds {
        NumberedIds { prefix, count, width: count.saturating_sub(1).to_string().len(), next: 0 }
    }

    fn id(&self, i: usize) -> String {
        format!("{}{i:0w$}", self.prefix, w = self.width)
    }
}

impl Iterator for NumberedIds {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        (self.next < self.count).then(|| {
            self.next += 1;
            self.id(self.next - 1)
        })
    }
}

/// Writes `scenario` in the scenario file format: valid JSON, one agent, task or fault per line.
///
/// The output is exactly `serde_json::to_string(scenario)` with newlines added between elements, so
/// the project's scenario parser reads it back unchanged. It is streamed through a buffer of its own:
/// `out` needs no buffering and sees few, large writes.
pub fn write_json(scenario: &Scenario, out: &mut impl Write) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, out);
    head(&mut w, scenario)?;
    list(&mut w, "agents", scenario.agents.iter().filter(|a| a.template.is_none()))?;
    w.write_all(b",")?;
    list(&mut w, "tasks", &scenario.tasks)?;
    tail(&mut w, scenario)?;
    w.flush()
}

/// The fields before `agents`, up to and including the comma after `heartbeat_ms`.
fn head(w: &mut impl Write, scenario: &Scenario) -> io::Result<()> {
    let Scenario { name, description, seed, allocation, heartbeat_ms, .. } = scenario;
    w.write_all(b"{\"name\":")?;
    json(w, name)?;
    w.write_all(b",\"description\":")?;
    json(w, description)?;
    write!(w, ",\"seed\":{seed},\"allocation\":")?;
    json(w, allocation)?;
    write!(w, ",\"heartbeat_ms\":{heartbeat_ms},")
}

/// The fields after `tasks`, from the comma before `faults` to the end.
fn tail(w: &mut impl Write, scenario: &Scenario) -> io::Result<()> {
    // Destructured so that a new field in `Scenario` cannot be forgotten here.
    let Scenario {
        name: _,
        description: _,
        seed: _,
        allocation: _,
        heartbeat_ms: _,
        agents: _,
        tasks: _,
        faults,
        resilience,
        sagas,
        context,
        groups,
        escalation,
        auction,
        swarm,
        templates,
        announcements,
        dep_index: _, // a loader's cache, not part of the format
    } = scenario;
    w.write_all(b",")?;
    list(w, "faults", faults)?;
    w.write_all(b",\n\"resilience\":")?;
    json(w, resilience)?;
    if !sagas.is_empty() {
        w.write_all(b",")?;
        list(w, "sagas", sagas)?;
    }
    if *context != crate::scenario::SharedContext::default() {
        w.write_all(b",\n\"context\":")?;
        json(w, context)?;
    }
    if !groups.is_empty() {
        w.write_all(b",")?;
        list(w, "groups", groups)?;
    }
    if !escalation.is_empty() {
        w.write_all(b",\n")?;
        list(w, "escalation", escalation)?;
    }
    if !auction.is_default() {
        w.write_all(b",\n\"auction\":")?;
        json(w, auction)?;
    }
    if !swarm.is_default() {
        w.write_all(b",\n\"swarm\":")?;
        json(w, swarm)?;
    }
    if !templates.is_empty() {
        w.write_all(b",")?;
        list(w, "templates", templates)?;
    }
    if !announcements.is_empty() {
        w.write_all(b",")?;
        list(w, "announcements", announcements)?;
    }
    w.write_all(b"}\n")
}

fn json<T: Serialize + ?Sized>(w: &mut impl Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(w, value).map_err(io::Error::from)
}

/// `\n"key":[` then one item per line, then `\n]` (or `"key":[]` when empty).
fn list<T: Serialize>(w: &mut impl Write, key: &str, items: impl IntoIterator<Item = T>) -> io::Result<()> {
    write!(w, "\n\"{key}\":[")?;
    let mut empty = true;
    for item in items {
        w.write_all(if empty { b"\n" } else { b",\n" })?;
        json(w, &item)?;
        empty = false;
    }
    if !empty {
        w.write_all(b"\n")?;
    }
    w.write_all(b"]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Outcome;
    use crate::runtime::SimRun;
    use std::collections::HashMap;

    fn opts(shape: Shape, tasks: usize) -> GenOptions {
        GenOptions { tasks, agents: 8, shape, seed: 7, ..GenOptions::default() }
    }

    fn edges(s: &Scenario) -> usize {
        s.tasks.iter().map(|t| t.depends_on.len()).sum()
    }

    fn to_bytes(s: &Scenario) -> Vec<u8> {
        let mut out = Vec::new();
        write_json(s, &mut out).unwrap();
        out
    }

    #[test]
    fn streamed_output_is_the_written_scenario() {
        for shape in Shape::ALL {
            for (tasks, agents, seed) in [(1, 1, 0), (2, 3, 1), (3, 1, 2), (4, 2, 3), (10, 11, 4), (101, 5, 5)] {
                let o = GenOptions { tasks, agents, shape, seed, duration_ms: 12.5, failure_rate: 0.25 };
                let mut streamed = Vec::new();
                stream_json(&o, &mut streamed).unwrap();
                assert_eq!(streamed, to_bytes(&generate(&o).unwrap()), "{o:?}");
            }
        }
    }

    #[test]
    fn shape_names_round_trip() {
        for shape in Shape::ALL {
            assert_eq!(shape.name().parse::<Shape>(), Ok(shape));
            assert_eq!(shape.to_string(), shape.name());
        }
        let err = "diamond".parse::<Shape>().unwrap_err();
        assert!(err.contains("diamond") && err.contains("layered"), "{err}");
    }

    #[test]
    fn rejects_empty_and_out_of_range_options() {
        assert!(generate(&GenOptions { tasks: 0, ..opts(Shape::Chain, 1) }).unwrap_err().contains("0 tasks"));
        assert!(generate(&GenOptions { agents: 0, ..opts(Shape::Chain, 1) }).unwrap_err().contains("0 agents"));
        assert!(generate(&GenOptions { duration_ms: -1.0, ..opts(Shape::Chain, 1) }).is_err());
        assert!(generate(&GenOptions { duration_ms: f64::NAN, ..opts(Shape::Chain, 1) }).is_err());
        // The largest duration accepted still writes a file that loads; one more is refused.
        let max = crate::scenario::bounds::MAX_MS as f64 / 10.0;
        let edge = generate(&GenOptions { duration_ms: max, ..opts(Shape::Chain, 2) }).unwrap();
        let mut text = Vec::new();
        write_json(&edge, &mut text).unwrap();
        crate::scenario::parse("edge.json", std::str::from_utf8(&text).unwrap()).unwrap();
        assert!(generate(&GenOptions { duration_ms: max + 1.0, ..opts(Shape::Chain, 1) }).is_err());
        assert!(generate(&GenOptions { failure_rate: 1.5, ..opts(Shape::Chain, 1) }).is_err());
    }

    #[test]
    fn chain_has_n_minus_one_edges_in_order() {
        for n in [1, 2, 3, 10, 1000] {
            let s = generate(&opts(Shape::Chain, n)).unwrap();
            assert_eq!(s.tasks.len(), n);
            assert_eq!(edges(&s), n - 1);
            for (i, t) in s.tasks.iter().enumerate().skip(1) {
                assert_eq!(t.depends_on, vec![s.tasks[i - 1].id.clone()]);
            }
        }
    }

    #[test]
    fn fanout_has_root_middle_and_sink() {
        for n in [3, 4, 10, 1000] {
            let s = generate(&opts(Shape::Fanout, n)).unwrap();
            assert_eq!(edges(&s), 2 * (n - 2));
            assert!(s.tasks[0].depends_on.is_empty());
            for t in &s.tasks[1..n - 1] {
                assert_eq!(t.depends_on, vec![s.tasks[0].id.clone()]);
            }
            let middle: Vec<CompactString> = s.tasks[1..n - 1].iter().map(|t| t.id.clone()).collect();
            assert_eq!(s.tasks[n - 1].depends_on, middle);
        }
        // Too small for a middle: a chain.
        assert_eq!(edges(&generate(&opts(Shape::Fanout, 1)).unwrap()), 0);
        assert_eq!(edges(&generate(&opts(Shape::Fanout, 2)).unwrap()), 1);
    }

    #[test]
    fn layered_tasks_depend_on_two_distinct_tasks_of_the_previous_layer() {
        for n in [1, 2, 3, 5, 17, 99, 1000, 10_000] {
            let s = generate(&opts(Shape::Layered, n)).unwrap();
            let sizes = layer_sizes(n);
            assert_eq!(sizes.len(), ((n as f64).sqrt().round() as usize).max(1));
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
            let mut layer_of = Vec::new();
            for (l, &len) in sizes.iter().enumerate() {
                layer_of.extend(std::iter::repeat_n(l, len));
            }
            let index: HashMap<&str, usize> = s.tasks.iter().enumerate().map(|(i, t)| (t.id.as_str(), i)).collect();
            for (i, t) in s.tasks.iter().enumerate() {
                let l = layer_of[i];
                let deps: Vec<usize> = t.depends_on.iter().map(|d| index[d.as_str()]).collect();
                let expected = match l {
                    0 => 0,
                    _ if sizes[l - 1] == 1 => 1,
                    _ => 2,
                };
                assert_eq!(deps.len(), expected, "task {i} of {n}");
                assert!(deps.iter().all(|&d| layer_of[d] + 1 == l), "task {i} of {n}: {deps:?}");
                assert!(deps.windows(2).all(|w| w[0] < w[1]), "distinct and sorted: {deps:?}");
            }
        }
        let s = generate(&opts(Shape::Layered, 10_000)).unwrap();
        assert_eq!(layer_sizes(10_000), vec![100; 100]);
        assert_eq!(edges(&s), 2 * 9_900);
    }

    #[test]
    fn ids_are_zero_padded_to_the_widest_index() {
        let s = generate(&GenOptions { tasks: 10_000, agents: 16, ..opts(Shape::Chain, 1) }).unwrap();
        assert_eq!(s.tasks[42].id, "t0042");
        assert_eq!(s.tasks[9_999].id, "t9999");
        assert_eq!(s.agents[7].id, "a07");
        assert_eq!(generate(&opts(Shape::Chain, 1)).unwrap().tasks[0].id, "t0");
        let s = generate(&GenOptions { tasks: 100_001, agents: 1, ..opts(Shape::Chain, 1) }).unwrap();
        assert_eq!(s.tasks[42].id, "t000042");
    }

    #[test]
    fn agents_and_tasks_follow_the_options() {
        let o = GenOptions { failure_rate: 0.05, duration_ms: 40.0, ..opts(Shape::Layered, 50) };
        let s = generate(&o).unwrap();
        assert_eq!(s.name, "gen-layered-50");
        assert_eq!((s.seed, s.heartbeat_ms), (7, 0));
        assert_eq!(s.agents.len(), 8);
        for a in &s.agents {
            assert_eq!(a.capabilities, ["build", "test"]);
            assert_eq!(a.max_concurrent, 4);
            assert!((0.5..=1.0).contains(&a.performance), "{}", a.performance);
            assert_eq!(a.profile.duration_ms, DurationDist { mean: 40.0, jitter: 0.2 });
            assert_eq!(a.profile.failure_rate, 0.05);
        }
        assert!(s.agents.windows(2).any(|w| w[0].performance != w[1].performance));
        for (i, t) in s.tasks.iter().enumerate() {
            assert_eq!(t.capability, CAPABILITIES[i % 2]);
            assert_eq!((t.priority, t.timeout_ms, &t.retry), (0, 1000, &RetryPolicy::default()));
        }
        let slow = generate(&GenOptions { duration_ms: 500.0, ..o.clone() }).unwrap();
        assert_eq!(slow.tasks[0].timeout_ms, 5000);
        let instant = generate(&GenOptions { duration_ms: 0.0, ..o }).unwrap();
        assert_eq!(instant.agents[0].profile.duration_ms, DurationDist { mean: 0.0, jitter: 0.0 });
    }

    #[test]
    fn generation_is_deterministic() {
        for shape in Shape::ALL {
            let a = generate(&opts(shape, 300)).unwrap();
            let b = generate(&opts(shape, 300)).unwrap();
            assert_eq!(a, b);
            assert_eq!(to_bytes(&a), to_bytes(&b));
        }
        let a = generate(&opts(Shape::Layered, 300)).unwrap();
        let c = generate(&GenOptions { seed: 8, ..opts(Shape::Layered, 300) }).unwrap();
        assert_ne!(a.tasks, c.tasks, "the seed drives the DAG");
        assert_ne!(a.agents, c.agents, "the seed drives the agents");
    }

    #[test]
    fn json_is_serde_output_with_one_item_per_line() {
        let mut s = generate(&opts(Shape::Layered, 20)).unwrap();
        s.faults.push(crate::scenario::FaultSpec {
            at_ms: 5,
            action: crate::scenario::FaultAction::Crash(s.agents[1].id.clone()),
        });
        s.tasks[3].allocation = Some(Strategy::BestScore);
        let text = String::from_utf8(to_bytes(&s)).unwrap();
        assert_eq!(text.replace('\n', ""), serde_json::to_string(&s).unwrap());
        // header, agents, tasks, faults (open, items, close), then the resilience line.
        assert_eq!(text.lines().count(), 1 + 1 + s.agents.len() + 2 + s.tasks.len() + 2 + s.faults.len() + 1 + 1);
        assert!(text.lines().filter(|l| l.contains("\"capability\"")).count() == s.tasks.len());
        let empty = to_bytes(&generate(&opts(Shape::Chain, 1)).unwrap());
        let empty = String::from_utf8(empty).unwrap();
        assert!(empty.contains("\n\"faults\":[],\n\"resilience\":{"), "{empty}");
    }

    #[test]
    fn generated_scenarios_run_to_success() {
        for shape in Shape::ALL {
            for duration_ms in [0.0, 100.0] {
                for n in [1, 2, 3, 200] {
                    let s = generate(&GenOptions { duration_ms, ..opts(shape, n) }).unwrap();
                    let mut run = SimRun::new(s);
                    run.run(&mut ()).unwrap();
                    let state = run.coordinator().state();
                    assert_eq!(state.finished, Some(Outcome::Succeeded), "{shape} {n} tasks, {duration_ms} ms");
                    assert_eq!(state.completed as usize, n);
                    assert_eq!(state.retries, 0, "no timeouts, no failures");
                }
            }
        }
    }
}
