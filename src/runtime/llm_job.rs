//! An LLM agent's task in a live run: it takes `task` messages like a process agent would and
//! answers each with one chat request (see [`crate::agents::llm`]), concurrently; `cancel` aborts
//! the request. A `cfp` is one chat request too, asking for a bid (see [`crate::agents::llm_bid`]);
//! a failed request declines. Being in-process it is alive by definition, so it heartbeats on the scenario's
//! interval. It is refused at the start when its API key variable is unset or holds an unusable key,
//! its `base_url` is unusable, or its `ca_file` cannot be read; its HTTP client is built then, once.
//! Everything it reports from the network comes through [`LlmClient::chat`], redacted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, JoinSet};

use super::fleet::{Ctl, Report, ReportKind};
use crate::agents::llm::{LlmClient, LlmError, Reply, prompt};
use crate::agents::llm_bid::{bid_prompt, parse_bid};
use crate::agents::llm_vote::{parse_vote, vote_prompt};
use crate::agents::{AgentOutput, FromAgent, ToAgent};
use crate::core::AgentId;
use crate::scenario::LlmSpec;

pub(super) struct LlmJob {
    pub agent: AgentId,
    pub generation: u32,
    pub spec: LlmSpec,
    /// Zero: no heartbeats.
    pub heartbeat: Duration,
    pub tx: mpsc::Sender<Report>,
}

type Answer = (String, u32, Result<Reply, LlmError>);

impl LlmJob {
    fn report(&self, event: ReportKind) -> Report {
        Report { agent: self.agent, generation: self.generation, event }
    }

    async fn say(&self, msg: FromAgent) -> bool {
        self.tx.send(self.report(ReportKind::Output(AgentOutput::Message(msg)))).await.is_ok()
    }

    pub(super) async fn run(self, mut ctl: mpsc::Receiver<Ctl>, mut kill: oneshot::Receiver<()>) {
        let client = match LlmClient::new(&self.spec) {
            Ok(client) => Arc::new(client),
            Err(why) => {
                let _ = self.tx.send(self.report(ReportKind::Refused(why))).await;
                return;
            }
        };
        if self.tx.send(self.report(ReportKind::Ready)).await.is_err() {
            return;
        }
        let mut inflight: JoinSet<Answer> = JoinSet::new();
        let mut aborts: HashMap<(String, u32), AbortHandle> = HashMap::new();
        let mut bids: JoinSet<FromAgent> = JoinSet::new();
        let period = if self.heartbeat.is_zero() { Duration::from_secs(3600) } else { self.heartbeat };
        let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                _ = &mut kill => return,
                c = ctl.recv() => match c {
                    Some(Ctl::Send(ToAgent::Task { id, attempt, capability, description, inputs, max_subtasks, .. })) => {
                        let mut user = prompt(&id, &capability, &description, &inputs);
                        if let Some(max) = max_subtasks {
                            user.push_str(&crate::agents::llm::planning_note(max));
                        }
                        let (client, task) = (client.clone(), id.clone());
                        let handle = inflight.spawn(async move {
                            let answer = client.chat(&user).await;
                            (task, attempt, answer)
                        });
                        aborts.insert((id, attempt), handle);
                    }
                    Some(Ctl::Send(ToAgent::Cancel { task, attempt })) => {
                        if let Some(h) = aborts.remove(&(task, attempt)) {
                            h.abort();
                        }
                    }
                    Some(Ctl::Send(ToAgent::Cfp { auction, task, capability, deadline_ms })) => {
                        let user = bid_prompt(&task, &capability, deadline_ms);
                        let client = client.clone();
                        bids.spawn(async move {
                            match client.chat(&user).await {
                                Ok(reply) => parse_bid(&auction, &reply),
                                Err(e) => FromAgent::Decline { auction, reason: Some(format!("no bid: {e}")) },
                            }
                        });
                    }
                    // A ballot is answered like a cfp: its vote joins the same set of side requests.
                    Some(Ctl::Send(ToAgent::Ballot { proposal, question, deadline_ms })) => {
                        let user = vote_prompt(&proposal, &question, deadline_ms);
                        let client = client.clone();
                        bids.spawn(async move {
                            match client.chat(&user).await {
                                Ok(reply) => parse_vote(&proposal, &reply),
                                Err(e) => FromAgent::Vote {
                                    proposal,
                                    choice: crate::agents::VoteChoice::Abstain,
                                    reason: Some(format!("no vote: {e}")),
                                },
                            }
                        });
                    }
                    Some(Ctl::Send(_) | Ctl::Recorded { .. } | Ctl::Fence) => {}
                    Some(Ctl::Shutdown(_, done)) => {
                        inflight.abort_all();
                        bids.abort_all();
                        let _ = done.send(());
                        return;
                    }
                    None => return,
                },
                Some(Ok(answer)) = bids.join_next(), if !bids.is_empty() => {
                    if !self.say(answer).await {
                        return;
                    }
                }
                Some(joined) = inflight.join_next(), if !inflight.is_empty() => {
                    let Ok((task, attempt, answer)) = joined else { continue }; // aborted
                    aborts.remove(&(task.clone(), attempt));
                    let msg = match answer {
                        Ok(reply) => FromAgent::Result { task, attempt, output: reply.output() },
                        Err(e) => {
                            let (message, retryable) = (e.to_string(), e.retryable());
                            FromAgent::Error { task, attempt, message, retryable }
                        }
                    };
                    if !self.say(msg).await {
                        return;
                    }
                }
                _ = beat.tick(), if !self.heartbeat.is_zero() => {
                    if !self.say(FromAgent::Heartbeat {}).await {
                        return;
                    }
                }
            }
        }
    }
}
