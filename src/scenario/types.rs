//! The typed scenario: what a scenario file means once it has been parsed and validated.
//!
//! Field names mirror the JSON format exactly (see `scenarios/README.md`), so `serde::Serialize`
//! writes a file that loads back unchanged; `switchyard gen` relies on that.

use serde::Serialize;

/// A short string stored inline up to 24 bytes (ids, capabilities): most need no allocation.
/// It serializes exactly as a `String`.
pub use compact_str::CompactString;

pub use crate::protocols::auction::spec::{AuctionOverride, AuctionSpec, Weights};
pub use crate::protocols::elastic::spec::TemplateSpec;
pub use crate::protocols::swarm::spec::SwarmConfig;

/// How a task picks among the agents able to run it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Lowest `running / max_concurrent` first.
    LeastLoaded,
    /// Highest `performance × (1 − running / max_concurrent)` first.
    BestScore,
    /// The free agent that was given work least recently.
    RoundRobin,
    /// Down the `reports_to` tree: the director picks the least-loaded team, its lead the
    /// least-loaded capable worker (see `protocols::teams::hierarchy`).
    Hierarchy,
    /// A contract-net auction: capable agents bid, the best score under `auction` wins.
    Auction,
    /// No central choice: the task is posted to a board and idle agents claim it (see `protocols::swarm`).
    Swarm,
}

impl Strategy {
    pub const ALL: [Strategy; 6] = [
        Strategy::LeastLoaded,
        Strategy::BestScore,
        Strategy::RoundRobin,
        Strategy::Hierarchy,
        Strategy::Auction,
        Strategy::Swarm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::LeastLoaded => "least_loaded",
            Strategy::BestScore => "best_score",
            Strategy::RoundRobin => "round_robin",
            Strategy::Hierarchy => "hierarchy",
            Strategy::Auction => "auction",
            Strategy::Swarm => "swarm",
        }
    }

    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A whole scenario file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub seed: u64,
    pub allocation: Strategy,
    /// Interval of simulated agents' heartbeats; 0 turns them off.
    pub heartbeat_ms: u64,
    /// The declared agents, then every template's slots (see [`TemplateSpec`]; only the declared
    /// ones are written).
    #[serde(serialize_with = "crate::protocols::elastic::spec::declared_agents")]
    pub agents: Vec<AgentSpec>,
    pub tasks: Vec<TaskSpec>,
    pub faults: Vec<FaultSpec>,
    /// Failure detection and self-healing settings.
    pub resilience: Resilience,
    /// The default escalation ladder (empty: retry up to `max_attempts`, then fail).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalation: Vec<Tier>,
    /// Groups of tasks whose completed steps are compensated if any step fails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sagas: Vec<SagaSpec>,
    /// The shared blackboard's initial keys and the lock lease.
    #[serde(skip_serializing_if = "SharedContext::is_default")]
    pub context: SharedContext,
    /// Groups of agents that elect a leader.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSpec>,
    /// How auctions (`allocation: "auction"`) score bids and re-announce.
    #[serde(skip_serializing_if = "AuctionSpec::is_default")]
    pub auction: AuctionSpec,
    /// The response-threshold model of `allocation: "swarm"`.
    #[serde(skip_serializing_if = "SwarmConfig::is_default")]
    pub swarm: SwarmConfig,
    /// Agent templates of an elastic team: each adds `max` absent agent slots to `agents`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<TemplateSpec>,
    /// Messages broadcast to every up agent, or every agent with a capability, at set times.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub announcements: Vec<crate::protocols::teams::spec::Announcement>,
    /// Every `depends_on` entry resolved to a task index (see [`DepIndex`]).
    #[serde(skip)]
    pub dep_index: DepIndex,
}

impl Default for Scenario {
    /// An empty scenario with the format's defaults (what a file that omits a field gets).
    fn default() -> Scenario {
        Scenario {
            name: String::new(),
            description: String::new(),
            seed: 0,
            allocation: Strategy::LeastLoaded,
            heartbeat_ms: 1000,
            agents: Vec::new(),
            tasks: Vec::new(),
            faults: Vec::new(),
            resilience: Resilience::default(),
            escalation: Vec::new(),
            sagas: Vec::new(),
            context: SharedContext::default(),
            groups: Vec::new(),
            auction: AuctionSpec::default(),
            swarm: SwarmConfig::default(),
            templates: Vec::new(),
            announcements: Vec::new(),
            dep_index: DepIndex::default(),
        }
    }
}

