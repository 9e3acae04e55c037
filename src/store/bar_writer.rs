//! `BarWriter`: stores pages of bars on a thread of its own, so the next page downloads while
//! the last one is written. Each page is still one transaction.

use std::path::Path;
use std::sync::mpsc::{self, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{BarUpsert, Store, StoreError, StoredBar};

/// A background writer with its own connection to the store.
#[derive(Debug)]
pub struct BarWriter {
    pages: Option<SyncSender<Vec<StoredBar>>>,
    thread: Option<JoinHandle<Result<BarUpsert, StoreError>>>,
}

impl BarWriter {
    /// Opens a second connection to the database at `path` and starts the writer.
    pub fn start(path: &Path, busy_timeout: Duration) -> Result<BarWriter, StoreError> {
        let store = Store::open_with_timeout(path, busy_timeout)?;
        // Two pages in flight at most: memory stays bounded when the disk is slower than the network.
        let (pages, received) = mpsc::sync_channel::<Vec<StoredBar>>(2);
        let thread = std::thread::Builder::new()
            .name("aurora-bar-writer".into())
            .spawn(move || {
                let mut total = BarUpsert::default();
                for page in received {
                    total += store.upsert_bars(&page)?;
                }
                Ok(total)
            })
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        Ok(BarWriter {
            pages: Some(pages),
            thread: Some(thread),
        })
    }

    /// Queues a page; fails with the writer's error if it has stopped.
    pub fn write(&mut self, page: Vec<StoredBar>) -> Result<(), StoreError> {
        let sent = self.pages.as_ref().map(|p| p.send(page));
        match sent {
            Some(Ok(())) => Ok(()),
            // The thread ended: only an error ends it early.
            _ => self.join().map(|_| ()),
        }
    }

    /// Waits for every queued page to be written; what was added, updated and unchanged.
    pub fn finish(mut self) -> Result<BarUpsert, StoreError> {
        self.join()
    }

    fn join(&mut self) -> Result<BarUpsert, StoreError> {
        self.pages = None;
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(StoreError::Thread("the bar writer panicked".into()))),
            None => Err(StoreError::Thread("the bar writer already stopped".into())),
        }
    }
}

impl Drop for BarWriter {
    fn drop(&mut self) {
        // An abandoned writer still finishes the pages it was given.
        let _ = self.join();
    }
}
