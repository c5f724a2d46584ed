//! The static shape of a run: the task DAG (petgraph) and the "skill classes" that group tasks by
//! what they need, each with the agents able to serve it.
//!
//! Grouping tasks into classes is what keeps dispatch cheap: a freed agent only looks at the ready
//! queues of the classes it can serve, and a class only looks at its own available agents. Classes
//! with the same candidate agents and strategy share one [`Pool`], so an agent's load change updates
//! one ordered set per pool, not one per class.

use std::collections::BTreeMap;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use super::ids::{AgentId, TaskId};
use crate::scenario::{DepIndex, Scenario, Strategy};

/// Index into [`Workflow::classes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub u32);

/// Index into [`Workflow::pools`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolId(pub u32);

/// Tasks that need the same capability and specializations and use the same allocation strategy.
#[derive(Debug, Clone)]
pub struct SkillClass {
    pub capability: String,
    pub specializations: Vec<String>,
    pub strategy: Strategy,
    /// Agents that have the capability and every specialization, in scenario order.
    pub agents: Vec<AgentId>,
    pub pool: PoolId,
}

/// A set of candidate agents ranked by one strategy, shared by every class with those candidates.
#[derive(Debug, Clone)]
pub struct Pool {
    pub strategy: Strategy,
    pub agents: Vec<AgentId>,
    /// Classes drawing on this pool.
    pub classes: Vec<ClassId>,
}

#[derive(Debug, Clone)]
pub struct Workflow {
    /// Edge `a → b` means `b` depends on `a`. Node index == task index.
    pub graph: DiGraph<(), ()>,
    pub task_class: Vec<ClassId>,
    pub classes: Vec<SkillClass>,
    pub pools: Vec<Pool>,
    /// For each agent, the pools it belongs to.
    pub agent_pools: Vec<Vec<PoolId>>,
    /// Number of dependencies of each task.
    pub dep_count: Vec<u32>,
    /// Compiled escalation ladders (see `protocols/ladder`).
    pub ladders: Vec<crate::protocols::ladder::Ladder>,
    /// Each task's index into `ladders` (`NO_LADDER` for none); empty when no task has one.
    pub task_ladder: Vec<u32>,
    /// Some task is a planner (has a `plan`): only then is a result checked for subtasks.
    pub planners: bool,
    /// Some task asks for help (has a `help`): only then does a simulated agent look at its spec.
    pub helpers: bool,
    /// Compiled decisions (see `protocols/vote`) and each task's index into them (empty when none).
    pub decisions: Vec<crate::protocols::vote::Decision>,
    pub task_decision: Vec<u32>,
}

/// Builds classes and their pools, sharing one class per key and one pool per candidate set.
#[derive(Default)]
pub(crate) struct Classes<'s> {
    class_of: BTreeMap<(&'s str, Vec<&'s str>, Strategy), ClassId>,
    pinned: BTreeMap<(AgentId, Strategy), ClassId>,
    set: ClassSet,
}

#[derive(Default)]
struct ClassSet {
    pool_of: BTreeMap<(Vec<AgentId>, Strategy), PoolId>,
    classes: Vec<SkillClass>,
    pools: Vec<Pool>,
    agent_pools: Vec<Vec<PoolId>>,
}

impl<'s> Classes<'s> {
    fn new(agents: usize) -> Classes<'s> {
        let set = ClassSet { agent_pools: vec![Vec::new(); agents], ..ClassSet::default() };
        Classes { class_of: BTreeMap::new(), pinned: BTreeMap::new(), set }
    }

    /// The class of tasks needing `cap` and every one of `specs` (sorted, deduplicated).
    pub(crate) fn skill(&mut self, sc: &'s Scenario, cap: &'s str, specs: Vec<&'s str>, strategy: Strategy) -> ClassId {
        let set = &mut self.set;
        *self.class_of.entry((cap, specs, strategy)).or_insert_with_key(|(cap, specs, strategy)| {
            let agents: Vec<AgentId> = sc
                .agents
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    a.capabilities.iter().any(|c| c == cap)
                        && specs.iter().all(|s| a.specializations.iter().any(|x| x == s))
                })
                .map(|(i, _)| AgentId(i as u32))
                .collect();
            let specializations = specs.iter().map(|s| s.to_string()).collect();
            set.add(cap.to_string(), specializations, *strategy, agents)
        })
    }

    /// A class served by one agent alone, whatever its capabilities (an escalation target).
    pub(crate) fn pinned(&mut self, sc: &Scenario, agent: AgentId, strategy: Strategy) -> ClassId {
        let set = &mut self.set;
        *self
            .pinned
            .entry((agent, strategy))
            .or_insert_with(|| set.add(format!("@{}", sc.agents[agent.ix()].id), Vec::new(), strategy, vec![agent]))
    }
}