/// Every `depends_on` entry resolved to a task index, in task order, as the loader (or the
/// generator) found them, so that the coordinator does not build a second id map. It is a hint,
/// not part of the format: never written, equal to any other, and checked entry by entry against
/// the ids where it is used (a scenario edited after loading may have outgrown it).
#[derive(Clone, Default)]
pub struct DepIndex(pub Option<std::sync::Arc<[u32]>>);

impl DepIndex {
    /// Task id → index.
    pub fn id_map(tasks: &[TaskSpec]) -> crate::fasthash::FastMap<&str, u32> {
        tasks.iter().enumerate().map(|(i, t)| (t.id.as_str(), i as u32)).collect()
    }

    /// Resolves every dependency of `tasks` through an id map (for scenarios built in code).
    pub fn resolve(tasks: &[TaskSpec]) -> DepIndex {
        let index = DepIndex::id_map(tasks);
        let deps = tasks.iter().flat_map(|t| &t.depends_on).map(|d| index.get(d.as_str()).copied());
        DepIndex(deps.collect::<Option<Vec<u32>>>().map(Into::into))
    }
}

impl PartialEq for DepIndex {
    fn eq(&self, _: &DepIndex) -> bool {
        true
    }
}

impl std::fmt::Debug for DepIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "DepIndex(resolved)" } else { "DepIndex(none)" })
    }
}

/// A saga: a declared set of tasks (its steps). When every step has ended and one did not
/// complete, the compensations of the completed steps run in reverse order of completion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SagaSpec {
    pub id: String,
    /// Task ids of the steps.
    pub tasks: Vec<String>,
}

/// How the coordinator notices and routes around failing agents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Resilience {
    /// An agent silent this long (no heartbeat, no message) is lost: its attempts fail with
    /// `agent_lost` and are reassigned. `None` means three heartbeat intervals; 0 turns it off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_timeout_ms: Option<u64>,
    #[serde(flatten)]
    pub health: crate::core::health::HealthConfig,
}

impl Resilience {
    /// The effective heartbeat timeout for a scenario with this heartbeat interval.
    pub fn heartbeat_timeout(&self, heartbeat_ms: u64) -> u64 {
        self.heartbeat_timeout_ms.unwrap_or(heartbeat_ms.saturating_mul(3))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentSpec {
    pub id: String,
    pub capabilities: Vec<String>,
    pub specializations: Vec<String>,
    pub max_concurrent: u32,
    pub cost: f64,
    /// 0..=1, used by `best_score`.
    pub performance: f64,
    pub profile: Profile,
    /// What runs the agent: simulated (the default), a process, or an LLM endpoint.
    #[serde(flatten, skip_serializing_if = "AgentKind::is_sim")]
    pub kind: AgentKind,
    /// The agent's manager in the delegation tree (`allocation: "hierarchy"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports_to: Option<String>,
    /// Swarm thresholds θ of some of its capabilities (the rest start at `swarm.initial_threshold`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub thresholds: std::collections::BTreeMap<String, f64>,
    /// The template this agent is a slot of (index into `templates`): absent until created.
    #[serde(skip)]
    pub template: Option<u32>,
}

impl Default for AgentSpec {
    /// An agent with no id or capability yet and the format's defaults for the rest.
    fn default() -> AgentSpec {
        AgentSpec {
            id: String::new(),
            capabilities: Vec::new(),
            specializations: Vec::new(),
            max_concurrent: 1,
            cost: 1.0,
            performance: 1.0,
            profile: Profile::default(),
            kind: AgentKind::Sim,
            reports_to: None,
            thresholds: Default::default(),
            template: None,
        }
    }
}

/// What runs an agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgentKind {
    /// Simulated by the driver from the agent's `profile`.
    #[default]
    Sim,
    /// An external program speaking the JSON-lines protocol (`assets/protocol.md`).
    Process(ProcessSpec),
    /// An OpenAI-compatible chat-completions endpoint.
    Llm(LlmSpec),
    /// A process on another machine behind `switchyard agent`, reached over the run's NATS server.
    Nats(NatsSpec),
}

impl AgentKind {
    pub fn is_sim(&self) -> bool {
        matches!(self, AgentKind::Sim)
    }

    /// `sim`, `process`, `llm` or `nats`.
    pub fn name(&self) -> &'static str {
        match self {
            AgentKind::Sim => "sim",
            AgentKind::Process(_) => "process",
            AgentKind::Llm(_) => "llm",
            AgentKind::Nats(_) => "nats",
        }
    }
}

