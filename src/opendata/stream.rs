//! Streams an export batch by batch: a blocking task reads a batch on a pooled connection, gives the
//! connection back, formats the batch and hands it to the response through a small bounded channel.
//! Memory stays at a few batches whatever the size of the data, and a slow reader holds no database
//! connection while it reads.

use actix_web::web::Bytes;
use diesel::PgConnection;
use futures_util::Stream;
use uuid::Uuid;

use crate::db::Pool;
use crate::error::AppResult;

/// Rows per batch.
pub const BATCH: i64 = 500;

/// One batch: its formatted bytes, the key to continue after, and whether there may be more.
pub struct Batch {
    pub bytes: Vec<u8>,
    pub last: Option<Uuid>,
    pub more: bool,
}

/// What makes the next batch: given a connection, the key of the previous batch and whether this
/// is the first.
pub trait NextBatch:
    FnMut(&mut PgConnection, Option<Uuid>, bool) -> AppResult<Batch> + Send + 'static
{
}

impl<F> NextBatch for F where
    F: FnMut(&mut PgConnection, Option<Uuid>, bool) -> AppResult<Batch> + Send + 'static
{
}

/// `head`, then each batch `next` returns (given the key of the previous one), then `tail`.
pub fn batches<F>(
    pool: Pool,
    head: Vec<u8>,
    tail: Vec<u8>,
    mut next: F,
) -> impl Stream<Item = Result<Bytes, std::io::Error>>
where
    F: NextBatch,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        if tx.blocking_send(Ok(Bytes::from(head))).is_err() {
            return;
        }
        let mut after = None;
        let mut first = true;
        loop {
            match crate::db::with_conn(&pool, |conn| next(conn, after, first)) {
                Ok(batch) => {
                    first = false;
                    if !batch.bytes.is_empty()
                        && tx.blocking_send(Ok(Bytes::from(batch.bytes))).is_err()
                    {
                        return; // the client went away
                    }
                    if !batch.more {
                        break;
                    }
                    after = batch.last;
                }
                Err(e) => {
                    tracing::error!(error = %e, "an open-data export failed part way");
                    let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
                    return;
                }
            }
        }
        let _ = tx.blocking_send(Ok(Bytes::from(tail)));
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}
