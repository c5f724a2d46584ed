//! Who leads a served run, so that a standby coordinator can take over from one that stopped —
//! and one that stopped and came back cannot act any more.
//!
//! Leadership is one key (`lease`) in the run's JetStream key-value bucket
//! (`switchyard_RUN_leader`), written only when the leadership changes: its **revision is the
//! epoch**. The run's first coordinator creates the key (epoch 1); a standby takes over by updating
//! the key *from the revision it last saw* (compare-and-set), so of two standbys one wins, and the
//! winner's epoch is higher than any before. The leader says it is alive on the core subject
//! `switchyard.RUN.leader` every [`BEAT_EVERY`] ([`Beat`]: its epoch and name); a standby that hears
//! nothing for [`LEASE`] takes over. The leader reads the key at every beat: a higher revision
//! means it was deposed, and it steps down. Between two reads its lines cannot reach the stream
//! either: every line is published with the stream's expected last sequence, and the new leader's
//! first line moves it. No consensus of our own: the server's compare-and-set decides.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use serde::{Deserialize, Serialize};

use super::subjects::RunName;

/// How long a standby waits without a beat before it takes over.
pub const LEASE: Duration = Duration::from_secs(3);
/// How often the leader beats and checks it still leads.
pub const BEAT_EVERY: Duration = Duration::from_millis(750);
/// The key holding the leadership.
const KEY: &str = "lease";

/// The leader's beat on `switchyard.RUN.leader`, and the lease's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Beat {
    pub epoch: u64,
    /// Who leads: `host:pid`.
    pub holder: String,
}

/// This process's name as a holder.
pub fn holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}:{}", host.trim(), std::process::id())
}

/// The leadership of a run, held by this process.
pub struct Lease {
    kv: kv::Store,
    pub beat: Beat,
}

/// Why a lease is not (or no longer) this process's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lost {
    /// Another coordinator leads, with this epoch.
    Deposed(Beat),
    /// The server could not say (it is away): the caller tries again later.
    Unknown(String),
}

impl Lease {
    /// The run's bucket, made if it is not there. Its stream is made here with the configuration
    /// `create_key_value` would give it (`KV_NAME`, subjects `$KV.NAME.>`, one value per key, …):
    /// `create_key_value` first asks for the account's info, whose reply from a 2.9 server the
    /// client cannot read.
    async fn bucket(js: &jetstream::Context, run: &RunName) -> Result<kv::Store, String> {
        let bucket = run.leader_bucket();
        let config = jetstream::stream::Config {
            name: format!("KV_{bucket}"),
            description: Some(format!("who leads switchyard run {run}")),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: jetstream::stream::DiscardPolicy::New,
            ..Default::default()
        };
        let fail = |e: &dyn std::fmt::Display| format!("cannot make the bucket {bucket}: {e}");
        js.get_or_create_stream(config).await.map_err(|e| fail(&e))?;
        js.get_key_value(&bucket).await.map_err(|e| fail(&e))
    }

    /// Leads a new run: epoch 1, the bucket made new (an earlier run's lease goes with it).
    pub async fn first(js: &jetstream::Context, run: &RunName) -> Result<Lease, String> {
        let _ = js.delete_stream(format!("KV_{}", run.leader_bucket())).await;
        let kv = Lease::bucket(js, run).await?;
        let beat = Beat { epoch: 0, holder: holder() };
        let value = serde_json::to_vec(&beat).expect("serializes");
        let epoch =
            kv.create(KEY, value.into()).await.map_err(|e| format!("cannot take the lead of run `{run}`: {e}"))?;
        Ok(Lease { kv, beat: Beat { epoch, ..beat } })
    }

    /// Who leads the run now, as the bucket says (`None`: nobody ever did).
    pub async fn current(js: &jetstream::Context, run: &RunName) -> Result<Option<Beat>, String> {
        let Ok(kv) = js.get_key_value(run.leader_bucket()).await else { return Ok(None) };
        read(&kv).await
    }

    /// Takes the lead from the leader of `seen`'s epoch (or from nobody, for 0): wins unless someone
    /// else took it first.
    pub async fn take_over(js: &jetstream::Context, run: &RunName, seen: u64) -> Result<Lease, Lost> {
        let kv = Lease::bucket(js, run).await.map_err(Lost::Unknown)?;
        let beat = Beat { epoch: 0, holder: holder() };
        let value = serde_json::to_vec(&beat).expect("serializes");
        let taken = match seen {
            0 => kv.create(KEY, value.into()).await.map_err(|e| e.to_string()),
            _ => kv.update(KEY, value.into(), seen).await.map_err(|e| e.to_string()),
        };
        match taken {
            Ok(epoch) => Ok(Lease { kv, beat: Beat { epoch, ..beat } }),
            Err(why) => match read(&kv).await {
                Ok(Some(now)) if now.epoch != seen => Err(Lost::Deposed(now)),
                _ => Err(Lost::Unknown(why)),
            },
        }
    }

    /// Whether this process still leads: the key's revision is still its epoch.
    pub async fn check(&self) -> Result<(), Lost> {
        match read(&self.kv).await {
            Ok(Some(now)) if now.epoch == self.beat.epoch => Ok(()),
            Ok(Some(now)) => Err(Lost::Deposed(now)),
            Ok(None) => Err(Lost::Unknown("the lease is gone".into())),
            Err(why) => Err(Lost::Unknown(why)),
        }
    }

    /// Says on `switchyard.RUN.leader` that this process leads (lost when the server is away).
    pub async fn beat(&self, client: &async_nats::Client, run: &RunName) {
        let beat = serde_json::to_vec(&self.beat).expect("serializes");
        let _ = client.publish(run.leader_subject(), beat.into()).await;
    }
}

/// The lease's holder and epoch (its revision).
async fn read(kv: &kv::Store) -> Result<Option<Beat>, String> {
    let entry = kv.entry(KEY).await.map_err(|e| format!("cannot read the lease: {e}"))?;
    Ok(entry.filter(|e| e.operation == kv::Operation::Put).map(|e| {
        let holder = serde_json::from_slice::<Beat>(&e.value).map(|b| b.holder).unwrap_or_default();
        Beat { epoch: e.revision, holder }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beat_is_small_json() {
        let beat = Beat { epoch: 3, holder: "box:42".into() };
        let text = serde_json::to_string(&beat).unwrap();
        assert_eq!(text, r#"{"epoch":3,"holder":"box:42"}"#);
        assert!(holder().contains(':'));
    }
}