/// How to start a process agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessSpec {
    /// Program and arguments (at least the program).
    pub command: Vec<String>,
    /// Added to the inherited environment.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub env: std::collections::BTreeMap<String, String>,
    /// Working directory. [`crate::scenario::load`] makes it absolute against the scenario file's
    /// directory (which is also the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
}

/// A remote agent: what its bridge runs when started without `-- COMMAND`, and how tasks reach it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NatsSpec {
    /// Program and arguments for a bridge started without its own; empty: the bridge must be
    /// given one. Taken as written, on the bridge's machine (a relative path from its directory).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Added to the bridge's environment for that program.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub env: std::collections::BTreeMap<String, String>,
    /// Working directory of that program, on the bridge's machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    pub delivery: Delivery,
}

/// How tasks reach a NATS agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Through a JetStream work queue, acknowledged once the coordinator records the result: a
    /// task sent while the bridge is away waits for it.
    #[default]
    WorkQueue,
    /// As plain NATS messages, like every other line: faster, but a task sent while the bridge is
    /// away is lost (and its attempt times out or is failed when the agent is found lost).
    Direct,
}

impl Delivery {
    pub fn name(self) -> &'static str {
        match self {
            Delivery::WorkQueue => "work_queue",
            Delivery::Direct => "direct",
        }
    }
}

/// How to reach an LLM agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlmSpec {
    /// Up to and including the API version, e.g. `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    pub model: String,
    /// The environment variable holding the API key (never the key itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// The system prompt.
    pub system: String,
    /// Longest wait for one HTTP exchange.
    pub timeout_ms: u64,
    /// A PEM file of extra root certificates for an `https://` endpoint. [`crate::scenario::load`]
    /// makes it absolute against the scenario file's directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
}

/// How a simulated agent behaves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub duration_ms: DurationDist,
    /// Probability (0..=1) that an attempt ends in an error.
    pub failure_rate: f64,
    /// Probability (0..=1) that a review this agent runs rejects the work (see `TaskSpec::review`).
    #[serde(skip_serializing_if = "is_zero")]
    pub reject_rate: f64,
    /// Probability (0..=1) that the agent votes yes on a ballot (when it does not abstain).
    pub approve_rate: f64,
    /// Probability (0..=1) that the agent abstains on a ballot.
    pub abstain_rate: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl Default for Profile {
    fn default() -> Profile {
        Profile {
            duration_ms: DurationDist { mean: 1000.0, jitter: 0.2 },
            failure_rate: 0.0,
            reject_rate: 0.0,
            approve_rate: 0.7,
            abstain_rate: 0.1,
        }
    }
}

/// Attempt duration: uniform in `mean × (1 ± jitter)`, scaled by the task's `work`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DurationDist {
    pub mean: f64,
    /// 0..=1
    pub jitter: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskSpec {
    pub id: CompactString,
    pub description: String,
    /// Empty for a decision task (no agent runs it).
    #[serde(skip_serializing_if = "CompactString::is_empty")]
    pub capability: CompactString,
    /// Every one of these must be among the agent's specializations.
    pub specializations: Vec<CompactString>,
    pub depends_on: Vec<CompactString>,
    /// Higher runs first among ready tasks.
    pub priority: i64,
    pub timeout_ms: u64,
    pub retry: RetryPolicy,
    /// Overrides the scenario's `allocation` for this task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation: Option<Strategy>,
    /// Multiplies the agent's drawn duration (a task twice as big takes twice as long).
    pub work: f64,
    /// What most tasks leave out (a saga's compensator, the shared context, a ladder or auction of
    /// its own, a plan, a review, a decision, help): boxed together, `None` when a task gives none
    /// of them, so that a plain task, of which a run may hold a million, does not carry them
    /// inline. Read them through [`TaskSpec::extras`], change them through [`TaskSpec::extras_mut`].
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub extras: Option<Box<TaskExtras>>,
}

