//! TransferResponsibilities: one transaction over every registered area.

use kam_proto::v1 as pb;
use uuid::Uuid;

use super::{STAFF, refuse, staff_row};
use crate::{
    platform::{
        audit::{self, Change},
        db::Db,
        error::{FieldViolation, Result},
        events::Payload,
        request::RequestContext,
    },
    teams::{
        convert::handover_to_proto,
        handover::{AreaHandover, HandoverScope, Responsibilities},
        rules::{RuleBreak, STAFF_INACTIVE},
    },
};

#[derive(Clone, Debug)]
pub struct HandoverRequest {
    pub from: Uuid,
    pub to: Uuid,
    /// Empty: everything the person holds.
    pub accounts: Vec<Uuid>,
    pub reason: String,
    pub validate_only: bool,
}

/// Moves what `from` holds to `to` in every area, or reports what would move and what it would break.
/// Any break refuses the whole handover and nothing changes.
pub async fn transfer_responsibilities(
    db: &Db,
    ctx: &RequestContext,
    responsibilities: &Responsibilities,
    request: HandoverRequest,
) -> Result<AreaHandover> {
    let request = &request;
    db.write(|txn| async move {
        let txn = &*txn;
        staff_row(txn, request.from).await?;
        let receiver = staff_row(txn, request.to).await?;
        let held = responsibilities.accounts_of(txn, request.from).await?;
        let accounts = if request.accounts.is_empty() {
            held.into_iter().collect()
        } else {
            if let Some((i, _)) = request
                .accounts
                .iter()
                .enumerate()
                .find(|(_, a)| !held.contains(a))
            {
                return Err(FieldViolation::new(
                    format!("account_ids[{i}]"),
                    "the person holds nothing on this account",
                )
                .into());
            }
            request.accounts.clone()
        };
        let scope = HandoverScope {
            from: request.from,
            to: request.to,
            accounts,
            reason: request.reason.clone(),
            dry_run: request.validate_only,
        };
        let mut outcome = responsibilities.hand_over(txn, ctx, &scope).await?;
        if !receiver.active && !outcome.breaks.iter().any(|b| b.rule == STAFF_INACTIVE) {
            outcome.breaks.push(RuleBreak {
                rule: STAFF_INACTIVE,
                account_id: None,
                description: "inactive staff cannot take over responsibilities".to_owned(),
            });
        }
        if request.validate_only {
            return Ok(outcome);
        }
        if !outcome.breaks.is_empty() {
            // Returning an error rolls back whatever an area already wrote.
            return Err(refuse(outcome.breaks, &format!("staff/{}", request.to)));
        }
        audit::record(
            txn,
            ctx,
            Change::new(
                STAFF,
                request.from,
                None,
                Payload::ResponsibilitiesTransferred(pb::ResponsibilitiesTransferred {
                    from_staff_id: request.from.to_string(),
                    to_staff_id: request.to.to_string(),
                    reason: request.reason.clone(),
                    moved: handover_to_proto(outcome.clone()).moved,
                }),
                vec!["responsibilities".to_owned()],
            ),
        )
        .await?;
        Ok(outcome)
    })
    .await
}
