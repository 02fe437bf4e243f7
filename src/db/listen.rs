//! A listening connection: `LISTEN` on a channel, on a connection of its own
//! (`PALABRE_LISTEN_DATABASE_URL`, default `DATABASE_URL`: a transaction-mode pooler cannot carry
//! `LISTEN`), each notification handed to a [`Subscriber`] (the read cache, `http::cache`). Lost,
//! it is re-established (after 0.1 s, doubling up to 5 s), and the subscriber is told both.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::poll_fn;
use tokio_postgres::{AsyncMessage, NoTls};

/// What listens: told when the connection is up (every later notification is heard) or lost
/// (notifications may be missed until it is up again), and of each notification's payload.
pub trait Subscriber: Send + Sync + 'static {
    fn connected(&self, up: bool);
    fn message(&self, payload: &str);
}

const FIRST_WAIT: Duration = Duration::from_millis(100);

/// The payload of a listener's heartbeat (with a number after it); subscribers ignore it.
pub const PING: &str = "ping:";

/// How often the listener checks its connection by notifying itself, and how long it waits to hear
/// it back: a connection that stopped delivering (half-open, or a `LISTEN` lost behind a pooler) is
/// given up within twice this.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// Runs the listener on the current runtime until the process ends.
pub fn spawn(url: String, channel: &'static str, subscriber: Arc<dyn Subscriber>) {
    actix_web::rt::spawn(async move {
        let mut wait = FIRST_WAIT;
        loop {
            match listen(&url, channel, subscriber.as_ref(), &mut wait).await {
                Ok(()) => tracing::warn!(channel, "the listening connection ended"),
                Err(e) => tracing::warn!(channel, error = %e, "the listening connection failed"),
            }
            subscriber.connected(false);
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(5));
        }
    });
}

async fn listen(
    url: &str,
    channel: &str,
    subscriber: &dyn Subscriber,
    wait: &mut Duration,
) -> anyhow::Result<()> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config.application_name("palabre-listen");
    // A connection lost without a word (a partition) is noticed in about 25 s.
    config.keepalives_idle(Duration::from_secs(10));
    config.keepalives_interval(Duration::from_secs(5));
    config.keepalives_retries(3);
    let (client, mut connection) = config.connect(NoTls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The connection's messages: notifications go to the loop below; its end ends the channel.
    let driver = actix_web::rt::spawn(async move {
        let mut messages = poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_string()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the listening connection broke");
                    break;
                }
            }
        }
    });
    client.batch_execute(&format!("LISTEN {channel}")).await?;
    // From here every committed change is heard.
    subscriber.connected(true);
    *wait = FIRST_WAIT;
    let nonce = uuid::Uuid::now_v7().simple().to_string();
    let mut beat: u64 = 0;
    let mut awaited: Option<(String, tokio::time::Instant)> = None;
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tokio::select! {
            payload = rx.recv() => {
                let Some(payload) = payload else { break };
                if awaited.as_ref().is_some_and(|(p, _)| *p == payload) {
                    awaited = None;
                }
                subscriber.message(&payload);
            }
            _ = tick.tick() => {
                if let Some((_, since)) = &awaited
                    && since.elapsed() > HEARTBEAT
                {
                    anyhow::bail!("the heartbeat was not heard back");
                }
                if awaited.is_none() {
                    beat += 1;
                    let payload = format!("{PING}{nonce}:{beat}");
                    tokio::time::timeout(
                        HEARTBEAT,
                        client.batch_execute(&format!("NOTIFY {channel}, '{payload}'")),
                    )
                    .await
                    .map_err(|_| anyhow::anyhow!("the heartbeat timed out"))??;
                    awaited = Some((payload, tokio::time::Instant::now()));
                }
            }
        }
    }
    driver.abort();
    drop(client);
    Ok(())
}