/// The rarer parts of a [`TaskSpec`], in the order a task's JSON gives them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TaskExtras {
    /// The task that undoes this one if its saga fails (a *compensator*: dormant until needed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compensate: Option<CompactString>,
    /// Blackboard keys read and written, the conflict policy and the locks held while running.
    #[serde(flatten)]
    pub context: TaskContext,
    /// Overrides the scenario's `escalation` ladder for this task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Box<[Tier]>>,
    /// Overrides fields of the scenario's `auction` settings for this task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auction: Option<Box<AuctionOverride>>,
    /// Makes the task a planner: its successful attempt adds subtasks to the running DAG.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Box<PlanSpec>>,
    /// This task reviews another, which goes back for rework when the review rejects it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<Box<crate::protocols::teams::spec::ReviewSpec>>,
    /// Makes the task a decision: its voters decide it, no agent runs it (see `decision.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Box<crate::protocols::vote::spec::DecisionSpec>>,
    /// A simulated agent running this task asks a peer for help during its attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Box<crate::protocols::teams::spec::HelpSpec>>,
}

/// A planner task's `plan`: what a simulated planner produces, and the cap on any planner's output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSpec {
    /// Tasks to add when the planner succeeds (a process or LLM planner's output replaces them).
    pub subtasks: Vec<TaskSpec>,
    /// Most subtasks one plan may add.
    pub max_subtasks: u32,
}

/// Default `max_subtasks`.
pub const DEFAULT_MAX_SUBTASKS: u32 = 50;

impl TaskSpec {
    /// The task's use of the shared context (empty when it has none).
    pub fn context(&self) -> &TaskContext {
        &self.extras().context
    }

    /// The task's rarer parts (all empty when it has none).
    pub fn extras(&self) -> &TaskExtras {
        static NONE: TaskExtras = TaskExtras::NONE;
        self.extras.as_deref().unwrap_or(&NONE)
    }

    /// The task's rarer parts, to change (made, empty, when it had none).
    pub fn extras_mut(&mut self) -> &mut TaskExtras {
        self.extras.get_or_insert_default()
    }
}

impl TaskExtras {
    /// None of them.
    pub const NONE: TaskExtras = TaskExtras {
        compensate: None,
        context: TaskContext::NONE,
        escalation: None,
        auction: None,
        plan: None,
        review: None,
        decision: None,
        help: None,
    };
}

impl Default for TaskSpec {
    /// A task with no id or capability yet and the format's defaults for the rest.
    fn default() -> TaskSpec {
        TaskSpec {
            id: CompactString::const_new(""),
            description: String::new(),
            capability: CompactString::const_new(""),
            specializations: Vec::new(),
            depends_on: Vec::new(),
            priority: 0,
            timeout_ms: 30_000,
            retry: RetryPolicy::default(),
            allocation: None,
            work: 1.0,
            extras: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetryPolicy {
    /// Total attempts including the first; at least 1.
    pub max_attempts: u32,
    pub backoff_ms: u64,
    pub multiplier: f64,
    pub max_backoff_ms: u64,
    /// 0..=1: the delay is reduced by up to this share, deterministically per (seed, task, attempt).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 3, backoff_ms: 200, multiplier: 2.0, max_backoff_ms: 5_000, jitter: 0.2 }
    }
}

/// A fault injected at a virtual time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultSpec {
    pub at_ms: u64,
    #[serde(flatten)]
    pub action: FaultAction,
}

/// What a fault does. Written as the fault object's action key and its parameters
/// (`{"slow": "w1", "factor": 3.0}`), so it serializes by hand.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// The agent dies: its running attempts fail and their tasks are reassigned.
    Crash(String),
    /// A crashed agent comes back, empty-handed.
    Revive(String),
    /// The agent stops heartbeating and never answers again (until revived); the coordinator has
    /// to notice by itself.
    Hang(String),
    /// The agent's attempts take `factor` times longer from now on (1 ends it).
    Slow { agent: String, factor: f64 },
    /// The agent's attempts fail with this probability from now on, instead of its profile's.
    Flaky { agent: String, failure_rate: f64 },
    /// Messages between the two endpoints (agent ids or `coordinator`) are lost, both ways.
    Drop { link: [String; 2], until_ms: Option<u64> },
    /// Messages between the two endpoints arrive `delay_ms` later, both ways.
    Delay { link: [String; 2], delay_ms: u64, until_ms: Option<u64> },
    /// The groups cannot reach each other; the coordinator and unlisted agents are with the first.
    Partition { groups: Vec<Vec<String>>, until_ms: Option<u64> },
    /// Every link fault and partition ends.
    Heal,
}

/// The name `partition` and `link` give to the coordinator.
pub const COORDINATOR: &str = "coordinator";

