//! The service-level area's settings (`[sla]`): the breach monitor's rhythm.

use serde::Deserialize;

/// The breach monitor: how often it looks for requests coming due.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SlaConfig {
    /// Seconds between two scans; 0 turns the monitor off on this replica. Of several replicas on one
    /// database, the one holding the monitor's lease scans (`jobs.lease_seconds`).
    pub monitor_interval_seconds: u64,
    /// Due requests fetched per batch query of a scan.
    pub monitor_batch_size: u64,
}

impl Default for SlaConfig {
    fn default() -> Self {
        Self {
            monitor_interval_seconds: 30,
            monitor_batch_size: 500,
        }
    }
}
