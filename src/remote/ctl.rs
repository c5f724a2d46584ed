//! `switchyard ctl URL --run NAME -- ':COMMAND …'`: sends one operator command to a served run as a
//! NATS request on `switchyard.RUN.cmd` (with the sender's name in the `Switchyard-Operator`
//! header) and returns the run's [`Reply`]. No answer within [`CTL_TIMEOUT`], or no served run
//! listening at all, counts as unreachable; a user the server does not let publish on the run's
//! command subject (or receive the answer) is [`Failure::Denied`].

use std::time::Duration;

use async_nats::client::RequestErrorKind;

use super::access::Access;
use super::commands::OPERATOR_HEADER;
use super::reply::Reply;
use super::subjects::RunName;
use super::{Failure, server};

/// How long `ctl` waits for the run's answer.
pub const CTL_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends `command` (`:pause`, `:retry build -- flaky`) as `who`, and returns the answer.
pub fn ctl(access: &Access, run: &RunName, command: &str, who: &str) -> Result<Reply, Failure> {
    if command.trim().trim_start_matches(':').trim().is_empty() {
        return Err(Failure::Unreachable("no command given: `switchyard ctl URL --run NAME -- ':pause'`".into()));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Output(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let server::Connected { client, mut denials } =
            server::connect_as(access, &format!("switchyard ctl {run}")).await.map_err(Failure::Unreachable)?;
        let answer = denials.unless_denied(request(&client, access, run, command, who)).await.map_err(|denial| {
            Failure::Denied(format!(
                "not allowed to command run `{run}` on {} as {} (permission denied by the server: {denial})",
                access.shown(),
                access.source()
            ))
        })?;
        answer.map_err(Failure::Unreachable)
    })
}

/// Sends `command` as `who` on a connected client and waits for the answer, at most
/// [`CTL_TIMEOUT`]; the error says why none came (naming the server without its credentials).
pub async fn request(
    client: &async_nats::Client,
    access: &Access,
    run: &RunName,
    command: &str,
    who: &str,
) -> Result<Reply, String> {
    let shown = access.shown();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(OPERATOR_HEADER, who);
    let request = client.request_with_headers(run.cmd_subject(), headers, command.to_string().into());
    let answer = match tokio::time::timeout(CTL_TIMEOUT, request).await {
        Ok(Ok(msg)) => msg,
        Ok(Err(e)) if e.kind() == RequestErrorKind::NoResponders => {
            return Err(format!("no served run `{run}` on {shown} (nothing answers on {})", run.cmd_subject()));
        }
        Ok(Err(e)) if e.kind() != RequestErrorKind::TimedOut => {
            return Err(format!("cannot send the command to run `{run}` on {shown}: {}", access.scrub(&e.to_string())));
        }
        _ => return Err(format!("run `{run}` on {shown} did not answer within {} s", CTL_TIMEOUT.as_secs())),
    };
    Reply::decode(&answer.payload)
}