impl FaultAction {
    /// The fault object's action key.
    pub fn key(&self) -> &'static str {
        match self {
            FaultAction::Crash(_) => "crash",
            FaultAction::Revive(_) => "revive",
            FaultAction::Hang(_) => "hang",
            FaultAction::Slow { .. } => "slow",
            FaultAction::Flaky { .. } => "flaky",
            FaultAction::Drop { .. } => "drop",
            FaultAction::Delay { .. } => "delay",
            FaultAction::Partition { .. } => "partition",
            FaultAction::Heal => "heal",
        }
    }

    /// The agent of a fault that concerns one agent.
    pub fn agent(&self) -> Option<&str> {
        match self {
            FaultAction::Crash(a) | FaultAction::Revive(a) | FaultAction::Hang(a) => Some(a),
            FaultAction::Slow { agent, .. } | FaultAction::Flaky { agent, .. } => Some(agent),
            _ => None,
        }
    }
}

impl Serialize for FaultAction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        let key = self.key();
        let until = match self {
            FaultAction::Crash(a) | FaultAction::Revive(a) | FaultAction::Hang(a) => {
                m.serialize_entry(key, a)?;
                None
            }
            FaultAction::Slow { agent, factor } => {
                m.serialize_entry(key, agent)?;
                m.serialize_entry("factor", factor)?;
                None
            }
            FaultAction::Flaky { agent, failure_rate } => {
                m.serialize_entry(key, agent)?;
                m.serialize_entry("failure_rate", failure_rate)?;
                None
            }
            FaultAction::Drop { link, until_ms } => {
                m.serialize_entry(key, link)?;
                *until_ms
            }
            FaultAction::Delay { link, delay_ms, until_ms } => {
                m.serialize_entry(key, link)?;
                m.serialize_entry("delay_ms", delay_ms)?;
                *until_ms
            }
            FaultAction::Partition { groups, until_ms } => {
                m.serialize_entry(key, groups)?;
                *until_ms
            }
            FaultAction::Heal => {
                m.serialize_entry(key, &true)?;
                None
            }
        };
        if let Some(u) = until {
            m.serialize_entry("until_ms", &u)?;
        }
        m.end()
    }
}

/// What a task does with the shared context (see `protocols::context`). All empty for most tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TaskContext {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub writes: Vec<String>,
    #[serde(skip_serializing_if = "ConflictPolicy::is_default")]
    pub on_conflict: ConflictPolicy,
    /// Named resources the task holds (leased, with fencing tokens) while an attempt runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<String>,
}

impl TaskContext {
    /// No keys, no locks, the default policy.
    pub const NONE: TaskContext =
        TaskContext { reads: Vec::new(), writes: Vec::new(), on_conflict: ConflictPolicy::Retry, locks: Vec::new() };

    /// Whether the task touches the shared context at all (the hot path checks this first).
    pub fn is_empty(&self) -> bool {
        self.reads.is_empty() && self.writes.is_empty() && self.locks.is_empty()
    }
}

/// What a task does when a write finds the key changed since it read it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictPolicy {
    /// A new attempt with fresh data, right away (it does not use up the retry budget).
    #[default]
    Retry,
    /// Written anyway over the other writer's update (recorded as a conflict).
    LastWriterWins,
    /// The task goes to the operator's inbox.
    Escalate,
}

impl ConflictPolicy {
    pub const ALL: [ConflictPolicy; 3] =
        [ConflictPolicy::Retry, ConflictPolicy::LastWriterWins, ConflictPolicy::Escalate];

    pub fn name(self) -> &'static str {
        match self {
            ConflictPolicy::Retry => "retry",
            ConflictPolicy::LastWriterWins => "last_writer_wins",
            ConflictPolicy::Escalate => "escalate",
        }
    }

    pub fn from_name(name: &str) -> Option<ConflictPolicy> {
        ConflictPolicy::ALL.into_iter().find(|p| p.name() == name)
    }

    fn is_default(&self) -> bool {
        *self == ConflictPolicy::Retry
    }
}

/// The root `context` object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedContext {
    /// Blackboard keys present from the start, each at version 1.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub initial: std::collections::BTreeMap<String, serde_json::Value>,
    /// Lease of a lock grant; every message from the holder renews it.
    pub lease_ms: u64,
}

pub const DEFAULT_LOCK_LEASE_MS: u64 = 2000;
pub const DEFAULT_GROUP_LEASE_MS: u64 = 1500;

