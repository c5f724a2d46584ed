//! Side tables: what decoding records for semantic validation, beside the public types.
//!
//! Byte offsets (`u32`, see [`NONE`](super::decode::NONE)) of whatever a later check may need to
//! point at, the ids already resolved, and which parts of the file were read cleanly (so that
//! checks which would only echo an earlier problem can be skipped).

use super::ids::IdIndex;

/// Task fields given explicitly, so that `defaults` (which may come later in the file) can fill
/// in the rest once the whole file has been read.
pub(crate) const GIVEN_PRIORITY: u8 = 1;
pub(crate) const GIVEN_TIMEOUT: u8 = 1 << 1;
pub(crate) const GIVEN_MAX_ATTEMPTS: u8 = 1 << 2;
pub(crate) const GIVEN_BACKOFF: u8 = 1 << 3;
pub(crate) const GIVEN_MULTIPLIER: u8 = 1 << 4;
pub(crate) const GIVEN_MAX_BACKOFF: u8 = 1 << 5;
pub(crate) const GIVEN_JITTER: u8 = 1 << 6;
/// The task's `specializations` had a problem, so it cannot be checked against the agents.
pub(crate) const SPECS_BAD: u8 = 1 << 7;

/// Offsets of one agent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AgentMeta {
    pub id: u32,
    /// The `reports_to` value (`NONE` when absent).
    pub reports_to: u32,
}

/// A `depends_on` entry naming a task not (yet) defined when it was read.
pub(crate) const UNRESOLVED: u32 = u32::MAX;

/// Offsets of one task.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskMeta {
    pub id: u32,
    /// Index of the task that first defined this task's id (itself unless a duplicate); `NONE`
    /// when the id is missing or unusable.
    pub canon: u32,
    pub capability: u32,
    pub specs: u32,
    /// `GIVEN_*` and `SPECS_BAD` bits.
    pub flags: u8,
}

/// Offsets of one fault.
#[derive(Debug, Clone)]
pub(crate) struct FaultMeta {
    /// The action key's value (agent name, link or groups); `NONE` when the action is unusable.
    pub target: u32,
    /// Each endpoint of a link, or each name of a partition's groups in order.
    pub names: Vec<u32>,
    pub until: u32,
    /// `factor`, `failure_rate`, `delay_ms`, `until_ms`.
    pub params: [u32; 4],
}

/// Offsets of one saga.
#[derive(Debug, Clone)]
pub(crate) struct SagaMeta {
    pub id: u32,
    /// Offset of each entry of its `tasks` list that is a string.
    pub entries: Vec<u32>,
}

/// Side tables for semantic validation, parallel to the scenario's vectors.
pub(crate) struct Meta {
    pub agents: Vec<AgentMeta>,
    pub tasks: Vec<TaskMeta>,
    /// Keyed by the scenario's own `id` strings.
    pub agent_ids: IdIndex,
    pub task_ids: IdIndex,
    /// Offsets of every `depends_on` entry, all tasks concatenated in order.
    pub dep_pos: Vec<u32>,
    /// The task each `depends_on` entry names, or `UNRESOLVED` (a forward reference, or unknown).
    pub dep_target: Vec<u32>,
    pub faults: Vec<FaultMeta>,
    pub sagas: Vec<SagaMeta>,
    /// `(task index, offset)` of every `compensate` field, in file order (few tasks have one, so
    /// this costs nothing per task).
    pub compensate: Vec<(u32, u32)>,
    /// Every saga's `tasks` list was read cleanly ("is in no saga" is a real finding).
    pub sagas_ok: bool,
    /// Agents and capabilities named by `escalation` tiers.
    pub tier_refs: Vec<crate::protocols::ladder::spec::TierRef>,
    /// Every agent's id, capabilities and specializations were read cleanly, so "no agent can
    /// do this" and "unknown agent" are real findings, not echoes of an earlier problem.
    pub agents_ok: bool,
    /// Likewise for task ids ("unknown task").
    pub tasks_ok: bool,
    /// Every fault's time and agent were read cleanly (needed to order crashes and revivals).
    pub faults_ok: bool,
    /// Offsets of each group's id (`NONE` if unreadable) and agents.
    pub group_ids: Vec<u32>,
    /// Each usable group id's first group.
    pub group_index: crate::fasthash::FastMap<String, usize>,
    pub groups: Vec<crate::protocols::context::spec::GroupMeta>,
    /// `(task, offset)` of every task's `auction` object.
    pub auction_at: Vec<(u32, u32)>,
    /// Names each `decision` refers to (few tasks have one).
    pub decisions: Vec<crate::protocols::vote::spec::DecisionMeta>,
    /// Offsets of the root `swarm` object's bounds and of agents' `thresholds`.
    pub swarm: crate::protocols::swarm::spec::SwarmMeta,
    /// Offsets of the team fields (`review`, …).
    pub team: crate::protocols::teams::spec::TeamMeta,
    /// Offset of each template's id (`NONE` if unreadable).
    pub templates: Vec<u32>,
}

impl Meta {
    /// Empty tables, every part assumed clean until a problem says otherwise.
    pub(crate) fn new() -> Meta {
        Meta {
            agents: Vec::new(),
            tasks: Vec::new(),
            agent_ids: IdIndex::default(),
            task_ids: IdIndex::default(),
            dep_pos: Vec::new(),
            dep_target: Vec::new(),
            faults: Vec::new(),
            sagas: Vec::new(),
            compensate: Vec::new(),
            sagas_ok: true,
            tier_refs: Vec::new(),
            agents_ok: true,
            tasks_ok: true,
            faults_ok: true,
            group_ids: Vec::new(),
            group_index: Default::default(),
            groups: Vec::new(),
            auction_at: Vec::new(),
            swarm: Default::default(),
            team: Default::default(),
            decisions: Vec::new(),
            templates: Vec::new(),
        }
    }
}