impl ClassSet {
    fn add(
        &mut self,
        capability: String,
        specializations: Vec<String>,
        strategy: Strategy,
        agents: Vec<AgentId>,
    ) -> ClassId {
        let id = ClassId(self.classes.len() as u32);
        let pools = &mut self.pools;
        let agent_pools = &mut self.agent_pools;
        let pool = *self.pool_of.entry((agents.clone(), strategy)).or_insert_with(|| {
            let pool = PoolId(pools.len() as u32);
            for a in &agents {
                agent_pools[a.ix()].push(pool);
            }
            pools.push(Pool { strategy, agents: agents.clone(), classes: Vec::new() });
            pool
        });
        self.pools[pool.0 as usize].classes.push(id);
        self.classes.push(SkillClass { capability, specializations, strategy, agents, pool });
        id
    }
}

impl Workflow {
    /// Builds the DAG and classes. The scenario must be valid (every dependency names a task).
    pub fn new(scenario: &Scenario) -> Workflow {
        let n = scenario.tasks.len();
        // One pass for the classes, the flags and the number of edges, one for the graph: a large
        // scenario's task specs are far apart, so every pass over them costs.
        let mut b = Classes::new(scenario.agents.len());
        let mut task_class = Vec::with_capacity(n);
        let (mut planners, mut helpers, mut edges) = (false, false, 0);
        // The classes of tasks without specializations, by capability and strategy: most tasks
        // find theirs here without building a key.
        let mut plain: Vec<(&str, Strategy, ClassId)> = Vec::new();
        for task in &scenario.tasks {
            planners |= task.extras().plan.is_some();
            helpers |= task.extras().help.is_some();
            edges += task.depends_on.len();
            let strategy = task.allocation.unwrap_or(scenario.allocation);
            let cap = task.capability.as_str();
            if task.specializations.is_empty() {
                if let Some(&(.., c)) = plain.iter().find(|(k, s, _)| *k == cap && *s == strategy) {
                    task_class.push(c);
                    continue;
                }
                let c = b.skill(scenario, cap, Vec::new(), strategy);
                if plain.len() < 16 {
                    plain.push((cap, strategy, c));
                }
                task_class.push(c);
                continue;
            }
            let mut specs: Vec<&str> = task.specializations.iter().map(|s| s.as_str()).collect();
            specs.sort_unstable();
            specs.dedup();
            task_class.push(b.skill(scenario, cap, specs, strategy));
        }
        // The loader has resolved the ids already; an id map is built only if its answer is missing
        // or no longer matches (a scenario edited in code after loading).
        let resolved = scenario.dep_index.0.as_deref().filter(|r| r.len() == edges);
        let mut index: Option<crate::fasthash::FastMap<&str, u32>> = None;
        let mut graph = DiGraph::with_capacity(n, edges);
        for _ in 0..n {
            graph.add_node(());
        }
        let mut dep_count = Vec::with_capacity(n);
        let mut k = 0;
        for (i, task) in scenario.tasks.iter().enumerate() {
            for dep in &task.depends_on {
                let d = match resolved.map(|r| r[k]) {
                    Some(d) if scenario.tasks.get(d as usize).is_some_and(|t| t.id == *dep) => d,
                    _ => index.get_or_insert_with(|| DepIndex::id_map(&scenario.tasks))[dep.as_str()],
                };
                k += 1;
                graph.add_edge(NodeIndex::new(d as usize), NodeIndex::new(i), ());
            }
            dep_count.push(task.depends_on.len() as u32);
        }
        let (ladders, task_ladder) = crate::protocols::ladder::compile(scenario, &mut b);
        let ClassSet { classes, pools, agent_pools, .. } = b.set;
        let (decisions, task_decision) = crate::protocols::vote::compile(scenario);
        Workflow {
            graph,
            task_class,
            classes,
            pools,
            agent_pools,
            dep_count,
            ladders,
            task_ladder,
            planners,
            helpers,
            decisions,
            task_decision,
        }
    }

    pub fn task_count(&self) -> usize {
        self.task_class.len()
    }

    /// The task's escalation ladder, if it has one (cheap when no task has any).
    pub fn ladder_of(&self, task: TaskId) -> Option<&crate::protocols::ladder::Ladder> {
        let &l = self.task_ladder.get(task.ix())?;
        self.ladders.get(l as usize)
    }

    /// The task's decision, if it is a decision task (cheap when no task is).
    pub fn decision_of(&self, task: TaskId) -> Option<&crate::protocols::vote::Decision> {
        let &d = self.task_decision.get(task.ix())?;
        self.decisions.get(d as usize)
    }

    /// Tasks that depend directly on `task`.
    pub fn dependents(&self, task: TaskId) -> impl Iterator<Item = TaskId> + '_ {
        self.graph.neighbors_directed(NodeIndex::new(task.ix()), Direction::Outgoing).map(|n| TaskId(n.index() as u32))
    }

    /// Tasks that `task` depends on directly.
    pub fn dependencies(&self, task: TaskId) -> impl Iterator<Item = TaskId> + '_ {
        self.graph.neighbors_directed(NodeIndex::new(task.ix()), Direction::Incoming).map(|n| TaskId(n.index() as u32))
    }
}