impl Default for SharedContext {
    fn default() -> Self {
        SharedContext { initial: Default::default(), lease_ms: DEFAULT_LOCK_LEASE_MS }
    }
}

impl SharedContext {
    fn is_default(&self) -> bool {
        *self == SharedContext::default()
    }
}

/// A group of agents that elects a leader (root `groups`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSpec {
    pub id: String,
    /// In order of preference.
    pub agents: Vec<String>,
    /// The leader's lease; its heartbeats renew it.
    pub lease_ms: u64,
}

/// One tier of an escalation ladder (scenario `escalation`, at the root or per task): where a task
/// goes once the tier before it is spent. Written as `{"tier": "retry", "limit": 2}` and so on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "tier", rename_all = "snake_case")]
pub enum Tier {
    /// Retries with backoff on any capable agent; `limit` defaults to `retry.max_attempts - 1`.
    Retry {
        #[serde(skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Capable agents that have not failed the task yet; `limit` defaults to 1.
    OtherAgent {
        #[serde(skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// An alternative: any agent with another capability, or one named agent; `limit` defaults to 1.
    Fallback {
        #[serde(flatten)]
        target: Target,
        #[serde(skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// A named higher-tier agent (it need not have the task's capability); `limit` defaults to 1.
    EscalateTo {
        agent: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// The operator's inbox (always last). With `sla_ms`, `on_expiry` acts when nobody did.
    Inbox {
        #[serde(skip_serializing_if = "Option::is_none")]
        sla_ms: Option<u64>,
        #[serde(skip_serializing_if = "Expiry::is_wait")]
        on_expiry: Expiry,
    },
}

/// Where a `fallback` tier sends the task.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Capability(String),
    Agent(String),
}

/// A tier's kind, without its settings: what the journal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TierName {
    Retry,
    OtherAgent,
    Fallback,
    EscalateTo,
    Inbox,
}

impl TierName {
    pub const ALL: [TierName; 5] =
        [TierName::Retry, TierName::OtherAgent, TierName::Fallback, TierName::EscalateTo, TierName::Inbox];

    pub fn name(self) -> &'static str {
        match self {
            TierName::Retry => "retry",
            TierName::OtherAgent => "other_agent",
            TierName::Fallback => "fallback",
            TierName::EscalateTo => "escalate_to",
            TierName::Inbox => "inbox",
        }
    }

    pub fn from_name(s: &str) -> Option<TierName> {
        TierName::ALL.into_iter().find(|t| t.name() == s)
    }
}

impl Tier {
    pub fn name(&self) -> TierName {
        match self {
            Tier::Retry { .. } => TierName::Retry,
            Tier::OtherAgent { .. } => TierName::OtherAgent,
            Tier::Fallback { .. } => TierName::Fallback,
            Tier::EscalateTo { .. } => TierName::EscalateTo,
            Tier::Inbox { .. } => TierName::Inbox,
        }
    }

    /// Attempts the tier allows a task with `retry` (0 for the inbox, which makes none).
    pub fn limit(&self, retry: &RetryPolicy) -> u32 {
        match *self {
            Tier::Retry { limit } => limit.unwrap_or(retry.max_attempts.saturating_sub(1)),
            Tier::OtherAgent { limit } | Tier::Fallback { limit, .. } | Tier::EscalateTo { limit, .. } => {
                limit.unwrap_or(1)
            }
            Tier::Inbox { .. } => 0,
        }
    }
}

/// What happens to an inbox item whose SLA ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expiry {
    /// Run it again (as an operator's `resolve retry`).
    Retry,
    /// Skip it and its dependents.
    Skip,
    /// Fail it (`sla_expired`); dependents are skipped.
    Fail,
    /// Keep waiting for the operator (the expiry is only recorded).
    #[default]
    Wait,
}

impl Expiry {
    pub const ALL: [Expiry; 4] = [Expiry::Retry, Expiry::Skip, Expiry::Fail, Expiry::Wait];

    pub fn name(self) -> &'static str {
        match self {
            Expiry::Retry => "retry",
            Expiry::Skip => "skip",
            Expiry::Fail => "fail",
            Expiry::Wait => "wait",
        }
    }

    /// The default, left out when a scenario is written.
    pub fn is_wait(&self) -> bool {
        *self == Expiry::Wait
    }

    pub fn from_name(s: &str) -> Option<Expiry> {
        Expiry::ALL.into_iter().find(|e| e.name() == s)
    }
}
