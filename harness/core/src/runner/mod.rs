//! The runner: executions in parallel, each on its own topology, all reporting through one event stream.

pub mod execute;
pub mod hooks;
pub mod observe;
pub mod topology;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};

use crate::agent::AgentFactory;
use crate::events::{Counts, Event, EventSink, RunFinished, RunStarted, Transport};
use crate::plan::Execution;
use crate::profile::Profile;

/// What every execution of a run shares.
pub struct RunContext {
    pub factory: Arc<dyn AgentFactory>,
    pub profile: Option<Arc<Profile>>,
    /// SIP transport for cases that do not pin one.
    pub transport: Transport,
    /// Upper bound on one execution, in real time.
    pub case_timeout: Duration,
    pub events: mpsc::UnboundedSender<Event>,
    /// Identities leased to executions.
    pub subscribers: Arc<topology::SubscriberPool>,
}

/// Options of a run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub jobs: usize,
    pub transport: Transport,
    pub case_timeout: Duration,
    pub run_id: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            jobs: 2,
            transport: Transport::Udp,
            case_timeout: Duration::from_secs(120),
            run_id: uuid::Uuid::new_v4().to_string(),
        }
    }
}

/// Run every execution (at most `jobs` at a time) and feed every event to `sink`, in order per case.
pub async fn run_all(
    executions: Vec<Execution>,
    factory: Arc<dyn AgentFactory>,
    profile: Option<Arc<Profile>>,
    options: &RunOptions,
    sink: &mut dyn EventSink,
) -> Counts {
    let started = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ctx = Arc::new(RunContext {
        factory,
        profile: profile.clone(),
        transport: options.transport,
        case_timeout: options.case_timeout,
        events: tx.clone(),
        subscribers: topology::SubscriberPool::for_profile(profile.as_deref()),
    });
    sink.event(&Event::RunStarted(RunStarted {
        run_id: options.run_id.clone(),
        started_at: now_rfc3339(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        profile: profile.as_ref().map(|p| p.file.display().to_string()),
        cases: executions.iter().map(execute::case_header).collect(),
        jobs: options.jobs,
    }));
    let permits = Arc::new(Semaphore::new(options.jobs.max(1)));
    let mut tasks = Vec::new();
    for exec in executions {
        let (ctx, permits) = (ctx.clone(), permits.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            execute::execute(&exec, &ctx).await
        }));
    }
    drop(tx);
    drop(ctx);
    let mut counts = Counts::default();
    let waiter = tokio::spawn(async move { futures_join(tasks).await });
    while let Some(event) = rx.recv().await {
        if let Event::CaseFinished(f) = &event {
            counts.add(f.verdict);
        }
        sink.event(&event);
    }
    // Every sender is gone, so every execution has finished; a panicked one is an error count.
    let panicked = waiter.await.unwrap_or(0);
    counts.error += panicked;
    sink.event(&Event::RunFinished(RunFinished {
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        counts: counts.clone(),
    }));
    counts
}

/// Await every task; the number that panicked.
async fn futures_join(tasks: Vec<tokio::task::JoinHandle<crate::verdict::Verdict>>) -> usize {
    let mut panicked = 0;
    for t in tasks {
        if t.await.is_err() {
            panicked += 1;
        }
    }
    panicked
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
